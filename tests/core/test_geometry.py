import math

import pytest

from formcheck.core import geometry as g

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("a", "b", "c", "expected"),
    [
        ((0, 0), (1, 0), (2, 0), 180.0),
        ((0, 0), (1, 0), (1, 1), 90.0),
        ((1, 0), (0, 0), (1, 1), 45.0),
        ((2, 0), (0, 0), (1, math.sqrt(3)), 60.0),
        ((1, 0), (0, 0), (1, 0), 0.0),
    ],
)
def test_joint_angle_exact(a, b, c, expected):
    assert g.joint_angle(a, b, c) == pytest.approx(expected, abs=1e-9)


def test_joint_angle_is_aspect_correct_in_pixels():
    # 45° in pixels stays 45° whatever the frame's aspect ratio: callers pass pixels, not [0, 1].
    assert g.joint_angle((100, 0), (0, 0), (100, -100)) == pytest.approx(45.0)


def test_degenerate_segments_give_nan():
    assert math.isnan(g.joint_angle((0, 0), (0, 0), (1, 1)))
    assert math.isnan(g.inclination((3, 3), (3, 3)))
    assert math.isnan(g.joint_angle((math.nan, 0), (0, 0), (1, 1)))


@pytest.mark.parametrize("flip", [False, True])
def test_signed_angle_above_line_exceeds_180_whichever_way_person_faces(flip):
    # Shoulder and knee on the floor line y=100, hip 20 px above it (smaller y): over-arched bridge.
    s, k = (0, 100), (200, 100)
    if flip:
        s, k = k, s
    hip_above = (100, 80)
    hip_below = (100, 120)
    above = g.signed_joint_angle(s, hip_above, k)
    below = g.signed_joint_angle(s, hip_below, k)
    plain = g.joint_angle(s, hip_above, k)
    assert above == pytest.approx(360 - plain)
    assert above > 180 > below
    assert below == pytest.approx(plain)


def test_signed_angle_straight_is_180():
    assert g.signed_joint_angle((0, 0), (5, 5), (10, 10)) == pytest.approx(180.0)


def test_side_of_line_sign():
    assert g.side_of_line((0, 0), (10, 0), (5, -3)) == pytest.approx(3.0)
    assert g.side_of_line((10, 0), (0, 0), (5, -3)) == pytest.approx(3.0)
    assert g.side_of_line((0, 0), (10, 0), (5, 4)) == pytest.approx(-4.0)


@pytest.mark.parametrize(
    ("b", "incl", "elev"),
    [((10, 0), 0.0, 0.0), ((0, -10), 90.0, 90.0), ((-10, -10), 45.0, 45.0), ((10, 10), 45.0, -45.0)],
)
def test_inclination_and_elevation(b, incl, elev):
    assert g.inclination((0, 0), b) == pytest.approx(incl)
    assert g.tilt_from_vertical((0, 0), b) == pytest.approx(90 - incl)
    assert g.elevation((0, 0), b) == pytest.approx(elev)


def test_joint_angle_3d_is_the_same_from_any_camera():
    import numpy as np

    from formcheck.core.geometry import joint_angle_3d

    hip, knee, ankle = np.array([0.0, 0.0, 0.0]), np.array([0.0, 0.4, 0.3]), np.array([0.0, 0.8, 0.0])
    expected = 2 * np.degrees(np.arctan2(0.4, 0.3))  # the bend toward the camera (z) is kept
    assert abs(joint_angle_3d(hip, knee, ankle) - expected) < 1e-9
    turn = np.array([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0], [-1.0, 0.0, 0.0]])  # the camera walks round 90°
    assert abs(joint_angle_3d(turn @ hip, turn @ knee, turn @ ankle) - expected) < 1e-9
    assert np.isnan(joint_angle_3d(hip, hip, ankle))
