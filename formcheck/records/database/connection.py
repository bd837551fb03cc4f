"""The connection to the session database: the one way SQL reaches it, and the one place that knows
the engine (SQLite, in WAL mode).

Queries elsewhere are plain SQL strings with ``?`` placeholders (a driver that takes another style
gets them turned into its own here, in ``execute``). What an engine spells its own way lives here:
its settings (PRAGMA), where it keeps the schema version, its integrity check, the id of a row just
inserted, the words of the schema (``DDL_WORDS``), the lock beside the file, and its errors in one
sentence each.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol, TypeVar

try:  # the lock that keeps `formcheck repair` from replacing a database in use (POSIX)
    import fcntl
except ImportError:  # Windows: repair still refuses while a session is being recorded
    fcntl = None  # type: ignore[assignment]

ENGINE_ERRORS = (sqlite3.Error,)  # what the engine raises (PostgreSQL's become StoreError in its connection)
# The schema's words that engines spell differently, as the migrations write them ({id}, ...);
# PostgreSQL's are in ``postgres.DDL_WORDS``.
DDL_WORDS = {"id": "INTEGER PRIMARY KEY", "real": "REAL", "random_uid": "lower(hex(randomblob(16)))"}


class Row(Protocol):
    """A row of a query: its columns by name or position (``sqlite3.Row``, ``postgres.Row``)."""

    def __getitem__(self, key: Any) -> Any: ...
    def keys(self) -> list[str]: ...


class Rows(Protocol):
    """What ``execute`` returns: the rows of a query."""

    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def __iter__(self) -> Iterator[Any]: ...

T = TypeVar("T")


class StoreError(RuntimeError):
    """The data folder or database can't be used; the message says what to do."""


class Connection:
    """An open session database. SQL goes through ``execute``/``one``/``all``/``insert``; writes
    that belong together go in ``transaction()``. ``clinic``: whose people this machine sees
    (FORMCHECK_CLINIC; empty at home: everyone)."""

    ddl_words = DDL_WORDS
    clinic = ""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = sqlite3.connect(path, timeout=10, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        try:
            # WAL: a crash mid-write leaves the last committed state; readers don't block the writer.
            _retry_locked(lambda: self._db.execute("PRAGMA journal_mode=WAL"))
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
        except BaseException:
            self._db.close()
            raise

    # ---- SQL ---------------------------------------------------------------------------------
    @property
    def shown(self) -> str:
        """The database as messages name it."""
        return str(self.path)

    def execute(self, sql: str, args: Sequence[object] = ()) -> Rows:
        return self._db.execute(sql, args)

    def one(self, sql: str, args: Sequence[object] = ()) -> Row | None:
        return self.execute(sql, args).fetchone()

    def all(self, sql: str, args: Sequence[object] = ()) -> list[Row]:
        return self.execute(sql, args).fetchall()

    def insert(self, sql: str, args: Sequence[object] = ()) -> int:
        """Run an INSERT of one row; the new row's id."""
        row_id = self._db.execute(sql, args).lastrowid
        assert row_id is not None  # an INSERT always sets it
        return row_id

    @property
    def in_transaction(self) -> bool:
        return self._db.in_transaction

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        if self._db.in_transaction:  # part of a larger one (a bundle import): that one commits or rolls back
            yield self
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def close(self) -> None:
        self._db.close()

    # ---- what the engine keeps its own way -----------------------------------------------------
    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def set_schema_version(self, version: int) -> None:
        self._db.execute(f"PRAGMA user_version={int(version)}")

    def table_names(self) -> set[str]:
        return {r[0] for r in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}

    def problem(self) -> str | None:
        """Damage anywhere in the file, in words (None: none found). Found here it is one sentence;
        otherwise it would surface later, in whichever query reads that page (a report, the app's
        Today screen). About 10 ms per 5 MB."""
        found = str(self._db.execute("PRAGMA quick_check(1)").fetchone()[0])
        return None if found == "ok" else found

    def without_sync(self) -> None:
        """No fsync per commit: for a scratch database that is checked and synced whole (repair)."""
        self._db.execute("PRAGMA synchronous=OFF")

    def as_one_file(self) -> None:
        """Leave no write-ahead log: the database is one complete file (before repair swaps it in)."""
        self._db.execute("PRAGMA journal_mode=DELETE")


def integrity_problem(path: Path) -> str | None:
    """A full check of the database file at ``path``, opened read-only (None: it checks out)."""
    check = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        found = str(check.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        check.close()
    return None if found == "ok" else found


def read_only_rows(path: Path, sql: str) -> list[dict[str, object]]:
    """The rows of one query of the database file at ``path``, opened read-only (a database that
    is about to be replaced)."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        db.row_factory = sqlite3.Row
        return [dict(r) for r in db.execute(sql)]
    finally:
        db.close()


def is_damaged(exc: Exception) -> bool:
    """An engine error that says the file isn't a usable database (as opposed to one that is busy,
    or a folder that can't be written)."""
    text = str(exc).lower()
    return isinstance(exc, sqlite3.DatabaseError) and (
        not isinstance(exc, sqlite3.OperationalError) or "malformed" in text or "not a database" in text)


def is_operational(exc: Exception) -> bool:
    """An engine error of the moment (busy, locked, a full disk), not of the data."""
    return isinstance(exc, sqlite3.OperationalError)


def damaged(path: Path | str, why: object) -> StoreError:
    """The one sentence for a database that exists but can't be used as it is."""
    why = " ".join(str(why).replace("*** in database main ***", "").split())[:200]
    return StoreError(
        f"The session database {path} is damaged ({why}); run `formcheck repair` to rebuild it from the "
        "session folders (nothing recorded is lost; the damaged file is kept).")


def database_problem(path: Path, exc: Exception) -> StoreError:
    """The one sentence for an engine error met while using the database: damaged, or busy."""
    if is_damaged(exc):
        return damaged(path, exc)
    return StoreError(f"The session database {path} could not be used just now ({exc}); close other formcheck "
                      "windows and commands and try again (nothing was changed).")


def unusable_data_folder(data: Path, exc: Exception) -> StoreError:
    """The one sentence for a data folder the database can't be opened in."""
    return StoreError(f"Can't use the data folder {data} ({exc}); check it exists, is writable "
                      "and the disk isn't full, or set FORMCHECK_DATA_DIR to another folder.")


def not_saved(path: Path | str, exc: Exception) -> StoreError:
    """The one sentence for a new session the database could not take."""
    if is_damaged(exc):
        return damaged(path, exc)
    return StoreError(f"Can't save a new session in {path} ({exc}); close other formcheck windows "
                      "and commands, check the disk isn't full or read-only, then try again.")


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


def _retry_locked(action: Callable[[], T], within_s: float = 10.0) -> T:
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
