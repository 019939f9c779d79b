"""PostgreSQL through psycopg (3) or psycopg2."""

from __future__ import annotations

import re
import secrets
import time
from contextlib import contextmanager

from sqlalchemy import text

from ..sqlsplit import Statement
from .base import DialectAdapter, RunLock, lock_identity, lock_key, lock_timeout_error

#: A schema name that needs no quoting in ``search_path`` (and passes through libpq's options).
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_$]*$")


class PostgreSQLAdapter(DialectAdapter):
    """PostgreSQL runs DDL inside transactions, so a failed script leaves nothing.

    The run lock is a *transaction* advisory lock taken on a connection of its
    own whose transaction stays open for the whole run. An open transaction
    pins one server session even behind PgBouncer in transaction pooling mode,
    where a session advisory lock would silently stop protecting anything
    (https://www.pgbouncer.org/features.html). A killed process closes its
    socket; the server rolls the transaction back and the lock is gone.
    """

    name = "postgresql"
    display_name = "PostgreSQL"
    split_dialect = "postgresql"
    lint_rules = "postgresql"
    asynchronous_commits = True
    scratch = "server"
    connect_timeout_args = {"psycopg": "connect_timeout", "psycopg2": "connect_timeout",
                            "pg8000": "timeout"}

    def drop_database_sql(self, name: str) -> str:
        return f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"

    def scratch_database_settings_sql(self, name: str) -> list[str]:
        """Its commits need not wait for the disk (about 3 ms less each)."""
        return [f"ALTER DATABASE {name} SET synchronous_commit = off"]

    @classmethod
    def url_for_schema(cls, url, schema: str):
        """``search_path`` set when the session starts (libpq ``options``), not with ``SET``:
        the ``RESET ALL`` after each script returns to it, so no script can move the tracking
        table or the next script out of the tenant's schema."""
        from ..errors import ConfigError

        if not _SCHEMA_NAME.match(schema):
            raise ConfigError(
                f"The schema name {schema!r} is not a plain PostgreSQL identifier. Use lower-case "
                "letters, digits and underscores (starting with a letter or underscore).")
        before = url.query.get("options") or ""
        before = " ".join(before) if isinstance(before, tuple) else before
        options = f"{before} -csearch_path={schema}".strip()
        return url.update_query_dict({"options": options})

    def table_name_limit(self, dialect) -> tuple[int | None, str]:
        """Bytes: NAMEDATALEN - 1, 63 unless the server was built otherwise (read on connecting)."""
        return dialect.max_identifier_length, "bytes"

    def database_copier(self, connection, template: str):
        """``CREATE DATABASE ... TEMPLATE``: the server copies the files, whatever is in them."""

        def copy(admin, name: str) -> None:
            admin.exec_driver_sql(f"CREATE DATABASE {name} TEMPLATE {template}")

        return copy

    def database_resetter(self):
        """Emptying the tables a test filled takes milliseconds; a new copy, hundreds."""
        from types import SimpleNamespace

        from .reset_postgresql import reset, take_state

        return SimpleNamespace(take_state=take_state, reset=reset)

    def schema_catalog(self, connection, tables=None):
        from .catalog_postgresql import read_catalog

        return read_catalog(connection, tables)

    def schema_fingerprints(self, connection) -> dict[str, str] | None:
        from .catalog_postgresql import read_fingerprints

        return read_fingerprints(connection)

    def lock_reader(self):
        from .locks_postgresql import PostgreSQLLockReader

        return PostgreSQLLockReader()

    def reachability_hint(self, url) -> str:
        return self.server_hint(f"`pg_isready -h {url.host or 'localhost'} -p {url.port or 5432}`")

    @contextmanager
    def session(self, connection):
        _no_prepared_statements(connection)
        yield connection

    def script_preamble(self, last: bool = True, timeouts: bool = True) -> list[str]:
        """SET LOCAL ends with the transaction, so it is safe behind a pooler.

        Every script but a run's last commits without waiting for its WAL
        flush (``synchronous_commit = off``): still atomic, and only a server
        crash in the next fraction of a second could undo it, together with
        its tracking row, so the next run applies it again. The last
        script's commit waits for the flush, which covers all earlier ones:
        when a run returns, every script it applied is durable.
        """
        statements = [f"SET LOCAL {name} = '{value}'" for name, value in self._timeouts()] if timeouts else []
        # A Python script may compute between statements, leaving its transaction
        # idle: a server's idle_in_transaction_session_timeout must not end it.
        statements.append("SET LOCAL idle_in_transaction_session_timeout = 0")
        if not last:
            statements.append("SET LOCAL synchronous_commit = off")
        return statements

    def script_epilogue(self, last: bool = True) -> list[str]:
        """A script's SET, SET ROLE or set_config end with the script: the session is reset
        before its tracking row is written (the row's table is named with its schema)."""
        statements = ["RESET ALL", "RESET ROLE"]
        if not last:
            statements.append("SET LOCAL synchronous_commit = off")
        return statements

    def transaction_token(self, sink):
        return sink.query("SELECT txid_current()")[0]

    def tracking_schema(self, connection, table: str) -> str | None:
        from ..errors import ConfigError

        row = connection.execute(text(
            "SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.oid = to_regclass(quote_ident(:t))"), {"t": table}).first()
        schema = row[0] if row else connection.execute(text("SELECT current_schema()")).scalar()
        if schema is None:
            raise ConfigError(
                f"The tracking table {table} cannot be created: the search_path names no schema "
                "that exists. Set search_path (e.g. options=-csearch_path%3Dpublic in the URL) or "
                "create the schema.")
        return schema

    def driver_batch(self, connection):
        from .pipeline import PipelinedBatch
        from .sink import DriverBatch

        if _pipeline_supported(connection.connection.driver_connection):
            return PipelinedBatch(connection)
        return DriverBatch(connection)

    def elapsed_sql(self):
        from sqlalchemy import Integer, literal_column

        return literal_column(
            "CAST(EXTRACT(EPOCH FROM clock_timestamp() - now()) * 1000 AS INTEGER)", Integer)

    def _timeouts(self) -> list[tuple[str, str]]:
        """The options' timeouts as PostgreSQL settings, in whole milliseconds (never text pasted raw)."""
        pairs = [("lock_timeout", self.options.ddl_lock_timeout_ms),
                 ("statement_timeout", self.options.statement_timeout_ms)]
        return [(name, f"{int(ms)}ms") for name, ms in pairs if ms]

    @contextmanager
    def outside_transaction(self, connection):
        with super().outside_transaction(connection):
            timeouts = self._timeouts()
            for name, value in timeouts:
                connection.exec_driver_sql(f"SET {name} = '{value}'")
            try:
                yield
            finally:
                for name, _ in timeouts:
                    connection.exec_driver_sql(f"RESET {name}")

    @contextmanager
    def run_lock(self, engine, name: str, timeout: float, on_wait=None):
        with self.connect(engine) as connection:
            _no_prepared_statements(connection)
            key = lock_key(self._lock_name(connection, name))
            started, delay, told = time.monotonic(), 0.02, False
            # Waiting in a loop of short transactions, not in one blocking call: a
            # waiter then holds no server connection, which behind a small PgBouncer
            # pool would starve the holder of the second connection it runs scripts on.
            while not self._try_lock(connection, key):
                connection.rollback()
                if not told and on_wait:
                    on_wait(self._holder(engine, key))
                told = True
                if time.monotonic() - started >= timeout:
                    raise lock_timeout_error(time.monotonic() - started, self._holder(engine, key))
                time.sleep(delay)
                delay = min(delay * 1.5, 0.5)
            lock = PostgreSQLRunLock(key, timeout)
            # The lock's session idles in its transaction for the whole run: a server's
            # idle_in_transaction_session_timeout must not end it (and with it the lock).
            # Literal statements only: one run with parameters leaves its portal's
            # snapshot open until the next statement, pinning this idle transaction's
            # xmin, and a script's CREATE INDEX CONCURRENTLY would wait for it forever.
            connection.exec_driver_sql("SET LOCAL idle_in_transaction_session_timeout = 0")
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({lock.token[0]}, {lock.token[1]})")
            try:
                yield lock
            finally:
                _end_quietly(connection)

    def _lock_name(self, connection, table: str) -> str:
        """The tracking table with its schema: tenants in schemas of one database (each with
        its own tracking table) migrate side by side. The table in ``public`` keeps the bare
        name, the key every earlier lockgate took, so they still exclude each other."""
        schema = self.tracking_schema(connection, table)
        connection.rollback()
        return table if schema == "public" else f"{schema}.{table}"

    def _try_lock(self, connection, key: int) -> bool:
        connection.execute(text("SELECT set_config('application_name', :me, true)"),
                           {"me": lock_identity()[:63]})
        return bool(connection.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": key}).scalar())

    def _holder(self, engine, key: int) -> str:
        """Who holds the advisory lock, from pg_locks and pg_stat_activity."""
        classid, objid = (key >> 32) & 0xFFFFFFFF, key & 0xFFFFFFFF
        query = text(
            "SELECT a.pid, a.application_name, a.usename, a.client_addr, a.xact_start "
            "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = :c AND l.objid = :o "
            "AND l.objsubid = 1 AND l.database = (SELECT oid FROM pg_database "
            "WHERE datname = current_database())")
        try:
            with engine.connect() as connection:
                row = connection.execute(query, {"c": classid, "o": objid}).first()
        except Exception:
            row = None
        if row is None:
            return "another session (the server did not say which)"
        return (f"server process {row.pid} ({row.application_name or 'no application name'}, "
                f"user {row.usename}, from {row.client_addr or 'local socket'}, since {row.xact_start:%Y-%m-%d %H:%M:%S %Z})")


class PostgreSQLRunLock(RunLock):
    """Fencing with two more advisory locks, at no extra round trip per script.

    The lock's session also holds a *token*: an advisory lock on a number drawn
    for this run. Every script transaction starts with one statement that
    (1) takes the *script lock*, a transaction advisory lock every script
    transaction of every runner takes, and (2) tries the token: if it can be
    taken, the session that held it is gone, so this run lost the run lock,
    and the statement fails (division by zero), failing the transaction
    before anything of the script commits. The statement travels in the
    script's pipeline like any other.

    :meth:`barrier` takes the script lock once, before the tracking table is
    read: a script transaction a killed runner had already sent finishes (or
    fails its fence) before the new run looks at what is applied.
    """

    def __init__(self, key: int, timeout: float):
        self.script_key = lock_key(f"scripts:{key}")
        self.timeout = timeout
        draw = secrets.randbits(64)
        self.token = ((draw >> 32) - (1 << 31), (draw & 0xFFFFFFFF) - (1 << 31))
        self.fence_statement = Statement(
            f"SELECT pg_advisory_xact_lock({self.script_key}), "
            f"1 / (NOT pg_try_advisory_xact_lock({self.token[0]}, {self.token[1]}))::int "
            "AS lockgate_fence", 0)

    def barrier(self, connection) -> None:
        from sqlalchemy.exc import OperationalError

        connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{max(int(self.timeout * 1000), 1)}ms'")
        try:
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({self.script_key})")
        except OperationalError as exc:
            if getattr(exc.orig, "sqlstate", getattr(exc.orig, "pgcode", None)) != "55P03":
                raise
            raise lock_timeout_error(
                self.timeout, "a script transaction of an earlier run that is still running on "
                "the server (its client may have been killed; see pg_stat_activity)") from None
        connection.exec_driver_sql("SET LOCAL lock_timeout = DEFAULT")

    def fence(self, sink) -> None:
        sink.execute(self.fence_statement)


def _end_quietly(connection) -> None:
    """Roll back the lock's transaction; a session already gone took its lock with it."""
    from sqlalchemy.exc import DBAPIError

    try:
        connection.rollback()
    except DBAPIError:
        pass


def _pipeline_supported(raw) -> bool:
    """psycopg 3 linked with libpq 14 or later."""
    if not hasattr(raw, "pipeline"):
        return False
    import psycopg

    return psycopg.Pipeline.is_supported()


def _no_prepared_statements(connection) -> None:
    """psycopg 3 prepares a statement run five times; behind PgBouncer in transaction
    mode (before 1.21) the next transaction may land where it was never prepared."""
    raw = connection.connection.driver_connection
    if hasattr(raw, "prepare_threshold"):
        raw.prepare_threshold = None
