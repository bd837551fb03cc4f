"""`formcheck` command-line checks that need no model: argument errors and names."""

from __future__ import annotations

import csv
import io

import pytest

from formcheck.cli import main
from formcheck.pipeline.store import Store
from tests.conftest import sample


@pytest.mark.parametrize(
    ("args", "flag"),
    [(["--repeats", "0"], "--repeats"), (["--repeats", "-2"], "--repeats"), (["--frames", "0"], "--frames"),
     (["--frames", "ten"], "--frames")],
)
def test_bench_refuses_counts_below_one_before_running(capsys, args, flag):
    with pytest.raises(SystemExit) as done:
        main(["bench", str(sample("squat_good.mp4")), *args])
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {flag}: must be a whole number of at least 1, got {args[1]!r}" in err
    assert "Traceback" not in err


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
    from formcheck.pipeline import programme_store
    from tests.pipeline.scripted_sessions import Done, record

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
