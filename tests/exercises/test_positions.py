"""Positions defined joint by joint, variants, framing cues and the reason a set counted nothing
(issue 15): scripted measure values through the real tracker, exact expectations."""

from __future__ import annotations

import dataclasses
import math

import pytest

from formcheck.core.exercise import Condition, HoldDef
from formcheck.core.holds import STILL_MS, HoldTimer
from formcheck.exercises.loader import load_by_id
from tests.exercises.scripted import drive_values, move, rep, stay

pytestmark = pytest.mark.unit

# ---- forearm plank: what is, and what is not, the position --------------------------------------
PLANK = {"body_line": 180, "body_tilt": 80, "elbow": 90, "shoulder": 80, "knee": 170, "hip_lift": 0.5}
PRONE = {**PLANK, "body_line": 175, "body_tilt": 88, "elbow": 170, "shoulder": 15, "hip_lift": 0.05}  # arms by the sides
SPHINX = {**PLANK, "body_line": 157, "hip_lift": 0.05}  # on the forearms, hips resting on the floor
KNEE_PLANK = {**PLANK, "knee": 100}
KNEELING = {**PLANK, "body_tilt": 20, "knee": 95, "hip_lift": 0.9}


@pytest.mark.parametrize(("pose", "hint"), [
    (PRONE, "Get onto your forearms, elbows under your shoulders"),
    (SPHINX, "Lift your hips off the floor"),
    (KNEELING, "Straighten your legs and come up onto your toes"),
])
def test_lying_a_sphinx_or_kneeling_is_not_the_plank_and_says_what_is_missing(pose, hint):
    run = drive_values("forearm_plank", stay(pose, 8.0))
    assert run.holds == []
    assert hint in run.setup_cues  # told what to do, after a couple of seconds out of position
    assert run.results["why_none"] == (f"I never saw the forearm plank position: {hint[0].lower()}{hint[1:]} "
                                       "(get onto your forearms and toes, side-on to the camera)")


def test_a_knee_plank_is_a_variant_not_a_sagging_plank():
    run = drive_values("forearm_plank", stay(KNEE_PLANK, 8.0))
    assert run.holds == [] and run.all_fault_codes() == set()  # never a fault for the easier version
    assert "This looks like a knee plank — choose Knee plank to have it counted" in run.setup_cues
    assert run.results["why_none"] == "This looked like a knee plank: choose Knee plank to have it counted"
    # ... and the knee plank, chosen, times it.
    own = drive_values("knee_plank", stay({**KNEE_PLANK, "hip_lift": 0.4}, 8.0))
    assert len(own.holds) == 1 and own.holds[0]["duration_s"] == pytest.approx(8.0, abs=0.1)


def test_getting_down_and_up_again_is_not_plank_time():
    # Lying face down, up into the plank (0.6 s) and held 10 s, then down onto the knees and
    # lying: the hold is the 10 s in the plank, not the 18 s on the floor around it.
    frames = (stay(PRONE, 4.0) + move(PRONE, PLANK, 0.6) + stay(PLANK, 10.0) + move(PLANK, KNEE_PLANK, 0.6)
              + stay(KNEE_PLANK, 2.0) + move(KNEE_PLANK, PRONE, 0.6) + stay(PRONE, 4.0))
    run = drive_values("forearm_plank", frames)
    assert len(run.holds) == 1
    hold = run.holds[0]
    assert 4.0 <= hold["start_s"] <= 4.7 and 14.5 <= hold["end_s"] <= 15.3
    assert hold["faults"] == []


def test_a_clip_that_opens_in_the_plank_is_timed_from_its_first_frame():
    # analyze and eval never call begin_counting: the first frame in position is a hold under way.
    run = drive_values("forearm_plank", stay(PLANK, 6.0) + stay(PRONE, 3.0))
    assert run.holds[0]["start_s"] == 0.0 and run.holds[0]["duration_s"] == pytest.approx(6.0, abs=0.1)


def test_a_joint_lost_in_the_dark_keeps_the_plank_going():
    dim = {**PLANK, "knee": math.nan}  # the knees unseen for 3 s in the middle of the hold
    run = drive_values("forearm_plank", stay(PLANK, 3.0) + stay(dim, 3.0) + stay(PLANK, 3.0) + stay(PRONE, 3.0))
    assert len(run.holds) == 1 and run.holds[0]["duration_s"] == pytest.approx(9.0, abs=0.1)


