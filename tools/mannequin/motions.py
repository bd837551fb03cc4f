"""Motion scripts: for each clip, the mannequin's body at every frame plus the ground truth.

Each script returns a ``Clip``: bodies (one per frame at FPS), the camera, and labels (reps with
their side and timing, holds, faults). Angles are set by solving the geometry for a target joint
angle, so the labels say what the clip really shows.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from tools.mannequin.body import (
    FOREARM,
    NECK,
    SHIN,
    THIGH,
    TORSO,
    UPPER_ARM,
    Body,
    circle_intersection,
    sagittal,
    unit,
)
from tools.mannequin.render import Camera

FPS = 30
LEG = THIGH + SHIN


@dataclass
class Clip:
    name: str
    exercise: str
    view: str
    description: str
    camera: Camera
    bodies: list[Body] = field(default_factory=list)
    reps: list[dict] = field(default_factory=list)
    holds: list[dict] = field(default_factory=list)
    faults: list[dict] = field(default_factory=list)


def frames(seconds: float) -> int:
    return max(1, round(seconds * FPS))


def smooth(p: float) -> float:
    """Ease in and out (people don't move at constant speed)."""
    return 0.5 - 0.5 * math.cos(math.pi * min(max(p, 0.0), 1.0))


def schedule(segments: list[tuple[float, float, float]]) -> list[float]:
    """Piecewise values: each segment (from, to, seconds) eased; returns one value per frame."""
    out: list[float] = []
    for a, b, secs in segments:
        n = frames(secs)
        out += [a + (b - a) * smooth(i / n) for i in range(n)]
    return out


def _angle(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
    u, v = a - b, c - b
    return math.degrees(math.acos(np.clip(np.dot(u, v) / np.linalg.norm(u) / np.linalg.norm(v), -1, 1)))


def _bisect(f: Callable[[float], float], target: float, lo: float, hi: float) -> float:
    """x in [lo, hi] with f(x) = target, for monotonic f."""
    rising = f(hi) > f(lo)
    for _ in range(50):
        mid = (lo + hi) / 2
        if (f(mid) < target) == rising:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


# ---- squat -------------------------------------------------------------------------------------
def squat_body(knee: float, dirx: float = -1.0, lean_gain: float = 0.33) -> Body:
    """Standing side-on, facing ``dirx`` (−1 = screen-left: the left side faces the camera)."""
    k = 180.0 - knee
    s, t = math.radians(0.4 * k), math.radians(0.6 * k)
    f = math.radians(5 + lean_gain * k)
    a = np.array([0.0, 0.07])
    kn = a + SHIN * np.array([dirx * math.sin(s), math.cos(s)])
    h = kn + THIGH * np.array([-dirx * math.sin(t), math.cos(t)])
    sh = h + TORSO * np.array([dirx * math.sin(f), math.cos(f)])
    head = sh + NECK * np.array([dirx * math.sin(f), math.cos(f)]) + np.array([dirx * 0.03, 0])
    arm = np.array([dirx * math.sin(math.radians(80)), -math.cos(math.radians(80))])
    el = sh + UPPER_ARM * arm
    wr = el + FOREARM * arm
    pts = {
        "hip": h, "shoulder": sh, "head": head, "knee": kn, "ankle": a,
        "heel": a + np.array([-dirx * 0.05, -0.04]), "toe": a + np.array([dirx * 0.16, -0.045]),
        "elbow": el, "wrist": wr,
    }
    return sagittal({k_: tuple(v) for k_, v in pts.items()}, face=(dirx, -0.15))


def squat_good() -> Clip:
    clip = Clip("squat_good", "squat", "side", "Three good squats, side-on (left side toward the camera).",
                Camera(np.array([0.0, 0.85, 2.6])))
    knees = schedule([(175, 175, 1.0)])
    t = len(knees) / FPS
    for i in range(3):
        seg = schedule([(175, 95, 1.0), (95, 95, 0.3), (95, 175, 1.0), (175, 175, 0.5)])
        clip.reps.append({"index": i + 1, "side": None, "start_s": round(t, 2), "peak_s": round(t + 1.15, 2),
                          "end_s": round(t + 2.3, 2)})
        knees += seg
        t += len(seg) / FPS
    clip.bodies = [squat_body(k) for k in knees]
    return clip


# ---- glute bridge ------------------------------------------------------------------------------
BRIDGE_SHOULDER = np.array([-0.50, 0.10])
BRIDGE_ANKLE = np.array([0.57, 0.07])


def _bridge_points(hip_y: float) -> tuple[np.ndarray, np.ndarray]:
    phi = math.asin((hip_y - BRIDGE_SHOULDER[1]) / TORSO)
    h = BRIDGE_SHOULDER + TORSO * np.array([math.cos(phi), math.sin(phi)])
    k = circle_intersection(h, THIGH, BRIDGE_ANKLE, SHIN, upper=True)
    return h, k


def _signed_hip(hip_y: float) -> float:
    """Shoulder–hip–knee angle, above 180 when the hip rises over the shoulder–knee line."""
    h, k = _bridge_points(hip_y)
    s = BRIDGE_SHOULDER
    angle = _angle(s, h, k)
    line_y = s[1] + (k[1] - s[1]) * (h[0] - s[0]) / (k[0] - s[0])
    return 360.0 - angle if h[1] > line_y else angle


def bridge_body(hip_angle: float) -> Body:
    """Lying on the back, head to the left; ``hip_angle`` = shoulder–hip–knee in degrees."""
    hip_y = _bisect(_signed_hip, hip_angle, 0.10, 0.45)
    h, k = _bridge_points(hip_y)
    s, a = BRIDGE_SHOULDER, BRIDGE_ANKLE
    el = s + np.array([0.26, -0.045])
    pts = {
        "hip": h, "shoulder": s, "head": s + np.array([-NECK, 0.005]), "knee": k, "ankle": a,
        "heel": a + np.array([-0.05, -0.04]), "toe": a + np.array([0.16, -0.045]),
        "elbow": el, "wrist": el + np.array([0.24, -0.005]),
    }
    return sagittal({k_: tuple(v) for k_, v in pts.items()}, face=(0.0, 1.0))


def _bridge_clip(name: str, peak: float, description: str, fault: str | None) -> Clip:
    clip = Clip(name, "glute_bridge", "side", description, Camera(np.array([0.0, 0.38, 2.0])))
    rest = 128.0
    angles = schedule([(rest, rest, 1.0)])
    t = len(angles) / FPS
    for i in range(3):
        seg = schedule([(rest, peak, 1.0), (peak, peak, 2.5), (peak, rest, 1.5), (rest, rest, 0.7)])
        clip.reps.append({"index": i + 1, "side": None, "start_s": round(t, 2), "peak_s": round(t + 1.0, 2),
                          "end_s": round(t + 5.0, 2)})
        if fault:
            clip.faults.append({"code": fault, "start_s": round(t + 1.0, 2), "end_s": round(t + 3.5, 2)})
        angles += seg
        t += len(seg) / FPS
    clip.bodies = [bridge_body(a) for a in angles]
    return clip


def glute_bridge_good() -> Clip:
    return _bridge_clip("glute_bridge_good", 176.0, "Three glute bridges to a straight line, 2.5 s at the top.", None)


def glute_bridge_low() -> Clip:
    return _bridge_clip("glute_bridge_low", 157.0, "Three bridges that stop low (shoulder–hip–knee ≈ 157°).",
                        "bridge_not_high_enough")


# ---- bird dog ----------------------------------------------------------------------------------
BD_HIP = np.array([-0.25, 0.50])
BD_TORSO_DIR = np.array([math.cos(math.radians(8)), math.sin(math.radians(8))])


def _rot(v: np.ndarray, deg: float) -> np.ndarray:
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return np.array([c * v[0] - s * v[1], s * v[0] + c * v[1]])


def bird_dog_body(right_arm: float, left_arm: float, right_leg: float, left_leg: float, leg_top: float = 0.0) -> Body:
    """On hands and knees, head to the right. Each limb's lift is 0 (on the floor) … 1 (reached).

    A reached arm points forward level with the floor; a reached leg points back at
    ``leg_top`` degrees above level.
    """
    h = BD_HIP
    s = h + TORSO * BD_TORSO_DIR
    pts: dict[str, np.ndarray] = {"hip": h, "shoulder": s, "head": s + np.array([NECK, 0.03])}
    for side, arm, leg in (("right", right_arm, right_leg), ("left", left_arm, left_leg)):
        a = math.radians(90 * smooth(arm))
        d = np.array([math.sin(a), -math.cos(a)])
        pts[f"{side}_elbow"] = s + UPPER_ARM * d
        pts[f"{side}_wrist"] = s + (UPPER_ARM + FOREARM) * d
        p = smooth(leg)
        thigh = _rot(np.array([0.0, -1.0]), -p * (90 + leg_top))
        shin = _rot(thigh, -(1 - p) * 90)
        k = h + THIGH * thigh
        an = k + SHIN * shin
        pts[f"{side}_knee"], pts[f"{side}_ankle"] = k, an
        pts[f"{side}_toe"] = an + 0.15 * shin + 0.03 * _rot(shin, 90)
        pts[f"{side}_heel"] = an + 0.05 * _rot(shin, -90)
    return sagittal({k_: tuple(v) for k_, v in pts.items()}, face=(1.0, -0.35))


def _bird_dog_clip(name: str, leg_top: float, description: str, fault: str | None) -> Clip:
    clip = Clip(name, "bird_dog", "side", description, Camera(np.array([0.0, 0.38, 2.0])))
    limbs = {"right_arm": [], "left_arm": [], "right_leg": [], "left_leg": []}

    def idle(secs: float) -> None:
        for v in limbs.values():
            v.extend([0.0] * frames(secs))

    idle(1.0)
    for i, arm_side in enumerate(("right", "left", "right", "left")):
        leg_side = "left" if arm_side == "right" else "right"
        t = len(limbs["right_arm"]) / FPS
        lift = schedule([(0, 1, 1.2), (1, 1, 3.0), (1, 0, 1.2)])
        for key in limbs:
            active = key in (f"{arm_side}_arm", f"{leg_side}_leg")
            limbs[key].extend(lift if active else [0.0] * len(lift))
        idle(0.6)
        clip.reps.append({"index": i + 1, "side": arm_side, "start_s": round(t, 2), "peak_s": round(t + 1.2, 2),
                          "end_s": round(t + 5.4, 2)})
        if fault:
            clip.faults.append({"code": fault, "start_s": round(t + 1.2, 2), "end_s": round(t + 4.2, 2)})
    n = len(limbs["right_arm"])
    clip.bodies = [bird_dog_body(limbs["right_arm"][i], limbs["left_arm"][i], limbs["right_leg"][i],
                                 limbs["left_leg"][i], leg_top) for i in range(n)]
    return clip


def bird_dog_good() -> Clip:
    return _bird_dog_clip("bird_dog_good", 0.0, "Four bird-dog reps, alternating, arm and leg level, 3 s holds.", None)


def bird_dog_leg_high() -> Clip:
    return _bird_dog_clip("bird_dog_leg_high", 30.0, "Four bird-dog reps with the leg lifted ~30° above level.",
                          "bird_dog_leg_too_high")


# ---- planks ------------------------------------------------------------------------------------
def _body_line(shoulder: np.ndarray, angle: float, foot_y: float, head_left: bool) -> tuple[np.ndarray, np.ndarray]:
    """Hip and ankle centres for a shoulder–hip–ankle angle (below 180 = hips sagging)."""
    sign = -1.0 if head_left else 1.0  # direction from the feet toward the head along x

    def place(tilt: float) -> tuple[np.ndarray, np.ndarray]:
        # The trunk drops from the shoulder at ``tilt`` below level; the legs continue bent by
        # 180 - angle (hips lower than the straight line when sagging).
        t = math.radians(tilt)
        h = shoulder + TORSO * np.array([-sign * math.cos(t), -math.sin(t)])
        leg_dir = math.radians(tilt - (180.0 - angle))
        a = h + LEG * np.array([-sign * math.cos(leg_dir), -math.sin(leg_dir)])
        return h, a

    tilt = _bisect(lambda x: place(x)[1][1], foot_y, -30.0, 60.0)
    return place(tilt)


def plank_body(angle: float) -> Body:
    """Forearm plank, head to the right, side-on."""
    elbow = np.array([0.45, 0.06])
    s = elbow + np.array([0.0, UPPER_ARM])
    h, a = _body_line(s, angle, 0.07, head_left=False)
    k = h + (a - h) * THIGH / LEG
    pts = {
        "shoulder": s, "hip": h, "knee": k, "ankle": a, "head": s + np.array([NECK * 0.95, 0.04]),
        "elbow": elbow, "wrist": elbow + np.array([FOREARM, 0.0]),
        "toe": a + np.array([0.03, -0.065]), "heel": a + np.array([-0.07, 0.04]),
    }
    return sagittal({k_: tuple(v) for k_, v in pts.items()}, face=(0.6, -1.0))


def side_plank_body(angle: float) -> Body:
    """Forearm side plank on the right side, facing the camera, head to the left."""
    r_elbow = np.array([-0.55, 0.06, 0.05])
    r_sh = r_elbow + np.array([0.0, UPPER_ARM, -0.05])
    centre = r_sh + np.array([0.0, 0.18, 0.0])
    h2, a2 = _body_line(centre[:2], angle, 0.12, head_left=True)
    left = np.array([0.0, 1.0, 0.0])
    j: dict[str, np.ndarray] = {}
    h3, a3 = np.array([*h2, 0.0]), np.array([*a2, 0.0])
    k3 = h3 + (a3 - h3) * THIGH / LEG
    for side, sign in (("left", 1.0), ("right", -1.0)):
        j[f"{side}_shoulder"] = centre + sign * 0.18 * left
        j[f"{side}_hip"] = h3 + sign * 0.09 * left
        j[f"{side}_knee"] = k3 + sign * 0.06 * left
        j[f"{side}_ankle"] = a3 + sign * 0.05 * left
        j[f"{side}_heel"] = j[f"{side}_ankle"] + np.array([0.0, 0.0, -0.05])
        j[f"{side}_toe"] = j[f"{side}_ankle"] + np.array([0.04, 0.0, 0.16])
    j["right_elbow"] = r_elbow
    j["right_wrist"] = r_elbow + np.array([0.06, 0.0, FOREARM - 0.02])
    along = unit(h3 - centre)
    j["left_elbow"] = j["left_shoulder"] + UPPER_ARM * along + np.array([0.0, 0.03, 0.05])
    j["left_wrist"] = j["left_elbow"] + FOREARM * along + np.array([0.0, 0.0, 0.03])
    j["head"] = centre + NECK * unit(centre - h3) + np.array([0.0, 0.0, 0.0])
    return Body(j, np.array([0.0, 0.0, 1.0]), left)


def _hold_clip(name: str, exercise: str, view: str, body: Callable[[float], Body], angle: float,
               description: str, camera: Camera, fault: str | None) -> Clip:
    clip = Clip(name, exercise, view, description, camera)
    angles = schedule([(135, 135, 0.7), (135, angle, 1.5), (angle, angle, 8.0), (angle, 135, 1.0)])
    clip.holds.append({"start_s": round(2.2, 2), "end_s": round(10.2, 2)})
    if fault:
        clip.faults.append({"code": fault, "start_s": 2.2, "end_s": 10.2})
    clip.bodies = [body(a) for a in angles]
    return clip


def plank_good() -> Clip:
    return _hold_clip("plank_good", "forearm_plank", "side", plank_body, 178.0,
                      "Forearm plank held straight for 8 s, side-on.", Camera(np.array([0.0, 0.38, 2.1])), None)


def plank_sag() -> Clip:
    return _hold_clip("plank_sag", "forearm_plank", "side", plank_body, 152.0,
                      "Forearm plank with the hips sagging (shoulder–hip–ankle ≈ 152°).",
                      Camera(np.array([0.0, 0.38, 2.1])), "hips_sagging")


def side_plank_good() -> Clip:
    return _hold_clip("side_plank_good", "side_plank", "front", side_plank_body, 178.0,
                      "Side plank on the right forearm facing the camera, straight, 8 s.",
                      Camera(np.array([0.0, 0.42, 2.3])), None)


def side_plank_sag() -> Clip:
    return _hold_clip("side_plank_sag", "side_plank", "front", side_plank_body, 157.0,
                      "Side plank with the hips sagging (shoulder–hip–ankle ≈ 157°).",
                      Camera(np.array([0.0, 0.42, 2.3])), "hips_sagging")


CLIPS: dict[str, Callable[[], Clip]] = {
    "squat_good": squat_good,
    "glute_bridge_good": glute_bridge_good,
    "glute_bridge_low": glute_bridge_low,
    "bird_dog_good": bird_dog_good,
    "bird_dog_leg_high": bird_dog_leg_high,
    "plank_good": plank_good,
    "plank_sag": plank_sag,
    "side_plank_good": side_plank_good,
    "side_plank_sag": side_plank_sag,
}
