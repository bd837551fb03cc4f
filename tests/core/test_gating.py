import pytest

from formcheck.core.exercise import SetupDef
from formcheck.core.gating import FACE_CAMERA, NO_PERSON, TURN_SIDE_ON, ViewVote, setup_issue
from formcheck.core.kinematics import ViewEstimate
from formcheck.core.landmarks import PoseResult
from tests.synthetic import make_pose

pytestmark = pytest.mark.unit

SIDE = SetupDef(views=("side",), landmarks=("shoulder", "hip", "knee", "ankle"))
FRONT = SetupDef(views=("front",), landmarks=("shoulder", "hip"))


def res(ankle_y=450.0, hidden=()):
    p = make_pose({"left_shoulder": (300, 100), "left_hip": (300, 250), "left_knee": (300, 350),
                   "left_ankle": (300, ankle_y), "nose": (300, 60)}, hidden=hidden)
    return PoseResult(0, 640, 480, p)


def test_all_well():
    assert setup_issue(res(), "side", SIDE, "left") is None


def test_no_person():
    assert setup_issue(PoseResult(0, 640, 480, None), "side", SIDE, "left") == NO_PERSON


def test_feet_out_of_frame_names_the_feet():
    issue = setup_issue(res(ankle_y=530), "side", SIDE, "left")
    assert issue.key == "out_of_frame"
    assert issue.text.startswith("Your feet are out of the picture — move back")


def test_only_the_joints_asked_for_are_needed():
    # During a set the trunk is enough to go on counting: the feet out of view are "not judged".
    assert setup_issue(res(ankle_y=530), "side", SIDE, "left", ("shoulder", "hip")) is None


def test_unsure_landmark_names_the_joint():
    issue = setup_issue(res(hidden=("left_knee",)), "side", SIDE, "left")
    assert issue.key == "not_visible" and "knee" in issue.text


def test_wrong_view():
    assert setup_issue(res(), "front", SIDE, "left") == TURN_SIDE_ON
    assert setup_issue(res(), "side", FRONT, "left") == FACE_CAMERA


def test_view_vote_needs_a_majority_over_the_last_second():
    vote = ViewVote()
    side, front = ViewEstimate("side", "standing", 1.0), ViewEstimate("front", "standing", 1.0)
    for t in range(0, 1000, 100):
        vote.add(t, side)
    assert vote.add(1000, front) == "side"  # one odd frame doesn't flip it
    for t in range(1100, 2200, 100):
        last = vote.add(t, front)
    assert last == "front"
