"""What the middle and the right of the main window show: the newest frame on the video, the counter
panel and the stop button from the same frame's coaching state, and the banner: the cue, Today's
question, how today's run ended, an error, or what is missing before frames arrive."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QLabel, QPushButton, QStatusBar

from formcheck.core.coach import set_text
from formcheck.core.events import ExerciseEnded, SetStarted, SetSummary
from formcheck.core.exercise import ExerciseDef
from formcheck.ui.main.cameras import CameraMenus
from formcheck.ui.session_controller import SessionController
from formcheck.ui.today import TodayPanel
from formcheck.ui.widgets import CoachPanel, CueBanner, VideoView
from formcheck.ui.worker import LivePacket

REPAINT_MS = 33
STATUS_MESSAGE_MS = 8000  # a passing message (set finished) must not outlive what it describes
PICK_EXERCISE = "Pick an exercise on the left and press Start"
CHOOSE_SOURCE = "Press Ctrl+K to use the camera, or Ctrl+O to open a video"
NO_CAMERA = "No camera found. Connect one and press Ctrl+K, or open a video of yourself with Ctrl+O."
SOURCE_STOPPED = {
    "video_end": "The video ended. Open another video (Ctrl+O) or use the camera (Ctrl+K).",
    "source_lost": "The camera stopped. Reconnect it and press Ctrl+K, or open a video (Ctrl+O).",
}


class CoachDisplay:
    def __init__(self, controller: SessionController, today: TodayPanel, cameras: CameraMenus, view: VideoView,
                 banner: CueBanner, panel: CoachPanel, summary: QLabel, pain_button: QPushButton,
                 status: Callable[[], QStatusBar], checking_setup: Callable[[], bool]) -> None:
        self.controller, self.today, self.cameras = controller, today, cameras
        self.view, self.banner, self.panel, self.summary, self.pain_button = view, banner, panel, summary, pain_button
        self.status, self.checking_setup = status, checking_setup
        self.latest: LivePacket | None = None
        self.source_name = ""
        self.error: str | None = None  # shown until the next source or exercise starts
        self.stopped: str | None = None  # why the source stopped by itself, until another opens
        self.said_last: str | None = None  # how today's run ended, shown until the next step

    def on_frame(self, packet: LivePacket) -> None:
        self.latest = packet  # painted by the timer: never more than one repaint per tick

    def repaint(self) -> None:
        """Paint the newest packet and coaching state: the panel, the banner and the video show the
        same frame's figures (the overlay on the video is drawn from the same ``CoachFrame``)."""
        packet, self.latest = self.latest, None
        if packet is not None and self.stopped is None:
            self.view.set_frame(packet.image)
            self.panel.show_performance(packet.fps, packet.latency_ms, packet.dropped)
        coach = self.controller.last
        ex = self.controller.exercise
        if coach is not None and ex is not None:
            self.panel.show_status(coach.status, source=self.controller.running or coach.status.state != "setup",
                                   done=coach.banner)
            self.panel.show_counts(coach.counts, coach.hold_s, ex.dose.reps)
        under_way = coach is not None and ex is not None and coach.status.state != "done"
        self.pain_button.setEnabled(under_way)
        if self.error is not None or self.checking_setup():
            return  # the error (or the set-up check) stays on screen until the person acts
        if self.today.asking:
            self.banner.show_cue(self.today.question, "milestone")  # where the person looks
        elif self.said_last is not None and not under_way:
            self.banner.show_cue(self.said_last, "positive" if "Well done" in self.said_last else "setup")
        elif ex is None:
            if packet is not None and not self.today.running:
                self.banner.show_cue(PICK_EXERCISE, "info")
        elif coach is not None and (packet is not None or coach.status.state in ("rest", "done", "paused")):
            status = coach.status
            quiet = status.state == "counting" and not coach.banner  # no cue now: which set this is
            self.banner.show_cue(f"Set {status.set_number} of {status.sets_total}" if quiet else coach.banner,
                                 coach.banner_kind)

    def show_idle_banner(self) -> None:
        """Before frames arrive, say what is missing: an exercise, a source, or nothing."""
        if self.controller.exercise is None:
            self.banner.show_cue(PICK_EXERCISE, "info")
        elif not self.controller.running:
            if self.cameras.camera:
                text = CHOOSE_SOURCE
            else:
                text = f"Open a video of {self.controller.exercise.name}: press Ctrl+O"
            self.banner.show_cue(text, "info")
            self.status().showMessage(text)
        else:
            self.banner.show_cue(f"Starting {self.source_name}…", "info")

    def show_placeholder(self, text: str) -> None:
        """No frame: ``text`` in the video's place."""
        self.view.placeholder = text
        self.view.set_frame(None)

    def show_exercise(self, ex: ExerciseDef) -> None:
        """An exercise starts: the panel shows its dose; nothing said before stays."""
        self.said_last = None
        self.summary.setText("")
        self.panel.set_exercise(ex.name, ex.dose.text(), ex.hold is not None, ex.dose.hold_s or 0.0)
        self.error = None

    def show_error(self, message: str) -> None:
        self.latest = None  # a frame still waiting to be painted must not cover the message
        self.error = message
        self.status().showMessage(message)
        self.banner.show_cue(message, "setup")
        self.show_placeholder(message)

    def source_ended(self, reason: str) -> None:
        """The video ended or the camera stopped: no frozen last frame (with the words that were on
        it) stays on screen; the view says what happened and what to do."""
        if self.error is not None:
            return  # the failure's own message says more
        self.stopped = reason
        self.latest = None
        self.show_placeholder(SOURCE_STOPPED.get(reason, SOURCE_STOPPED["video_end"]))
        if self.controller.exercise is not None and self.controller.coach and self.controller.coach.state != "done":
            self.show_idle_banner()

    def set_started(self, started: SetStarted) -> None:
        self.status().showMessage(f"Set {started.number} of {started.exercise.dose.sets} — counting")

    def set_finished(self, result: SetSummary) -> None:
        ex = self.controller.exercise
        text = set_text(ex, result) if ex is not None else f"Set {result.number} finished"
        self.status().showMessage(text, STATUS_MESSAGE_MS)

    def exercise_finished(self, _ended: ExerciseEnded) -> None:
        self.summary.setText(self.controller.summary)

    def today_finished(self, text: str) -> None:
        self.status().showMessage(text)
        self.said_last = text  # the run's last word stays in the banner until the next step
