"""The locks each statement of a rehearsal takes, read inside the rehearsal's one transaction.

A :class:`LockWatch` is handed to the :class:`~lockgate.run.runner.ScriptRunner`
of ``upgrade --rehearse --locks``. Around each script it wraps the sink, so
that after every statement of a SQL script it asks the adapter's lock reader
which relation locks the transaction now holds; the ones it did not hold
before the statement are the statement's. A Python script's statements are
seen through SQLAlchemy's cursor events, each with the line of the script
that ran it; what a script runs past SQLAlchemy (on the driver's own
connection) is read at the script's end and shown as one entry saying so.

A transaction keeps every lock until it ends, and a rehearsal is one
transaction for all its scripts, so a lock an earlier statement of the
rehearsal already took in the same mode is not seen again: it is shown at
the statement that first took it.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

#: The text of the entry for what a script ran that no statement event saw.
UNSEEN = "(statements run past SQLAlchemy, on the driver's own connection)"


@dataclass
class LockTaken:
    """One relation lock a statement took, and what it keeps other sessions from doing."""

    relation: str
    kind: str
    table: str
    mode: str
    blocks: str
    #: The everyday operations that wait for it (``INSERT/UPDATE/DELETE``, ``CREATE INDEX``...).
    blocked: list[str]
    strength: int
    #: Created by this rehearsal: no other session can see it, so its lock blocks nobody.
    new_relation: bool = False

    def as_dict(self) -> dict:
        return {"relation": self.relation, "kind": self.kind, "table": self.table, "mode": self.mode,
                "blocks": "nothing" if self.new_relation else self.blocks,
                "blocked": [] if self.new_relation else self.blocked,
                "new_relation": self.new_relation}


@dataclass
class StatementLocks:
    """One statement of a script, the locks it took, and how long they were held."""

    line: int | None
    sql: str
    started_ms: int
    elapsed_ms: int
    locks: list[LockTaken] = field(default_factory=list)
    #: From the statement's start to the script's end (its commit, in a real upgrade).
    held_ms: int = 0

    def as_dict(self) -> dict:
        return {"line": self.line, "sql": self.sql, "elapsed_ms": self.elapsed_ms,
                "held_ms": self.held_ms, "locks": [lock.as_dict() for lock in self.locks]}


@dataclass
class ScriptLocks:
    """A script's statements with their locks; ``capture`` is ``statement`` or ``script``."""

    version: str
    title: str
    file: str
    capture: str = "statement"
    elapsed_ms: int = 0
    statements: list[StatementLocks] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"version": self.version, "title": self.title, "file": self.file,
                "capture": self.capture, "elapsed_ms": self.elapsed_ms,
                "statements": [s.as_dict() for s in self.statements]}


class LockWatch:
    """Reads the rehearsal's locks after every statement; :attr:`scripts` holds what it saw.

    :param reader: the adapter's :meth:`~lockgate.dialects.base.DialectAdapter.lock_reader`.
    :param ignore: table names left out (lockgate's tracking table, written between scripts).
    """

    def __init__(self, reader, ignore: tuple[str, ...] = ()):
        self.reader = reader
        self.ignore = {name.rpartition(".")[2].lower() for name in ignore}
        self.scripts: list[ScriptLocks] = []
        self.names: dict | None = None  # every relation before the first script, then each one seen
        self.existing: set[int] = set()

    @contextmanager
    def script(self, script, connection, sink) -> Iterator:
        """Watch one script's statements; yields the sink its SQL statements go through."""
        cursor = connection.connection.driver_connection.cursor()
        try:
            if self.names is None:
                self.names = dict(self.reader.relations(cursor))
                self.existing = set(self.names)
            record = ScriptLocks(script.version, script.title, script.main_file.name)
            self.scripts.append(record)
            seen = _Reading(self, cursor, record, self.reader.held(cursor))
            with _events(connection, seen, str(script.main_file)):
                yield _WatchedSink(sink, seen)
            seen.finish()
        finally:
            cursor.close()

    def lock(self, oid: int, mode: str, cursor) -> LockTaken | None:
        """The lock as the report shows it, or None for a relation left out."""
        assert self.names is not None
        if oid not in self.names:
            self.names.update(self.reader.relations(cursor, [oid]))
        relation = self.names.get(oid)
        if relation is None:
            name, kind, table = f"relation {oid} (dropped)", "relation", f"relation {oid} (dropped)"
        else:
            name, kind, table = relation.name, relation.kind, relation.table
        if table.rpartition(".")[2].lower() in self.ignore:
            return None
        return LockTaken(name, kind, table, mode, self.reader.blocks(mode), self.reader.blocked(mode),
                         self.reader.strength(mode),
                         new_relation=relation is not None and oid not in self.existing)


class _Reading:
    """One script's watch: the locks held so far, and the statements seen."""

    def __init__(self, watch: LockWatch, cursor, record: ScriptLocks, held: set):
        self.watch, self.cursor, self.record, self.held = watch, cursor, record, held
        self.began = time.perf_counter()
        self.python_started: float | None = None

    def after(self, sql: str, line: int | None, started: float) -> None:
        ended = time.perf_counter()
        now = self.watch.reader.held(self.cursor)
        taken = [self.watch.lock(oid, mode, self.cursor) for oid, mode in sorted(now - self.held)]
        self.held = now
        self.record.statements.append(StatementLocks(
            line, " ".join(sql.split()), _ms(started - self.began), _ms(ended - started),
            sorted((lock for lock in taken if lock is not None),
                   key=lambda lock: (lock.table, lock.relation, -lock.strength))))

    def finish(self) -> None:
        """Locks nothing was seen taking go to one entry; every lock is held until the script ends."""
        ended = time.perf_counter()
        if self.watch.reader.held(self.cursor) - self.held:
            seen = len(self.record.statements)
            self.after(UNSEEN, None, self.began)  # taken when, it cannot tell: since the start
            if not self.record.statements[-1].locks:
                self.record.statements.pop()
            elif not seen:
                self.record.capture = "script"
        self.record.elapsed_ms = _ms(ended - self.began)
        for statement in self.record.statements:
            statement.held_ms = self.record.elapsed_ms - statement.started_ms


class _WatchedSink:
    """A sink that reports each of the script's own statements after running it."""

    def __init__(self, sink, reading: _Reading):
        self._sink, self._reading = sink, reading

    def execute(self, statement) -> None:
        started = time.perf_counter()
        self._sink.execute(statement)
        if statement.line:  # line 0: lockgate's own statements
            self._reading.after(statement.text, statement.line, started)

    def __getattr__(self, name):
        return getattr(self._sink, name)


@contextmanager
def _events(connection, reading: _Reading, filename: str) -> Iterator[None]:
    """Statements a Python script runs through SQLAlchemy, each reported with its line."""
    from sqlalchemy import event

    def before(conn, cursor, statement, *args):
        reading.python_started = time.perf_counter()

    def after(conn, cursor, statement, *args):
        started = reading.python_started or time.perf_counter()
        reading.after(statement, _line_in(filename), started)

    event.listen(connection, "before_cursor_execute", before)
    event.listen(connection, "after_cursor_execute", after)
    try:
        yield
    finally:
        event.remove(connection, "before_cursor_execute", before)
        event.remove(connection, "after_cursor_execute", after)


def _line_in(filename: str) -> int | None:
    """The line of the script file that is running the statement now."""
    for frame in reversed(traceback.extract_stack()):
        if frame.filename == filename:
            return frame.lineno
    return None


def _ms(seconds: float) -> int:
    return round(seconds * 1000)
