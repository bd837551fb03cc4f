"""A real PostgreSQL server for the tests of a clinic's shared store, started by the tests themselves.

``PostgresServer.start`` runs initdb into a temporary folder and starts the server on a socket in
that folder (no TCP port, so parallel test runs never collide); as root it runs them as the
``postgres`` system user, since PostgreSQL refuses to run as root. Each test gets a database of
its own (``new_database``), reached as a password-protected role, as a clinic's machines would.
FORMCHECK_TEST_POSTGRES_URL names an existing server instead (its role must be able to create
databases). Where neither works, the tests skip with the reason: never a fake server.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

EXISTING_SERVER = "FORMCHECK_TEST_POSTGRES_URL"
ROLE = "formcheck"
# The test role's password: in every URL the tests use, so they can check it never shows.
PASSWORD = "s3cret-Test-pw"
PORT = 5432  # only names the socket file in the server's own folder


class NoServer(Exception):
    """No PostgreSQL server could be had here; the message says why (the tests skip with it)."""


def find_bin_dir() -> Path:
    """The folder of initdb and pg_ctl: on PATH, else Debian's /usr/lib/postgresql/<version>/bin
    (the newest), else the usual places of other installs."""
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4]), reverse=True)
    candidates += ["/usr/local/pgsql/bin/initdb", "/opt/homebrew/bin/initdb", "/usr/local/bin/initdb"]
    for candidate in candidates:
        if os.access(candidate, os.X_OK):
            return Path(candidate).parent
    raise NoServer("PostgreSQL's initdb is not installed here (Debian: apt-get install postgresql; "
                   f"or set {EXISTING_SERVER} to a server the tests may create databases on)")


@dataclass
class PostgresServer:
    """A running server: ``admin_url`` reaches it as a role that may create databases."""

    admin_url: str
    folder: Path | None = None  # the server's own folder when the tests started it
    bin_dir: Path | None = None
    run_as: str | None = None
    _names: itertools.count = field(default_factory=itertools.count)
    made: list[str] = field(default_factory=list)  # databases made on an existing server, dropped at the end

    @classmethod
    def start(cls) -> PostgresServer:
        existing = os.environ.get(EXISTING_SERVER)
        if existing:
            return cls(existing)
        bin_dir = find_bin_dir()
        run_as = _unprivileged_user() if os.geteuid() == 0 else None
        # Not under pytest's tmp folder: as root that is 0700, and the server's user must get in.
        folder = Path(tempfile.mkdtemp(prefix="formcheck-pg-"))
        data = folder / "data"
        if run_as is not None:
            pw = pwd.getpwnam(run_as)
            os.chown(folder, pw.pw_uid, pw.pw_gid)
        server = cls(_url("postgres", None, "postgres", folder), folder, bin_dir, run_as)
        try:
            server._run("initdb", "-D", str(data), "-U", "postgres", "--auth-local=trust", "--auth-host=reject",
                        "-E", "UTF8", "--locale=C.UTF-8" if _has_c_utf8() else "--locale=C", "--no-sync")
            # The superuser over the socket without a password (only this folder's owner reaches
            # it); everyone else with one, as on a clinic's server.
            (data / "pg_hba.conf").write_text("local all postgres trust\nlocal all all scram-sha-256\n")
            # Test speed: nothing here must survive a power cut.
            server._run("pg_ctl", "-D", str(data), "-l", str(folder / "server.log"), "-w", "-t", "60", "start", "-o",
                        f"-k {folder} -c listen_addresses='' -p {PORT} -c fsync=off -c synchronous_commit=off "
                        "-c full_page_writes=off -c max_connections=60 -c shared_buffers=16MB")
        except NoServer:
            server.stop()
            raise
        try:
            server._admin(f"CREATE ROLE {ROLE} LOGIN CREATEDB PASSWORD '{PASSWORD}'")
        except Exception as exc:
            server.stop()
            raise NoServer(f"the test server started but would not take a role ({exc})") from exc
        server.admin_url = _url(ROLE, PASSWORD, "postgres", folder)
        return server

    def new_database(self) -> str:
        """A fresh empty database owned by the test role; its URL (with the password)."""
        name = f"formcheck_test_{os.getpid()}_{next(self._names)}"
        self._admin(f"CREATE DATABASE {name}")
        self.made.append(name)
        parts = urlsplit(self.admin_url)
        return urlunsplit(parts._replace(path=f"/{name}"))

    def superuser_sql(self, sql: str) -> None:
        """SQL only a superuser may run (ending another role's connection), on a server the tests
        started; an existing server's role runs it when it may."""
        url = _url("postgres", None, "postgres", self.folder) if self.folder else self.admin_url
        _execute(url, sql)

    def stop(self) -> None:
        if self.folder is None or self.bin_dir is None:  # an existing server: leave it as it was
            for name in self.made:
                self._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            return
        if (self.folder / "data" / "postmaster.pid").exists():
            try:
                self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", "immediate", "-w", "stop")
            except NoServer:
                pass
        shutil.rmtree(self.folder, ignore_errors=True)

    def _admin(self, sql: str) -> None:
        _execute(self.admin_url, sql)

    def _run(self, tool: str, *args: str) -> None:
        assert self.bin_dir is not None
        command = [str(self.bin_dir / tool), *args]
        if self.run_as is not None:
            command = ["runuser", "-u", self.run_as, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            log = self.folder / "server.log" if self.folder else None
            tail = log.read_text(errors="replace")[-600:] if log and log.exists() else ""
            raise NoServer(f"{tool} failed: {(done.stderr or done.stdout).strip()[-600:]} {tail}".strip())


def _url(user: str, password: str | None, database: str, socket_dir: Path | None) -> str:
    login = quote(user) + (f":{quote(password)}" if password else "")
    return f"postgresql://{login}@/{database}?host={quote(str(socket_dir))}&port={PORT}"


def _execute(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True, connect_timeout=10) as db:
        db.execute(sql)  # type: ignore[call-overload]  # test-made SQL, no parameters


def _unprivileged_user() -> str:
    """The system user to run the server as when the tests run as root: ``postgres`` (Debian's
    package makes it), else one made for this."""
    for name in ("postgres", "formcheck-pg"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    done = subprocess.run(["useradd", "--system", "--no-create-home", "formcheck-pg"], capture_output=True, text=True)
    if done.returncode != 0:
        raise NoServer(f"running as root and there is no user to run PostgreSQL as ({done.stderr.strip()})")
    return "formcheck-pg"


def _has_c_utf8() -> bool:
    done = subprocess.run(["locale", "-a"], capture_output=True, text=True)
    return any(line.lower() in ("c.utf8", "c.utf-8") for line in done.stdout.splitlines())
