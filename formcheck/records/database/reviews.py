"""The therapists' review in the session database: each reviewer's verdict (agree / disagree) on
each flag and free-text notes on a rep or a whole session, each with the reviewer who gave it. Each
is named by its place in the session (set number, rep or hold), so the session folder's
review.jsonl can index it again in a rebuilt database."""

from __future__ import annotations

from formcheck.records.database.connection import Connection, Row
from formcheck.records.session_review import Note, Target, Verdict


def set_verdict(db: Connection, fault_id: int, reviewer: str, agree: bool, created: str) -> None:
    """A reviewer agrees or disagrees with a flag: their second verdict replaces their first, and
    never another reviewer's."""
    with db.transaction():
        db.execute("INSERT INTO verdicts(fault_id, reviewer, agree, created) VALUES (?, ?, ?, ?) "
                   "ON CONFLICT(fault_id, reviewer) DO UPDATE SET agree = excluded.agree, created = excluded.created",
                   (fault_id, reviewer, int(agree), created))


def verdict_line(db: Connection, fault_id: int, reviewer: str, agree: bool, created: str) -> tuple[int, Verdict]:
    """The session a verdict is in, and the line that keeps it in that session's folder."""
    row = db.one("SELECT f.code, COALESCE(r.set_id, h.set_id) AS set_id, r.idx, r.attempt, h.id AS hold_id, "
                 "s.session_id FROM faults f LEFT JOIN reps r ON r.id = f.rep_id LEFT JOIN holds h ON h.id = f.hold_id "
                 "JOIN sets s ON s.id = COALESCE(r.set_id, h.set_id) WHERE f.id = ?", (fault_id,))
    assert row is not None, fault_id
    return row["session_id"], Verdict(_target(db, row), row["code"], bool(agree), created, reviewer)


def add_note(db: Connection, session_id: int, text: str, rep_id: int | None, reviewer: str, created: str) -> int:
    """A reviewer's note on a rep (``rep_id``) or the whole session."""
    with db.transaction():
        return db.insert("INSERT INTO notes(session_id, rep_id, text, created, reviewer) VALUES (?, ?, ?, ?, ?)",
                         (session_id, rep_id, text, created, reviewer))


def note_line(db: Connection, text: str, rep_id: int | None, reviewer: str, created: str) -> Note:
    """The line that keeps a note in its session's folder."""
    if rep_id is None:
        return Note(None, text, created, reviewer)
    row = db.one("SELECT set_id, idx, attempt, NULL AS hold_id FROM reps WHERE id = ?", (rep_id,))
    assert row is not None, rep_id
    return Note(_target(db, row), text, created, reviewer)


def _target(db: Connection, row: Row) -> Target:
    """Names a rep or hold by its place in the session (set number, index), not by a row id,
    so the review survives a rebuilt database."""
    set_row = db.one("SELECT number FROM sets WHERE id = ?", (row["set_id"],))
    assert set_row is not None, row["set_id"]
    number = set_row["number"]
    if row["hold_id"] is not None:
        return Target(number, hold=_hold_ids(db, row["set_id"]).index(row["hold_id"]) + 1)
    return Target(number, row["idx"], bool(row["attempt"]))


def find(db: Connection, session_id: int, target: Target, code: str | None) -> tuple[int | None, int | None] | None:
    """The rep and the fault (``code``; None: no fault) a review line names, as (rep id, fault id),
    either None where it isn't there; None when its set isn't there."""
    set_row = db.one("SELECT id FROM sets WHERE session_id = ? AND number = ? ORDER BY id", (session_id, target.set))
    if set_row is None:
        return None
    rep_id = None
    if target.hold is not None:
        holds = _hold_ids(db, set_row["id"])
        hold_id = holds[target.hold - 1] if 0 < target.hold <= len(holds) else None
        fault = db.one("SELECT id FROM faults WHERE hold_id = ? AND code = ?", (hold_id, code))
    else:
        rep = db.one("SELECT id FROM reps WHERE set_id = ? AND idx = ? AND attempt = ?",
                     (set_row["id"], target.rep, int(target.attempt)))
        rep_id = rep["id"] if rep else None
        fault = db.one("SELECT id FROM faults WHERE rep_id = ? AND code = ?", (rep_id, code))
    return rep_id, fault["id"] if fault else None


def _hold_ids(db: Connection, set_id: int) -> list[int]:
    return [r["id"] for r in db.all("SELECT id FROM holds WHERE set_id = ? ORDER BY id", (set_id,))]

