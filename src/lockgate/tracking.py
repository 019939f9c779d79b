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

import datetime as dt
import getpass
import socket
from dataclasses import asdict, dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

_TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
APPLIED, STARTED, REVERTING = "applied", "started", "reverting"


@dataclass
class AppliedScript:
    """A row of the tracking table."""

    version: str
    title: str
    kind: str
    checksum: str | None
    applied_at: dt.datetime | None
    execution_ms: int | None
    applied_by: str | None
    vcs_revision: str | None = None
    state: str = APPLIED

    @property
    def number(self) -> int:
        return int(self.version)

    def as_dict(self) -> dict:
        data = asdict(self)
        data["applied_at"] = self.applied_at.isoformat() + "Z" if self.applied_at else None
        return data


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def current_user() -> str:
    try:
        user = getpass.getuser()
    except Exception:  # no login name in some containers
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


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


def applied_order(applied: dict[str, AppliedScript]) -> list[AppliedScript]:
    """Applied scripts oldest first, by when they were applied, then by version."""
    return sorted(applied.values(), key=lambda a: (a.applied_at or dt.datetime.min, a.number))
