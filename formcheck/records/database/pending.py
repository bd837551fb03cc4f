"""Sessions whose folder holds more than the database: recorded while the clinic's server was
away (down when the session started, or the connection lost mid-session).

The recorder leaves ``PENDING_MARK`` in such a folder and goes on writing it; once the session has
ended, the next Store opened on that data folder indexes the folder again — the session's rows
replaced by what its events.jsonl, review.jsonl and session.json say, its id kept (or, for one
started while the server was down, a new session under the person of that name in its clinic) —
and removes the mark. ``formcheck repair`` rebuilds everything from the folders anyway.
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
from pathlib import Path

from formcheck.records.database import sessions
from formcheck.records.database.connection import Connection, StoreError
from formcheck.records.database.indexer import EventIndexer
from formcheck.records.database.location import clinic_setting
from formcheck.records.database.people import person_name, person_uid
from formcheck.records.database.postgres import ServerAway
from formcheck.records.database.processes import still_recording
from formcheck.records.database.sessions import SESSIONS_DIR
from formcheck.records.session_events import read_events
from formcheck.records.session_folder import SESSION_FILE, update_session_json, write_json_atomic
from formcheck.records.session_meta import SessionMeta, read_session_meta
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


def start_offline(data: Path, person: str, source: str, kind: str, programme: tuple[str, int] | None = None
                  ) -> Path:
    """A new session started while the clinic's server can't be reached: its own new folder, as
    any session's, marked pending and with no database id yet. This machine's clinic is kept in
    session.json, so its person is found by name within it when the folder is indexed."""
    meta, folder = sessions.new_session(data, person_name(person), source, kind, programme)
    try:
        mark_pending(folder)
        write_json_atomic(folder / SESSION_FILE, dataclasses.replace(meta, clinic=clinic_setting()).as_json())
    except OSError:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return folder


def index_pending(db: Connection, data: Path) -> int:
    """Index again every folder marked pending whose session has ended; how many. A folder still
    being recorded waits for its end; one that can't be read or indexed keeps its mark (and is
    listed by ``formcheck repair``)."""
    done = 0
    for mark in sorted((data / SESSIONS_DIR).glob(f"*/{PENDING_MARK}")):
        folder = mark.parent
        try:
            meta = read_session_meta(folder)
            if still_recording(meta):
                continue  # its recorder writes the folder alone until the session ends
            events, review = read_events(folder), read_review(folder)
        except Refused as exc:
            log.warning("session folder %s is waiting to be indexed but can't be read: %s", folder.name, exc)
            continue
        try:
            with db.transaction():
                index = EventIndexer(db, _session_row(db, meta, folder))
                for event in events.items:
                    index.apply(event)
                for line in review.items:
                    index.apply_review(line)
        except ServerAway:
            raise
        except StoreError as exc:  # its name is another clinic's person, or another machine indexed it just now
            log.warning("session folder %s is waiting to be indexed: %s", folder.name, exc)
            continue
        if meta.person_uid is None:  # started offline: the folder says who it is from now on, as others do
            try:
                update_session_json(folder, person_uid=person_uid(db, meta.person))
            except OSError as exc:
                log.warning("could not update %s: %s", folder, exc)
        mark.unlink()
        done += 1
    return done


def _session_row(db: Connection, meta: SessionMeta, folder: Path) -> int:
    """The session's id, its rows emptied to be indexed again; a new session when it has none."""
    row = db.one("SELECT id FROM sessions WHERE uid = ?", (meta.uid,))
    if row is None:
        return sessions.insert_session(db, meta, folder)
    sid = int(row["id"])
    for statement in _FORGET:
        db.execute(statement, (sid,))
    db.execute("UPDATE sessions SET ended = ?, status = ?, end_reason = ?, flag = NULL WHERE id = ?",
               (meta.ended, meta.status, meta.end_reason, sid))
    return sid
