"""Plane geometry on image points.

Angle conventions (defined once, used everywhere):

* Points are image pixels, x to the right, y **down** (see ``landmarks``).
* ``joint_angle(a, b, c)`` is the unsigned angle at ``b`` between rays b→a and b→c, in degrees,
  0–180. A straight limb is 180°.
* ``signed_joint_angle(a, b, c)`` is 0–360°: 180° when straight; it exceeds 180° when ``b`` lies on
  the *upper* side of the line a→c as seen on screen (smaller y), less than 180° when below. So a
  bridge whose hips rise above the shoulder–knee line reads > 180° ("over-arching"), and a plank
  whose hips sag reads < 180°, whichever way the person faces.
* ``inclination(a, b)`` is the angle of segment a→b to the horizontal, 0–90° (direction-free).
  ``tilt_from_vertical`` is 90° minus it.
* ``elevation(a, b)`` is the signed angle of a→b above the horizontal, −90…90°, positive when ``b``
  is higher on screen than ``a``.
All functions return ``nan`` when a point is missing (nan) or a segment has zero length.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

# Points are anything indexable as p[0], p[1]: numpy rows (a pose's float32 pixels, float64 sums)
# or tuples. Plain float maths is used because these run many times per frame on 2-vectors, where
# numpy's call overhead dominates.
Point = Sequence[float] | npt.NDArray[np.floating]


def _xy(p: Point) -> tuple[float, float]:
    return float(p[0]), float(p[1])


def joint_angle(a: Point, b: Point, c: Point) -> float:
    """Unsigned angle at ``b`` (degrees, 0–180)."""
    (ax, ay), (bx, by), (cx, cy) = _xy(a), _xy(b), _xy(c)
    ux, uy, vx, vy = ax - bx, ay - by, cx - bx, cy - by
    nu, nv = math.hypot(ux, uy), math.hypot(vx, vy)
    if not (nu > 0 and nv > 0):
        return math.nan
    cos = (ux * vx + uy * vy) / (nu * nv)
    return math.degrees(math.acos(max(-1.0, min(1.0, cos))))


def joint_angle_3d(a: npt.NDArray[np.floating], b: npt.NDArray[np.floating], c: npt.NDArray[np.floating]) -> float:
    """Unsigned angle at ``b`` between 3-D points (degrees, 0–180)."""
    u, v = np.asarray(a, float) - b, np.asarray(c, float) - b
    nu, nv = float(np.linalg.norm(u)), float(np.linalg.norm(v))
    if not (nu > 0 and nv > 0):
        return math.nan
    return math.degrees(math.acos(max(-1.0, min(1.0, float(np.dot(u, v)) / (nu * nv)))))


def side_of_line(a: Point, c: Point, b: Point) -> float:
    """Signed pixel distance of ``b`` from the line through a and c; positive = above on screen."""
    (ax, ay), (cx, cy), (bx, by) = _xy(a), _xy(c), _xy(b)
    dx, dy = cx - ax, cy - ay
    n = math.hypot(dx, dy)
    if not n > 0:
        return math.nan
    # Normal pointing "up" on screen (negative y), independent of the a→c direction.
    nx, ny = dy / n, -dx / n
    if ny > 0 or (ny == 0 and nx < 0):
        nx, ny = -nx, -ny
    return (bx - ax) * nx + (by - ay) * ny


def signed_joint_angle(a: Point, b: Point, c: Point) -> float:
    """Angle at ``b`` in 0–360°, above 180° when ``b`` is above the line a–c on screen."""
    ang = joint_angle(a, b, c)
    side = side_of_line(a, c, b)
    if math.isnan(ang) or math.isnan(side):
        return math.nan
    return 360.0 - ang if side > 0 else ang


def _delta(a: Point, b: Point) -> tuple[float, float] | None:
    (ax, ay), (bx, by) = _xy(a), _xy(b)
    dx, dy = bx - ax, by - ay
    if (dx == 0 and dy == 0) or math.isnan(dx) or math.isnan(dy):
        return None
    return dx, dy


def inclination(a: Point, b: Point) -> float:
    """Angle of segment a–b to the horizontal, 0–90°."""
    d = _delta(a, b)
    return math.nan if d is None else math.degrees(math.atan2(abs(d[1]), abs(d[0])))


def tilt_from_vertical(a: Point, b: Point) -> float:
    """Angle of segment a–b to the vertical, 0–90°."""
    inc = inclination(a, b)
    return math.nan if math.isnan(inc) else 90.0 - inc


def elevation(a: Point, b: Point) -> float:
    """Signed angle of a→b above the horizontal (−90…90°); positive when b is higher on screen."""
    d = _delta(a, b)
    return math.nan if d is None else math.degrees(math.atan2(-d[1], abs(d[0])))


def distance(a: Point, b: Point) -> float:
    """Euclidean pixel distance."""
    (ax, ay), (bx, by) = _xy(a), _xy(b)
    return math.hypot(bx - ax, by - ay)
