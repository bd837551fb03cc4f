"""Where the session index lives, and the one place a database password is taken out of text.

At home it is the SQLite file in the data folder (``<data folder>/formcheck.db``). A clinic sets
FORMCHECK_DATABASE_URL=postgresql://user:password@host:5432/database to share one PostgreSQL
server between its machines; the session folders stay in the data folder either way (a clinic
points FORMCHECK_DATA_DIR at its shared folder). Every message, log line and report that names a
database goes through ``redact``, so a password never shows.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from formcheck.paths import data_dir
from formcheck.records.database.connection import StoreError

DATABASE_URL_ENV = "FORMCHECK_DATABASE_URL"
CLINIC_ENV = "FORMCHECK_CLINIC"  # on a shared server: whose people this machine lists and records
SQLITE_FILE = "formcheck.db"
POSTGRES_SCHEMES = ("postgresql", "postgres")
HIDDEN = "***"

# user:password@ in a URL of any scheme, and password=... in a libpq key/value string or a query.
_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:/?#@\s]*):[^@\s]*@", re.IGNORECASE)
_KEY_PASSWORD = re.compile(r"(?P<head>\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]*)", re.IGNORECASE)


class DatabaseSettingError(StoreError):
    """FORMCHECK_DATABASE_URL is not something formcheck can use; the message says what to set."""


def redact(text: str) -> str:
    """``text`` with every password in a database URL or connection string replaced by ***."""
    text = _URL_PASSWORD.sub(lambda m: f"{m['head']}:{HIDDEN}@", text)
    return _KEY_PASSWORD.sub(lambda m: f"{m['head']}{HIDDEN}", text)


@dataclass(frozen=True, slots=True)
class DatabaseLocation:
    """The SQLite file (``path``) or the PostgreSQL server (``url``, password included: pass it
    to the driver only; ``shown`` is what any message may say)."""

    path: Path | None = None
    url: str | None = None

    @property
    def is_postgres(self) -> bool:
        return self.url is not None

    @property
    def shown(self) -> str:
        return redact(self.url) if self.url is not None else str(self.path)

    def __repr__(self) -> str:  # never the password, even in a traceback's locals or a debug print
        return f"DatabaseLocation({self.shown!r})"

    __str__ = __repr__


def clinic_setting() -> str:
    """This machine's clinic on a shared server (FORMCHECK_CLINIC); "" for none (at home)."""
    return os.environ.get(CLINIC_ENV, "").strip()


def sqlite_location(path: Path | None = None) -> DatabaseLocation:
    return DatabaseLocation(path=path or data_dir() / SQLITE_FILE)


def database_location(setting: str | None = None) -> DatabaseLocation:
    """The database formcheck uses: ``setting`` (default: $FORMCHECK_DATABASE_URL) when it is a
    postgresql:// URL, the data folder's SQLite file when it is unset or empty."""
    value = (os.environ.get(DATABASE_URL_ENV, "") if setting is None else setting).strip()
    if not value:
        return sqlite_location()
    return DatabaseLocation(url=checked_postgres_url(value))


def checked_postgres_url(value: str) -> str:
    """``value`` when it is a PostgreSQL URL naming a server and a database; else the one
    sentence that says what is wrong (without the password)."""
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:
        raise DatabaseSettingError(f"{DATABASE_URL_ENV} ({redact(value)}) is not a URL formcheck can read ({exc}); "
                                   "write it as postgresql://user:password@host:5432/database.") from None
    if parts.scheme.lower() not in POSTGRES_SCHEMES:
        raise DatabaseSettingError(
            f"{DATABASE_URL_ENV} is set to {redact(value)!r}, which is not a postgresql:// URL; write it as "
            "postgresql://user:password@host:5432/database, or unset it to keep the database in the data folder.")
    query = parse_qs(parts.query)
    if not (parts.hostname or query.get("host")):
        raise DatabaseSettingError(f"{DATABASE_URL_ENV} ({redact(value)}) names no server; write it as "
                                   "postgresql://user:password@host:5432/database.")
    if not unquote(parts.path.lstrip("/")) and not query.get("dbname"):
        raise DatabaseSettingError(f"{DATABASE_URL_ENV} ({redact(value)}) names no database; add it after the server, "
                                   "as in postgresql://user:password@host:5432/database.")
    if port is not None and not 0 < port < 65536:
        raise DatabaseSettingError(f"{DATABASE_URL_ENV} ({redact(value)}) has port {port}, which no server can have.")
    return value


@dataclass(frozen=True, slots=True)
class ConnectionProblem:
    """What went wrong talking to the server, in one sentence. ``server_away``: it is down or
    the connection was lost (try again later; sessions keep recording to their folders), as
    opposed to a setting someone has to fix."""

    sentence: str
    server_away: bool


# libpq and the server say these in their own words (they carry no SQLSTATE before the login).
_AUTH = ("password authentication failed", "no password supplied", "pg_hba.conf rejects", "authentication failed")
_AWAY = ("connection refused", "no such file or directory", "could not translate host name", "timeout expired",
         "server closed the connection", "terminating connection", "connection is closed", "connection is lost",
         "consuming input failed", "could not receive data", "could not send data", "connection timed out",
         "network is unreachable", "no route to host", "failed to resolve host", "the database system is starting up",
         "the database system is shutting down", "ssl syscall error", "eof detected")
_AWAY_SQLSTATES = ("08", "57P")  # connection exceptions; the server shutting down or ending ours


def connection_problem(location: DatabaseLocation, exc: BaseException, while_connecting: bool) -> ConnectionProblem:
    """The one sentence for ``exc`` from the driver, naming the server without its password."""
    where = location.shown
    text = " ".join(str(exc).split()).lower()
    sqlstate = str(getattr(exc, "sqlstate", "") or "")
    unknown = "does not exist" in text
    if sqlstate.startswith("28") or any(s in text for s in _AUTH) or unknown and 'role "' in text:
        return ConnectionProblem(f"The clinic's database server ({where}) refused the user name or password; check "
                                 f"{DATABASE_URL_ENV} (nothing was changed).", server_away=False)
    if sqlstate == "3D000" or unknown and 'database "' in text:
        return ConnectionProblem(f"The clinic's database server ({where}) has no such database; create it (createdb) "
                                 f"or fix {DATABASE_URL_ENV} (nothing was changed).", server_away=False)
    if sqlstate.startswith(_AWAY_SQLSTATES) or any(s in text for s in _AWAY):
        if while_connecting:
            return ConnectionProblem(
                f"Can't reach the clinic's database server ({where}): it is down or the address is wrong; sessions "
                "are still recorded in their folders and are indexed when it is back.", server_away=True)
        return ConnectionProblem(
            f"The connection to the clinic's database server ({where}) was lost; what was recorded is kept in the "
            "session's folder and is indexed when the server is back.", server_away=True)
    return ConnectionProblem(f"The clinic's database server ({where}) could not be used ({redact(str(exc))[:200]}); "
                             "nothing was changed.", server_away=False)
