"""Running a SQL script's statements on the driver's own connection, in one transaction.

A SQL script needs none of SQLAlchemy's statement machinery: each statement
is text for the driver, and the tracking row is one precompiled write.
Talking to the DBAPI connection directly removes most of the per-statement
cost; on psycopg 3 the statements, the tracking row and ``COMMIT`` of a
script travel to PostgreSQL together in pipeline mode (still one transaction
per script) and errors are mapped back to the statement that raised them.

Every statement is logged on the ``lockgate.sql`` logger at DEBUG level
(``-v`` on the command line) before it is sent.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from .sqlsplit import Statement
from .tracking import Write, tracking_conflict

if TYPE_CHECKING:
    from psycopg import Cursor
    from sqlalchemy.engine import Connection

log = logging.getLogger("lockgate.sql")


class StatementFailed(Exception):
    """The driver refused ``statement`` (None: the failure came at ``COMMIT``)."""

    def __init__(self, statement: Statement | None, error: BaseException) -> None:
        super().__init__(str(error))
        self.statement = statement
        self.error = error


class DriverBatch:
    """Statements executed one at a time on a raw DBAPI cursor; the default for every driver.

    One batch serves the SQL scripts of a run in turn, each in a transaction
    of its own ended by :meth:`commit`; :meth:`abort` ends a failed one, and
    :meth:`close` hands the connection back to SQLAlchemy.
    """

    def __init__(self, connection):
        self.raw = connection.connection.driver_connection
        self.errors = connection.dialect.loaded_dbapi.Error
        self.cursor = self.raw.cursor()
        self.returned = None
        self.qmark = connection.dialect.loaded_dbapi.paramstyle == "qmark"

    def begin(self, preamble: list[str]) -> None:
        """Open a script's transaction: the adapter's opening statements (the driver begins itself)."""
        for sql in preamble:
            self.execute(Statement(sql, 0))

    def query(self, sql: str, params=()):
        """Run one of lockgate's own queries (``%s`` placeholders) and return its first row, now."""
        if self.qmark:
            sql = sql.replace("%s", "?")
        log.debug("%s %r", sql, params)
        try:
            self.cursor.execute(sql, params)
            return self.cursor.fetchone()
        except self.errors as exc:
            raise StatementFailed(Statement(sql, 0), exc) from exc

    def abort(self) -> None:
        """Roll back the script being run and give up the batch."""
        try:
            self.rollback()
        finally:
            self.close()

    def execute(self, statement) -> None:
        """Run one :class:`~lockgate.sqlsplit.Statement` of the script."""
        log.debug("%s", statement.text)
        try:
            self.cursor.execute(statement.text)
        except self.errors as exc:
            raise StatementFailed(statement, exc) from exc

    def write(self, write: Write) -> None:
        """Run a tracking write; an UPDATE or DELETE must change exactly its one row.

        A returned row is only known after :meth:`commit` when pipelined;
        callers that need it read :attr:`returned` after committing.

        :raises TrackingConflictError: when the row was not in the expected state.
        """
        log.debug("%s %r", write.sql, write.params)
        try:
            self.cursor.execute(write.sql, write.params)
            self.returned = self.cursor.fetchone() if self.cursor.description else None
        except self.errors as exc:
            raise StatementFailed(Statement(write.sql, 0), exc) from exc
        if write.expected is not None and self.cursor.rowcount != 1:
            raise tracking_conflict(write.version, write.expected)

    def commit(self) -> None:
        try:
            self.raw.commit()
        except self.errors as exc:
            raise StatementFailed(None, exc) from exc

    def rollback(self) -> None:
        try:
            self.raw.rollback()
        except self.errors:
            pass  # the connection is gone; the server rolls back on its own

    def close(self) -> None:
        try:
            self.cursor.close()
        except self.errors:
            pass


