"""Which camera "Use camera" opens, and at what size: the File menu's Camera and Camera resolution
submenus, remembered in the settings."""

from __future__ import annotations

import glob
import sys
from collections.abc import Callable

from PySide6.QtCore import QSettings
from PySide6.QtGui import QActionGroup
from PySide6.QtWidgets import QMenu, QWidget

# The pose model works on a 256 px crop, so more pixels mostly cost time: 640×480 is the default.
RESOLUTIONS = ((640, 480), (1280, 720), (320, 240))


def find_cameras() -> list[str]:
    """Camera devices present (Linux: /dev/video*; elsewhere index 0 is offered)."""
    if sys.platform.startswith("linux"):
        return sorted(glob.glob("/dev/video*"))
    return ["0"]


class CameraMenus:
    def __init__(self, window: QWidget, file_menu: QMenu, find: Callable[[], list[str]]) -> None:
        self._find = find
        self.cameras: list[str] = []
        self.camera = ""
        self.resolution = RESOLUTIONS[0]
        self.camera_menu = file_menu.addMenu("Camera")
        self.resolution_menu = file_menu.addMenu("Camera resolution")
        self._resolutions = QActionGroup(window)
        for w, h in RESOLUTIONS:
            act = self.resolution_menu.addAction(f"{w}×{h}")
            act.setCheckable(True)
            act.setData((w, h))
            act.setChecked((w, h) == self.resolution)
            self._resolutions.addAction(act)
        self._resolutions.triggered.connect(lambda act: self.select_resolution(act.data()))

    def refresh(self) -> None:
        self.cameras = self._find()
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

    def for_posture(self) -> str:
        """The camera posture mode samples: the chosen one, else the first found, else index 0."""
        return self.camera or (self.cameras[0] if self.cameras else "0")

    def remember(self, settings: QSettings) -> None:
        settings.setValue("camera", self.camera)
        settings.setValue("resolution", f"{self.resolution[0]}×{self.resolution[1]}")

    def restore(self, settings: QSettings) -> None:
        camera = settings.value("camera")
        if camera and str(camera) in self.cameras:
            self.select_camera(str(camera))
        resolution = str(settings.value("resolution", ""))
        for w, h in RESOLUTIONS:
            if resolution == f"{w}×{h}":
                self.select_resolution((w, h))
