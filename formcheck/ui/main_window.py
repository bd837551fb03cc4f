"""The main window, patient first: Today (or any exercise) on the left, the video and the cue
banner in the middle, the counter and the stop button on the right. The person's path — Today →
Start → set-up, sets, rests, pain and effort → done — needs no toolbar and works from the keyboard
alone; choosing a camera or a video, the set-up check, Review, Programme and bundles are in the menus.
The window wires the widgets to a ``SessionController`` and holds no pipeline logic of its own."""

from __future__ import annotations

import glob
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from formcheck.core.coach import set_text
from formcheck.core.events import ExerciseEnded, SetStarted, SetSummary
from formcheck.core.exercise import ExerciseDef
from formcheck.ui.exercise_picker import ExercisePicker
from formcheck.ui.posture_panel import install_posture
from formcheck.ui.session_controller import DEMO, SessionController
from formcheck.ui.today import TodayPanel
from formcheck.ui.widgets import Button, CoachPanel, CueBanner, VideoView, fit_to_screen
from formcheck.ui.worker import LivePacket
from formcheck.video.frames import CameraSource, FrameSource, LoopingSource, VideoFileSource

if TYPE_CHECKING:
    from formcheck.records.store import Store
    from formcheck.ui.setup_check import SetupCheckDialog

log = logging.getLogger(__name__)

SAMPLE_VIDEO = Path(__file__).resolve().parents[2] / "sample_videos" / "squat_good.mp4"
VIDEO_FILTER = "Videos (*.mp4 *.mov *.avi *.mkv *.webm);;All files (*)"
REPAINT_MS = 33
# The pose model works on a 256 px crop, so more pixels mostly cost time: 640×480 is the default.
RESOLUTIONS = ((640, 480), (1280, 720), (320, 240))
STATUS_MESSAGE_MS = 8000  # a passing message (set finished) must not outlive what it describes
PICK_EXERCISE = "Pick an exercise on the left and press Start"
CHOOSE_SOURCE = "Press Ctrl+K to use the camera, or Ctrl+O to open a video"
NO_CAMERA = "No camera found. Connect one and press Ctrl+K, or open a video of yourself with Ctrl+O."
DEMO_NOTE = ("This is a demo video: nothing is saved or said. To exercise, connect a camera and press Ctrl+K, "
             "or open a video of yourself with Ctrl+O.")
CHECKING = "Checking the camera placement — nothing is counted meanwhile"
SOURCE_STOPPED = {
    "video_end": "The video ended. Open another video (Ctrl+O) or use the camera (Ctrl+K).",
    "source_lost": "The camera stopped. Reconnect it and press Ctrl+K, or open a video (Ctrl+O).",
}
SHORTCUTS = """Enter — press the highlighted button, start the chosen exercise, answer a question
Esc — Stop, it hurts: ends the set at once
P — pause or carry on · Ctrl+E — end the set · N — skip the rest · M — voice on or off
Ctrl+K — use the camera · Ctrl+O — open a video
Ctrl+L — check the camera placement · Ctrl+R — review sessions · Ctrl+P — programme
Ctrl+Q — quit"""


def find_cameras() -> list[str]:
    """Camera devices present (Linux: /dev/video*; elsewhere index 0 is offered)."""
    if sys.platform.startswith("linux"):
        return sorted(glob.glob("/dev/video*"))
    return ["0"]


