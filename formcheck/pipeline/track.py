"""The per-frame landmark track of a session, kept in memory and saved as ``landmarks.npz``."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from formcheck.core.landmarks import NUM_LANDMARKS, Pose, PoseResult


class LandmarkTrack:
    """Appends ``PoseResult``s; frames without a person are stored as NaN with ``detected=False``.

    npz layout (one row per frame): ``t_ms`` int64; ``detected`` bool; ``image`` float32 (N,33,3)
    pixels as MediaPipe gave them; ``image_smoothed`` float32 (N,33,3) after smoothing; ``world``
    float32 (N,33,3) metres; ``visibility``, ``presence`` float32 (N,33); scalars ``width``,
    ``height``, ``fps``.
    """

    def __init__(self) -> None:
        self._t: list[int] = []
        self._raw: list[Pose | None] = []
        self._smooth: list[Pose | None] = []

    def append(self, raw: PoseResult, smoothed: PoseResult) -> None:
        self._t.append(raw.t_ms)
        self._raw.append(raw.pose)
        self._smooth.append(smoothed.pose)

    def __len__(self) -> int:
        return len(self._t)

    @property
    def frames_with_pose(self) -> int:
        return sum(p is not None for p in self._raw)

    def arrays(self) -> dict[str, np.ndarray]:
        n = len(self._t)
        nan3 = np.full((NUM_LANDMARKS, 3), np.nan, np.float32)
        nan1 = np.full(NUM_LANDMARKS, np.nan, np.float32)

        def stack(poses: list[Pose | None], attr: str, empty: np.ndarray) -> np.ndarray:
            if n == 0:
                return np.zeros((0, *empty.shape), np.float32)
            return np.stack([getattr(p, attr) if p is not None else empty for p in poses])

        return {
            "t_ms": np.asarray(self._t, np.int64),
            "detected": np.asarray([p is not None for p in self._raw], bool),
            "image": stack(self._raw, "image", nan3),
            "image_smoothed": stack(self._smooth, "image", nan3),
            "world": stack(self._raw, "world", nan3),
            "visibility": stack(self._raw, "visibility", nan1),
            "presence": stack(self._raw, "presence", nan1),
        }

    def save(self, path: Path, width: int, height: int, fps: float) -> None:
        np.savez_compressed(path, width=width, height=height, fps=fps, **self.arrays())


def load_track(path: Path) -> dict[str, np.ndarray]:
    """Read a ``landmarks.npz`` written by ``LandmarkTrack.save``."""
    with np.load(path) as data:
        return {k: data[k] for k in data.files}
