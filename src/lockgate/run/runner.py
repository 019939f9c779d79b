"""Running one script in one direction, with its tracking row: the one path every run takes.

``upgrade``, ``downgrade``, ``setup --run-scripts`` and ``upgrade --rehearse``
all run scripts through :meth:`ScriptRunner.run`. It picks one of three
transaction modes per script and database, and sends everything through one
*sink* (:mod:`lockgate.dialects.sink`): the script's statements, the adapter's
opening and closing statements, the lock's fence and the tracking writes.

* **atomic** (PostgreSQL, SQLite): the fence, the script and its tracking row
  in one transaction; all or nothing.
* **journaled** (MariaDB, MySQL, whose DDL commits implicitly): the same
  transaction, but the row is written as ``started`` (``reverting`` for a
  revert) before the first statement that commits implicitly, with a journal
  of how far the script got that commits with its statements, and finished at
  the end (:mod:`lockgate.run.journal`); the next run resumes a SQL script
  where it stopped. A Python script's row is written first, without a journal.
* **autocommit**, when the script asks for it (``-- lockgate: no-transaction``
  in SQL, ``transaction = False`` in Python), for statements such as
  ``CREATE INDEX CONCURRENTLY``: the fence first, the script, then its row in a
  fenced transaction of its own.

A rehearsal runs the atomic mode inside the caller's one transaction, which
the caller rolls back.
"""

from __future__ import annotations

import io
import os
import time
from contextlib import nullcontext

from ..dialects.sink import ConnectionSink, DriverBatch, StatementFailed
from ..errors import LockgateError, ScriptFailedError, TrackingConflictError
from .python_body import PythonBody
from .statements import statement_failed
from ..scripts import NO_TRANSACTION, Script, check_utf8
from ..directives import sql_directives
from ..sqlsplit import Statement, has_delimiter_lines, iter_statements
from ..dialects.base import lock_lost_error
from ..tracking import APPLIED, REVERTING, STARTED, TrackingWrites, tracking_conflict
from .journal import Effects, Mark, StatementJournal
from .txcontrol import TransactionControlCheck, TransactionControlError, check_script, might_contain_control

UPGRADE, DOWNGRADE = "upgrade", "downgrade"
ATOMIC, JOURNALED, AUTOCOMMIT = "atomic", "journaled", "autocommit"


#: SQL files up to this size are checked for transaction control before a run
#: starts; bigger ones (data loads) are checked as they stream past.
PRECHECK_BYTES = 8 << 20


def precheck(plan: list[Script], modules: dict, direction: str, dialect: str) -> None:
    """Refuse, before anything runs, SQL that could not run whole in its script's transaction.

    Every SQL file the run will read must be UTF-8, a transactional one must
    not end its own transaction, and a MySQL one with DELIMITER lines must
    split (MariaDB's DDL commits implicitly). Files are read once for these checks;
    one over :data:`PRECHECK_BYTES` (a data load) is only checked for its
    encoding here, in chunks, and for transaction control as it runs.

    :raises ScriptEncodingError: naming the file, line and byte.
    :raises TransactionControlError: naming the file and line.
    :raises LockgateError: for SQL the splitter refuses (``COPY ... FROM STDIN``, a MySQL
        DELIMITER line inside a statement), naming the file and line.
    """
    for script in plan:
        module = modules.get(script.version)
        if module is None:
            item = script.main_file if direction == UPGRADE else script.sql_files.get("downgrade")
        else:
            item = script.sql_files.get(direction)  # a mixed script's run_sql_file()
        if item is None:
            continue
        size = _size(item)
        if size is not None and size > PRECHECK_BYTES:
            check_utf8(item)
            continue
        try:
            text = item.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError:
            check_utf8(item)  # raises, saying where
            raise
        transactional = (NO_TRANSACTION not in sql_directives(text) if module is None
                         else getattr(module, "transaction", True) is not False)
        if transactional and might_contain_control(text, dialect):
            check_script(text, dialect, str(item))
        elif has_delimiter_lines(text, dialect):  # a swallowed one is refused: before anything runs
            try:
                for _ in iter_statements(text, dialect):
                    pass
            except LockgateError as exc:
                raise LockgateError(f"{item}, {exc}") from exc


