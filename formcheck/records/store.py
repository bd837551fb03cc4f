"""The session database: SQLite (WAL, transactions) with a versioned schema and migrations.

One database per data folder (``data_dir()/formcheck.db``) indexes people, sessions, sets, reps
(and attempts), holds, faults, cues, pain stops, pain and effort ratings, the therapist's verdicts
and notes, and the versions of each person's home programme. Bulky data
(the landmark track, the video) lives in the session's own folder next to it.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePath
from typing import Any

from formcheck import __version__
from formcheck.exercises.profile import POPULATION
from formcheck.paths import data_dir
from formcheck.records.posture_records import POSTURE_LINE_TYPES
from formcheck.records.posture_records import index_line as index_posture_line
from formcheck.records.session_events import Cue, Event, Flag, HoldLine, PainStop, Rating, RepLine, SetEnd, SetStart
from formcheck.records.session_folder import REVIEW_FILE, append_jsonl, update_session_json, video_print, write_json_atomic
from formcheck.records.session_meta import SessionMeta
from formcheck.records.session_review import Note, Review, Target, Verdict

try:  # the lock that keeps `formcheck repair` from replacing a database in use (POSIX)
    import fcntl
except ImportError:  # Windows: repair still refuses while a session is being recorded
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

SCHEMA_VERSION = 7
SESSIONS_DIR = "sessions"
TABLES = ("people", "sessions", "sets", "reps", "holds", "faults", "cues", "pain_stops", "verdicts", "notes",
          "programmes", "ratings", "person_uids", "posture_minutes", "posture_reminders")
# Space set aside beside the database while recording. A full disk stops a recording part-way;
# giving this back leaves room to write down how the session ended instead of leaving it
# 'recording' with nothing able to say why.
RESERVE_FILE = ".space-reserve"
RESERVE_BYTES = 128 * 1024
# A session still 'recording' whose process is gone ended without closing: crash, kill -9, power.
ORPHAN_REASON = "the app stopped without closing the session (a crash, a kill or a power cut)"

# Each entry upgrades the schema from version i to i + 1. Never edit a released step: add one.
MIGRATIONS: tuple[str, ...] = (
    # 0 → 1
    """
    CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, created TEXT NOT NULL);
    CREATE TABLE sessions (
        id INTEGER PRIMARY KEY, person_id INTEGER NOT NULL REFERENCES people(id),
        started TEXT NOT NULL, ended TEXT, source TEXT NOT NULL, kind TEXT NOT NULL,
        folder TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'recording');
    CREATE TABLE sets (
        id INTEGER PRIMARY KEY, session_id INTEGER NOT NULL REFERENCES sessions(id),
        exercise TEXT NOT NULL, number INTEGER NOT NULL, prescribed TEXT NOT NULL,
        started_s REAL NOT NULL, ended_s REAL, ended_by TEXT);
    CREATE TABLE reps (
        id INTEGER PRIMARY KEY, set_id INTEGER NOT NULL REFERENCES sets(id), idx INTEGER NOT NULL,
        side TEXT, start_s REAL NOT NULL, end_s REAL NOT NULL, attempt INTEGER NOT NULL,
        metrics TEXT NOT NULL);
    CREATE TABLE holds (
        id INTEGER PRIMARY KEY, set_id INTEGER NOT NULL REFERENCES sets(id),
        start_s REAL NOT NULL, end_s REAL NOT NULL, duration_s REAL NOT NULL, side TEXT);
    CREATE TABLE faults (
        id INTEGER PRIMARY KEY, rep_id INTEGER REFERENCES reps(id), hold_id INTEGER REFERENCES holds(id),
        code TEXT NOT NULL, message TEXT NOT NULL, t_s REAL NOT NULL);
    CREATE TABLE cues (
        id INTEGER PRIMARY KEY, session_id INTEGER NOT NULL REFERENCES sessions(id),
        t_s REAL NOT NULL, kind TEXT NOT NULL, text TEXT NOT NULL);
    CREATE TABLE pain_stops (
        id INTEGER PRIMARY KEY, session_id INTEGER NOT NULL REFERENCES sessions(id),
        set_id INTEGER REFERENCES sets(id), t_s REAL NOT NULL);
    CREATE TABLE verdicts (
        id INTEGER PRIMARY KEY, fault_id INTEGER NOT NULL UNIQUE REFERENCES faults(id),
        agree INTEGER NOT NULL, created TEXT NOT NULL);
    """,
    # 1 → 2: free-text therapist notes on a rep or a whole session (verdicts alone were too terse).
    """
    CREATE TABLE notes (
        id INTEGER PRIMARY KEY, session_id INTEGER NOT NULL REFERENCES sessions(id),
        rep_id INTEGER REFERENCES reps(id), text TEXT NOT NULL, created TEXT NOT NULL);
    CREATE INDEX reps_by_set ON reps(set_id);
    CREATE INDEX faults_by_rep ON faults(rep_id);
    """,
    # 2 → 3: session identity (uid, for repair and sharing), the recording process (pid, host) so
    # a session left 'recording' by a crash can be recognised, why a session ended early, and the
    # exercise definition (thresholds) each set was judged with, and the rules a rep or hold could
    # not be judged on (and why).
    """
    ALTER TABLE sessions ADD COLUMN uid TEXT;
    ALTER TABLE sessions ADD COLUMN pid INTEGER;
    ALTER TABLE sessions ADD COLUMN host TEXT;
    ALTER TABLE sessions ADD COLUMN end_reason TEXT;
    ALTER TABLE sets ADD COLUMN definition TEXT;
    ALTER TABLE reps ADD COLUMN not_judged TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE holds ADD COLUMN not_judged TEXT NOT NULL DEFAULT '[]';
    UPDATE sessions SET uid = 'legacy-' || id;
    CREATE UNIQUE INDEX sessions_by_uid ON sessions(uid);
    """,
    # 3 → 4: home programmes (every version kept; the file in programmes/ is the durable copy), the
    # programme version a session followed, pain and effort ratings, and why a session was flagged
    # for the therapist (e.g. pain rose).
    """
    CREATE TABLE programmes (
        id INTEGER PRIMARY KEY, person_id INTEGER NOT NULL REFERENCES people(id),
        version INTEGER NOT NULL, uid TEXT NOT NULL UNIQUE, created TEXT NOT NULL, body TEXT NOT NULL,
        UNIQUE(person_id, version));
    ALTER TABLE sessions ADD COLUMN programme_uid TEXT;
    ALTER TABLE sessions ADD COLUMN flag TEXT;
    CREATE TABLE ratings (
        id INTEGER PRIMARY KEY, session_id INTEGER NOT NULL REFERENCES sessions(id),
        kind TEXT NOT NULL, moment TEXT NOT NULL, exercise TEXT, score INTEGER NOT NULL, t_s REAL NOT NULL);
    CREATE INDEX ratings_by_session ON ratings(session_id);
    """,
    # 4 → 5: the calibration profile each set was judged with ("population", or "Eve v3"); NULL for
    # sets recorded before profiles existed (they were judged with the population thresholds).
    """
    ALTER TABLE sets ADD COLUMN profile TEXT;
    """,
    # 5 → 6: who a person is across computers (a uid that travels in bundles, and the uids of the
    # same person made elsewhere that someone confirmed), when the recording process started (a
    # pid alone can be reused), programme versions from a bundle waiting for the therapist to
    # confirm them, and session folders relative to the data folder (copies and moves keep working).
    """
    ALTER TABLE people ADD COLUMN uid TEXT;
    UPDATE people SET uid = lower(hex(randomblob(16)));
    CREATE UNIQUE INDEX people_by_uid ON people(uid);
    CREATE TABLE person_uids (uid TEXT PRIMARY KEY, person_id INTEGER NOT NULL REFERENCES people(id));
    ALTER TABLE sessions ADD COLUMN pid_start INTEGER;
    ALTER TABLE programmes ADD COLUMN pending INTEGER NOT NULL DEFAULT 0;
    UPDATE sessions SET folder = 'sessions/' || substr(folder, length(rtrim(folder, replace(folder, '/', ''))) + 1);
    """,
    # 6 → 7: posture sessions (issue 19): each minute watched (seconds upright / slouched / away; the
    # detail has every state and the measures' medians) and each reminder with the response to it
    # (outcome corrected / not_corrected / paused; corrected 1 / 0, NULL while waiting or paused).
    """
    CREATE TABLE posture_minutes (
        id INTEGER PRIMARY KEY, session_id INTEGER NOT NULL REFERENCES sessions(id), minute INTEGER NOT NULL,
        upright_s REAL NOT NULL, slouched_s REAL NOT NULL, away_s REAL NOT NULL, detail TEXT NOT NULL);
    CREATE INDEX posture_minutes_by_session ON posture_minutes(session_id);
    CREATE TABLE posture_reminders (
        id INTEGER PRIMARY KEY, session_id INTEGER NOT NULL REFERENCES sessions(id), t_s REAL NOT NULL,
        kind TEXT NOT NULL, text TEXT NOT NULL, lasted_s REAL NOT NULL, corrected INTEGER, after_s REAL,
        outcome TEXT);
    """,
)


class StoreError(RuntimeError):
    """The data folder or database can't be used; the message says what to do."""


