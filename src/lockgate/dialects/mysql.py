"""MySQL and MariaDB through PyMySQL or mysqlclient."""

from __future__ import annotations

import hashlib
import re
import time
from contextlib import contextmanager

from sqlalchemy import text

from .base import DialectAdapter, RunLock, lock_lost_error, lock_timeout_error


class MySQLAdapter(DialectAdapter):
    """MySQL commits every DDL statement implicitly, ending the open transaction.

    A script that fails after a ``CREATE``/``ALTER`` has already changed the
    schema; the engine journals each script there (a row marked started before
    it runs, finished after) and reports such failures as possibly partial.

    The run lock is ``GET_LOCK`` on a connection of its own; the server frees
    it when that connection ends, including when the process is killed.
    """

    name = "mysql"
    transactional_ddl = False
    display_name = "MySQL/MariaDB"
    split_dialect = "mysql"
    indexes_foreign_keys = True
    scratch = "server"
    connect_timeout_args = {"pymysql": "connect_timeout", "mysqldb": "connect_timeout",
                            "mariadbconnector": "connect_timeout"}

    def connect_args(self, driver: str, seconds: int, url=None) -> dict:
        args = super().connect_args(driver, seconds, url)
        if _bounds_handshake(driver, url):
            args["read_timeout"] = seconds
        return args

    def prepare_engine(self, engine, driver: str, url) -> None:
        if _bounds_handshake(driver, url):
            from sqlalchemy import event

            event.listen(engine, "connect", _unbound_reads)

    def table_name_limit(self, dialect) -> tuple[int | None, str]:
        """64 characters (SQLAlchemy says 255, the limit of other identifiers)."""
        return 64, "characters"

    def timestamp_type(self):
        """DATETIME(6): MySQL's DATETIME keeps whole seconds."""
        from sqlalchemy.dialects.mysql import DATETIME

        return DATETIME(fsp=6)

    def database_copier(self, connection, template: str):
        from .catalog_clone_mysql import copier

        return copier(connection, template)

    def schema_catalog(self, connection, tables=None):
        from .catalog_mysql import read_catalog

        return read_catalog(connection, getattr(connection.dialect, "is_mariadb", False), tables)

    def reachability_hint(self, url) -> str:
        return self.server_hint(f"`mysqladmin -h {url.host or 'localhost'} -P {url.port or 3306} ping`")

    @contextmanager
    def session(self, connection):
        """Note the connection's id, for :meth:`cancel` to name from a second connection."""
        connection.info["lockgate_connection_id"] = connection.exec_driver_sql(
            "SELECT CONNECTION_ID()").scalar()
        connection.rollback()  # end the transaction that reading began
        yield connection

    def cancel(self, connection) -> bool:
        """``KILL QUERY`` from a second connection: the server would finish the statement otherwise."""
        from sqlalchemy.exc import DBAPIError

        from ..errors import DatabaseUnreachableError

        query = connection.info.get("lockgate_connection_id")
        if query is None:
            return True
        try:
            with self.connect(connection.engine) as other:
                other.exec_driver_sql(f"KILL QUERY {int(query)}")
        except (DBAPIError, DatabaseUnreachableError):
            pass  # the server is gone or the query ended: nothing left to stop
        return True  # the killed statement's answer is still unread on this connection

    def tracking_schema(self, connection, table: str) -> str | None:
        from ..errors import ConfigError

        database = connection.execute(text("SELECT DATABASE()")).scalar()
        if database is None:
            raise ConfigError(
                "The database URL names no database, so there is nowhere to keep the tracking "
                "table: add it to the URL (mysql+pymysql://user@host/DATABASE).")
        return database

    def implicit_commit(self, statement: str) -> bool:
        return _IMPLICIT_COMMIT.match(statement) is not None

    @contextmanager
    def run_lock(self, engine, name: str, timeout: float, on_wait=None):
        with self.connect(engine) as connection:
            lock = _lock_name(connection, name)
            got = connection.execute(text("SELECT GET_LOCK(:n, 0)"), {"n": lock}).scalar()
            if got != 1:
                if on_wait:
                    on_wait(self._holder(connection, lock))
                started = time.monotonic()
                got = connection.execute(text("SELECT GET_LOCK(:n, :t)"),
                                         {"n": lock, "t": max(timeout, 0)}).scalar()
                if got != 1:
                    raise lock_timeout_error(time.monotonic() - started, self._holder(connection, lock))
            # The lock's connection idles for the whole run: the server's wait_timeout
            # must not end it, and the lock with it.
            connection.exec_driver_sql(f"SET SESSION wait_timeout = {_LONGEST_WAIT}")
            holder = connection.execute(text("SELECT CONNECTION_ID()")).scalar()
            connection.commit()
            try:
                yield MySQLRunLock(lock, int(holder), timeout)
            finally:
                _release_quietly(connection, lock)

    def _holder(self, connection, lock: str) -> str:
        row = connection.execute(text(
            "SELECT p.ID, p.USER, p.HOST, p.TIME FROM information_schema.PROCESSLIST p "
            "WHERE p.ID = IS_USED_LOCK(:n)"), {"n": lock}).first()
        if row is None:
            return "another connection (the server did not say which)"
        return f"connection {row[0]} (user {row[1]} from {row[2]}, connected {row[3]} s ago)"


