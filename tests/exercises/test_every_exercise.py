"""Every exercise in the library: a correct rep or hold, and each of its faults, with exact counts.

Values are scripted per measure (see ``scripted.py``); thresholds come from the exercise files.
"""

from __future__ import annotations

import pytest

from formcheck.exercises.loader import load_library
from tests.exercises.scripted import drive_values, move, rep, stay

pytestmark = pytest.mark.unit

N = 3  # reps per scenario


# ---- rep exercises: rest and top values, and per fault the values/timing that cause it ---------
REPS = {
    "lunge_twist": dict(
        rest={"twist": 0, "front_knee": 175, "knee_past_toes": -0.3, "trunk": 3},
        top={"twist": 35, "front_knee": 92, "knee_past_toes": -0.2, "trunk": 5},
        faults={
            "lunge_no_twist": dict(top={"twist": 5}),
            "lunge_knee_past_toes": dict(top={"knee_past_toes": 0.25}),
            "lunge_leaning": dict(top={"trunk": 30}),
        },
    ),
    "glute_bridge": dict(
        rest={"hip": 128, "knee": 90, "lifted_knee": 90, "support_knee": 90},
        top={"hip": 176, "knee": 90, "lifted_knee": 90, "support_knee": 90},
        faults={
            "bridge_not_high_enough": dict(top={"hip": 158}),
            "bridge_over_arch": dict(top={"hip": 197}),
            "bridge_feet_position": dict(top={"knee": 125}),
            "bridge_short_pause": dict(timing={"top_s": 0.5, "up": 0.6}),  # up, barely held, slowly down
            "bridge_fast_lowering": dict(timing={"down": 0.3}),
        },
    ),
    "glute_bridge_single_leg": dict(
        rest={"hip": 128, "lifted_knee": 175, "support_knee": 90},
        top={"hip": 176, "lifted_knee": 175, "support_knee": 90},
        faults={
            "bridge_not_high_enough": dict(top={"hip": 158}),
            "bridge_over_arch": dict(top={"hip": 197}),
            "bridge_feet_position": dict(top={"support_knee": 125}),
            "bridge_short_pause": dict(timing={"top_s": 0.5, "up": 0.6}),  # up, barely held, slowly down
            "bridge_fast_lowering": dict(timing={"down": 0.3}),
        },
    ),
    "squat": dict(
        rest={"knee": 175, "trunk": 5, "heel_lift": 0.0, "knee_ahead": -0.1, "knee_spread": 1.0},
        top={"knee": 95, "trunk": 30, "heel_lift": 0.0, "knee_ahead": 0.1, "knee_spread": 1.0},
        faults={
            "squat_chest_down": dict(top={"trunk": 55}),
            "squat_heels_lift": dict(top={"heel_lift": 0.4}),
            "squat_knees_forward": dict(top={"knee_ahead": 0.35}),
            "squat_fast": dict(timing={"up": 0.3}),
        },
    ),
    "hip_hinge": dict(
        rest={"trunk": 5, "knee": 165}, top={"trunk": 55, "knee": 160},
        faults={
            "hinge_squatting": dict(top={"knee": 120}),
            "hinge_locked_knees": dict(top={"knee": 179.5}),
        },
    ),
    "cat_cow": dict(
        rest={"head": -0.25, "hands": 5}, top={"head": 0.3, "hands": 5},
        timing={"up": 2.5, "down": 2.5, "top_s": 1.0},
        faults={
            "cat_cow_fast": dict(timing={"up": 0.6, "top_s": 0.5, "down": 0.8}),
            "cat_cow_hands": dict(top={"hands": 30}),
        },
    ),
    "wall_angel": dict(
        rest={"hands_up": 0.55, "wrist_height": 0.55, "elbow_height": 0.0},
        top={"hands_up": 1.2, "wrist_height": 1.2, "elbow_height": 0.6},
        faults={
            "wall_angel_uneven": dict(top={"wrist_height:left": 1.2, "wrist_height:right": 0.9}),
        },
    ),
}

