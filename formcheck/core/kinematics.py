"""Body angles, the side facing the camera, and a view/posture classifier, from one ``Pose``.

All angles are 2D, in the image plane, in pixels (see ``geometry`` for conventions). On side-view
clips 2D angles were within ~5° of ground truth while MediaPipe's world-landmark angles were off by
8–30°, so side-view rules use these.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from formcheck.core import geometry as g
from formcheck.core.landmarks import SIDED_JOINTS, L, Pose

Side = Literal["left", "right"]
View = Literal["side", "front", "back"]
Posture = Literal["standing", "sitting", "lying", "hands_knees"]

# Landmarks whose confidence decides which body side is nearer the camera.
_SIDE_EVIDENCE = ("shoulder", "elbow", "wrist", "hip", "knee", "ankle")


def point(pose: Pose, joint: str, side: Side | None = None) -> npt.NDArray[np.float32]:
    """Pixel position of a named joint ("knee", "left_knee", "nose", "mid_hip"), float32 as the pose."""
    if joint.startswith("mid_"):
        left, right = SIDED_JOINTS[joint[4:]]
        return (pose.xy(left) + pose.xy(right)) / 2.0
    if joint.startswith(("left_", "right_")):
        side_name, base = joint.split("_", 1)
        return pose.xy(SIDED_JOINTS[base][0 if side_name == "left" else 1])
    if joint in SIDED_JOINTS:
        if side is None:
            raise ValueError(f"joint {joint!r} needs a side")
        return pose.xy(SIDED_JOINTS[joint][0 if side == "left" else 1])
    return pose.xy(L[joint.upper()])


def landmark_index(joint: str, side: Side | None = None) -> list[int]:
    """Landmark indices behind a named joint (two for a ``mid_`` joint)."""
    if joint.startswith("mid_"):
        return [int(i) for i in SIDED_JOINTS[joint[4:]]]
    if joint.startswith(("left_", "right_")):
        side_name, base = joint.split("_", 1)
        return [int(SIDED_JOINTS[base][0 if side_name == "left" else 1])]
    if joint in SIDED_JOINTS:
        if side is None:
            raise ValueError(f"joint {joint!r} needs a side")
        return [int(SIDED_JOINTS[joint][0 if side == "left" else 1])]
    return [int(L[joint.upper()])]


def facing_side(pose: Pose) -> Side:
    """The body side nearer the camera: the one whose limbs the model sees more confidently.

    Ties (a front view) go to the side with the smaller depth z (nearer the camera).
    """
    score = {"left": 0.0, "right": 0.0}
    depth = {"left": 0.0, "right": 0.0}
    for name in _SIDE_EVIDENCE:
        li, ri = SIDED_JOINTS[name]
        score["left"] += pose.confidence(li)
        score["right"] += pose.confidence(ri)
        depth["left"] += float(pose.image[li, 2])
        depth["right"] += float(pose.image[ri, 2])
    if abs(score["left"] - score["right"]) > 0.3:
        return "left" if score["left"] > score["right"] else "right"
    return "left" if depth["left"] <= depth["right"] else "right"


def body_angles(pose: Pose, side: Side) -> dict[str, float]:
    """The joint angles exercise rules use, for one side, in degrees.

    knee: hip–knee–ankle; hip: shoulder–hip–knee (signed: > 180° when the hip is above the
    shoulder–knee line on screen); elbow: shoulder–elbow–wrist; shoulder: hip–shoulder–elbow;
    body_line: shoulder–hip–ankle (signed); trunk_tilt: shoulder–hip from vertical.
    """

    def p(j: str) -> npt.NDArray[np.float32]:
        return point(pose, j, side)

    return {
        "knee": g.joint_angle(p("hip"), p("knee"), p("ankle")),
        "hip": g.joint_angle(p("shoulder"), p("hip"), p("knee")),
        "hip_signed": g.signed_joint_angle(p("shoulder"), p("hip"), p("knee")),
        "elbow": g.joint_angle(p("shoulder"), p("elbow"), p("wrist")),
        "shoulder": g.joint_angle(p("hip"), p("shoulder"), p("elbow")),
        "body_line": g.signed_joint_angle(p("shoulder"), p("hip"), p("ankle")),
        "trunk_tilt": g.tilt_from_vertical(p("hip"), p("shoulder")),
    }


@dataclass(frozen=True, slots=True)
class ViewEstimate:
    """How the person is seen: camera view, body posture, and a 0–1 confidence."""

    view: View
    posture: Posture
    confidence: float

    @property
    def label(self) -> str:
        return f"{self.view}/{self.posture}"


def _clamp01(x: float) -> float:
    return max(0.0, min(1.0, x))


def _clamp(x: float) -> float:
    return max(-1.0, min(1.0, x))


def classify_view(pose: Pose) -> ViewEstimate:
    """Classify the camera view (side/front/back) and posture from one pose.

    View: in a side view the shoulders and hips overlap on screen, so their widths are small
    compared with the torso length; otherwise the person faces towards (face visible, their left
    on the screen's right relative to the body's "up") or away from the camera.
    """
    ls, rs = pose.xy(L.LEFT_SHOULDER), pose.xy(L.RIGHT_SHOULDER)
    lh, rh = pose.xy(L.LEFT_HIP), pose.xy(L.RIGHT_HIP)
    mid_s, mid_h = (ls + rs) / 2, (lh + rh) / 2
    torso = g.distance(mid_s, mid_h)
    if not torso > 1e-6:
        return ViewEstimate("front", "standing", 0.0)
    # Two cues, averaged so either can overrule a weak verdict of the other:
    # 1. in the picture, side-on shoulders and hips overlap (only the part of those lines across
    #    the spine counts; measured ~0.05–0.3 side-on, ~0.5–0.9 square on);
    # 2. in MediaPipe's 3-D estimate, side-on the shoulder and hip lines point at the camera
    #    (depth share ~0.9–1.0 side-on, ~0.0–0.2 square on). Depth is too noisy for angles but
    #    its direction here is a strong hint, and it rescues side-lying poses where the 2-D
    #    widths collapse.
    axis = (mid_s - mid_h) / torso
    width_ratio = (_across(ls - rs, axis) + _across(lh - rh, axis)) / (2 * torso)
    w = pose.world
    lateral = float(np.linalg.norm(w[11] - w[12]) + np.linalg.norm(w[23] - w[24]))
    depth_share = (abs(w[11, 2] - w[12, 2]) + abs(w[23, 2] - w[24, 2])) / lateral if lateral > 0 else 0.5
    sideness = 0.5 * _clamp((0.42 - width_ratio) / 0.3) + 0.5 * _clamp((depth_share - 0.5) / 0.4)
    side_margin = -sideness
    if sideness > 0:
        view: View = "side"
    else:
        up = mid_s - mid_h
        left_minus_right = ls - rs
        cross = up[0] * left_minus_right[1] - up[1] * left_minus_right[0]
        # Facing the camera, the person's left shoulder is on screen-right of their spine: the
        # 2D cross product (body up × left-right) is positive in y-down pixel coordinates.
        view = "front" if cross > 0 else "back"
    view_conf = _clamp01(2 * abs(side_margin))
    posture, posture_conf = _classify_posture(pose, torso)
    seen = np.mean(
        [min(pose.confidence(i), 1.0) for i in (L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_HIP, L.RIGHT_HIP)]
    )
    return ViewEstimate(view, posture, round(float(min(view_conf, posture_conf) * seen), 3))


def _across(v: npt.NDArray[np.floating], axis: npt.NDArray[np.floating]) -> float:
    """Length of ``v``'s component perpendicular to the unit vector ``axis``."""
    return abs(float(v[0] * axis[1] - v[1] * axis[0]))


