"""Two therapists reviewing one session, on both engines (two Stores, two connections): each keeps
their own verdict on the same flag, a changed mind replaces only one's own, and the folders (repair,
re-indexing, bundles) give back every reviewer's verdict and note. The reviewer's name comes from
FORMCHECK_REVIEWER or the login, and a review.jsonl line's reviewer is checked like any name."""

from __future__ import annotations

import csv
import getpass
import io
import json
import sqlite3
import zipfile

import pytest

from formcheck.records.bundle_export import export_bundle
from formcheck.records.bundle_import import import_bundle
from formcheck.records.database.connection import Connection
from formcheck.records.database.location import DATABASE_URL_ENV, sqlite_location
from formcheck.records.database.pending import mark_pending
from formcheck.records.database.rows import ReviewerVerdict
from formcheck.records.database.schema import MIGRATIONS, statements
from formcheck.records.repair import repair
from formcheck.records.reviewer import REVIEWER_ENV, UNKNOWN_REVIEWER, reviewer_name, said
from formcheck.records.session_folder import REVIEW_FILE
from formcheck.records.session_review import Verdict, parse_review, read_review
from formcheck.records.store import Store, StoreError
from formcheck.reports.session_report import report_csv, report_html, report_json
from formcheck.untrusted import Refused
from tests.records.scripted_sessions import Done, record

ANNA, BEN = ReviewerVerdict("anna", True), ReviewerVerdict("ben", False)


def open_as(location, monkeypatch, reviewer: str) -> Store:
    """A therapist's machine: its own Store (and connection) with its reviewer's setting."""
    monkeypatch.setenv(REVIEWER_ENV, reviewer)
    return Store(location)


def verdicts(store: Store, sid: int) -> list[tuple[ReviewerVerdict, ...]]:
    return [f.verdicts for r in store.session_detail(sid).sets[0].reps for f in r.faults]


def notes_by(store: Store, sid: int) -> list[tuple[str, str]]:
    return sorted((n["reviewer"], n["text"]) for n in store.db.all("SELECT reviewer, text FROM notes "
                                                                  "WHERE session_id = ?", (sid,)))


@pytest.fixture
def judged(location, monkeypatch):
    """A session of three flagged reps; anna and ben judge the first flag differently and each
    write a note; ben judges the second flag too."""
    anna = open_as(location, monkeypatch, "anna")
    sid = record(anna, "Ann", [Done("glute_bridge", [True] * 3)])
    ben = open_as(location, monkeypatch, "ben")
    faults = [r.faults[0].id for r in anna.session_detail(sid).sets[0].reps]
    anna.set_verdict(faults[0], agree=True)
    ben.set_verdict(faults[0], agree=False)
    ben.set_verdict(faults[1], agree=True)
    anna.add_note(sid, "anna on the session")
    ben.add_note(sid, "ben on rep 1", rep_id=anna.session_detail(sid).sets[0].reps[0].id)
    yield anna, ben, sid, faults
    anna.close()
    ben.close()


EXPECTED = [(ANNA, BEN), (ReviewerVerdict("ben", True),), ()]
NOTES = [("anna", "anna on the session"), ("ben", "ben on rep 1")]


def test_two_reviewers_keep_both_verdicts_on_one_flag(judged):
    anna, ben, sid, faults = judged
    for store in (anna, ben):  # each machine sees both, neither overwritten
        assert verdicts(store, sid) == EXPECTED
        assert notes_by(store, sid) == NOTES
        first, second, third = (r.faults[0] for r in store.session_detail(sid).sets[0].reps)
        assert first.disputed and first.agree is None and said(first) == "Agreed: anna · Disagreed: ben (disputed)"
        assert second.agree is True and not second.disputed and third.agree is None and said(third) == ""
    lines = [json.loads(line) for line in (anna.session(sid).folder / REVIEW_FILE).read_text().splitlines()]
    assert [(line["type"], line["reviewer"]) for line in lines] == [
        ("verdict", "anna"), ("verdict", "ben"), ("verdict", "ben"), ("note", "anna"), ("note", "ben")]


def test_a_changed_mind_replaces_only_ones_own_verdict(judged):
    anna, ben, sid, faults = judged
    ben.set_verdict(faults[0], agree=True)
    assert verdicts(anna, sid)[0] == (ANNA, ReviewerVerdict("ben", True))
    first = anna.session_detail(sid).sets[0].reps[0].faults[0]
    assert first.agree is True and not first.disputed  # now everyone who judged it agrees
    anna.set_verdict(faults[0], agree=False)
    assert verdicts(ben, sid)[0] == (ReviewerVerdict("anna", False), ReviewerVerdict("ben", True))
    assert anna.db.one("SELECT COUNT(*) AS n FROM verdicts")["n"] == 3  # one row per flag and reviewer


