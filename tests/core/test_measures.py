"""Every measure kind on hand-placed points, with exact expected values and units."""

from __future__ import annotations

import math

import numpy as np
import pytest

from formcheck.core.landmarks import NUM_LANDMARKS, SIDED_JOINTS, L, Pose
from formcheck.core.measures import POINT_COUNT, Measure, twist, world_distance
from tests.synthetic import make_pose

pytestmark = pytest.mark.unit

# A torso of exactly 150 px: shoulders 150 px straight above the hips.
TORSO = {"left_shoulder": (300.0, 100.0), "right_shoulder": (300.0, 100.0),
         "left_hip": (300.0, 250.0), "right_hip": (300.0, 250.0)}


def pose(**joints: tuple[float, float]) -> Pose:
    return make_pose({**TORSO, **joints})


def m(kind: str, *points: str, signed: bool = False, side=None) -> Measure:
    return Measure("m", kind, tuple(points), signed, side)  # type: ignore[arg-type]


def test_every_kind_has_a_point_count():
    assert POINT_COUNT == {
        "angle": 3, "angle3d": 3, "inclination": 2, "tilt": 2, "lean": 2, "elevation": 2, "offset": 3, "alignment": 3,
        "distance": 2, "height": 2, "ahead": 2, "cross_distance": 2, "world_distance": 2, "twist": 2, "spread": 2,
    }


def _leaning(tilt_deg: float, half_width: float, lateral_z: float) -> Pose:
    """Trunk tilted ``tilt_deg`` on screen; the hips and shoulders ``2 * half_width`` px apart across
    the picture and ``lateral_z`` m apart in depth (make_pose's world is px / 500)."""
    dx = 150 * math.tan(math.radians(tilt_deg))
    joints = {"left_hip": (300 + half_width, 250), "right_hip": (300 - half_width, 250),
              "left_shoulder": (300 + dx + half_width, 100), "right_shoulder": (300 + dx - half_width, 100)}
    return make_pose(joints, lateral_z=lateral_z)


def test_lean_corrects_the_tilt_for_an_oblique_camera():
    lean = m("lean", "mid_hip", "mid_shoulder")
    # Side-on (the hip and shoulder lines point at the camera): the lean is the tilt on screen.
    assert lean.value(_leaning(40, 0, 0.3), "left") == pytest.approx(40.0, abs=0.01)
    # 45° off side-on (as far across as in depth): a 40° tilt on screen is a 50° lean.
    assert lean.value(_leaning(40, 50, 0.2), "left") == pytest.approx(
        math.degrees(math.atan(math.tan(math.radians(40)) / math.cos(math.radians(45)))), abs=0.01)
    # Beyond 60° off side-on (nearly facing the camera) a lean can't be read from the picture.
    assert math.isnan(lean.value(_leaning(40, 100, 0.1), "left"))


def test_angle_unsigned_and_signed():
    p = pose(left_knee=(100, 100))
    right_angle = pose(left_elbow=(100, 100), left_wrist=(100, 0), left_knee=(200, 100))
    assert m("angle", "left_wrist", "left_elbow", "left_knee").value(right_angle, "left") == pytest.approx(90.0)
    # Middle point 50 px above the line through the outer two: 126.87° unsigned, 233.13° signed.
    bent = pose(left_wrist=(0, 100), left_elbow=(100, 50), left_knee=(200, 100))
    assert m("angle", "left_wrist", "left_elbow", "left_knee").value(bent, "left") == pytest.approx(126.8699, abs=1e-3)
    assert m("angle", "left_wrist", "left_elbow", "left_knee", signed=True).value(bent, "left") == pytest.approx(233.1301, abs=1e-3)
    sagging = pose(left_wrist=(0, 100), left_elbow=(100, 150), left_knee=(200, 100))
    assert m("angle", "left_wrist", "left_elbow", "left_knee", signed=True).value(sagging, "left") == pytest.approx(126.8699, abs=1e-3)
    # A bare joint name reads the side asked for.
    # shoulder (300, 100) – hip (300, 250) – knee (100, 100): 53.13°
    assert m("angle", "shoulder", "hip", "knee").value(p, "left") == pytest.approx(53.1301, abs=1e-3)


def test_inclination_tilt_elevation():
    up45 = pose(left_elbow=(0, 0), left_wrist=(100, -100))
    assert m("inclination", "left_elbow", "left_wrist").value(up45, "left") == pytest.approx(45.0)
    assert m("tilt", "left_elbow", "left_wrist").value(up45, "left") == pytest.approx(45.0)
    assert m("elevation", "left_elbow", "left_wrist").value(up45, "left") == pytest.approx(45.0)
    down30 = pose(left_elbow=(0, 0), left_wrist=(-173.20508, 100))
    assert m("inclination", "left_elbow", "left_wrist").value(down30, "left") == pytest.approx(30.0, abs=1e-4)
    assert m("tilt", "left_elbow", "left_wrist").value(down30, "left") == pytest.approx(60.0, abs=1e-4)
    assert m("elevation", "left_elbow", "left_wrist").value(down30, "left") == pytest.approx(-30.0, abs=1e-4)


