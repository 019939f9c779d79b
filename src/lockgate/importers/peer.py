"""What an importer reads from another tool's folder, before it becomes lockgate files.

Each tool module (:mod:`.alembic`, :mod:`.yoyo`) turns the peer's migrations
into :class:`PeerScript` objects in the order the peer applies them; writing
and marking work on these alone, so they know nothing about either tool.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ..errors import ConfigError

SQL, PY = "sql", "py"


@dataclass
class PeerScript:
    """One migration of the peer tool, converted to the text of one lockgate script.

    :param peer_id: the peer's own id (Alembic revision, yoyo migration id),
        kept in the script's first line so the script can be traced back.
    :param slug_source: text the file name's title is slugged from.
    :param upgrade: the main file's body (SQL, or Python source for ``kind == "py"``).
    :param downgrade: the ``_downgrade.sql`` body, or None when there is none.
    :param upgrade_sql: for a Python script, the ``_upgrade.sql`` it runs, if any.
    :param how: how the migration was converted, and why, for the import's summary.
    :param created: when the peer says the migration was written, if it says.
    :param parents: peer ids this one comes after (Alembic's down revisions).
    :param notes: things the user should know about this conversion.
    """

    peer_id: str
    slug_source: str
    upgrade: str
    downgrade: str | None = None
    kind: str = SQL
    upgrade_sql: str | None = None
    how: str = ""
    created: dt.datetime | None = None
    parents: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)


@dataclass
class PeerHistory:
    """A peer's migrations in order, and where the peer records what it applied.

    :param table: the peer's tracking table, as its configuration names it.
    :param schema: the schema that table is in, when the configuration says.
    :param notes: things the user should know about the whole history.
    """

    scripts: list[PeerScript]
    table: str
    schema: str | None = None
    notes: list[str] = field(default_factory=list)


def ancestors_and_self(peers: list[PeerScript], ids: set[str]) -> set[str]:
    """``ids`` and every peer id they descend from (what a database at ``ids`` has applied)."""
    parents = {p.peer_id: p.parents for p in peers}
    seen: set[str] = set()
    todo = list(ids)
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        todo.extend(parents.get(current, ()))
    return seen


def read_peer_ids(connection, table: str, column: str, tool: str, schema: str | None = None) -> set[str]:
    """The ids in a peer tool's own tracking table, read only; a clear error when it is missing."""
    import sqlalchemy as sa

    where = f"{schema}.{table}" if schema else table
    if not sa.inspect(connection).has_table(table, schema=schema):
        raise ConfigError(
            f"--mark-applied: the database has no {where} table, so {tool} never "
            "migrated it and there is nothing to mark. Leave out --mark-applied and run "
            "`lockgate upgrade` to apply the imported scripts.")
    peer_table = sa.table(table, sa.column(column), schema=schema)
    return set(connection.execute(sa.select(peer_table.c[column])).scalars())