def test_repair_and_reindexing_give_back_every_reviewers_verdict_and_note(judged, location, monkeypatch):
    anna, ben, sid, _faults = judged
    folder = anna.session(sid).folder
    anna.close()
    ben.close()
    assert repair(location).reviews == 5
    again = open_as(location, monkeypatch, "carl")
    assert verdicts(again, sid) == EXPECTED and notes_by(again, sid) == NOTES
    again.close()
    mark_pending(folder)  # as after a server that was away: the session indexed again from its folder
    again = open_as(location, monkeypatch, "carl")
    assert verdicts(again, sid) == EXPECTED and notes_by(again, sid) == NOTES
    again.close()


def test_a_bundle_carries_every_reviewers_verdict_both_ways(judged, tmp_path, monkeypatch):
    anna, ben, sid, faults = judged
    bundle = tmp_path / "ann.formcheck"
    export_bundle(anna, "Ann", bundle)
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    monkeypatch.setenv(REVIEWER_ENV, "carl")
    home = Store(sqlite_location(tmp_path / "home" / "formcheck.db"))
    import_bundle(home, bundle)
    [imported] = [s.id for s in home.sessions()]
    assert verdicts(home, imported) == EXPECTED and notes_by(home, imported) == NOTES
    # A third verdict at home, and one more at the clinic: each side's import adds the other's.
    home.set_verdict(home.session_detail(imported).sets[0].reps[2].faults[0].id, agree=False)
    back = tmp_path / "back.formcheck"
    export_bundle(home, "Ann", back)
    anna.set_verdict(faults[1], agree=False)
    assert import_bundle(anna, back).reviews == 1
    assert verdicts(ben, sid) == [(ANNA, BEN), (ReviewerVerdict("anna", False), ReviewerVerdict("ben", True)),
                                  (ReviewerVerdict("carl", False),)]
    home.close()


def test_verdicts_from_before_reviewers_keep_working(location, tmp_path, monkeypatch):
    """A database at schema 8 (one verdict per flag) is migrated: its verdict is the earlier review's."""
    anna = open_as(location, monkeypatch, "anna")
    sid = record(anna, "Ann", [Done("glute_bridge", [True])])
    fault = anna.session_detail(sid).sets[0].reps[0].faults[0].id
    anna.close()
    old = _connect(location)
    with old.transaction():  # the two tables as schema 8 had them, the recorded rows kept
        for table, step in (("verdicts", 0), ("notes", 1)):
            old.execute(f"DROP TABLE {table}")
            [create] = [s for s in statements(MIGRATIONS[step], old.ddl_words) if f"CREATE TABLE {table} " in s]
            old.execute(create)
        old.set_schema_version(8)
        old.execute("INSERT INTO verdicts(fault_id, agree, created) VALUES (?, 0, '2026-11-30T10:15:00+00:00')",
                    (fault,))
        old.execute("INSERT INTO notes(session_id, text, created) VALUES (?, 'old note', "
                    "'2026-11-30T10:15:00+00:00')", (sid,))
    old.close()
    ben = open_as(location, monkeypatch, "ben")
    assert ben.version == 9
    assert verdicts(ben, sid) == [(ReviewerVerdict("", False),)]
    assert notes_by(ben, sid) == [("", "old note")]
    ben.set_verdict(fault, agree=True)  # ben's verdict beside the earlier one, not over it
    [first] = ben.session_detail(sid).sets[0].reps[0].faults
    assert first.verdicts == (ReviewerVerdict("", False), ReviewerVerdict("ben", True))
    assert said(first) == "Agreed: ben · Disagreed: earlier review (disputed)"
    ben.close()


def _connect(location) -> Connection:
    if location.path is not None:
        return Connection(location.path)
    from formcheck.records.database.postgres import PostgresConnection

    return PostgresConnection(location)


def test_old_review_lines_without_a_reviewer_still_read(tmp_path):
    (tmp_path / REVIEW_FILE).write_text(
        '{"type": "verdict", "target": {"set": 1, "rep": 2, "attempt": false}, "code": "c", "agree": true, '
        '"created": "2026-11-30T10:15:00+00:00"}\n{"type": "note", "target": null, "text": "fine"}\n')
    lines = read_review(tmp_path, strict=True).items
    assert [line.reviewer for line in lines] == ["", ""] and lines[0].agree is True
    assert "reviewer" not in lines[0].as_json()  # written back (a bundle merge) as it was


LINE = {"type": "verdict", "target": {"set": 1, "rep": 1, "attempt": False}, "code": "c", "agree": False}


@pytest.mark.parametrize("hostile", ["x" * 201, "anna\nben", "\x1b[31mred", "tab\there", "", "   ", 5, ["anna"],
                                     {"name": "anna"}, True])
