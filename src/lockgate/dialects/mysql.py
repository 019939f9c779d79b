"""MySQL and MariaDB through PyMySQL or mysqlclient."""

from __future__ import annotations

import hashlib
import re
import time
from contextlib import contextmanager

from sqlalchemy import text

from ..database import connect
from .base import DialectAdapter, lock_timeout_error


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
    split_dialect = "mysql"
    connect_timeout_args = {"pymysql": "connect_timeout", "mysqldb": "connect_timeout",
                            "mariadbconnector": "connect_timeout"}

    def implicit_commit(self, statement: str) -> bool:
        return _IMPLICIT_COMMIT.match(statement) is not None

    @contextmanager
    def run_lock(self, engine, name: str, timeout: float, on_wait=None):
        with connect(engine) as connection:
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
            connection.commit()
            try:
                yield
            finally:
                connection.execute(text("SELECT RELEASE_LOCK(:n)"), {"n": lock})
                connection.commit()

    def _holder(self, connection, lock: str) -> str:
        row = connection.execute(text(
            "SELECT p.ID, p.USER, p.HOST, p.TIME FROM information_schema.PROCESSLIST p "
            "WHERE p.ID = IS_USED_LOCK(:n)"), {"n": lock}).first()
        if row is None:
            return "another connection (the server did not say which)"
        return f"connection {row[0]} (user {row[1]} from {row[2]}, connected {row[3]} s ago)"


def _lock_name(connection, name: str) -> str:
    """Lock names are server-wide and at most 64 characters: include the database, hash if long."""
    database = connection.execute(text("SELECT DATABASE()")).scalar() or ""
    full = f"lockgate:{database}:{name}"
    if len(full) <= 64:
        return full
    return "lockgate:" + hashlib.sha256(full.encode()).hexdigest()[:55]


class MariaDBAdapter(MySQLAdapter):
    """MariaDB behaves as MySQL for everything lockgate does today."""

    name = "mariadb"


#: Statements after which MySQL has committed, whatever the open transaction
#: (https://dev.mysql.com/doc/refman/8.0/en/implicit-commit.html).
_IMPLICIT_COMMIT = re.compile(
    r"^\s*(?:(?:--[^\n]*\n|#[^\n]*\n|/\*.*?\*/)\s*)*"
    r"(?:CREATE|ALTER|DROP|RENAME|TRUNCATE|GRANT|REVOKE|LOCK|UNLOCK|ANALYZE|OPTIMIZE|REPAIR|"
    r"INSTALL|UNINSTALL|FLUSH|BEGIN|START\s+TRANSACTION|COMMIT|SET\s+(?:@@|SESSION\s+|GLOBAL\s+)?"
    r"autocommit|SET\s+PASSWORD|CACHE\s+INDEX|LOAD\s+(?:INDEX|DATA))\b",
    re.IGNORECASE | re.DOTALL)