# Alternating exercises: per rep, the working side's values; "{a}" = working side, "{o}" = other.
ALTERNATING = {
    "bird_dog": dict(
        rest={"arm": -90, "leg": -45, "thigh": -90, "back": 5},
        top={"arm:{a}": 0, "leg:{o}": 0, "thigh:{o}": 0, "arm:{o}": -90, "leg:{a}": -45, "thigh:{a}": -90, "back": 5},
        timing={"top_s": 3.5},
        faults={
            "bird_dog_reach": dict(top={"arm:{a}": -22}),
            "bird_dog_leg_too_high": dict(top={"leg:{o}": 30}),
            "bird_dog_back_tilt": dict(top={"back": 25}),
            "bird_dog_same_side": dict(top={"leg:{a}": 0, "leg:{o}": -45, "thigh:{a}": 0, "thigh:{o}": -90}),
            "bird_dog_short_hold": dict(timing={"top_s": 1.2}),
            "bird_dog_fast": dict(timing={"up": 0.2}),
        },
    ),
    "dead_bug": dict(
        rest={"arm": 90, "knee": 90, "feet_up": 0.7},
        top={"arm:{a}": 165, "knee:{o}": 170, "arm:{o}": 90, "knee:{a}": 90},
        timing={"up": 2.2},
        faults={
            # The same-side leg extending also takes that knee out of tabletop: both are flagged.
            "dead_bug_same_side+dead_bug_resting_knee": dict(top={"knee:{a}": 170, "knee:{o}": 90}),
            "dead_bug_resting_knee": dict(top={"knee:{a}": 125}),
            "dead_bug_fast": dict(timing={"up": 0.5}),
            "dead_bug_back_lifts": dict(top={"_hip_up": 30}),
        },
    ),
    "dead_bug_feet_down": dict(
        rest={"arm": 90, "knee": 80, "feet_up": -0.1},
        top={"arm:{a}": 165, "knee:{o}": 170, "arm:{o}": 90, "knee:{a}": 80, "feet_up": -0.1},
        timing={"up": 2.2},
        faults={
            "dead_bug_same_side+dead_bug_resting_knee": dict(top={"knee:{a}": 170, "knee:{o}": 80}),
            "dead_bug_resting_knee": dict(top={"knee:{a}": 140}),
            "dead_bug_fast": dict(timing={"up": 0.5}),
            "dead_bug_back_lifts": dict(top={"_hip_up": 30}),
        },
    ),
    "tspine_rotation": dict(
        rest={"elbow_up": -0.05, "rotation": 0},
        top={"elbow_up:{a}": 0.6, "elbow_up:{o}": -0.5, "rotation:{a}": 45, "rotation:{o}": -45},
        faults={"tspine_hips_move": dict(top={"_hip_up": 70}),
                "tspine_no_rotation": dict(top={"rotation:{a}": 5, "rotation:{o}": -5})},
    ),
    "open_book": dict(
        rest={"rotation": 0, "knees_apart": 0.25}, top={"rotation:{a}": 85, "rotation:{o}": -85, "knees_apart": 0.25},
        faults={
            "open_book_knees": dict(top={"knees_apart": 0.7}),
            "open_book_pause": dict(timing={"top_s": 0.2, "up": 0.6, "down": 0.6}),  # in and straight out
        },
    ),
    "hip_twist": dict(
        rest={"hip_turn": 0, "shoulder_height": 0.0, "knees_apart": 0.25},
        top={"hip_turn:{a}": 60, "hip_turn:{o}": -60, "shoulder_height": 0.0, "knees_apart": 0.25},
        faults={
            "hip_twist_shoulders": dict(top={"shoulder_height:{o}": 0.45}),
            "hip_twist_knees_apart": dict(top={"knees_apart": 0.7}),
        },
    ),
}

