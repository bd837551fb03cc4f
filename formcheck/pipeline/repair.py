"""`formcheck repair`: rebuild the session database from the session folders.

The folders are the durable record (see ``session_folder``); the database is an index over them.
When the database is deleted, emptied or damaged, this builds a new one beside it from every
folder's session.json, events.jsonl and review.jsonl, then swaps it in. The old file is kept
(renamed), never deleted.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from formcheck.pipeline.programme_store import PROGRAMMES_DIR, index_folder
from formcheck.pipeline.session_folder import EVENTS_FILE, REVIEW_FILE, read_jsonl, read_session_json, read_track
from formcheck.pipeline.store import SESSIONS_DIR, EventIndexer, Store

log = logging.getLogger(__name__)


@dataclass
class RepairReport:
    database: Path
    sessions: int = 0
    sets: int = 0
    reps: int = 0
    holds: int = 0
    reviews: int = 0
    frames: int = 0
    programmes: int = 0
    kept_old: Path | None = None
    skipped: list[str] = field(default_factory=list)

    def text(self) -> str:
        lines = [f"rebuilt {self.database} from {self.sessions} session folder(s): {self.sets} sets, "
                 f"{self.reps} reps/attempts, {self.holds} holds, {self.reviews} verdicts/notes, "
                 f"{self.frames} tracked frames, {self.programmes} programme version(s)"]
        if self.kept_old:
            lines.append(f"the previous database is kept as {self.kept_old}")
        lines += [f"skipped {s}" for s in self.skipped]
        return "\n".join(lines)


def repair(database: Path) -> RepairReport:
    """Rebuild ``database`` from the session folders next to it."""
    data = database.parent
    report = RepairReport(database)
    legacy = _old_rows(database)
    building = database.with_name(database.name + ".rebuilding")
    for stale in _files(building):
        stale.unlink()
    store = Store(building)
    try:
        folders = sorted(p for p in (data / SESSIONS_DIR).glob("*") if p.is_dir())
        for folder in folders:
            meta = read_session_json(folder) or legacy.get(str(folder))
            if meta is None:
                report.skipped.append(f"{folder.name}: no session.json and no entry in the old database")
                continue
            meta = {**meta, "uid": meta.get("uid") or f"legacy-{folder.name}"}
            with store.transaction():
                sid = store.insert_session(meta, folder)
                index = EventIndexer(store, sid)
                for line in read_jsonl(folder / EVENTS_FILE):
                    index.apply(line)
            for line in read_jsonl(folder / REVIEW_FILE):
                report.reviews += index.apply_review(line)
            report.sessions += 1
            report.frames += len(read_track(folder))
        with store.transaction():
            report.programmes, problems = index_folder(store, data / PROGRAMMES_DIR)
        report.skipped += problems
        store.recover_orphans()
        counts = {t: store.db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("sets", "reps", "holds")}
        report.sets, report.reps, report.holds = counts["sets"], counts["reps"], counts["holds"]
    finally:
        store.close()
    if database.exists():
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        report.kept_old = database.with_name(f"{database.name}.replaced-{stamp}")
        for old in _files(database):
            old.rename(old.with_name(old.name.replace(database.name, report.kept_old.name)))
    building.rename(database)
    return report


def _files(db: Path) -> list[Path]:
    """The database file and its write-ahead log files, those that exist."""
    return [p for p in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")) if p.exists()]


def _old_rows(database: Path) -> dict[str, dict[str, Any]]:
    """Session rows of the old database, if it can still be read: the only record of who and when
    for folders written before sessions carried their own session.json."""
    if not database.exists():
        return {}
    try:
        db = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
        db.row_factory = sqlite3.Row
        rows = db.execute("SELECT s.*, p.name AS person FROM sessions s JOIN people p ON p.id = s.person_id").fetchall()
        db.close()
    except sqlite3.Error as exc:
        log.info("old database unreadable (%s); using the session folders only", exc)
        return {}
    return {r["folder"]: {k: r[k] for k in r.keys() if k in
                          ("person", "started", "ended", "source", "kind", "status", "end_reason", "uid", "pid", "host")}
            for r in rows}
