"""SQLite through the standard library's sqlite3 driver."""

from __future__ import annotations

from contextlib import contextmanager

from .base import DialectAdapter


class SQLiteAdapter(DialectAdapter):
    """SQLite rolls DDL back, but sqlite3 does not open a transaction before DDL.

    In its legacy transaction mode, sqlite3 issues ``BEGIN`` only before
    INSERT/UPDATE/DELETE, so a ``CREATE TABLE`` would commit on its own. During
    a run we switch the driver to manual mode and begin each script ourselves
    (https://docs.sqlalchemy.org/en/20/dialects/sqlite.html#serializable-isolation-savepoints-transactional-ddl).
    """

    name = "sqlite"
    split_dialect = "sqlite"

    @contextmanager
    def session(self, connection):
        raw = connection.connection.driver_connection
        saved = raw.isolation_level
        raw.isolation_level = None
        try:
            yield connection
        finally:
            raw.isolation_level = saved

    def begin_script(self, connection) -> None:
        # IMMEDIATE takes the write lock now rather than at the first write,
        # so two runs cannot both read the tracking table and then collide.
        connection.exec_driver_sql("BEGIN IMMEDIATE")
