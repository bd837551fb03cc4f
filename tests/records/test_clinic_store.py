"""A clinic's shared store on a real PostgreSQL server: several machines (each its own Store and
connection) on one database and one shared session folder — reviewers who don't overwrite each
other, a therapist who sees only their clinic, a lost server that loses nothing, and no password
anywhere it could be read."""

from __future__ import annotations

import json
import logging
import threading

import pytest

from formcheck.cli import main
from formcheck.records import programme_store
from formcheck.records.database.location import DATABASE_URL_ENV, database_location
from formcheck.records.database.rows import ReviewerVerdict
from formcheck.records.repair import repair
from formcheck.records.reviewer import REVIEWER_ENV
from formcheck.records.session_folder import REVIEW_FILE
from formcheck.records.session_review import read_review
from formcheck.records.store import Store, StoreError
from tests.postgres_server import PASSWORD
from tests.records.test_programme_store import PROGRAMME
from tests.records.scripted_sessions import Done, record


@pytest.fixture
def clinic(postgres_url, tmp_path, monkeypatch):
    """The clinic's settings on every machine: its server and its shared session folder."""
    monkeypatch.setenv(DATABASE_URL_ENV, postgres_url)
    monkeypatch.setenv("FORMCHECK_DATA_DIR", str(tmp_path / "shared"))
    return database_location(postgres_url)


