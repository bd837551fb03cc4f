"""The store tests run on both engines: the data folder's SQLite file (home) and a database of
its own on the real PostgreSQL test server (a clinic), with the same data folder for the sessions."""

from __future__ import annotations

import pytest

from formcheck.records.database.location import DATABASE_URL_ENV, DatabaseLocation, database_location, sqlite_location
from formcheck.records.store import Store

ENGINES = ("sqlite", "postgresql")


@pytest.fixture(params=ENGINES)
def location(request, tmp_path, monkeypatch) -> DatabaseLocation:
    """Where the test's database is; FORMCHECK_DATA_DIR (and, for PostgreSQL, FORMCHECK_DATABASE_URL)
    set to match, so ``Store()`` and the commands open the same one."""
    data = tmp_path / "data"
    monkeypatch.setenv("FORMCHECK_DATA_DIR", str(data))
    if request.param == "sqlite":
        monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
        return sqlite_location(data / "formcheck.db")
    url = request.getfixturevalue("postgres_url")
    monkeypatch.setenv(DATABASE_URL_ENV, url)
    return database_location(url)


@pytest.fixture
def store(location):
    s = Store(location)
    yield s
    s.close()
