"""The note above the video: no camera found, the demo is playing, how to check the placement;
with a one-click demo where that helps."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from formcheck.ui.widgets import Button


class Notice(QWidget):
    def __init__(self, text: str) -> None:
        super().__init__()
        lay = QHBoxLayout(self)
        self.label = QLabel(text)
        self.label.setWordWrap(True)
        self.sample = Button("Watch the demo video")
        lay.addWidget(self.label, 1)
        lay.addWidget(self.sample)
        self.setStyleSheet("background: #fff3e0; border-radius: 6px;")
        self.hide()

    def show_text(self, text: str, offer_demo: bool) -> None:
        self.label.setText(text)
        self.sample.setVisible(offer_demo)
        self.show()