def test_offset_alignment_distance_height_in_torso_lengths():
    p = pose(left_elbow=(0, 0), left_wrist=(200, 0), left_knee=(100, -75), left_ankle=(100, 75))
    assert m("offset", "left_elbow", "left_wrist", "left_knee").value(p, "left") == pytest.approx(0.5)
    assert m("offset", "left_elbow", "left_wrist", "left_ankle").value(p, "left") == pytest.approx(-0.5)
    # elbow–knee–wrist: 180 − 106.26 = 73.74° off a straight line
    assert m("alignment", "left_elbow", "left_knee", "left_wrist").value(p, "left") == pytest.approx(73.7398, abs=1e-3)
    assert m("distance", "left_elbow", "left_wrist").value(p, "left") == pytest.approx(200 / 150)
    assert m("height", "left_knee", "left_ankle").value(p, "left") == pytest.approx(1.0)
    assert m("height", "left_ankle", "left_knee").value(p, "left") == pytest.approx(-1.0)


def test_ahead_follows_the_way_the_toes_point():
    facing_right = pose(left_knee=(200, 300), left_heel=(150, 400), left_foot_index=(190, 400), left_ankle=(160, 390))
    assert m("ahead", "knee", "ankle").value(facing_right, "left") == pytest.approx(40 / 150)
    facing_left = pose(left_knee=(120, 300), left_heel=(170, 400), left_foot_index=(130, 400), left_ankle=(160, 390))
    assert m("ahead", "knee", "ankle").value(facing_left, "left") == pytest.approx(40 / 150)
    flat = pose(left_heel=(150, 400), left_foot_index=(150, 430))
    assert math.isnan(m("ahead", "knee", "ankle").value(flat, "left"))


def test_lower_and_upper_side_follow_the_first_point():
    # Left shoulder lower on screen: "lower" reads the left arm, "upper" the right one.
    p = make_pose({"left_shoulder": (300, 300), "right_shoulder": (300, 200), "left_hip": (450, 300),
                   "right_hip": (450, 200), "left_elbow": (300, 400), "right_elbow": (380, 120)})
    lower = m("tilt", "shoulder", "elbow", side="lower")
    upper = m("tilt", "shoulder", "elbow", side="upper")
    assert lower.value(p, "right") == pytest.approx(0.0)
    assert upper.value(p, "left") == pytest.approx(45.0)
    assert sorted(lower.landmarks("left")) == sorted([L.LEFT_SHOULDER, L.LEFT_ELBOW, L.RIGHT_SHOULDER, L.RIGHT_ELBOW])


def world_pose(world: dict[str, tuple[float, float, float]]) -> Pose:
    """A pose whose world landmarks (metres) are given per joint; image = world × 300 px."""
    w = np.zeros((NUM_LANDMARKS, 3), np.float32)
    for name, xyz in world.items():
        side, base = name.split("_", 1)
        w[SIDED_JOINTS[base][0 if side == "left" else 1]] = xyz
    image = w * 300.0 + np.array([320.0, 240.0, 0.0], np.float32)
    ones = np.ones(NUM_LANDMARKS, np.float32)
    return Pose(image, w, ones, ones)


def standing(shoulder_turn_deg: float, lean_deg: float = 0.0) -> Pose:
    """Facing the camera (−z): the person's left is +x, up is −y. Shoulders turned toward the
    person's left by ``shoulder_turn_deg``; the whole trunk leaning toward the camera by ``lean_deg``."""
    t, lean = math.radians(shoulder_turn_deg), math.radians(lean_deg)
    up = np.array([0.0, -math.cos(lean), -math.sin(lean)])
    back = np.array([0.0, -math.sin(lean), math.cos(lean)])  # across the spine, toward the person's back
    left_s = math.cos(t) * np.array([1.0, 0.0, 0.0]) + math.sin(t) * back  # turning left sends the left shoulder back
    mid_s = up * 0.5
    return world_pose({
        "left_hip": (0.15, 0, 0), "right_hip": (-0.15, 0, 0),
        "left_shoulder": tuple(mid_s + 0.18 * left_s), "right_shoulder": tuple(mid_s - 0.18 * left_s),
        "left_knee": (0.1, 0.45, 0), "right_knee": (-0.1, 0.45, 0),
    })


