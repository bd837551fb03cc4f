"""Sessions in the session database: starting one (with its own new folder), how it ended, the
sessions a crash left 'recording', what was recorded in it (sets, reps, holds, faults, cues, pain
stops, ratings, flags) and reading it back."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import shutil
import socket
import uuid
from datetime import datetime
from pathlib import Path, PurePath

from formcheck import __version__
from formcheck.records.database.connection import ENGINE_ERRORS, Connection, StoreError, damaged, is_operational, not_saved
from formcheck.records.database.people import person_id, person_name, person_uid
from formcheck.records.database.processes import alive, process_start
from formcheck.records.database.rows import SessionRow, now_iso
from formcheck.records.session_events import HoldLine, RepLine
from formcheck.records.session_folder import SESSION_FILE, update_session_json, video_print, write_json_atomic
from formcheck.records.session_meta import SessionMeta

log = logging.getLogger(__name__)

SESSIONS_DIR = "sessions"
# Space set aside beside the database while recording. A full disk stops a recording part-way;
# giving this back leaves room to write down how the session ended instead of leaving it
# 'recording' with nothing able to say why.
RESERVE_FILE = ".space-reserve"
RESERVE_BYTES = 128 * 1024
# A session still 'recording' whose process is gone ended without closing: crash, kill -9, power.
ORPHAN_REASON = "the app stopped without closing the session (a crash, a kill or a power cut)"


# ---- the session ------------------------------------------------------------------------------
def start_session(db: Connection, data: Path, person: str, source: str, kind: str,
                  programme: tuple[str, int] | None = None) -> tuple[int, Path]:
    """A new session with its own new folder; ``programme`` (uid, version) it follows. When the
    database can't take it (read-only, locked, damaged, the server gone), nothing is left behind."""
    meta, folder = new_session(data, person_name(person), source, kind, programme)
    try:
        with db.transaction():
            person_id(db, meta.person)  # made when new
            meta = dataclasses.replace(meta, person_uid=person_uid(db, meta.person))
            sid = insert_session(db, meta, folder)
            write_json_atomic(folder / SESSION_FILE, meta.as_json())
    except (*ENGINE_ERRORS, OSError, StoreError) as exc:
        shutil.rmtree(folder, ignore_errors=True)  # no folder without its session: no phantom after repair
        if isinstance(exc, StoreError):
            raise
        raise not_saved(db.shown, exc) from exc
    return sid, folder


def new_session(data: Path, person: str, source: str, kind: str, programme: tuple[str, int] | None
                ) -> tuple[SessionMeta, Path]:
    """A new session's session.json (not yet written; no person uid) and its own new folder, never
    one that exists: numbers can repeat after the database was deleted, folder names can't."""
    started = now_iso()
    uid = uuid.uuid4().hex
    _keep_reserve(data)
    stamp = datetime.fromisoformat(started).strftime("%Y%m%d-%H%M%S")
    folder = data / SESSIONS_DIR / f"{stamp}-{uid[:8]}"
    folder.mkdir(parents=True, exist_ok=False)
    meta = SessionMeta(uid, person, started, source, kind, pid=os.getpid(), pid_start=process_start(os.getpid()),
                       host=socket.gethostname(), programme_uid=programme[0] if programme else None,
                       programme_version=programme[1] if programme else None, formcheck_version=__version__,
                       source_print=video_print(Path(source)) if kind == "file" else None)
    return meta, folder


def insert_session(db: Connection, meta: SessionMeta, folder: Path) -> int:
    return db.insert(
        "INSERT INTO sessions(person_id, started, ended, source, kind, folder, status, uid, pid, host, end_reason, "
        "programme_uid, pid_start) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (person_id(db, meta.person, meta.person_uid, meta.clinic), meta.started, meta.ended, meta.source, meta.kind,
         stored_folder(folder), meta.status, meta.uid, meta.pid, meta.host, meta.end_reason,
         meta.programme_uid, meta.pid_start),
    )


def _keep_reserve(data: Path) -> None:
    reserve = data / RESERVE_FILE
    if reserve.exists():
        return
    try:
        with reserve.open("wb") as f:
            os.posix_fallocate(f.fileno(), 0, RESERVE_BYTES)
    except (OSError, AttributeError):  # no room (or no fallocate): record without one
        reserve.unlink(missing_ok=True)


def release_reserve(data: Path) -> None:
    """Give back the space set aside, so the end of a session can still be written."""
    (data / RESERVE_FILE).unlink(missing_ok=True)


def end_session(db: Connection, data: Path, session_id: int, status: str = "complete",
                reason: str | None = None) -> None:
    """Record how the session ended, in the database and in the session's own folder."""
    ended = now_iso()
    folder = session(db, data, session_id).folder
    try:
        update_session_json(folder, ended=ended, status=status, end_reason=reason)
    except OSError as exc:  # the database still says how it ended
        log.warning("could not update %s: %s", folder, exc)
    with db.transaction():
        db.execute("UPDATE sessions SET ended = ?, status = ?, end_reason = ? WHERE id = ?",
                   (ended, status, reason, session_id))


def recover_orphans(db: Connection, data: Path) -> int:
    """Sessions left 'recording' by a process that no longer runs become 'interrupted'.

    Runs whenever the database is opened, so a crash or ``kill -9`` is noticed at the next
    start. Sessions of a live process (this one, or another app window) are left alone; a
    process is the same one only when its start time matches too (pids are reused).
    """
    host = socket.gethostname()
    orphans = [
        r["id"] for r in db.all("SELECT id, pid, pid_start, host, started FROM sessions WHERE status = 'recording'")
        if r["pid"] is None or (r["host"] == host and not alive(r["pid"], r["pid_start"], r["started"]))
    ]
    for sid in orphans:
        try:
            end_session(db, data, sid, "interrupted", ORPHAN_REASON)
        except ENGINE_ERRORS as exc:
            if not is_operational(exc):  # e.g. a full disk: reading still works
                raise
            log.warning("could not mark session %s interrupted: %s", sid, exc)
    return len(orphans)