def person_name(name: str) -> str:
    """The name a session is saved under: trimmed, and never blank (a blank name can't be told
    apart in lists or asked for in a report)."""
    name = name.strip()
    if not name:
        raise StoreError("a session is saved under a person's name, and this one is empty; give a name")
    return name


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class SessionRow:
    id: int
    person: str
    started: str
    ended: str | None
    source: str
    kind: str
    folder: Path
    status: str
    end_reason: str | None = None
    uid: str = ""


class Store:
    """The database of one data folder. While a Store is open it holds a shared lock on
    ``<database>.lock``, so ``formcheck repair`` (which needs it exclusively) never replaces a
    database someone is using; ``lock=False`` for the database repair builds."""

    def __init__(self, path: Path | None = None, lock: bool = True) -> None:
        self.path = path or data_dir() / "formcheck.db"
        self.data = self.path.parent
        self._lock: int | None = None
        db: sqlite3.Connection | None = None
        try:
            self.data.mkdir(parents=True, exist_ok=True)
            if lock:
                self._lock = take_lock(self.path, exclusive=False)
            db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            db.row_factory = sqlite3.Row
            self.db: sqlite3.Connection = db
            # WAL: a crash mid-write leaves the last committed state; readers don't block the writer.
            _retry_locked(lambda: self.db.execute("PRAGMA journal_mode=WAL"))
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self.migrate()
            self._check_tables()
            # Damage in the middle of the file would otherwise surface later, in whichever query
            # reads that page (a report, the app's Today screen); found here it is one sentence.
            # About 10 ms per 5 MB.
            problem = self.db.execute("PRAGMA quick_check(1)").fetchone()[0]
            if problem != "ok":
                raise damaged(self.path, problem)
            self.recover_orphans()
        except (OSError, sqlite3.DatabaseError, StoreError) as exc:
            if db is not None:
                db.close()
            self._unlock()
            if isinstance(exc, StoreError):
                raise
            if isinstance(exc, sqlite3.DatabaseError) and _damaged(exc):
                raise damaged(self.path, exc) from exc
            raise StoreError(
                f"Can't use the data folder {self.data} ({exc}); check it exists, is writable "
                "and the disk isn't full, or set FORMCHECK_DATA_DIR to another folder."
            ) from exc

    # ---- schema ------------------------------------------------------------------------------
    @property
    def version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self, target: int = SCHEMA_VERSION) -> None:
        """Bring the schema up to ``target``, one transaction per step. The version is read inside
        each step's transaction, so two first starts at once never both create the tables."""
        if self.version > SCHEMA_VERSION:
            raise StoreError(
                f"The session database {self.path} was written by a newer formcheck (schema {self.version}; this "
                f"one knows up to {SCHEMA_VERSION}); update formcheck to use it. Nothing in it was changed.")
        while self.version < target:
            with self.transaction():
                step = self.version
                if step >= target:
                    break
                for statement in _statements(MIGRATIONS[step]):
                    self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version={step + 1}")

    def _check_tables(self) -> None:
        have = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        missing = [t for t in TABLES if t not in have]
        if missing:
            raise damaged(self.path, f"it has no {', '.join(missing)} table")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        if self.db.in_transaction:  # part of a larger one (a bundle import): that one commits or rolls back
            yield self.db
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def close(self) -> None:
        self.db.close()
        self._unlock()

    def _unlock(self) -> None:
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    def folder_of(self, stored: str) -> Path:
        """A session folder from its database entry (``sessions/<name>``, relative to the data
        folder), always inside ``sessions/``."""
        name = PurePath(stored.replace("\\", "/")).name  # a name only: never a path out of sessions/
        if name in ("", ".", ".."):
            raise damaged(self.path, f"a session's folder is {stored!r}")
        return self.data / SESSIONS_DIR / name

    def stored_folder(self, folder: Path) -> str:
        return f"{SESSIONS_DIR}/{folder.name}"

    # ---- writing -----------------------------------------------------------------------------
    def person_id(self, name: str, uid: str | None = None) -> int:
        """The person of that name (made, with ``uid`` or a new one, when there is none)."""
        row = self.db.execute("SELECT id FROM people WHERE name = ?", (name,)).fetchone()
        if row:
            return int(row["id"])
        if uid is not None and self.person_by_uid(uid) is not None:  # that uid is someone here already
            uid = None
        return int(self.db.execute("INSERT INTO people(name, created, uid) VALUES (?, ?, ?)",
                                   (name, now_iso(), uid or uuid.uuid4().hex)).lastrowid)

    def person_uid(self, name: str) -> str | None:
        row = self.db.execute("SELECT uid FROM people WHERE name = ?", (name,)).fetchone()
        return row["uid"] if row else None

    def person_by_uid(self, uid: str) -> str | None:
        """The name of the person with this uid (their own, or one confirmed to be theirs)."""
        row = self.db.execute("SELECT name FROM people WHERE uid = ? UNION ALL SELECT p.name FROM person_uids a "
                              "JOIN people p ON p.id = a.person_id WHERE a.uid = ?", (uid, uid)).fetchone()
        return row["name"] if row else None

    def person_aliases(self, name: str) -> list[str]:
        """The other uids known to be this person (made on other computers)."""
        return [r[0] for r in self.db.execute("SELECT a.uid FROM person_uids a JOIN people p ON p.id = a.person_id "
                                              "WHERE p.name = ? ORDER BY a.uid", (name,))]

    def same_person(self, name: str, uid: str) -> None:
        """Someone confirmed that ``uid`` (made on another computer) is ``name`` here."""
        pid = self.person_id(name)
        if self.db.execute("SELECT 1 FROM people WHERE uid = ?", (uid,)).fetchone() is None:
            self.db.execute("INSERT OR IGNORE INTO person_uids(uid, person_id) VALUES (?, ?)", (uid, pid))

    def start_session(self, person: str, source: str, kind: str, programme: tuple[str, int] | None = None
                      ) -> tuple[int, Path]:
        """A new session with its own new folder (never one that exists: numbers can repeat after
        the database was deleted, folder names can't); ``programme`` (uid, version) it follows.
        When the database can't take it (read-only, locked, damaged), nothing is left behind."""
        person = person_name(person)
        started = now_iso()
        uid = uuid.uuid4().hex
        self._keep_reserve()
        stamp = datetime.fromisoformat(started).strftime("%Y%m%d-%H%M%S")
        folder = self.data / SESSIONS_DIR / f"{stamp}-{uid[:8]}"
        folder.mkdir(parents=True, exist_ok=False)
        try:
            with self.transaction():
                person_uid = self.person_uid(person) or self.db.execute(
                    "SELECT uid FROM people WHERE id = ?", (self.person_id(person),)).fetchone()["uid"]
                meta = SessionMeta(uid, person, started, source, kind, person_uid=person_uid, pid=os.getpid(),
                                   pid_start=process_start(os.getpid()), host=socket.gethostname(),
                                   programme_uid=programme[0] if programme else None,
                                   programme_version=programme[1] if programme else None,
                                   formcheck_version=__version__,
                                   source_print=video_print(Path(source)) if kind == "file" else None)
                sid = self.insert_session(meta, folder)
                write_json_atomic(folder / "session.json", meta.as_json())
        except (sqlite3.Error, OSError) as exc:
            shutil.rmtree(folder, ignore_errors=True)  # no folder without its session: no phantom after repair
            if isinstance(exc, sqlite3.DatabaseError) and _damaged(exc):
                raise damaged(self.path, exc) from exc
            raise StoreError(f"Can't save a new session in {self.path} ({exc}); close other formcheck windows "
                             "and commands, check the disk isn't full or read-only, then try again.") from exc
        return sid, folder

    def insert_session(self, meta: SessionMeta, folder: Path) -> int:
        cur = self.db.execute(
            "INSERT INTO sessions(person_id, started, ended, source, kind, folder, status, uid, pid, host, end_reason, "
            "programme_uid, pid_start) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (self.person_id(meta.person, meta.person_uid), meta.started, meta.ended, meta.source, meta.kind,
             self.stored_folder(folder), meta.status, meta.uid, meta.pid, meta.host, meta.end_reason,
             meta.programme_uid, meta.pid_start),
        )
        return int(cur.lastrowid)

    def _keep_reserve(self) -> None:
        reserve = self.data / RESERVE_FILE
        if reserve.exists():
            return
        try:
            with reserve.open("wb") as f:
                os.posix_fallocate(f.fileno(), 0, RESERVE_BYTES)
        except (OSError, AttributeError):  # no room (or no fallocate): record without one
            reserve.unlink(missing_ok=True)

    def release_reserve(self) -> None:
        """Give back the space set aside, so the end of a session can still be written."""
        (self.data / RESERVE_FILE).unlink(missing_ok=True)

    def end_session(self, session_id: int, status: str = "complete", reason: str | None = None) -> None:
        """Record how the session ended, in the database and in the session's own folder."""
        ended = now_iso()
        folder = self.session(session_id).folder
        try:
            update_session_json(folder, ended=ended, status=status, end_reason=reason)
        except OSError as exc:  # the database still says how it ended
            log.warning("could not update %s: %s", folder, exc)
        with self.transaction():
            self.db.execute("UPDATE sessions SET ended = ?, status = ?, end_reason = ? WHERE id = ?",
                            (ended, status, reason, session_id))

    def recover_orphans(self) -> int:
        """Sessions left 'recording' by a process that no longer runs become 'interrupted'.

        Runs whenever the database is opened, so a crash or ``kill -9`` is noticed at the next
        start. Sessions of a live process (this one, or another app window) are left alone; a
        process is the same one only when its start time matches too (pids are reused).
        """
        host = socket.gethostname()
        orphans = [
            r["id"] for r in self.db.execute(
                "SELECT id, pid, pid_start, host, started FROM sessions WHERE status = 'recording'")
            if r["pid"] is None or (r["host"] == host and not alive(r["pid"], r["pid_start"], r["started"]))
        ]
        for sid in orphans:
            try:
                self.end_session(sid, "interrupted", ORPHAN_REASON)
            except sqlite3.OperationalError as exc:  # e.g. a full disk: reading still works
                log.warning("could not mark session %s interrupted: %s", sid, exc)
        return len(orphans)

    def add_set(self, session_id: int, exercise: str, number: int, prescribed: str, started_s: float,
                definition: str | None = None, profile: str | None = None) -> int:
        """A set; ``definition`` is the exercise as judged (``formcheck.exercises.snapshot`` JSON) and
        ``profile`` the calibration profile that set its thresholds."""
        return int(self.db.execute(
            "INSERT INTO sets(session_id, exercise, number, prescribed, started_s, definition, profile) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (session_id, exercise, number, prescribed, started_s, definition, profile),
        ).lastrowid)

    def end_set(self, set_id: int, ended_s: float, ended_by: str) -> None:
        self.db.execute("UPDATE sets SET ended_s = ?, ended_by = ? WHERE id = ?", (ended_s, ended_by, set_id))

    def add_rep(self, set_id: int, rep: RepLine) -> int:
        rid = int(self.db.execute(
            "INSERT INTO reps(set_id, idx, side, start_s, end_s, attempt, metrics, not_judged) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (set_id, rep.index, rep.side, rep.start_s, rep.end_s, int(rep.attempt), json.dumps(rep.metrics),
             json.dumps([{"code": n.code, "reason": n.reason} for n in rep.not_judged])),
        ).lastrowid)
        for f in rep.faults:
            self.db.execute("INSERT INTO faults(rep_id, code, message, t_s) VALUES (?, ?, ?, ?)",
                            (rid, f.code, f.message, f.t_s))
        return rid

    def add_hold(self, set_id: int, hold: HoldLine) -> int:
        hid = int(self.db.execute(
            "INSERT INTO holds(set_id, start_s, end_s, duration_s, side, not_judged) VALUES (?, ?, ?, ?, ?, ?)",
            (set_id, hold.start_s, hold.end_s, hold.duration_s, hold.side,
             json.dumps([{"code": n.code, "reason": n.reason} for n in hold.not_judged])),
        ).lastrowid)
        for f in hold.faults:
            self.db.execute("INSERT INTO faults(hold_id, code, message, t_s) VALUES (?, ?, ?, ?)",
                            (hid, f.code, f.message, f.t_s))
        return hid

    def add_cue(self, session_id: int, t_s: float, kind: str, text: str) -> None:
        self.db.execute("INSERT INTO cues(session_id, t_s, kind, text) VALUES (?, ?, ?, ?)", (session_id, t_s, kind, text))

    def add_pain_stop(self, session_id: int, set_id: int | None, t_s: float) -> None:
        self.db.execute("INSERT INTO pain_stops(session_id, set_id, t_s) VALUES (?, ?, ?)", (session_id, set_id, t_s))

    def add_rating(self, session_id: int, kind: str, moment: str, exercise: str | None, score: int, t_s: float) -> None:
        """A pain or effort rating (0–10): ``moment`` before / during / after the session, or
        exercise (effort after one)."""
        self.db.execute("INSERT INTO ratings(session_id, kind, moment, exercise, score, t_s) VALUES (?, ?, ?, ?, ?, ?)",
                        (session_id, kind, moment, exercise, score, t_s))

    def flag_session(self, session_id: int, reason: str) -> None:
        """Flag the session for the therapist (reasons add up, one per line)."""
        self.db.execute("UPDATE sessions SET flag = CASE WHEN flag IS NULL THEN ? ELSE flag || char(10) || ? END "
                        "WHERE id = ?", (reason, reason, session_id))

    def set_verdict(self, fault_id: int, agree: bool, created: str | None = None, keep_in_folder: bool = True) -> None:
        """The therapist agrees or disagrees with a flag (kept in the session folder too, so it
        survives a rebuilt database; ``keep_in_folder`` False when it comes from there)."""
        created = created or now_iso()
        with self.transaction():
            self.db.execute(
                "INSERT INTO verdicts(fault_id, agree, created) VALUES (?, ?, ?) "
                "ON CONFLICT(fault_id) DO UPDATE SET agree = excluded.agree, created = excluded.created",
                (fault_id, int(agree), created),
            )
        row = self.db.execute(
            "SELECT f.code, COALESCE(r.set_id, h.set_id) AS set_id, r.idx, r.attempt, h.id AS hold_id "
            "FROM faults f LEFT JOIN reps r ON r.id = f.rep_id LEFT JOIN holds h ON h.id = f.hold_id "
            "WHERE f.id = ?", (fault_id,)).fetchone()
        if keep_in_folder:
            self._append_review(row["set_id"], Verdict(self._target(row), row["code"], bool(agree), created))

    def add_note(self, session_id: int, text: str, rep_id: int | None = None, created: str | None = None,
                 keep_in_folder: bool = True) -> int:
        created = created or now_iso()
        with self.transaction():
            nid = int(self.db.execute(
                "INSERT INTO notes(session_id, rep_id, text, created) VALUES (?, ?, ?, ?)",
                (session_id, rep_id, text, created),
            ).lastrowid)
        target = None
        if rep_id is not None:
            row = self.db.execute("SELECT set_id, idx, attempt, NULL AS hold_id FROM reps WHERE id = ?",
                                  (rep_id,)).fetchone()
            target = self._target(row)
        if keep_in_folder:
            self._append_review(None, Note(target, text, created), session_id=session_id)
        return nid

    def _target(self, row: sqlite3.Row) -> Target:
        """Names a rep or hold by its place in the session (set number, index), not by a row id,
        so the review survives a rebuilt database."""
        number = self.db.execute("SELECT number FROM sets WHERE id = ?", (row["set_id"],)).fetchone()["number"]
        if row["hold_id"] is not None:
            holds = [r["id"] for r in self.db.execute("SELECT id FROM holds WHERE set_id = ? ORDER BY id",
                                                      (row["set_id"],))]
            return Target(number, hold=holds.index(row["hold_id"]) + 1)
        return Target(number, row["idx"], bool(row["attempt"]))

    def _append_review(self, set_id: int | None, item: Review, session_id: int | None = None) -> None:
        if session_id is None:
            session_id = self.db.execute("SELECT session_id FROM sets WHERE id = ?", (set_id,)).fetchone()[0]
        folder = self.session(session_id).folder
        try:
            append_jsonl(folder / REVIEW_FILE, item.as_json())
        except OSError as exc:  # the database has it; only a rebuild from the folder would miss it
            log.warning("could not write the review to %s: %s", folder, exc)

    # ---- reading -----------------------------------------------------------------------------
    def session(self, session_id: int) -> SessionRow:
        row = self.db.execute(
            "SELECT s.*, p.name AS person FROM sessions s JOIN people p ON p.id = s.person_id WHERE s.id = ?",
            (session_id,),
        ).fetchone()
        if row is None:
            raise StoreError(f"There is no session {session_id}; `formcheck sessions` lists them.")
        return SessionRow(row["id"], row["person"], row["started"], row["ended"], row["source"], row["kind"],
                          self.folder_of(row["folder"]), row["status"], row["end_reason"], row["uid"] or "")

    def sessions(self, person: str | None = None) -> list[SessionRow]:
        query = "SELECT s.id FROM sessions s JOIN people p ON p.id = s.person_id"
        args: tuple[Any, ...] = ()
        if person is not None:
            query += " WHERE p.name = ?"
            args = (person,)
        return [self.session(r["id"]) for r in self.db.execute(query + " ORDER BY s.started, s.id", args)]

    def exercises_recorded(self) -> list[str]:
        """The ids of every exercise that has a recorded set, sorted (the review's filter)."""
        return [r["exercise"] for r in self.db.execute("SELECT DISTINCT exercise FROM sets ORDER BY exercise")]

    def session_detail(self, session_id: int) -> dict[str, Any]:
        """Everything recorded about a session, as plain data (for reports and the review screen)."""
        s = self.session(session_id)
        sets = []
        for st in self.db.execute("SELECT * FROM sets WHERE session_id = ? ORDER BY id", (session_id,)):
            reps = []
            for r in self.db.execute("SELECT * FROM reps WHERE set_id = ? ORDER BY id", (st["id"],)):
                faults = [dict(f) | {"agree": f["agree"]} for f in self.db.execute(
                    "SELECT f.id, f.code, f.message, f.t_s, v.agree FROM faults f "
                    "LEFT JOIN verdicts v ON v.fault_id = f.id WHERE f.rep_id = ? ORDER BY f.id", (r["id"],))]
                notes = [n["text"] for n in self.db.execute("SELECT text FROM notes WHERE rep_id = ? ORDER BY id", (r["id"],))]
                reps.append({"id": r["id"], "index": r["idx"], "side": r["side"], "start_s": r["start_s"],
                             "end_s": r["end_s"], "attempt": bool(r["attempt"]),
                             "metrics": json.loads(r["metrics"]), "faults": faults, "notes": notes,
                             "not_judged": json.loads(r["not_judged"])})
            holds = []
            for h in self.db.execute("SELECT * FROM holds WHERE set_id = ? ORDER BY id", (st["id"],)):
                faults = [dict(f) for f in self.db.execute(
                    "SELECT f.id, f.code, f.message, f.t_s, v.agree FROM faults f "
                    "LEFT JOIN verdicts v ON v.fault_id = f.id WHERE f.hold_id = ? ORDER BY f.id", (h["id"],))]
                holds.append({"id": h["id"], "start_s": h["start_s"], "end_s": h["end_s"],
                              "duration_s": h["duration_s"], "side": h["side"], "faults": faults,
                              "not_judged": json.loads(h["not_judged"])})
            sets.append({"id": st["id"], "exercise": st["exercise"], "number": st["number"],
                         "prescribed": st["prescribed"], "started_s": st["started_s"], "ended_s": st["ended_s"],
                         "ended_by": st["ended_by"], "definition": st["definition"],
                         "profile": st["profile"] or POPULATION, "reps": reps, "holds": holds})
        stops = [dict(p) for p in self.db.execute("SELECT set_id, t_s FROM pain_stops WHERE session_id = ?", (session_id,))]
        notes = [n["text"] for n in self.db.execute(
            "SELECT text FROM notes WHERE session_id = ? AND rep_id IS NULL ORDER BY id", (session_id,))]
        cues = [dict(c) for c in self.db.execute("SELECT t_s, kind, text FROM cues WHERE session_id = ? ORDER BY t_s", (session_id,))]
        ratings = [dict(r) for r in self.db.execute(
            "SELECT kind, moment, exercise, score, t_s FROM ratings WHERE session_id = ? ORDER BY t_s, id", (session_id,))]
        extra = self.db.execute(
            "SELECT s.flag, s.programme_uid, p.version FROM sessions s LEFT JOIN programmes p ON p.uid = s.programme_uid "
            "WHERE s.id = ?", (session_id,)).fetchone()
        pain = {m: next((r["score"] for r in ratings if r["kind"] == "pain" and r["moment"] == m), None)
                for m in ("before", "after")}
        return {"id": s.id, "person": s.person, "started": s.started, "ended": s.ended, "source": s.source,
                "kind": s.kind, "status": s.status, "end_reason": s.end_reason, "folder": str(s.folder), "sets": sets,
                "pain_stops": stops, "notes": notes, "cues": cues, "uid": s.uid, "ratings": ratings,
                "pain_before": pain["before"], "pain_after": pain["after"], "flag": extra["flag"],
                "programme_uid": extra["programme_uid"], "programme_version": extra["version"]}


