"""Today: the person's programme for today, what is done and what remains, and the run through it.

Start asks for pain (0–10) first, then runs the remaining exercises one after another through the
usual set/rest flow (each with the programme's dose), asking after each how hard it was (effort,
0–10) and how the pain is now. With the camera the run goes straight on; on video files the person
opens one video per exercise (Ctrl+O) and a video that ends moves the run on to the next exercise.
A rise of 2 or more, or pain at the therapist's limit, advises stopping for today (shown and
spoken); either way the reason is recorded and the session flagged for the therapist, and after a
stop for pain Start stays off for the rest of the day. "Stop — it hurts" during an exercise ends the
run too. Questions are asked in this panel (no modal dialogs), take the keyboard focus, and are
answered with the arrow keys and Enter.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from formcheck.core.events import EffortRated, Event, ExerciseEnded, PainRated, SessionFlagged
from formcheck.core.exercise import ExerciseDef
from formcheck.core.pain import STOPPED_FOR_PAIN, pain_warning
from formcheck.core.programme import Programme
from formcheck.core.wording import SOURCE_ENDED, pain_words
from formcheck.records import programme_store
from formcheck.records.database.rows import SessionDetail
from formcheck.reports.adherence import adherence, session_day, stopped_for_pain, today_status
from formcheck.ui.rating_scale import Scale
from formcheck.ui.session_controller import SessionController
from formcheck.ui.widgets import Button

PAIN_QUESTION = "Pain right now? (0 = none, 10 = worst imaginable)"
EFFORT_QUESTION = "How hard was that? (0 = no effort, 10 = maximal)"
SAY_PAIN = "How is your pain now, from 0 to 10?"
SAY_BOTH = "How hard was that, and how is your pain now? From 0 to 10."
OPEN_ITS_VIDEO = "Open its video: press Ctrl+O."
STOPPED_TODAY = "Stopped for today. Rest; if the pain persists, talk to your therapist."
STOPPED_EARLIER = "You stopped today because of pain. Rest; if it doesn't settle, talk to your therapist."


class TodayPanel(QWidget):
    started = Signal()  # Start was pressed: the run begins (with the pain question)
    finished = Signal(str)  # the run ended: one line saying how

    def __init__(self, library: dict[str, ExerciseDef], controller: SessionController,
                 start_exercise: Callable[[ExerciseDef], ExerciseDef], ensure_source: Callable[[bool], None],
                 person: str = "me", today: Callable[[], date] = date.today, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.library = library
        self.controller = controller
        self._start_exercise = start_exercise
        self._ensure_source = ensure_source
        self._today = today
        self.programme: Programme | None = None
        self.running = False
        self._queue: list[int] = []  # item indexes still to do in this run
        self._current: ExerciseDef | None = None  # as judged: its ExerciseEnded carries this object
        self._current_index = -1
        self._pain_before: int | None = None
        self._last_pain: int | None = None  # the newest pain given: the next question starts there
        self._advice = ""
        self._answer: Callable[[], None] | None = None

        self.person = QComboBox()
        self.person.setEditable(True)
        self.person.setAccessibleName("Person")
        self.person.setToolTip("Whose programme this is; sessions are saved for this person")
        self.title = QLabel("")
        self.title.setWordWrap(True)
        self.title.setStyleSheet("font-size: 16px; font-weight: bold;")
        self.last = QLabel("")
        self.last.setWordWrap(True)
        self.items = QListWidget()
        self.items.setAccessibleName("Today's exercises")
        self.items.setMinimumHeight(60)
        self.start_button = Button("Start today's exercises  (Enter)")
        self.start_button.setStyleSheet("font-size: 16px; padding: 8px;")
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("font-size: 15px;")
        self.pain = Scale(PAIN_QUESTION)
        self.effort = Scale(EFFORT_QUESTION)
        self.ok = Button("OK  (Enter)")
        self.stop_today = Button("Stop for today")
        self.carry_on = Button("Carry on anyway")
        self.stop_today.setStyleSheet("QPushButton { background: #b3261e; color: white; font-weight: bold; }")
        who = QHBoxLayout()
        who.addWidget(QLabel("Person"))
        who.addWidget(self.person, 1)
        lay = QVBoxLayout(self)
        lay.addLayout(who)
        lay.addWidget(self.title)
        lay.addWidget(self.last)
        lay.addWidget(self.items, 1)
        below: tuple[QWidget, ...] = (self.start_button, self.message, self.effort, self.pain, self.ok, self.stop_today,
                                      self.carry_on)
        for widget in below:
            lay.addWidget(widget)
        self.setTabOrder(self.effort.slider, self.pain.slider)
        self.setTabOrder(self.pain.slider, self.ok)
        self._show_question(False, False)
        self._fill_people(person)
        self.person.currentTextChanged.connect(self._person_changed)
        self.start_button.clicked.connect(self.start)
        self.ok.clicked.connect(lambda: self._answer() if self._answer else None)
        for scale in (self.pain, self.effort):
            scale.slider.entered.connect(self.ok.click)
        self.stop_today.clicked.connect(lambda: self._decide(stop=True))
        self.carry_on.clicked.connect(lambda: self._decide(stop=False))
        controller.exercise_finished.connect(self._exercise_finished)
        self._person_changed(person)

    # ---- what today holds ----------------------------------------------------------------------
    def people(self) -> list[str]:
        """People who have a programme."""
        store = self.controller.store
        return programme_store.people(store) if store is not None else []

    def _fill_people(self, current: str) -> None:
        self.person.blockSignals(True)
        self.person.clear()
        self.person.addItems(sorted({current, *self.people()} - {""}))
        self.person.setCurrentText(current)
        self.person.blockSignals(False)

    def reload(self) -> None:
        """Read the people and the person's programme again (saved in the editor, or imported)."""
        self._fill_people(self.person.currentText().strip())
        self._person_changed(self.person.currentText())

    def _person_changed(self, name: str) -> None:
        name = name.strip()
        if not name or self.running:
            return
        self.controller.person = name
        store = self.controller.store
        self.programme = programme_store.current_programme(store, name) if store is not None else None
        self._last_pain = None
        self.refresh()

    def _todays_sessions(self) -> list[SessionDetail]:
        store = self.controller.store
        if self.programme is None or store is None:
            return []
        self.controller.sync_recording()  # the set just ended is in the database
        details = [store.session_detail(s.id) for s in store.sessions(self.programme.person)]
        return [d for d in details if session_day(d) == self._today()]

    def status(self) -> list[tuple[str, int, int]]:
        """(exercise, sets done today, sets prescribed) per item."""
        if self.programme is None:
            return []
        return [(i.exercise, i.sets_done, i.sets) for i in today_status(self.programme, self._todays_sessions(),
                                                                        self._today())]

    def stopped_for_pain_today(self) -> bool:
        return any(stopped_for_pain(d) for d in self._todays_sessions())

    def refresh(self) -> None:
        self.items.clear()
        p = self.programme
        if p is None:  # (records that can't be opened: the message why is in the video's place)
            self.title.setText("Your programme can't be read right now — pick your exercises under \"All exercises\"."
                               if self.controller.store_problem else
                               f"No programme for {self.controller.person} — pick any exercise under \"All exercises\".")
            self.last.setText("")
            self.start_button.setEnabled(False)
            return
        self.title.setText(f"Today's programme ({p.days_per_week} days a week)")
        store = self.controller.store
        if store is not None:
            a = adherence(store, p.person, self._today())
            week = a.weeks[-1] if a.weeks else None
            days = f" · this week {week.days} of {week.prescribed_days} days" if week and week.prescribed_days else ""
            self.last.setText(a.last_session_text().capitalize() + days)
        remaining = 0
        for (exercise, done, sets), item in zip(self.status(), p.items, strict=False):
            name = self.library[exercise].name if exercise in self.library else "An exercise this computer doesn't have"
            mark = "✓" if done >= sets else ("…" if done else "○")
            text = f"{mark} {name} — {item.dose.text()}" + (f" ({done} of {sets} sets done)" if 0 < done < sets else "")
            entry = QListWidgetItem(text)
            if done >= sets:
                entry.setForeground(Qt.GlobalColor.darkGreen)
            else:
                remaining += 1
            if item.notes:
                entry.setToolTip(item.notes)
            self.items.addItem(entry)
        stopped = self.stopped_for_pain_today()
        self.start_button.setEnabled(remaining > 0 and not self.running and not stopped)
        if not self.running:
            if stopped:
                self.message.setText(STOPPED_EARLIER)
            elif not remaining:
                self.message.setText("All done for today. Well done!")

    # ---- the run -------------------------------------------------------------------------------
    def start(self) -> None:
        """Ask for pain, then run what remains of today's programme."""
        if self.programme is None or self.running or not self.start_button.isEnabled():
            return
        missing = [i.exercise for i in self.programme.items if i.exercise not in self.library]
        if missing:
            self.message.setText("Your programme has an exercise this computer doesn't have; update formcheck "
                                 "or ask your therapist.")
            return
        self._queue = [i for i, (_ex, done, sets) in enumerate(self.status()) if done < sets]
        if not self._queue:
            return
        self.running = True
        self._pain_before = None
        self.start_button.setEnabled(False)
        self.started.emit()
        self._ask("Before you start:", effort=False, then=self._pain_before_given, say=f"Before you start: {SAY_PAIN}")

    def _pain_before_given(self) -> None:
        self._pain_before = self.pain.value
        p = self.programme
        assert p is not None
        self.controller.programme = (p.uid, p.version)
        # The camera opened anew (a session that follows this programme version), or no video yet:
        # the rating goes with the session that comes.
        self._ensure_source(True)
        self._record(PainRated(self._t(), self._pain_before, "before"))
        self._next()

    def _next(self) -> None:
        p = self.programme
        assert p is not None
        if not self._queue:
            self._finish(f"Done for today: {len(p.items)} exercise(s). Well done!")
            return
        self._ensure_source(False)  # the camera goes on; a video is this exercise's own
        self._current_index = self._queue.pop(0)
        item = p.items[self._current_index]
        self.items.setCurrentRow(self._current_index)
        self._current = self._start_exercise(dataclasses.replace(self.library[item.exercise], dose=item.dose))
        needs_video = "" if self.controller.running else f"\n{OPEN_ITS_VIDEO}"
        self.message.setText(f"Now: {self._current.name} — {item.dose.text()}"
                             + (f". {item.notes}" if item.notes else "") + needs_video)

    def video_opened(self) -> None:
        """The person opened the video asked for: the line asking for it goes."""
        self.message.setText(self.message.text().replace(f"\n{OPEN_ITS_VIDEO}", ""))

    def _exercise_finished(self, ended: ExerciseEnded) -> None:
        if not self.running or ended.exercise is not self._current:
            return  # another exercise (picked by hand) or one this run already left
        name = self._current.name if self._current else ""
        if ended.reason == "pain":
            self._record(SessionFlagged(self._t(), f"{STOPPED_FOR_PAIN}: Stop pressed during {name}"))
            self._ask("You stopped because it hurt.", effort=False, then=lambda: self._end_with_pain(STOPPED_TODAY),
                      say=f"You stopped because it hurt. {SAY_PAIN}")
            return
        why = SOURCE_ENDED.get(ended.reason)
        context = f"{name} stopped early: {why}." if why else f"{name} done."
        self._ask(context, effort=True, then=lambda: self._after_exercise(last=not self._queue),
                  say=f"{context} {SAY_BOTH}")

    def _after_exercise(self, last: bool) -> None:
        p = self.programme
        assert p is not None and self._current is not None
        exercise = p.items[self._current_index].exercise
        self._record(EffortRated(self._t(), exercise, self.effort.value))
        warning = pain_warning(self._pain_before, self.pain.value, p.pain_stop_at)
        words = pain_words(self._pain_before, self.pain.value, p.pain_stop_at)
        if warning and not last:
            self._advice = warning
            self._show_question(False, False)
            text = f"{words} We advise stopping for today; your therapist will see this."
            self.message.setText(text)
            self.controller.say(text)
            self.stop_today.show()
            self.carry_on.show()
            self.stop_today.setFocus()
            return
        self._record(PainRated(self._t(), self.pain.value, "after" if last else "during", exercise))
        if warning:  # the last exercise: the run ends here, on the pain
            self._record(SessionFlagged(self._t(), f"{STOPPED_FOR_PAIN}: {warning}"))
            self._finish(f"Done for today. {words} Rest; if it doesn't settle, talk to your therapist — "
                         "they will see this.")
        elif last:
            self._finish(self._done_text())
        else:
            self._next()

    def _done_text(self) -> str:
        p = self.programme
        assert p is not None
        left = [self.library[ex].name for ex, done, sets in self.status() if done < sets and ex in self.library]
        if not left:
            return "Done for today. Well done!"
        return f"Done for today. Not finished: {', '.join(dict.fromkeys(left))} — press Start to do it later today."

    def _decide(self, stop: bool) -> None:
        """The person's answer to the advice to stop."""
        p = self.programme
        assert p is not None
        exercise = p.items[self._current_index].exercise
        self.stop_today.hide()
        self.carry_on.hide()
        self._record(PainRated(self._t(), self.pain.value, "after" if stop else "during", exercise))
        if stop:
            self._record(SessionFlagged(self._t(), f"{STOPPED_FOR_PAIN}: {self._advice}"))
            self._finish(STOPPED_TODAY)
        else:
            self._record(SessionFlagged(self._t(), f"{self._advice} (carried on)"))
            self._next()

    def _end_with_pain(self, text: str) -> None:
        self._record(PainRated(self._t(), self.pain.value, "after"))
        self._finish(text)

    def _finish(self, text: str) -> None:
        self.running = False
        self._current = None
        self._queue = []
        self.controller.programme = None
        self._show_question(False, False)
        self.refresh()
        self.message.setText(text)
        self.controller.say(text)
        (self.start_button if self.start_button.isEnabled() else self.items).setFocus()
        self.finished.emit(text)

    # ---- asking --------------------------------------------------------------------------------
    def _ask(self, context: str, effort: bool, then: Callable[[], None], say: str = "") -> None:
        """Show the pain scale (and the effort one) under ``context``, with the keyboard on it;
        OK (or Enter) calls ``then``."""
        self.message.setText(context)
        start = self._last_pain if self._last_pain is not None else 0
        self.pain.slider.setValue(start)  # unchanged pain is one key press
        self.effort.slider.setValue(5)
        self._show_question(True, effort)
        (self.effort if effort else self.pain).slider.setFocus()
        self.controller.say(say)

        def answered() -> None:
            self._last_pain = self.pain.value
            self._show_question(False, False)
            then()

        self._answer = answered

    def _show_question(self, pain: bool, effort: bool) -> None:
        self.pain.setVisible(pain)
        self.effort.setVisible(effort)
        self.ok.setVisible(pain or effort)
        self.stop_today.hide()
        self.carry_on.hide()
        if not (pain or effort):
            self._answer = None

    @property
    def asking(self) -> bool:
        return self._answer is not None or not self.stop_today.isHidden()

    @property
    def question(self) -> str:
        """What is asked now, in a line for the banner (where the person looks)."""
        if not self.stop_today.isHidden():
            return self.message.text()
        if not self.effort.isHidden():
            return "How hard was that, and how is your pain? Arrow keys, then Enter"
        return "How is your pain now, from 0 to 10? Arrow keys, then Enter"

    def answer(self, pain: int, effort: int | None = None) -> None:
        """Give the answer asked for (what the sliders and OK do)."""
        self.pain.slider.setValue(pain)
        if effort is not None:
            self.effort.slider.setValue(effort)
        self.ok.click()

    def _t(self) -> int:
        return self.controller.last.t_ms if self.controller.last is not None else 0

    def _record(self, event: Event) -> None:
        self.controller.rate(event)
