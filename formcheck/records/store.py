"""The session database: SQLite (WAL, transactions) with a versioned schema and migrations, or a
clinic's PostgreSQL server (FORMCHECK_DATABASE_URL) with the same schema and migrations.

One database per data folder (``data_dir()/formcheck.db``, or the clinic's server for its shared
data folder) indexes people, sessions, sets, reps
(and attempts), holds, faults, cues, pain stops, pain and effort ratings, the therapists' verdicts
and notes (each reviewer's own), and the versions of each person's home programme. Bulky data
(the landmark track, the video) lives in the session's own folder next to it.

``Store`` is the one class callers use; it composes the parts in ``formcheck.records.database``
(the connection, the schema, the queries by subject).
"""

from __future__ import annotations

import logging
import os
from contextlib import AbstractContextManager
from pathlib import Path

from formcheck.paths import data_dir
from formcheck.records.database import people, posture, reviews, sessions
from formcheck.records.database.connection import (
    ENGINE_ERRORS,
    Connection,
    StoreError,
    damaged,
    is_damaged,
    take_lock,
    unusable_data_folder,
)
from formcheck.records.database.location import DatabaseLocation, clinic_setting, database_location, sqlite_location
from formcheck.records.database.pending import index_pending
from formcheck.records.database.rows import PostureDetail, SessionDetail, SessionRow, now_iso
from formcheck.records.database.schema import check_tables, migrate
from formcheck.records.database.session_detail import session_detail
from formcheck.records.reviewer import reviewer_name
from formcheck.records.session_folder import REVIEW_FILE, append_jsonl
from formcheck.records.session_meta import SessionMeta
from formcheck.records.session_review import Review

log = logging.getLogger(__name__)


