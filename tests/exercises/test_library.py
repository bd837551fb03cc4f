"""The exercise library as data: everything loads, and malformed files are reported precisely."""

from __future__ import annotations

import pytest

from formcheck.exercises.loader import LIBRARY_DIR, ExerciseFileError, load_exercise, load_library

pytestmark = pytest.mark.unit

CATALOGUE = {
    "glute_bridge", "dead_bug", "bird_dog", "side_plank", "abdominal_brace", "cat_cow", "childs_pose",
    "hip_flexor_stretch", "piriformis_stretch", "open_book", "tspine_rotation", "hip_twist",
    "hamstring_stretch", "rag_doll", "puppy_pose", "counter_stretch", "squat", "hip_hinge",
    "lunge_twist", "wall_angel", "forearm_plank", "diaphragmatic_breathing", "foam_rolling",
}


def test_whole_catalogue_is_in_the_library():
    library = load_library()
    assert CATALOGUE <= set(library)
    for ex_id, ex in library.items():
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