class EventIndexer:
    """Indexes a session's events (the checked lines of its events.jsonl) in the database, in order.

    The recorder, ``formcheck repair`` and bundle import all go through here with the typed
    records of ``session_folder``, so a rebuilt or imported database says what the live one said.
    """

    def __init__(self, store: Store, session_id: int) -> None:
        self.store = store
        self.session_id = session_id
        self.set_id: int | None = None

    def apply(self, event: Event | None) -> None:
        s = self.store
        if isinstance(event, SetStart):
            self.set_id = s.add_set(self.session_id, event.exercise, event.number, event.prescribed, event.t_s,
                                    event.definition, event.profile)
        elif isinstance(event, Cue):
            s.add_cue(self.session_id, event.t_s, event.kind, event.text)
        elif isinstance(event, PainStop):
            s.add_pain_stop(self.session_id, self.set_id, event.t_s)
        elif isinstance(event, Rating):
            s.add_rating(self.session_id, event.kind, event.moment, event.exercise, event.score, event.t_s)
        elif isinstance(event, Flag):
            s.flag_session(self.session_id, event.reason)
        elif isinstance(event, POSTURE_LINE_TYPES):  # posture sessions (issue 19)
            index_posture_line(s, self.session_id, event)
        elif self.set_id is None:
            return  # reps, holds and set ends belong to a set
        elif isinstance(event, RepLine):
            s.add_rep(self.set_id, event)
        elif isinstance(event, HoldLine):
            s.add_hold(self.set_id, event)
        elif isinstance(event, SetEnd):
            s.end_set(self.set_id, event.t_s, event.ended_by)
            self.set_id = None

    def apply_review(self, line: Review) -> bool:
        """A verdict or note from the session's review.jsonl; False when its rep isn't there."""
        target = line.target
        rep_id = fault_id = None
        if target is not None:
            set_row = self.store.db.execute("SELECT id FROM sets WHERE session_id = ? AND number = ? ORDER BY id",
                                            (self.session_id, target.set)).fetchone()
            if set_row is None:
                return False
            code = line.code if isinstance(line, Verdict) else None
            if target.hold is not None:
                holds = [r["id"] for r in self.store.db.execute("SELECT id FROM holds WHERE set_id = ? ORDER BY id",
                                                                (set_row["id"],))]
                hold_id = holds[target.hold - 1] if 0 < target.hold <= len(holds) else None
                row = self.store.db.execute("SELECT id FROM faults WHERE hold_id = ? AND code = ?",
                                            (hold_id, code)).fetchone()
            else:
                rep = self.store.db.execute("SELECT id FROM reps WHERE set_id = ? AND idx = ? AND attempt = ?",
                                            (set_row["id"], target.rep, int(target.attempt))).fetchone()
                rep_id = rep["id"] if rep else None
                row = self.store.db.execute("SELECT id FROM faults WHERE rep_id = ? AND code = ?",
                                            (rep_id, code)).fetchone()
            fault_id = row["id"] if row else None
        if isinstance(line, Verdict) and fault_id is not None:
            self.store.set_verdict(fault_id, line.agree, line.created, keep_in_folder=False)
            return True
        if isinstance(line, Note) and (target is None or rep_id is not None):
            self.store.add_note(self.session_id, line.text, rep_id, line.created, keep_in_folder=False)
            return True
        return False


