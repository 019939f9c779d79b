"""The tracking table: one row per applied script.

Columns: version, title, kind, checksum of the script's files, applied_at
(UTC), execution_ms (NULL when the script was marked applied by ``setup``
without running), applied_by (user@host), vcs_revision (the commit the files
came from, ``-dirty`` when they differed from it) and state. Versions are
stored as text so any number of digits fits; they are ordered numerically in
Python.

``state`` is ``applied`` except on databases whose DDL commits implicitly
(MariaDB, MySQL). There a script's row is written as ``started`` before it
runs and turned into ``applied`` after, and a revert marks it ``reverting``
first: a row left in either state means a run stopped inside a script.
``journal`` then says how far it got (:mod:`lockgate.run.journal`).

A database migrated by nous.migration has a table ``versions`` with a single
``version bigint`` column. When lockgate's own table is missing and that one
is present, its rows are read as applied scripts, and the first command that
writes copies them into lockgate's table (the old table is left untouched).
"""

from __future__ import annotations

import secrets
from typing import Any, NamedTuple

import sqlalchemy as sa

from .records import APPLIED, REVERTING, STARTED, AppliedScript, applied_order, current_user, utc_now

__all__ = ["APPLIED", "REVERTING", "STARTED", "AppliedScript", "applied_order", "current_user",
           "utc_now", "TrackingTable", "TrackingWrites", "Write", "FORMAT", "new_run_id",
           "tracking_conflict"]




#: The tracking table's own format, read off its columns so that no other table
#: is needed: 1, the columns up to ``state`` (lockgate 0.1); 2, ``run_id``, the
#: run that last wrote a row; 3, ``journal``, how far an unfinished SQL script
#: got on MariaDB/MySQL. :data:`FORMAT_STEPS` bring an older table up to date.
FORMAT = 3
#: The column each format after the first added, by format.
FORMAT_COLUMNS = {2: "run_id", 3: "journal"}
#: Columns every format has, read by every command (reading never upgrades).
ROW_COLUMNS = ("version", "title", "kind", "checksum", "applied_at", "execution_ms", "applied_by",
               "vcs_revision", "state")


def new_run_id() -> str:
    """A token naming one run's rows, so clean-up only ever touches rows this run wrote."""
    return secrets.token_hex(16)


