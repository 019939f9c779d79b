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

A database migrated by nous.migration has a table ``versions`` with a single
``version bigint`` column. When lockgate's own table is missing and that one
is present, its rows are read as applied scripts, and the first command that
writes copies them into lockgate's table (the old table is left untouched).
"""

from __future__ import annotations

import sqlalchemy as sa

from .records import APPLIED, REVERTING, STARTED, AppliedScript, applied_order, current_user, utc_now

__all__ = ["APPLIED", "REVERTING", "STARTED", "AppliedScript", "applied_order", "current_user",
           "utc_now", "TrackingTable", "TrackingWrites"]


class _Timestamp(sa.types.TypeDecorator):
    """DATETIME with microseconds on MySQL (whose default keeps whole seconds).

    The MySQL type is imported only on MySQL: its dialect package costs every
    other command a noticeable share of start-up time.
    """

    impl = sa.DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name in ("mysql", "mariadb"):
            from sqlalchemy.dialects.mysql import DATETIME

            return dialect.type_descriptor(DATETIME(fsp=6))
        return dialect.type_descriptor(sa.DateTime())


_TIMESTAMP = _Timestamp()


class TrackingTable:
    """Reads and writes the tracking table named in the settings (always quoted)."""

    def __init__(self, name: str = "lockgate_versions", legacy_name: str | None = "versions"):
        self.name = name
        self.legacy_name = legacy_name
        metadata = sa.MetaData()
        self.table = sa.Table(
            sa.quoted_name(name, quote=True), metadata,
            sa.Column("version", sa.String(40), primary_key=True),
            sa.Column("title", sa.String(255), nullable=False),
            sa.Column("kind", sa.String(10), nullable=False),
            sa.Column("checksum", sa.String(64)),
            sa.Column("applied_at", _TIMESTAMP, nullable=False),
            sa.Column("execution_ms", sa.Integer),
            sa.Column("applied_by", sa.String(255)),
            sa.Column("vcs_revision", sa.String(80)),
            sa.Column("state", sa.String(10), nullable=False, server_default=APPLIED),
        )

    def exists(self, connection) -> bool:
        return sa.inspect(connection).has_table(self.name)

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

    def read(self, connection, exists: bool | None = None) -> dict[str, AppliedScript]:
        """Every applied script by version, in one query (legacy rows if that is all there is).

        :param exists: whether the table exists, when the caller already asked.
        """
        if exists if exists is not None else self.exists(connection):
            rows = connection.execute(sa.select(self.table)).all()
            return {row.version: AppliedScript(**row._asdict()) for row in rows}
        legacy = self.legacy_table(connection)
        if legacy is None:
            return {}
        versions = connection.execute(sa.select(legacy.c.version)).scalars()
        return {str(v): AppliedScript(str(v), "", "", None, None, None, "nous.migration")
                for v in versions}

    def ensure(self, connection, scripts_by_version: dict) -> int | None:
        """Create the table if needed; adopt nous.migration rows. Returns rows adopted."""
        if self.exists(connection):
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
                "applied_by": "nous.migration", "state": APPLIED,
            })
        if rows:
            connection.execute(self.table.insert(), rows)
        return len(rows)

    def record(self, connection, script, execution_ms: int | None, *, state: str = APPLIED,
               vcs_revision: str | None = None) -> None:
        connection.execute(self.table.insert().values(
            version=script.version, title=script.title[:255], kind=script.kind,
            checksum=script.checksum, applied_at=utc_now(), execution_ms=execution_ms,
            applied_by=current_user()[:255], vcs_revision=vcs_revision, state=state,
        ))

    def mark(self, connection, version: str, state: str, **values) -> None:
        """Move a row to ``state`` (the journal on databases without transactional DDL)."""
        connection.execute(self.table.update().where(self.table.c.version == version)
                           .values(state=state, **values))

    def record_many(self, connection, scripts) -> None:
        """Mark scripts applied without running them (``setup`` with a canonical schema)."""
        now, user = utc_now(), current_user()[:255]
        rows = [{"version": s.version, "title": s.title[:255], "kind": s.kind,
                 "checksum": s.checksum, "applied_at": now, "execution_ms": None,
                 "applied_by": user, "state": APPLIED} for s in scripts]
        if rows:
            connection.execute(self.table.insert(), rows)

    def remove(self, connection, version: str) -> None:
        connection.execute(self.table.delete().where(self.table.c.version == version))


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


class TrackingWrites:
    """The tracking table's writes for :mod:`lockgate.batch`, which talks to the driver directly.

    :param elapsed: a SQL expression the database computes the script's
        execution time with (PostgreSQL: since its transaction began), or None
        to pass the time measured here.
    """

    def __init__(self, tracking: TrackingTable, dialect, elapsed=None):
        table = tracking.table
        c = table.c
        names = [col.key for col in c if not (elapsed is not None and col.key == "execution_ms")]
        insert = table.insert().values({name: sa.bindparam(name, type_=c[name].type) for name in names})
        if elapsed is not None:
            insert = insert.values(execution_ms=elapsed).returning(c.execution_ms)
        self.server_elapsed = elapsed is not None
        self._insert = DriverStatement(insert, dialect)
        key = sa.bindparam("key", type_=c.version.type)
        self._mark = DriverStatement(table.update().where(c.version == key).values(
            state=sa.bindparam("state", type_=c.state.type),
            execution_ms=sa.bindparam("execution_ms", type_=c.execution_ms.type),
            checksum=sa.bindparam("checksum", type_=c.checksum.type)), dialect)
        self._state = DriverStatement(table.update().where(c.version == key).values(
            state=sa.bindparam("state", type_=c.state.type)), dialect)
        self._remove = DriverStatement(table.delete().where(c.version == key), dialect)

    def insert(self, script, execution_ms: int | None, *, state: str = APPLIED,
               vcs_revision: str | None = None):
        values = dict(version=script.version, title=script.title[:255], kind=script.kind,
                      checksum=script.checksum, applied_at=utc_now(),
                      applied_by=current_user()[:255], vcs_revision=vcs_revision, state=state)
        if not self.server_elapsed:
            values["execution_ms"] = execution_ms
        return self._insert.sql, self._insert.params(**values)

    def finish(self, script, execution_ms: int):
        """The journal's last step: a started row becomes applied."""
        return self._mark.sql, self._mark.params(key=script.version, state=APPLIED,
                                                  execution_ms=execution_ms, checksum=script.checksum)

    def mark(self, version: str, state: str):
        return self._state.sql, self._state.params(key=version, state=state)

    def remove(self, version: str):
        return self._remove.sql, self._remove.params(key=version)
