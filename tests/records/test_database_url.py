"""FORMCHECK_DATABASE_URL: which database, what a bad setting says, and that no message, repr or
connection error ever shows the password (against a real PostgreSQL server for the errors)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from formcheck.records.database.location import (
    DATABASE_URL_ENV,
    DatabaseSettingError,
    connection_problem,
    database_location,
    redact,
)
from tests.postgres_server import PASSWORD


def test_unset_or_empty_means_the_sqlite_file_in_the_data_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("FORMCHECK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    assert database_location().path == tmp_path / "data" / "formcheck.db"
    monkeypatch.setenv(DATABASE_URL_ENV, "  ")
    home = database_location()
    assert not home.is_postgres and home.path == tmp_path / "data" / "formcheck.db"


def test_a_postgresql_url_is_the_clinic_server(monkeypatch):
    monkeypatch.setenv(DATABASE_URL_ENV, "postgresql://therapist:pa%40ss@db.clinic.example:6543/formcheck")
    clinic = database_location()
    assert clinic.is_postgres and clinic.path is None
    assert clinic.url == "postgresql://therapist:pa%40ss@db.clinic.example:6543/formcheck"  # for the driver only
    assert clinic.shown == "postgresql://therapist:***@db.clinic.example:6543/formcheck"
    assert "pa%40ss" not in repr(clinic) and "pa%40ss" not in str(clinic) and "pa%40ss" not in f"{clinic}"


@pytest.mark.parametrize(("setting", "says"), [
    ("mysql://u:hunter22@db/x", "not a postgresql:// URL"),
    ("/home/clinic/formcheck.db", "not a postgresql:// URL"),
    ("postgresql://u:hunter22@/x", "names no server"),
    ("postgresql://u:hunter22@db.example", "names no database"),
    ("postgresql://u:hunter22@db.example:99999/x", "not a URL formcheck can read"),
])
def test_a_bad_setting_is_one_sentence_without_the_password(setting, says):
    with pytest.raises(DatabaseSettingError) as caught:
        database_location(setting)
    message = str(caught.value)
    assert says in message and DATABASE_URL_ENV in message
    assert "hunter22" not in message


@pytest.mark.parametrize("text", [
    "postgresql://u:hunter22@host/db",
    "postgres://u:hunter22@host:5432/db?sslmode=require",
    "could not use postgresql://clinic-user:hunter22@10.0.0.5/formcheck (timeout)",
    "host=db user=u password=hunter22 dbname=x",
    "host=db password='hunter22 with spaces' dbname=x",
    "postgresql://u@host/db?password=hunter22&sslmode=require",
    "postgresql://u:hunter22@host/db and again postgresql://v:hunter22@other/db",
])
def test_redact_takes_every_password_out(text):
    shown = redact(text)
    assert "hunter22" not in shown and "***" in shown
    assert redact("postgresql://u@host/db") == "postgresql://u@host/db"  # nothing to hide: unchanged


def _problem(url: str) -> tuple[str, bool]:
    with pytest.raises(psycopg.OperationalError) as caught:
        psycopg.connect(url, connect_timeout=5).close()
    problem = connection_problem(database_location(url), caught.value, while_connecting=True)
    assert PASSWORD not in problem.sentence and "wrong-pw" not in problem.sentence
    assert "\n" not in problem.sentence
    return problem.sentence, problem.server_away


def test_connection_errors_from_a_real_server_are_one_clear_sentence(postgres_url):
    said, away = _problem(postgres_url.replace(PASSWORD, "wrong-pw"))
    assert "refused the user name or password" in said and not away
    said, away = _problem(postgres_url.replace("formcheck:", "nobody:"))
    assert "refused the user name or password" in said and not away
    said, away = _problem(urlunsplit(urlsplit(postgres_url)._replace(path="/no_such_db")))
    assert "has no such database" in said and not away
    said, away = _problem(postgres_url.replace("port=5432", "port=5999"))  # nothing listens there: down
    assert "Can't reach the clinic's database server" in said and away
    assert "***@" in said  # it names the server, with the password hidden


def test_a_lost_connection_says_what_is_kept(postgres_url, postgres_server):
    db = psycopg.connect(postgres_url)
    postgres_server.superuser_sql(f"SELECT pg_terminate_backend({db.info.backend_pid})")
    for _ in range(2):  # the server's goodbye, then the closed connection: both are "lost"
        with pytest.raises(psycopg.OperationalError) as caught:
            db.execute("SELECT 1")
        problem = connection_problem(database_location(postgres_url), caught.value, while_connecting=False)
        assert problem.server_away and "was lost" in problem.sentence and PASSWORD not in problem.sentence


def test_no_password_in_the_sqlite_location(tmp_path: Path):
    assert database_location("").shown.endswith("formcheck.db")
