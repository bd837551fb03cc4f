"""The exercise library as data: everything loads, and malformed files are reported precisely."""

from __future__ import annotations

import os

import pytest

from formcheck.cli import main
from formcheck.exercises.exercise_file import load_exercise
from formcheck.exercises.loader import LIBRARY_DIR, load_by_id, load_library
from formcheck.exercises.toml_reader import ExerciseFileError

pytestmark = pytest.mark.unit

CATALOGUE = {
    "glute_bridge", "dead_bug", "bird_dog", "side_plank", "abdominal_brace", "cat_cow", "childs_pose",
    "hip_flexor_stretch", "piriformis_stretch", "open_book", "tspine_rotation", "hip_twist",
    "hamstring_stretch", "rag_doll", "puppy_pose", "counter_stretch", "squat", "hip_hinge",
    "lunge_twist", "wall_angel", "forearm_plank", "diaphragmatic_breathing", "foam_rolling",
}
# The easier versions a therapist gives, each its own exercise (issue 15).
VARIANTS = {"knee_plank", "side_plank_knees", "glute_bridge_single_leg", "dead_bug_feet_down"}


def test_every_variant_named_is_an_exercise_of_the_library():
    library = load_library().exercises
    named = {v.exercise for ex in library.values() for v in ex.variants}
    assert VARIANTS <= named <= set(library)
    for ex in library.values():
        for v in ex.variants:
            assert v.name == library[v.exercise].name, (ex.id, v.exercise)


def test_whole_catalogue_is_in_the_library():
    library = load_library()
    assert not library.problems and not library.custom
    assert CATALOGUE <= set(library.exercises)
    for ex_id, ex in library.exercises.items():
        assert ex.id == ex_id
        assert ex.name and ex.instructions and ex.camera and ex.safety, ex_id
        if ex.group == "timer":
            assert ex.timer_only and ex.dose.hold_s
        else:
            assert (ex.rep is None) != (ex.hold is None), ex_id  # exactly one of reps or hold
            assert ex.setup is not None and ex.setup.views and ex.setup.landmarks
            assert ex.rules, f"{ex_id} has no form rules"
            assert len({r.code for r in ex.rules}) == len(ex.rules)
            for rule in ex.rules:
                assert rule.cue and 1 <= rule.severity <= 4


GOOD = """
id = "{id}"
name = "Test"
group = "core"
instructions = "Do it."
camera = "Side-on."
safety = ["Stop on pain."]
[dose]
sets = 1
reps = 5
[setup]
views = ["side"]
landmarks = ["hip", "knee"]
[measures]
knee = {{ kind = "angle", points = ["hip", "knee", "ankle"] }}
[rep]
measure = "knee"
start = 160
target = 120
[[rules]]
code = "deep"
kind = "range"
measure = "knee"
min = 80
cue = "Not so deep"
"""


def write(tmp_path, text, name="sample_ex"):
    path = tmp_path / f"{name}.toml"
    path.write_text(text.format(id=name) if "{id}" in text else text)
    return path


def test_a_valid_file_loads(tmp_path):
    ex = load_exercise(write(tmp_path, GOOD))
    assert ex.rep.measure == "knee" and ex.rules[0].min == 80


@pytest.mark.parametrize(
    ("change", "key", "words"),
    [
        (lambda t: t.replace('start = 160', 'start = "high"'), "rep.start", "must be a number"),
        (lambda t: t.replace('cue = "Not so deep"', 'cue = "Not so deep"\ncolour = "red"'), "rules[0].colour", "unknown key"),
        (lambda t: t.replace('measure = "knee"\nmin = 80', 'measure = "kneee"\nmin = 80'), "rules[0].measure", "no measure named 'kneee'"),
        (lambda t: t.replace('"hip", "knee", "ankle"', '"hip", "kne", "ankle"'), "measures.knee.points", "unknown joint 'kne'"),
        (lambda t: t.replace('name = "Test"\n', ''), "name", "is required"),
        (lambda t: t.replace('views = ["side"]', 'views = ["above"]'), "setup.views", "'above' is not one of"),
        (lambda t: t.replace('target = 120', 'target = 158'), "rep.target", "more than twice the hysteresis"),
        (lambda t: t.replace('kind = "range"', 'kind = "vibes"'), "rules[0].kind", "must be one of"),
        (lambda t: t.replace('[dose]\nsets = 1', '[dose]\nsets = 0'), "dose.sets", "at least 1"),
    ],
)
def test_errors_name_file_key_and_problem(tmp_path, change, key, words):
    path = write(tmp_path, change(GOOD.format(id="sample_ex")))
    with pytest.raises(ExerciseFileError) as err:
        load_exercise(path)
    assert err.value.file == "sample_ex.toml"
    assert err.value.key == key
    assert words in err.value.problem


