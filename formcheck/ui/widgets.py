"""Small display widgets: the video view, the cue banner and the coaching panel; a button that
Enter presses and the fitting of a window to the screen it opens on."""

from __future__ import annotations

from collections import deque

import numpy as np
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QGuiApplication, QImage, QKeyEvent, QPainter
from PySide6.QtWidgets import QFrame, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from formcheck.core.coach import FlowStatus

CUE_STYLES = {
    "setup": ("#b35900", "white"),
    "fault": ("#b3261e", "white"),
    "positive": ("#2e7d32", "white"),
    "milestone": ("#1565c0", "white"),
    "info": ("#37474f", "white"),
}


WAITING_FOR_SOURCE = "Waiting for the camera or a video"


class Button(QPushButton):
    """A push button that Enter presses as well as Space (outside dialogs Qt's only takes Space),
    so every step of the person's path can be taken from the keyboard."""

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.isEnabled():
            self.click()
            return
        super().keyPressEvent(event)


def fit_to_screen(window: QWidget, width: int, height: int) -> None:
    """Open at ``width`` × ``height``, or smaller when the screen is (a 1024 × 700 laptop)."""
    screen = window.screen() or QGuiApplication.primaryScreen()
    if screen is not None:
        room = screen.availableGeometry()
        width, height = min(width, room.width() - 16), min(height, room.height() - 48)  # the frame around it
    window.resize(width, height)


class VideoView(QWidget):
    """Paints the latest annotated frame, scaled to fit with its aspect ratio kept."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._image: QImage | None = None
        self.placeholder = "No video yet — choose a camera or open a video file."
        self.setMinimumSize(320, 240)
        self.setAccessibleName("Camera view")

    def set_frame(self, bgr: np.ndarray | None) -> None:
        if bgr is None:
            self._image = None
        else:
            rgb = np.ascontiguousarray(bgr[:, :, ::-1])
            h, w = rgb.shape[:2]
            # copy(): QImage must own its pixels, the numpy buffer goes away.
            self._image = QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
        self.update()

    @property
    def has_frame(self) -> bool:
        return self._image is not None

    def paintEvent(self, event: object) -> None:  # noqa: N802 - Qt's name
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#20252b"))
        if self._image is None:
            p.setPen(QColor("#cfd8dc"))
            f = p.font()
            f.setPointSize(14)
            p.setFont(f)
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.placeholder)
            return
        img = self._image.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        x, y = (self.width() - img.width()) // 2, (self.height() - img.height()) // 2
        p.drawImage(QRect(x, y, img.width(), img.height()), self._image)


class CueBanner(QLabel):
    """The current cue in large type, readable from a mat 2–3 m away. Its height is fixed (the
    video above doesn't jump when the message changes); the type is as large as fits."""

    HEIGHT = 96
    PADDING = 8
    SIZES_PT = (30, 26, 22, 18, 15, 12, 10)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        f = QFont()
        f.setPointSize(self.SIZES_PT[0])
        f.setBold(True)
        self.setFont(f)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWordWrap(True)
        self.setFixedHeight(self.HEIGHT)
        self.setMinimumWidth(200)
        self.setAccessibleName("Coaching message")
        self._shown: tuple[str, str] | None = None
        self.history: deque[str] = deque(maxlen=500)  # the messages shown, newest last (a log for tests)
        self.show_cue("", "info")

    def show_cue(self, text: str, kind: str) -> None:
        if (text, kind) == self._shown:
            return  # restyling a label is costly; the window asks every repaint
        self._shown = (text, kind)
        if text:
            self.history.append(text)
        bg, fg = CUE_STYLES.get(kind, CUE_STYLES["info"])
        self.setText(text)
        self._fit()
        self.setStyleSheet(
            f"QLabel {{ background: {bg if text else '#263238'}; color: {fg}; border-radius: 10px; "
            f"padding: {self.PADDING}px; }}"
        )

    def fits(self) -> bool:
        """The whole message shows (wrapped) inside the banner at its present type size."""
        room = self.contentsRect().adjusted(self.PADDING, self.PADDING, -self.PADDING, -self.PADDING)
        needed = QFontMetrics(self.font()).boundingRect(0, 0, max(1, room.width()), 10_000,
                                                       int(Qt.TextFlag.TextWordWrap), self.text())
        return needed.width() <= room.width() and needed.height() <= room.height()

    def _fit(self) -> None:
        font = self.font()
        for pt in self.SIZES_PT:
            font.setPointSize(pt)
            self.setFont(font)
            if self.fits():
                return

    def resizeEvent(self, event: object) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)  # type: ignore[arg-type]
        self._fit()


