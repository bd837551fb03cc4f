"""Body measurements from standing poses, and limbs that can't be the person's."""

from __future__ import annotations

import dataclasses
import math

import pytest

from formcheck.core.body import limb_issues, measure_body, screen, stance
from formcheck.core.kinematics import classify_view
from formcheck.core.landmarks import Pose
from formcheck.core.tracker import ExerciseTracker
from formcheck.exercises.loader import load_by_id
from tests.synthetic import LENGTHS, figure, result

pytestmark = pytest.mark.unit

M_PER_PX = 1 / 500  # tests.synthetic: world landmarks are the pixels / 500


def _standing(**kw) -> Pose:
    return figure(hip=(320.0, 240.0), **kw)


def test_measure_body_from_a_standing_figure():
    poses = [result(t, _standing(near="left")) for t in range(0, 1000, 33)]
    body = measure_body(poses)
    assert body.views == ("side",) and body.frames == len(poses)
    assert body.image_px["left_thigh"] == pytest.approx(LENGTHS["thigh"], rel=1e-4)
    assert body.world_m["left_shank"] == pytest.approx(LENGTHS["shin"] * M_PER_PX, rel=1e-4)
    assert body.body_units("left_thigh") == pytest.approx(LENGTHS["thigh"] / LENGTHS["torso"], rel=1e-4)
    assert "right_thigh" not in body.image_px  # side-on: only the near side
    assert body.world("thigh", "right") == body.world_m["left_thigh"]  # falls back to the side measured


def _stretched_ankle(pose: Pose, factor: float) -> Pose:
    world = pose.world.copy()
    world[27] = world[25] + factor * (world[27] - world[25])
    return Pose(pose.image, world, pose.visibility, pose.presence)


def test_screen_hides_a_limb_much_longer_than_the_persons_own():
    pose = _standing(near="left")
    body = measure_body([result(0, pose)] * 12)
    assert screen(pose, body) == (pose, [])
    assert limb_issues(_stretched_ankle(pose, 1.25), body) == []  # within 30 %: model noise
    screened, (issue,) = screen(_stretched_ankle(pose, 1.5), body)
    assert (issue.side, issue.limb, issue.kind) == ("left", "shank", "implausible")
    assert screened.confidence(27) == 0.0 and screened.confidence(25) > 0.9  # the ankle, not the knee


def test_the_tracker_does_not_judge_a_limb_that_isnt_the_persons():
    bent = {"thigh": -60, "shin": -120}
    pose = _standing(near="left", left=bent, right=bent, far_visibility=0.1)  # side-on: the far leg hidden
    squat = load_by_id("squat")
    body = measure_body([result(0, _standing(near="left"))] * 12)
    view = classify_view(pose)
    bad = result(0, _stretched_ankle(pose, 1.6))
    plain = ExerciseTracker(squat).update(bad, view)
    assert math.isfinite(plain.values["knee"])  # judged on a wrong ankle
    personal = ExerciseTracker(dataclasses.replace(squat, body=body)).update(bad, view)
    assert math.isnan(personal.values.get("knee", math.nan))  # not judged


def test_stance_in_hip_widths():
    feet_under_hips = figure(spread=100.0)  # facing the camera: hips 100 px = 0.2 m apart
    body = measure_body([result(t, feet_under_hips) for t in range(0, 600, 33)])
    assert body.views == ("front",) and body.world_m["hip_width"] == pytest.approx(0.2)
    assert body.stance == pytest.approx(1.0)  # "feet hip-width apart"
    assert body.image_px["shoulder_width"] == pytest.approx(100.0)  # widths only count facing the camera
    world = feet_under_hips.world.copy()
    world[27, 0] += 0.1  # left foot a further 10 cm out
    assert stance(Pose(feet_under_hips.image, world, feet_under_hips.visibility, feet_under_hips.presence),
                  0.2) == pytest.approx(1.5)