# ---- side plank: hips off the floor, straight legs; forearm or straight arm ---------------------
SIDE = {"body_line": 178, "body_tilt": 80, "upper_arm": 5, "arm": 10, "elbow_up": 0.05, "knee": 165,
        "hip_lift": 0.45, "chest_roll": 0}
SIDE_LYING = {**SIDE, "body_line": 158, "hip_lift": 0.25}


def test_lying_on_the_side_is_not_the_side_plank():
    run = drive_values("side_plank", stay(SIDE_LYING, 6.0) + move(SIDE_LYING, SIDE, 0.5) + stay(SIDE, 6.0)
                       + stay(SIDE_LYING, 3.0))
    assert len(run.holds) == 1 and run.holds[0]["start_s"] >= 6.0
    assert run.holds[0]["faults"] == []  # lying on the side before the lift is no "hips sagging"
    assert "Lift your hips off the floor" in run.setup_cues


def test_a_knee_side_plank_is_its_own_exercise():
    knees = {**SIDE, "knee": 95}
    run = drive_values("side_plank", stay(knees, 6.0))
    assert run.holds == [] and "This looks like a knee side plank — choose Knee side plank to have it counted" \
        in run.setup_cues
    own = drive_values("side_plank_knees", stay(knees, 6.0))
    assert len(own.holds) == 1 and own.holds[0]["faults"] == []


def test_a_straight_arm_side_plank_is_judged_on_the_hand_not_the_elbow():
    # On the hand: the elbow is a forearm above the wrist, and the upper arm's tilt means nothing.
    straight = {**SIDE, "elbow_up": 0.5, "upper_arm": 30, "arm": 8}
    clean = drive_values("side_plank", stay(straight, 6.0))
    assert len(clean.holds) == 1 and clean.holds[0]["faults"] == []
    hand_out = drive_values("side_plank", stay(straight, 3.0) + stay({**straight, "arm": 32}, 3.0))
    assert {f["code"] for f in hand_out.holds[0]["faults"]} == {"hand_not_under_shoulder"}
    assert "Hand under your shoulder" in [t for _, t in hand_out.cues]


# ---- rep start positions and variants -----------------------------------------------------------
DEAD_BUG_REST = {"arm": 90, "knee": 90, "feet_up": 0.7}
FEET_DOWN_REST = {"arm": 90, "knee": 80, "feet_up": -0.1}


def _dead_bugs(rest: dict, n: int = 2) -> list[dict]:
    frames = stay(rest, 1.5)
    for a, o in [("right", "left"), ("left", "right")] * n:
        top = {**rest, f"arm:{a}": 165, f"arm:{o}": 90, f"knee:{o}": 170}
        frames += rep(rest, top, up=2.2)
    return frames


def test_a_beginner_dead_bug_with_the_feet_down_is_told_what_it_is():
    run = drive_values("dead_bug", _dead_bugs(FEET_DOWN_REST))
    assert run.reps == []
    assert "This looks like a dead bug with feet down — choose Dead bug with feet down to have it counted" \
        in run.setup_cues
    assert run.results["why_none"] == ("This looked like a dead bug with feet down: choose Dead bug with feet "
                                       "down to have it counted")
    own = drive_values("dead_bug_feet_down", _dead_bugs(FEET_DOWN_REST))
    assert [r["side"] for r in own.reps] == ["right", "left"] * 2 and own.fault_codes() == [set()] * 4


def test_the_dead_bug_counts_from_tabletop():
    run = drive_values("dead_bug", _dead_bugs(DEAD_BUG_REST))
    assert len(run.reps) == 4 and "why_none" not in run.results


def test_a_bridge_never_started_from_lying_with_knees_bent_says_so():
    straight_legs = {"hip": 128, "knee": 175, "lifted_knee": 175, "support_knee": 175}
    run = drive_values("glute_bridge", stay(straight_legs, 6.0))
    assert run.reps == []
    assert "Bend your knees and put your feet flat on the floor" in run.setup_cues
    assert run.results["why_none"].startswith("I never saw the starting position: bend your knees")


def test_a_single_leg_bridge_is_recognised_and_counted_as_its_own():
    rest = {"hip": 128, "knee": 175, "lifted_knee": 175, "support_knee": 90}
    top = {**rest, "hip": 176}
    frames = stay(rest, 1.5) + rep(rest, top) * 2
    run = drive_values("glute_bridge", frames)
    assert run.reps == []
    assert "This looks like a single-leg bridge — choose Single-leg bridge to have it counted" in run.setup_cues
    own = drive_values("glute_bridge_single_leg", frames)
    assert len(own.reps) == 2 and own.fault_codes() == [set(), set()]