def _bounds_handshake(driver: str, url) -> bool:
    """PyMySQL's handshake is bounded by a read timeout unless the URL sets its own."""
    return driver == "pymysql" and (url is None or "read_timeout" not in url.query)


def _unbound_reads(dbapi_connection, connection_record) -> None:
    """Lift PyMySQL's read timeout once connected: it only bounded the handshake.

    PyMySQL's ``connect_timeout`` ends when TCP connects, so a server that
    accepts and never answers (a MySQL URL aimed at PostgreSQL's port) would
    hang the handshake for ever. Statements, which may rightly take long
    (an ALTER TABLE on a big table), must not be cut off by that bound.
    """
    if hasattr(dbapi_connection, "_read_timeout"):
        dbapi_connection._read_timeout = None


class MySQLRunLock(RunLock):
    """Fencing by asking the server who holds the run lock, first in every script's transaction.

    A script transaction goes on only when ``IS_USED_LOCK`` still names the
    connection that took the run lock (a killed or timed-out connection frees
    it). The script connection itself holds a second lock, the *script lock*,
    for the whole run: :meth:`barrier` takes it before the tracking table is
    read, so a new run waits while an earlier runner's script connection is
    still running a statement on the server.
    """

    def __init__(self, name: str, holder: int, timeout: float):
        self.name, self.holder, self.timeout = name, holder, timeout
        self.script_lock = _hashed(f"{name}:scripts")

    def barrier(self, connection) -> None:
        got = connection.execute(text("SELECT GET_LOCK(:n, :t)"),
                                 {"n": self.script_lock, "t": max(self.timeout, 0)}).scalar()
        if got != 1:
            raise lock_timeout_error(
                self.timeout, "the script connection of an earlier run that is still running a "
                "statement on the server (its client may have been killed; see SHOW PROCESSLIST)")
        connection.exec_driver_sql(f"SET SESSION wait_timeout = {_LONGEST_WAIT}")

    def fence(self, sink) -> None:
        row = sink.query("SELECT IS_USED_LOCK(%s)", (self.name,))
        if row is None or row[0] != self.holder:
            raise lock_lost_error(f"connection {self.holder}, which held it, was ended")

    def release(self, connection) -> None:
        _release_quietly(connection, self.script_lock)


def _release_quietly(connection, lock: str) -> None:
    """Free a named lock; a connection already gone has freed it."""
    from sqlalchemy.exc import DBAPIError

    try:
        connection.execute(text("SELECT RELEASE_LOCK(:n)"), {"n": lock})
        connection.commit()
    except DBAPIError:
        pass


#: The longest wait_timeout every MySQL and MariaDB build accepts (about 24 days).
_LONGEST_WAIT = 2147483


def _hashed(full: str) -> str:
    """Lock names are server-wide and at most 64 characters."""
    if len(full) <= 64:
        return full
    return "lockgate:" + hashlib.sha256(full.encode()).hexdigest()[:55]


def _lock_name(connection, name: str) -> str:
    """Lock names are server-wide and at most 64 characters: include the database, hash if long."""
    database = connection.execute(text("SELECT DATABASE()")).scalar() or ""
    return _hashed(f"lockgate:{database}:{name}")


class MariaDBAdapter(MySQLAdapter):
    """MariaDB behaves as MySQL for everything lockgate does today."""

    name = "mariadb"
    display_name = "MariaDB"


#: Statements after which MySQL has committed, whatever the open transaction
#: (https://dev.mysql.com/doc/refman/8.0/en/implicit-commit.html).
_IMPLICIT_COMMIT = re.compile(
    r"^\s*(?:(?:--[^\n]*\n|#[^\n]*\n|/\*.*?\*/)\s*)*"
    r"(?:CREATE|ALTER|DROP|RENAME|TRUNCATE|GRANT|REVOKE|LOCK|UNLOCK|ANALYZE|OPTIMIZE|REPAIR|"
    r"INSTALL|UNINSTALL|FLUSH|BEGIN|START\s+TRANSACTION|COMMIT|SET\s+(?:@@|SESSION\s+|GLOBAL\s+)?"
    r"autocommit|SET\s+PASSWORD|CACHE\s+INDEX|LOAD\s+(?:INDEX|DATA))\b",
    re.IGNORECASE | re.DOTALL)