def damaged(path: Path, why: object) -> StoreError:
    """The one sentence for a database that exists but can't be used as it is."""
    why = " ".join(str(why).replace("*** in database main ***", "").split())[:200]
    return StoreError(
        f"The session database {path} is damaged ({why}); run `formcheck repair` to rebuild it from the "
        "session folders (nothing recorded is lost; the damaged file is kept).")


def database_problem(path: Path, exc: sqlite3.Error) -> StoreError:
    """The one sentence for an SQLite error met while using the database: damaged, or busy."""
    if isinstance(exc, sqlite3.DatabaseError) and _damaged(exc):
        return damaged(path, exc)
    return StoreError(f"The session database {path} could not be used just now ({exc}); close other formcheck "
                      "windows and commands and try again (nothing was changed).")


def take_lock(database: Path, exclusive: bool) -> int | None:
    """A lock on ``<database>.lock``: shared for every open Store, exclusive for repair. Returns
    the open file (closing it releases the lock); ``StoreError`` when an exclusive lock is held
    elsewhere. None where there is no flock (Windows)."""
    if fcntl is None:
        return None
    fd = os.open(database.with_name(database.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
    except BlockingIOError as exc:
        os.close(fd)
        if exclusive:
            raise StoreError(f"Another formcheck (the app, `analyze --record` or another command) is using {database}; "
                             "close it and run `formcheck repair` again. Nothing was changed.") from exc
        raise StoreError(f"`formcheck repair` is rebuilding {database}; wait for it to finish, then try again.") from exc
    return fd


def _retry_locked(action: Any, within_s: float = 10.0) -> Any:
    """Run ``action`` again while another first start holds the new database (it needs the file
    to itself for a moment to switch it to WAL); gives up after ``within_s``."""
    deadline = time.monotonic() + within_s
    while True:
        try:
            return action()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _damaged(exc: sqlite3.DatabaseError) -> bool:
    """A file that exists but isn't a usable database (as opposed to a folder we can't write)."""
    text = str(exc).lower()
    return not isinstance(exc, sqlite3.OperationalError) or "malformed" in text or "not a database" in text


def alive(pid: int, started: int | None = None, session_started: str | None = None) -> bool:
    """Whether the process that recorded a session still runs: ``pid`` exists and, since pids are
    reused, it is the same process — it started at ``started`` (clock ticks after boot, recorded
    with the session) or, for sessions recorded before that, not after the session began."""
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return False
    except PermissionError:  # someone else's process: it exists
        pass
    now_started = process_start(pid)
    if now_started is None:
        return True  # no /proc: the pid is all there is to go on
    if started is not None:
        return now_started == started
    if session_started is not None:
        try:
            began = datetime.fromisoformat(session_started).timestamp()
        except ValueError:
            return True
        return _boot_time() + now_started / os.sysconf("SC_CLK_TCK") <= began + 2
    return True


def process_start(pid: int) -> int | None:
    """When process ``pid`` started (clock ticks after boot, from /proc); None where unknown."""
    try:
        stat_line = Path(f"/proc/{pid}/stat").read_text()
        return int(stat_line.rsplit(")", 1)[1].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def _boot_time() -> float:
    for line in Path("/proc/stat").read_text().splitlines():
        if line.startswith("btime "):
            return float(line.split()[1])
    return 0.0


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]
