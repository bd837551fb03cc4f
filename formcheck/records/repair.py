"""`formcheck repair`: rebuild the session database from the session folders.

The folders are the durable record (see ``session_folder``); the database is an index over them.
When the database is deleted, emptied or damaged, this builds a new one beside it from every
folder's session.json, events.jsonl and review.jsonl, checks it, and only then swaps it in. The
old file is kept under a name no other repair can take, never deleted or overwritten.

It can't lose data: it takes the database's lock exclusively, so it refuses while anything has
the database open (the app, ``analyze --record``), and also while a session folder says it is
being recorded by a process that still runs; a failure while building (a full disk) leaves the
old database as it was; a folder it can't read is listed with the reason, its files untouched.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from formcheck.paths import data_dir
from formcheck.records.database.connection import ENGINE_ERRORS, StoreError, integrity_problem, read_only_rows, take_lock
from formcheck.records.database.indexer import EventIndexer
from formcheck.records.database.location import DatabaseLocation
from formcheck.records.database.processes import alive
from formcheck.records.database.schema import TABLES
from formcheck.records.database.sessions import SESSIONS_DIR
from formcheck.records.programme_store import PROGRAMMES_DIR, index_folder
from formcheck.records.session_events import read_events
from formcheck.records.session_folder import SESSION_FILE
from formcheck.records.session_meta import SessionMeta, parse_session_meta, read_session_meta
from formcheck.records.session_review import read_review
from formcheck.records.session_track import read_track
from formcheck.records.store import Store
from formcheck.untrusted import Refused

log = logging.getLogger(__name__)


class RepairError(StoreError):
    """Repair could not run, or stopped; the database is as it was. The message says what to do."""


@dataclass
class RepairReport:
    database: Path | str  # the SQLite file, or the clinic's server (its URL without the password)
    sessions: int = 0
    sets: int = 0
    reps: int = 0
    holds: int = 0
    reviews: int = 0
    frames: int = 0
    programmes: int = 0
    kept_old: Path | str | None = None  # the old file, or the schema on the server holding the old tables
    skipped: list[str] = field(default_factory=list)  # folders (or files) it could not read, and why
    lines: list[str] = field(default_factory=list)  # lines it could not read in folders it did

    def text(self) -> str:
        lines = [f"rebuilt {self.database} from {self.sessions} session folder(s): {self.sets} sets, "
                 f"{self.reps} reps/attempts, {self.holds} holds, {self.reviews} verdicts/notes, "
                 f"{self.frames} tracked frames, {self.programmes} programme version(s)"]
        if self.kept_old:
            lines.append(f"the previous database is kept as {self.kept_old}")
        if self.skipped:
            lines.append(f"could not read {len(self.skipped)} folder(s) or file(s); their files are kept as they "
                         "are — fix or move them and run `formcheck repair` again:")
        lines += [f"skipped {s}" for s in self.skipped]
        lines += [f"left out {s}" for s in self.lines]
        return "\n".join(lines)


def repair(where: Path | DatabaseLocation) -> RepairReport:
    """Rebuild the database (an SQLite file, or a clinic's server) from the session folders: those
    next to the file, or the data folder's (the clinic's shared one)."""
    if isinstance(where, DatabaseLocation):
        if where.path is None:
            return _repair_server(where)
        where = where.path
    database = where
    data = database.parent
    lock = take_lock(database, exclusive=True)
    try:
        _refuse_live_writers(data)
        legacy = _old_rows(database)
        building = database.with_name(database.name + ".rebuilding")
        _remove(building)
        try:
            report = _build(building, data, legacy)
        except (OSError, *ENGINE_ERRORS, StoreError) as exc:
            _remove(building)
            raise RepairError(f"Could not rebuild {database} ({exc}); the database is as it was. Free some disk "
                              "space (or fix what the message names) and run `formcheck repair` again.") from exc
        report.database = database
        if database.exists():
            report.kept_old = _unique_backup(database)
            for old in _files(database):
                old.rename(old.with_name(old.name.replace(database.name, report.kept_old.name, 1)))
        os.replace(building, database)
        return report
    finally:
        if lock is not None:
            os.close(lock)


def _build(building: Path, data: Path, legacy: dict[str, dict[str, Any]]) -> RepairReport:
    report = RepairReport(building)
    store = Store(building, lock=False)
    # A scratch file until it checks out: no fsync per session (a crash leaves an unchecked
    # .rebuilding file, removed by the next repair); it is synced once, whole, before the swap.
    store.db.without_sync()
    try:
        _fill(store, data, legacy, report)
        # One file, complete on disk, before anything is swapped: no write-ahead log left behind.
        store.db.as_one_file()
    finally:
        store.close()
    problem = integrity_problem(building)
    sessions = read_only_rows(building, "SELECT count(*) AS n FROM sessions")[0]["n"]
    if problem is not None or sessions != report.sessions:
        raise RepairError(f"the rebuilt database did not check out ({problem or 'ok'}, {sessions} of "
                          f"{report.sessions} sessions)")
    with building.open("rb+") as f:
        os.fsync(f.fileno())
    return report


def _fill(store: Store, data: Path, legacy: dict[str, dict[str, Any]], report: RepairReport) -> None:
    """Index every session folder and programme file of ``data`` into ``store``."""
    for folder in sorted(p for p in (data / SESSIONS_DIR).glob("*") if p.is_dir() and not p.name.startswith(".")):
        _index(store, folder, legacy, report)
    with store.transaction():
        report.programmes, problems = index_folder(store, data / PROGRAMMES_DIR)
    report.skipped += problems
    store.recover_orphans()
    counts = {t: store.db.all(f"SELECT count(*) AS n FROM {t}")[0]["n"] for t in ("sets", "reps", "holds")}
    report.sets, report.reps, report.holds = counts["sets"], counts["reps"], counts["holds"]


def _repair_server(location: DatabaseLocation) -> RepairReport:
    """Rebuild a clinic's database from the shared data folder, in one transaction: the old
    tables are first copied into a schema of their own (kept, never dropped), then emptied and
    filled from the folders; any failure rolls everything back. It takes the in-use lock
    exclusively, so it refuses while any machine of the clinic has the database open."""
    from formcheck.records.database.postgres import PostgresConnection

    data = data_dir()
    guard = PostgresConnection(location)
    try:
        if not guard.hold_in_use(exclusive=True):
            raise RepairError(f"Another formcheck (the app, `analyze --record` or another command, on this or another "
                              f"machine of the clinic) is using {location.shown}; close it and run `formcheck repair` "
                              "again. Nothing was changed.")
        _refuse_live_writers(data)
        report = RepairReport(location.shown)
        store = Store(location, lock=False)
        try:
            with store.transaction():
                report.kept_old = f"schema {_keep_server_copy(store)}"
                store.db.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY")
                _fill(store, data, {}, report)
        except (OSError, StoreError) as exc:
            raise RepairError(f"Could not rebuild {location.shown} ({exc}); the database is as it was. Fix what the "
                              "message names and run `formcheck repair` again.") from exc
        finally:
            store.close()
        return report
    finally:
        guard.close()


def _keep_server_copy(store: Store) -> str:
    """Copy every table into a new schema ``formcheck_replaced_<time>_<random>``; its name."""
    schema = f"formcheck_replaced_{datetime.now(UTC).strftime('%Y%m%d_%H%M%S')}_{secrets.token_hex(3)}"
    store.db.execute(f"CREATE SCHEMA {schema}")
    for table in TABLES:
        store.db.execute(f"CREATE TABLE {schema}.{table} AS TABLE {table}")
    return schema


def _index(store: Store, folder: Path, legacy: dict[str, dict[str, Any]], report: RepairReport) -> None:
    """One session folder into the new database; a folder it can't read is listed, not dropped."""
    try:
        meta = _meta(folder, legacy)
        events = read_events(folder)
        review = read_review(folder)
    except Refused as exc:
        report.skipped.append(f"{folder.name}: {exc}")
        return
    with store.transaction():
        sid = store.insert_session(meta, folder)
        index = EventIndexer(store.db, sid)
        for event in events.items:
            index.apply(event)
    for line in review.items:
        report.reviews += index.apply_review(line)
    report.lines += [f"{folder.name}: {p}" for p in events.problems + review.problems]
    report.sessions += 1
    report.frames += len(read_track(folder))


