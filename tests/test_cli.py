"""`formcheck` command-line checks that need no model: argument errors and names."""

from __future__ import annotations

import csv
import io
import subprocess
import sys

import pytest

from formcheck.cli import main
from formcheck.records.store import Store
from tests.conftest import ROOT, sample

SLOW_TO_IMPORT = ("cv2", "mediapipe", "PySide6")  # seconds each: only the commands that use them load them


def test_the_command_line_and_its_help_load_neither_opencv_mediapipe_nor_qt():
    code = ("import contextlib, io, sys\n"
            "import formcheck.cli\n"
            "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
            "    formcheck.cli.main(['--help'])\n"
            f"print(sorted(m for m in {SLOW_TO_IMPORT!r} if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"



@pytest.mark.parametrize(
    ("args", "flag"),
    [(["--repeats", "0"], "--repeats"), (["--repeats", "-2"], "--repeats"), (["--frames", "0"], "--frames"),
     (["--frames", "ten"], "--frames"), (["--jobs", "0"], "--jobs")],
)
def test_bench_refuses_counts_below_one_before_running(capsys, args, flag):
    with pytest.raises(SystemExit) as done:
        main(["bench", str(sample("squat_good.mp4")), *args])
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {flag}: must be a whole number of at least 1, got {args[1]!r}" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(("args", "flag"), [(["--jobs", "0"], "--jobs"), (["--jobs", "all"], "--jobs")])
def test_analyze_refuses_jobs_below_one(capsys, args, flag):
    with pytest.raises(SystemExit) as done:
        main(["analyze", str(sample("squat_good.mp4")), *args])
    assert done.value.code == 2
    assert f"argument {flag}: must be a whole number of at least 1, got {args[1]!r}" in capsys.readouterr().err


def test_jobs_bench_says_both_throughputs_the_ratio_the_load_and_how_results_compare():
    from formcheck.evaluation.bench import JobsBenchResult, Run

    result = JobsBenchResult(["a.mp4", "b.mp4"], 4500, 180.0, 2,
                             single=[Run(24.0, 90.0, 187.5, 0.5), Run(25.0, 99.0, 180.0, 1.0), Run(26.0, 95.0, 173.1)],
                             parallel=[Run(44.0, 96.0, 102.3, 0.25), Run(46.0, 95.0, 97.8, 1.5), Run(47.5, 94.0, 94.7)],
                             load=[3.0, 4.0, 5.0], differences=["identical", "identical", "a.mp4: same counts; ..."])
    lines = result.text().splitlines()
    assert result.ratio == pytest.approx(46.0 / 25.0)
    assert lines[0].startswith("a.mp4, b.mp4: 4500 frames (180.0 s); ")
    assert lines[2].split() == ["1", "24.0", "fps", "44.0", "fps", "1.83", "0.48/0.5", "then", "0.94/0.2", "identical"]
    assert lines[4].split()[-8:] == ["1.83", "0.55/?", "then", "0.99/?", "a.mp4:", "same", "counts;", "..."]
    assert lines[5] == "median: 1 process 25.0 fps, 2 processes 46.0 fps: throughput ratio 1.84"
    assert lines[6].startswith("CPU per frame: 1 process 21.1 ms, 2 processes 21.1 ms (+0 %")
    assert lines[7] == "load average (1 min) during the runs: 3.0–5.0 (mean 4.0)"


def test_jobs_bench_of_one_video_says_that_jobs_cannot_change_it():
    from formcheck.evaluation.bench import JobsBenchResult, Run

    result = JobsBenchResult(["long.mp4"], 4500, 180.0, 2, single=[Run(24.0, 90.0, 187.5)],
                             parallel=[Run(24.0, 90.0, 187.5)], load=[], differences=["identical"])
    assert result.text().splitlines()[1].startswith("note: one video is always analysed in one process")


def test_bench_without_jobs_takes_one_video(capsys):
    assert main(["bench", str(sample("squat_good.mp4")), str(sample("plank_sag.mp4"))]) == 2
    assert capsys.readouterr().err == "formcheck: bench takes one video (or several with --jobs)\n"


def test_verdicts_are_compared_count_faults_and_times():
    from formcheck.evaluation.bench import compare_verdicts

    def report(*reps):
        return {"reps": [{"start_s": s, "end_s": e, "side": None, "faults": [{"code": c} for c in f],
                          "not_judged": []} for s, e, f in reps], "attempts": [], "holds": []}

    one = report((1.0, 2.0, []), (3.0, 4.0, ["fast"]))
    assert compare_verdicts(one, one) == "identical"
    assert compare_verdicts(one, report((1.0, 2.0, []))) == "DIFFERENT counts: reps 2 vs 1"
    assert compare_verdicts(one, report((1.04, 2.0, []), (3.0, 4.0, []))) == (
        "same counts; faults or sides differ on 1 of 2; times differ on 1 of 4, by up to 0.04 s")


@pytest.mark.parametrize("person", ["", "   "])
def test_record_refuses_a_blank_person_and_saves_nothing(tmp_path, monkeypatch, capsys, person):
    monkeypatch.setenv("FORMCHECK_DATA_DIR", str(tmp_path / "data"))
    with pytest.raises(SystemExit) as done:
        main(["analyze", str(sample("squat_good.mp4")), "--exercise", "squat", "--record", "--person", person,
              "--out", str(tmp_path / "out"), "--no-progress"])
    assert done.value.code == 2
    assert "argument --person: a session is saved under a person's name, and this one is empty" in capsys.readouterr().err
    assert not (tmp_path / "data" / "formcheck.db").exists()


def test_report_by_person_works_for_any_saved_name(tmp_path, monkeypatch, capsys):
    """Even a blank name saved by an earlier version can still be reported."""
    monkeypatch.setenv("FORMCHECK_DATA_DIR", str(tmp_path))
    store = Store()
    blank, _ = store.start_session("x", "camera 0", "live")
    other, _ = store.start_session("Bea", "camera 0", "live")
    store.db.execute("UPDATE people SET name = '' WHERE name = 'x'")  # what an earlier version let through
    store.add_note(blank, "first session")
    store.close()
    assert main(["report", "--person", "", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["session"], r["person"], r["notes"]) for r in rows] == [(str(blank), "", "first session")]
    assert main(["sessions", "--person", ""]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in listed] == [str(blank)]


PROGRAMME_FILE = """\
# Ann's programme, from the clinic
days_per_week = 3
start = 2026-11-02
pain_stop_at = 7
[[exercises]]
id = "glute_bridge"
sets = 2
reps = 10
[progression]
add_reps = 2
"""


def test_programme_import_export_show_and_progress(tmp_path, monkeypatch, capsys):
    from formcheck.exercises.programme_file import load
    from formcheck.records import programme_store
    from tests.records.scripted_sessions import Done, record

    monkeypatch.setenv("FORMCHECK_DATA_DIR", str(tmp_path / "data"))
    source = tmp_path / "ann.toml"
    source.write_text(PROGRAMME_FILE)
    assert main(["programme", "import", str(source), "--person", "Ann"]) == 0
    assert main(["programme", "import", str(source), "--person", "Ann"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "saved Ann's programme as version 1", "Ann's programme is unchanged (version 1); nothing saved"]
    assert main(["programme", "export", "--person", "Ann", "--out", str(tmp_path / "out.toml")]) == 0
    exported = load(tmp_path / "out.toml")
    assert exported.content() == load(source, person="Ann").content() and exported.version == 1

    store = Store()
    v1 = programme_store.current_programme(store, "Ann")
    for _ in range(2):
        record(store, "Ann", [Done("glute_bridge", [False] * 10, sets=2)], programme=(v1.uid, 1), pain=(2, 2))
    store.close()
    assert main(["programme", "show", "--person", "Ann"]) == 0
    shown = capsys.readouterr().out
    assert "  1. glute_bridge           2 × 10 reps, rest 30 s" in shown
    assert "Ann — last session: today" in shown
    assert "  proposed: glute_bridge: 2 × 10 reps → 2 × 12 reps" in shown
    assert main(["programme", "progress", "--person", "Ann", "--confirm"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "confirmed: saved as version 2"

    source.write_text(PROGRAMME_FILE.replace('"glute_bridge"', '"moonwalk"'))
    assert main(["programme", "import", str(source), "--person", "Ann"]) == 2
    assert "ann.toml: exercises[0].id: no exercise 'moonwalk' in the library" in capsys.readouterr().err
    assert main(["programme", "show", "--person", "Bob"]) == 2
    assert "'Bob' has no programme yet" in capsys.readouterr().err


def test_exercises_faults_lists_each_code_with_what_it_measures_its_threshold_view_and_cue(capsys):
    from formcheck.exercises.loader import load_by_id

    squat = load_by_id("squat")
    assert main(["exercises", "--faults", "squat"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "squat (Squat):"
    assert [line.split()[0] for line in lines[1:]] == [r.code for r in squat.rules]
    chest = next(r for r in squat.rules if r.code == "squat_chest_down")
    line = next(line for line in lines if line.startswith("squat_chest_down "))
    kind = squat.measures[chest.measure].kind  # "lean": the trunk's tilt, corrected for an oblique camera
    assert (f"trunk ({kind} hip–shoulder) over {chest.max:g}° (by more than {chest.margin:g}°) at the turn of each rep, "
            "judged from the side only") in line
    assert line.endswith(f'cue "{chest.cue}"')


def test_exercises_faults_without_an_id_lists_the_codes_under_every_exercise(capsys):
    from formcheck.exercises.loader import load_library

    assert main(["exercises", "--faults"]) == 0
    listed: dict[str, list[str]] = {}
    codes: list[str] = []
    for line in capsys.readouterr().out.splitlines():
        if line.startswith("    "):  # a code, under its exercise
            codes.append(line.split()[0])
        elif line.startswith("  "):  # an exercise
            codes = listed.setdefault(line.split()[0], [])
    assert listed == {ex.id: [r.code for r in ex.rules] or ["(no"] for ex in load_library().exercises.values()}


def test_exercises_faults_of_an_unknown_exercise_is_one_clear_message(capsys):
    assert main(["exercises", "--faults", "squats"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("formcheck: squats.toml: id: no such exercise; known: ") and "Traceback" not in err
