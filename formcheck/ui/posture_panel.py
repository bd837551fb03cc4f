"""The posture mode in the app: a small panel (on from the menu, pause in one click, snooze), the
calibration prompt, and gentle reminders (a status-bar message and a short spoken line).

The watching runs on its own thread (``formcheck.analysis.posture_mode``) at 1 frame per second;
pausing stops it and releases the camera at once; resuming opens the camera again and goes on
with the same baseline. Only the measures are recorded (a ``posture`` session), never a picture.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QHBoxLayout, QLabel, QMainWindow, QPushButton, QVBoxLayout, QWidget

from formcheck.analysis.posture_mode import (
    SampledCamera,
    calibrate_from,
    pose_estimator,
    sample,
    watch,
)
from formcheck.core.frame import Frame
from formcheck.core.posture_coach import PostureCoach, PostureEvent, PostureReminder, PostureSettings, ReminderResponse
from formcheck.core.posture_judge import Baseline, CalibrationError, PostureJudge
from formcheck.records.posture_baseline import BaselineFileError, BaselineStore, SavedBaseline
from formcheck.records.posture_records import PostureRecorder
from formcheck.records.store import Store
from formcheck.video.source import FrameSourceError

log = logging.getLogger(__name__)


def _monotonic_ms() -> int:
    return time.monotonic_ns() // 1_000_000


CALIBRATION_PROMPT = "Sit the way your therapist showed you — {s:g} seconds."
SNOOZE_MS = 30 * 60_000
PAUSED = "Posture mode paused — the camera is off."
PRESCRIBED = "Your therapist switched on posture reminders: press Start posture mode when you sit down to work."
# A source of frames at most one per ``every_ms``: a camera (or, in tests, a video played as one).
SourceFactory = Callable[[int], Any]
STATE_WORDS = {"upright": "sitting tall", "slouched": "slouching", "forward_head": "head forward",
               "head_low": "head low", "leaning": "leaning to one side", "away": "away",
               "unknown": "can't judge — if the camera moved since you calibrated, press Recalibrate"}
SAVED = ("Using your saved sitting-tall baseline ({view} view, {day}). "
         "Press Recalibrate if you sit differently or moved the camera.")


class PostureController(QObject):
    """The person's saved baseline (or a calibration, kept for next time), then watching, on a
    worker thread; everything it says comes as a signal."""

    prompt = Signal(str)  # what the person is asked to do (calibration)
    status = Signal(str)  # a short line for the panel
    reminder = Signal(str)  # a reminder's words
    failed = Signal(str)
    stopped = Signal()
    # From the worker thread to this object's (the GUI) thread, where the database connection lives.
    _began = Signal(object)
    _event = Signal(object)

    def __init__(self, source_factory: SourceFactory, settings: PostureSettings | None = None,
                 baseline_s: float = 10.0, store: Callable[[], Store | None] = lambda: None,
                 person: str = "me", baselines: BaselineStore | None = None) -> None:
        super().__init__()
        self.source_factory = source_factory
        self.settings = settings or PostureSettings()
        self.baseline_s = baseline_s
        self.store, self.person = store, person
        self.baselines = baselines or BaselineStore()
        self.use_saved = True  # False after Recalibrate: calibrate even if a baseline is saved
        self._began.connect(self._start_recording)
        self._event.connect(self._record)
        self.baseline: Baseline | None = None
        self.calibrated_at = ""  # when the baseline in use was taken (ISO time)
        self._t0_ms = 0  # the session's time 0 on the monotonic clock: it runs on through pauses
        self.coach: PostureCoach | None = None
        self.recorder: PostureRecorder | None = None
        self.source: Any = None
        self.events: list[PostureEvent] = []
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start (calibrating first if there is no baseline yet), or resume after a pause."""
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="posture", daemon=True)
        self._thread.start()

    def pause(self) -> None:
        """Stop watching and release the camera now; the baseline and the session are kept."""
        self._stop.set()
        if self.source is not None:
            self.source.close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._thread = None

    def snooze(self, for_ms: int = SNOOZE_MS) -> None:
        if self.coach is not None and self.coach.last_t_ms is not None:
            self.coach.snooze(self.coach.last_t_ms, for_ms)
            self.status.emit(f"No reminders for {for_ms // 60_000} minutes.")

    def stop(self) -> None:
        """Switch the mode off: stop, and close the recorded session."""
        self.pause()
        QCoreApplication.sendPostedEvents(self)  # the last events from the thread, recorded before closing
        if self.recorder is not None:
            self.recorder.close()
            self.recorder = None
        self.stopped.emit()

    def _frames(self, frames: Iterator[Frame]) -> Iterator[Frame]:
        for frame in frames:
            if self._stop.is_set():
                return
            yield frame

    def recalibrate(self) -> None:
        """Calibrate again now (the new baseline replaces the saved one); a new session follows."""
        self.stop()
        self.baseline, self.coach, self.use_saved = None, None, False
        self.start()

    def _run(self) -> None:
        try:
            self.source = self.source_factory(self.settings.sample_ms)
            with pose_estimator() as est:
                if self.baseline is None:
                    saved = self._saved() if self.use_saved else None
                    if saved is not None:
                        self.baseline, self.calibrated_at = saved.baseline, saved.saved
                        # As the prompt, so it stays in view: it says what to do if it's wrong.
                        self.prompt.emit(SAVED.format(view=saved.baseline.view, day=saved.saved[:10]))
                    else:
                        self._calibrate(est)
                    self._begin(est)
                self._watch(est)
        except (FrameSourceError, CalibrationError, OSError, RuntimeError) as exc:
            self.failed.emit(str(exc))
        finally:
            if self.source is not None:
                self.source.close()

    def _calibrate(self, est: Any) -> None:
        self.prompt.emit(CALIBRATION_PROMPT.format(s=self.baseline_s))
        until = round(self.baseline_s * 1000)

        def first(frames: Iterator[Frame]) -> Iterator[Frame]:
            for frame in self._frames(frames):
                if frame.t_ms >= until:
                    return
                yield frame

        self.source.every_ms = min(self.settings.calibration_ms, self.settings.sample_ms)
        self.baseline = calibrate_from(first(iter(self.source)), est)
        self.calibrated_at = datetime.now(UTC).isoformat(timespec="seconds")
        self.source.every_ms = self.settings.sample_ms
        self.prompt.emit("")
        kept = ""
        try:
            self.baselines.save(self.person, self.baseline)
        except OSError as exc:
            kept = f" (not saved for next time: {exc})"
        self.status.emit(f"Calibrated ({self.baseline.view} view){kept}. Watching your posture.")

    def _saved(self) -> SavedBaseline | None:
        try:
            return self.baselines.load(self.person)
        except BaselineFileError as exc:
            self.status.emit(f"Your saved baseline can't be used ({exc}); calibrating again.")
            return None

    def _begin(self, est: Any) -> None:
        """A coach on the baseline, and (on the GUI thread) the recorded session."""
        assert self.baseline is not None
        now = datetime.now()
        day_ms = ((now.hour * 60 + now.minute) * 60 + now.second) * 1000
        self.coach = PostureCoach(PostureJudge(self.baseline, self.settings.margins, self.settings.window),
                                  self.settings, day_ms)
        self._t0_ms = _monotonic_ms()
        self._began.emit({"view": self.baseline.view, "baseline": self.baseline.as_dict(),
                          "calibrated": self.calibrated_at, "model": est.model_name,
                          "settings": dataclasses.asdict(self.settings)})

    def _start_recording(self, start: dict[str, Any]) -> None:
        store = self.store()
        if store is not None:
            self.recorder = PostureRecorder(store, self.person, "camera", start)

    def _record(self, event: PostureEvent) -> None:
        if self.recorder is not None:
            self.recorder.add(event)

    def _watch(self, est: Any) -> None:
        assert self.baseline is not None and self.coach is not None

        def on_event(event: PostureEvent) -> None:
            self.events.append(event)
            self._event.emit(event)
            if isinstance(event, PostureReminder):
                self.reminder.emit(event.text)
            elif isinstance(event, ReminderResponse) and event.corrected and event.kind != "break":
                self.status.emit("Thank you — sitting tall again.")

        def on_session_clock(frames: Iterator[Frame]) -> Iterator[Frame]:
            # Each start reads the camera anew, its clock from 0: the coach needs the session's,
            # which ran on while paused (so the paused time isn't watched time).
            offset: int | None = None
            for f in frames:
                if offset is None:
                    offset = _monotonic_ms() - self._t0_ms - f.t_ms
                yield Frame(f.index, f.t_ms + offset, f.image)

        def states() -> Iterator[Any]:
            for item in sample(on_session_clock(self._frames(iter(self.source))), est):
                yield item
                assert self.coach is not None
                self.status.emit(f"Posture: {STATE_WORDS.get(self.coach.state, self.coach.state)}")

        watch(states(), self.baseline, self.settings, on_event=on_event, coach=self.coach)