class ScriptRunner:
    """Runs scripts on one connection for one migrator, under one run lock.

    :param lock: the held :class:`~lockgate.dialects.base.RunLock` (fences every script).
    :param run_id: this run's token, written into every row it writes.
    :param rehearsal: run inside the caller's transaction and commit nothing.
    :param warn: called with a sentence for the run's warnings (where a script resumes).
    :param watch: a :class:`~lockgate.run.lockwatch.LockWatch` that reads the locks each
        statement takes (a rehearsal's ``--locks``), or None.
    """

    def __init__(self, adapter, tracking, lock, *, run_id: str, revisions=None,
                 progress=None, rehearsal: bool = False, warn=None, watch=None):
        self.adapter = adapter
        self.tracking = tracking
        self.lock = lock
        self.run_id = run_id
        self.revisions = revisions
        self.progress = progress
        self.rehearsal = rehearsal
        self.warn = warn or (lambda message: None)
        self.watch = watch
        self._writes: TrackingWrites | None = None
        self.resume: Mark | None = None
        self._batch: DriverBatch | None = None

    def run(self, connection, script: Script, direction: str, module, *, last: bool = True,
            resume: Mark | None = None) -> int:
        """Run ``script`` and record it; returns its execution time in milliseconds.

        :param last: whether it is the run's final script (see ``script_preamble``).
        :param resume: the journal of this script's row, when an earlier run stopped inside it.
        :raises ScriptFailedError: with ``partial`` set when changes may remain.
        :raises LockLostError: when the run lost its lock; nothing of the script committed.
        """
        if module is not None:
            return self._run(connection, script, direction, PythonBody(script, direction, module), last)
        self.resume = resume
        item = script.main_file if direction == UPGRADE else script.sql_files["downgrade"]
        with io.TextIOWrapper(item.open("rb"), encoding="utf-8-sig", newline="") as stream:
            transactional = NO_TRANSACTION not in sql_directives(stream)
            stream.seek(0)
            body = _SQLBody(script, item, stream, transactional, self.adapter, self.progress)
            return self._run(connection, script, direction, body, last)

    def _run(self, connection, script, direction, body, last) -> int:
        if not body.transactional:
            if self.rehearsal:
                raise LockgateError(
                    f"{script.main_file.name} runs outside a transaction, so it cannot be rehearsed "
                    "(its changes could not be rolled back); nothing was kept.")
            return self._autocommit(connection, script, direction, body)
        mode = ATOMIC if self.adapter.transactional_ddl else JOURNALED
        return self._transaction(connection, script, direction, body, mode, last)

    def _transaction(self, connection, script, direction, body, mode, last) -> int:
        writes = self._writes_for(connection)
        effects = Effects(self.adapter)
        sink = self._sink_for(connection, body)
        journal = None
        statements: StatementJournal | None = None
        resume, self.resume = self.resume, None
        started = time.perf_counter()
        try:
            sink.begin(self.adapter.script_preamble(last))
            self.lock.fence(sink)
            if mode == JOURNALED:
                journal = STARTED if direction == UPGRADE else REVERTING
                if body.module is None:
                    statements = StatementJournal(writes, sink, self.adapter, script, journal,
                                                  revision=self._revision(script), resume=resume,
                                                  warn=self.warn)
                    effects.journal_committed = resume is not None
                else:
                    sink.write(writes.insert(script, None, state=STARTED, vcs_revision=self._revision(script))
                               if direction == UPGRADE else writes.start_revert(script.version))
            with (self.watch.script(script, connection, sink) if self.watch else nullcontext(sink)) as watched:
                body.run(connection, watched, direction, effects, self.adapter, statements)
            for sql in self.adapter.script_epilogue(last):
                sink.execute(Statement(sql, 0))
            elapsed = _ms(started)
            if statements is not None:
                sink.write(statements.close(elapsed))
            elif direction == DOWNGRADE:
                sink.write(writes.remove(script.version, journal or APPLIED))
            elif journal:
                sink.write(writes.finish(script, elapsed))
            else:
                sink.write(writes.insert(script, elapsed, vcs_revision=self._revision(script)))
            if not self.rehearsal:
                sink.commit()
        except BaseException as exc:
            kept = mode == JOURNALED and effects.journal_committed
            failure = self._failure(exc, script, body, connection,
                                    partial=mode == JOURNALED and (effects.committed or resume is not None),
                                    journal_kept=kept)
            if kept and statements is not None:
                setattr(failure, "resumable", True)  # the next run continues it (see engine)
            self._drop(sink, connection, exc)
            if isinstance(failure, ScriptFailedError) and kept:
                if statements is not None and (effects.committed or resume is not None):
                    self._settle(connection, statements.failed(), failure)
                elif journal and not effects.committed:
                    self._take_back(connection, script.version, journal, failure)
            _raise(failure, exc)
        if writes.server_elapsed and sink.returned:
            return sink.returned[0]
        return elapsed

    def _autocommit(self, connection, script, direction, body) -> int:
        """The script outside a transaction, fenced before it starts; its row written after."""
        self.close()
        started = time.perf_counter()
        with self.adapter.outside_transaction(connection):
            sink = ConnectionSink(connection, owns_transaction=False)
            try:
                self.lock.fence(sink)
                body.run(connection, sink, direction, Effects(self.adapter), self.adapter)
            except BaseException as exc:
                failure = self._failure(exc, script, body, connection, partial=True)
                if isinstance(failure, ScriptFailedError):
                    failure.partial = True
                    failure.args = (f"{failure.args[0]}\nThe script runs outside a transaction, so "
                                    "the statements before the failing one stay applied.",)
                _raise(failure, exc)
        elapsed = _ms(started)
        writes = self._writes_for(connection)
        sink = ConnectionSink(connection)
        try:
            sink.begin(self.adapter.script_preamble(timeouts=False))
            self.lock.fence(sink)
            sink.write(writes.insert(script, elapsed, vcs_revision=self._revision(script))
                       if direction == UPGRADE else writes.remove(script.version))
            sink.commit()
        except BaseException as exc:
            failure = self._failure(exc, script, body, connection, partial=True)
            self._drop(sink, connection, exc)
            _raise(failure, exc)
        return elapsed

    def _failure(self, exc: BaseException, script, body, connection, *, partial: bool,
                 journal_kept: bool = False) -> BaseException:
        """What a failure inside a script's transaction means, as the error to raise.

        :param journal_kept: whether the script's journal row was committed
            (a lost connection then leaves it for the next run to stop on).
        """
        if isinstance(exc, ScriptFailedError):
            lost = _lost(exc.__cause__, connection)
            if lost is not None:
                lost.partial = journal_kept
                return lost
            exc.partial = partial and (exc.partial or not self.adapter.transactional_ddl)
            return exc
        if isinstance(exc, TrackingConflictError):
            return tracking_conflict(exc.version, exc.expected, partial=True) if partial else exc
        if isinstance(exc, StatementFailed):
            lost = _lost(exc.error, connection)
            if lost is not None:
                lost.partial = journal_kept
                return lost
            if exc.statement is not None and exc.statement is self.lock.fence_statement:
                return lock_lost_error("the session holding it ended")
            failure = statement_failed(exc.error, exc.statement, version=script.version,
                                       path=body.path, partial=partial)
            failure.__cause__ = _as_sqlalchemy_error(exc, connection)
            return failure
        if isinstance(exc, TransactionControlError):  # found as it ran: a file too big to check first
            found = str(exc).replace(" Nothing was run.", "")
            return ScriptFailedError(f"{found} (Found as the script ran, since files over "
                                     f"{PRECHECK_BYTES >> 20} MB are checked then; its transaction was "
                                     "rolled back.)", version=script.version, path=body.path,
                                     line=exc.line, partial=partial)
        if type(exc) is LockgateError:  # the file cannot be split (COPY ... FROM STDIN data)
            return ScriptFailedError(f"{body.path}, {exc}", version=script.version, path=body.path,
                                     partial=partial)
        return exc

    def _sink_for(self, connection, body):
        """The run's driver batch for a SQL script (one pipeline for a whole run); else the connection's."""
        if body.module is None and not self.rehearsal:
            if self._batch is None:
                self._batch = self.adapter.driver_batch(connection)
            return self._batch
        self.close()
        return ConnectionSink(connection, owns_transaction=not self.rehearsal)

    def _drop(self, sink: DriverBatch, connection, exc: BaseException) -> None:
        """Roll back a failed script's transaction; a pipeline is given up with it.

        After an interrupt the statement may still be running: the adapter
        stops it, and the connection is closed rather than reused (the server
        rolls back what it had).
        """
        pipelined = sink is self._batch
        if pipelined:
            self._batch = None
        interrupted = isinstance(exc, KeyboardInterrupt) or isinstance(exc.__cause__, KeyboardInterrupt)
        if interrupted and self.adapter.cancel(connection):
            connection.invalidate()
        elif pipelined or not self.rehearsal:
            sink.abort()

    def close(self) -> None:
        """Hand the connection back to SQLAlchemy; call when the run ends, and before SQLAlchemy uses it."""
        if self._batch is not None:
            batch, self._batch = self._batch, None
            batch.close()

    def _writes_for(self, connection) -> TrackingWrites:
        if self._writes is None:
            self._writes = TrackingWrites(self.tracking, connection.dialect, self.run_id,
                                          self.adapter.elapsed_sql())
        return self._writes

    def _take_back(self, connection, version: str, journal: str, failure: ScriptFailedError) -> None:
        """Undo this run's journal row of a script that failed before changing anything.

        MySQL commits the open transaction before a DDL statement runs, so a
        script whose first DDL statement failed has its ``started`` row
        committed and nothing else: that row goes (only ever this run's own).
        When even that fails (the connection is gone), the row stays and the
        next run stops on it, as after a crash: the failure says so.
        """
        self._settle(connection, self._writes_for(connection).take_back(version, journal), failure)

    def _settle(self, connection, write, failure: ScriptFailedError) -> None:
        """One tracking write after a failed script, in a transaction of its own."""
        sink = ConnectionSink(connection)
        try:
            sink.begin([])
            sink.write(write._replace(expected=None))  # the rollback may have taken it already
            sink.commit()
        except Exception:
            sink.abort()
            failure.partial = True
        finally:
            sink.close()

    def _revision(self, script: Script) -> str | None:
        return self.revisions.for_files(script.file_names) if self.revisions else None


