"""Therapist review and replay of recorded sessions.

Sessions per person (date, exercise, reps done vs prescribed, flagged, pain stops) with filters;
the selected session's reps as a timeline (flagged ones highlighted); a player that replays the
session's video with the recorded skeleton and cues (play/pause, scrub, frame steps, jump to the
next/previous flagged rep) beside the primary-angle curve with the thresholds; agree/disagree on
each flag and a free-text note, saved; the thresholds tuned for the person with the session
re-judged at once (``formcheck.ui.tuning``); Export writes the HTML report.
"""

from __future__ import annotations

import base64
import bisect
import dataclasses
from pathlib import Path

import cv2
import numpy as np
from PySide6.QtCore import QDate, Qt, QThread, QTimer, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QProgressDialog,
    QPushButton,
    QSizePolicy,
    QSlider,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from formcheck.core.exercise import ExerciseDef
from formcheck.core.landmarks import PoseResult
from formcheck.core.overlay import Overlay
from formcheck.exercises.profile import ProfileStore
from formcheck.records.database.rows import RepDetail, SessionDetail, SetDetail
from formcheck.records.session_folder import TRACK_COLUMNS, Cue, read_track, track_pose
from formcheck.records.store import Store
from formcheck.reports.adherence import adherence, stopped_for_pain
from formcheck.reports.evidence import Curve, evidence, evidence_plot, session_video
from formcheck.reports.session_report import (
    adherence_plot,
    angle_plot,
    exercise_thresholds,
    judged_with,
    progress_plot,
    write_report,
)
from formcheck.ui.posture_review import PostureReview
from formcheck.ui.tuning import TuningPanel
from formcheck.ui.widgets import VideoView
from formcheck.video.annotate import annotate

PICK_SESSION = "Pick a session"