class PosturePanel(QWidget):
    """On/off, pause (one click) and snooze, the calibration prompt and the current posture."""

    def __init__(self, controller_factory: Callable[[], PostureController],
                 notify: Callable[[str], None], speak: Callable[[str], None] | None = None) -> None:
        super().__init__()
        self.controller_factory = controller_factory
        self.notify, self.speak = notify, speak
        self.controller: PostureController | None = None
        self.on_button = QPushButton("Start posture mode")
        self.on_button.setCheckable(True)
        self.pause_button = QPushButton("Pause")
        self.pause_button.setCheckable(True)
        self.pause_button.setToolTip("Pause in one click (in a call, away): the camera is switched off")
        self.snooze_button = QPushButton("Snooze 30 min")
        self.recalibrate_button = QPushButton("Recalibrate")
        self.recalibrate_button.setToolTip("Sit tall again for 10 seconds: the new baseline replaces the saved one")
        self.prompt = QLabel("")
        self.prompt.setWordWrap(True)
        self.prompt.setStyleSheet("font-size: 16px; font-weight: bold;")
        self.state = QLabel("Posture mode is off.")
        self.state.setWordWrap(True)
        buttons = QHBoxLayout()
        for b in (self.on_button, self.pause_button, self.snooze_button, self.recalibrate_button):
            buttons.addWidget(b)
        lay = QVBoxLayout(self)
        lay.addLayout(buttons)
        lay.addWidget(self.prompt)
        lay.addWidget(self.state)
        self.on_button.toggled.connect(self.set_on)
        self.pause_button.toggled.connect(self.set_paused)
        self.snooze_button.clicked.connect(lambda: self.controller and self.controller.snooze())
        self.recalibrate_button.clicked.connect(self.recalibrate)
        self._enable(False)

    def _enable(self, on: bool) -> None:
        for b in (self.pause_button, self.snooze_button, self.recalibrate_button):
            b.setEnabled(on)

    def recalibrate(self) -> None:
        if self.controller is None:
            return
        self.pause_button.blockSignals(True)
        self.pause_button.setChecked(False)
        self.pause_button.setText("Pause")
        self.pause_button.blockSignals(False)
        self.controller.recalibrate()

    def set_on(self, on: bool) -> None:
        if on and self.controller is None:
            c = self.controller = self.controller_factory()
            queued = Qt.ConnectionType.QueuedConnection
            c.prompt.connect(self.prompt.setText, queued)
            c.status.connect(self.state.setText, queued)
            c.reminder.connect(self._remind, queued)
            c.failed.connect(self._failed, queued)
            c.start()
            self.on_button.setText("Stop posture mode")
        elif not on and self.controller is not None:
            self.controller.stop()
            self.controller = None
            self.pause_button.setChecked(False)
            self.prompt.setText("")
            self.state.setText("Posture mode is off.")
            self.on_button.setText("Start posture mode")
        self._enable(on)

    def set_paused(self, paused: bool) -> None:
        if self.controller is None:
            return
        if paused:
            self.controller.pause()
            QCoreApplication.sendPostedEvents()  # what the thread said before it stopped comes first
            self.state.setText(PAUSED)
            self.pause_button.setText("Resume")
        else:
            self.controller.start()
            self.pause_button.setText("Pause")

    def _remind(self, text: str) -> None:
        self.state.setText(text)
        self.notify(text)
        if self.speak is not None:
            self.speak(text)

    def _failed(self, message: str) -> None:
        self.state.setText(message)
        self.notify(message)
        self.on_button.setChecked(False)