# Holds: out-of-position values, in-position values, and per fault the in-position changes.
HOLDS = {
    "side_plank": dict(out={"body_line": 158, "body_tilt": 80, "upper_arm": 5, "arm": 10, "elbow_up": 0.05,
                            "knee": 165, "hip_lift": 0.25, "chest_roll": 0},   # lying on the side
                       hold={"body_line": 178, "body_tilt": 80, "upper_arm": 5, "arm": 10, "elbow_up": 0.05,
                             "knee": 165, "hip_lift": 0.45, "chest_roll": 0},
                       faults={"hips_sagging": {"body_line": 150}, "hips_piking": {"body_line": 210},
                               "elbow_not_under_shoulder": {"upper_arm": 30},
                               "hand_not_under_shoulder": {"elbow_up": 0.5, "arm": 30},
                               "chest_rolling": {"chest_roll": 35}}),
    "side_plank_knees": dict(out={"body_line": 158, "body_tilt": 80, "upper_arm": 5, "knee": 95, "hip_lift": 0.25,
                                  "chest_roll": 0},
                             hold={"body_line": 178, "body_tilt": 80, "upper_arm": 5, "knee": 95, "hip_lift": 0.45,
                                   "chest_roll": 0},
                             faults={"hips_sagging": {"body_line": 150}, "hips_piking": {"body_line": 210},
                                     "elbow_not_under_shoulder": {"upper_arm": 30}, "chest_rolling": {"chest_roll": 35}}),
    "forearm_plank": dict(out={"body_line": 170, "body_tilt": 85, "elbow": 90, "shoulder": 80, "knee": 170,
                               "hip_lift": 0.05},   # lying face down on the forearms (a sphinx)
                          hold={"body_line": 180, "body_tilt": 80, "elbow": 90, "shoulder": 80, "knee": 170,
                                "hip_lift": 0.5},
                          faults={"hips_sagging": {"body_line": 150}, "hips_piking": {"body_line": 228}}),
    "knee_plank": dict(out={"body_line": 170, "body_tilt": 85, "elbow": 90, "shoulder": 80, "knee": 95,
                            "hip_lift": 0.05},
                       hold={"body_line": 180, "body_tilt": 80, "elbow": 90, "shoulder": 80, "knee": 95,
                             "hip_lift": 0.4},
                       faults={"hips_sagging": {"body_line": 150}, "hips_piking": {"body_line": 205}}),
    "abdominal_brace": dict(out={"thigh": 85, "trunk": 5, "knee": 175, "head_forward": 0.0},
                            hold={"thigh": 10, "trunk": 3, "knee": 90, "head_forward": 0.05},
                            faults={"brace_slouch": {"trunk": 18}, "brace_forward_head": {"head_forward": 0.3},
                                    "brace_feet": {"knee": 130}}),
    "childs_pose": dict(out={"knee": 170, "trunk": 80, "elbow": 170, "head": 0.5},
                        hold={"knee": 40, "trunk": 20, "elbow": 170, "head": -0.5},
                        faults={"childs_hips_high": {"knee": 70}, "childs_arms_bent": {"elbow": 110}}),
    "hip_flexor_stretch": dict(out={"front_knee": 170, "knee_over_ankle": 0.0, "trunk": 5},
                               hold={"front_knee": 92, "knee_over_ankle": 0.05, "trunk": 5},
                               faults={"hip_flexor_front_knee": {"front_knee": 125},
                                       "hip_flexor_knee_past_ankle": {"knee_over_ankle": 0.3},
                                       "hip_flexor_lean": {"trunk": 25}}),
    "piriformis_stretch": dict(out={"hip": 150, "shoulders_up": 0.0}, hold={"hip": 80, "shoulders_up": 0.0},
                               faults={"piriformis_pull_in": {"hip": 108}, "piriformis_shoulders_up": {"shoulders_up": 0.5}}),
    "hamstring_stretch": dict(out={"front_knee": 175, "trunk": 3}, hold={"front_knee": 172, "trunk": 35},
                              faults={"hamstring_knee_bent": {"front_knee": 150}}),
    "rag_doll": dict(out={"shoulders_above_hips": 1.0, "knee": 170}, hold={"shoulders_above_hips": -0.5, "knee": 165},
                     faults={"rag_doll_knees": {"knee": 179}}),
    "puppy_pose": dict(out={"chest_low": 0.1, "thigh": 5, "elbow": 170}, hold={"chest_low": -0.3, "thigh": 5, "elbow": 170},
                       faults={"puppy_hips_back": {"thigh": 25}, "puppy_arms_bent": {"elbow": 120}}),
    "counter_stretch": dict(out={"hip": 175, "back": 80, "elbow": 170}, hold={"hip": 92, "back": 8, "elbow": 170},
                            faults={"counter_hip_angle": {"hip": 120}, "counter_back_level": {"back": 28},
                                    "counter_arms_bent": {"elbow": 140}}),
}


def test_every_non_timer_exercise_has_scenarios():
    library = load_library().exercises
    covered = set(REPS) | set(ALTERNATING) | set(HOLDS)
    assert covered == {k for k, ex in library.items() if not ex.timer_only}
    for ex_id, spec in {**REPS, **ALTERNATING}.items():
        codes = {c for key in spec["faults"] for c in key.split("+")}
        assert codes | _uncovered(ex_id) == {r.code for r in library[ex_id].rules}, ex_id
    for ex_id, spec in HOLDS.items():
        assert set(spec["faults"]) == {r.code for r in library[ex_id].rules}, ex_id


def _uncovered(ex_id: str) -> set[str]:
    # Rules checked between reps (phase = rest), on attempts, or from another camera view are
    # tested separately (below, and in tests/core/test_peak_rules.py).
    return {"hip_hinge": {"hinge_not_upright"}, "wall_angel": {"wall_angel_elbows_low"},
            "squat": {"squat_shallow", "squat_knees_cave"}}.get(ex_id, set())


def _reps(spec: dict, fault: dict | None = None) -> list[dict]:
    timing = {**spec.get("timing", {}), **((fault or {}).get("timing", {}))}
    top = {**spec["top"], **((fault or {}).get("top", {}))}
    return stay(spec["rest"], 1.5) + rep(spec["rest"], top, **timing) * N


@pytest.mark.parametrize("ex_id", sorted(REPS))
def test_good_reps_count_with_no_faults(ex_id):
    run = drive_values(ex_id, _reps(REPS[ex_id]))
    assert len(run.reps) == N and not run.attempts
    assert run.fault_codes() == [set()] * N
    assert run.setup_cues == []