# ---- counting what can be seen, framing cues, and why nothing counted ---------------------------
BIRD_REST = {"arm": -90, "leg": -45, "thigh": -90, "back": 5}


def _bird_dogs(top_extra: dict) -> list[dict]:
    frames = stay(BIRD_REST, 1.5)
    for a, o in (("left", "right"), ("right", "left")):
        top = {f"arm:{a}": 0, f"leg:{o}": 0, f"thigh:{o}": 0, f"arm:{o}": -90, f"leg:{a}": -45, f"thigh:{a}": -90,
               "back": 5, **{k.replace("{a}", a).replace("{o}", o): v for k, v in top_extra.items()}}
        frames += rep(BIRD_REST, {**BIRD_REST, **top}, top_s=3.5)
    return frames


def test_a_hidden_far_arm_is_counted_from_its_opposite_thigh():
    # The far (right) arm is never seen; its rep shows in the near (left) thigh lifting.
    run = drive_values("bird_dog", _bird_dogs({"arm:right": math.nan}))
    assert [r["side"] for r in run.reps] == ["left", "right"]
    counted_by_thigh = run.reps[1]
    assert counted_by_thigh["faults"] == []
    assert {n["code"] for n in counted_by_thigh["not_judged"]} == {"bird_dog_reach"}  # the arm's height unseen
    assert counted_by_thigh["not_judged"][0]["reason"].startswith("counted from your hips and knees")


def test_hands_leaving_the_picture_at_the_top_give_a_framing_cue_and_the_reps_still_count():
    run = drive_values("bird_dog", _bird_dogs({"_out_wrist": 1}))
    assert [r["side"] for r in run.reps] == ["left", "right"]
    assert ("Your hands are out of the picture — move back, or move the camera, so your whole body is in view"
            in run.setup_cues)


def test_a_squat_filmed_close_is_counted_from_the_thighs():
    rest = {"knee": math.nan, "thigh": 5, "trunk": 5, "heel_lift": math.nan, "knee_ahead": math.nan,
            "knee_spread": math.nan}
    bottom = {**rest, "thigh": 80, "trunk": 25}
    run = drive_values("squat", stay(rest, 1.5) + rep(rest, bottom, up=1.0, top_s=0.5, down=1.0) * 3)
    assert len(run.reps) == 3
    assert all({n["code"] for n in r["not_judged"]} >= {"squat_shallow", "squat_knees_forward"} for r in run.reps)


def test_legs_out_of_the_picture_all_set_say_so_when_nothing_counted():
    gone = {"knee": math.nan, "thigh": math.nan, "trunk": 5, "heel_lift": math.nan, "knee_ahead": math.nan,
            "knee_spread": math.nan, "_out_knee": 1, "_out_ankle": 1}
    run = drive_values("squat", stay(gone, 6.0))
    assert run.reps == []
    assert run.results["why_none"] == ("For most of the set: your knees are out of the picture — move back, or move "
                                       "the camera, so your whole body is in view")


def test_only_clear_aborts_say_what_to_do_when_nothing_counted():
    # A bridge whose target is set high (a personal goal of 175°): lifts to 150° from 128° are under
    # half the way there, clear aborts — and the set says what would count.
    ex = load_by_id("glute_bridge")
    high = dataclasses.replace(ex, rep=dataclasses.replace(ex.rep, target=175.0))
    rest = {"hip": 128, "knee": 90, "lifted_knee": 90, "support_knee": 90}
    run = drive_values(high, stay(rest, 1.5) + rep(rest, {**rest, "hip": 150}) * 2)
    assert run.reps == [] and len(run.attempts) == 2
    assert run.results["why_none"] == "2 movements stopped well short of a rep: lift your hips higher"


def test_a_hold_is_dated_from_when_the_body_came_to_rest_in_the_position():
    # In position from 0 s (not fresh), still sinking into it until 2 s: the hold starts at 2 s.
    timer = HoldTimer(HoldDef(position=(Condition("m", 0, None),), settle_s=1.0))
    timer.update(-100, False, True)
    for i in range(0, 150):
        t = i * 33
        timer.update(t, True, True, still=t >= 2000)
    assert timer.current is not None and timer.current.start_ms == pytest.approx(2000, abs=40)
    assert STILL_MS == 500
