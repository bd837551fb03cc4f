"""Sessions whose folder holds more than the database: recorded on while the clinic's server was
away (down, or the connection lost mid-session).

The recorder leaves ``PENDING_MARK`` in such a folder and goes on writing it; the next Store
opened on that data folder indexes the folder again — the session's rows replaced by what its
events.jsonl, review.jsonl and session.json say, its id kept — and removes the mark.
``formcheck repair`` rebuilds everything from the folders anyway.
"""

from __future__ import annotations

import logging
from pathlib import Path

from formcheck.records.database import sessions
from formcheck.records.database.connection import Connection
from formcheck.records.database.indexer import EventIndexer
from formcheck.records.database.sessions import SESSIONS_DIR
from formcheck.records.session_events import read_events
from formcheck.records.session_meta import read_session_meta
from formcheck.records.session_review import read_review
from formcheck.untrusted import Refused

log = logging.getLogger(__name__)

PENDING_MARK = ".index-pending"
# A session's rows, children first (the foreign keys point up this list).
_FORGET = (
    "DELETE FROM verdicts WHERE fault_id IN (SELECT f.id FROM faults f JOIN reps r ON r.id = f.rep_id "
    "JOIN sets s ON s.id = r.set_id WHERE s.session_id = ?)",
    "DELETE FROM verdicts WHERE fault_id IN (SELECT f.id FROM faults f JOIN holds h ON h.id = f.hold_id "
    "JOIN sets s ON s.id = h.set_id WHERE s.session_id = ?)",
    "DELETE FROM notes WHERE session_id = ?",
    "DELETE FROM faults WHERE rep_id IN (SELECT r.id FROM reps r JOIN sets s ON s.id = r.set_id WHERE s.session_id = ?)",
    "DELETE FROM faults WHERE hold_id IN (SELECT h.id FROM holds h JOIN sets s ON s.id = h.set_id "
    "WHERE s.session_id = ?)",
    "DELETE FROM reps WHERE set_id IN (SELECT id FROM sets WHERE session_id = ?)",
    "DELETE FROM holds WHERE set_id IN (SELECT id FROM sets WHERE session_id = ?)",
    "DELETE FROM pain_stops WHERE session_id = ?",
    "DELETE FROM sets WHERE session_id = ?",
    "DELETE FROM cues WHERE session_id = ?",
    "DELETE FROM ratings WHERE session_id = ?",
    "DELETE FROM posture_minutes WHERE session_id = ?",
    "DELETE FROM posture_reminders WHERE session_id = ?",
)


def mark_pending(folder: Path) -> None:
    """Say in the folder that the database is missing some of it."""
    (folder / PENDING_MARK).touch()


def index_pending(db: Connection, data: Path) -> int:
    """Index again every folder marked pending; how many. A folder that can't be read keeps its
    mark (and is listed by ``formcheck repair``)."""
    done = 0
    for mark in sorted((data / SESSIONS_DIR).glob(f"*/{PENDING_MARK}")):
        folder = mark.parent
        try:
            meta = read_session_meta(folder)
            events, review = read_events(folder), read_review(folder)
        except Refused as exc:
            log.warning("session folder %s is waiting to be indexed but can't be read: %s", folder.name, exc)
            continue
        with db.transaction():
            row = db.one("SELECT id FROM sessions WHERE uid = ?", (meta.uid,))
            if row is None:
                sid = sessions.insert_session(db, meta, folder)
            else:
                sid = int(row["id"])
                for statement in _FORGET:
                    db.execute(statement, (sid,))
                db.execute("UPDATE sessions SET ended = ?, status = ?, end_reason = ?, flag = NULL WHERE id = ?",
                           (meta.ended, meta.status, meta.end_reason, sid))
            index = EventIndexer(db, sid)
            for event in events.items:
                index.apply(event)
            for line in review.items:
                index.apply_review(line)
        mark.unlink()
        done += 1
    return done