def test_syntax_error_and_id_mismatch(tmp_path):
    with pytest.raises(ExerciseFileError, match=r"broken.toml: \(syntax\)"):
        load_exercise(write(tmp_path, "id = \n", "broken"))
    with pytest.raises(ExerciseFileError, match="must match the file name"):
        load_exercise(write(tmp_path, GOOD.format(id="other"), "renamed"))


def test_library_files_are_commented_for_therapists():
    for path in LIBRARY_DIR.glob("*.toml"):
        text = path.read_text()
        assert text.lstrip().startswith("#"), path.name
        if 'group = "timer"' in text:
            continue
        assert "degree" in text or "°" in text or "second" in text or "torso length" in text, path.name


@pytest.mark.parametrize(
    ("change", "key", "words"),
    [
        # TOML allows nan and inf; a threshold of nan would silently never fire.
        (lambda t: t.replace("start = 160", "start = nan"), "rep.start", "must be a finite number, got nan"),
        (lambda t: t.replace("min = 80", "min = -inf"), "rules[0].min", "must be a finite number, got -inf"),
        (lambda t: t.replace("reps = 5", "reps = 5\nrest_s = inf"), "dose.rest_s", "must be a finite number, got inf"),
    ],
)
def test_nan_and_inf_are_refused_with_the_key(tmp_path, change, key, words):
    path = write(tmp_path, change(GOOD.format(id="sample_ex")))
    with pytest.raises(ExerciseFileError) as err:
        load_exercise(path)
    assert err.value.key == key
    assert words in err.value.problem


RULE = '{ code = "deep", kind = "range", measure = "knee", min = 80, cue = "Not so deep" }'


@pytest.mark.parametrize("entry", ['"x"', "1", '["code", "deep"]'])
def test_rules_entries_that_are_not_tables_are_reported(tmp_path, entry):
    head, _, _ = GOOD.format(id="sample_ex").partition("[[rules]]")
    # A top-level key must come before the first table in TOML.
    text = head.replace("[dose]", f"rules = [{RULE}, {RULE.replace('deep', 'deeper')}, {entry}]\n[dose]", 1)
    with pytest.raises(ExerciseFileError) as err:
        load_exercise(write(tmp_path, text))
    assert str(err.value).startswith("sample_ex.toml: rules[2]: must be a table like [[rules]]")
    assert entry.replace('"', "'") in err.value.problem  # says what it found


def test_hold_position_entries_that_are_not_tables_are_reported(tmp_path):
    text = GOOD.format(id="sample_ex").replace(
        "[rep]\nmeasure = \"knee\"\nstart = 160\ntarget = 120",
        "[hold]\nposition = [\"knee\"]")
    with pytest.raises(ExerciseFileError) as err:
        load_exercise(write(tmp_path, text))
    assert err.value.key == "hold.position[0]"
    assert "must be a table like" in err.value.problem


@pytest.mark.parametrize("bad", ["../../x", "squat/../squat", "/etc/passwd", "Squat", "squat.toml", "", "squat "])
def test_load_by_id_takes_plain_ids_only(bad):
    with pytest.raises(ExerciseFileError) as err:
        load_by_id(bad)
    assert "lower-case letters, digits and _" in err.value.problem
    assert "`formcheck exercises`" in err.value.problem