class CoachPanel(QFrame):
    """Exercise, set, rep counter, hold timer, primary angle, and FPS/latency."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setMinimumWidth(230)
        lay = QVBoxLayout(self)
        self.exercise = QLabel("No exercise chosen")
        self.exercise.setStyleSheet("font-size: 20px; font-weight: bold;")
        self.exercise.setWordWrap(True)
        self.state = QLabel("")
        self.state.setWordWrap(True)
        self.state.setStyleSheet("font-size: 16px;")
        self.counter = QLabel("–")
        font = QFont()
        font.setPixelSize(44)
        font.setBold(True)
        self.counter.setFont(font)
        self.counter.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hold = QProgressBar()
        self.hold.setFormat("Hold %v / %m s")
        self.hold.setTextVisible(True)
        self.hold.setMinimumHeight(28)
        self.hold.hide()
        self.perf = QLabel("")
        self.perf.setStyleSheet("color: #607d8b;")
        self.perf.hide()  # speed figures are for whoever checks the app (Help menu), not the person
        for w in (self.exercise, self.state, self.counter, self.hold):
            lay.addWidget(w)
        lay.addStretch(1)
        lay.addWidget(self.perf)

    def clear(self) -> None:
        self.exercise.setText("No exercise chosen")
        self.state.setText("")
        self.counter.setText("–")
        self.counter.show()
        self.hold.hide()

    def set_exercise(self, name: str, dose: str, is_hold: bool, target_s: float = 0.0) -> None:
        self.exercise.setText(f"{name}\n{dose}")
        self.counter.setText("0" if not is_hold else "")
        self.counter.setVisible(not is_hold)
        self.hold.setVisible(is_hold)
        self.hold.setRange(0, max(1, round(target_s)))
        self.hold.setValue(0)

    def show_status(self, status: FlowStatus, source: bool = True, done: str = "Exercise finished") -> None:
        """The exercise's step; before a camera or video shows it (``source`` False), that it waits;
        once over, ``done`` (how it ended)."""
        text = {
            "setup": ("Getting set up — " + (status.setup_message or "hold still, starting…")) if source
            else WAITING_FOR_SOURCE,
            "counting": f"Set {status.set_number} of {status.sets_total}",
            "rest": f"Rest {status.rest_left_s:.0f} s — next: set {status.set_number} of {status.sets_total}",
            "paused": "Paused",
            "done": done,
        }[status.state]
        if self.state.text() != text:
            self.state.setText(text)

    def show_counts(self, counts: dict[str, int], hold_s: float, reps_target: int | None) -> None:
        """The counter of the set under way (while resting: of the set just finished)."""
        tgt = f"/{reps_target}" if reps_target else ""
        if "left" in counts:
            text = f"L {counts['left']}{tgt}  R {counts.get('right', 0)}{tgt}"
        else:
            text = f"{counts.get('all', 0)}" + (f" / {reps_target}" if reps_target else "")
        if self.counter.text() != text:  # repainting the same text every tick is wasted work
            self.counter.setText(text)
            self._fit_counter()
        if self.hold.isVisible():
            self.hold.setValue(min(self.hold.maximum(), int(hold_s)))

    def _fit_counter(self) -> None:
        """Largest type (up to 44 px) at which the whole counter fits: "L 10/10  R 10/10" too."""
        room = max(self.counter.width(), self.minimumWidth()) - 16
        font = self.counter.font()
        for px in (44, 36, 30, 24, 20):
            font.setPixelSize(px)
            if QFontMetrics(font).horizontalAdvance(self.counter.text()) <= room:
                break
        self.counter.setFont(font)

    def resizeEvent(self, event: object) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)  # type: ignore[arg-type]
        self._fit_counter()

    def show_performance(self, fps: float, latency_ms: float, dropped: int) -> None:
        self.perf.setText(f"{fps:.0f} fps · latency {latency_ms:.0f} ms · dropped {dropped}")
