"""Following one person when more than one is in view.

The pose stage may find several people in a frame; the person being coached is the one nearest
to where the followed person was last seen. Distances are measured in body sizes (the diagonal of
the person's landmark box), so the same rule holds near and far from the camera.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from formcheck.core.landmarks import L, Pose

_TRUNK = (L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_HIP, L.RIGHT_HIP)
# Two poses whose centres are closer than this many body sizes are one person found twice (a
# two-person tracker can return its old track and a new detection of the same person; measured
# 0.06–0.17 apart on real footage, while people side by side are about one body size apart).
SAME_PERSON = 0.3


def body_centre(pose: Pose) -> np.ndarray:
    """Pixel position (x, y) of the middle of the trunk (shoulders and hips)."""
    return pose.image[list(_TRUNK), :2].mean(axis=0)


def body_size(pose: Pose) -> float:
    """Diagonal of the box around all landmarks, in pixels."""
    xy = pose.image[:, :2]
    return float(np.hypot(*(xy.max(axis=0) - xy.min(axis=0))))


def distinct_people(poses: Sequence[Pose]) -> list[Pose]:
    """``poses`` without those that are another pose's person found twice (first one kept)."""
    kept: list[Pose] = []
    for pose in poses:
        centre, size = body_centre(pose), body_size(pose)
        if all(
            np.linalg.norm(centre - body_centre(k)) > SAME_PERSON * max(size, body_size(k))
            for k in kept
        ):
            kept.append(pose)
    return kept


@dataclass
class PersonFollower:
    """Chooses, frame by frame, which of the people found is the one being followed.

    Someone farther than ``max_jump`` body sizes from where the followed person was last seen is
    someone else, and is not followed, until the followed person has been out of view for
    ``forget_ms``: then whoever is in view is followed.
    """

    max_jump: float = 0.5
    forget_ms: int = 2000
    _centre: np.ndarray | None = field(default=None, repr=False)
    _size: float = field(default=0.0, repr=False)
    _seen_ms: int = field(default=0, repr=False)

    def _following(self, t_ms: int) -> bool:
        return self._centre is not None and t_ms - self._seen_ms <= self.forget_ms

    def _distance(self, pose: Pose) -> float:
        assert self._centre is not None
        return float(np.linalg.norm(body_centre(pose) - self._centre))

    def is_elsewhere(self, pose: Pose, t_ms: int) -> bool:
        """Whether ``pose`` is too far from the followed person to be them."""
        return self._following(t_ms) and self._distance(pose) > self.max_jump * self._size

    def choose(self, poses: Sequence[Pose], t_ms: int) -> Pose | None:
        """The followed person among ``poses`` (in the detector's order), or None if absent."""
        if not poses:
            return None
        if not self._following(t_ms):
            chosen = poses[0]
        else:
            chosen = min(poses, key=self._distance)
            if self.is_elsewhere(chosen, t_ms):
                return None
        self._centre, self._size, self._seen_ms = body_centre(chosen), body_size(chosen), t_ms
        return chosen
