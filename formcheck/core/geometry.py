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

import numpy as np

ArrayLike = np.ndarray | tuple[float, float]


def _v(p: ArrayLike) -> np.ndarray:
    return np.asarray(p, dtype=np.float64)[:2]


def joint_angle(a: ArrayLike, b: ArrayLike, c: ArrayLike) -> float:
    """Unsigned angle at ``b`` (degrees, 0–180)."""
    ba, bc = _v(a) - _v(b), _v(c) - _v(b)
    na, nc = np.linalg.norm(ba), np.linalg.norm(bc)
    if not (na > 0 and nc > 0):
        return math.nan
    cos = float(np.dot(ba, bc) / (na * nc))
    return math.degrees(math.acos(max(-1.0, min(1.0, cos))))


def side_of_line(a: ArrayLike, c: ArrayLike, b: ArrayLike) -> float:
    """Signed pixel distance of ``b`` from the line through a and c; positive = above on screen."""
    a2, c2, b2 = _v(a), _v(c), _v(b)
    d = c2 - a2
    n = float(np.linalg.norm(d))
    if not n > 0:
        return math.nan
    # Normal pointing "up" on screen (negative y), independent of the a→c direction.
    normal = np.array([d[1], -d[0]]) / n
    if normal[1] > 0 or (normal[1] == 0 and normal[0] < 0):
        normal = -normal
    return float(np.dot(b2 - a2, normal))


def signed_joint_angle(a: ArrayLike, b: ArrayLike, c: ArrayLike) -> float:
    """Angle at ``b`` in 0–360°, above 180° when ``b`` is above the line a–c on screen."""
    ang = joint_angle(a, b, c)
    side = side_of_line(a, c, b)
    if math.isnan(ang) or math.isnan(side):
        return math.nan
    return 360.0 - ang if side > 0 else ang


def inclination(a: ArrayLike, b: ArrayLike) -> float:
    """Angle of segment a–b to the horizontal, 0–90°."""
    d = _v(b) - _v(a)
    if not np.any(d) or np.any(np.isnan(d)):
        return math.nan
    return math.degrees(math.atan2(abs(d[1]), abs(d[0])))


def tilt_from_vertical(a: ArrayLike, b: ArrayLike) -> float:
    """Angle of segment a–b to the vertical, 0–90°."""
    inc = inclination(a, b)
    return math.nan if math.isnan(inc) else 90.0 - inc


def elevation(a: ArrayLike, b: ArrayLike) -> float:
    """Signed angle of a→b above the horizontal (−90…90°); positive when b is higher on screen."""
    d = _v(b) - _v(a)
    if not np.any(d) or np.any(np.isnan(d)):
        return math.nan
    return math.degrees(math.atan2(-d[1], abs(d[0])))


def distance(a: ArrayLike, b: ArrayLike) -> float:
    """Euclidean pixel distance."""
    return float(np.linalg.norm(_v(a) - _v(b)))