class TrackingTable:
    """Reads and writes the tracking table named in the settings (always quoted).

    A command that writes first *pins* the table (:meth:`pin`) to the schema
    (PostgreSQL) or database (MySQL) it was found or is created in, so every
    later statement names it in full and a script's ``SET search_path`` or
    ``USE`` cannot send tracking rows elsewhere.
    """

    def __init__(self, name: str = "lockgate_versions", legacy_name: str | None = "versions",
                 timestamp_type=None):
        """:param timestamp_type: the type of ``applied_at`` (the adapter's ``timestamp_type()``)."""
        self.name = name
        self.legacy_name = legacy_name
        self.timestamp_type = timestamp_type if timestamp_type is not None else sa.DateTime()
        self.schema: str | None = None
        self.table = self._define(None)

    def _define(self, schema: str | None) -> sa.Table:
        metadata = sa.MetaData()
        return sa.Table(
            sa.quoted_name(self.name, quote=True), metadata,
            sa.Column("version", sa.String(40), primary_key=True),
            sa.Column("title", sa.String(255), nullable=False),
            sa.Column("kind", sa.String(10), nullable=False),
            sa.Column("checksum", sa.String(64)),
            sa.Column("applied_at", self.timestamp_type, nullable=False),
            sa.Column("execution_ms", sa.Integer),
            sa.Column("applied_by", sa.String(255)),
            sa.Column("vcs_revision", sa.String(80)),
            sa.Column("state", sa.String(10), nullable=False, server_default=APPLIED),
            sa.Column("run_id", sa.String(32)),
            sa.Column("journal", sa.String(80)),
            schema=schema,
        )

    def pin(self, schema: str | None) -> None:
        """Name the table with its schema from now on (None: leave it unqualified)."""
        if schema != self.schema:
            self.schema = schema
            self.table = self._define(schema)

    def exists(self, connection) -> bool:
        return sa.inspect(connection).has_table(self.name, schema=self.schema)

    def legacy_table(self, connection) -> sa.Table | None:
        """nous.migration's ``versions`` table, when it is there and has its shape."""
        if not self.legacy_name:
            return None
        inspector = sa.inspect(connection)
        if not inspector.has_table(self.legacy_name):
            return None
        columns = [c["name"].lower() for c in inspector.get_columns(self.legacy_name)]
        if columns != ["version"]:
            return None
        return sa.Table(sa.quoted_name(self.legacy_name, quote=True), sa.MetaData(),
                        sa.Column("version", sa.BigInteger))

    def create(self, connection) -> None:
        self.table.create(connection, checkfirst=True)

    def upgrade_format(self, connection) -> int | None:
        """Bring a tracking table made by an older lockgate up to :data:`FORMAT`, in place.

        Returns the format it had when it was older, else None. Each step adds
        what its format added, so a step cut short (MySQL commits each DDL
        statement on its own) is finished by the next run.
        """
        found = self.format(connection)
        for step in FORMAT_STEPS[found - 1:]:
            step(self, connection)
        return found if found < FORMAT else None

    def format(self, connection) -> int:
        """The format of the existing table, read off its columns.

        The names come from a query of no rows: on PostgreSQL, reflecting the
        table instead cost every run about 10 ms of CPU for its catalog query.
        """
        query = sa.select(sa.text("*")).select_from(self.table).where(sa.false())
        columns = {name.lower() for name in connection.execute(query).keys()}
        found = 1
        for number, column in sorted(FORMAT_COLUMNS.items()):
            if column in columns:
                found = number
        return found

    def read(self, connection, exists: bool | None = None) -> dict[str, AppliedScript]:
        """Every applied script by version, in one query (legacy rows if that is all there is).

        Only the columns every format has are read, so reading works on any table.

        :param exists: whether the table exists, when the caller already asked.
        """
        if exists if exists is not None else self.exists(connection):
            columns = [self.table.c[name] for name in ROW_COLUMNS]
            rows = connection.execute(sa.select(*columns)).all()
            return {row.version: AppliedScript(**row._asdict()) for row in rows}
        legacy = self.legacy_table(connection)
        if legacy is None:
            return {}
        versions = connection.execute(sa.select(legacy.c.version)).scalars()
        return {str(v): AppliedScript(str(v), "", "", None, None, None, "nous.migration")
                for v in versions}

    def journal_of(self, connection, version: str) -> str | None:
        """The ``journal`` of one row (read only for an unfinished row, on a table of today's format)."""
        c = self.table.c
        return connection.execute(sa.select(c.journal).where(c.version == version)).scalar()

    def ensure(self, connection, scripts_by_version: dict, run_id: str | None = None) -> int | None:
        """Create the table if needed (or bring it to today's format); adopt nous.migration rows.

        Returns the number of rows adopted.
        """
        if self.exists(connection):
            self.upgrade_format(connection)
            return None
        legacy = self.legacy_table(connection)
        self.create(connection)
        if legacy is None:
            return None
        versions = connection.execute(sa.select(legacy.c.version)).scalars().all()
        now = utc_now()
        rows = []
        for version in versions:
            script = scripts_by_version.get(str(version))
            rows.append({
                "version": str(version),
                "title": script.title if script else "(adopted from nous.migration)",
                "kind": script.kind if script else "unknown",
                "checksum": script.checksum if script else None,
                "applied_at": now, "execution_ms": None,
                "applied_by": "nous.migration", "state": APPLIED, "run_id": run_id,
            })
        if rows:
            connection.execute(self.table.insert(), rows)
        return len(rows)

    def record(self, connection, script, execution_ms: int | None, *, state: str = APPLIED,
               vcs_revision: str | None = None, run_id: str | None = None) -> None:
        connection.execute(self.table.insert().values(
            version=script.version, title=script.title[:255], kind=script.kind,
            checksum=script.checksum, applied_at=utc_now(), execution_ms=execution_ms,
            applied_by=current_user()[:255], vcs_revision=vcs_revision, state=state, run_id=run_id,
        ))

    def mark(self, connection, version: str, expected: str, state: str, **values) -> None:
        """Move a row from state ``expected`` to ``state``; exactly that row, or an error."""
        c = self.table.c
        result = connection.execute(self.table.update()
                                    .where(c.version == version, c.state == expected)
                                    .values(state=state, **values))
        _exactly_one(result.rowcount, version, expected)

    def record_many(self, connection, scripts, run_id: str | None = None) -> None:
        """Mark scripts applied without running them (``setup`` with a canonical schema)."""
        now, user = utc_now(), current_user()[:255]
        rows = [{"version": s.version, "title": s.title[:255], "kind": s.kind,
                 "checksum": s.checksum, "applied_at": now, "execution_ms": None,
                 "applied_by": user, "state": APPLIED, "run_id": run_id} for s in scripts]
        if rows:
            connection.execute(self.table.insert(), rows)

    def remove(self, connection, version: str, expected: str) -> None:
        """Delete the row of ``version`` in state ``expected``; exactly that row, or an error."""
        c = self.table.c
        result = connection.execute(self.table.delete().where(c.version == version, c.state == expected))
        _exactly_one(result.rowcount, version, expected)


