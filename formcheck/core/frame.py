"""The frame packet that flows from a frame source into the pose stage."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True, eq=False)
class Frame:
    """One captured image. ``image`` is BGR uint8 (OpenCV's order), H×W×3."""

    index: int
    t_ms: int
    image: np.ndarray

    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        return int(self.image.shape[0])
