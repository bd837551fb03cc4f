"""The session database: SQLite (WAL, transactions) with a versioned schema and migrations.

One database per data folder (``data_dir()/formcheck.db``) indexes people, sessions, sets, reps
(and attempts), holds, faults, cues, pain stops and the therapist's verdicts and notes. Bulky data
(the landmark track, the video) lives in the session's own folder next to it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from formcheck.paths import data_dir

SCHEMA_VERSION = 2

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


class Store:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or data_dir() / "formcheck.db"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            self.db.row_factory = sqlite3.Row
            # WAL: a crash mid-write leaves the last committed state; readers don't block the writer.
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self.migrate()
        except (OSError, sqlite3.OperationalError) as exc:
            raise StoreError(
                f"Can't use the data folder {self.path.parent} ({exc}); check it exists, is writable "
                "and the disk isn't full, or set FORMCHECK_DATA_DIR to another folder."
            ) from exc

    # ---- schema ------------------------------------------------------------------------------
    @property
    def version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self, target: int = SCHEMA_VERSION) -> None:
        """Bring the schema up to ``target``, one transaction per step."""
        while self.version < target:
            step = self.version
            with self.transaction():
                for statement in _statements(MIGRATIONS[step]):
                    self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version={step + 1}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def close(self) -> None:
        self.db.close()

    # ---- writing -----------------------------------------------------------------------------
    def person_id(self, name: str) -> int:
        row = self.db.execute("SELECT id FROM people WHERE name = ?", (name,)).fetchone()
        if row:
            return int(row["id"])
        return int(self.db.execute("INSERT INTO people(name, created) VALUES (?, ?)", (name, now_iso())).lastrowid)

    def start_session(self, person: str, source: str, kind: str) -> tuple[int, Path]:
        person = person_name(person)
        with self.transaction():
            pid = self.person_id(person)
            cur = self.db.execute(
                "INSERT INTO sessions(person_id, started, source, kind, folder) VALUES (?, ?, ?, ?, '')",
                (pid, now_iso(), source, kind),
            )
            sid = int(cur.lastrowid)
            folder = self.path.parent / "sessions" / f"{sid:06d}"
            self.db.execute("UPDATE sessions SET folder = ? WHERE id = ?", (str(folder), sid))
        folder.mkdir(parents=True, exist_ok=True)
        return sid, folder

    def end_session(self, session_id: int, status: str = "complete") -> None:
        with self.transaction():
            self.db.execute("UPDATE sessions SET ended = ?, status = ? WHERE id = ?", (now_iso(), status, session_id))

    def mark_interrupted(self) -> int:
        """Sessions left 'recording' by a crash become 'interrupted' (their data is kept)."""
        with self.transaction():
            return self.db.execute("UPDATE sessions SET status = 'interrupted' WHERE status = 'recording'").rowcount

    def add_set(self, session_id: int, exercise: str, number: int, prescribed: str, started_s: float) -> int:
        return int(self.db.execute(
            "INSERT INTO sets(session_id, exercise, number, prescribed, started_s) VALUES (?, ?, ?, ?, ?)",
            (session_id, exercise, number, prescribed, started_s),
        ).lastrowid)

    def end_set(self, set_id: int, ended_s: float, ended_by: str) -> None:
        self.db.execute("UPDATE sets SET ended_s = ?, ended_by = ? WHERE id = ?", (ended_s, ended_by, set_id))

    def add_rep(self, set_id: int, rep: dict[str, Any], attempt: bool = False) -> int:
        rid = int(self.db.execute(
            "INSERT INTO reps(set_id, idx, side, start_s, end_s, attempt, metrics) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (set_id, rep["index"], rep["side"], rep["start_s"], rep["end_s"], int(attempt), json.dumps(rep["metrics"])),
        ).lastrowid)
        for f in rep["faults"]:
            self.db.execute("INSERT INTO faults(rep_id, code, message, t_s) VALUES (?, ?, ?, ?)",
                            (rid, f["code"], f["message"], f["t_s"]))
        return rid

    def add_hold(self, set_id: int, hold: dict[str, Any]) -> int:
        hid = int(self.db.execute(
            "INSERT INTO holds(set_id, start_s, end_s, duration_s, side) VALUES (?, ?, ?, ?, ?)",
            (set_id, hold["start_s"], hold["end_s"], hold["duration_s"], hold.get("side")),
        ).lastrowid)
        for f in hold["faults"]:
            self.db.execute("INSERT INTO faults(hold_id, code, message, t_s) VALUES (?, ?, ?, ?)",
                            (hid, f["code"], f["message"], f["t_s"]))
        return hid

    def add_cue(self, session_id: int, t_s: float, kind: str, text: str) -> None:
        self.db.execute("INSERT INTO cues(session_id, t_s, kind, text) VALUES (?, ?, ?, ?)", (session_id, t_s, kind, text))

    def add_pain_stop(self, session_id: int, set_id: int | None, t_s: float) -> None:
        self.db.execute("INSERT INTO pain_stops(session_id, set_id, t_s) VALUES (?, ?, ?)", (session_id, set_id, t_s))

    def set_verdict(self, fault_id: int, agree: bool) -> None:
        with self.transaction():
            self.db.execute(
                "INSERT INTO verdicts(fault_id, agree, created) VALUES (?, ?, ?) "
                "ON CONFLICT(fault_id) DO UPDATE SET agree = excluded.agree, created = excluded.created",
                (fault_id, int(agree), now_iso()),
            )

    def add_note(self, session_id: int, text: str, rep_id: int | None = None) -> int:
        with self.transaction():
            return int(self.db.execute(
                "INSERT INTO notes(session_id, rep_id, text, created) VALUES (?, ?, ?, ?)",
                (session_id, rep_id, text, now_iso()),
            ).lastrowid)

    # ---- reading -----------------------------------------------------------------------------
    def session(self, session_id: int) -> SessionRow:
        row = self.db.execute(
            "SELECT s.*, p.name AS person FROM sessions s JOIN people p ON p.id = s.person_id WHERE s.id = ?",
            (session_id,),
        ).fetchone()
        if row is None:
            raise StoreError(f"There is no session {session_id}; `formcheck sessions` lists them.")
        return SessionRow(row["id"], row["person"], row["started"], row["ended"], row["source"], row["kind"],
                          Path(row["folder"]), row["status"])

    def sessions(self, person: str | None = None) -> list[SessionRow]:
        query = "SELECT s.id FROM sessions s JOIN people p ON p.id = s.person_id"
        args: tuple[Any, ...] = ()
        if person is not None:
            query += " WHERE p.name = ?"
            args = (person,)
        return [self.session(r["id"]) for r in self.db.execute(query + " ORDER BY s.started, s.id", args)]

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
                             "metrics": json.loads(r["metrics"]), "faults": faults, "notes": notes})
            holds = []
            for h in self.db.execute("SELECT * FROM holds WHERE set_id = ? ORDER BY id", (st["id"],)):
                faults = [dict(f) for f in self.db.execute(
                    "SELECT f.id, f.code, f.message, f.t_s, v.agree FROM faults f "
                    "LEFT JOIN verdicts v ON v.fault_id = f.id WHERE f.hold_id = ? ORDER BY f.id", (h["id"],))]
                holds.append({"id": h["id"], "start_s": h["start_s"], "end_s": h["end_s"],
                              "duration_s": h["duration_s"], "side": h["side"], "faults": faults})
            sets.append({"id": st["id"], "exercise": st["exercise"], "number": st["number"],
                         "prescribed": st["prescribed"], "started_s": st["started_s"], "ended_s": st["ended_s"],
                         "ended_by": st["ended_by"], "reps": reps, "holds": holds})
        pain = [dict(p) for p in self.db.execute("SELECT set_id, t_s FROM pain_stops WHERE session_id = ?", (session_id,))]
        notes = [n["text"] for n in self.db.execute(
            "SELECT text FROM notes WHERE session_id = ? AND rep_id IS NULL ORDER BY id", (session_id,))]
        cues = [dict(c) for c in self.db.execute("SELECT t_s, kind, text FROM cues WHERE session_id = ? ORDER BY t_s", (session_id,))]
        return {"id": s.id, "person": s.person, "started": s.started, "ended": s.ended, "source": s.source,
                "kind": s.kind, "status": s.status, "folder": str(s.folder), "sets": sets,
                "pain_stops": pain, "notes": notes, "cues": cues}


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]
