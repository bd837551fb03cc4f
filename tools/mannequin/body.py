"""A mannequin's joints in world coordinates, and their BlazePose landmark positions.

World frame (metres): x to the screen's right, y up, z toward the camera; the floor is y = 0.
Motion scripts place joint *centres* (where a person's hip, knee... joints are); meshes are built
around them, so the ground truth is where MediaPipe should put its landmarks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Segment lengths (m), ~1.75 m tall adult.
TORSO = 0.50  # hip centre → shoulder centre
SHOULDER_HALF = 0.18
HIP_HALF = 0.09
UPPER_ARM = 0.28
FOREARM = 0.25
THIGH = 0.44
SHIN = 0.43
HEAD_RADIUS = 0.105
NECK = 0.20  # shoulder centre → head centre
ANKLE_HEIGHT = 0.07

SIDED = ("shoulder", "elbow", "wrist", "hip", "knee", "ankle", "heel", "toe")


@dataclass(frozen=True)
class Body:
    """Joint centres of one frame (name → xyz) plus head orientation.

    ``joints`` holds ``left_<j>`` / ``right_<j>`` for each of SIDED and ``head``; ``face`` is the
    unit vector the face points along, ``left`` the unit vector toward the body's left.
    """

    joints: dict[str, np.ndarray]
    face: np.ndarray
    left: np.ndarray

    def landmarks(self) -> np.ndarray:
        """The 33 BlazePose landmarks (33×3, world metres) in MediaPipe's order."""
        j = self.joints
        head, face, left = j["head"], self.face, self.left
        up = np.cross(face, left)  # toward the top of the head
        nose = head + face * HEAD_RADIUS * 1.05
        eye_c = head + face * HEAD_RADIUS * 0.8 + up * 0.035
        out = np.zeros((33, 3))
        out[0] = nose
        for side, sign, base in (("left", 1, 1), ("right", -1, 4)):
            out[base] = eye_c + left * sign * 0.018  # inner
            out[base + 1] = eye_c + left * sign * 0.032
            out[base + 2] = eye_c + left * sign * 0.046  # outer
        out[7] = head + left * HEAD_RADIUS
        out[8] = head - left * HEAD_RADIUS
        mouth = head + face * HEAD_RADIUS * 0.85 - up * 0.045
        out[9], out[10] = mouth + left * 0.025, mouth - left * 0.025
        order = {"shoulder": 11, "elbow": 13, "wrist": 15, "hip": 23, "knee": 25, "ankle": 27, "heel": 29, "toe": 31}
        for name, idx in order.items():
            out[idx] = j[f"left_{name}"]
            out[idx + 1] = j[f"right_{name}"]
        for side, off in (("left", 0), ("right", 1)):
            w, e = j[f"{side}_wrist"], j[f"{side}_elbow"]
            d = (w - e) / max(np.linalg.norm(w - e), 1e-9)
            hand = w + d * 0.08
            s = 1 if side == "left" else -1
            out[17 + off] = hand - left * s * 0.02  # pinky
            out[19 + off] = hand + d * 0.02  # index
            out[21 + off] = w + d * 0.03 + left * s * 0.03  # thumb
        return out


def unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def sagittal(points: dict[str, tuple[float, float]], *, face: tuple[float, float]) -> Body:
    """A side-view body from sagittal-plane points (x, height) per joint.

    ``points`` gives ``hip``, ``shoulder``, ``head`` centres and per side ``left_knee`` ... (or a
    shared ``knee`` for both sides). ``face`` is the face direction in the sagittal plane. Which
    side is nearer the camera follows from the geometry (a real, unmirrored body): e.g. facing
    screen-right standing, the right side is nearer.
    """
    hip, shoulder = np.array(points["hip"]), np.array(points["shoulder"])
    up = np.array([*(shoulder - hip), 0.0])
    f = unit(np.array([face[0], face[1], 0.0]))
    left = unit(np.cross(up, f))
    z_left = float(np.sign(left[2]))
    joints: dict[str, np.ndarray] = {}
    half = {"shoulder": SHOULDER_HALF, "hip": HIP_HALF, "elbow": 0.21, "wrist": 0.2}
    for side, sign in (("left", 1.0), ("right", -1.0)):
        for name in SIDED:
            key = f"{side}_{name}" if f"{side}_{name}" in points else name
            x, y = points[key]
            joints[f"{side}_{name}"] = np.array([x, y, sign * z_left * half.get(name, 0.1)])
    hx, hy = points["head"]
    joints["head"] = np.array([hx, hy, 0.0])
    return Body(joints, f, np.array([0.0, 0.0, z_left]))


def near_side(body: Body) -> str:
    """The body side nearer the camera (+z)."""
    return "left" if body.left[2] > 0 else "right"


def circle_intersection(a: np.ndarray, ra: float, b: np.ndarray, rb: float, upper: bool = True) -> np.ndarray:
    """Where a joint sits between two fixed ones (e.g. the knee between hip and ankle), in 2D."""
    d = float(np.linalg.norm(b - a))
    d = min(d, ra + rb - 1e-6)
    x = (d * d + ra * ra - rb * rb) / (2 * d)
    h = np.sqrt(max(ra * ra - x * x, 0.0))
    base = a + (b - a) * x / d
    perp = np.array([-(b - a)[1], (b - a)[0]]) / d
    p1, p2 = base + perp * h, base - perp * h
    return p1 if (p1[1] > p2[1]) == upper else p2
