"""Pose packets: the 33 BlazePose landmarks as frozen, numpy-backed types.

Coordinate units (the one place they are defined):

* ``Pose.image`` — shape (33, 3), float32. x and y are **pixels** of the analysed frame, origin at
  the top-left corner, y pointing down. z is MediaPipe's relative depth (smaller = nearer the
  camera, hip midpoint ≈ 0) scaled by the frame width so it has the same unit as x.
  Pixels, not MediaPipe's normalised [0, 1] coordinates, so 2D angles are aspect-correct.
* ``Pose.world`` — shape (33, 3), float32, metres, origin between the hips, y pointing down
  (MediaPipe's world landmarks, unchanged).
* ``Pose.visibility`` / ``Pose.presence`` — shape (33,), float32 in [0, 1]: likelihood that the
  point is visible (not occluded) / present in the frame.

Time is always integer milliseconds (``t_ms``) on the source's monotonic clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np

NUM_LANDMARKS = 33


class L(IntEnum):
    """BlazePose landmark indices (MediaPipe order)."""

    NOSE = 0
    LEFT_EYE_INNER = 1
    LEFT_EYE = 2
    LEFT_EYE_OUTER = 3
    RIGHT_EYE_INNER = 4
    RIGHT_EYE = 5
    RIGHT_EYE_OUTER = 6
    LEFT_EAR = 7
    RIGHT_EAR = 8
    MOUTH_LEFT = 9
    MOUTH_RIGHT = 10
    LEFT_SHOULDER = 11
    RIGHT_SHOULDER = 12
    LEFT_ELBOW = 13
    RIGHT_ELBOW = 14
    LEFT_WRIST = 15
    RIGHT_WRIST = 16
    LEFT_PINKY = 17
    RIGHT_PINKY = 18
    LEFT_INDEX = 19
    RIGHT_INDEX = 20
    LEFT_THUMB = 21
    RIGHT_THUMB = 22
    LEFT_HIP = 23
    RIGHT_HIP = 24
    LEFT_KNEE = 25
    RIGHT_KNEE = 26
    LEFT_ANKLE = 27
    RIGHT_ANKLE = 28
    LEFT_HEEL = 29
    RIGHT_HEEL = 30
    LEFT_FOOT_INDEX = 31
    RIGHT_FOOT_INDEX = 32


# Joints that exist on both sides, by short name as used in exercise files ("hip", "knee", ...).
SIDED_JOINTS: dict[str, tuple[L, L]] = {
    "eye": (L.LEFT_EYE, L.RIGHT_EYE),
    "ear": (L.LEFT_EAR, L.RIGHT_EAR),
    "mouth": (L.MOUTH_LEFT, L.MOUTH_RIGHT),
    "shoulder": (L.LEFT_SHOULDER, L.RIGHT_SHOULDER),
    "elbow": (L.LEFT_ELBOW, L.RIGHT_ELBOW),
    "wrist": (L.LEFT_WRIST, L.RIGHT_WRIST),
    "index": (L.LEFT_INDEX, L.RIGHT_INDEX),
    "hip": (L.LEFT_HIP, L.RIGHT_HIP),
    "knee": (L.LEFT_KNEE, L.RIGHT_KNEE),
    "ankle": (L.LEFT_ANKLE, L.RIGHT_ANKLE),
    "heel": (L.LEFT_HEEL, L.RIGHT_HEEL),
    "foot_index": (L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX),
}

# Skeleton segments drawn by annotators and coloured by rule status.
SKELETON: tuple[tuple[L, L], ...] = (
    (L.LEFT_SHOULDER, L.RIGHT_SHOULDER),
    (L.LEFT_HIP, L.RIGHT_HIP),
    (L.LEFT_SHOULDER, L.LEFT_HIP),
    (L.RIGHT_SHOULDER, L.RIGHT_HIP),
    (L.LEFT_SHOULDER, L.LEFT_ELBOW),
    (L.LEFT_ELBOW, L.LEFT_WRIST),
    (L.RIGHT_SHOULDER, L.RIGHT_ELBOW),
    (L.RIGHT_ELBOW, L.RIGHT_WRIST),
    (L.LEFT_HIP, L.LEFT_KNEE),
    (L.LEFT_KNEE, L.LEFT_ANKLE),
    (L.RIGHT_HIP, L.RIGHT_KNEE),
    (L.RIGHT_KNEE, L.RIGHT_ANKLE),
    (L.LEFT_ANKLE, L.LEFT_HEEL),
    (L.LEFT_HEEL, L.LEFT_FOOT_INDEX),
    (L.LEFT_ANKLE, L.LEFT_FOOT_INDEX),
    (L.RIGHT_ANKLE, L.RIGHT_HEEL),
    (L.RIGHT_HEEL, L.RIGHT_FOOT_INDEX),
    (L.RIGHT_ANKLE, L.RIGHT_FOOT_INDEX),
    (L.NOSE, L.LEFT_EYE),
    (L.NOSE, L.RIGHT_EYE),
    (L.LEFT_EYE, L.LEFT_EAR),
    (L.RIGHT_EYE, L.RIGHT_EAR),
)


def _frozen_array(a: np.ndarray, shape: tuple[int, ...], name: str) -> np.ndarray:
    arr = np.array(a, dtype=np.float32, copy=True)
    if arr.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {arr.shape}")
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, slots=True, eq=False)
class Pose:
    """One detected person: image and world landmarks with per-point confidence."""

    image: np.ndarray
    world: np.ndarray
    visibility: np.ndarray
    presence: np.ndarray

    def __post_init__(self) -> None:
        # Validate once at the boundary and make the arrays read-only so packets can be shared
        # between threads without copies.
        object.__setattr__(self, "image", _frozen_array(self.image, (NUM_LANDMARKS, 3), "image"))
        object.__setattr__(self, "world", _frozen_array(self.world, (NUM_LANDMARKS, 3), "world"))
        object.__setattr__(
            self, "visibility", _frozen_array(self.visibility, (NUM_LANDMARKS,), "visibility")
        )
        object.__setattr__(
            self, "presence", _frozen_array(self.presence, (NUM_LANDMARKS,), "presence")
        )

    def xy(self, idx: int) -> np.ndarray:
        """Pixel position (x, y) of one landmark."""
        return self.image[idx, :2]

    def confidence(self, idx: int) -> float:
        """How much to trust a landmark: the lower of its visibility and presence."""
        return float(min(self.visibility[idx], self.presence[idx]))

    def replace_image(self, image: np.ndarray) -> Pose:
        """Same pose with new image coordinates (used by smoothing)."""
        return Pose(image, self.world, self.visibility, self.presence)


@dataclass(frozen=True, slots=True)
class PoseResult:
    """What the pose stage says about one frame. ``pose is None`` means nobody was found."""

    t_ms: int
    width: int
    height: int
    pose: Pose | None
    # How many people the pose stage saw in the frame, the followed one included (None: not
    # counted, e.g. a replay); ``pose`` is always the one person followed.
    people: int | None = None

    @property
    def detected(self) -> bool:
        return self.pose is not None