@pytest.mark.parametrize(("ex_id", "code"), [(e, c) for e, s in REPS.items() for c in s["faults"]])
def test_each_fault_is_flagged_on_every_rep(ex_id, code):
    run = drive_values(ex_id, _reps(REPS[ex_id], REPS[ex_id]["faults"][code]))
    assert len(run.reps) == N
    assert run.fault_codes() == [set(code.split("+"))] * N
    assert any(text for _, text in run.cues)  # the fault was cued


def _alternating(spec: dict, fault: dict | None = None) -> list[dict]:
    timing = {**spec.get("timing", {}), **((fault or {}).get("timing", {}))}
    frames = stay(spec["rest"], 1.5)
    for i in range(2 * N):
        a, o = ("right", "left") if i % 2 == 0 else ("left", "right")
        top = {**spec["top"], **((fault or {}).get("top", {}))}
        top = {k.replace("{a}", a).replace("{o}", o): v for k, v in top.items()}
        rest = dict(spec["rest"])
        frames += rep(rest, top, **timing)
    return frames


@pytest.mark.parametrize("ex_id", sorted(ALTERNATING))
def test_alternating_good_reps_count_per_side(ex_id):
    run = drive_values(ex_id, _alternating(ALTERNATING[ex_id]))
    assert [r["side"] for r in run.reps] == ["right", "left"] * N
    assert run.fault_codes() == [set()] * (2 * N)


@pytest.mark.parametrize(("ex_id", "code"), [(e, c) for e, s in ALTERNATING.items() for c in s["faults"]])
def test_alternating_fault_is_flagged_on_every_rep(ex_id, code):
    run = drive_values(ex_id, _alternating(ALTERNATING[ex_id], ALTERNATING[ex_id]["faults"][code]))
    assert len(run.reps) == 2 * N
    assert run.fault_codes() == [set(code.split("+"))] * (2 * N)


def _hold(spec: dict, seconds: float, fault: dict | None = None) -> list[dict]:
    held = {**spec["hold"], **(fault or {})}
    return stay(spec["out"], 1.5) + move(spec["out"], held, 1.0) + stay(held, seconds) + stay(spec["out"], 2.0)


@pytest.mark.parametrize("ex_id", sorted(HOLDS))
def test_good_hold_times_the_position(ex_id):
    run = drive_values(ex_id, _hold(HOLDS[ex_id], 12.0))
    assert len(run.holds) == 1
    assert run.holds[0]["duration_s"] == pytest.approx(12.0, abs=1.2)
    assert run.holds[0]["faults"] == []


@pytest.mark.parametrize(("ex_id", "code"), [(e, c) for e, s in HOLDS.items() for c in s["faults"]])
def test_hold_fault_pauses_the_timer_and_is_recorded(ex_id, code):
    spec = HOLDS[ex_id]
    bad = {**spec["hold"], **spec["faults"][code]}

    def frames(middle: dict) -> list[dict]:
        return _hold(spec, 6.0)[:-60] + stay(middle, 4.0) + stay(spec["hold"], 3.0) + stay(spec["out"], 2.0)

    run, clean = drive_values(ex_id, frames(bad)), drive_values(ex_id, frames(spec["hold"]))
    assert len(run.holds) == 1
    assert {f["code"] for f in run.holds[0]["faults"]} == {code}
    # Form broke for 4 s: those seconds are not counted once the fault has persisted.
    ex = load_library().exercises[ex_id]
    persist = next(r.persist_s for r in ex.rules if r.code == code)
    lost = clean.holds[0]["duration_s"] - run.holds[0]["duration_s"]
    assert lost == pytest.approx(4.0 - persist, abs=0.2)
    assert run.holds[0]["end_s"] == clean.holds[0]["end_s"]  # still one hold, in position throughout


def test_hinge_not_finishing_upright_between_reps():
    spec = REPS["hip_hinge"]
    bent_rest = {**spec["rest"], "trunk": 16}
    frames = stay(spec["rest"], 1.5) + rep(spec["rest"], spec["top"], after=0.2) + stay(bent_rest, 4.0)
    run = drive_values("hip_hinge", frames)
    assert "Stand tall and squeeze your glutes" in [t for _, t in run.cues]


def test_wall_angel_elbows_dropping_in_the_goal_post():
    spec = REPS["wall_angel"]
    low = {**spec["rest"], "elbow_height": -0.3}
    run = drive_values("wall_angel", stay(spec["rest"], 1.5) + stay(low, 2.0))
    assert [t for _, t in run.cues] == ["Keep your elbows up at shoulder height"]


@pytest.mark.parametrize("ex_id", ["diaphragmatic_breathing", "foam_rolling"])
def test_timers_count_nothing(ex_id):
    run = drive_values(ex_id, stay({}, 3.0))
    assert run.reps == [] and run.holds == [] and run.cues == []
