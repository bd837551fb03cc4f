import pytest

from formcheck.core.kinematics import body_angles, classify_view, facing_side
from tests.synthetic import limb, make_pose

pytestmark = pytest.mark.unit


def side_figure(joints: dict[str, tuple[float, float]], near: str = "left", dx: float = 6.0):
    """Side view: the far side is the near side shifted a few pixels and poorly visible."""
    far = "right" if near == "left" else "left"
    full = {}
    for name, xy in joints.items():
        full[f"{near}_{name}"] = xy
        full[f"{far}_{name}"] = (xy[0] + dx, xy[1] - dx / 2)
    full["nose"] = (joints["shoulder"][0] + 40, joints["shoulder"][1] - 50)
    hidden = tuple(f"{far}_{n}" for n in joints)
    return make_pose(full, hidden=hidden, lateral_z=0.35)


STANDING = {"shoulder": (300, 100), "elbow": (300, 180), "wrist": (300, 250), "hip": (300, 250),
            "knee": (305, 370), "ankle": (300, 490)}
SITTING = {"shoulder": (300, 100), "elbow": (310, 180), "wrist": (360, 240), "hip": (300, 250),
           "knee": (420, 255), "ankle": (420, 370)}
LYING_BRIDGE = {"shoulder": (100, 400), "elbow": (150, 405), "wrist": (200, 405), "hip": (300, 400),
                "knee": (400, 330), "ankle": (470, 400)}
HANDS_KNEES = {"shoulder": (150, 250), "elbow": (150, 325), "wrist": (150, 400), "hip": (350, 255),
               "knee": (350, 400), "ankle": (500, 400)}


@pytest.mark.parametrize(
    ("joints", "posture"),
    [(STANDING, "standing"), (SITTING, "sitting"), (LYING_BRIDGE, "lying"), (HANDS_KNEES, "hands_knees")],
)
@pytest.mark.parametrize("near", ["left", "right"])
def test_side_view_postures(joints, posture, near):
    pose = side_figure(joints, near)
    est = classify_view(pose)
    assert (est.view, est.posture) == ("side", posture)
    assert est.confidence > 0.3
    assert facing_side(pose) == near


def front_figure(facing_camera: bool):
    sign = 1 if facing_camera else -1
    cx = 320
    j = {}
    for name, (y, half) in {"shoulder": (100, 50), "elbow": (180, 60), "wrist": (250, 60),
                            "hip": (250, 35), "knee": (370, 35), "ankle": (490, 35)}.items():
        # Facing the camera, the person's left side appears on the screen's right.
        j[f"left_{name}"] = (cx + sign * half, y)
        j[f"right_{name}"] = (cx - sign * half, y)
    j["nose"] = (cx, 60)
    return make_pose(j)


def test_front_and_back_views():
    assert classify_view(front_figure(True)).view == "front"
    assert classify_view(front_figure(False)).view == "back"
    assert classify_view(front_figure(True)).posture == "standing"


def test_front_view_lying_side_plank_is_front():
    # Side plank facing the camera: body runs left-right across the screen, shoulders stacked
    # vertically. Rotation of the whole figure must not change the front/back verdict.
    j = {"left_shoulder": (150, 230), "right_shoulder": (150, 340), "left_hip": (330, 280),
         "right_hip": (330, 360), "left_knee": (450, 330), "right_knee": (450, 345),
         "left_ankle": (560, 360), "right_ankle": (560, 370), "nose": (110, 280),
         "left_elbow": (150, 380), "right_elbow": (150, 380), "left_wrist": (220, 380),
         "right_wrist": (220, 380)}
    est = classify_view(make_pose(j))
    # up = hips→shoulders points screen-left; the person's left shoulder is above the right one.
    assert est.view == "back" or est.view == "front"  # well-defined, not "side"
    mirrored = {k: (v[0], 2 * 320 - v[1]) for k, v in j.items()}
    assert classify_view(make_pose(mirrored)).view != est.view


def test_body_angles_exact():
    hip = (300.0, 300.0)
    shoulder = limb(hip, 180, 200)          # trunk horizontal, to the left
    knee = limb(hip, 40, 150)               # thigh up at 40°: S–H–K = 140°
    ankle = limb(knee, -60, 150)            # shin down: H–K–A = 180 - 100 = 80°
    elbow = limb(shoulder, -90, 120)
    wrist = limb(elbow, -90, 120)
    pose = make_pose({"left_shoulder": shoulder, "left_hip": hip, "left_knee": knee,
                      "left_ankle": ankle, "left_elbow": elbow, "left_wrist": wrist})
    a = body_angles(pose, "left")
    assert a["hip"] == pytest.approx(140.0, abs=1e-3)
    assert a["knee"] == pytest.approx(80.0, abs=1e-3)
    assert a["elbow"] == pytest.approx(180.0, abs=1e-3)
    assert a["shoulder"] == pytest.approx(90.0, abs=1e-3)
    assert a["trunk_tilt"] == pytest.approx(90.0, abs=1e-3)
    # The hip sits below the shoulder–knee line (knee is raised): signed angle < 180.
    assert a["hip_signed"] == pytest.approx(140.0, abs=1e-3)


def test_bridge_overarch_signed_hip_angle():
    pose = make_pose({"left_shoulder": (100, 400), "left_hip": (300, 330), "left_knee": (450, 350),
                      "left_ankle": (480, 420)})
    a = body_angles(pose, "left")
    assert a["hip_signed"] > 180
    assert a["hip_signed"] == pytest.approx(360 - a["hip"])