def test_two_reviewers_on_one_session_see_each_other_and_overwrite_nothing(clinic, monkeypatch):
    recording = Store()
    sid = record(recording, "Ann", [Done("glute_bridge", [True] * 6)])
    recording.close()
    monkeypatch.setenv(REVIEWER_ENV, "first")
    first = Store()  # two therapists' machines, two connections
    monkeypatch.setenv(REVIEWER_ENV, "second")
    second = Store()
    faults = [r.faults[0].id for r in first.session_detail(sid).sets[0].reps]
    reps = [r.id for r in first.session_detail(sid).sets[0].reps]
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def review(store: Store, name: str, mine: list[int]) -> None:
        try:
            start.wait()
            store.set_verdict(faults[0], agree=name == "second")  # both judge the first flag, at once
            for i, fault in enumerate(mine):
                store.set_verdict(fault, agree=name == "first")
                store.add_note(sid, f"{name} note {i}")
                store.add_note(sid, f"{name} on rep {i}", rep_id=reps[i])
        except BaseException as exc:  # seen by the test, not lost in the thread
            failures.append(exc)

    threads = [threading.Thread(target=review, args=(first, "first", faults[1:3])),
               threading.Thread(target=review, args=(second, "second", faults[3:]))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not failures
    for store in (first, second):  # each sees the other's verdicts and notes, and their own
        detail = store.session_detail(sid)
        assert [f.verdicts for r in detail.sets[0].reps for f in r.faults] == [
            (ReviewerVerdict("first", False), ReviewerVerdict("second", True))] + [
            (ReviewerVerdict("first", True),)] * 2 + [(ReviewerVerdict("second", False),)] * 3
        assert detail.sets[0].reps[0].faults[0].disputed
        assert sorted(detail.notes) == sorted([f"first note {i}" for i in range(2)] +
                                              [f"second note {i}" for i in range(3)])
        assert sorted(n for r in detail.sets[0].reps for n in r.notes) == sorted(
            [f"first on rep {i}" for i in range(2)] + [f"second on rep {i}" for i in range(3)])
    folder = first.session(sid).folder
    assert len(read_review(folder).items) == 2 + 5 + 10  # every line of both, in the shared folder

    def review_of(store: Store) -> list[object]:
        d = store.session_detail(sid)  # notes in any order: the two wrote them at once
        return [sorted(d.notes)] + [(r.index, [f.verdicts for f in r.faults], sorted(r.notes)) for r in d.sets[0].reps]

    before = review_of(first)
    first.close()
    second.close()
    report = repair(clinic)  # the server's index rebuilt from the shared folder says the same
    assert report.reviews == 17
    again = Store()
    assert review_of(again) == before
    again.close()


def test_a_therapist_lists_only_the_people_of_their_clinic(clinic, monkeypatch):
    monkeypatch.setenv("FORMCHECK_CLINIC", "Northside")
    north = Store()
    record(north, "Ann", [Done("glute_bridge", [False])])
    programme_store.save(north, PROGRAMME)
    north.close()
    monkeypatch.setenv("FORMCHECK_CLINIC", "Southside")
    south = Store()
    record(south, "Bea", [Done("glute_bridge", [True])])
    assert [s.person for s in south.sessions()] == ["Bea"]
    assert south.people() == ["Bea"] and programme_store.people(south) == []
    with pytest.raises(StoreError, match="another clinic"):  # never Northside's Ann by her name
        south.start_session("Ann", "camera 0", "live")
    south.close()
    monkeypatch.setenv("FORMCHECK_CLINIC", "Northside")
    north = Store()
    assert [s.person for s in north.sessions()] == ["Ann"] and north.people() == ["Ann"]
    assert programme_store.people(north) == ["Ann"]
    north.close()


def test_a_server_that_is_down_is_one_sentence_without_the_password(clinic, monkeypatch, capsys, caplog):
    monkeypatch.setenv(DATABASE_URL_ENV, clinic.url.replace("port=5432", "port=5999"))
    caplog.set_level(logging.DEBUG)
    assert main(["sessions"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Can't reach the clinic's database server" in err
    assert PASSWORD not in err and PASSWORD not in caplog.text


def test_a_lost_connection_mid_session_keeps_recording_to_the_folder_and_is_indexed_later(
        clinic, postgres_server, caplog):
    store = Store()
    from formcheck.records.recorder import SessionRecorder
    from tests.records.scripted_sessions import events_of

    rec = SessionRecorder(store, "Ann", "camera 0", "live")
    first, rest = events_of([Done("glute_bridge", [False, True])]), events_of([Done("glute_bridge", [True, True])],
                                                                               t=60_000, number=2)
    rec.on_frame(None, None, first)
    postgres_server.superuser_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                  "WHERE application_name = 'formcheck'")
    rec.on_frame(None, None, rest)  # the server is gone: the folder still gets every line
    rec.finish()
    assert rec.index_pending  # said once, in one sentence, and kept going
    lines = [json.loads(line) for line in (rec.folder / "events.jsonl").read_text().splitlines()]
    assert [line["type"] for line in lines].count("rep") == 4
    meta = json.loads((rec.folder / "session.json").read_text())
    assert meta["status"] == "complete"
    assert PASSWORD not in caplog.text
    store.close()
    again = Store()  # the next start indexes what the server missed
    detail = again.session_detail(rec.session_id)
    assert [len(s.reps) for s in detail.sets] == [2, 2] and detail.status == "complete"
    assert not (rec.folder / ".index-pending").exists()
    again.close()


def test_a_bundle_imports_into_the_clinic_database(clinic, tmp_path, monkeypatch, capsys):
    home = tmp_path / "home"
    monkeypatch.delenv(DATABASE_URL_ENV)
    monkeypatch.setenv("FORMCHECK_DATA_DIR", str(home))
    store = Store()
    record(store, "Ann", [Done("glute_bridge", [False, True])])
    store.close()
    assert main(["bundle", "export", "--person", "Ann", "--out", str(tmp_path / "ann.formcheck")]) == 0
    monkeypatch.setenv(DATABASE_URL_ENV, clinic.url)
    monkeypatch.setenv("FORMCHECK_DATA_DIR", str(tmp_path / "shared"))
    assert main(["bundle", "import", str(tmp_path / "ann.formcheck")]) == 0
    assert "added 1 session(s)" in capsys.readouterr().out
    store = Store()
    assert [s.person for s in store.sessions()] == ["Ann"]
    assert store.session(store.sessions()[0].id).folder.parent == tmp_path / "shared" / "sessions"
    store.close()


def test_no_password_in_a_repair_report_or_a_review_file(clinic):
    store = Store()
    sid = record(store, "Ann", [Done("glute_bridge", [True])])
    store.add_note(sid, "fine")
    folder = store.session(sid).folder
    store.close()
    report = repair(clinic).text()
    assert PASSWORD not in report and "***" in report
    for path in folder.rglob("*"):
        if path.is_file():
            assert PASSWORD.encode() not in path.read_bytes(), path
    assert (folder / REVIEW_FILE).exists()
