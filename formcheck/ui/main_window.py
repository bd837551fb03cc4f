"""The main window: wires the picker, the video view, the cue banner and the coaching panel to a
``SessionController``. It holds no pipeline logic of its own."""

from __future__ import annotations

import glob
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from formcheck.core.coach import set_text
from formcheck.core.events import ExerciseEnded, SetStarted, SetSummary
from formcheck.core.exercise import ExerciseDef
from formcheck.pipeline.frames import CameraSource, FrameSource, LoopingSource, VideoFileSource
from formcheck.ui.exercise_picker import ExercisePicker
from formcheck.ui.posture_panel import install_posture
from formcheck.ui.session_controller import SessionController
from formcheck.ui.today import TodayPanel
from formcheck.ui.widgets import CoachPanel, CueBanner, VideoView
from formcheck.ui.worker import LivePacket

if TYPE_CHECKING:
    from formcheck.pipeline.store import Store

log = logging.getLogger(__name__)

SAMPLE_VIDEO = Path(__file__).resolve().parents[2] / "sample_videos" / "squat_good.mp4"
VIDEO_FILTER = "Videos (*.mp4 *.mov *.avi *.mkv *.webm);;All files (*)"
REPAINT_MS = 33
# The pose model works on a 256 px crop, so more pixels mostly cost time: 640×480 is the default.
RESOLUTIONS = ((640, 480), (1280, 720), (320, 240))
STATUS_MESSAGE_MS = 8000  # a passing message (set finished) must not outlive what it describes
PICK_EXERCISE = "Pick an exercise on the left and press Start"
CHOOSE_SOURCE = "Choose a camera or open a video to start"


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
        self._latest: LivePacket | None = None
        self._source_name = ""
        self._source_label = ""
        self._error: str | None = None  # shown until the next source or exercise starts
        self._last_open: tuple[Callable[[], FrameSource], str, str] | None = None

        self.picker = ExercisePicker(library)
        self.today = TodayPanel(library, controller, self.start_definition, self.reopen_source,
                                person=str(settings.value("person", "me")))
        self.left = QTabWidget()
        self.left.addTab(self.today, "Today")
        self.left.addTab(self.picker, "All exercises")
        # A person with a programme starts on Today; anyone else on the whole library.
        self.left.setCurrentWidget(self.today if self.today.programme is not None else self.picker)
        self.view = VideoView()
        self.banner = CueBanner()
        self.panel = CoachPanel()
        self.pain_button = QPushButton("STOP — it hurts  (Esc)")
        self.pain_button.setStyleSheet(
            "QPushButton { background: #b3261e; color: white; font-size: 18px; font-weight: bold; padding: 12px; }"
        )
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.no_camera = QWidget()
        self._build_no_camera()

        right = QWidget()
        rl = QVBoxLayout(right)
        rl.addWidget(self.panel, 1)
        rl.addWidget(self.summary)
        rl.addWidget(self.pain_button)
        centre = QWidget()
        cl = QVBoxLayout(centre)
        cl.addWidget(self.no_camera)
        cl.addWidget(self.view, 1)
        cl.addWidget(self.banner)
        split = QSplitter()
        split.addWidget(self.left)
        split.addWidget(centre)
        split.addWidget(right)
        split.setStretchFactor(1, 1)
        self.setCentralWidget(split)
        self._build_toolbar()
        self.setAcceptDrops(True)

        self.picker.start_requested.connect(self.start_exercise)
        self.today.finished.connect(lambda text: self.statusBar().showMessage(text))
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
        self.banner.show_cue(PICK_EXERCISE, "info")
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._repaint)
        self._timer.start(REPAINT_MS)
        # Issue 19: the desk posture mode (its own module; this is the whole hook).
        install_posture(self, speak=controller.speaker.say, camera=lambda: self.camera_box.currentText() or "0",
                        store=self._data_store, person=lambda: self.controller.person,
                        programme=lambda: self.today.programme.posture if self.today.programme else None)
        self._restore()
        if controller.store_problem:  # found while building the window, before errors were wired
            self._on_error(controller.store_problem)

    # ---- layout ------------------------------------------------------------------------------
    def _build_toolbar(self) -> None:
        bar = QToolBar("Main")
        bar.setMovable(False)
        self.addToolBar(bar)
        self.camera_box = QComboBox()
        self.camera_box.setAccessibleName("Camera")
        self.refresh_cameras()
        self.resolution_box = QComboBox()
        self.resolution_box.setAccessibleName("Camera resolution")
        for w, h in RESOLUTIONS:
            self.resolution_box.addItem(f"{w}×{h}", (w, h))
        self.act_camera = QAction("Use camera", self, shortcut=QKeySequence("Ctrl+K"), triggered=self.use_camera)
        self.act_open = QAction("Open video…", self, shortcut=QKeySequence.StandardKey.Open, triggered=self.open_video_dialog)
        self.act_sample = QAction("Play sample video", self, triggered=self.play_sample)
        self.act_pause = QAction("Pause", self, shortcut=QKeySequence("Space"), checkable=True, toggled=self.set_paused)
        self.act_stop = QAction("End set", self, shortcut=QKeySequence("Ctrl+E"), triggered=self.controller.stop_exercise)
        self.act_skip = QAction("Skip rest", self, shortcut=QKeySequence("N"), triggered=self.controller.skip_rest)
        self.act_voice = QAction("Voice", self, shortcut=QKeySequence("M"), checkable=True, toggled=self.set_voice)
        self.act_pain = QAction("Stop — it hurts", self, shortcut=QKeySequence("Esc"), triggered=self.pain_stop)
        self.act_review = QAction("Review sessions…", self, shortcut=QKeySequence("Ctrl+R"), triggered=self.open_review)
        self.act_programme = QAction("Programme…", self, shortcut=QKeySequence("Ctrl+P"), triggered=self.open_programme)
        self.act_import = QAction("Import bundle…", self, shortcut=QKeySequence("Ctrl+I"),
                                  triggered=self.import_bundle_dialog)
        self.act_export = QAction("Export bundle…", self, triggered=self.export_bundle_dialog)
        file_menu = self.menuBar().addMenu("&File")
        for act in (self.act_open, self.act_import, self.act_export):
            file_menu.addAction(act)
        self.act_setup = QAction("Check camera placement…", self, shortcut=QKeySequence("Ctrl+L"),
                                 triggered=self.open_setup_check)
        self.act_start = QAction("Start exercise", self, shortcut=QKeySequence("Return"),
                                 triggered=lambda: self.picker.selected and self.start_exercise(self.picker.selected))
        bar.addWidget(QLabel(" Camera: "))
        bar.addWidget(self.camera_box)
        bar.addWidget(self.resolution_box)
        for act in (self.act_camera, self.act_open, self.act_sample, self.act_setup, self.act_pause, self.act_stop,
                    self.act_skip, self.act_voice, self.act_review, self.act_programme):
            bar.addAction(act)
        self.addAction(self.act_pain)
        self.addAction(self.act_start)

    def _build_no_camera(self) -> None:
        lay = QHBoxLayout(self.no_camera)
        self.no_camera_label = QLabel("No camera found. Connect one, open a video file, or try the sample video.")
        self.no_camera_label.setWordWrap(True)
        sample = QPushButton("Play the sample video")
        sample.clicked.connect(self.play_sample)
        lay.addWidget(self.no_camera_label, 1)
        lay.addWidget(sample)
        self.no_camera.setStyleSheet("background: #fff3e0; border-radius: 6px;")
        self.no_camera.hide()

    def refresh_cameras(self) -> None:
        self.camera_box.clear()
        cams = self._cameras_fn()
        self.camera_box.addItems(cams)
        self.camera_box.setEnabled(bool(cams))

    # ---- sources -----------------------------------------------------------------------------
    def use_camera(self) -> None:
        device = self.camera_box.currentText()
        if not device:
            self.no_camera.show()
            self.statusBar().showMessage("No camera found — open a video file or play the sample video.")
            return
        size = self.resolution_box.currentData()
        self.settings.setValue("camera", device)
        self.settings.setValue("resolution", self.resolution_box.currentText())
        self._open(lambda: self.camera_factory(device, size), f"camera {device}", "live")

    def open_video_dialog(self) -> None:
        start = str(self.settings.value("last_video_dir", str(Path.home())))
        path, _ = QFileDialog.getOpenFileName(self, "Open a video", start, VIDEO_FILTER)
        if path:
            self.open_video(Path(path))

    def open_video(self, path: Path) -> None:
        self.settings.setValue("last_video_dir", str(path.parent))
        self._open(lambda: VideoFileSource(path), str(path), "file")

    def play_sample(self) -> None:
        # The sample loops so it can stand in for a camera for a whole set.
        self._open(lambda: LoopingSource(lambda: VideoFileSource(SAMPLE_VIDEO)), str(SAMPLE_VIDEO), "file")

    def reopen_source(self) -> None:
        """Open the last source again (a new session), or the camera when none was open."""
        if self._last_open is not None:
            self._open(*self._last_open)
        else:
            self.use_camera()

    def _open(self, factory: Callable[[], FrameSource], name: str, kind: str) -> None:
        self._last_open = (factory, name, kind)
        self.no_camera.hide()
        self._error = None
        self._source_name = Path(name).name
        self._source_label = name  # "camera /dev/video0" or a file path: what a placement check is saved under
        self.view.placeholder = f"Starting {self._source_name}…"
        self.view.set_frame(None)
        self.controller.open_source(factory, label=name, kind=kind)
        self.statusBar().showMessage(f"Showing {self._source_name}")
        self._show_idle_banner()

    # ---- exercise ----------------------------------------------------------------------------
    def start_exercise(self, exercise_id: str) -> None:
        self.settings.setValue("exercise", exercise_id)
        self.start_definition(self.library[exercise_id])

    def start_definition(self, ex: ExerciseDef) -> None:
        """Start an exercise as given (Today passes one with the programme's dose)."""
        self.summary.setText("")
        self.panel.set_exercise(ex.name, ex.dose.text(), ex.hold is not None, ex.dose.hold_s or 0.0)
        self._error = None
        self.controller.start_exercise(ex)
        self._show_idle_banner()
        judged = self.controller.exercise
        if self.controller.profile_notes:
            self.statusBar().showMessage(" · ".join(self.controller.profile_notes))
        elif judged is not None and judged.profile:
            self.statusBar().showMessage(f"{ex.name} with {judged.profile}'s own thresholds")

    def open_setup_check(self) -> None:
        """The set-up step: camera placement for the chosen exercise, and body measurements."""
        from formcheck.ui.setup_check import SetupCheckDialog

        exercise = self.controller.exercise or (self.library.get(self.picker.selected) if self.picker.selected else None)
        if exercise is None or not self.controller.running:
            self.statusBar().showMessage("Pick an exercise and start the camera first; then check its placement.")
            return
        self.setup_check = SetupCheckDialog(exercise, self._source_label, self.controller.person,
                                            self.controller.profiles, self)
        self.controller.frame.connect(self.setup_check.add)
        self.setup_check.finished.connect(lambda _r: self.controller.frame.disconnect(self.setup_check.add))
        self.setup_check.show()

    def _show_idle_banner(self) -> None:
        """Before frames arrive, say what is missing: an exercise, a source, or nothing."""
        if self.controller.exercise is None:
            self.banner.show_cue(PICK_EXERCISE, "info")
        elif not self.controller.running:
            self.banner.show_cue(CHOOSE_SOURCE, "info")
            self.statusBar().showMessage(CHOOSE_SOURCE)
        else:
            self.banner.show_cue(f"Starting {self._source_name}…", "info")

    def pain_stop(self) -> None:
        self.controller.pain_stop()
        self.banner.show_cue("Stopped — rest now", "setup")
        self.statusBar().showMessage("Stopped for pain and recorded. Rest; if it persists, talk to your therapist.")

    def set_paused(self, paused: bool) -> None:
        self.controller.set_paused(paused)
        self.act_pause.setText("Resume" if paused else "Pause")

    def set_voice(self, on: bool) -> None:
        self.controller.speaker.set_enabled(on)
        self.settings.setValue("voice", on)
        self.act_voice.setText("Voice on" if on else "Voice off")

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

    def open_review(self) -> None:
        """The therapist's review of recorded sessions, in its own window."""
        from formcheck.ui.review import ReviewWindow

        store = self._data_store()
        if store is None:
            return
        self.review = ReviewWindow(store)
        self.review.resize(1300, 850)
        self.review.show()

    def _data_store(self) -> Store | None:
        """The session database (opened on first need), or None after saying why it can't be."""
        from formcheck.pipeline.store import Store, StoreError

        try:
            return self.controller.store or Store()
        except StoreError as exc:
            self._on_error(str(exc))
            return None

    def open_programme(self) -> None:
        """The therapist's programme editor, in its own window."""
        from formcheck.ui.programme_view import ProgrammeWindow

        store = self._data_store()
        if store is None:
            return
        self.programme_window = ProgrammeWindow(store, self.library, self.controller.person)
        self.programme_window.saved.connect(lambda _p: self.today.reload())
        self.programme_window.resize(1000, 700)
        self.programme_window.show()

    def import_bundle(self, path: Path) -> str:
        """Import a bundle; returns the sentence shown (what was added, or why nothing was)."""
        from formcheck.pipeline.bundle import import_bundle
        from formcheck.pipeline.store import StoreError

        store = self._data_store()
        if store is None:
            return self._error or ""
        try:
            text = import_bundle(store, path).text()
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
        from formcheck.pipeline.bundle import default_name, export_bundle
        from formcheck.pipeline.store import StoreError

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
        if packet is not None:
            self.view.set_frame(packet.image)
            self.panel.show_performance(packet.fps, packet.latency_ms, packet.dropped)
        coach = self.controller.last
        ex = self.controller.exercise
        if coach is not None and ex is not None:
            self.panel.show_status(coach.status)
            self.panel.show_counts(coach.counts, coach.hold_s, ex.dose.reps)
        if self._error is not None:
            return  # the error stays on screen until the person does something about it
        if ex is None:
            if packet is not None:
                self.banner.show_cue(PICK_EXERCISE, "info")
        elif coach is not None and (packet is not None or coach.status.state in ("rest", "done", "paused")):
            self.banner.show_cue(coach.banner, coach.banner_kind)

    def _on_error(self, message: str) -> None:
        self._latest = None  # a frame still waiting to be painted must not cover the message
        self._error = message
        self.statusBar().showMessage(message)
        self.banner.show_cue(message, "setup")
        self.view.placeholder = message
        self.view.set_frame(None)

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
            self.resize(1280, 800)
        camera = self.settings.value("camera")
        if camera:
            i = self.camera_box.findText(str(camera))
            if i >= 0:
                self.camera_box.setCurrentIndex(i)
        resolution = self.settings.value("resolution")
        if resolution:
            i = self.resolution_box.findText(str(resolution))
            if i >= 0:
                self.resolution_box.setCurrentIndex(i)
        voice = str(self.settings.value("voice", "true")).lower() != "false"
        self.act_voice.setChecked(voice)
        self.set_voice(voice)
        exercise = self.settings.value("exercise")
        if exercise and str(exercise) in self.library:
            self.picker.select(str(exercise))
        if not self.camera_box.count():
            self.no_camera.show()

    def closeEvent(self, event: object) -> None:  # noqa: N802
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.sync()
        self.controller.shutdown()
        super().closeEvent(event)  # type: ignore[arg-type]