class ImageLabel(QLabel):
    """A plot that scales to the room it has (keeping its shape), so the window can be small."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self._pixmap = QPixmap()
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWordWrap(True)
        self.setMinimumSize(120, 60)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)  # the room decides, not the plot

    def set_png(self, png: str | None) -> None:
        """A data: URI PNG (as the reports make them), or None to clear."""
        self._pixmap = QPixmap()
        if png:
            self._pixmap.loadFromData(base64.b64decode(png.split(",", 1)[1]))
        self._rescale()

    def has_image(self) -> bool:
        return not self._pixmap.isNull()

    def _rescale(self) -> None:
        if self._pixmap.isNull():
            if not self.pixmap().isNull():
                self.setPixmap(QPixmap())  # (leaves any text set since)
            return
        self.setPixmap(self._pixmap.scaled(self.width(), self.height(), Qt.AspectRatioMode.KeepAspectRatio,
                                           Qt.TransformationMode.SmoothTransformation))

    def resizeEvent(self, event: object) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)  # type: ignore[arg-type]
        self._rescale()


class SessionPlayer(QWidget):
    """Replays a recorded session's video with its stored skeleton and the cues given at the time."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = VideoView()
        self.view.setMinimumSize(240, 150)  # the review window fits a small laptop screen
        self.view.placeholder = PICK_SESSION
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.play_button = QPushButton("Play")
        self.prev_flag = QPushButton("◀ flagged")
        self.next_flag = QPushButton("flagged ▶")
        self.step_back = QPushButton("◀ frame")
        self.step_fwd = QPushButton("frame ▶")
        self.position = QLabel("")
        row = QHBoxLayout()
        for w in (self.prev_flag, self.step_back, self.play_button, self.step_fwd, self.next_flag, self.position):
            row.addWidget(w)
        lay = QVBoxLayout(self)
        lay.addWidget(self.view, 1)
        lay.addWidget(self.slider)
        lay.addLayout(row)
        self._cap: cv2.VideoCapture | None = None
        self._fps = 30.0
        self._track = np.zeros((0, TRACK_COLUMNS), np.float32)
        self._cues: tuple[Cue, ...] = ()
        self._flags: list[float] = []
        self._size = (640, 480)
        self._t0_ms = 0.0
        self.frame_index = 0
        self._timer = QTimer(self)
        self._timer.timeout.connect(lambda: self.show_frame(self.frame_index + 1))
        self.play_button.clicked.connect(self.toggle)
        self.slider.valueChanged.connect(self.show_frame)
        self.step_back.clicked.connect(lambda: self.show_frame(self.frame_index - 1))
        self.step_fwd.clicked.connect(lambda: self.show_frame(self.frame_index + 1))
        self.next_flag.clicked.connect(lambda: self.jump_flag(+1))
        self.prev_flag.clicked.connect(lambda: self.jump_flag(-1))

    def load(self, detail: SessionDetail) -> bool:
        """Open a session; False (with a message in the view) when its video isn't kept."""
        self.pause()
        self._track = read_track(detail.folder)
        self._cues = detail.cues
        # "Flagged ▶" goes to the moment each fault began, not merely to the rep.
        self._flags = sorted({f.t_s for st in detail.sets for r in st.reps for f in r.faults}
                             | {f.t_s for st in detail.sets for h in st.holds for f in h.faults})
        if self._cap is not None:
            self._cap.release()
        found = session_video(detail.folder, detail.source)
        video, self._t0_ms = found if found is not None else (Path(detail.source), 0.0)
        self._cap = cv2.VideoCapture(str(video)) if found is not None else None
        if self._cap is None or not self._cap.isOpened():
            self._cap = None
            self.view.placeholder = "The video of this session was not kept; the report still has its data."
            self.view.set_frame(None)
            return False
        self._fps = self._cap.get(cv2.CAP_PROP_FPS) or 30.0
        self._size = (int(self._cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(self._cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
        count = int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT))
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, count - 1))
        self.slider.setValue(0)
        self.slider.blockSignals(False)
        self.show_frame(0)
        return True

    def clear(self) -> None:
        """Nothing on show (no session chosen): no frame of a previous session stays."""
        self.pause()
        if self._cap is not None:
            self._cap.release()
        self._cap = None
        self._track = np.zeros((0, TRACK_COLUMNS), np.float32)
        self._cues, self._flags = (), []
        self.slider.blockSignals(True)
        self.slider.setRange(0, 0)
        self.slider.blockSignals(False)
        self.position.setText("")
        self.view.placeholder = PICK_SESSION
        self.view.set_frame(None)

    def toggle(self) -> None:
        (self.pause if self._timer.isActive() else self.play)()

    def play(self) -> None:
        if self._cap is not None:
            self._timer.start(int(1000 / self._fps))
            self.play_button.setText("Pause")

    def pause(self) -> None:
        self._timer.stop()
        self.play_button.setText("Play")

    @property
    def current_s(self) -> float:
        """The shown frame's time on the session's clock (the one reps and cues use)."""
        return self._t0_ms / 1000 + self.frame_index / self._fps

    def seek_seconds(self, t_s: float) -> None:
        self.show_frame(int(round((t_s - self._t0_ms / 1000) * self._fps)))

    def jump_flag(self, direction: int) -> None:
        # A 0.2 s margin: standing on a flagged rep's first frame, "previous" means the one before.
        now = self.current_s
        if direction > 0:
            i = bisect.bisect_right(self._flags, now + 0.2)
            target = self._flags[i] if i < len(self._flags) else None
        else:
            i = bisect.bisect_left(self._flags, now - 0.2) - 1
            target = self._flags[i] if i >= 0 else None
        if target is not None:
            self.seek_seconds(target)

    def show_frame(self, index: int) -> None:
        if self._cap is None:
            return
        index = max(0, min(index, self.slider.maximum()))
        if index != self.frame_index + 1:  # sequential reads are cheap; anything else seeks
            self._cap.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, image = self._cap.read()
        if not ok:
            self.pause()
            return
        self.frame_index = index
        t_ms = self._t0_ms + index * 1000 / self._fps
        self.view.set_frame(annotate(image, self._result_at(t_ms), self._overlay_at(t_ms / 1000)))
        self.slider.blockSignals(True)
        self.slider.setValue(index)
        self.slider.blockSignals(False)
        self.position.setText(f"{t_ms / 1000:.1f} s")

    def _result_at(self, t_ms: float) -> PoseResult:
        w, h = self._size
        if not len(self._track):
            return PoseResult(int(t_ms), w, h, None)
        i = int(np.argmin(np.abs(self._track[:, 0] - t_ms)))
        recorded = track_pose(self._track[i])
        if abs(recorded.t_ms - t_ms) > 100:
            return PoseResult(int(t_ms), w, h, None)
        return PoseResult(int(t_ms), w, h, recorded.pose)

    def _overlay_at(self, t_s: float) -> Overlay:
        shown = [c for c in self._cues if c.t_s <= t_s < c.t_s + 2.5]
        if not shown:
            return Overlay()
        cue = shown[-1]
        level = {"setup": "setup", "fault": "fault", "positive": "good", "milestone": "good"}.get(cue.kind, "info")
        return Overlay(cue=cue.text, cue_level=level)  # type: ignore[arg-type]