def _exactly_one(rowcount: int, version: str, expected: str) -> None:
    if rowcount != 1:
        raise tracking_conflict(version, expected)


def tracking_conflict(version: str, expected: str, *, partial: bool = False):
    """The error for a tracking row that was not as this run left or read it."""
    from .errors import TrackingConflictError

    where = ("Its changes may be in place (this database commits DDL as it goes): check the "
             "schema, then settle the script with `lockgate resolve " + version + " --applied` "
             "or `--reverted`." if partial else "Nothing of this step was committed.")
    return TrackingConflictError(
        f"The tracking row of script {version} was not in the state this run expected "
        f"({expected}): something else changed the tracking table during the run (another "
        f"migrator without the lock, or a hand edit). The run stopped. {where} Run "
        "`lockgate status` to see where the database stands.", version=version, expected=expected,
        partial=partial)


def _add_run_id(tracking: TrackingTable, connection) -> None:
    """Format 1 to 2: the ``run_id`` column; rows written before it have none."""
    name = connection.dialect.identifier_preparer.format_table(tracking.table)
    connection.exec_driver_sql(f"ALTER TABLE {name} ADD COLUMN run_id VARCHAR(32)")


def _add_journal(tracking: TrackingTable, connection) -> None:
    """Format 2 to 3: the ``journal`` column; rows written before it have none."""
    name = connection.dialect.identifier_preparer.format_table(tracking.table)
    connection.exec_driver_sql(f"ALTER TABLE {name} ADD COLUMN journal VARCHAR(80)")


#: ``FORMAT_STEPS[n - 1]`` turns format n into n + 1; each step adds one column
#: in one statement, so a crash between steps leaves a table of the earlier format.
FORMAT_STEPS = [_add_run_id, _add_journal]


class DriverStatement:
    """One of the tracking table's writes compiled once to the driver's SQL and parameter style."""

    def __init__(self, statement, dialect):
        compiled = statement.compile(dialect=dialect)
        self.sql = compiled.string
        self.positions = compiled.positiontup
        self.processors = {}
        for name, bind in compiled.binds.items():
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self.processors[name] = processor

    def params(self, **values):
        for name, processor in self.processors.items():
            values[name] = processor(values[name])
        if self.positions is not None:
            return [values[name] for name in self.positions]
        return values


class Write(NamedTuple):
    """One tracking write for the driver: SQL, parameters, and what it must change.

    ``version``/``expected`` name the row an UPDATE or DELETE must change
    (exactly one); an INSERT has ``expected`` None.
    """

    sql: str
    params: Any
    version: str
    expected: str | None = None


class TrackingWrites:
    """The tracking table's writes for :mod:`lockgate.dialects.sink`, which talks to the driver directly.

    Every UPDATE and DELETE names the version and the state it expects, and
    rows this run wrote as ``started``/``reverting`` also by this run's id, so
    a clean-up never touches a row another run wrote.

    :param run_id: this run's token (see :func:`new_run_id`).
    :param elapsed: a SQL expression the database computes the script's
        execution time with (PostgreSQL: since its transaction began), or None
        to pass the time measured here.
    """

    def __init__(self, tracking: TrackingTable, dialect, run_id: str, elapsed=None):
        self.run_id = run_id
        self.server_elapsed = elapsed is not None
        (self._insert, self._finish, self._claim, self._note, self._take_over, self._set_journal,
         self._restore, self._remove, self._remove_ours) = _compiled_writes(tracking, dialect, elapsed)

    def insert(self, script, execution_ms: int | None, *, state: str = APPLIED,
               vcs_revision: str | None = None, journal: str | None = None) -> Write:
        values = dict(version=script.version, title=script.title[:255], kind=script.kind,
                      checksum=script.checksum, applied_at=utc_now(), run_id=self.run_id,
                      applied_by=current_user()[:255], vcs_revision=vcs_revision, state=state,
                      journal=journal)
        if not self.server_elapsed:
            values["execution_ms"] = execution_ms
        return Write(self._insert.sql, self._insert.params(**values), script.version)

    def finish(self, script, execution_ms: int) -> Write:
        """The journal's last step: this run's started row becomes applied."""
        return Write(self._finish.sql, self._finish.params(
            key=script.version, expected=STARTED, run_id=self.run_id, state=APPLIED,
            execution_ms=execution_ms, checksum=script.checksum), script.version, STARTED)

    def start_revert(self, version: str, journal: str | None = None) -> Write:
        """The journal's first step of a revert: an applied row becomes this run's reverting row."""
        return Write(self._claim.sql, self._claim.params(
            key=version, expected=APPLIED, state=REVERTING, run_id=self.run_id, journal=journal),
            version, APPLIED)

    def note(self, version: str, state: str, journal: str) -> Write:
        """How far this run got in a script, on its own unfinished row (see :mod:`lockgate.run.journal`)."""
        return Write(self._note.sql, self._note.params(
            key=version, expected=state, run_id=self.run_id, journal=journal), version, state)

    def take_over(self, version: str, state: str, journal: str) -> Write:
        """An earlier run's unfinished row, exactly as it was read, becomes this run's to resume."""
        return Write(self._take_over.sql, self._take_over.params(
            key=version, expected=state, was=journal, run_id=self.run_id), version, state)

    def set_journal(self, version: str, state: str, journal: str) -> Write:
        """The journal of an unfinished row, whichever run wrote it (a failure's last word)."""
        return Write(self._set_journal.sql, self._set_journal.params(
            key=version, expected=state, journal=journal), version, state)

    def take_back(self, version: str, journal_state: str) -> Write:
        """Undo this run's journal row of a script that failed before changing anything."""
        if journal_state == STARTED:
            return Write(self._remove_ours.sql, self._remove_ours.params(
                key=version, expected=STARTED, run_id=self.run_id), version, STARTED)
        return Write(self._restore.sql, self._restore.params(
            key=version, expected=REVERTING, run_id=self.run_id, state=APPLIED), version, REVERTING)

    def remove(self, version: str, expected: str = APPLIED) -> Write:
        """A reverted script's row goes: an applied one, or this run's reverting one."""
        if expected == REVERTING:
            return Write(self._remove_ours.sql, self._remove_ours.params(
                key=version, expected=REVERTING, run_id=self.run_id), version, REVERTING)
        return Write(self._remove.sql, self._remove.params(key=version, expected=expected),
                     version, expected)


