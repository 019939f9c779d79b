"""Running a SQL script's statements on the driver's own connection, in one transaction.

A SQL script needs none of SQLAlchemy's statement machinery: each statement
is text for the driver, and the tracking row is one precompiled write.
Talking to the DBAPI connection directly removes most of the per-statement
cost. An adapter picks the sink for its driver: PostgreSQL's psycopg 3 has one
of its own (:mod:`lockgate.dialects.pipeline`).

Every statement is logged on the ``lockgate.sql`` logger at DEBUG level
(``-v`` on the command line) before it is sent.
"""

from __future__ import annotations

import logging

from ..sqlsplit import Statement
from ..tracking import Write, tracking_conflict

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
