"""The replay of a recorded session: its video with the stored skeleton and the cues given at the
time; play/pause, scrub, frame steps, and a jump to the next/previous moment a fault began."""

from __future__ import annotations

import bisect
from pathlib import Path

import cv2
import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSlider, QVBoxLayout, QWidget

from formcheck.core.landmarks import PoseResult
from formcheck.core.overlay import Overlay
from formcheck.records.database.rows import SessionDetail
from formcheck.records.session_events import Cue
from formcheck.records.session_track import TRACK_COLUMNS, read_track, track_pose
from formcheck.reports.evidence import session_video
from formcheck.ui.widgets import VideoView
from formcheck.video.annotate import annotate

PICK_SESSION = "Pick a session"


class SessionPlayer(QWidget):
    """Replays a recorded session's video with its stored skeleton and the cues given at the time."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = VideoView()
        self.view.setMinimumSize(240, 150)  # the review window fits a small laptop screen
        self.view.placeholder = PICK_SESSION
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.play_button = QPushButton("Play")
        self.prev_flag = QPushButton("◀ flagged")
        self.next_flag = QPushButton("flagged ▶")
        self.step_back = QPushButton("◀ frame")
        self.step_fwd = QPushButton("frame ▶")
        self.position = QLabel("")
        row = QHBoxLayout()
        for w in (self.prev_flag, self.step_back, self.play_button, self.step_fwd, self.next_flag, self.position):
            row.addWidget(w)
        lay = QVBoxLayout(self)
        lay.addWidget(self.view, 1)
        lay.addWidget(self.slider)
        lay.addLayout(row)
        self._cap: cv2.VideoCapture | None = None
        self._fps = 30.0
        self._track = np.zeros((0, TRACK_COLUMNS), np.float32)
        self._cues: tuple[Cue, ...] = ()
        self._flags: list[float] = []
        self._size = (640, 480)
        self._t0_ms = 0.0
        self.frame_index = 0
        self._timer = QTimer(self)
        self._timer.timeout.connect(lambda: self.show_frame(self.frame_index + 1))
        self.play_button.clicked.connect(self.toggle)
        self.slider.valueChanged.connect(self.show_frame)
        self.step_back.clicked.connect(lambda: self.show_frame(self.frame_index - 1))
        self.step_fwd.clicked.connect(lambda: self.show_frame(self.frame_index + 1))
        self.next_flag.clicked.connect(lambda: self.jump_flag(+1))
        self.prev_flag.clicked.connect(lambda: self.jump_flag(-1))

    def load(self, detail: SessionDetail) -> bool:
        """Open a session; False (with a message in the view) when its video isn't kept."""
        self.pause()
        self._track = read_track(detail.folder)
        self._cues = detail.cues
        # "Flagged ▶" goes to the moment each fault began, not merely to the rep.
        self._flags = sorted({f.t_s for st in detail.sets for r in st.reps for f in r.faults}
                             | {f.t_s for st in detail.sets for h in st.holds for f in h.faults})
        if self._cap is not None:
            self._cap.release()
        found = session_video(detail.folder, detail.source)
        video, self._t0_ms = found if found is not None else (Path(detail.source), 0.0)
        self._cap = cv2.VideoCapture(str(video)) if found is not None else None
        if self._cap is None or not self._cap.isOpened():
            self._cap = None
            self.view.placeholder = "The video of this session was not kept; the report still has its data."
            self.view.set_frame(None)
            return False
        self._fps = self._cap.get(cv2.CAP_PROP_FPS) or 30.0
        self._size = (int(self._cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(self._cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
        count = int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT))
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, count - 1))
        self.slider.setValue(0)
        self.slider.blockSignals(False)
        self.show_frame(0)
        return True

    def clear(self) -> None:
        """Nothing on show (no session chosen): no frame of a previous session stays."""
        self.pause()
        if self._cap is not None:
            self._cap.release()
        self._cap = None
        self._track = np.zeros((0, TRACK_COLUMNS), np.float32)
        self._cues, self._flags = (), []
        self.slider.blockSignals(True)
        self.slider.setRange(0, 0)
        self.slider.blockSignals(False)
        self.position.setText("")
        self.view.placeholder = PICK_SESSION
        self.view.set_frame(None)

    def toggle(self) -> None:
        (self.pause if self._timer.isActive() else self.play)()

    def play(self) -> None:
        if self._cap is not None:
            self._timer.start(int(1000 / self._fps))
            self.play_button.setText("Pause")

    def pause(self) -> None:
        self._timer.stop()
        self.play_button.setText("Play")

    @property
    def current_s(self) -> float:
        """The shown frame's time on the session's clock (the one reps and cues use)."""
        return self._t0_ms / 1000 + self.frame_index / self._fps

    def seek_seconds(self, t_s: float) -> None:
        self.show_frame(int(round((t_s - self._t0_ms / 1000) * self._fps)))

    def jump_flag(self, direction: int) -> None:
        # A 0.2 s margin: standing on a flagged rep's first frame, "previous" means the one before.
        now = self.current_s
        if direction > 0:
            i = bisect.bisect_right(self._flags, now + 0.2)
            target = self._flags[i] if i < len(self._flags) else None
        else:
            i = bisect.bisect_left(self._flags, now - 0.2) - 1
            target = self._flags[i] if i >= 0 else None
        if target is not None:
            self.seek_seconds(target)

    def show_frame(self, index: int) -> None:
        if self._cap is None:
            return
        index = max(0, min(index, self.slider.maximum()))
        if index != self.frame_index + 1:  # sequential reads are cheap; anything else seeks
            self._cap.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, image = self._cap.read()
        if not ok:
            self.pause()
            return
        self.frame_index = index
        t_ms = self._t0_ms + index * 1000 / self._fps
        self.view.set_frame(annotate(image, self._result_at(t_ms), self._overlay_at(t_ms / 1000)))
        self.slider.blockSignals(True)
        self.slider.setValue(index)
        self.slider.blockSignals(False)
        self.position.setText(f"{t_ms / 1000:.1f} s")

    def _result_at(self, t_ms: float) -> PoseResult:
        w, h = self._size
        if not len(self._track):
            return PoseResult(int(t_ms), w, h, None)
        i = int(np.argmin(np.abs(self._track[:, 0] - t_ms)))
        recorded = track_pose(self._track[i])
        if abs(recorded.t_ms - t_ms) > 100:
            return PoseResult(int(t_ms), w, h, None)
        return PoseResult(int(t_ms), w, h, recorded.pose)

    def _overlay_at(self, t_s: float) -> Overlay:
        shown = [c for c in self._cues if c.t_s <= t_s < c.t_s + 2.5]
        if not shown:
            return Overlay()
        cue = shown[-1]
        level = {"setup": "setup", "fault": "fault", "positive": "good", "milestone": "good"}.get(cue.kind, "info")
        return Overlay(cue=cue.text, cue_level=level)  # type: ignore[arg-type]
