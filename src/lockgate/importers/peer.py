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
    :param created: when the peer says the migration was written, if it says.
    :param parents: peer ids this one comes after (Alembic's down revisions).
    :param notes: things the user should know about this conversion.
    """

    peer_id: str
    slug_source: str
    upgrade: str
    downgrade: str | None = None
    kind: str = SQL
    created: dt.datetime | None = None
    parents: tuple[str, ...] = ()
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


def read_peer_ids(connection, table: str, column: str, tool: str) -> set[str]:
    """The ids in a peer tool's own tracking table, read only; a clear error when it is missing."""
    import sqlalchemy as sa

    if not sa.inspect(connection).has_table(table):
        raise ConfigError(
            f"--mark-applied: the database has no {table} table, so {tool} never "
            "migrated it and there is nothing to mark. Leave out --mark-applied and run "
            "`lockgate upgrade` to apply the imported scripts.")
    return set(connection.execute(sa.text(f"SELECT {column} FROM {table}")).scalars())
