"""The real window for UI tests: real widgets, the real model and database; the camera is the only
stand-in (a device that plays a video file). Helpers drive it as a person does: keys to the widget
that has the focus, and the real file dialog filled in and accepted."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import pytest
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit

from formcheck.exercises.loader import load_library
from formcheck.pose.estimator import PoseEstimator
from formcheck.records.store import Store
from formcheck.ui.main.window import MainWindow
from formcheck.ui.session_controller import SessionController
from formcheck.ui.speech import Speaker
from formcheck.video.camera import CameraSource


class FakeCameraDevice:
    """Stands in for cv2.VideoCapture on a webcam: plays a clip at its frame rate, after holding
    its first frame for ``lead_s`` (the person standing still in view), then stops delivering
    (unplugged) after ``fail_after`` frames or at the end of the clip (``loop``: plays it again)."""

    def __init__(self, path, lead_s: float = 1.5, fail_after: int | None = None, loop: bool = False):
        self.path, self.loop = path, loop
        self.cap = cv2.VideoCapture(str(path))
        self.fps = self.cap.get(cv2.CAP_PROP_FPS) or 30.0
        ok, self.first = self.cap.read()
        self.lead = int(lead_s * self.fps)
        self.fail_after = fail_after
        self.n = 0
        self.next_t = time.monotonic()

    def isOpened(self):  # noqa: N802 - cv2's API
        return True

    def set(self, *_):
        return True

    def get(self, prop):
        return self.fps if prop == cv2.CAP_PROP_FPS else 0.0

    def read(self):
        self.next_t += 1.0 / self.fps
        time.sleep(max(0.0, self.next_t - time.monotonic()))
        self.n += 1
        if self.fail_after is not None and self.n > self.fail_after:
            return False, None
        if self.n <= self.lead:
            return True, self.first.copy()
        ok, image = self.cap.read()
        if not ok and self.loop:
            self.cap.release()
            self.cap = cv2.VideoCapture(str(self.path))
            ok, image = self.cap.read()
        return ok, image

    def release(self):
        self.cap.release()


def make_window(qtbot, tmp_path: Path, model_path: Path, cameras: list[str], keep_video: bool = False,
                store_factory: Callable[[], Store] | None = None) -> MainWindow:
    """The window; its sessions in ``tmp_path/data/formcheck.db`` unless ``store_factory`` says otherwise."""
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue("keep_webcam_video", keep_video)
    speaker = Speaker(command=["true"])  # a real process per cue, silent; every line is logged
    controller = SessionController(lambda: PoseEstimator(model_path, mode="live"), speaker,
                                   store_factory=store_factory or (lambda: Store(tmp_path / "data" / "formcheck.db")))
    devices: dict = {}

    def camera_factory(device, size):
        return CameraSource(device, *size, capture_factory=lambda _d: devices[device](), stall_timeout_s=2.0)

    w = MainWindow(load_library().exercises, controller, settings, camera_factory=camera_factory,
                   cameras=lambda: list(cameras))
    w.devices = devices
    qtbot.addWidget(w)
    w.resize(1280, 720)  # the smallest of the screens the window is made for
    w.show()
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w, timeout=5000)
    return w


@pytest.fixture
def window(qtbot, tmp_path, model_path, request):
    """The window with one (fake) camera, /dev/video0."""
    w = make_window(qtbot, tmp_path, model_path, ["/dev/video0"], getattr(request, "param", False))
    yield w
    w.controller.shutdown()


@pytest.fixture
def window_no_camera(qtbot, tmp_path, model_path):
    """The window on a computer without a camera: videos are opened from files."""
    w = make_window(qtbot, tmp_path, model_path, [])
    yield w
    w.controller.shutdown()


def press(qtbot, key, modifier=Qt.KeyboardModifier.NoModifier, times: int = 1) -> None:
    """A key press as the person makes it: to whichever widget has the keyboard focus."""
    for _ in range(times):
        target = QApplication.focusWidget() or QApplication.activeWindow()
        assert target is not None, "nothing has the keyboard focus"
        qtbot.keyClick(target, key, modifier)


def focused():
    return QApplication.focusWidget()


def when_shown(kind: type, act: Callable[[Any], None]) -> None:
    """Call ``act`` on the next visible top-level widget of ``kind``: a modal dialog blocks the
    test's own code while it is open, so the look runs from the event loop every 100 ms."""
    def look() -> None:
        shown = [w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()]
        if shown:
            act(shown[0])
        else:
            QTimer.singleShot(100, look)

    QTimer.singleShot(100, look)


def fill_file_dialog(qtbot, path: Path, seen: list | None = None) -> None:
    """Type ``path`` into the next file dialog (open or save) and press Enter."""
    def fill(dialog: QFileDialog) -> None:
        if seen is not None:
            seen.append(dialog)
        edit = dialog.findChild(QLineEdit, "fileNameEdit")
        edit.setText(str(path))
        qtbot.keyClick(edit, Qt.Key.Key_Return)

    when_shown(QFileDialog, fill)


def open_video_with_keys(qtbot, path: Path) -> None:
    """Ctrl+O, then the path typed into the file dialog and Enter: the real dialog, driven."""
    seen: list[QFileDialog] = []
    fill_file_dialog(qtbot, path, seen)
    before = QApplication.activeWindow()
    press(qtbot, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)  # returns when the dialog has closed
    assert seen, "Ctrl+O opened no file dialog"
    if before is not None and QApplication.activeWindow() is None:  # what a window manager does
        before.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is before, timeout=5000)


def said(window) -> list[str]:
    """Every line the app asked the voice to say, in order."""
    return list(window.controller.speaker.asked)