class PipelinedBatch(DriverBatch):
    """psycopg 3 pipeline mode: statements are queued and their results read at sync points.

    Every statement gets a cursor of its own, so when the server reports an
    error the first cursor without a result names the statement that failed.
    The queue is synced every ``sync_every`` statements so a data load holds
    a bounded number of cursors.
    """

    sync_every = 1000

    def __init__(self, connection: Connection) -> None:
        super().__init__(connection)
        self._pipeline_block = self.raw.pipeline()
        self.pipeline = self._pipeline_block.__enter__()
        self.pending: list[tuple[Cursor[Any], Statement]] = []
        self.returning: Cursor[Any] | None = None

    def abort(self) -> None:
        try:
            # Told of no exception, psycopg raises its own (the pipeline was aborted)
            # instead of logging it; after an error that one says nothing new.
            self._pipeline_block.__exit__(None, None, None)
        except self.errors:
            pass
        self.pending.clear()
        super().abort()

    def close(self) -> None:
        try:
            self._pipeline_block.__exit__(None, None, None)
        finally:
            super().close()

    def execute(self, statement) -> None:
        log.debug("%s", statement.text)
        cursor = self.raw.cursor()
        try:
            cursor.execute(statement.text, prepare=False)
        except self.errors as exc:
            raise self._failed(exc) from exc
        self.pending.append((cursor, statement))
        if len(self.pending) >= self.sync_every:
            self._sync()

    def write(self, write: Write) -> None:
        log.debug("%s %r", write.sql, write.params)
        cursor = self.raw.cursor()
        try:
            cursor.execute(write.sql, write.params, prepare=False)
        except self.errors as exc:
            raise self._failed(exc) from exc
        self.pending.append((cursor, Statement(write.sql, 0)))
        self.returning = cursor
        if write.expected is not None:
            # The row count is known only once the server answered: wait for it
            # (a revert's write, never an apply's, so applying stays one round trip).
            self._sync()
            if cursor.rowcount != 1:
                raise tracking_conflict(write.version, write.expected)

    def query(self, sql: str, params=()):
        self._sync()
        cursor = self.raw.cursor()
        try:
            cursor.execute(sql, params, prepare=False)
            self.pipeline.sync()
            return cursor.fetchone()
        except self.errors as exc:
            raise self._failed(exc) from exc

    def commit(self) -> None:
        try:
            self.raw.commit()
        except self.errors as exc:
            raise self._failed(exc) from exc
        cursor, self.returning = self.returning, None
        self.returned = cursor.fetchone() if cursor is not None and cursor.description else None
        self.pending.clear()

    def _sync(self) -> None:
        try:
            self.pipeline.sync()
        except self.errors as exc:
            raise self._failed(exc) from exc
        self.pending.clear()

    def _failed(self, exc: BaseException) -> StatementFailed:
        """The statement behind a pipeline error: the first one the server sent no result for."""
        for cursor, statement in self.pending:
            if cursor.pgresult is None or cursor.pgresult.status == _FATAL_ERROR:
                return StatementFailed(statement, exc)
        return StatementFailed(None, exc)


_FATAL_ERROR = 7  # libpq's PGRES_FATAL_ERROR


class ConnectionSink(DriverBatch):
    """lockgate's own statements on the raw cursor of a connection that SQLAlchemy keeps using.

    For Python scripts, which run on the SQLAlchemy connection, and for a
    rehearsal, which runs every script in the caller's one transaction: the
    transaction is SQLAlchemy's, so it is begun and ended through SQLAlchemy
    (``owns_transaction`` False: the caller's, left open).
    """

    def __init__(self, connection, owns_transaction: bool = True):
        super().__init__(connection)
        self.connection = connection
        self.owns_transaction = owns_transaction
        self.transaction = None

    def begin(self, preamble: list[str]) -> None:
        if self.owns_transaction:
            self.transaction = self.connection.begin()
            super().begin(preamble)

    def commit(self) -> None:
        if self.transaction is not None:
            transaction, self.transaction = self.transaction, None
            try:
                transaction.commit()
            except self.connection.dialect.loaded_dbapi.Error as exc:
                raise StatementFailed(None, exc) from exc
            except Exception as exc:  # SQLAlchemy's wrapper of the driver's error
                orig = getattr(exc, "orig", None)
                if isinstance(orig, self.errors):
                    raise StatementFailed(None, orig) from exc
                raise

    def rollback(self) -> None:
        if self.transaction is not None:
            transaction, self.transaction = self.transaction, None
            try:
                transaction.rollback()
            except Exception:
                pass  # the connection is gone; the server rolls back on its own
            # A refused commit() leaves SQLAlchemy's transaction inactive and the
            # driver's still open: roll that back too, or the next commit keeps it.
            super().rollback()
