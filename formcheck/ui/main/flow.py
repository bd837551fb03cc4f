"""The session flow: opening a picture source (the camera, a video, the demo) and starting an
exercise on it. Which exercise a new source coaches, when the demo gives way to the person's own
camera or video, what Today's next exercise needs, and the set-up check on what is shown."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QTabWidget, QWidget

from formcheck.core.exercise import ExerciseDef
from formcheck.ui.exercise_picker import ExercisePicker
from formcheck.ui.main.cameras import CameraMenus
from formcheck.ui.main.display import CHOOSE_SOURCE, NO_CAMERA, CoachDisplay
from formcheck.ui.main.notice import Notice
from formcheck.ui.session_controller import DEMO, SessionController
from formcheck.ui.today import TodayPanel
from formcheck.video.file_sources import VideoFileSource
from formcheck.video.frames import LoopingSource
from formcheck.video.source import FrameSource

if TYPE_CHECKING:
    from formcheck.ui.setup_check import SetupCheckDialog

SAMPLE_VIDEO = Path(__file__).resolve().parents[3] / "sample_videos" / "squat_good.mp4"
DEMO_NOTE = ("This is a demo video: nothing is saved or said. To exercise, connect a camera and press Ctrl+K, "
             "or open a video of yourself with Ctrl+O.")
CHECKING = "Checking the camera placement — nothing is counted meanwhile"


class SessionFlow:
    def __init__(self, controller: SessionController, display: CoachDisplay, notice: Notice, today: TodayPanel,
                 picker: ExercisePicker, left: QTabWidget, library: dict[str, ExerciseDef], settings: QSettings,
                 cameras: CameraMenus, camera_factory: Callable[[str, tuple[int, int]], FrameSource]) -> None:
        self.controller, self.display, self.notice, self.today = controller, display, notice, today
        self.picker, self.left, self.library, self.settings = picker, left, library, settings
        self.cameras, self.camera_factory = cameras, camera_factory
        self.source_label = ""  # "camera /dev/video0" or a file path: what a placement check is saved under
        self._opening = False  # an exercise is being started for the source just opened

    # ---- sources -----------------------------------------------------------------------------
    def use_camera(self) -> None:
        if not self.cameras.camera:
            self.notice.show_text(NO_CAMERA, offer_demo=True)
            self.display.status().showMessage("No camera found — open a video file (Ctrl+O) instead.")
            return
        device, size = self.cameras.camera, self.cameras.resolution
        self.cameras.remember(self.settings)
        self._open(lambda: self.camera_factory(device, size), f"camera {device}", "live")

    def open_video(self, path: Path) -> None:
        self.settings.setValue("last_video_dir", str(path.parent))
        self._open(lambda: VideoFileSource(path), str(path), "file")

    def play_sample(self) -> None:
        """The demo: the bundled squat clip, looping, coached on screen but never saved or spoken."""
        self._open(lambda: LoopingSource(lambda: VideoFileSource(SAMPLE_VIDEO)), str(SAMPLE_VIDEO), DEMO,
                   exercise="squat")
        self.notice.show_text(DEMO_NOTE, offer_demo=False)

    def source_for_today(self, first: bool) -> None:
        """Today's next exercise needs a picture: the camera (opened anew for the ``first``, so the
        session follows the programme, then kept on); with no camera, the person opens a video for
        each exercise (Ctrl+O): the rest of the last one, or the demo, is not this exercise."""
        if self.cameras.camera:
            if first or self.controller.source_kind != "live" or not self.controller.running:
                self.use_camera()
        else:
            self.close_source()

    def close_source(self) -> None:
        self.controller.close_source()
        self.notice.hide()
        self.display.latest = None
        self.display.show_placeholder(NO_CAMERA if not self.cameras.camera else CHOOSE_SOURCE)

    def _open(self, factory: Callable[[], FrameSource], name: str, kind: str, exercise: str | None = None) -> None:
        """Show a source; the exercise coached on it is the one under way, else ``exercise`` or the
        one chosen now (see ``_exercise_for_new_source``)."""
        keep = self.under_way() is not None  # (what the demo was counting is not the person's)
        chosen = None if keep else (exercise or self._exercise_for_new_source())
        if not keep:
            self.controller.clear_exercise()
        self.notice.hide()
        self.display.error = self.display.stopped = self.display.said_last = None
        self.today.video_opened()
        self.display.source_name = Path(name).name
        self.source_label = name
        self.display.show_placeholder(f"Starting {self.display.source_name}…")
        self.controller.open_source(factory, label=name, kind=kind)
        if chosen is not None:
            self._opening = True
            try:
                self.start_exercise(chosen)  # after opening: a demo's introduction is not spoken
            finally:
                self._opening = False
        self.display.status().showMessage(f"Showing {self.display.source_name}"
                                         + (" (demo: nothing is saved)" if kind == DEMO else ""))
        self.display.show_idle_banner()

    def _exercise_for_new_source(self) -> str | None:
        """With nothing under way, a new source coaches the exercise selected in the list (not the
        last one done); none while Today runs (it starts its next exercise once the person has
        answered) or when nothing is selected."""
        if not self.today.running and self.left.currentWidget() is self.picker:
            return self.picker.selected
        return None

    def under_way(self) -> ExerciseDef | None:
        """The person's exercise under way (setting up, counting or resting; never the demo's)."""
        coach = self.controller.coach
        if coach is None or coach.state == "done" or self.controller.source_kind == DEMO:
            return None
        return coach.exercise

    def exercise_to_film(self) -> ExerciseDef | None:
        if self.under_way() is not None:
            return self.under_way()
        selected = self.picker.selected
        return self.library.get(selected) if selected and self.left.currentWidget() is self.picker else None

    # ---- exercise ----------------------------------------------------------------------------
    def start_exercise(self, exercise_id: str) -> None:
        self.settings.setValue("exercise", exercise_id)
        self.start_definition(self.library[exercise_id])

    def start_definition(self, ex: ExerciseDef) -> ExerciseDef:
        """Start an exercise as given (Today passes one with the programme's dose); returns it as
        judged (with the person's profile)."""
        if self.controller.source_kind == DEMO and not self._opening:
            self.close_source()  # the demo is not the person: their exercise needs their camera or video
        self.display.show_exercise(ex)
        judged = self.controller.start_exercise(ex)
        self.display.show_idle_banner()
        if self.controller.profile_notes:
            self.display.status().showMessage("Some of your own settings could not be used; your therapist can "
                                             "check them (Therapist › Review sessions).")
            self.display.status().setToolTip("\n".join(self.controller.profile_notes))
        elif judged.profile:
            self.display.status().showMessage(f"{ex.name} with {judged.profile}'s own settings")
        return judged

    def today_started(self) -> None:
        """Nothing of what was on screen before belongs to today's run."""
        self.display.said_last = None
        self.display.summary.setText("")
        if self.under_way() is None:
            self.controller.clear_exercise()
            self.display.panel.clear()
        if not self.controller.running:
            self.display.show_placeholder("Today's exercises")

    def pain_stop(self) -> None:
        coach = self.controller.coach
        if coach is None or coach.state == "done":
            return  # nothing under way to stop (Esc also closes menus and dialogs)
        self.controller.pain_stop()
        self.display.banner.show_cue("Stopped — rest now", "setup")
        self.display.status().showMessage("Stopped for pain and recorded. Rest; if it persists, talk to your therapist.")

    # ---- the set-up check --------------------------------------------------------------------
    def open_setup_check(self, parent: QWidget) -> SetupCheckDialog | None:
        """The set-up step: camera placement for the chosen exercise, and body measurements.
        Nothing is counted or recorded while it is open. None (with a note saying what to do
        first) when there is no exercise or no picture of the person to check."""
        from formcheck.ui.setup_check import SetupCheckDialog

        exercise = self.exercise_to_film()
        if exercise is None:
            selected = self.picker.selected
            exercise = self.library.get(selected) if selected else None
        if exercise is None or not self.controller.running or self.controller.source_kind == DEMO:
            self.notice.show_text("To check the camera placement, pick an exercise, then start the camera (Ctrl+K) "
                                  "or open a video (Ctrl+O), and press Ctrl+L again.", offer_demo=False)
            return None
        dialog = SetupCheckDialog(exercise, self.source_label, self.controller.person, self.controller.profiles,
                                  parent)
        self.controller.hold_coaching(True)
        self.controller.frame.connect(dialog.add)

        def closed(_result: int) -> None:
            self.controller.frame.disconnect(dialog.add)
            self.controller.hold_coaching(False)
            self.display.show_idle_banner()

        dialog.finished.connect(closed)
        self.display.banner.show_cue(CHECKING, "info")
        dialog.show()
        return dialog
