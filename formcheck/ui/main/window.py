"""The main window: lays out Today and the exercise list, the video with its note and banner, and
the counter with the stop button; its actions and menus; and wires them to a ``SessionController``
through the session flow (``flow``) and the display (``display``). See the package docstring."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QMenu, QSplitter, QTabWidget, QVBoxLayout, QWidget

from formcheck.core.exercise import ExerciseDef
from formcheck.ui.exercise_picker import ExercisePicker
from formcheck.ui.main import bundles, dialogs, therapist
from formcheck.ui.main.cameras import CameraMenus, find_cameras
from formcheck.ui.main.display import NO_CAMERA, PICK_EXERCISE, REPAINT_MS, CoachDisplay
from formcheck.ui.main.flow import SessionFlow
from formcheck.ui.main.notice import Notice
from formcheck.ui.posture_panel import install_posture
from formcheck.ui.session_controller import SessionController
from formcheck.ui.today import TodayPanel
from formcheck.ui.widgets import Button, CoachPanel, CueBanner, VideoView, fit_to_screen
from formcheck.video.camera import CameraSource
from formcheck.video.source import FrameSource

if TYPE_CHECKING:
    from formcheck.records.store import Store
    from formcheck.ui.setup_check import SetupCheckDialog


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
        self.setup_check: SetupCheckDialog | None = None
        self.skipped_note: QLabel | None = None  # exercise files left out (``app.show_skipped_files``)

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
        self.notice = Notice(NO_CAMERA)
        self.notice_label = self.notice.label  # (the name callers have always used)

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
        self.camera_menus = self._build_menus(cameras)
        self.display = CoachDisplay(controller, self.today, self.camera_menus, self.view, self.banner, self.panel,
                                  self.summary, self.pain_button, self.statusBar, lambda: self.checking_setup)
        self.flow = SessionFlow(controller, self.display, self.notice, self.today, self.picker, self.left, library,
                                settings, self.camera_menus, camera_factory)
        self.camera_menus.refresh()
        self.setAcceptDrops(True)

        self.notice.sample.clicked.connect(self.play_sample)
        self.picker.start_requested.connect(self.start_exercise)
        self.today.finished.connect(self.display.today_finished)
        self.today.started.connect(self.flow.today_started)
        self.today.person.currentTextChanged.connect(lambda name: self.settings.setValue("person", name.strip()))
        self.pain_button.clicked.connect(self.pain_stop)
        controller.ask_keep_video = lambda: dialogs.ask_keep_video(self, self.settings)
        keep = self.settings.value("keep_webcam_video")
        controller.keep_webcam_video = None if keep is None else str(keep).lower() == "true"
        controller.frame.connect(self.display.on_frame)
        controller.error.connect(self.display.show_error)
        # Above the video, so the banner goes on showing the cues.
        controller.notice.connect(lambda text: self.notice.show_text(text, offer_demo=False))
        controller.set_started.connect(self.display.set_started)
        controller.set_finished.connect(self.display.set_finished)
        controller.exercise_finished.connect(self.display.exercise_finished)
        controller.source_ended.connect(self.display.source_ended)
        self.banner.show_cue(PICK_EXERCISE, "info")
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.display.repaint)
        self._timer.start(REPAINT_MS)
        # Issue 19: the desk posture mode (its own module; this is the whole hook).
        install_posture(self, speak=controller.speaker.say, camera=self.camera_menus.for_posture,
                        store=self._data_store, person=lambda: self.controller.person,
                        programme=lambda: self.today.programme.posture if self.today.programme else None)
        self._restore()
        self._focus_first_step()
        if controller.store_problem:  # found while building the window, before errors were wired
            self.display.show_error(controller.store_problem)

    def _build_menus(self, cameras: Callable[[], list[str]]) -> CameraMenus:
        """The actions (each shortcut works wherever the focus is in this window) and the menu bar."""
        def action(text: str, slot: Callable[..., object], key: QKeySequence | QKeySequence.StandardKey | str | None = None,
                   checkable: bool = False) -> QAction:
            act = QAction(text, self, checkable=checkable)
            if key is not None:
                act.setShortcut(QKeySequence(key))
            (act.toggled if checkable else act.triggered).connect(slot)
            self.addAction(act)
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

        def fill(menu: QMenu, actions: tuple[QAction | None, ...]) -> None:
            for item in actions:
                if item is None:
                    menu.addSeparator()
                else:
                    menu.addAction(item)

        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(self.act_camera)
        camera_menus = CameraMenus(self, file_menu, cameras)
        fill(file_menu, (self.act_open, self.act_sample, None, self.act_import, self.act_export, None, self.act_quit))
        fill(bar.addMenu("&Exercise"), (self.act_pause, self.act_stop, self.act_skip, self.act_pain, None,
                                        self.act_voice))
        fill(bar.addMenu("&Therapist"), (self.act_setup, self.act_review, self.act_programme))
        fill(bar.addMenu("&Help"), (self.act_keys, self.act_perf))
        return camera_menus

    def _focus_first_step(self) -> None:
        """Where the keyboard starts: Today's Start, or the exercise list."""
        if self.left.currentWidget() is self.today and self.today.start_button.isEnabled():
            self.today.start_button.setFocus()
        else:
            self.picker.tree.setFocus()

    # ---- the person's path (see ``flow``) ------------------------------------------------------
    def use_camera(self) -> None:
        self.flow.use_camera()

    def open_video_dialog(self) -> None:
        path = dialogs.ask_video(self, self.settings, self.flow.exercise_to_film())
        if path is not None:
            self.open_video(path)

    def open_video(self, path: Path) -> None:
        self.flow.open_video(path)

    def play_sample(self) -> None:
        self.flow.play_sample()

    def first_start(self) -> None:
        """Opened without a camera: the demo plays (so the view is never a silent black box) and
        the note above it says how to exercise for real."""
        self.play_sample()

    def source_for_today(self, first: bool) -> None:
        self.flow.source_for_today(first)

    def start_exercise(self, exercise_id: str) -> None:
        self.flow.start_exercise(exercise_id)

    def start_definition(self, ex: ExerciseDef) -> ExerciseDef:
        return self.flow.start_definition(ex)

    def pain_stop(self) -> None:
        self.flow.pain_stop()

    def open_setup_check(self) -> None:
        dialog = self.flow.open_setup_check(self)
        if dialog is not None:
            self.setup_check = dialog

    @property
    def checking_setup(self) -> bool:
        return self.setup_check is not None and self.setup_check.isVisible()

    def set_paused(self, paused: bool) -> None:
        self.controller.set_paused(paused)
        self.act_pause.setText("Carry on" if paused else "Pause")

    def set_voice(self, on: bool) -> None:
        self.controller.speaker.set_enabled(on)
        self.settings.setValue("voice", on)
        self.act_voice.setText("Voice on" if on else "Voice off")

    def show_shortcuts(self) -> None:
        dialogs.show_shortcuts(self)

    # ---- the therapist's windows and bundles (see ``therapist`` and ``bundles``) ----------------
    def _data_store(self) -> Store | None:
        return therapist.data_store(self.controller, self.display.show_error)

    def open_review(self) -> None:
        store = self._data_store()
        if store is not None:
            self.review = therapist.open_review(self, store, self.library)

    def open_programme(self) -> None:
        store = self._data_store()
        if store is not None:
            self.programme_window = therapist.open_programme(self, store, self.library, self.controller.person,
                                                             self.today.reload)

    def import_bundle(self, path: Path, ask: Callable[[str], bool] | None = None) -> str:
        """Import a bundle; returns the sentence shown (``bundles.import_bundle``; ``ask``: a
        dialog by default)."""
        store = self._data_store()
        if store is None:
            return self.display.error or ""
        return bundles.import_bundle(store, path, ask or bundles.ask_yes_no(self), self.today.reload)

    def import_bundle_dialog(self) -> None:
        bundles.import_bundle_dialog(self, self.import_bundle)

    def export_bundle_dialog(self) -> None:
        store = self._data_store()
        if store is not None:
            bundles.export_bundle_dialog(self, store, self.today.people(), self.controller.person)

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
        self.camera_menus.restore(self.settings)
        voice = str(self.settings.value("voice", "true")).lower() != "false"
        self.act_voice.setChecked(voice)
        self.set_voice(voice)
        exercise = self.settings.value("exercise")
        if exercise and str(exercise) in self.library:
            self.picker.select(str(exercise))
        if not self.camera_menus.cameras:
            self.notice.show_text(NO_CAMERA, offer_demo=True)

    def closeEvent(self, event: object) -> None:  # noqa: N802
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.sync()
        self.controller.shutdown()
        super().closeEvent(event)  # type: ignore[arg-type]
