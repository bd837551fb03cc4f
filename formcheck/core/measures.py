"""Measures: named numbers computed from one pose (angles, inclinations, offsets, ...).

Exercise files declare measures by kind; rules and rep counters read them by name. Points are
joint names as in ``kinematics.point``: a bare sided name ("knee") means the side the measure is
evaluated for; "left_knee", "right_knee", "mid_hip" and "nose" are absolute. A measure may be
pinned to ``side = "left"``/``"right"``, or to ``"lower"``/``"upper"``: the side whose first point is
lower / higher on screen (the supporting arm of a side plank is the lower one), or to
``"front"``/``"back"``: the leg whose ankle is further ahead / behind, "ahead" being the way the toes
point (the front leg of a lunge, whichever it is and however the person faces).

Kinds (units):
* ``angle`` — joint angle at the middle of three points, 0–180° (``signed = true``: 0–360°, above
  180° when the middle point is above the line on screen).
* ``angle3d`` — the same joint angle in the 3-D world landmarks, 0–180°: it doesn't depend on where
  the camera stands (a knee bending toward a camera in front of the person reads the same as seen
  side-on), at the price of MediaPipe's depth noise (a few degrees more).
* ``inclination`` — segment to the horizontal, 0–90°; ``tilt`` — segment to the vertical, 0–90°.
* ``lean`` — ``tilt`` corrected for the camera's angle to the body: seen obliquely, a forward lean
  is foreshortened on screen (a 50° lean seen 45° off side-on reads 40°), so the 2-D tilt's
  horizontal part is divided by how side-on the body is (from the 3-D hip and shoulder lines:
  1 side-on, 0 facing the camera). Beyond ``LEAN_MAX_OFF``° off side-on it is not measured (nan).
* ``elevation`` — signed angle of a segment above the horizontal, −90…90°.
* ``offset`` — signed distance of the third point above the line through the first two, in
  torso lengths (shoulder–hip distance), so it is independent of camera distance.
* ``alignment`` — how far three points are from a straight line: 180° − angle, 0 = aligned.
* ``distance`` — distance between two points in torso lengths.
* ``height`` — how far the first point is above the second on screen, in torso lengths.
* ``ahead`` — how far the first point is in front of the second, horizontally, in torso lengths;
  "in front" is the way the toes point (heel → foot index on the same side), so it works whichever
  way the person faces.
* ``spread`` — two sided joints, e.g. ``["knee", "ankle"]``: how far apart the left and right first
  joints are across the picture, relative to how far apart the second ones are (1 = as wide; a
  squat seen from the front with the knees caving in reads well under 1).
* ``world_distance`` — distance between two points in the 3-D world landmarks, in 3-D torso
  lengths (world shoulder-midpoint to hip-midpoint distance): unlike ``distance`` it doesn't shrink
  when the gap points at the camera (knees stacked one above the other, seen from the side). World
  depth is noisy (several cm), so thresholds on it should be generous.
* ``cross_distance`` — two sided joints, e.g. ``["ankle", "knee"]``: the 3-D distance from one
  side's first joint to the *other* side's second joint, whichever pairing is closer, in 3-D torso
  lengths as ``world_distance`` (a figure-4: one ankle resting on the opposite knee, whichever leg
  is crossed; side-on the legs overlap on screen, so this needs depth).
* ``twist`` — two sided joints, e.g. ``["shoulder", "hip"]``: how far the line through the first
  pair (left to right) has turned against the line through the second pair, about the spine
  (hip midpoint → shoulder midpoint), from the 3-D world landmarks, in degrees. Unsigned: 0–180°,
  0 = square. ``signed = true``: −180…180°, positive when the first pair has turned *toward the side
  evaluated* (for shoulders against hips: the chest turns toward that side, its shoulder going
  back). Works standing, kneeling or lying, because the axis is the spine, not the vertical.
  World depth is noisy (8–30° on angles), so rules on it use generous thresholds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from formcheck.core import geometry as g
from formcheck.core.kinematics import Side, landmark_index, point
from formcheck.core.landmarks import SIDED_JOINTS, Pose

MeasureKind = Literal[
    "angle", "angle3d", "inclination", "tilt", "lean", "elevation", "offset", "alignment", "distance", "height", "ahead",
    "cross_distance", "world_distance", "twist", "spread",
]
# A measure's own side: a fixed body side, or the side whose first point is lower/higher on screen.
MeasureSide = Literal["left", "right", "lower", "upper", "front", "back"]
_CHOSEN_SIDES = ("lower", "upper", "front", "back")  # picked from the pose, frame by frame
# What each kind's values are in, as a threshold is written ("over 45°", "0.25 torso lengths").
UNITS: dict[str, str] = {
    "angle": "°", "angle3d": "°", "inclination": "°", "tilt": "°", "lean": "°", "elevation": "°", "alignment": "°",
    "twist": "°", "offset": " torso lengths", "distance": " torso lengths", "height": " torso lengths",
    "ahead": " torso lengths", "world_distance": " torso lengths", "cross_distance": " torso lengths",
    "spread": "× the second joints' width",
}
POINT_COUNT: dict[str, int] = {
    "angle": 3,
    "angle3d": 3,
    "spread": 2,
    "inclination": 2,
    "tilt": 2,
    "lean": 2,
    "elevation": 2,
    "offset": 3,
    "alignment": 3,
    "distance": 2,
    "height": 2,
    "ahead": 2,
    "cross_distance": 2,
    "world_distance": 2,
    "twist": 2,
}
LEAN_MAX_OFF = 60.0  # degrees off side-on beyond which a lean can't be read from the picture
# Kinds whose points name a left/right pair ("knee"), never one landmark ("left_knee", "nose").
PAIR_KINDS = ("cross_distance", "twist", "spread")


@dataclass(frozen=True, slots=True)
class Measure:
    name: str
    kind: MeasureKind
    points: tuple[str, ...]
    signed: bool = False
    # Evaluate for a fixed side instead of the side being tracked (see ``MeasureSide``).
    side: MeasureSide | None = None

    def landmarks(self, side: Side) -> list[int]:
        """Landmark indices this measure depends on (for visibility checks)."""
        if self.kind in PAIR_KINDS or self.side in _CHOSEN_SIDES:
            sides: tuple[Side, ...] = ("left", "right")
        else:
            sides = (self._pinned() or side,)
        points = self.points
        if self.kind == "ahead":
            points += ("heel", "foot_index")
        if self.kind == "twist":
            points += ("shoulder", "hip")  # the spine axis
        if self.side in ("front", "back"):
            points += ("ankle", "heel", "foot_index")  # which foot is ahead
        out: list[int] = []
        for s in sides:
            for p in points:
                for i in landmark_index(p, s):
                    if i not in out:
                        out.append(i)
        return out

    def side_for(self, pose: Pose, side: Side) -> Side:
        """The body side this measure reads when the tracker evaluates it for ``side``."""
        if self.side in ("front", "back"):
            facing = sum(point(pose, "foot_index", s)[0] - point(pose, "heel", s)[0] for s in ("left", "right"))
            ahead = {s: float(point(pose, "ankle", s)[0]) * math.copysign(1.0, facing) for s in ("left", "right")}
            front: Side = "left" if ahead["left"] >= ahead["right"] else "right"
            return front if self.side == "front" else ("right" if front == "left" else "left")
        if self.side in ("lower", "upper"):
            left_y = float(point(pose, self.points[0], "left")[1])
            right_y = float(point(pose, self.points[0], "right")[1])
            lower: Side = "left" if left_y >= right_y else "right"
            return lower if self.side == "lower" else ("right" if lower == "left" else "left")
        return self._pinned() or side

    def _pinned(self) -> Side | None:
        """The body side this measure is always read on ("left"/"right"), if any."""
        return self.side if self.side in ("left", "right") else None

    def value(self, pose: Pose, side: Side) -> float:
        s = self.side_for(pose, side)
        if self.kind == "twist":
            t = twist(pose, self.points[0], self.points[1])
            if self.signed:
                return t if s == "left" else (-t if t != 0 else 0.0)
            return abs(t)
        if self.kind == "world_distance":
            return world_distance(pose, self.points[0], self.points[1], s)
        if self.kind == "spread":
            a, b = self.points
            outer = abs(float(point(pose, b, "left")[0] - point(pose, b, "right")[0]))
            inner = abs(float(point(pose, a, "left")[0] - point(pose, a, "right")[0]))
            return inner / outer if outer > 0 else math.nan
        if self.kind == "angle3d":
            return g.joint_angle_3d(*(world_point(pose, p, s) for p in self.points))
        if self.kind == "cross_distance":
            a, b = self.points
            return min(world_distance(pose, a, b, "left", "right"), world_distance(pose, a, b, "right", "left"))
        pts = [point(pose, p, s) for p in self.points]
        if self.kind == "angle":
            return (g.signed_joint_angle if self.signed else g.joint_angle)(*pts)
        if self.kind == "inclination":
            return g.inclination(*pts)
        if self.kind in ("tilt", "lean"):
            tilt = g.tilt_from_vertical(*pts)
            return lean(pose, tilt) if self.kind == "lean" else tilt
        if self.kind == "elevation":
            return g.elevation(*pts)
        if self.kind == "alignment":
            return 180.0 - g.joint_angle(*pts)
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


def side_on(pose: Pose) -> float:
    """How side-on the body is to the camera, 0–1: the share of the 3-D hip and shoulder lines'
    horizontal extent that points at the camera (1 = side-on, 0 = facing it or turned away)."""
    w = pose.world.astype(np.float64)
    shares = []
    for a, b in (SIDED_JOINTS["hip"], SIDED_JOINTS["shoulder"]):
        v = w[a] - w[b]
        across = math.hypot(float(v[0]), float(v[2]))
        if across > 0:
            shares.append(abs(float(v[2])) / across)
    return float(np.mean(shares)) if shares else math.nan


def lean(pose: Pose, tilt: float) -> float:
    """A segment's 2-D tilt from the vertical, corrected for how side-on the body is (``lean``)."""
    share = side_on(pose)
    if math.isnan(tilt) or not share >= math.cos(math.radians(LEAN_MAX_OFF)):
        return math.nan
    return math.degrees(math.atan(math.tan(math.radians(tilt)) / share))