@pytest.mark.parametrize("turn", [0.0, 10.0, 30.0, 45.0, 90.0, -25.0])
def test_twist_standing_signed_toward_the_side(turn):
    p = standing(turn)
    assert twist(p, "shoulder", "hip") == pytest.approx(turn, abs=1e-4)
    assert m("twist", "shoulder", "hip", signed=True).value(p, "left") == pytest.approx(turn, abs=1e-4)
    assert m("twist", "shoulder", "hip", signed=True).value(p, "right") == pytest.approx(-turn, abs=1e-4)
    assert m("twist", "shoulder", "hip").value(p, "right") == pytest.approx(abs(turn), abs=1e-4)
    # The hips against the shoulders turn the other way.
    assert m("twist", "hip", "shoulder", signed=True).value(p, "left") == pytest.approx(-turn, abs=1e-4)


def test_twist_ignores_a_lean_along_the_spine():
    # Leaning forward 40° tilts the shoulder line's depth relative to the vertical but not about the spine.
    assert twist(standing(0.0, lean_deg=40.0), "shoulder", "hip") == pytest.approx(0.0, abs=1e-4)
    assert twist(standing(30.0, lean_deg=40.0), "shoulder", "hip") == pytest.approx(30.0, abs=1e-4)


def test_twist_lying_on_the_back():
    # Lying on the back, head toward −x, chest facing up (−y): the person's right is −z (toward the
    # camera). The chest turning 40° toward the right sends the right shoulder back, i.e. down (+y).
    t = math.radians(40)
    right_dir = np.array([0.0, math.sin(t), -math.cos(t)])
    mid_s = np.array([-0.5, 0.0, 0.0])
    p = world_pose({
        "left_hip": (0, 0, 0.15), "right_hip": (0, 0, -0.15),
        "left_shoulder": tuple(mid_s - 0.18 * right_dir), "right_shoulder": tuple(mid_s + 0.18 * right_dir),
    })
    assert m("twist", "shoulder", "hip", signed=True).value(p, "right") == pytest.approx(40.0, abs=1e-4)
    assert m("twist", "shoulder", "hip").value(p, "left") == pytest.approx(40.0, abs=1e-4)


def test_twist_chest_toward_the_ceiling_from_hands_and_knees_is_toward_that_side():
    # Hands and knees, head toward −x, chest facing the floor (+y); the person's left is −z (near the
    # camera). Rotating the right elbow up to the ceiling sends the right shoulder up (−y): the chest
    # turns toward the right, so the right side reads positive.
    t = math.radians(35)
    right_dir = np.array([0.0, -math.sin(t), math.cos(t)])  # right shoulder: +z, lifted by t
    mid_s = np.array([-0.5, 0.0, 0.0])
    p = world_pose({
        "left_hip": (0, 0, -0.15), "right_hip": (0, 0, 0.15),
        "left_shoulder": tuple(mid_s - 0.18 * right_dir), "right_shoulder": tuple(mid_s + 0.18 * right_dir),
    })
    signed = m("twist", "shoulder", "hip", signed=True)
    assert signed.value(p, "right") == pytest.approx(35.0, abs=1e-4)
    assert signed.value(p, "left") == pytest.approx(-35.0, abs=1e-4)


def test_twist_degenerate_is_nan():
    p = world_pose({"left_hip": (0, 0, 0), "right_hip": (0, 0, 0)})
    assert math.isnan(twist(p, "shoulder", "hip"))


def test_world_distance_in_world_torso_lengths():
    p = world_pose({
        "left_hip": (0.15, 0, 0), "right_hip": (-0.15, 0, 0),
        "left_shoulder": (0.18, -0.5, 0), "right_shoulder": (-0.18, -0.5, 0),
        # Knees one behind the other along the camera axis: 0 px apart on screen, 0.2 m in depth.
        "left_knee": (0.0, 0.45, 0.1), "right_knee": (0.0, 0.45, -0.1),
    })
    assert world_distance(p, "left_knee", "right_knee", "left") == pytest.approx(0.4, abs=1e-6)
    assert m("world_distance", "left_knee", "right_knee").value(p, "left") == pytest.approx(0.4, abs=1e-6)
    assert m("distance", "left_knee", "right_knee").value(p, "left") == pytest.approx(0.0, abs=1e-6)
    assert m("world_distance", "knee", "hip").value(p, "left") == pytest.approx(
        math.hypot(0.15, 0.45, 0.1) / 0.5, abs=1e-6)


def test_zero_torso_gives_nan_not_a_crash():
    p = make_pose({"left_shoulder": (10, 10), "right_shoulder": (10, 10), "left_hip": (10, 10),
                   "right_hip": (10, 10), "left_knee": (50, 50)})
    for kind in ("distance", "height", "ahead"):
        assert math.isnan(m(kind, "left_knee", "left_hip").value(p, "left"))