#: Compiled writes by what their SQL depends on (see :func:`_compiled_writes`); small and bounded.
_COMPILED: dict[tuple, tuple[DriverStatement, ...]] = {}
_SIMPLE = (str, int, float, bool, type(None), tuple, type)


def _dialect_key(dialect) -> tuple:
    """What a dialect's compiled SQL can depend on: its class and its plain settings.

    Each run has an engine (and dialect) of its own, but runs against one kind
    of server compile the same nine statements: about 5 ms of CPU a run saved.
    """
    return type(dialect), tuple(sorted((name, value) for name, value in vars(dialect).items()
                                       if isinstance(value, _SIMPLE) and _hashable(value)))


def _hashable(value) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _compiled_writes(tracking: TrackingTable, dialect, elapsed) -> tuple[DriverStatement, ...]:
    """The tracking table's nine writes for this dialect, compiled once per process."""
    key = (_dialect_key(dialect), tracking.name, tracking.schema, repr(tracking.timestamp_type),
           None if elapsed is None else (str(elapsed), repr(elapsed.type)))
    compiled = _COMPILED.get(key)
    if compiled is None:
        if len(_COMPILED) >= 64:
            _COMPILED.clear()
        compiled = _COMPILED[key] = _compile_writes(tracking.table, dialect, elapsed)
    return compiled


def _compile_writes(table: sa.Table, dialect, elapsed) -> tuple[DriverStatement, ...]:
    c = table.c
    names = [col.key for col in c if not (elapsed is not None and col.key == "execution_ms")]
    insert = table.insert().values({name: sa.bindparam(name, type_=c[name].type) for name in names})
    if elapsed is not None:
        insert = insert.values(execution_ms=elapsed).returning(c.execution_ms)

    def param(name):
        return sa.bindparam(name, type_=c[name].type)

    key, expected, mine = (sa.bindparam("key", type_=c.version.type),
                           sa.bindparam("expected", type_=c.state.type), param("run_id"))
    ours = (c.version == key, c.state == expected, c.run_id == mine)
    was = sa.bindparam("was", type_=c.journal.type)
    statements = (
        insert,
        table.update().where(*ours).values(state=param("state"), execution_ms=param("execution_ms"),
                                           checksum=param("checksum"), journal=sa.null()),
        table.update().where(c.version == key, c.state == expected)
        .values(state=param("state"), run_id=mine, journal=param("journal")),
        table.update().where(*ours).values(journal=param("journal")),
        table.update().where(c.version == key, c.state == expected, c.journal == was).values(run_id=mine),
        table.update().where(c.version == key, c.state == expected).values(journal=param("journal")),
        table.update().where(*ours).values(state=param("state"), journal=sa.null()),
        table.delete().where(c.version == key, c.state == expected),
        table.delete().where(*ours),
    )
    return tuple(DriverStatement(statement, dialect) for statement in statements)