class _SQLBody:
    """A SQL file's statements, checked for transaction control as they stream past."""

    module = None

    def __init__(self, script, item, stream, transactional: bool, adapter, progress):
        self.script, self.item, self.path = script, item, str(item)
        self.stream, self.transactional = stream, transactional
        self.source = _Progress(stream, script, progress, _size(item))

    def run(self, connection, sink, direction, effects: Effects, adapter, journal=None) -> None:
        check = TransactionControlCheck(adapter.split_dialect, self.path) if self.transactional else None
        for statement in iter_statements(self.source, adapter.split_dialect):
            if check is not None and not check.admit(statement):
                continue
            if journal is not None and not journal.admit(statement):
                continue
            effects.before(statement.text)
            sink.execute(statement)
            effects.after(statement.text)
            self.source.tick()
        if check is not None:
            check.finish()


def _raise(failure: BaseException, exc: BaseException):
    """Raise ``failure`` in place of ``exc``, keeping a cause it already names."""
    if failure is exc:
        raise exc
    raise failure from (failure.__cause__ if failure.__cause__ is not None else exc)


def _lost(error, connection):
    """A :class:`ConnectionLostError` when ``error`` was the server going away, else None."""
    from ..errors import ConnectionLostError
    from ..failures import translate

    if error is None:
        return None
    translated = translate(error, connection.engine.url)
    if not isinstance(translated, ConnectionLostError):
        return None
    # The pool must not try to roll back a connection that is gone (it would log a traceback).
    connection.invalidate()
    return translated


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
