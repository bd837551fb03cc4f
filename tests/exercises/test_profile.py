"""Calibration profiles: the population default, personal values within safety floors, versions
kept, and bad files reported as ``file: key: problem`` with the population thresholds used."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from formcheck.core.body import BodyModel
from formcheck.exercises.exercise_file import load_exercise
from formcheck.exercises.loader import LIBRARY_DIR, load_by_id, load_library
from formcheck.exercises.personal_thresholds import apply_profile, personalise, population_profile
from formcheck.exercises.profile import ExerciseOverrides, Profile, ProfileError, ProfileStore, read_profile, render_profile
from formcheck.exercises.toml_reader import ExerciseFileError
from tests.exercises.test_library import GOOD

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
CALIBRATION = ROOT / "calibration"


def _bridge_profile(rules=None, rep=None, person="Eve") -> Profile:
    return Profile(person, 1, exercises={"glute_bridge": ExerciseOverrides(rep or {}, rules or {})})


def test_default_profile_is_todays_thresholds():
    library = load_library(LIBRARY_DIR).exercises
    text = (CALIBRATION / "default.toml").read_text(encoding="utf-8")
    assert text == render_profile(population_profile(library), library), \
        "calibration/default.toml is stale: run tools/write_default_profile.py"
    default = read_profile(CALIBRATION / "default.toml")
    assert default.population and default.label == "population"
    assert default.exercises["glute_bridge"].rules["bridge_not_high_enough"] == {"min": 163.0}
    for ex in library.values():  # applying the default changes nothing anywhere
        assert apply_profile(ex, default) == (ex, [])


def test_example_profile_loads_and_applies_cleanly():
    example = read_profile(CALIBRATION / "example.toml")
    assert example.label == "Example Person v1" and example.body.stance == 0.9
    bridge, notes = apply_profile(load_by_id("glute_bridge"), example)
    assert notes == []
    rules = {r.code: r for r in bridge.rules}
    assert rules["bridge_not_high_enough"].min == 158.5 and rules["bridge_short_pause"].min_s == 1.5
    assert rules["bridge_over_arch"] == next(r for r in load_by_id("glute_bridge").rules if r.code == "bridge_over_arch")
    assert bridge.rep.goal == 161.0 and bridge.profile == "Example Person v1"


def test_a_profile_is_written_and_read_back_whatever_the_name(tmp_path):
    name = 'Zoë "Z" O\'Brien\\\x7f <b>'
    body = BodyModel({"trunk": 111.0, "left_thigh": 78.125}, {"trunk": 0.457, "hip_width": 0.16}, 27, ("side",), 0.9)
    profile = dataclasses.replace(_bridge_profile({"bridge_not_high_enough": {"min": 158.25}}, {"goal": 161.0}, name),
                                  created="2026-11-25T10:00:00+00:00", created_by="Anna", made_from="session 3",
                                  reason="line one\nline two", body=body)
    path = tmp_path / "p.toml"
    path.write_text(render_profile(profile, load_library().exercises), encoding="utf-8")
    assert dataclasses.replace(read_profile(path), path=None) == profile
    assert "# population 163; safety floor 155" in path.read_text(encoding="utf-8")


def test_safety_floor_a_profile_never_loosens_a_rule_past_it():
    bridge = load_by_id("glute_bridge")
    profile = _bridge_profile({"bridge_not_high_enough": {"min": 140.0},  # below the floor 155
                               "bridge_over_arch": {"max": 200.0},        # no limit: never looser
                               "bridge_short_pause": {"min_s": 2.5}})     # stricter: always allowed
    personal, notes = apply_profile(bridge, profile)
    rules = {r.code: r for r in personal.rules}
    assert rules["bridge_not_high_enough"].min == 155.0
    assert rules["bridge_over_arch"].max == 190.0
    assert rules["bridge_short_pause"].min_s == 2.5
    assert notes == [
        "Eve v1: exercises.glute_bridge.rules.bridge_not_high_enough.min: 140 is looser than the safety floor 155 "
        "in the exercise file; 155 is used",
        "Eve v1: exercises.glute_bridge.rules.bridge_over_arch.max: 200 would be looser than 190 and the exercise "
        "file allows this rule no personal limit; 190 is used",
    ]


def test_personal_rep_target_stays_within_its_limit():
    squat = load_by_id("squat")  # start 140, target 125, limit 130
    shallow = Profile("Eve", 2, exercises={"squat": ExerciseOverrides({"target": 138.0})})
    personal, notes = apply_profile(squat, shallow)
    assert personal.rep.target == 130.0 and "138 is looser than the limit 130" in notes[0]
    deep = Profile("Eve", 2, exercises={"squat": ExerciseOverrides({"target": 100.0})})
    assert apply_profile(squat, deep)[0].rep.target == 100.0
    bridge = load_by_id("glute_bridge")  # no limit on its target: only stricter
    assert apply_profile(bridge, _bridge_profile(rep={"target": 148.0}))[0].rep.target == bridge.rep.target


def test_values_for_rules_that_are_gone_or_empty_ranges_are_reported_not_applied():
    bridge = load_by_id("glute_bridge")
    profile = _bridge_profile({"no_such_rule": {"min": 1.0}, "bridge_feet_position": {"min": 120.0},
                               "bridge_short_pause": {"max": 9.0}})
    personal, notes = apply_profile(bridge, profile)
    assert {r.code: r for r in personal.rules} == {r.code: r for r in bridge.rules}
    assert any("rules.no_such_rule: glute_bridge has no such rule" in n for n in notes)
    assert any("bridge_feet_position: its min is not below its max" in n for n in notes)
    assert any("bridge_short_pause.max: the rule has no personal max; ignored" in n for n in notes)


BAD_PROFILES = {
    "syntax": ("format = 'formcheck-profile/1'\nperson = \n", "(syntax)"),
    "foreign": (None, "format: this is not a formcheck calibration profile (an exercise file)"),
    "type": ('format = "formcheck-profile/1"\nperson = "Eve"\nversion = 1\n'
             '[exercises.glute_bridge.rules.bridge_not_high_enough]\nmin = "high"\n',
             "exercises.glute_bridge.rules.bridge_not_high_enough.min: must be a number, got 'high'"),
    "typo": ('format = "formcheck-profile/1"\nperson = "Eve"\nversion = 1\n'
             '[exercises.glute_bridge.rules.bridge_not_high_enough]\nminn = 150\n',
             "exercises.glute_bridge.rules.bridge_not_high_enough.minn: unknown key (a typo?)"),
    "no person": ('format = "formcheck-profile/1"\nversion = 1\n', "person: is required"),
    "bad body": ('format = "formcheck-profile/1"\nperson = "Eve"\nversion = 1\n[body.world_m]\ntrunk = -1\n',
                 "body.world_m.trunk: must be greater than 0"),
}


@pytest.mark.parametrize("case", BAD_PROFILES)
def test_a_bad_profile_says_file_key_problem_and_the_population_values_are_used(case, tmp_path):
    text, expected = BAD_PROFILES[case]
    store = ProfileStore(tmp_path)
    folder = store.folder("Eve")
    folder.mkdir(parents=True)
    path = folder / "v0001.toml"
    path.write_text(text if text is not None else (LIBRARY_DIR / "squat.toml").read_text(encoding="utf-8"),
                    encoding="utf-8")
    with pytest.raises(ProfileError) as err:
        store.latest("Eve")
    assert str(err.value).startswith(f"{path}: ") and expected in str(err.value)
    bridge = load_by_id("glute_bridge")
    personal, notes = personalise(bridge, "Eve", store)
    assert personal == bridge
    assert notes == [f"{err.value}; using the population thresholds instead"]


def test_versions_are_kept_never_overwritten(tmp_path):
    store = ProfileStore(tmp_path)
    first = store.save(_bridge_profile({"bridge_not_high_enough": {"min": 160.0}}))
    first_text = first.path.read_text(encoding="utf-8")
    second = store.save(first.with_values("glute_bridge", rules={"bridge_not_high_enough": {"min": 158.0}},
                                          reason="lower after review"))
    assert (first.version, second.version) == (1, 2)
    assert [p.name for p in store.versions("Eve")] == ["v0001.toml", "v0002.toml"]
    assert first.path.read_text(encoding="utf-8") == first_text
    latest = store.latest("Eve")
    assert latest.label == "Eve v2" and latest.reason == "lower after review"
    assert latest.exercises["glute_bridge"].rules["bridge_not_high_enough"] == {"min": 158.0}
    assert store.latest("Someone else") is None
    personal, notes = personalise(load_by_id("glute_bridge"), "Eve", store)
    assert personal.profile == "Eve v2" and personal.rules[0].min == 158.0 and not notes


@pytest.mark.parametrize("limit, key, problem", [
    ("limit = { min = 170 }", "rules[0].limit.min", "must be at or below min (163)"),
    ("limit = { max = 170 }", "rules[0].limit.max", "the rule has no max to limit"),
    ("limit = { mni = 150 }", "rules[0].limit.mni", "unknown key"),
])
def test_exercise_file_limits_are_checked(tmp_path, limit, key, problem):
    text = (LIBRARY_DIR / "glute_bridge.toml").read_text(encoding="utf-8")
    text = text.replace("limit = { min = 155 }", limit)
    path = tmp_path / "glute_bridge.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ExerciseFileError) as err:
        load_exercise(path)
    assert err.value.key == key and problem in err.value.problem


def test_rep_target_limit_must_lie_between_start_and_target(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text(GOOD.format(id="t").replace("target = 120", "target = 120\nlimit = { target = 100 }"),
                    encoding="utf-8")
    with pytest.raises(ExerciseFileError) as err:
        load_exercise(path)
    assert err.value.key == "rep.limit.target" and "must lie between start (160) and target (120)" in err.value.problem


def _reps(peaks, low):
    from formcheck.core.reps import RepRecord

    return [RepRecord(None, i * 5000, reached=True, peak=p, low=low) for i, p in enumerate(peaks)]


def test_rom_targets_are_bounded_by_the_safety_floors():
    from formcheck.exercises.personal_thresholds import rom_targets

    bridge = load_by_id("glute_bridge")
    values, notes = rom_targets(bridge, _reps([153.0, 154.0, 156.0], 130.0))  # a very stiff person
    assert values.rules["bridge_not_high_enough"] == {"min": 155.0}  # the floor, not 150
    assert values.rep == {"goal": 154.0}
    assert notes[0] == ("glute_bridge: rules.bridge_not_high_enough.min: 150 is looser than the safety floor 155 "
                        "in the exercise file; 155 is used")
    assert notes[1].startswith("glute_bridge: rep.target: the reference reps didn't clearly reach 152")
    _, notes = rom_targets(bridge, _reps([150.0, 151.0, 150.5], 130.0))
    assert "the reference reps didn't clearly reach 152 and the exercise file allows no personal target" in notes[-1]
    squat = load_by_id("squat")  # a rep is counted at 125° (falling); limit 130
    values, notes = rom_targets(squat, _reps([134.0, 132.0, 133.0], 175.0))
    assert values.rep["target"] == 130.0 and any("looser than the limit 130" in n for n in notes)
    assert values.rules["squat_shallow"] == {"max": 130.0}  # "go deeper" follows the personal depth
    values, _ = rom_targets(squat, _reps([126.0, 127.0, 124.0], 175.0))  # short of 125: a shallow squatter
    assert values.rep == {"goal": 126.0, "target": 130.0}  # least deep 127 + a tenth of the 49° range, to the limit
    values, notes = rom_targets(squat, _reps([90.0, 95.0, 92.0], 175.0))  # deep enough already
    assert values.rep == {"goal": 92.0} and notes == []  # the population target stays (see rom_targets)
    values, _ = rom_targets(bridge, _reps([180.0, 181.0, 182.0], 140.0))  # well above 163: left as it is
    assert values.rules == {} and values.rep == {"goal": 181.0}
