"""The engine on real footage: `formcheck eval` over both label files, held to floors.

Each floor sits a little under today's figure (today's beside it, measured with
`formcheck eval tests/data/real_clip_labels.toml tests/data/labelled_clip_labels.toml --jobs 2`);
engine fixes should raise them toward ``TARGETS`` (formcheck/evaluation/figures.py). Raise a floor
when a fix lifts its figure; never lower one to make a change pass. The eval runs once per
session (a few minutes with 2 jobs); skipped when ../shared/real_clips is absent.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from formcheck.cli import main
from formcheck.evaluation.figures import TARGETS
from tests.conftest import ROOT

pytestmark = [pytest.mark.real_clips, pytest.mark.e2e]

LABELS = [ROOT / "tests" / "data" / "real_clip_labels.toml", ROOT / "tests" / "data" / "labelled_clip_labels.toml"]

# TARGETS = {count_exact ≥ 0.90, count_within_1 = 1.0, false_flag_rate ≤ 0.10, fault_f1 ≥ 0.80 for
# faults with ≥ 5 labelled cases, hold_within = 1.0, identical = 1.0}. Floors, about one clip or
# case under today's figure:
FLOORS = {
    # Clips with nothing labelled and nothing counted are reported apart (not as exact): 24 rep clips.
    "count_exact": 0.83,  # today 0.875 (21/24, issue 15); 0.667 (16/24) before it, 0.385 before issue 9
    "count_within_1": 0.91,  # today 0.958 (23/24); 0.792 (19/24) before issue 15
    "hold_within": 0.81,  # today 0.909 (10/11 holds); 0.727 before issue 15
}
FALSE_FLAG_CEILING = 0.075  # today 0.059 (5/85 matched clean reps and holds); 0.091 before issue 15
FAULT_F1_FLOORS = {  # every fault the library can flag with ≥ 5 labelled cases
    "bridge_fast_lowering": 0.95,  # today 1.00 (0.89 before)
    "bridge_short_pause": 0.95,  # today 1.00 (stock_glute_bridges relabelled after review)
    "lunge_no_twist": 0.90,  # today 0.96 (a new code: lunges were not counted before)
    "squat_chest_down": 0.82,  # today 0.85 (0.80 before issue 15: the lean corrected for oblique cameras)
    "squat_knees_forward": 0.60,  # today 0.65 (0.62 before)
}
# Two runs of the same clip in fresh processes: checked on a mix of clips (reps with faults, a sided
# exercise, a 12 fps hold); all 37 agreed with --repeat 2 over both files.
REPEAT_ONLY = ["stock_glute_bridges", "polybag_bird_dog", "labelled/home_002_plank", "labelled/home_000_squat"]


@pytest.fixture(scope="module")
def evaluation(real_clips: Path, model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("eval") / "eval.json"
    assert main(["eval", *map(str, LABELS), "--clips", str(real_clips), "--jobs", "2", "--json", str(out)]) == 0
    return json.loads(out.read_text())


def figure(evaluation: dict[str, Any], name: str) -> float:
    value = evaluation["totals"]["figures"][name]
    assert value is not None, f"nothing measured for {name}"
    return value


def test_every_labelled_clip_is_analysed_and_the_others_skipped(evaluation):
    status = [(c["file"], c["status"]) for c in evaluation["clips"]]
    assert len(status) == 41
    assert sorted(f for f, s in status if s == "skipped") == [
        "polybag_pelvic_tilt.mp4", "polybag_seated_cat_cow.mp4", "polybag_standing_posture.mp4",
        "stock_hamstring_stretch.mp4"]
    assert [f for f, s in status if s not in ("ok", "skipped")] == []


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_figure_holds_its_floor(evaluation, name):
    value = figure(evaluation, name)
    assert value >= FLOORS[name], f"{name} {value:.3f} fell under its floor {FLOORS[name]} (target {TARGETS[name]})"


def test_false_flags_on_clean_reps_stay_under_the_ceiling(evaluation):
    value = figure(evaluation, "false_flag_rate")
    assert value <= FALSE_FLAG_CEILING, f"false flags {value:.3f} (target ≤ {TARGETS['false_flag_rate']})"


def test_each_fault_with_enough_cases_holds_its_f1_floor(evaluation):
    faults = evaluation["totals"]["faults"]
    gated = {code for code, t in faults.items() if t["gated"]}
    assert gated == set(FAULT_F1_FLOORS), "a fault now has ≥ 5 labelled cases: give it a floor"
    low = {code: faults[code]["f1"] for code, floor in FAULT_F1_FLOORS.items() if faults[code]["f1"] < floor}
    assert low == {}, f"F1 under the floor (target {TARGETS['fault_f1']})"


def test_two_runs_of_a_clip_are_identical(real_clips, model_path, tmp_path):
    out = tmp_path / "eval.json"
    only = [arg for name in REPEAT_ONLY for arg in ("--only", name)]
    assert main(["eval", *map(str, LABELS), "--clips", str(real_clips), "--jobs", "2", "--repeat", "2", *only,
                 "--json", str(out)]) == 0
    clips = json.loads(out.read_text())["clips"]
    assert [(c["file"], c["identical"]) for c in clips] == [
        ("stock_glute_bridges.mp4", True), ("polybag_bird_dog.mp4", True),
        ("labelled/home_000_squat.mp4", True), ("labelled/home_002_plank.mp4", True)]