def torso_length(pose: Pose) -> float:
    """Shoulder-midpoint to hip-midpoint distance in pixels: the body's own ruler."""
    return g.distance(point(pose, "mid_shoulder"), point(pose, "mid_hip"))


def world_point(pose: Pose, joint: str, side: Side | None = None) -> npt.NDArray[np.float64]:
    """A named joint in the 3-D world landmarks (metres); ``mid_`` joints are midpoints."""
    idx = landmark_index(joint, side)
    return np.mean([pose.world[i].astype(np.float64) for i in idx], axis=0)


def world_torso_length(pose: Pose) -> float:
    """Shoulder-midpoint to hip-midpoint distance in the world landmarks (metres)."""
    return float(np.linalg.norm(world_point(pose, "mid_shoulder") - world_point(pose, "mid_hip")))


def world_distance(pose: Pose, a: str, b: str, side: Side, side_b: Side | None = None) -> float:
    """3-D distance between two joints in world torso lengths (nan when the torso is degenerate);
    ``b`` is read on ``side_b`` when given."""
    torso = world_torso_length(pose)
    if not torso > 0:
        return math.nan
    return float(np.linalg.norm(world_point(pose, a, side) - world_point(pose, b, side_b or side))) / torso


def twist(pose: Pose, turning: str, reference: str) -> float:
    """Signed rotation (degrees, −180…180) of the ``turning`` pair's left–right line against the
    ``reference`` pair's, about the spine axis (world hip midpoint → shoulder midpoint); positive
    when the turning pair has turned toward the person's left. nan when a line is degenerate."""
    w = pose.world.astype(np.float64)
    axis = world_point(pose, "mid_shoulder") - world_point(pose, "mid_hip")
    n = float(np.linalg.norm(axis))
    if not n > 0:
        return math.nan
    u = axis / n

    def line(joint: str) -> npt.NDArray[np.float64]:
        left, right = SIDED_JOINTS[joint]
        v = w[left] - w[right]
        return v - float(np.dot(v, u)) * u  # projected onto the plane across the spine

    a, b = line(turning), line(reference)
    if not (np.linalg.norm(a) > 0 and np.linalg.norm(b) > 0):
        return math.nan
    sin = float(np.dot(u, np.cross(b, a)))
    cos = float(np.dot(b, a))
    return math.degrees(math.atan2(sin, cos))