def test_a_hostile_reviewer_is_refused_by_the_reader(hostile, tmp_path):
    with pytest.raises(Refused, match=r"review.jsonl line 1: reviewer must be a name of 1 to 200 characters"):
        parse_review(LINE | {"reviewer": hostile}, "review.jsonl line 1")
    (tmp_path / REVIEW_FILE).write_text(json.dumps(LINE | {"reviewer": hostile}) + "\n")
    read = read_review(tmp_path)  # the folder's other lines still read; this one is listed
    assert read.items == [] and len(read.problems) == 1 and "reviewer must be a name" in read.problems[0]
    with pytest.raises(Refused):
        read_review(tmp_path, strict=True)  # a bundle's file: refused whole


def test_a_long_name_in_any_script_is_a_reviewer(tmp_path):
    line = parse_review(LINE | {"reviewer": "Zoë Ōtsuka-Nkemelu 李"}, "review.jsonl line 1")
    assert isinstance(line, Verdict) and line.reviewer == "Zoë Ōtsuka-Nkemelu 李"


def test_the_reviewer_is_the_setting_else_the_login(monkeypatch):
    monkeypatch.setenv(REVIEWER_ENV, "  anna  ")
    assert reviewer_name() == "anna"
    monkeypatch.delenv(REVIEWER_ENV)
    assert reviewer_name() == getpass.getuser()

    def no_login() -> str:
        raise OSError("no login name")

    monkeypatch.setattr(getpass, "getuser", no_login)
    assert reviewer_name() == UNKNOWN_REVIEWER
    monkeypatch.setattr(getpass, "getuser", lambda: "bad\nname")
    assert reviewer_name() == UNKNOWN_REVIEWER


def test_a_bad_reviewer_setting_is_one_sentence(monkeypatch, tmp_path):
    monkeypatch.setenv(REVIEWER_ENV, "anna\x07")
    with pytest.raises(StoreError, match=r"^FORMCHECK_REVIEWER must be a name of at most 200 characters on one line; "
                                         r"set it to the reviewer's name and start again\.$"):
        Store(tmp_path / "formcheck.db")


def test_reports_show_each_reviewers_verdict(judged):
    anna, _ben, sid, _faults = judged
    html = report_html(anna, [sid])
    assert '<b class="disputed">Agreed: anna · Disagreed: ben (disputed)</b>' in html
    assert '<b class="ok">Agreed: ben</b>' in html
    rows = [r for r in csv.DictReader(io.StringIO(report_csv(anna, [sid]), newline="")) if r["kind"] == "rep"]
    assert [(r["therapist_agrees"], r["verdicts"]) for r in rows] == [
        ("disputed", "Agreed: anna · Disagreed: ben (disputed)"), ("yes", "Agreed: ben"), ("", "")]
    [detail] = json.loads(report_json(anna, [sid]))
    first, second, third = (r["faults"][0] for r in detail["sets"][0]["reps"])
    assert first["verdicts"] == [{"reviewer": "anna", "agree": 1}, {"reviewer": "ben", "agree": 0}]
    assert (first["agree"], first["disputed"]) == (None, True)
    assert (second["agree"], second["disputed"], third["agree"], third["verdicts"]) == (1, False, None, [])


def test_sqlite_unique_verdict_per_reviewer_is_enforced(tmp_path):
    """The schema itself holds one verdict per flag and reviewer (not only the Store's upsert)."""
    store = Store(tmp_path / "formcheck.db")
    sid = record(store, "Ann", [Done("glute_bridge", [True])])
    fault = store.session_detail(sid).sets[0].reps[0].faults[0].id
    store.close()
    db = sqlite3.connect(tmp_path / "formcheck.db")
    db.execute("INSERT INTO verdicts(fault_id, reviewer, agree, created) VALUES (?, 'anna', 1, 't')", (fault,))
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO verdicts(fault_id, reviewer, agree, created) VALUES (?, 'anna', 0, 't')", (fault,))
    db.execute("INSERT INTO verdicts(fault_id, reviewer, agree, created) VALUES (?, 'ben', 0, 't')", (fault,))
    db.close()


def test_a_pseudonymised_bundle_keeps_reviewers_apart_without_their_names(judged, tmp_path, monkeypatch):
    anna, _ben, sid, _faults = judged
    bundle = tmp_path / "p.formcheck"
    export_bundle(anna, "Ann", bundle, pseudonym="P-017")
    with zipfile.ZipFile(bundle) as zf:
        [member] = [n for n in zf.namelist() if n.endswith(REVIEW_FILE)]
        data = zf.read(member).decode()
    assert '"anna"' not in data and '"ben"' not in data  # (the notes themselves say "anna on …")
    assert [json.loads(line)["reviewer"] for line in data.splitlines()] == [
        "reviewer 1", "reviewer 2", "reviewer 2", "reviewer 1", "reviewer 2"]
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    research = Store(sqlite_location(tmp_path / "research" / "formcheck.db"))
    import_bundle(research, bundle)
    [imported] = [s.id for s in research.sessions()]
    assert verdicts(research, imported)[0] == (ReviewerVerdict("reviewer 1", True), ReviewerVerdict("reviewer 2", False))
    research.close()
