"""One 0–10 rating (pain, effort) as Today asks it: a slider for the arrow keys, Enter answers."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QVBoxLayout, QWidget

from formcheck.core.pain import NRS_MAX, NRS_MIN


class _Slider(QSlider):
    entered = Signal()  # Enter pressed: the answer is given

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.entered.emit()
            return
        super().keyPressEvent(event)


class Scale(QWidget):
    """One 0–10 rating: a slider (arrow keys, Enter answers) with its value shown large."""

    def __init__(self, question: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.question = QLabel(question)
        self.question.setWordWrap(True)
        self.question.setStyleSheet("font-size: 14px;")
        self.slider = _Slider(Qt.Orientation.Horizontal)
        self.slider.setRange(NRS_MIN, NRS_MAX)
        self.slider.setPageStep(1)
        self.slider.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.slider.setAccessibleName(question)
        self.value_label = QLabel("0")
        self.value_label.setStyleSheet("font-size: 22px; font-weight: bold;")
        self.value_label.setMinimumWidth(30)
        self.slider.valueChanged.connect(lambda v: self.value_label.setText(str(v)))
        row = QHBoxLayout()
        row.addWidget(self.slider, 1)
        row.addWidget(self.value_label)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.question)
        lay.addLayout(row)

    @property
    def value(self) -> int:
        return self.slider.value()
