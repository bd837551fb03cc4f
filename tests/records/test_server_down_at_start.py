"""A session started while the clinic's PostgreSQL server is down (the URL pointed at a socket no
server listens on): it records to its own folder, marked pending, with no database id, and the
next Store opened with the server back indexes it under the same person — never a second person,
never a session twice, and no password anywhere."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

import pytest

from formcheck.records.database.pending import PENDING_MARK
from formcheck.records.database.postgres import ServerAway
from formcheck.records.database.sessions import ORPHAN_REASON
from formcheck.records.recorder import STARTED_OFFLINE, SessionRecorder, record_session
from formcheck.records.repair import repair
from formcheck.records.session_folder import update_session_json
from formcheck.records.store import Store, StoreError
from tests.postgres_server import PASSWORD
from tests.records.scripted_sessions import Done, events_of, record

DATABASE_URL_ENV = "FORMCHECK_DATABASE_URL"


@pytest.fixture
def clinic(postgres_url, tmp_path, monkeypatch):
    """A Northside machine of the clinic: its server and its shared session folder."""
    monkeypatch.setenv(DATABASE_URL_ENV, postgres_url)
    monkeypatch.setenv("FORMCHECK_DATA_DIR", str(tmp_path / "shared"))
    monkeypatch.setenv("FORMCHECK_CLINIC", "Northside")
    return postgres_url


def server_down(monkeypatch, url: str) -> None:
    monkeypatch.setenv(DATABASE_URL_ENV, url.replace("port=5432", "port=5999"))


def offline(person: str, done: list[Done], **kw) -> SessionRecorder:
    """A session started and ended while the server is down, through what the app calls."""
    rec = record_session(Store, person, "camera 0", "live")
    assert rec.session_id is None and rec.store is None and rec.index_pending == STARTED_OFFLINE
    rec.on_frame(None, None, events_of(done, **kw))
    rec.finish()
    return rec


def no_password_in(folder, log: str) -> None:
    assert PASSWORD not in log
    for path in folder.rglob("*"):
        if path.is_file():
            assert PASSWORD.encode() not in path.read_bytes(), path


def test_a_session_started_while_the_server_is_down_is_indexed_under_the_same_person_when_it_is_back(
        clinic, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    store = Store()
    record(store, "Ann", [Done("glute_bridge", [False])])  # her online session: her person row and uid
    ann_uid = store.person_uid("Ann")
    store.close()
    server_down(monkeypatch, clinic)
    with pytest.raises(ServerAway):
        Store()
    rec = record_session(Store, "Ann", "camera 0", "live")
    assert rec.session_id is None and rec.index_pending == STARTED_OFFLINE
    folder = rec.folder
    meta = json.loads((folder / "session.json").read_text())
    assert (folder / PENDING_MARK).exists() and folder.parent.name == "sessions"
    assert {k: meta[k] for k in ("person", "source", "kind", "status", "clinic")} == {
        "person": "Ann", "source": "camera 0", "kind": "live", "status": "recording", "clinic": "Northside"}
    assert meta["pid"] and meta["host"] and "person_uid" not in meta
    rec.on_frame(None, None, events_of([Done("glute_bridge", [True, False, True], effort=4)], pain=(2, 3),
                                        flag="felt dizzy"))
    monkeypatch.setenv(DATABASE_URL_ENV, clinic)  # back while the session is still being recorded:
    early = Store()  # (another window, another machine) it is left alone until it ends
    assert len(early.sessions("Ann")) == 1 and (folder / PENDING_MARK).exists()
    early.close()
    rec.finish()
    assert json.loads((folder / "session.json").read_text())["status"] == "complete"
    lines = [json.loads(line)["type"] for line in (folder / "events.jsonl").read_text().splitlines()]
    assert lines.count("rep") == 3 and lines[-1] == "flag"

    again = Store()  # the next start indexes it
    (first,), (second,) = ([s for s in again.sessions("Ann") if (s.folder == folder) is offline] for offline in (False, True))
    detail = again.session_detail(second.id)
    assert second.folder == folder and second.status == "complete" and second.id != first.id
    assert [len(s.reps) for s in detail.sets] == [3]
    assert [[f.code for f in r.faults] for r in detail.sets[0].reps] == [["low"], [], ["low"]]
    assert sorted((r.kind, r.moment, r.score) for r in detail.ratings) == [
        ("effort", "exercise", 4), ("pain", "after", 3), ("pain", "before", 2)]
    assert detail.flag == "felt dizzy"
    assert again.people() == ["Ann"] and again.db.one("SELECT count(*) AS n FROM people")["n"] == 1
    assert json.loads((folder / "session.json").read_text())["person_uid"] == ann_uid  # as her other folders
    assert not (folder / PENDING_MARK).exists()
    again.add_note(second.id, "kept up well")  # an ordinary session now
    assert again.session_detail(second.id).notes == ("kept up well",)
    again.close()
    no_password_in(folder.parent.parent, caplog.text)


def test_two_sessions_offline_then_one_online_get_their_own_ids_and_nothing_twice(clinic, monkeypatch):
    server_down(monkeypatch, clinic)
    one = offline("Bea", [Done("glute_bridge", [False])])
    two = offline("Bea", [Done("glute_bridge", [True, True])])
    assert one.folder != two.folder
    monkeypatch.setenv(DATABASE_URL_ENV, clinic)
    three = record_session(Store, "Bea", "camera 0", "live")  # its Store indexes the two first
    three.on_frame(None, None, events_of([Done("glute_bridge", [False, False, False])]))
    three.finish()
    assert three.store is not None and three.index_pending is None
    three.store.close()
    for _ in range(2):  # opened again (every window, every machine): nothing indexed twice
        store = Store()
        rows = store.sessions("Bea")
        reps = {s.folder: len(store.session_detail(s.id).sets[0].reps) for s in rows}
        assert len({s.id for s in rows}) == 3 and reps == {one.folder: 1, two.folder: 2, three.folder: 3}
        assert next(s.id for s in rows if s.folder == three.folder) == three.session_id
        assert store.db.one("SELECT count(*) AS n FROM people WHERE name = 'Bea'")["n"] == 1
        assert store.db.one("SELECT count(*) AS n FROM sets")["n"] == 3
        store.close()
    assert not list(one.folder.parent.glob(f"*/{PENDING_MARK}"))


def test_an_offline_session_whose_app_died_is_indexed_as_interrupted(clinic, monkeypatch):
    server_down(monkeypatch, clinic)
    rec = record_session(Store, "Cal", "camera 0", "live")
    rec.on_frame(None, None, events_of([Done("glute_bridge", [False, True])]))
    rec.flush()  # what a crash leaves: flushed lines, session.json still 'recording'
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    update_session_json(rec.folder, pid=gone.pid, pid_start=None)  # its process no longer runs
    monkeypatch.setenv(DATABASE_URL_ENV, clinic)
    store = Store()
    (session,) = store.sessions("Cal")
    assert session.status == "interrupted" and session.end_reason == ORPHAN_REASON
    assert len(store.session_detail(session.id).sets[0].reps) == 2
    assert json.loads((rec.folder / "session.json").read_text())["status"] == "interrupted"
    assert not (rec.folder / PENDING_MARK).exists()
    store.close()


def test_repair_indexes_offline_sessions_and_removes_their_mark(clinic, monkeypatch):
    store = Store()
    record(store, "Ann", [Done("glute_bridge", [True])])
    store.close()
    server_down(monkeypatch, clinic)
    rec = offline("Ann", [Done("glute_bridge", [False, False])])
    monkeypatch.setenv(DATABASE_URL_ENV, clinic)
    from formcheck.records.database.location import database_location

    report = repair(database_location(clinic))
    assert report.sessions == 2 and not report.skipped
    assert PASSWORD not in report.text()
    store = Store()
    reps = {s.folder: len(store.session_detail(s.id).sets[0].reps) for s in store.sessions("Ann")}
    assert len(reps) == 2 and reps[rec.folder] == 2  # (folders of one second sort by their random part)
    assert store.db.one("SELECT count(*) AS n FROM people")["n"] == 1
    assert not (rec.folder / PENDING_MARK).exists()
    store.close()


def test_an_offline_session_keeps_its_clinic_when_another_clinic_indexes_it(clinic, monkeypatch):
    store = Store()
    record(store, "Ann", [Done("glute_bridge", [True])])  # Northside's Ann
    store.close()
    server_down(monkeypatch, clinic)
    ann = offline("Ann", [Done("glute_bridge", [False])])  # recorded on a Northside machine
    monkeypatch.setenv("FORMCHECK_CLINIC", "Southside")
    dee = offline("Ann", [Done("glute_bridge", [False])])  # a Southside machine: another clinic's name
    monkeypatch.setenv(DATABASE_URL_ENV, clinic)
    south = Store()  # a Southside machine opens first: Ann's goes to Northside's Ann; its own waits
    assert south.sessions() == [] and south.people() == []
    assert not (ann.folder / PENDING_MARK).exists() and (dee.folder / PENDING_MARK).exists()
    south.close()
    monkeypatch.setenv("FORMCHECK_CLINIC", "Northside")
    north = Store()
    assert len(north.sessions("Ann")) == 2 and ann.folder in {s.folder for s in north.sessions("Ann")}
    assert north.db.one("SELECT count(*) AS n FROM people")["n"] == 1
    north.close()


def test_a_wrong_password_at_the_start_is_refused_and_leaves_no_folder(clinic, monkeypatch, tmp_path):
    monkeypatch.setenv(DATABASE_URL_ENV, clinic.replace(PASSWORD, "not-the-password"))
    with pytest.raises(StoreError, match="refused the user name or password") as refused:
        record_session(Store, "Ann", "camera 0", "live")
    assert not isinstance(refused.value, ServerAway)
    assert "not-the-password" not in str(refused.value) and PASSWORD not in str(refused.value)
    assert not (tmp_path / "shared" / "sessions").exists() or not any((tmp_path / "shared" / "sessions").iterdir())
