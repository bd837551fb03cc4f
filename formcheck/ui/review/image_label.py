"""A plot shown in the review window (progress, adherence, a rep's curve)."""

from __future__ import annotations

import base64

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


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