def _meta(folder: Path, legacy: dict[str, dict[str, Any]]) -> SessionMeta:
    """The folder's session.json, or (for a folder from before sessions carried one, or whose file
    is damaged) its row in the old database."""
    try:
        return read_session_meta(folder)
    except Refused:
        if folder.name not in legacy:
            if not (folder / SESSION_FILE).exists():
                raise Refused(f"no {SESSION_FILE} and no entry in the old database") from None
            raise
    row = legacy[folder.name]
    return parse_session_meta({**row, "uid": row.get("uid") or f"legacy-{folder.name}"}, f"{folder.name} (old database)")


def _refuse_live_writers(data: Path) -> None:
    """A folder whose session.json says a process on this computer is recording it, and that
    process still runs: its writer is alive (perhaps a formcheck from before the lock existed)."""
    host = socket.gethostname()
    for meta_file in (data / SESSIONS_DIR).glob(f"*/{SESSION_FILE}"):
        try:
            meta = read_session_meta(meta_file.parent)
        except Refused:
            continue
        if meta.status == "recording" and meta.host == host and meta.pid is not None and meta.pid != os.getpid() \
                and alive(meta.pid, meta.pid_start, meta.started):
            raise RepairError(f"Session {meta_file.parent.name} is being recorded right now (process {meta.pid}); "
                              "let it finish, then run `formcheck repair`. Nothing was changed.")


def _unique_backup(database: Path) -> Path:
    """``formcheck.db.replaced-<time>-<random>``: two repairs in the same second never share one."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    while True:
        name = database.with_name(f"{database.name}.replaced-{stamp}-{secrets.token_hex(3)}")
        if not any(p.exists() for p in (name, name.with_name(name.name + "-wal"), name.with_name(name.name + "-shm"))):
            return name


def _files(db: Path) -> list[Path]:
    """The database file and its write-ahead log files, those that exist."""
    return [p for p in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")) if p.exists()]


def _remove(db: Path) -> None:
    for stale in _files(db) + [db.with_name(db.name + "-journal")]:
        stale.unlink(missing_ok=True)


def _old_rows(database: Path) -> dict[str, dict[str, Any]]:
    """Session rows of the old database, by folder name, if it can still be read: the only record
    of who and when for folders written before sessions carried their own session.json."""
    if not database.exists():
        return {}
    try:
        rows = read_only_rows(database, "SELECT s.*, p.name AS person FROM sessions s JOIN people p ON p.id = s.person_id")
    except ENGINE_ERRORS as exc:
        log.info("old database unreadable (%s); using the session folders only", exc)
        return {}
    keys = ("person", "started", "ended", "source", "kind", "status", "end_reason", "uid", "pid", "host")
    return {Path(str(r["folder"])).name: {k: v for k, v in r.items() if k in keys} for r in rows}