def _classify_posture(pose: Pose, torso: float) -> tuple[Posture, float]:
    side = facing_side(pose)

    def p(j: str) -> npt.NDArray[np.float32]:
        return point(pose, j, side)

    torso_tilt = g.tilt_from_vertical(p("mid_hip"), p("mid_shoulder"))
    leg_tilt = g.tilt_from_vertical(p("hip"), p("ankle"))
    thigh_incl = g.inclination(p("hip"), p("knee"))
    ankle_below_hip = p("ankle")[1] - p("hip")[1]
    if any(math.isnan(v) for v in (torso_tilt, leg_tilt, thigh_incl)):
        return "standing", 0.0
    # Standing: legs under the hips, whatever the trunk does (a hinge or forward fold is standing).
    if leg_tilt < 30 and ankle_below_hip > 0.8 * torso:
        return "standing", _clamp01((30 - leg_tilt) / 15)
    if torso_tilt < 40 and thigh_incl < 35:
        return "sitting", _clamp01((40 - torso_tilt) / 20)
    # Torso roughly horizontal: on hands and knees the shoulders sit an arm's length above the
    # wrists and the hips a thigh's length above the knees; lying, they don't. Either side may be
    # the support (in a bird dog the near arm and leg are lifted), so take the larger drop.
    wrist_drop = max(_drop(pose, "shoulder", "wrist", s) for s in ("left", "right"))
    knee_drop = max(_drop(pose, "hip", "knee", s) for s in ("left", "right"))
    if wrist_drop > 0.5 * torso and knee_drop > 0.5 * torso:
        return "hands_knees", _clamp01((min(wrist_drop, knee_drop) / torso - 0.5) * 3)
    return "lying", _clamp01((torso_tilt - 40) / 25)


def _drop(pose: Pose, upper: str, lower: str, side: Side) -> float:
    """How far ``lower`` sits below ``upper`` on screen (pixels); -inf when either is unsure."""
    a, b = point(pose, upper, side), point(pose, lower, side)
    idx = landmark_index(upper, side) + landmark_index(lower, side)
    if min(pose.confidence(i) for i in idx) < 0.3:
        return -math.inf
    return float(b[1] - a[1])
