"""psycopg 3's pipeline mode as a sink: a script's statements, its tracking row and ``COMMIT`` in one round trip.

Still one transaction per script; an error is mapped back to the statement
that raised it. Only the PostgreSQL adapter builds this sink.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..sqlsplit import Statement
from ..tracking import Write, tracking_conflict
from .sink import DriverBatch, StatementFailed, log

if TYPE_CHECKING:
    from psycopg import Cursor
    from sqlalchemy.engine import Connection


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
