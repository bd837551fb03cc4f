"""Desk posture, measured from the upper body: what each camera view can judge.

Two views, each judged only on what it can show (``JUDGED``):

* **side** (camera beside the person): the trunk's inclination from vertical (hip → shoulder,
  only when a hip is in view), the neck's inclination from vertical (shoulder → ear: the head
  carried forward tips this line), and head-forward (the ear's horizontal distance ahead of the
  shoulder, in torso lengths, when a hip is in view). Forward is the way the face points.
* **front** (the laptop webcam): the head's height above the shoulder line in shoulder widths
  (it shrinks when the person sinks into a slouch, pushes the head forward and down, or looks
  down: from the front these look alike, so they are judged together as "head low"), and the
  sideways lean: the shoulder line's tilt from horizontal and the head's sideways offset from
  the shoulder midpoint. The trunk's inclination can't be seen from the front (it moves along
  the camera's axis), so it is not judged there.

All lengths are ratios of the person's own body in the same frame, so the distance to the camera
doesn't matter; every measure is judged against the person's own "sitting tall" baseline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from formcheck.core.landmarks import L, Pose

View = Literal["side", "front"]
MIN_CONFIDENCE = 0.5  # a landmark is used only when MediaPipe is at least this sure of it

# Per view, the measures it can judge (the names of ``PostureMeasures`` fields).
JUDGED: dict[View, tuple[str, ...]] = {
    "side": ("trunk_deg", "neck_deg", "head_forward"),
    "front": ("head_height", "shoulder_tilt_deg", "head_offset"),
}
MEASURES = tuple(dict.fromkeys(JUDGED["side"] + JUDGED["front"]))


@dataclass(frozen=True, slots=True)
class PostureMeasures:
    """One frame's upper-body measures; NaN where the view can't judge it or a landmark is unsure.

    side:  trunk_deg (+ = leaning forward), neck_deg (+ = ear ahead of the shoulder),
           head_forward (ear ahead of shoulder, in torso lengths)
    front: head_height (nose above the shoulder line, in shoulder widths), shoulder_tilt_deg
           (+ = the person's left shoulder lower on screen), head_offset (nose towards the
           person's left of the shoulder midpoint, in shoulder widths)
    """

    t_ms: int
    view: View
    trunk_deg: float = math.nan
    neck_deg: float = math.nan
    head_forward: float = math.nan
    head_height: float = math.nan
    shoulder_tilt_deg: float = math.nan
    head_offset: float = math.nan

    def value(self, name: str) -> float:
        return float(getattr(self, name))

    def as_dict(self) -> dict[str, float]:
        return {m: self.value(m) for m in JUDGED[self.view]}


def _seen(pose: Pose, *idx: int) -> bool:
    return all(pose.confidence(i) >= MIN_CONFIDENCE for i in idx)


def detect_view(pose: Pose) -> View | None:
    """side or front from the shoulders; None when the shoulders and face aren't both in view.

    Square to the camera the shoulders are far apart on screen compared with the head's height
    above them (about 1.5–2.5 shoulder-widths-per-head-height); side-on they overlap (under 0.6).
    MediaPipe's depth estimate of the shoulder line settles the in-between (an oblique camera).
    """
    if not _seen(pose, L.LEFT_SHOULDER, L.RIGHT_SHOULDER) or not _head_seen(pose):
        return None
    ls, rs = pose.xy(L.LEFT_SHOULDER), pose.xy(L.RIGHT_SHOULDER)
    head = _head_point(pose)
    mid = (ls + rs) / 2
    height = max(float(np.linalg.norm(head - mid)), 1e-6)
    width_ratio = abs(float(ls[0] - rs[0])) / height
    w = pose.world
    dx, dz = abs(float(w[L.LEFT_SHOULDER, 0] - w[L.RIGHT_SHOULDER, 0])), abs(
        float(w[L.LEFT_SHOULDER, 2] - w[L.RIGHT_SHOULDER, 2])
    )
    depth_share = dz / (dx + dz) if dx + dz > 0 else 0.5
    sideness = 0.5 * np.clip((1.0 - width_ratio) / 0.6, -1, 1) + 0.5 * np.clip((depth_share - 0.5) / 0.4, -1, 1)
    return "side" if sideness > 0 else "front"


def _head_seen(pose: Pose) -> bool:
    return _seen(pose, L.NOSE) or _seen(pose, L.LEFT_EAR) or _seen(pose, L.RIGHT_EAR)


def _head_point(pose: Pose) -> np.ndarray:
    """The nose when seen, else the better-seen ear."""
    if _seen(pose, L.NOSE):
        return pose.xy(L.NOSE)
    ear = L.LEFT_EAR if pose.confidence(L.LEFT_EAR) >= pose.confidence(L.RIGHT_EAR) else L.RIGHT_EAR
    return pose.xy(ear)


def _from_vertical(lower: np.ndarray, upper: np.ndarray, forward: float) -> float:
    """Signed angle (degrees) of lower → upper from straight up; + when upper is ahead (forward)."""
    dx, dy = float(upper[0] - lower[0]) * forward, float(lower[1] - upper[1])
    return math.degrees(math.atan2(dx, dy))


def measure(pose: Pose, t_ms: int, view: View) -> PostureMeasures:
    """The measures ``view`` can judge in this pose (NaN where a landmark is unsure)."""
    return _side(pose, t_ms) if view == "side" else _front(pose, t_ms)


def _side(pose: Pose, t_ms: int) -> PostureMeasures:
    # The side nearer the camera is the better-seen one; its ear and shoulder make the neck line.
    near = "left" if _side_confidence(pose, "left") >= _side_confidence(pose, "right") else "right"
    ear, sh, hip = (L[f"{near.upper()}_{j}"] for j in ("EAR", "SHOULDER", "HIP"))
    if not _seen(pose, ear, sh):
        return PostureMeasures(t_ms, "side")
    e, s = pose.xy(ear), pose.xy(sh)
    # Forward is where the face points: the nose is ahead of the ear (eyes as a fallback).
    face = pose.xy(L.NOSE) if _seen(pose, L.NOSE) else pose.xy(L[f"{near.upper()}_EYE"])
    forward = 1.0 if face[0] >= e[0] else -1.0
    neck = _from_vertical(s, e, forward)
    trunk = head_forward = math.nan
    if _seen(pose, hip):
        h = pose.xy(hip)
        torso = float(np.linalg.norm(s - h))
        if torso > 1e-6:
            trunk = _from_vertical(h, s, forward)
            head_forward = float(e[0] - s[0]) * forward / torso
    return PostureMeasures(t_ms, "side", trunk_deg=trunk, neck_deg=neck, head_forward=head_forward)


def _side_confidence(pose: Pose, side: str) -> float:
    return min(pose.confidence(L[f"{side.upper()}_EAR"]), pose.confidence(L[f"{side.upper()}_SHOULDER"]))


def _front(pose: Pose, t_ms: int) -> PostureMeasures:
    if not _seen(pose, L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.NOSE):
        return PostureMeasures(t_ms, "front")
    ls, rs, nose = pose.xy(L.LEFT_SHOULDER), pose.xy(L.RIGHT_SHOULDER), pose.xy(L.NOSE)
    across = ls - rs  # facing the camera, the person's left shoulder is on screen-right
    width = float(np.linalg.norm(across))
    if width < 1e-6:
        return PostureMeasures(t_ms, "front")
    unit = across / width
    up = np.array([unit[1], -unit[0]])  # perpendicular to the shoulder line, pointing up on screen
    rel = nose - (ls + rs) / 2
    tilt = math.degrees(math.atan2(float(across[1]), float(across[0])))
    return PostureMeasures(
        t_ms,
        "front",
        head_height=float(rel @ up) / width,
        shoulder_tilt_deg=tilt,
        head_offset=float(rel @ unit) / width,
    )
