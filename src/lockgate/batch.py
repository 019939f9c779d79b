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

log = logging.getLogger("lockgate.sql")


class StatementFailed(Exception):
    """The driver refused ``statement`` (None: the failure came at ``COMMIT``)."""

    def __init__(self, statement, error: BaseException):
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

    def write(self, sql: str, params, statement=None):
        """Run lockgate's own parameterised statement; returns the first row, if any.

        The row is only known after :meth:`commit` when pipelined; callers
        that need it read :attr:`returned` after committing.
        """
        log.debug("%s %r", sql, params)
        try:
            self.cursor.execute(sql, params)
            self.returned = self.cursor.fetchone() if self.cursor.description else None
        except self.errors as exc:
            raise StatementFailed(statement, exc) from exc

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

    def __init__(self, connection):
        super().__init__(connection)
        self._pipeline_block = self.raw.pipeline()
        self.pipeline = self._pipeline_block.__enter__()
        self.pending: list[tuple[object, object]] = []
        self.returning = None

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

    def write(self, sql: str, params, statement=None):
        log.debug("%s %r", sql, params)
        cursor = self.raw.cursor()
        try:
            cursor.execute(sql, params, prepare=False)
        except self.errors as exc:
            raise self._failed(exc) from exc
        self.pending.append((cursor, statement))
        self.returning = cursor

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

    def _failed(self, exc) -> StatementFailed:
        """The statement behind a pipeline error: the first one the server sent no result for."""
        for cursor, statement in self.pending:
            if cursor.pgresult is None or cursor.pgresult.status == _FATAL_ERROR:
                return StatementFailed(statement, exc)
        return StatementFailed(None, exc)


_FATAL_ERROR = 7  # libpq's PGRES_FATAL_ERROR
