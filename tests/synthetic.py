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
    lateral_z: float = 0.0,
) -> Pose:
    """A Pose whose named joints ("left_knee", "nose", ...) sit at the given pixel positions.

    Unnamed landmarks are placed at the nose (or the first joint given); ``hidden`` joints get
    low visibility. World landmarks are the pixels scaled to metres, with the body's left and
    right ``lateral_z`` metres apart in depth (≈0.35 side-on, 0 square to the camera).
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
    for i in range(11, NUM_LANDMARKS):
        world[i, 2] = lateral_z / 2 if i % 2 == 1 else -lateral_z / 2
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


# Segment lengths in pixels for a figure ~450 px tall (torso = shoulder-hip distance).
LENGTHS = {"torso": 150.0, "upper_arm": 85.0, "forearm": 80.0, "thigh": 125.0, "shin": 120.0, "head": 45.0}


def figure(
    hip: tuple[float, float] = (320.0, 300.0),
    torso: float = 90.0,
    *,
    near: str = "left",
    left: dict[str, float] | None = None,
    right: dict[str, float] | None = None,
    spread: float = 0.0,
    far_visibility: float = 0.99,
) -> Pose:
    """A stick figure from screen directions (degrees: 0 = right, 90 = up) of each segment.

    ``torso`` is the hip→shoulder direction. ``left``/``right`` give per side the directions of
    ``upper_arm`` (shoulder→elbow), ``forearm`` (elbow→wrist), ``thigh`` (hip→knee) and ``shin``
    (knee→ankle); missing ones hang straight down. ``spread`` shifts the right side's shoulder and
    hip sideways on screen (0 = side view: both sides overlap; ~60–80 px = front view).
    """
    dirs = {"left": left or {}, "right": right or {}}
    joints: dict[str, tuple[float, float]] = {}
    for side in ("left", "right"):
        shift = spread / 2 if side == "left" else -spread / 2
        d = dirs[side]
        h = (hip[0] + shift, hip[1])
        s = limb(h, torso, LENGTHS["torso"])
        e = limb(s, d.get("upper_arm", -90), LENGTHS["upper_arm"])
        w = limb(e, d.get("forearm", d.get("upper_arm", -90)), LENGTHS["forearm"])
        k = limb(h, d.get("thigh", -90), LENGTHS["thigh"])
        a = limb(k, d.get("shin", d.get("thigh", -90)), LENGTHS["shin"])
        heel = limb(a, d.get("shin", -90) - 90, 15)
        toe = limb(a, d.get("foot", d.get("shin", -90) + 90), 35)
        for name, xy in (("shoulder", s), ("elbow", e), ("wrist", w), ("index", w), ("hip", h),
                         ("knee", k), ("ankle", a), ("heel", heel), ("foot_index", toe)):
            joints[f"{side}_{name}"] = xy
    mid_s = np.mean([joints["left_shoulder"], joints["right_shoulder"]], axis=0)
    head = limb(tuple(mid_s), torso, LENGTHS["head"])
    joints["nose"] = head
    joints["left_ear"] = joints["right_ear"] = head
    far = "right" if near == "left" else "left"
    pose = make_pose(joints, lateral_z=0.35 if spread == 0 else 0.0)
    vis = pose.visibility.copy()
    for name in ("shoulder", "elbow", "wrist", "hip", "knee", "ankle", "heel", "foot_index", "index"):
        vis[_indices(f"{far}_{name}")[0]] = far_visibility
    # Depth: the near side is closer to the camera (smaller z), as MediaPipe reports.
    image = pose.image.copy()
    for i in range(11, 33):
        image[i, 2] = -20.0 if (i % 2 == 1) == (near == "left") else 20.0
    return Pose(image, pose.world, vis, pose.presence)


def result(t_ms: int, pose: Pose | None, size: tuple[int, int] = (640, 480)):
    """Wrap a pose as a PoseResult from a 640×480 frame."""
    from formcheck.core.landmarks import PoseResult

    return PoseResult(t_ms, size[0], size[1], pose)
