"""Running one script in one direction, with its tracking row, as safely as the database allows.

Three ways, chosen per script and database:

* in a transaction with its tracking row (PostgreSQL, SQLite): all or nothing;
* journaled (MariaDB, MySQL, whose DDL commits implicitly): the row is written
  as ``started`` and committed first, then the script runs and the row becomes
  ``applied``; a row left ``started`` tells the next run that this one stopped
  inside the script;
* outside a transaction, when the script asks for it (``-- lockgate:
  no-transaction`` in SQL, ``transaction = False`` in Python), for statements
  such as ``CREATE INDEX CONCURRENTLY``: the row is written after it succeeds.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager

from sqlalchemy import event

from .batch import StatementFailed
from .errors import LockgateError, ScriptFailedError
from .execution import execute_python, execute_sql, statement_failed
from .scripts import NO_TRANSACTION, Script, sql_directives
from .sqlsplit import Statement, iter_statements
from .tracking import APPLIED, REVERTING, STARTED, TrackingWrites

UPGRADE, DOWNGRADE = "upgrade", "downgrade"


class Effects:
    """Whether statements a rollback cannot undo have run (MySQL's implicit commits)."""

    def __init__(self, adapter):
        self.adapter = adapter
        self.ran_any = False
        self.committed = False

    def before(self, statement: str) -> None:
        if self.ran_any and self.adapter.implicit_commit(statement):
            self.committed = True  # MySQL commits what came before, even if this one fails

    def after(self, statement: str) -> None:
        self.ran_any = True
        if self.adapter.implicit_commit(statement):
            self.committed = True

    def before_cursor_execute(self, conn, cursor, statement, *args):
        self.before(statement)

    def after_cursor_execute(self, conn, cursor, statement, *args):
        self.after(statement)


class ScriptRunner:
    """Runs scripts on one connection for one migrator."""

    def __init__(self, adapter, tracking, settings=None, revisions=None, progress=None):
        self.adapter = adapter
        self.tracking = tracking
        self.settings = settings
        self.revisions = revisions
        self.progress = progress
        self._writes = None
        self._batch = None

    def run(self, connection, script: Script, direction: str, module, *, last: bool = True) -> int:
        """Run ``script`` and record it; returns its execution time in milliseconds.

        :param last: whether it is the run's final script (see ``script_preamble``).
        :raises ScriptFailedError: with ``partial`` set when changes may remain.
        """
        if module is None:
            item = script.main_file if direction == UPGRADE else script.sql_files["downgrade"]
            with item.open("r", encoding="utf-8-sig") as stream:
                if NO_TRANSACTION not in sql_directives(stream):
                    stream.seek(0)
                    return self._sql_script(connection, script, direction, item, stream, last)
        self.close()
        work, transactional = self._work(connection, script, direction, module)
        started = time.perf_counter()
        if not transactional:
            return self._outside_transaction(connection, script, direction, work, started)
        if not self.adapter.transactional_ddl:
            return self._journaled(connection, script, direction, work, started)
        with connection.begin():
            self.adapter.begin_script(connection, self.settings)
            work()
            elapsed = _ms(started)
            self._finish(connection, script, direction, elapsed)
        return elapsed

    def rehearse(self, connection, script: Script, module) -> int:
        """Run an upgrade inside the caller's transaction, which will be rolled back."""
        work, transactional = self._work(connection, script, UPGRADE, module)
        if not transactional:
            raise LockgateError(
                f"{script.main_file.name} runs outside a transaction, so it cannot be rehearsed "
                "(its changes could not be rolled back); nothing was kept.")
        started = time.perf_counter()
        work()
        elapsed = _ms(started)
        self.tracking.record(connection, script, elapsed)
        return elapsed

    def _work(self, connection, script, direction, module):
        """A callable running the script's body, and whether it wants a transaction."""
        sql = None
        if module is None:
            item = script.main_file if direction == UPGRADE else script.sql_files["downgrade"]
            sql = (item.read_text(encoding="utf-8-sig"), str(item))
            transactional = NO_TRANSACTION not in sql_directives(sql[0])
        else:
            transactional = getattr(module, "transaction", True) is not False
        return (lambda: self._execute(connection, script, direction, module, sql)), transactional

    def _sql_script(self, connection, script, direction, item, stream, last) -> int:
        """A SQL script straight on the driver: one transaction with its tracking write.

        Where DDL commits implicitly the transaction is journaled as in
        :meth:`_journaled`, and the statements themselves tell whether anything
        was committed before a failure.
        """
        journaled = not self.adapter.transactional_ddl
        writes = self._driver_writes(connection)
        effects = Effects(self.adapter)
        path = str(item)
        started = time.perf_counter()
        try:
            with self._batch_for(connection) as batch:
                source = _Progress(stream, script, self.progress, _size(item))
                for sql in self.adapter.script_preamble(self.settings, last):
                    batch.execute(Statement(sql, 0))
                if journaled:
                    batch.write(*(writes.insert(script, None, state=STARTED,
                                                vcs_revision=self._revision(script))
                                  if direction == UPGRADE else writes.mark(script.version, REVERTING)))
                for statement in iter_statements(source, self.adapter.split_dialect):
                    effects.before(statement.text)
                    batch.execute(statement)
                    effects.after(statement.text)
                    source.tick()
                elapsed = _ms(started)
                if direction == DOWNGRADE:
                    batch.write(*writes.remove(script.version))
                elif journaled:
                    batch.write(*writes.finish(script, elapsed))
                else:
                    batch.write(*writes.insert(script, elapsed, vcs_revision=self._revision(script)))
                batch.commit()
        except (StatementFailed, LockgateError) as exc:
            if isinstance(exc, ScriptFailedError):
                raise
            partial = journaled and effects.committed
            if isinstance(exc, StatementFailed):
                failure = statement_failed(exc.error, exc.statement, version=script.version,
                                           path=path, partial=partial)
                cause = _as_sqlalchemy_error(exc, connection)
            else:  # the file cannot be split (COPY ... FROM STDIN data)
                failure = ScriptFailedError(f"{path}, {exc}", version=script.version, path=path,
                                            line=getattr(exc, "line", None), partial=partial)
                cause = exc
            if journaled and not partial:
                self._take_back(connection, script, direction)
            raise failure from cause
        if writes.server_elapsed and batch.returned:
            return batch.returned[0]
        return elapsed

    @contextmanager
    def _batch_for(self, connection):
        """The run's driver batch, kept between SQL scripts (one pipeline for a whole run)."""
        if self._batch is None:
            self._batch = self.adapter.driver_batch(connection)
        try:
            yield self._batch
        except BaseException:
            batch, self._batch = self._batch, None
            batch.abort()
            raise

    def close(self) -> None:
        """Hand the connection back to SQLAlchemy; call when the run ends, and before SQLAlchemy uses it."""
        if self._batch is not None:
            batch, self._batch = self._batch, None
            batch.close()

    def _driver_writes(self, connection) -> TrackingWrites:
        if self._writes is None:
            self._writes = TrackingWrites(self.tracking, connection.dialect, self.adapter.elapsed_sql())
        return self._writes

    def _take_back(self, connection, script, direction) -> None:
        """Undo the journal row of a script that failed before changing anything."""
        with connection.begin():
            if direction == UPGRADE:
                self.tracking.remove(connection, script.version)
            else:
                self.tracking.mark(connection, script.version, APPLIED)

    def _journaled(self, connection, script, direction, work, started) -> int:
        """One transaction: the journal row, the script, the row marked done.

        MySQL commits implicitly *before* a DDL statement, so the ``started``
        row is committed the moment the script first changes the schema, and
        rolled back with everything else when it fails before doing so.
        """
        effects = Effects(self.adapter)
        try:
            with connection.begin():
                self.adapter.begin_script(connection, self.settings)
                if direction == UPGRADE:
                    self.tracking.record(connection, script, None, state=STARTED,
                                         vcs_revision=self._revision(script))
                else:
                    self.tracking.mark(connection, script.version, REVERTING)
                with self._watching(connection, effects):
                    work()
                elapsed = _ms(started)
                if direction == UPGRADE:
                    self.tracking.mark(connection, script.version, APPLIED, execution_ms=elapsed,
                                       checksum=script.checksum)
                else:
                    self.tracking.remove(connection, script.version)
        except ScriptFailedError as exc:
            exc.partial = effects.committed
            if not exc.partial:
                # A failing first DDL statement committed the journal row but nothing of
                # the script: take the row back.
                self._take_back(connection, script, direction)
            raise
        return elapsed

    def _outside_transaction(self, connection, script, direction, work, started) -> int:
        with self.adapter.outside_transaction(connection, self.settings):
            try:
                work()
            except ScriptFailedError as exc:
                exc.partial = True
                exc.args = (f"{exc.args[0]}\nThe script runs outside a transaction, so the "
                            "statements before the failing one stay applied.",)
                raise
        elapsed = _ms(started)
        with connection.begin():
            self.adapter.begin_script(connection)
            self._finish(connection, script, direction, elapsed)
        return elapsed

    def _finish(self, connection, script, direction, elapsed) -> None:
        if direction == UPGRADE:
            self.tracking.record(connection, script, elapsed, vcs_revision=self._revision(script))
        else:
            self.tracking.remove(connection, script.version)

    def _execute(self, connection, script, direction, module, sql) -> None:
        if module is not None:
            execute_python(connection, module, direction, script, self.adapter)
        else:
            execute_sql(connection, sql[0], self.adapter, version=script.version, path=sql[1])

    def _revision(self, script: Script) -> str | None:
        return self.revisions.for_files(script.file_names) if self.revisions else None

    @contextmanager
    def _watching(self, connection, effects: Effects):
        event.listen(connection, "before_cursor_execute", effects.before_cursor_execute)
        event.listen(connection, "after_cursor_execute", effects.after_cursor_execute)
        try:
            yield
        finally:
            event.remove(connection, "before_cursor_execute", effects.before_cursor_execute)
            event.remove(connection, "after_cursor_execute", effects.after_cursor_execute)


class _Progress:
    """A script's text stream that reports how far it has been read, for long files.

    Calls ``progress("position", script, done=chars, total=bytes)`` at most
    twice a second, and only once a script has run for a second.
    """

    first_after, every = 1.0, 0.5

    def __init__(self, stream, script, progress, total: int | None):
        self.stream, self.script, self.progress, self.total = stream, script, progress, total
        self.done = 0
        self.next_report = time.monotonic() + self.first_after

    def read(self, size: int = -1) -> str:
        if self.total is not None and size > 0:
            # No bigger request than what is left (in bytes, which bound the characters):
            # a 1 MiB read buffer for a 40-byte script costs more than running it.
            size = min(size, self.total - self.done + 1024)
        text = self.stream.read(size)
        self.done += len(text)
        return text

    def tick(self) -> None:
        if self.progress is None or time.monotonic() < self.next_report:
            return
        self.next_report = time.monotonic() + self.every
        self.progress("position", self.script, done=self.done, total=self.total)


def _size(item) -> int | None:
    try:
        return os.path.getsize(item)
    except (OSError, TypeError):  # a resource inside a zip file
        return None


def _as_sqlalchemy_error(exc: StatementFailed, connection):
    """The driver's error wrapped as SQLAlchemy wraps it, as for Python scripts' statements."""
    from sqlalchemy.exc import DBAPIError

    text = exc.statement.text if exc.statement is not None else "COMMIT"
    return DBAPIError.instance(text, None, exc.error, connection.dialect.loaded_dbapi.Error,
                               dialect=connection.dialect)


def _ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)
