"""`formcheck analyze`'s terminal summary says why nothing was counted (issue 15)."""

from __future__ import annotations

import pytest

from formcheck.analysis.analyze import build_report, summary_text

pytestmark = pytest.mark.unit


def report(why: str | None) -> dict:
    r = build_report(source_name="plank.mp4", exercise="forearm_plank", frames=300, frames_lost=0, fps=30.0,
                     width=640, height=480, model="full", frames_with_pose=300, frames_with_second_person=0,
                     view=("side/lying", 0.9), elapsed_s=1.0, tracker=None)
    if why:
        r["why_none"] = why
    return r


def test_a_run_that_counted_nothing_says_why():
    why = "I never saw the forearm plank position: lift your hips off the floor"
    assert summary_text(report(why)).splitlines()[3:5] == [
        "forearm_plank: 0 reps (0 flagged), held 0.0 s", f"nothing counted: {why}"]


def test_no_reason_no_line():
    assert "nothing counted" not in summary_text(report(None))
