"""Measures: named numbers computed from one pose (angles, inclinations, offsets, ...).

Exercise files declare measures by kind; rules and rep counters read them by name. Points are
joint names as in ``kinematics.point``: a bare sided name ("knee") means the side the measure is
evaluated for; "left_knee", "right_knee", "mid_hip" and "nose" are absolute.

Kinds (units):
* ``angle`` — joint angle at the middle of three points, 0–180° (``signed = true``: 0–360°, above
  180° when the middle point is above the line on screen).
* ``inclination`` — segment to the horizontal, 0–90°; ``tilt`` — segment to the vertical, 0–90°.
* ``elevation`` — signed angle of a segment above the horizontal, −90…90°.
* ``offset`` — signed distance of the third point above the line through the first two, in
  torso lengths (shoulder–hip distance), so it is independent of camera distance.
* ``alignment`` — how far three points are from a straight line: 180° − angle, 0 = aligned.
* ``distance`` — distance between two points in torso lengths.
* ``height`` — how far the first point is above the second on screen, in torso lengths.
* ``ahead`` — how far the first point is in front of the second, horizontally, in torso lengths;
  "in front" is the way the toes point (heel → foot index on the same side), so it works whichever
  way the person faces.
* ``twist`` — rotation of the shoulder line against the hip line about the vertical, from the 3-D
  world landmarks (degrees, 0 = square); takes no points. World depth is noisy (8–30° on
  angles), so rules on it use generous thresholds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from formcheck.core import geometry as g
from formcheck.core.kinematics import Side, landmark_index, point
from formcheck.core.landmarks import Pose

MeasureKind = Literal[
    "angle", "inclination", "tilt", "elevation", "offset", "alignment", "distance", "height", "ahead", "twist"
]
POINT_COUNT: dict[str, int] = {
    "angle": 3,
    "inclination": 2,
    "tilt": 2,
    "elevation": 2,
    "offset": 3,
    "alignment": 3,
    "distance": 2,
    "height": 2,
    "ahead": 2,
    "twist": 0,
}


@dataclass(frozen=True, slots=True)
class Measure:
    name: str
    kind: MeasureKind
    points: tuple[str, ...]
    signed: bool = False
    # Evaluate for a fixed side ("left"/"right") instead of the side being tracked.
    side: Side | None = None

    def landmarks(self, side: Side) -> list[int]:
        """Landmark indices this measure depends on (for visibility checks)."""
        out: list[int] = []
        extra = {"ahead": ("heel", "foot_index"), "twist": ("left_shoulder", "right_shoulder", "left_hip", "right_hip")}
        points = self.points + extra.get(self.kind, ())
        for p in points:
            out.extend(landmark_index(p, self.side or side))
        return out

    def value(self, pose: Pose, side: Side) -> float:
        s = self.side or side
        pts = [point(pose, p, s) for p in self.points]
        if self.kind == "angle":
            return (g.signed_joint_angle if self.signed else g.joint_angle)(*pts)
        if self.kind == "inclination":
            return g.inclination(*pts)
        if self.kind == "tilt":
            return g.tilt_from_vertical(*pts)
        if self.kind == "elevation":
            return g.elevation(*pts)
        if self.kind == "alignment":
            return 180.0 - g.joint_angle(*pts)
        if self.kind == "twist":
            return shoulder_hip_twist(pose)
        torso = torso_length(pose)
        if not torso > 0:
            return math.nan
        if self.kind == "offset":
            return g.side_of_line(pts[0], pts[1], pts[2]) / torso
        if self.kind == "distance":
            return g.distance(pts[0], pts[1]) / torso
        if self.kind == "height":
            return float(pts[1][1] - pts[0][1]) / torso
        if self.kind == "ahead":
            facing = point(pose, "foot_index", s)[0] - point(pose, "heel", s)[0]
            if facing == 0:
                return math.nan
            return float(pts[0][0] - pts[1][0]) * math.copysign(1.0, facing) / torso
        raise ValueError(f"unknown measure kind {self.kind!r}")


def torso_length(pose: Pose) -> float:
    """Shoulder-midpoint to hip-midpoint distance in pixels: the body's own ruler."""
    return g.distance(point(pose, "mid_shoulder"), point(pose, "mid_hip"))


def shoulder_hip_twist(pose: Pose) -> float:
    """Angle between the shoulder line and the hip line seen from above (world x–z plane)."""
    w = pose.world
    sx, sz = w[11, 0] - w[12, 0], w[11, 2] - w[12, 2]
    hx, hz = w[23, 0] - w[24, 0], w[23, 2] - w[24, 2]
    a = math.degrees(math.atan2(sz, sx) - math.atan2(hz, hx))
    a = (a + 180.0) % 360.0 - 180.0
    return abs(a)