def folder_of(db: Connection, data: Path, stored: str) -> Path:
    """A session folder from its database entry (``sessions/<name>``, relative to the data
    folder), always inside ``sessions/``."""
    name = PurePath(stored.replace("\\", "/")).name  # a name only: never a path out of sessions/
    if name in ("", ".", ".."):
        raise damaged(db.shown, f"a session's folder is {stored!r}")
    return data / SESSIONS_DIR / name


def stored_folder(folder: Path) -> str:
    return f"{SESSIONS_DIR}/{folder.name}"


# ---- what happened in it (the event indexer writes these) --------------------------------------
def add_set(db: Connection, session_id: int, exercise: str, number: int, prescribed: str, started_s: float,
            definition: str | None = None, profile: str | None = None) -> int:
    """A set; ``definition`` is the exercise as judged (``formcheck.exercises.snapshot`` JSON) and
    ``profile`` the calibration profile that set its thresholds."""
    return db.insert(
        "INSERT INTO sets(session_id, exercise, number, prescribed, started_s, definition, profile) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (session_id, exercise, number, prescribed, started_s, definition, profile),
    )


def end_set(db: Connection, set_id: int, ended_s: float, ended_by: str) -> None:
    db.execute("UPDATE sets SET ended_s = ?, ended_by = ? WHERE id = ?", (ended_s, ended_by, set_id))


def add_rep(db: Connection, set_id: int, rep: RepLine) -> int:
    rid = db.insert(
        "INSERT INTO reps(set_id, idx, side, start_s, end_s, attempt, metrics, not_judged) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (set_id, rep.index, rep.side, rep.start_s, rep.end_s, int(rep.attempt), json.dumps(rep.metrics),
         json.dumps([{"code": n.code, "reason": n.reason} for n in rep.not_judged])),
    )
    for f in rep.faults:
        db.execute("INSERT INTO faults(rep_id, code, message, t_s) VALUES (?, ?, ?, ?)", (rid, f.code, f.message, f.t_s))
    return rid


def add_hold(db: Connection, set_id: int, hold: HoldLine) -> int:
    hid = db.insert(
        "INSERT INTO holds(set_id, start_s, end_s, duration_s, side, not_judged) VALUES (?, ?, ?, ?, ?, ?)",
        (set_id, hold.start_s, hold.end_s, hold.duration_s, hold.side,
         json.dumps([{"code": n.code, "reason": n.reason} for n in hold.not_judged])),
    )
    for f in hold.faults:
        db.execute("INSERT INTO faults(hold_id, code, message, t_s) VALUES (?, ?, ?, ?)", (hid, f.code, f.message, f.t_s))
    return hid


def add_cue(db: Connection, session_id: int, t_s: float, kind: str, text: str) -> None:
    db.execute("INSERT INTO cues(session_id, t_s, kind, text) VALUES (?, ?, ?, ?)", (session_id, t_s, kind, text))


def add_pain_stop(db: Connection, session_id: int, set_id: int | None, t_s: float) -> None:
    db.execute("INSERT INTO pain_stops(session_id, set_id, t_s) VALUES (?, ?, ?)", (session_id, set_id, t_s))


def add_rating(db: Connection, session_id: int, kind: str, moment: str, exercise: str | None, score: int,
               t_s: float) -> None:
    """A pain or effort rating (0–10): ``moment`` before / during / after the session, or
    exercise (effort after one)."""
    db.execute("INSERT INTO ratings(session_id, kind, moment, exercise, score, t_s) VALUES (?, ?, ?, ?, ?, ?)",
               (session_id, kind, moment, exercise, score, t_s))


def flag_session(db: Connection, session_id: int, reason: str) -> None:
    """Flag the session for the therapist (reasons add up, one per line)."""
    db.execute("UPDATE sessions SET flag = CASE WHEN flag IS NULL THEN ? ELSE flag || ? || ? END WHERE id = ?",
               (reason, "\n", reason, session_id))


# ---- reading ----------------------------------------------------------------------------------
def session(db: Connection, data: Path, session_id: int) -> SessionRow:
    row = db.one("SELECT s.*, p.name AS person FROM sessions s JOIN people p ON p.id = s.person_id WHERE s.id = ?",
                 (session_id,))
    if row is None:
        raise StoreError(f"There is no session {session_id}; `formcheck sessions` lists them.")
    return SessionRow(row["id"], row["person"], row["started"], row["ended"], row["source"], row["kind"],
                      folder_of(db, data, row["folder"]), row["status"], row["end_reason"], row["uid"] or "")


def sessions(db: Connection, data: Path, person: str | None = None) -> list[SessionRow]:
    """The sessions (of ``person``), oldest first; on a clinic's machine only its clinic's people's."""
    where, args = [], []
    if person is not None:
        where.append("p.name = ?")
        args.append(person)
    if db.clinic:
        where.append("p.clinic = ?")
        args.append(db.clinic)
    query = "SELECT s.id FROM sessions s JOIN people p ON p.id = s.person_id"
    if where:
        query += " WHERE " + " AND ".join(where)
    return [session(db, data, r["id"]) for r in db.all(query + " ORDER BY s.started, s.id", args)]


def exercises_recorded(db: Connection) -> list[str]:
    """The ids of every exercise that has a recorded set, sorted (the review's filter)."""
    return [r["exercise"] for r in db.all("SELECT DISTINCT exercise FROM sets ORDER BY exercise")]
