"""PostgreSQL through psycopg (3) or psycopg2."""

from __future__ import annotations

import time
from contextlib import contextmanager

from sqlalchemy import text

from ..database import connect
from .base import DialectAdapter, lock_identity, lock_key, lock_timeout_error


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
    split_dialect = "postgresql"
    connect_timeout_args = {"psycopg": "connect_timeout", "psycopg2": "connect_timeout",
                            "pg8000": "timeout"}

    @contextmanager
    def session(self, connection):
        _no_prepared_statements(connection)
        yield connection

    def script_preamble(self, settings=None, last: bool = True) -> list[str]:
        """SET LOCAL ends with the transaction, so it is safe behind a pooler.

        Every script but a run's last commits without waiting for its WAL
        flush (``synchronous_commit = off``): still atomic, and only a server
        crash in the next fraction of a second could undo it, together with
        its tracking row, so the next run applies it again. The last
        script's commit waits for the flush, which covers all earlier ones:
        when a run returns, every script it applied is durable.
        """
        statements = [f"SET LOCAL {name} = '{value}'" for name, value in _timeouts(settings)]
        if not last:
            statements.append("SET LOCAL synchronous_commit = off")
        return statements

    def driver_batch(self, connection):
        from ..batch import DriverBatch, PipelinedBatch

        if _pipeline_supported(connection.connection.driver_connection):
            return PipelinedBatch(connection)
        return DriverBatch(connection)

    def elapsed_sql(self):
        from sqlalchemy import Integer, literal_column

        return literal_column(
            "CAST(EXTRACT(EPOCH FROM clock_timestamp() - now()) * 1000 AS INTEGER)", Integer)

    @contextmanager
    def outside_transaction(self, connection, settings=None):
        with super().outside_transaction(connection, settings):
            timeouts = _timeouts(settings)
            for name, value in timeouts:
                connection.exec_driver_sql(f"SET {name} = '{value}'")
            try:
                yield
            finally:
                for name, _ in timeouts:
                    connection.exec_driver_sql(f"RESET {name}")

    @contextmanager
    def run_lock(self, engine, name: str, timeout: float, on_wait=None):
        key = lock_key(name)
        with connect(engine) as connection:
            _no_prepared_statements(connection)
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
            # A statement run with parameters leaves its portal's snapshot open until the
            # next statement, pinning this idle transaction's xmin; that would make a
            # script's CREATE INDEX CONCURRENTLY wait for the lock holder forever.
            connection.exec_driver_sql("SELECT 1")
            try:
                yield
            finally:
                connection.rollback()

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
            "AND l.objsubid = 1")
        try:
            with engine.connect() as connection:
                row = connection.execute(query, {"c": classid, "o": objid}).first()
        except Exception:
            row = None
        if row is None:
            return "another session (the server did not say which)"
        return (f"server process {row.pid} ({row.application_name or 'no application name'}, "
                f"user {row.usename}, from {row.client_addr or 'local socket'}, since {row.xact_start:%Y-%m-%d %H:%M:%S %Z})")


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


def _timeouts(settings) -> list[tuple[str, str]]:
    if settings is None:
        return []
    pairs = [("lock_timeout", getattr(settings, "ddl_lock_timeout", None)),
             ("statement_timeout", getattr(settings, "statement_timeout", None))]
    return [(name, _duration(value)) for name, value in pairs if value]


def _duration(value) -> str:
    """Seconds (a number) or a PostgreSQL duration ('5s', '500ms'); validated, never pasted raw."""
    import re

    text_value = str(value).strip()
    if re.fullmatch(r"\d+(\.\d+)?", text_value):
        return f"{int(float(text_value) * 1000)}ms"
    if re.fullmatch(r"\d+\s*(ms|s|min|h)", text_value):
        return text_value.replace(" ", "")
    from ..errors import ConfigError

    raise ConfigError(f"{value!r} is not a duration: use seconds (5) or 500ms, 5s, 2min.")
