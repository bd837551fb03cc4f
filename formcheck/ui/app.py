"""Start the desktop app: `formcheck` or `formcheck app [--video PATH] [--camera DEV]`."""

from __future__ import annotations

import logging
import signal
import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QSettings, QTimer
from PySide6.QtWidgets import QApplication, QLabel

from formcheck.exercises.loader import load_library
from formcheck.exercises.toml_reader import ExerciseFileError
from formcheck.paths import config_dir
from formcheck.pose.estimator import PoseEstimator
from formcheck.records.store import Store
from formcheck.ui.main.window import MainWindow
from formcheck.ui.session_controller import SessionController

log = logging.getLogger(__name__)


def settings_path() -> Path:
    return config_dir() / "formcheck.ini"


def build_window(settings: QSettings | None = None) -> MainWindow:
    """The window with real parts: the exercise library, the MediaPipe model and the voice."""
    controller = SessionController(lambda: PoseEstimator(mode="live"), store_factory=Store)
    settings = settings or QSettings(str(settings_path()), QSettings.Format.IniFormat)
    library = load_library()
    window = MainWindow(library.exercises, controller, settings)
    if library.problems:
        show_skipped_files(window, library.problems)
    return window


def show_skipped_files(window: MainWindow, problems: tuple[ExerciseFileError, ...]) -> None:
    """A lasting note in the status bar rather than a box at start-up: the app is usable with the
    exercises that loaded, and the note says which files were left out and why."""
    for problem in problems:
        log.warning("skipped exercise file %s", problem)
    note = QLabel(f"⚠ {len(problems)} exercise file(s) could not be loaded (hover for why)")
    note.setToolTip("\n".join(str(p) for p in problems))
    window.statusBar().addPermanentWidget(note)
    window.skipped_note = note


def _stop_on_signals(app: QCoreApplication, window: MainWindow) -> None:
    """Ctrl-C, SIGTERM (logout, kill) and SIGHUP (terminal closed) close the session as
    'interrupted', keeping everything recorded, instead of killing the app mid-write."""

    def stop(signum: int, _frame: object) -> None:
        window.controller.shutdown("interrupted", f"the app was stopped ({signal.Signals(signum).name})")
        app.quit()

    for sig in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if sig is not None:
            signal.signal(sig, stop)
    # Python runs signal handlers only when it gets control; Qt's event loop is C++, so wake it.
    wake = QTimer(app)
    wake.timeout.connect(lambda: None)
    wake.start(200)


def run_app(video: Path | None = None, camera: str | None = None, exercise: str | None = None) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("formcheck")
    window = build_window()
    _stop_on_signals(app, window)
    window.show()
    start_up(window, video, camera, exercise)
    return app.exec()


def start_up(window: MainWindow, video: Path | None = None, camera: str | None = None,
             exercise: str | None = None) -> None:
    """What the window shows first: what the command line asked for, or on a computer without a
    camera the bundled demo (a squat clip, looping, never saved or spoken) so there is never a
    black view; the note above it says how to use a camera or a video of yourself instead."""
    if exercise:
        window.left.setCurrentWidget(window.picker)
        window.picker.select(exercise)
        window.start_exercise(exercise)
    if video is not None:
        window.open_video(video)
    elif camera is not None:
        if camera not in window.camera_menus.cameras:
            window.camera_menus.cameras.append(camera)
        window.camera_menus.select_camera(camera)
        window.use_camera()
    elif not window.camera_menus.cameras and not exercise:
        window.first_start()
