"""Camera placement check: is the camera where it should be for this exercise, and if not, what
to change — measured from the person in view, in the exercise's starting position.

Measures (medians over a second or two of frames):

* distance — how much of the frame the movement fills, and the camera's distance in metres
  (from the torso's size in pixels, an adult torso of ``TRUNK_M`` and a typical webcam's field of
  view, so "about half a metre further away" is an estimate);
* roll — how far the picture is rotated: the standing body's vertical axis, or the floor line when
  lying or on hands and knees (the lowest edge of the body's outline, where it rests on the floor);
* view angle — how far the body is turned from side-on (0°) toward square to the camera (90°);
* framing — room in the frame around the whole movement: the starting outline grown by the
  exercise's ``setup.envelope`` (the bird dog's reach, the bridge's lift);
* light — the picture's mean brightness.

Nobody in view, or the wrong view or posture for the exercise, is refused with the reason:
placement can't be judged from it.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from formcheck.core import geometry as g
from formcheck.core.exercise import ExerciseDef
from formcheck.core.kinematics import Side, _across, classify_view, facing_side, point
from formcheck.core.landmarks import L, Pose, PoseResult

TRUNK_M = 0.50  # shoulder-midpoint to hip-midpoint of an adult, metres (for the distance estimate)
DIAGONAL_FOV_DEG = 75.0  # a typical laptop or USB webcam (its diagonal field of view)
DARK_FRAME = 50.0  # mean luminance (0–255) below which pose tracking suffers: ask for more light
MIN_FILL, MAX_FILL, GOOD_FILL = 0.5, 0.94, 0.8  # the movement's share of the frame (its tighter axis)
EDGE_MARGIN = 0.02  # free space to keep between the movement and each edge (share of the frame)
ROLL_TOLERANCE_DEG = 4.0
SIDE_ON_TOLERANCE_DEG = 25.0  # side views: at most this far from side-on; front views: from square
FULL_WIDTH = 0.55  # mean of shoulder and hip width over torso length, square on (adults ~0.55–0.6)
MIN_SEEN = 0.3  # landmark confidence that counts as "in the picture" for the outline
_OUTLINE = range(0, 33)


@dataclass(frozen=True)
class Placement:
    """The verdict: ``ok`` (green) when nothing needs changing for the exercise."""

    exercise: str
    refused: str | None = None  # why placement couldn't be judged (nobody in view, wrong view)
    view: str = ""  # e.g. "side/lying"
    fill: float = math.nan  # the movement's share of the frame along its tighter axis
    distance_m: float = math.nan  # estimated camera distance
    roll_deg: float | None = None  # positive: the floor rises toward the picture's right
    turned_deg: float | None = None  # 0 = side-on, 90 = square to the camera
    margins: dict[str, float] = field(default_factory=dict)  # left/right/top/bottom room, share of frame
    brightness: float | None = None
    instructions: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.refused is None and not self.instructions

    def text(self) -> str:
        if self.refused:
            return f"Not judged: {self.refused}"
        lines = [f"{'GOOD' if self.ok else 'ADJUST'} for {self.exercise}: seen {self.view}, "
                 f"movement fills {self.fill:.0%} of the frame, camera about {self.distance_m:.1f} m away"]
        facts = []
        if self.roll_deg is not None:
            facts.append(f"tilted {self.roll_deg:+.0f}°")
        if self.turned_deg is not None:
            facts.append(f"turned {self.turned_deg:.0f}° from side-on")
        if self.brightness is not None:
            facts.append(f"brightness {self.brightness:.0f}/255")
        if self.margins:
            facts.append("room " + ", ".join(f"{k} {v:+.0%}" for k, v in self.margins.items()))
        lines.append("; ".join(facts))
        lines += [f"- {i}" for i in self.instructions]
        return "\n".join(lines)


def _metres(m: float) -> str:
    """A distance as people say it: about 25 cm, half a metre, a metre, 1.5 m."""
    quarter = max(0.25, round(m * 4) / 4)
    return {0.25: "about 25 cm", 0.5: "about half a metre", 0.75: "about 75 cm", 1.0: "about a metre"}.get(
        quarter, f"about {quarter:g} m")


def _front_sign(pose: Pose, posture: str, side: Side) -> float:
    """+1 when the exercise's "front" (see ``Envelope``) is toward the picture's right."""
    if posture in ("standing", "sitting"):
        dx = float(point(pose, "foot_index", side)[0] - point(pose, "heel", side)[0])
    else:
        dx = float(point(pose, "nose")[0] - point(pose, "mid_hip")[0])
    return 1.0 if dx >= 0 else -1.0


def _outline(pose: Pose) -> tuple[float, float, float, float]:
    seen = [i for i in _OUTLINE if pose.confidence(i) >= MIN_SEEN] or list(_OUTLINE)
    xy = pose.image[seen, :2]
    return float(xy[:, 0].min()), float(xy[:, 1].min()), float(xy[:, 0].max()), float(xy[:, 1].max())


def roll_deg(pose: Pose, posture: str) -> float | None:
    """How far the picture is rotated (degrees, positive when the camera's right side is low: the
    floor rises toward the picture's right and a standing body leans left); None when sitting or
    when the landmarks it needs aren't seen."""
    side = facing_side(pose)
    if posture == "standing":
        up = point(pose, "mid_shoulder") - point(pose, "mid_ankle")
        return math.degrees(math.atan2(-float(up[0]), -float(up[1])))
    if posture not in ("lying", "hands_knees"):
        return None
    names = ("nose", "shoulder", "elbow", "wrist", "hip", "knee", "ankle", "heel", "foot_index")
    pts = np.array([point(pose, n, None if n == "nose" else side) for n in names], np.float64)
    edge = _floor_edge(pts)
    if edge is None:
        return None
    (x0, y0), (x1, y1) = edge
    return math.degrees(math.atan2(-(y1 - y0), x1 - x0))


def _floor_edge(pts: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The longest edge of the lower convex hull of ``pts`` (pixels, y down): where a lying or
    kneeling body rests on the floor."""
    order = pts[np.lexsort((pts[:, 1], pts[:, 0]))]
    hull: list[np.ndarray] = []
    for p in order:  # Andrew's monotone chain, the lower side (largest y) in image coordinates
        while len(hull) >= 2 and _cross(hull[-2], hull[-1], p) >= 0:
            hull.pop()
        hull.append(p)
    edges = [(a, b) for a, b in zip(hull, hull[1:], strict=False) if b[0] - a[0] > 0]
    if not edges:
        return None
    return max(edges, key=lambda e: float(np.linalg.norm(e[1] - e[0])))


def _cross(o: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    return float((a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]))


def turned_deg(pose: Pose) -> float:
    """How far the body is turned from side-on (0°) toward square to the camera (90°): the mean of
    the picture's estimate (how wide shoulders and hips look across the spine) and the 3-D one
    (how far the shoulder and hip lines point away from the camera's axis)."""
    ls, rs, lh, rh = (pose.xy(i) for i in (L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_HIP, L.RIGHT_HIP))
    mid_s, mid_h = (ls + rs) / 2, (lh + rh) / 2
    torso = g.distance(mid_s, mid_h)
    width = (_across(ls - rs, (mid_s - mid_h) / torso) + _across(lh - rh, (mid_s - mid_h) / torso)) / (2 * torso)
    picture = math.degrees(math.asin(min(1.0, width / FULL_WIDTH)))
    w = pose.world.astype(np.float64)
    v = (w[L.LEFT_SHOULDER] - w[L.RIGHT_SHOULDER]) + (w[L.LEFT_HIP] - w[L.RIGHT_HIP])
    depth = math.degrees(math.acos(min(1.0, abs(float(v[2])) / float(np.linalg.norm(v))))) if np.any(v) else picture
    return (picture + depth) / 2


def check_placement(results: Sequence[PoseResult], exercise: ExerciseDef, brightness: float | None = None,
                    fov_deg: float = DIAGONAL_FOV_DEG) -> Placement:
    """Judge the camera's placement for ``exercise`` from a second or two of frames of the person in
    the starting position (``brightness``: the pictures' mean luminance, 0–255)."""
    name = exercise.name
    with_pose = [r for r in results if r.pose is not None]
    poses = [r.pose for r in results if r.pose is not None]
    if not results or len(with_pose) < max(3, len(results) // 2):
        return Placement(name, "Nobody is in view: stand or lie where the camera sees your whole body, "
                               f"then check again. {exercise.camera}", brightness=brightness)
    views = [classify_view(p) for p in poses]
    view = Counter(v.view for v in views).most_common(1)[0][0]
    posture = Counter(v.posture for v in views).most_common(1)[0][0]
    label = f"{view}/{posture}"
    setup = exercise.setup
    if setup is not None and view not in setup.views:
        wanted = " or ".join(setup.views)
        return Placement(name, f"You are seen from the {view}, and {name} needs a {wanted} view. {exercise.camera}",
                         label, brightness=brightness)
    if setup is not None and setup.postures and posture not in setup.postures:
        seen = {"hands_knees": "on hands and knees"}.get(posture, posture)
        return Placement(name, f"You seem to be {seen}; "
                               f"get into the starting position first ({setup.position_cue}) so the whole "
                               "movement can be framed.", label, brightness=brightness)
    width, height = with_pose[0].width, with_pose[0].height
    boxes = np.array([_outline(p) for p in poses])
    x0, y0, x1, y1 = np.median(boxes, axis=0)
    torso = float(np.median([g.distance(point(p, "mid_shoulder"), point(p, "mid_hip")) for p in poses]))
    env = setup.envelope if setup is not None else None
    if env is not None:
        front = float(np.median([_front_sign(p, posture, facing_side(p)) for p in poses]))
        ahead, behind = env.front * torso, env.back * torso
        x0, x1 = (x0 - behind, x1 + ahead) if front >= 0 else (x0 - ahead, x1 + behind)
        y0, y1 = y0 - env.up * torso, y1 + env.down * torso
    margins = {"left": x0 / width, "right": (width - x1) / width, "top": y0 / height, "bottom": (height - y1) / height}
    fill = max((x1 - x0) / width, (y1 - y0) / height)
    focal = math.hypot(width, height) / 2 / math.tan(math.radians(fov_deg) / 2)
    distance = focal * TRUNK_M / torso if torso > 0 else math.nan
    rolls = [r for r in (roll_deg(p, posture) for p in poses) if r is not None]
    roll = float(np.median(rolls)) if rolls else None
    turned = float(np.median([turned_deg(p) for p in poses]))
    instructions = _instructions(exercise, fill, distance, margins, roll, turned, view, brightness)
    return Placement(name, None, label, round(fill, 3), round(distance, 2), None if roll is None else round(roll, 1),
                     round(turned, 1), {k: round(v, 3) for k, v in margins.items()}, brightness, tuple(instructions))


def _instructions(exercise: ExerciseDef, fill: float, distance: float, margins: dict[str, float],
                  roll: float | None, turned: float, view: str, brightness: float | None) -> list[str]:
    out: list[str] = []
    if brightness is not None and brightness < DARK_FRAME:
        out.append("Turn on more light, or face a window: the picture is too dark to track you well.")
    if fill > MAX_FILL:
        move = distance * (fill / GOOD_FILL - 1)
        out.append(f"Move the camera {_metres(move)} further away: the whole movement doesn't fit in the picture.")
    elif fill < MIN_FILL:
        move = distance * (1 - fill / GOOD_FILL)
        out.append(f"Move the camera {_metres(move)} closer: you are small in the picture, which makes tracking less "
                   "precise.")
    else:
        cut = [k for k, v in margins.items() if v < EDGE_MARGIN]
        if "top" in cut and "bottom" not in cut:
            out.append("Tilt the laptop screen back a little (or raise the camera): the top of the movement is cut off.")
        if "bottom" in cut and "top" not in cut:
            out.append("Tilt the laptop screen forward a little (or lower the camera): the bottom of the movement is "
                       "cut off.")
        for edge in ("left", "right"):
            if edge in cut and ({"left", "right"} - {edge}).pop() not in cut:
                out.append(f"Move toward the middle of the picture (or turn the camera a little toward its {edge} "
                           f"edge): the {edge} edge cuts off part of the movement.")
    if roll is not None and abs(roll) > ROLL_TOLERANCE_DEG:
        side = "left" if roll > 0 else "right"
        out.append(f"Level the camera: the picture is tilted about {abs(roll):.0f}°. Raise its {side} side as you "
                   f"face it (e.g. put something under the laptop's {side} side).")
    views = exercise.setup.views if exercise.setup else ()
    if view == "side" and set(views) == {"side"} and turned > SIDE_ON_TOLERANCE_DEG:
        out.append(f"Turn more side-on to the camera: you are about {turned:.0f}° from side-on.")
    if view in ("front", "back") and "side" not in views and turned < 90 - SIDE_ON_TOLERANCE_DEG:
        out.append(f"Face the camera more squarely: you are turned about {90 - turned:.0f}° away from it.")
    return out
