"""Synthetic poses for tests: a stick figure placed from a few joint positions."""

from __future__ import annotations

import numpy as np

from formcheck.core.landmarks import NUM_LANDMARKS, SIDED_JOINTS, L, Pose


def make_pose(
    joints: dict[str, tuple[float, float]],
    *,
    visibility: float = 0.99,
    hidden: tuple[str, ...] = (),
    z: dict[str, float] | None = None,
) -> Pose:
    """A Pose whose named joints ("left_knee", "nose", ...) sit at the given pixel positions.

    Unnamed landmarks are placed at the nose (or the first joint given); ``hidden`` joints get
    low visibility.
    """
    image = np.zeros((NUM_LANDMARKS, 3), np.float32)
    vis = np.full(NUM_LANDMARKS, visibility, np.float32)
    anchor = joints.get("nose", next(iter(joints.values())))
    image[:, :2] = anchor
    for name, xy in joints.items():
        for idx in _indices(name):
            image[idx, :2] = xy
    for name, depth in (z or {}).items():
        for idx in _indices(name):
            image[idx, 2] = depth
    for name in hidden:
        for idx in _indices(name):
            vis[idx] = 0.05
    world = image / 500.0
    return Pose(image, world, vis, np.ones(NUM_LANDMARKS, np.float32))


def _indices(name: str) -> list[int]:
    if name.startswith(("left_", "right_")):
        side, base = name.split("_", 1)
        if base in SIDED_JOINTS:
            return [int(SIDED_JOINTS[base][0 if side == "left" else 1])]
    return [int(L[name.upper()])]


def limb(origin: tuple[float, float], angle_deg: float, length: float) -> tuple[float, float]:
    """Point at ``length`` px from ``origin`` in screen direction ``angle_deg`` (0 = right, 90 = up)."""
    a = np.radians(angle_deg)
    return (origin[0] + length * np.cos(a), origin[1] - length * np.sin(a))
