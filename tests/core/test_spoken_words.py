"""What the person hears: a flagged rep's cue is never replaced by a milestone, and internal reasons
are never spoken (issue 16, defects 4 and 5)."""

from __future__ import annotations

import pytest

from formcheck.core.cues import CueCandidate
from formcheck.core.reps import RepRecord
from formcheck.core.tracker import ExerciseTracker
from formcheck.core.wording import NO_RESTING_VALUE, not_judged_cue
from formcheck.exercises.loader import load_by_id
from tests.core.test_coach import REST, bridge, play, said
from tests.exercises.scripted import rep, stay

pytestmark = pytest.mark.unit

FEET_CLOSE = {"hip": 176, "knee": 50, "lifted_knee": 90, "support_knee": 90}  # heels under the buttocks: "Move your feet…", severity 1 (below a milestone)
FEET_CUE = "Move your feet a little further from your hips"


def test_the_rep_before_the_last_gets_its_fault_cue_not_last_one():
    coach = bridge(sets=1, reps=3)
    spoken = said(play(coach, stay(REST, 1.2) + rep(REST, FEET_CLOSE) + rep(REST, FEET_CLOSE) + rep(REST, FEET_CLOSE)))
    assert "Last one" not in spoken
    assert spoken[1:3] == [FEET_CUE, FEET_CUE]  # reps 1 and 2; rep 3 is told by the set's summary
    assert spoken[3] == f"Exercise finished. 3 of 3 reps need work: {FEET_CUE}."


def test_a_clean_rep_before_the_last_still_hears_last_one():
    coach = bridge(sets=1, reps=3)
    spoken = said(play(coach, stay(REST, 1.2) + rep(REST, {"hip": 176, "knee": 90}) * 2))
    assert "Last one" in spoken


def test_the_last_rep_of_a_set_is_told_its_own_fault_when_the_summary_names_another():
    coach = bridge(sets=2, reps=3, rest_s=5.0)
    low = {"hip": 158, "knee": 90}  # "Lift your hips higher"
    spoken = said(play(coach, stay(REST, 1.2) + rep(REST, low) + rep(REST, low) + rep(REST, FEET_CLOSE)))
    assert spoken[-1] == f"{FEET_CUE}. Set 1 done. 3 of 3 reps need work: Lift your hips higher. Rest 5 seconds."


def test_internal_not_judged_reasons_are_not_spoken():
    assert not_judged_cue({"squat_heels_lift": NO_RESTING_VALUE}) is None
    assert not_judged_cue({"a": NO_RESTING_VALUE, "b": "couldn't see your knee clearly"}) == (
        "Couldn't see your knee clearly")


def test_a_rep_that_began_as_the_video_did_is_neither_praised_nor_told_the_internal_reason():
    tracker = ExerciseTracker(load_by_id("squat"))
    rec = RepRecord("left", 0, reached=True, end_ms=2000, not_judged={"squat_heels_lift": NO_RESTING_VALUE})
    events: list[CueCandidate] = []
    tracker._finish_rep(rec, events)
    texts = [e.text for e in events]
    assert not any("resting value" in t or "judged" in t for t in texts)
    assert "Good squat" not in texts
    assert rec.not_judged == {"squat_heels_lift": NO_RESTING_VALUE}  # the reason stays in the data