class AnalysisJob(QThread):
    """Analyses and records one video file off the GUI thread (with its own database connection:
    SQLite connections belong to the thread that made them)."""

    progress = Signal(int, object)  # frames done, frames expected (None when unknown)
    done = Signal(int)  # the recorded session
    failed = Signal(str)  # one sentence for the user

    def __init__(self, database: Path, video: Path, exercise: ExerciseDef, person: str) -> None:
        super().__init__()
        self.database, self.video, self.exercise, self.person = database, video, exercise, person

    def run(self) -> None:
        from formcheck.analysis.analyze import analyze_video
        from formcheck.core.tracker import ExerciseTracker
        from formcheck.records.recorder import SessionRecorder

        try:
            store = Store(self.database)
            try:
                result = analyze_video(
                    self.video, None, exercise=self.exercise.id, progress=False,
                    tracker=ExerciseTracker(self.exercise),
                    record=lambda: SessionRecorder(store, self.person, str(self.video), "file"),
                    on_progress=self.progress.emit)
            finally:
                store.close()
        except Exception as exc:  # noqa: BLE001 - shown to the user, the window stays usable
            self.failed.emit(str(exc))
            return
        if result.session_id is None:
            self.failed.emit(result.recording_error or "The analysis could not be recorded.")
        else:
            self.done.emit(result.session_id)