class MainWindow(QMainWindow):
    def __init__(
        self,
        library: dict[str, ExerciseDef],
        controller: SessionController,
        settings: QSettings,
        camera_factory: Callable[[str, tuple[int, int]], FrameSource] = lambda d, size: CameraSource(
            int(d) if d.isdigit() else d, width=size[0], height=size[1]
        ),
        cameras: Callable[[], list[str]] = find_cameras,
    ) -> None:
        super().__init__()
        self.setWindowTitle("formcheck — exercise coach")
        self.library = library
        self.controller = controller
        self.settings = settings
        self.camera_factory = camera_factory
        self._cameras_fn = cameras
        self.cameras: list[str] = []
        self.camera = ""
        self.resolution = RESOLUTIONS[0]
        self._latest: LivePacket | None = None
        self._source_name = ""
        self._source_label = ""
        self._error: str | None = None  # shown until the next source or exercise starts
        self._stopped: str | None = None  # why the source stopped by itself, until another opens
        self.setup_check: SetupCheckDialog | None = None
        self._opening = False  # an exercise is being started for the source just opened
        self._said_last: str | None = None  # how today's run ended, shown until the next step

        self.picker = ExercisePicker(library)
        self.today = TodayPanel(library, controller, self.start_definition, self.source_for_today,
                                person=str(settings.value("person", "me")))
        self.left = QTabWidget()
        self.left.addTab(self.today, "Today")
        self.left.addTab(self.picker, "All exercises")
        # A person with a programme starts on Today; anyone else on the whole library.
        self.left.setCurrentWidget(self.today if self.today.programme is not None else self.picker)
        self.left.setMinimumWidth(250)
        self.view = VideoView()
        self.banner = CueBanner()
        self.panel = CoachPanel()
        self.pain_button = Button("STOP — it hurts  (Esc)")
        self.pain_button.setStyleSheet(
            "QPushButton { background: #b3261e; color: white; font-size: 18px; font-weight: bold; padding: 12px; }"
            "QPushButton:disabled { background: #d9a5a1; color: #f5f5f5; }"  # nothing under way to stop
        )
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.summary.setStyleSheet("font-size: 14px;")
        self.notice = QWidget()
        self._build_notice()

        right = QWidget()
        rl = QVBoxLayout(right)
        rl.addWidget(self.panel, 1)
        rl.addWidget(self.summary)
        rl.addWidget(self.pain_button)
        centre = QWidget()
        cl = QVBoxLayout(centre)
        cl.addWidget(self.notice)
        cl.addWidget(self.view, 1)
        cl.addWidget(self.banner)
        split = QSplitter()
        split.setChildrenCollapsible(False)
        split.addWidget(self.left)
        split.addWidget(centre)
        split.addWidget(right)
        split.setStretchFactor(1, 1)
        self.setCentralWidget(split)
        self._build_menus()
        self.setAcceptDrops(True)

        self.picker.start_requested.connect(self.start_exercise)
        self.today.finished.connect(self._today_finished)
        self.today.started.connect(self._today_started)
        self.today.person.currentTextChanged.connect(lambda name: self.settings.setValue("person", name.strip()))
        self.pain_button.clicked.connect(self.pain_stop)
        controller.ask_keep_video = self._ask_keep_video
        keep = self.settings.value("keep_webcam_video")
        controller.keep_webcam_video = None if keep is None else str(keep).lower() == "true"
        controller.frame.connect(self._on_frame)
        controller.error.connect(self._on_error)
        controller.set_started.connect(self._on_set_started)
        controller.set_finished.connect(self._on_set_finished)
        controller.exercise_finished.connect(self._on_exercise_finished)
        controller.source_ended.connect(self._on_source_ended)
        self.banner.show_cue(PICK_EXERCISE, "info")
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._repaint)
        self._timer.start(REPAINT_MS)
        # Issue 19: the desk posture mode (its own module; this is the whole hook).
        install_posture(self, speak=controller.speaker.say, camera=lambda: self.camera or (self.cameras[0] if self.cameras else "0"),
                        store=self._data_store, person=lambda: self.controller.person,
                        programme=lambda: self.today.programme.posture if self.today.programme else None)
        self._restore()
        self._focus_first_step()
        if controller.store_problem:  # found while building the window, before errors were wired
            self._on_error(controller.store_problem)

    # ---- layout ------------------------------------------------------------------------------
    def _build_menus(self) -> None:
        def action(text: str, slot: Callable[..., object], key: QKeySequence | QKeySequence.StandardKey | str | None = None,
                   checkable: bool = False) -> QAction:
            act = QAction(text, self, checkable=checkable)
            if key is not None:
                act.setShortcut(QKeySequence(key))
            (act.toggled if checkable else act.triggered).connect(slot)
            self.addAction(act)  # its shortcut works wherever the focus is in this window
            return act

        self.act_camera = action("Use camera", self.use_camera, "Ctrl+K")
        self.act_open = action("Open video…", self.open_video_dialog, QKeySequence.StandardKey.Open)
        self.act_sample = action("Play the demo video", self.play_sample)
        self.act_import = action("Import bundle…", self.import_bundle_dialog, "Ctrl+I")
        self.act_export = action("Export bundle…", self.export_bundle_dialog)
        self.act_quit = action("Quit", self.close, "Ctrl+Q")  # (Cmd+Q on a Mac)
        self.act_quit.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)  # from the review window too
        self.act_pause = action("Pause", self.set_paused, "P", checkable=True)
        self.act_stop = action("End set", self.controller.stop_exercise, "Ctrl+E")
        self.act_skip = action("Skip rest", self.controller.skip_rest, "N")
        self.act_pain = action("Stop — it hurts", self.pain_stop, "Esc")
        self.act_voice = action("Voice", self.set_voice, "M", checkable=True)
        self.act_setup = action("Check camera placement…", self.open_setup_check, "Ctrl+L")
        self.act_review = action("Review sessions…", self.open_review, "Ctrl+R")
        self.act_programme = action("Programme…", self.open_programme, "Ctrl+P")
        self.act_perf = action("Show speed figures", lambda on: self.panel.perf.setVisible(on), checkable=True)
        self.act_keys = action("Keyboard shortcuts", self.show_shortcuts, "F1")

        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(self.act_camera)
        self.camera_menu = file_menu.addMenu("Camera")
        self.resolution_menu = file_menu.addMenu("Camera resolution")
        self._resolutions = QActionGroup(self)
        for w, h in RESOLUTIONS:
            act = self.resolution_menu.addAction(f"{w}×{h}")
            act.setCheckable(True)
            act.setData((w, h))
            act.setChecked((w, h) == self.resolution)
            self._resolutions.addAction(act)
        self._resolutions.triggered.connect(lambda act: self.select_resolution(act.data()))
        def fill(menu: QMenu, actions: tuple[QAction | None, ...]) -> None:
            for item in actions:
                if item is None:
                    menu.addSeparator()
                else:
                    menu.addAction(item)

        fill(file_menu, (self.act_open, self.act_sample, None, self.act_import, self.act_export, None, self.act_quit))
        exercise_menu = bar.addMenu("&Exercise")
        fill(exercise_menu, (self.act_pause, self.act_stop, self.act_skip, self.act_pain, None, self.act_voice))
        therapist = bar.addMenu("&Therapist")
        for act in (self.act_setup, self.act_review, self.act_programme):
            therapist.addAction(act)
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.act_keys)
        help_menu.addAction(self.act_perf)
        self.refresh_cameras()

    def _build_notice(self) -> None:
        lay = QHBoxLayout(self.notice)
        self.notice_label = QLabel(NO_CAMERA)
        self.notice_label.setWordWrap(True)
        self.notice_sample = Button("Watch the demo video")
        self.notice_sample.clicked.connect(self.play_sample)
        lay.addWidget(self.notice_label, 1)
        lay.addWidget(self.notice_sample)
        self.notice.setStyleSheet("background: #fff3e0; border-radius: 6px;")
        self.notice.hide()

    def _show_notice(self, text: str, offer_demo: bool) -> None:
        self.notice_label.setText(text)
        self.notice_sample.setVisible(offer_demo)
        self.notice.show()

    def refresh_cameras(self) -> None:
        self.cameras = self._cameras_fn()
        self.camera_menu.clear()
        group = QActionGroup(self.camera_menu)
        for device in self.cameras:
            act = self.camera_menu.addAction(device)
            act.setCheckable(True)
            group.addAction(act)
            act.triggered.connect(lambda _on=False, d=device: self.select_camera(d))
        self.camera_menu.setEnabled(bool(self.cameras))
        self.select_camera(self.camera if self.camera in self.cameras else (self.cameras[0] if self.cameras else ""))

    def select_camera(self, device: str) -> None:
        self.camera = device
        for act in self.camera_menu.actions():
            act.setChecked(act.text() == device)

    def select_resolution(self, size: tuple[int, int]) -> None:
        self.resolution = tuple(size)  # type: ignore[assignment]
        for act in self._resolutions.actions():
            act.setChecked(tuple(act.data()) == self.resolution)

    def _focus_first_step(self) -> None:
        """Where the keyboard starts: Today's Start, or the exercise list."""
        if self.left.currentWidget() is self.today and self.today.start_button.isEnabled():
            self.today.start_button.setFocus()
        else:
            self.picker.tree.setFocus()

    # ---- sources -----------------------------------------------------------------------------
    def use_camera(self) -> None:
        if not self.camera:
            self._show_notice(NO_CAMERA, offer_demo=True)
            self.statusBar().showMessage("No camera found — open a video file (Ctrl+O) instead.")
            return
        device, size = self.camera, self.resolution
        self.settings.setValue("camera", device)
        self.settings.setValue("resolution", f"{size[0]}×{size[1]}")
        self._open(lambda: self.camera_factory(device, size), f"camera {device}", "live")

    def open_video_dialog(self) -> None:
        start = str(self.settings.value("last_video_dir", str(Path.home())))
        what = self._exercise_to_film()
        title = f"Open a video of {what.name}" if what is not None else "Open a video"
        path, _ = QFileDialog.getOpenFileName(self, title, start, VIDEO_FILTER)
        if path:
            self.open_video(Path(path))

    def open_video(self, path: Path) -> None:
        self.settings.setValue("last_video_dir", str(path.parent))
        self._open(lambda: VideoFileSource(path), str(path), "file")

    def play_sample(self) -> None:
        """The demo: the bundled squat clip, looping, coached on screen but never saved or spoken."""
        self._open(lambda: LoopingSource(lambda: VideoFileSource(SAMPLE_VIDEO)), str(SAMPLE_VIDEO), DEMO,
                   exercise="squat")
        self._show_notice(DEMO_NOTE, offer_demo=False)

    def first_start(self) -> None:
        """Opened without a camera: the demo plays (so the view is never a silent black box) and
        the note above it says how to exercise for real."""
        self.play_sample()

    def source_for_today(self, first: bool) -> None:
        """Today's next exercise needs a picture: the camera (opened anew for the ``first``, so the
        session follows the programme, then kept on); with no camera, the person opens a video for
        each exercise (Ctrl+O): the rest of the last one, or the demo, is not this exercise."""
        if self.camera:
            if first or self.controller.source_kind != "live" or not self.controller.running:
                self.use_camera()
        else:
            self._close_source()

    def _close_source(self) -> None:
        self.controller.close_source()
        self.notice.hide()
        self._latest = None
        self.view.placeholder = NO_CAMERA if not self.camera else CHOOSE_SOURCE
        self.view.set_frame(None)

    def _open(self, factory: Callable[[], FrameSource], name: str, kind: str, exercise: str | None = None) -> None:
        """Show a source; the exercise coached on it is the one under way, else ``exercise`` or the
        one chosen now (see ``_exercise_for_new_source``)."""
        keep = self._under_way() is not None  # (what the demo was counting is not the person's)
        chosen = None if keep else (exercise or self._exercise_for_new_source())
        if not keep:
            self.controller.clear_exercise()
        self.notice.hide()
        self._error = self._stopped = self._said_last = None
        self.today.video_opened()
        self._source_name = Path(name).name
        self._source_label = name  # "camera /dev/video0" or a file path: what a placement check is saved under
        self.view.placeholder = f"Starting {self._source_name}…"
        self.view.set_frame(None)
        self.controller.open_source(factory, label=name, kind=kind)
        if chosen is not None:
            self._opening = True
            try:
                self.start_exercise(chosen)  # after opening: a demo's introduction is not spoken
            finally:
                self._opening = False
        self.statusBar().showMessage(f"Showing {self._source_name}" + (" (demo: nothing is saved)" if kind == DEMO else ""))
        self._show_idle_banner()

    def _exercise_for_new_source(self) -> str | None:
        """With nothing under way, a new source coaches the exercise selected in the list (not the
        last one done); none while Today runs (it starts its next exercise once the person has
        answered) or when nothing is selected."""
        if not self.today.running and self.left.currentWidget() is self.picker:
            return self.picker.selected
        return None

    def _under_way(self) -> ExerciseDef | None:
        """The person's exercise under way (setting up, counting or resting; never the demo's)."""
        coach = self.controller.coach
        if coach is None or coach.state == "done" or self.controller.source_kind == DEMO:
            return None
        return coach.exercise

    def _exercise_to_film(self) -> ExerciseDef | None:
        if self._under_way() is not None:
            return self._under_way()
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
            self._close_source()  # the demo is not the person: their exercise needs their camera or video
        self._said_last = None
        self.summary.setText("")
        self.panel.set_exercise(ex.name, ex.dose.text(), ex.hold is not None, ex.dose.hold_s or 0.0)
        self._error = None
        judged = self.controller.start_exercise(ex)
        self._show_idle_banner()
        if self.controller.profile_notes:
            self.statusBar().showMessage("Some of your own settings could not be used; your therapist can check them "
                                         "(Therapist › Review sessions).")
            self.statusBar().setToolTip("\n".join(self.controller.profile_notes))
        elif judged.profile:
            self.statusBar().showMessage(f"{ex.name} with {judged.profile}'s own settings")
        return judged

    def _today_started(self) -> None:
        """Nothing of what was on screen before belongs to today's run."""
        self._said_last = None
        self.summary.setText("")
        if self._under_way() is None:
            self.controller.clear_exercise()
            self.panel.clear()
        if not self.controller.running:
            self.view.placeholder = "Today's exercises"
            self.view.set_frame(None)

    def _today_finished(self, text: str) -> None:
        self.statusBar().showMessage(text)
        self._said_last = text  # the run's last word stays in the banner until the next step

    def open_setup_check(self) -> None:
        """The set-up step: camera placement for the chosen exercise, and body measurements.
        Nothing is counted or recorded while it is open."""
        from formcheck.ui.setup_check import SetupCheckDialog

        exercise = self._exercise_to_film()
        if exercise is None:
            selected = self.picker.selected
            exercise = self.library.get(selected) if selected else None
        if exercise is None or not self.controller.running or self.controller.source_kind == DEMO:
            self._show_notice("To check the camera placement, pick an exercise, then start the camera (Ctrl+K) or "
                              "open a video (Ctrl+O), and press Ctrl+L again.", offer_demo=False)
            return
        self.setup_check = dialog = SetupCheckDialog(exercise, self._source_label, self.controller.person,
                                                     self.controller.profiles, self)
        self.controller.hold_coaching(True)
        self.controller.frame.connect(dialog.add)

        def closed(_result: int) -> None:
            self.controller.frame.disconnect(dialog.add)
            self.controller.hold_coaching(False)
            self._show_idle_banner()

        dialog.finished.connect(closed)
        self.banner.show_cue(CHECKING, "info")
        dialog.show()

    @property
    def checking_setup(self) -> bool:
        return self.setup_check is not None and self.setup_check.isVisible()

    def _show_idle_banner(self) -> None:
        """Before frames arrive, say what is missing: an exercise, a source, or nothing."""
        if self.controller.exercise is None:
            self.banner.show_cue(PICK_EXERCISE, "info")
        elif not self.controller.running:
            if self.camera:
                text = CHOOSE_SOURCE
            else:
                text = f"Open a video of {self.controller.exercise.name}: press Ctrl+O"
            self.banner.show_cue(text, "info")
            self.statusBar().showMessage(text)
        else:
            self.banner.show_cue(f"Starting {self._source_name}…", "info")

    def pain_stop(self) -> None:
        coach = self.controller.coach
        if coach is None or coach.state == "done":
            return  # nothing under way to stop (Esc also closes menus and dialogs)
        self.controller.pain_stop()
        self.banner.show_cue("Stopped — rest now", "setup")
        self.statusBar().showMessage("Stopped for pain and recorded. Rest; if it persists, talk to your therapist.")

    def set_paused(self, paused: bool) -> None:
        self.controller.set_paused(paused)
        self.act_pause.setText("Carry on" if paused else "Pause")

    def set_voice(self, on: bool) -> None:
        self.controller.speaker.set_enabled(on)
        self.settings.setValue("voice", on)
        self.act_voice.setText("Voice on" if on else "Voice off")

    def show_shortcuts(self) -> None:
        QMessageBox.information(self, "Keyboard shortcuts", SHORTCUTS)

    def _ask_keep_video(self) -> bool:
        """Asked once: the answer is remembered (Settings file, key keep_webcam_video)."""
        answer = QMessageBox.question(
            self, "Keep the camera video?",
            "Save the camera video with your sessions so you and your therapist can replay them?\n"
            "It stays on this computer. (Asked once; the answer is remembered.)",
        )
        keep = answer == QMessageBox.StandardButton.Yes
        self.settings.setValue("keep_webcam_video", keep)
        return keep

    # ---- the therapist's windows ----------------------------------------------------------------
    def open_review(self) -> None:
        """The therapist's review of recorded sessions, in its own window."""
        from formcheck.ui.review import ReviewWindow

        store = self._data_store()
        if store is None:
            return
        self.review = ReviewWindow(store, self, library=self.library)
        self.review.setWindowFlag(Qt.WindowType.Window)  # its own window, closed with this one
        fit_to_screen(self.review, 1300, 850)
        self.review.show()

    def _data_store(self) -> Store | None:
        """The session database (opened on first need), or None after saying why it can't be."""
        from formcheck.records.database.connection import StoreError
        from formcheck.records.store import Store

        if self.controller.store is not None:
            return self.controller.store
        if self.controller.store_problem:  # never another database behind the person's back
            self._on_error(self.controller.store_problem)
            return None
        try:
            return Store()
        except StoreError as exc:
            self._on_error(str(exc))
            return None

    def open_programme(self) -> None:
        """The therapist's programme editor, in its own window."""
        from formcheck.ui.programme_view import ProgrammeWindow

        store = self._data_store()
        if store is None:
            return
        self.programme_window = ProgrammeWindow(store, self.library, self.controller.person, self)
        self.programme_window.setWindowFlag(Qt.WindowType.Window)
        self.programme_window.saved.connect(lambda _p: self.today.reload())
        fit_to_screen(self.programme_window, 1000, 700)
        self.programme_window.show()

    def import_bundle(self, path: Path, ask: Callable[[str], bool] | None = None) -> str:
        """Import a bundle; returns the sentence shown (what was added, or why nothing was).
        ``ask`` (yes/no; a dialog by default) answers whether a bundle's person of a local name is
        that person, and whether the bundle's programme becomes the current one."""
        from formcheck.records import programme_store
        from formcheck.records.bundle import PersonClash, import_bundle
        from formcheck.records.database.connection import StoreError

        ask = ask or (lambda q: QMessageBox.question(self, "Import bundle", q) == QMessageBox.StandardButton.Yes)
        store = self._data_store()
        if store is None:
            return self._error or ""
        try:
            try:
                report = import_bundle(store, path)
            except PersonClash as clash:
                if not ask(clash.question()):
                    return f"Nothing was imported: {clash}"
                report = import_bundle(store, path, person=clash.name)
            for p in list(report.pending):
                if ask(f"Make {p.label()} of {p.person}'s programme from this bundle the current one?"):
                    programme_store.confirm(store, p.uid)
                    report.pending.remove(p)
            text = report.text()
        except (StoreError, OSError) as exc:
            return f"Nothing was imported: {exc}"
        self.today.reload()
        return text

    def import_bundle_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import a bundle", str(Path.home()),
                                              "formcheck bundles (*.formcheck);;All files (*)")
        if path:
            QMessageBox.information(self, "Import bundle", self.import_bundle(Path(path)))

    def export_bundle_dialog(self) -> None:
        from formcheck.records.bundle import default_name, export_bundle
        from formcheck.records.database.connection import StoreError

        store = self._data_store()
        if store is None:
            return
        people = sorted({s.person for s in store.sessions()} | set(self.today.people()))
        if not people:
            QMessageBox.information(self, "Export bundle", "Nothing to export yet: no sessions and no programmes.")
            return
        person, ok = QInputDialog.getItem(self, "Export bundle", "Whose sessions and programme?", people,
                                          max(0, people.index(self.controller.person))
                                          if self.controller.person in people else 0, False)
        if not ok:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export bundle", str(Path.home() / default_name(person)),
                                              "formcheck bundles (*.formcheck)")
        if path:
            try:
                text = export_bundle(store, person, Path(path)).text()
            except (StoreError, OSError) as exc:
                text = f"Nothing was exported: {exc}"
            QMessageBox.information(self, "Export bundle", text)

    # ---- updates -----------------------------------------------------------------------------
    def _on_frame(self, packet: LivePacket) -> None:
        self._latest = packet  # painted by the timer: never more than one repaint per tick

    def _repaint(self) -> None:
        """Paint the newest packet and coaching state: the panel, the banner and the video show the
        same frame's figures (the overlay on the video is drawn from the same ``CoachFrame``)."""
        packet, self._latest = self._latest, None
        if packet is not None and self._stopped is None:
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
        if self._error is not None or self.checking_setup:
            return  # the error (or the set-up check) stays on screen until the person acts
        if self.today.asking:
            self.banner.show_cue(self.today.question, "milestone")  # where the person looks
        elif self._said_last is not None and not under_way:
            self.banner.show_cue(self._said_last, "positive" if "Well done" in self._said_last else "setup")
        elif ex is None:
            if packet is not None and not self.today.running:
                self.banner.show_cue(PICK_EXERCISE, "info")
        elif coach is not None and (packet is not None or coach.status.state in ("rest", "done", "paused")):
            status = coach.status
            quiet = status.state == "counting" and not coach.banner  # no cue now: which set this is
            self.banner.show_cue(f"Set {status.set_number} of {status.sets_total}" if quiet else coach.banner,
                                 coach.banner_kind)

    def _on_error(self, message: str) -> None:
        self._latest = None  # a frame still waiting to be painted must not cover the message
        self._error = message
        self.statusBar().showMessage(message)
        self.banner.show_cue(message, "setup")
        self.view.placeholder = message
        self.view.set_frame(None)

    def _on_source_ended(self, reason: str) -> None:
        """The video ended or the camera stopped: no frozen last frame (with the words that were on
        it) stays on screen; the view says what happened and what to do."""
        if self._error is not None:
            return  # the failure's own message says more
        self._stopped = reason
        self._latest = None
        self.view.placeholder = SOURCE_STOPPED.get(reason, SOURCE_STOPPED["video_end"])
        self.view.set_frame(None)
        if self.controller.exercise is not None and self.controller.coach and self.controller.coach.state != "done":
            self._show_idle_banner()

    def _on_set_started(self, started: SetStarted) -> None:
        self.statusBar().showMessage(f"Set {started.number} of {started.exercise.dose.sets} — counting")

    def _on_set_finished(self, result: SetSummary) -> None:
        ex = self.controller.exercise
        text = set_text(ex, result) if ex is not None else f"Set {result.number} finished"
        self.statusBar().showMessage(text, STATUS_MESSAGE_MS)

    def _on_exercise_finished(self, ended: ExerciseEnded) -> None:
        self.summary.setText(self.controller.summary)

    # ---- drag and drop, settings, close --------------------------------------------------------
    def dragEnterEvent(self, event: object) -> None:  # noqa: N802
        if event.mimeData().hasUrls():  # type: ignore[attr-defined]
            event.acceptProposedAction()  # type: ignore[attr-defined]

    def dropEvent(self, event: object) -> None:  # noqa: N802
        urls = event.mimeData().urls()  # type: ignore[attr-defined]
        if urls:
            self.open_video(Path(urls[0].toLocalFile()))

    def _restore(self) -> None:
        geometry = self.settings.value("geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            fit_to_screen(self, 1280, 800)
        camera = self.settings.value("camera")
        if camera and str(camera) in self.cameras:
            self.select_camera(str(camera))
        resolution = str(self.settings.value("resolution", ""))
        for w, h in RESOLUTIONS:
            if resolution == f"{w}×{h}":
                self.select_resolution((w, h))
        voice = str(self.settings.value("voice", "true")).lower() != "false"
        self.act_voice.setChecked(voice)
        self.set_voice(voice)
        exercise = self.settings.value("exercise")
        if exercise and str(exercise) in self.library:
            self.picker.select(str(exercise))
        if not self.cameras:
            self._show_notice(NO_CAMERA, offer_demo=True)

    def closeEvent(self, event: object) -> None:  # noqa: N802
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.sync()
        self.controller.shutdown()
        super().closeEvent(event)  # type: ignore[arg-type]

