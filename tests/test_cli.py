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