class ReviewWindow(QWidget):
    def __init__(self, store: Store, parent: QWidget | None = None, profiles: ProfileStore | None = None,
                 library: dict[str, ExerciseDef] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("formcheck — review sessions")
        self.store = store
        if library is None:
            from formcheck.exercises.loader import load_library

            library = load_library().exercises
        self.library = library
        # People's profiles live beside the database they were tuned from (the data folder).
        self.tuning = TuningPanel(profiles or ProfileStore(store.path.parent / "calibration"))
        self.detail: SessionDetail | None = None
        self.rep: RepDetail | None = None
        self._set: SetDetail | None = None
        self._rows: list[int] = []
        self._rep_list: list[tuple[SetDetail, RepDetail]] = []
        self._track = np.zeros((0, TRACK_COLUMNS), np.float32)
        self.evidence_curve: Curve | None = None  # the curve behind the flag on show
        self._jobs: list[AnalysisJob] = []

        self.person = QComboBox()
        self.person.setMinimumContentsLength(12)
        self.exercise = QComboBox()
        self.exercise.setMinimumContentsLength(14)
        self.flagged_only = QCheckBox("Flagged only")
        self.date_from = QDateEdit(QDate.currentDate().addYears(-1))
        self.date_to = QDateEdit(QDate.currentDate())
        for d in (self.date_from, self.date_to):
            d.setCalendarPopup(True)
            d.setDisplayFormat("yyyy-MM-dd")
        self.sessions = QTableWidget(0, 7)
        self.sessions.setHorizontalHeaderLabels(["date", "exercise", "done / prescribed", "flagged", "pain stops",
                                                 "status", "pain before → after · ⚑ for you"])
        self.sessions.horizontalHeader().setStretchLastSection(True)
        self.sessions.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.sessions.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.sessions.setMinimumHeight(80)
        self.reps = QListWidget()
        self.reps.setMinimumHeight(60)
        self.player = SessionPlayer()
        self.curve = ImageLabel()
        self.faults = QListWidget()
        self.faults.setMinimumHeight(40)
        self.faults.setMaximumHeight(90)
        self.agree = QPushButton("Agree with flag")
        self.disagree = QPushButton("Disagree")
        self.saved_notes = QLabel("")
        self.saved_notes.setWordWrap(True)
        self.note = QPlainTextEdit()
        self.note.setPlaceholderText("Note on this rep (saved with the session; also saved when you give a verdict "
                                     "or move to another rep)")
        self.note.setTabChangesFocus(True)  # Tab moves on to Save note, as everywhere else
        self.note.setMinimumHeight(40)
        self.note.setMaximumHeight(110)
        self.save_note = QPushButton("Save note")
        self.export = QPushButton("Export shown sessions…")
        self.analyse = QPushButton("Analyse a video…")

        filters = QGridLayout()
        for col, w in enumerate((QLabel("Person"), self.person, QLabel("Exercise"), self.exercise, self.flagged_only)):
            filters.addWidget(w, 0, col)
        dates = QHBoxLayout()
        for w in (QLabel("From"), self.date_from, QLabel("to"), self.date_to):
            dates.addWidget(w)
        dates.addStretch(1)
        filters.addLayout(dates, 1, 0, 1, 5)
        filters.addWidget(self.analyse, 0, 6)
        filters.addWidget(self.export, 1, 6)
        filters.setColumnStretch(5, 1)

        rep_tab = QWidget()
        rt = QVBoxLayout(rep_tab)
        rt.addWidget(QLabel("Faults on this rep"))
        rt.addWidget(self.faults)
        buttons = QHBoxLayout()
        buttons.addWidget(self.agree)
        buttons.addWidget(self.disagree)
        rt.addLayout(buttons)
        rt.addWidget(self.saved_notes)
        rt.addWidget(self.note)
        rt.addWidget(self.save_note)
        rt.addStretch(1)
        self.tabs = QTabWidget()
        self.tabs.addTab(rep_tab, "This rep")
        self.tabs.addTab(self.tuning, "Thresholds for this person")
        right = QSplitter(Qt.Orientation.Vertical)
        right.setChildrenCollapsible(False)
        for w, stretch in ((self.player, 5), (self.curve, 3), (self.tabs, 3)):
            right.addWidget(w)
            right.setStretchFactor(right.count() - 1, stretch)
        right.setSizes([450, 220, 280])  # the replay first: what the therapist judges by

        self.progress = ImageLabel("Choose a person and an exercise to see their progress across sessions.")
        self.adherence_text = QLabel("Choose a person to see their adherence to the programme.")
        self.adherence_text.setWordWrap(True)
        self.adherence = ImageLabel()
        adherence_tab = QWidget()
        at = QVBoxLayout(adherence_tab)
        at.addWidget(self.adherence_text)
        at.addWidget(self.adherence, 1)
        self.overview = QTabWidget()
        self.overview.addTab(self.progress, "Progress")
        self.overview.addTab(adherence_tab, "Adherence")
        self.posture = PostureReview(store)  # issue 19: posture at the desk, with the same filters
        self.overview.addTab(self.posture, "Posture at the desk")
        reps_box = QWidget()
        rb = QVBoxLayout(reps_box)
        rb.setContentsMargins(0, 0, 0, 0)
        rb.addWidget(QLabel("Reps (red: flagged)"))
        rb.addWidget(self.reps, 1)
        left = QSplitter(Qt.Orientation.Vertical)
        left.setChildrenCollapsible(False)
        for w, stretch in ((self.sessions, 2), (reps_box, 2), (self.overview, 2)):
            left.addWidget(w)
            left.setStretchFactor(left.count() - 1, stretch)
        split = QSplitter()
        split.setChildrenCollapsible(False)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(0, 2)  # a wide screen widens the session table too (its columns)
        split.setStretchFactor(1, 3)
        split.setSizes([520, 880])
        lay = QVBoxLayout(self)
        lay.addLayout(filters)
        lay.addWidget(split, 1)

        for box in (self.person, self.exercise):
            box.currentIndexChanged.connect(self.refresh)
        self.flagged_only.toggled.connect(self.refresh)
        self.date_from.dateChanged.connect(self.refresh)
        self.date_to.dateChanged.connect(self.refresh)
        self.sessions.itemSelectionChanged.connect(self._session_chosen)
        self.reps.currentRowChanged.connect(self._rep_chosen)
        self.faults.currentRowChanged.connect(self._fault_chosen)
        self.agree.clicked.connect(lambda: self.set_verdict(True))
        self.disagree.clicked.connect(lambda: self.set_verdict(False))
        self.save_note.clicked.connect(self.save_rep_note)
        self.export.clicked.connect(self._export_dialog)
        self.analyse.clicked.connect(self._analyse_dialog)
        self._fill_filters()
        self.refresh()

    def exercise_name(self, exercise_id: str) -> str:
        """An exercise's name (a recorded one this computer lacks: its id in words)."""
        ex = self.library.get(exercise_id)
        return ex.name if ex is not None else exercise_id.replace("_", " ").capitalize()

    # ---- sessions ----------------------------------------------------------------------------
    def _fill_filters(self) -> None:
        people = sorted({s.person for s in self.store.sessions()})
        self.person.addItems(["everyone", *people])
        self.exercise.addItem("all exercises", None)
        for ex in self.store.exercises_recorded():
            self.exercise.addItem(self.exercise_name(ex), ex)

    def refresh(self) -> None:
        person = None if self.person.currentIndex() <= 0 else self.person.currentText()
        exercise = self.exercise.currentData()
        lo, hi = self.date_from.date().toString("yyyy-MM-dd"), self.date_to.date().toString("yyyy-MM-dd")
        shown = self.detail.id if self.detail else None
        self._rows = []
        self.sessions.blockSignals(True)
        self.sessions.setRowCount(0)
        for s in self.store.sessions(person):
            if not lo <= s.started[:10] <= hi:
                continue
            d = self.store.session_detail(s.id)
            sets = [st for st in d.sets if exercise is None or st.exercise == exercise]
            if not sets and (exercise is not None or not (d.flag or d.pain_stops or d.ratings)):
                continue  # a session without sets is listed when it says something (a try, a pain stop)
            reps = [r for st in sets for r in st.reps if not r.attempt]
            held = sum(h.duration_s for st in sets for h in st.holds)
            flagged = sum(1 for r in reps if r.faults)
            if self.flagged_only.isChecked() and not flagged:
                continue
            self._rows.append(s.id)
            prescribed = "; ".join(sorted({st.prescribed for st in sets})) or "–"
            pain = " → ".join("–" if v is None else str(v) for v in (d.pain_before, d.pain_after))
            flag = d.flag or ("stopped for pain" if stopped_for_pain(d) else "")
            names = ", ".join(sorted({self.exercise_name(st.exercise) for st in sets})) or "nothing counted"
            done = f"{held:.0f} s held" if held and not reps else f"{len(reps)} rep{'' if len(reps) == 1 else 's'}"
            values = [s.started[:16].replace("T", " "), names, f"{done} / {prescribed}", str(flagged),
                      str(len(d.pain_stops)), s.status,
                      " · ".join(part for part in ("" if pain == "– → –" else pain, f"⚑ {flag}" if flag else "") if part)]
            row = self.sessions.rowCount()
            self.sessions.insertRow(row)
            cells = [QTableWidgetItem(v) for v in values]
            cells[5].setToolTip(s.end_reason or "")  # why an interrupted session ended, on hovering its status
            cells[6].setToolTip(flag)
            for col, cell in enumerate(cells):
                self.sessions.setItem(row, col, cell)
        self.sessions.setRowCount(len(self._rows))
        self.sessions.resizeColumnsToContents()
        self.sessions.blockSignals(False)
        if shown in self._rows:
            self.select_session(shown)
        elif self.detail is not None:
            self._session_chosen()  # the session on show is filtered out: nothing of it stays
        self._show_progress(exercise)
        self._show_adherence(person)
        self.posture.show_for(person, lo, hi)

    def _show_adherence(self, person: str | None) -> None:
        """Weeks against the programme, pain and effort beside flagged reps and range of motion."""
        self.adherence.set_png(None)
        if person is None:
            self.adherence_text.setText("Choose a person to see their adherence to the programme.")
            return
        a = adherence(self.store, person)
        self.adherence_text.setText(a.text())
        self.adherence.set_png(adherence_plot(a))

    def _show_progress(self, exercise: str | None) -> None:
        """Reps, flagged %, range of motion and hold time per session for the filtered sessions."""
        names = sorted({st.exercise for sid in self._rows for st in self.store.session_detail(sid).sets})
        chosen = exercise or (names[0] if len(names) == 1 else None)
        png = progress_plot([self.store.session_detail(s) for s in self._rows], chosen) if chosen else None
        self.progress.set_png(png)
        if png is None:
            self.progress.setText("Progress appears once a person has two sessions of the chosen exercise.")

    def select_session(self, session_id: int) -> None:
        self.sessions.selectRow(self._rows.index(session_id))

    def _session_chosen(self) -> None:
        self._keep_note()
        rows = {i.row() for i in self.sessions.selectedIndexes()}
        self._clear_rep()  # nothing of the previous session may stay on screen (or take a verdict)
        if not rows:
            self.detail = None
            self.player.clear()
            self.tuning.load(None)
            return
        self.detail = self.store.session_detail(self._rows[min(rows)])
        self.player.load(self.detail)
        self.tuning.load(self.detail)
        self.reps.blockSignals(True)
        self.reps.clear()
        self._rep_list = []
        for st in self.detail.sets:
            for r in st.reps:
                if self.flagged_only.isChecked() and not r.faults:
                    continue
                label = (f"{self.exercise_name(st.exercise)} set {st.number} · "
                         f"{'attempt' if r.attempt else 'rep'} {r.index}")
                label += f" · {r.start_s:.1f}–{r.end_s:.1f} s"
                if r.faults:
                    label += " · " + ", ".join(f.message for f in r.faults)
                if r.not_judged:  # never shown as clean: what the app couldn't see, and why
                    label += " · not judged: " + "; ".join(f"{n.code} ({n.reason})" for n in r.not_judged)
                item = QListWidgetItem(label)
                if r.faults:
                    item.setForeground(Qt.GlobalColor.darkRed)
                self.reps.addItem(item)
                self._rep_list.append((st, r))
        self.reps.blockSignals(False)

    # ---- one rep -----------------------------------------------------------------------------
    def _clear_rep(self) -> None:
        self.rep = None
        self.reps.blockSignals(True)
        self.reps.clear()
        self.reps.blockSignals(False)
        self._rep_list = []
        self.faults.clear()
        self.note.clear()
        self.saved_notes.setText("")
        self.curve.set_png(None)
        self.curve.setText("Pick a rep to see its curve")
        for button in (self.agree, self.disagree):
            button.setEnabled(False)

    def select_rep(self, row: int) -> None:
        self.reps.setCurrentRow(row)

    def _rep_chosen(self, row: int) -> None:
        self._keep_note()
        if row < 0 or self.detail is None or row >= len(self._rep_list):
            return
        st, self.rep = self._rep_list[row]
        self._set = st
        self._track = read_track(self.detail.folder)
        self.player.seek_seconds(self.rep.start_s)
        self.player.play()
        measure, lines = exercise_thresholds(st)
        if measure and len(self._track) and not self.rep.faults:
            focus = dataclasses.replace(st, started_s=max(st.started_s, self.rep.start_s - 2),
                                        ended_s=self.rep.end_s + 2, reps=(self.rep,))
            self.curve.set_png(angle_plot(self._track, focus, measure, lines))
        self.faults.blockSignals(True)
        self.faults.clear()
        for f in self.rep.faults:
            verdict = {None: "", True: " — you agreed", False: " — you disagreed"}[f.agree]
            self.faults.addItem(f"{f.message} ({f.code}, {f.t_s:.1f} s){verdict}")
        self.faults.blockSignals(False)
        if self.rep.faults:
            self.faults.setCurrentRow(0)  # shows its evidence
        for button in (self.agree, self.disagree):
            button.setEnabled(bool(self.rep.faults))  # a verdict is on a flag
        self.note.clear()
        notes = self.rep.notes
        self.saved_notes.setText("Notes: " + " · ".join(notes) if notes else "")

    def _fault_chosen(self, row: int) -> None:
        """The evidence for the chosen flag: the curve of the measure that fired, its threshold,
        the moment of the fault and where the replay stands; the replay goes to that moment."""
        if self.rep is None or self.detail is None or self._set is None or not 0 <= row < len(self.rep.faults):
            return
        fault = self.rep.faults[row]
        curve, _label = evidence(self.detail, self._set, self.rep, fault, self._track, judged_with(self._set))
        self.player.pause()
        self.player.seek_seconds(fault.t_s)
        if curve is not None and len(curve.t_s):
            self.evidence_curve = curve
            self.curve.set_png(evidence_plot(curve, fault.t_s, self.player.current_s,
                                             span=(self.rep.start_s, self.rep.end_s)))

    def set_verdict(self, agree: bool) -> None:
        """Agree or disagree with the chosen flag; a note typed for the rep is saved with it."""
        if self.rep is None or not self.rep.faults:
            return
        i = max(0, self.faults.currentRow())
        self._keep_note()
        self.store.set_verdict(self.rep.faults[i].id, agree)
        self._reload_rep()

    def save_rep_note(self) -> None:
        if self._keep_note():
            self._reload_rep()

    def _keep_note(self) -> bool:
        """Save the note typed for the rep on show (a verdict, another rep or session, or closing
        the window never throws it away); True when one was saved."""
        text = self.note.toPlainText().strip()
        if self.rep is None or self.detail is None or not text:
            return False
        self.store.add_note(self.detail.id, text, rep_id=self.rep.id)
        self.note.clear()
        return True

    def _reload_rep(self) -> None:
        row = self.reps.currentRow()
        sid = self.detail.id if self.detail else None
        if sid is None:
            return
        self.detail = self.store.session_detail(sid)
        self._rep_list = [(st, r) for st in self.detail.sets for r in st.reps
                          if not (self.flagged_only.isChecked() and not r.faults)]
        self._rep_chosen(row)

    def closeEvent(self, event: object) -> None:  # noqa: N802 - Qt's name
        self._keep_note()
        super().closeEvent(event)  # type: ignore[arg-type]

    # ---- any video file ----------------------------------------------------------------------
    def analyse_file(self, path: Path, exercise_id: str, person: str = "me") -> AnalysisJob:
        """Run a video through the same pipeline as live coaching, on a worker thread, record it,
        and open it here when done; a progress dialog shows how far it got."""
        from formcheck.exercises.loader import load_by_id
        from formcheck.exercises.profile import personalise

        exercise, _notes = personalise(load_by_id(exercise_id), person, self.tuning.profiles)  # as the person is judged
        job = AnalysisJob(self.store.path, path, exercise, person)
        dialog = QProgressDialog(f"Analysing {path.name}…", "", 0, 100, self)
        dialog.setCancelButton(None)
        dialog.setMinimumDuration(300)
        job.progress.connect(lambda done, total: dialog.setValue(int(100 * done / total) if total else 0))
        job.done.connect(dialog.close)
        job.done.connect(lambda sid: self._analysed(sid, exercise_id, person))
        job.failed.connect(dialog.close)
        job.failed.connect(lambda message: QMessageBox.warning(self, "Could not analyse the video", message))
        self._jobs.append(job)
        job.start()
        return job

    def _analysed(self, session_id: int, exercise_id: str, person: str) -> None:
        self.person.blockSignals(True)
        self.person.setCurrentIndex(0)
        self.person.blockSignals(False)
        if self.person.findText(person) < 0:
            self.person.addItem(person)
        if self.exercise.findData(exercise_id) < 0:
            self.exercise.addItem(self.exercise_name(exercise_id), exercise_id)
        self.refresh()
        self.select_session(session_id)

    def _analyse_dialog(self) -> None:
        from formcheck.exercises.loader import load_library

        path, _ = QFileDialog.getOpenFileName(self, "Analyse a video", str(Path.home()),
                                              "Videos (*.mp4 *.mov *.avi *.mkv *.webm)")
        if not path:
            return
        names = {e.name: k for k, e in load_library().exercises.items() if not e.timer_only}
        choice, ok = QInputDialog.getItem(self, "Exercise", "Which exercise is in the video?", sorted(names), 0, False)
        if ok:
            self.analyse_file(Path(path), names[choice])

    # ---- export ------------------------------------------------------------------------------
    def export_to(self, path: Path) -> str:
        """Write the report of the sessions the list shows (the filters decide, not the last click);
        returns the confirmation shown to the therapist."""
        if not self._rows:
            return "No sessions match the filters — nothing was exported."
        write_report(self.store, list(self._rows), "csv" if path.suffix == ".csv" else "html", path)
        n = len(self._rows)
        return f"Exported {n} session{'s' if n != 1 else ''} to {path}"

    def _export_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export report", "formcheck-report.html",
                                              "HTML report (*.html);;CSV (*.csv)")
        if path:
            QMessageBox.information(self, "Export", self.export_to(Path(path)))