def test_load_by_id_cannot_reach_a_file_outside_the_library(tmp_path):
    write(tmp_path, GOOD, "outside")
    relative = os.path.relpath(tmp_path / "outside", LIBRARY_DIR)  # ../../../tmp/.../outside
    assert (LIBRARY_DIR / f"{relative}.toml").is_file()
    with pytest.raises(ExerciseFileError, match="not an exercise id"):
        load_by_id(relative)


def test_a_bad_file_is_skipped_and_reported_not_fatal(tmp_path):
    write(tmp_path, GOOD, "good_one")
    write(tmp_path, GOOD.format(id="broken_one").replace("start = 160", "start = nan"), "broken_one")
    write(tmp_path, "id = \n", "syntax_bad")
    library = load_library(tmp_path)
    assert set(library.exercises) == {"good_one"}
    assert [(p.file, p.key) for p in library.problems] == [("broken_one.toml", "rep.start"), ("syntax_bad.toml", "(syntax)")]


@pytest.fixture
def custom_dir(tmp_path, monkeypatch):
    folder = tmp_path / "my exercises"
    folder.mkdir()
    monkeypatch.setenv("FORMCHECK_EXERCISES_DIR", str(folder))
    # The README's recipe: copy a built-in file, change its id (and the file name) and its name.
    text = (LIBRARY_DIR / "squat.toml").read_text()
    (folder / "my_squat.toml").write_text(text.replace('id = "squat"', 'id = "my_squat"', 1)
                                          .replace('name = "Squat"', 'name = "My squat"', 1))
    return folder


def test_custom_exercises_load_beside_the_built_in_ones(custom_dir):
    library = load_library()
    assert CATALOGUE <= set(library.exercises)
    assert library.custom == {"my_squat"}
    assert library.exercises["my_squat"].name == "My squat"
    assert not library.problems
    assert load_by_id("my_squat").rep == library.exercises["squat"].rep


def test_a_custom_file_may_not_replace_a_built_in_one(custom_dir):
    (custom_dir / "squat.toml").write_text((LIBRARY_DIR / "squat.toml").read_text().replace("target = ", "target = 1 + "))
    library = load_library()
    assert library.exercises["squat"] == load_exercise(LIBRARY_DIR / "squat.toml")
    assert "squat" not in library.custom
    [problem] = library.problems
    assert problem.file == str(custom_dir / "squat.toml")
    assert "'squat' is a built-in exercise" in problem.problem and "another id" in problem.problem
    assert load_by_id("squat") == library.exercises["squat"]


def test_cli_lists_custom_exercises_and_warns_per_bad_file(custom_dir, capsys):
    (custom_dir / "rules_typo.toml").write_text(GOOD.format(id="rules_typo").replace("min = 80", "min = nan"))
    (custom_dir / "squat.toml").write_text((LIBRARY_DIR / "squat.toml").read_text())
    assert main(["exercises"]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert next(line for line in lines if "my_squat" in line).split()[1:4] == ["My", "squat", "(custom)"]
    assert not any("(custom)" in line for line in lines if line.split()[:1] == ["squat"])
    assert sum(1 for line in lines if line.startswith("  ")) == len(CATALOGUE) + len(VARIANTS) + 1
    assert str(custom_dir) in out  # where to put your own
    warnings = err.splitlines()
    assert len(warnings) == 2
    assert any(f"{custom_dir / 'rules_typo.toml'}: rules[0].min: must be a finite number" in w for w in warnings)
    assert any(f"{custom_dir / 'squat.toml'}: id:" in w for w in warnings)


def test_one_hold_duration_the_prescription(tmp_path):
    text = GOOD.format(id="sample_ex").replace(
        "[rep]\nmeasure = \"knee\"\nstart = 160\ntarget = 120",
        "[hold]\nposition = [{ measure = \"knee\", min = 160 }]")
    with pytest.raises(ExerciseFileError, match="dose: hold_s"):
        load_exercise(write(tmp_path, text))
    old = text.replace("[hold]\n", "[hold]\ntarget_s = 10\n")  # the old second duration is refused
    with pytest.raises(ExerciseFileError, match="target_s"):
        load_exercise(write(tmp_path, old))