class Store:
    """The database of one data folder: ``where`` is the SQLite file (a path) or a database
    location; by default FORMCHECK_DATABASE_URL's server, else ``<data folder>/formcheck.db``.
    While a Store is open it holds a shared lock (``<database>.lock``; on a server, an advisory
    lock), so ``formcheck repair`` (which needs it exclusively) never replaces a database someone
    is using; ``lock=False`` for the database repair builds. ``clinic`` (default
    FORMCHECK_CLINIC): whose people this machine lists and records. ``reviewer``
    (``records.reviewer``): whose verdicts and notes this machine gives."""

    def __init__(self, where: Path | DatabaseLocation | None = None, lock: bool = True,
                 clinic: str | None = None) -> None:
        if isinstance(where, DatabaseLocation):
            self.location = where
        else:
            self.location = sqlite_location(where) if where is not None else database_location()
        # SQLite: the folder of its file (a copied data folder keeps working); a server: this
        # machine's data folder (the clinic's shared one, FORMCHECK_DATA_DIR).
        self.data = self.location.path.parent if self.location.path is not None else data_dir()
        self.reviewer = reviewer_name()
        self._lock: int | None = None
        db: Connection | None = None
        try:
            self.data.mkdir(parents=True, exist_ok=True)
            if self.location.path is not None:
                if lock:
                    self._lock = take_lock(self.location.path, exclusive=False)
                db = Connection(self.location.path)
            else:
                from formcheck.records.database.postgres import PostgresConnection

                db = PostgresConnection(self.location)
                if lock and not db.hold_in_use(exclusive=False):
                    raise StoreError(f"`formcheck repair` is rebuilding {self.location.shown}; wait for it to finish, "
                                     "then try again.")
            db.clinic = clinic_setting() if clinic is None else clinic.strip()
            self.db = db
            migrate(db)
            check_tables(db)
            problem = db.problem()
            if problem is not None:
                raise damaged(self.shown, problem)
            index_pending(db, self.data)  # before the orphan check: their folders say how they ended
            self.recover_orphans()
        except (OSError, *ENGINE_ERRORS, StoreError) as exc:
            if db is not None:
                db.close()
            self._unlock()
            if isinstance(exc, StoreError):
                raise
            if is_damaged(exc):
                raise damaged(self.shown, exc) from exc
            raise unusable_data_folder(self.data, exc) from exc

    @property
    def path(self) -> Path:
        """The SQLite file (a Store on a clinic's server has none)."""
        if self.location.path is None:
            raise StoreError(f"The session database is on the clinic's server ({self.location.shown}), not in a file.")
        return self.location.path

    @property
    def shown(self) -> str:
        """The database as messages name it (a server's URL without its password)."""
        return self.location.shown

    @property
    def version(self) -> int:
        return self.db.schema_version()

    def transaction(self) -> AbstractContextManager[Connection]:
        return self.db.transaction()

    def close(self) -> None:
        self.db.close()
        self._unlock()

    def _unlock(self) -> None:
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    # ---- people ------------------------------------------------------------------------------
    def person_id(self, name: str, uid: str | None = None) -> int:
        return people.person_id(self.db, name, uid)

    def person_uid(self, name: str) -> str | None:
        return people.person_uid(self.db, name)

    def person_by_uid(self, uid: str) -> str | None:
        return people.person_by_uid(self.db, uid)

    def person_aliases(self, name: str) -> list[str]:
        return people.person_aliases(self.db, name)

    def same_person(self, name: str, uid: str) -> None:
        people.same_person(self.db, name, uid)

    def people(self) -> list[str]:
        return people.people(self.db)

    # ---- sessions ----------------------------------------------------------------------------
    def start_session(self, person: str, source: str, kind: str, programme: tuple[str, int] | None = None
                      ) -> tuple[int, Path]:
        return sessions.start_session(self.db, self.data, person, source, kind, programme)

    def insert_session(self, meta: SessionMeta, folder: Path) -> int:
        return sessions.insert_session(self.db, meta, folder)

    def end_session(self, session_id: int, status: str = "complete", reason: str | None = None) -> None:
        sessions.end_session(self.db, self.data, session_id, status, reason)

    def recover_orphans(self) -> int:
        return sessions.recover_orphans(self.db, self.data)

    def session(self, session_id: int) -> SessionRow:
        return sessions.session(self.db, self.data, session_id)

    def sessions(self, person: str | None = None) -> list[SessionRow]:
        return sessions.sessions(self.db, self.data, person)

    def exercises_recorded(self) -> list[str]:
        return sessions.exercises_recorded(self.db)

    def session_detail(self, session_id: int) -> SessionDetail:
        """Everything recorded about a session (reports, the review screen)."""
        return session_detail(self.db, self.data, session_id)

    def posture_detail(self, session_id: int) -> PostureDetail:
        """A session's posture minutes and reminders (none for exercise sessions)."""
        return posture.posture_detail(self.db, session_id)

    # ---- the therapists' review (kept in the session folder too, so it survives a rebuild) ----
    def set_verdict(self, fault_id: int, agree: bool) -> None:
        """This reviewer's verdict on a flag (replacing only their own earlier one)."""
        created = now_iso()
        reviews.set_verdict(self.db, fault_id, self.reviewer, agree, created)
        self._keep_review(*reviews.verdict_line(self.db, fault_id, self.reviewer, agree, created))

    def add_note(self, session_id: int, text: str, rep_id: int | None = None) -> int:
        created = now_iso()
        nid = reviews.add_note(self.db, session_id, text, rep_id, self.reviewer, created)
        self._keep_review(session_id, reviews.note_line(self.db, text, rep_id, self.reviewer, created))
        return nid

    def _keep_review(self, session_id: int, line: Review) -> None:
        folder = self.session(session_id).folder
        try:
            append_jsonl(folder / REVIEW_FILE, line.as_json())
        except OSError as exc:  # the database has it; only a rebuild from the folder would miss it
            log.warning("could not write the review to %s: %s", folder, exc)
