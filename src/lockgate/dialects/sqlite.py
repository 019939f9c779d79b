"""SQLite through the standard library's sqlite3 driver."""

from __future__ import annotations

import os
import re
import time
from contextlib import contextmanager

from .base import NO_LOCK, DialectAdapter, RunLock, lock_identity, lock_lost_error, lock_timeout_error


class SQLiteAdapter(DialectAdapter):
    """SQLite rolls DDL back, but sqlite3 does not open a transaction before DDL.

    In its legacy transaction mode, sqlite3 issues ``BEGIN`` only before
    INSERT/UPDATE/DELETE, so a ``CREATE TABLE`` would commit on its own. During
    a run we switch the driver to manual mode and begin each script ourselves
    (https://docs.sqlalchemy.org/en/20/dialects/sqlite.html#serializable-isolation-savepoints-transactional-ddl).

    The run lock is an exclusive ``flock`` on ``<database>-<table>.lock`` beside
    the database file: SQLite's own locks last one transaction, a run lasts
    many, and the kernel frees a ``flock`` when its process dies.
    """

    name = "sqlite"
    display_name = "SQLite"
    split_dialect = "sqlite"
    alters_columns = False
    scratch = "file"

    @contextmanager
    def session(self, connection):
        """Manual transactions, and as long a wait for another process's write lock as for the run lock.

        sqlite3 waits 5 s for a locked database file and then fails, whatever
        ``--lock-timeout`` says; the session's busy timeout follows it instead,
        and the connection gets its own back afterwards (it may be the
        application's).
        """
        raw = connection.connection.driver_connection
        saved = raw.isolation_level
        busy = raw.execute("PRAGMA busy_timeout").fetchone()[0]
        raw.isolation_level = None
        if self.options.busy_timeout_s is not None:
            raw.execute(f"PRAGMA busy_timeout = {_milliseconds(self.options.busy_timeout_s)}")
        try:
            yield connection
        finally:
            raw.isolation_level = saved
            raw.execute(f"PRAGMA busy_timeout = {int(busy)}")

    def table_name_limit(self, dialect) -> tuple[int | None, str]:
        return None, "characters"  # SQLite has no limit

    def unique_constraints(self, inspector, table: str) -> list[dict]:
        """Unique constraints as SQLite itself lists them.

        SQLAlchemy finds them by parsing the CREATE TABLE text and misses a
        column's inline ``UNIQUE``; SQLite's index list marks every one (origin ``u``).
        """
        return _uniques(inspector.bind, table)

    def prepare_scratch_engine(self, engine) -> None:
        """No waiting for the disk on each commit: a scratch file is thrown away after the check."""
        from sqlalchemy import event

        event.listen(engine, "connect", _no_sync)

    def schema_catalog(self, connection, tables=None):
        from .catalog_sqlite import read_catalog

        return read_catalog(connection, tables)

    def schema_fingerprints(self, connection) -> dict[str, str] | None:
        from .catalog_sqlite import read_fingerprints

        return read_fingerprints(connection)

    def model_differences(self, connection, upgrade_ops):
        """Leave out what SQLite reflection cannot see or SQLite cannot change.

        A column's inline ``UNIQUE`` is missed by SQLAlchemy's reflection, so
        Alembic would report it missing on every comparison; and a primary-key
        column without NOT NULL reads as nullable (an ``INTEGER PRIMARY KEY``
        is the rowid and never NULL), which no script could change.
        """
        import sqlalchemy as sa
        from alembic.operations import ops

        kept = []
        for op in upgrade_ops.ops:
            if isinstance(op, ops.ModifyTableOps):
                known = {tuple(u["column_names"]) for u in _uniques(connection, op.table_name)}
                keys = set(sa.inspect(connection).get_pk_constraint(op.table_name)
                           .get("constrained_columns") or ())
                op.ops = [child for child in op.ops
                          if not (isinstance(child, ops.CreateUniqueConstraintOp)
                                  and tuple(child.columns) in known)
                          and not _key_nullability(child, keys)]
                if not op.ops:
                    continue
            kept.append(op)
        return ops.UpgradeOps(ops=kept)

    def reachability_hint(self, url) -> str:
        folder = os.path.dirname(os.path.abspath(url.database or "")) or "."
        return (f"Check that the folder {folder} exists and is writable (SQLite creates the file "
                "itself), and that the path in the URL is right: sqlite:///relative.db or "
                "sqlite:////absolute/path.db.")

    @classmethod
    def url_beside(cls, url, base):
        database = url.database
        if (not database or database == ":memory:" or database.startswith("file:")
                or url.query.get("uri") or os.path.isabs(database)):
            return url
        return url.set(database=str((base / database).resolve()))

    def database_missing(self, engine) -> bool:
        database = engine.url.database
        if not database or database == ":memory:" or database.startswith("file:"):
            return False
        return not os.path.exists(database)

    def script_preamble(self, last: bool = True, timeouts: bool = True) -> list[str]:
        # IMMEDIATE takes the write lock now rather than at the first write.
        return ["BEGIN IMMEDIATE"]

    def transaction_token(self, sink):
        return sink.raw.in_transaction

    def tracking_schema(self, connection, table: str) -> str | None:
        return "main"  # a script's ATTACH cannot shadow it

    @contextmanager
    def outside_transaction(self, connection):
        # In manual mode (see session) sqlite3 begins nothing unless we do.
        try:
            yield
        finally:
            if connection.in_transaction():
                connection.commit()

    @contextmanager
    def run_lock(self, engine, name: str, timeout: float, on_wait=None):
        database = engine.url.database
        if not database or database == ":memory:" or database.startswith("file::memory:"):
            yield NO_LOCK  # one connection, one process: nobody to exclude
            return
        try:
            import fcntl
        except ImportError:  # Windows: each script still takes SQLite's write lock
            yield NO_LOCK
            return
        safe_name = re.sub(r"[^\w.-]", "_", name)
        path = f"{os.path.abspath(database)}-{safe_name}.lock"
        if not os.path.isdir(os.path.dirname(path)):
            yield NO_LOCK  # connecting will fail and say why
            return
        with open(path, "a+") as handle:
            if not _try_lock(fcntl, handle):
                if on_wait:
                    on_wait(_read_holder(handle))
                started = time.monotonic()
                delay = 0.005
                while not _try_lock(fcntl, handle):
                    if time.monotonic() - started > timeout:
                        raise lock_timeout_error(time.monotonic() - started, _read_holder(handle))
                    time.sleep(delay)
                    delay = min(delay * 2, 0.2)
            try:
                handle.seek(0)
                handle.truncate()
                handle.write(f"{lock_identity()} since {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
                handle.flush()
                yield SQLiteRunLock(path, handle)
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


class SQLiteRunLock(RunLock):
    """A ``flock`` is lost only when its file is deleted or replaced: another runner
    would then lock a new file of the same name. Each script checks, before it
    starts, that the path still leads to the file this run locked."""

    def __init__(self, path: str, handle):
        self.path, self.handle = path, handle

    def fence(self, sink) -> None:
        held = os.fstat(self.handle.fileno())
        try:
            now = os.stat(self.path)
        except FileNotFoundError:
            raise lock_lost_error(f"its lock file {self.path} was deleted") from None
        if (now.st_dev, now.st_ino) != (held.st_dev, held.st_ino):
            raise lock_lost_error(f"its lock file {self.path} was replaced")


def _no_sync(driver_connection, record) -> None:
    driver_connection.execute("PRAGMA synchronous = OFF")


def _uniques(connection, table: str) -> list[dict]:
    from sqlalchemy import text

    quoted = table.replace('"', '""')
    uniques = []
    for row in connection.execute(text(f'PRAGMA index_list("{quoted}")')).mappings():
        if row["origin"] == "u":
            name = row["name"].replace('"', '""')
            info = connection.execute(text(f'PRAGMA index_info("{name}")')).mappings()
            uniques.append({"column_names": [r["name"] for r in sorted(info, key=lambda r: r["seqno"])]})
    return uniques


def _key_nullability(operation, keys: set) -> bool:
    """An Alembic "alter column" that only changes whether a primary-key column is nullable."""
    from alembic.operations import ops

    return (isinstance(operation, ops.AlterColumnOp) and operation.column_name in keys
            and operation.modify_nullable is not None and operation.modify_type is None
            and operation.modify_server_default is False and operation.modify_name is None)


def _milliseconds(seconds: float) -> int:
    """SQLite's busy timeout is a C int of milliseconds."""
    return max(0, min(2**31 - 1, round(seconds * 1000)))


def _try_lock(fcntl, handle) -> bool:
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


def _read_holder(handle) -> str:
    handle.seek(0)
    return handle.read().strip() or "another process"