def test_landmarks_name_every_point_a_measure_reads():
    assert m("angle", "hip", "knee", "ankle").landmarks("right") == [L.RIGHT_HIP, L.RIGHT_KNEE, L.RIGHT_ANKLE]
    assert m("ahead", "knee", "ankle").landmarks("left") == [L.LEFT_KNEE, L.LEFT_ANKLE, L.LEFT_HEEL, L.LEFT_FOOT_INDEX]
    assert sorted(m("twist", "shoulder", "hip").landmarks("left")) == sorted(
        [L.LEFT_SHOULDER, L.LEFT_HIP, L.RIGHT_SHOULDER, L.RIGHT_HIP])
    assert sorted(m("cross_distance", "ankle", "knee").landmarks("left")) == sorted(
        [L.LEFT_ANKLE, L.LEFT_KNEE, L.RIGHT_ANKLE, L.RIGHT_KNEE])
    assert m("distance", "mid_hip", "nose").landmarks("left") == [L.LEFT_HIP, L.RIGHT_HIP, L.NOSE]
    assert m("tilt", "shoulder", "elbow", side="right").landmarks("left") == [L.RIGHT_SHOULDER, L.RIGHT_ELBOW]


def test_cross_distance_takes_the_closer_crossing_in_3d():
    base = {"left_hip": (0.15, 0, 0), "right_hip": (-0.15, 0, 0),
            "left_shoulder": (0.18, -0.5, 0), "right_shoulder": (-0.18, -0.5, 0)}
    # Left ankle 0.1 m from the right knee (both at the same spot on screen, apart in depth).
    crossed = world_pose({**base, "left_ankle": (-0.1, 0.3, 0.0), "right_knee": (-0.1, 0.3, 0.1),
                          "right_ankle": (-0.1, 0.8, 0.0), "left_knee": (0.3, 0.3, 0.0)})
    measure = m("cross_distance", "ankle", "knee")
    assert measure.value(crossed, "left") == pytest.approx(0.2, abs=1e-6)
    assert measure.value(crossed, "right") == pytest.approx(0.2, abs=1e-6)  # side-free
    # The other leg crossed: right ankle 0.15 m from the left knee.
    other = world_pose({**base, "right_ankle": (0.3, 0.15, 0.0), "left_knee": (0.3, 0.3, 0.0),
                        "left_ankle": (0.3, 0.8, 0.0), "right_knee": (-0.3, 0.3, 0.0)})
    assert measure.value(other, "left") == pytest.approx(0.3, abs=1e-6)
    assert math.isnan(measure.value(world_pose({"left_knee": (0.1, 0.1, 0.1)}), "left"))


def test_angle3d_reads_a_knee_bending_toward_the_camera():
    # Hip above the ankle on screen, knee pushed toward the camera: a straight leg on screen, 90° in 3-D.
    p = world_pose({"left_hip": (0, 0, 0), "left_knee": (0, 0.3, -0.3), "left_ankle": (0, 0.6, 0)})
    assert m("angle3d", "hip", "knee", "ankle").value(p, "left") == pytest.approx(90.0, abs=1e-6)


@pytest.mark.parametrize("toes", [+1, -1], ids=["facing right", "facing left"])
def test_front_leg_is_the_one_ahead_the_way_the_toes_point(toes):
    # The right ankle is 100 px further the way the toes point: it is the front leg, its knee bent.
    front, back = 400 + 100 * toes, 400
    p = pose(right_ankle=(front, 500), right_heel=(front - 10 * toes, 510), right_foot_index=(front + 30 * toes, 510),
             right_knee=(front - 100 * toes, 400), right_hip=(300, 300),
             left_ankle=(back, 500), left_heel=(back - 10 * toes, 510), left_foot_index=(back + 30 * toes, 510),
             left_knee=(back, 400), left_hip=(300, 300))
    knee = m("angle", "hip", "knee", "ankle", side="front")
    assert knee.side_for(p, "left") == "right" and m("angle", "hip", "knee", "ankle", side="back").side_for(p, "left") == "left"
    assert knee.value(p, "left") == pytest.approx(m("angle", "hip", "knee", "ankle").value(p, "right"))
    assert L.LEFT_FOOT_INDEX in knee.landmarks("left") and L.RIGHT_HEEL in knee.landmarks("left")


def test_every_measure_kind_says_its_unit():
    """`formcheck exercises --faults` writes thresholds with these; a new kind without one read "over 45"."""
    import typing

    from formcheck.core.measures import UNITS, MeasureKind

    assert set(UNITS) == set(typing.get_args(MeasureKind))
