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


def _try_lock(fcntl, handle) -> bool:
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


def _read_holder(handle) -> str:
    handle.seek(0)
    return handle.read().strip() or "another process"