def install_posture(window: QMainWindow, controller_factory: Callable[[], PostureController] | None = None,
                    speak: Callable[[str], None] | None = None, camera: Callable[[], str] = lambda: "0",
                    store: Callable[[], Store | None] = lambda: None,
                    programme: Callable[[], PostureSettings | None] = lambda: None,
                    person: Callable[[], str] = lambda: "me") -> PosturePanel:
    """The main window's hook: a "Posture mode" dock and a Posture menu item that shows it. When the
    person's programme has a [posture] table, the dock is shown and its settings are used."""
    def default_factory() -> PostureController:
        device = camera()
        return PostureController(lambda every_ms: SampledCamera(int(device) if device.isdigit() else device, every_ms),
                                 programme() or PostureSettings(), store=store, person=person())

    panel = PosturePanel(controller_factory or default_factory,
                         lambda text: window.statusBar().showMessage(text, 15_000), speak)
    dock = QDockWidget("Posture mode", window)
    dock.setObjectName("posture-dock")
    dock.setWidget(panel)
    window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
    if programme() is None:
        dock.hide()
    else:
        panel.state.setText(PRESCRIBED)
    def show() -> None:
        dock.show()
        panel.on_button.setFocus()

    act = QAction("Posture mode…", window)
    act.triggered.connect(show)
    window.menuBar().addMenu("&Posture").addAction(act)
    window.posture_action = act  # type: ignore[attr-defined]
    window.posture_panel = panel  # type: ignore[attr-defined]
    return panel
