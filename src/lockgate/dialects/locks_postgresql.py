"""Reading the table locks a PostgreSQL transaction holds, and what each one blocks.

``upgrade --rehearse --locks`` asks, after every statement of a rehearsal,
which relation locks the rehearsal's own transaction holds (``pg_locks``).
What a lock blocks is derived from PostgreSQL's conflict table
(https://www.postgresql.org/docs/current/explicit-locking.html), never
written out by hand per mode: a mode blocks *reads* when it conflicts with
``AccessShareLock`` (what a plain ``SELECT`` takes) and *writes* when it
conflicts with ``RowExclusiveLock`` (``INSERT``/``UPDATE``/``DELETE``).
"""

from __future__ import annotations

from dataclasses import dataclass

#: The table-level modes, weakest first (PostgreSQL's own numbering, 1 to 8).
MODES = ("AccessShareLock", "RowShareLock", "RowExclusiveLock", "ShareUpdateExclusiveLock",
         "ShareLock", "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock")

#: Which modes each mode conflicts with: the table in PostgreSQL's documentation.
CONFLICTS: dict[str, frozenset[str]] = {
    "AccessShareLock": frozenset({"AccessExclusiveLock"}),
    "RowShareLock": frozenset({"ExclusiveLock", "AccessExclusiveLock"}),
    "RowExclusiveLock": frozenset({"ShareLock", "ShareRowExclusiveLock", "ExclusiveLock",
                                   "AccessExclusiveLock"}),
    "ShareUpdateExclusiveLock": frozenset({"ShareUpdateExclusiveLock", "ShareLock",
                                           "ShareRowExclusiveLock", "ExclusiveLock",
                                           "AccessExclusiveLock"}),
    "ShareLock": frozenset({"RowExclusiveLock", "ShareUpdateExclusiveLock", "ShareRowExclusiveLock",
                            "ExclusiveLock", "AccessExclusiveLock"}),
    "ShareRowExclusiveLock": frozenset({"RowExclusiveLock", "ShareUpdateExclusiveLock", "ShareLock",
                                        "ShareRowExclusiveLock", "ExclusiveLock",
                                        "AccessExclusiveLock"}),
    "ExclusiveLock": frozenset({"RowShareLock", "RowExclusiveLock", "ShareUpdateExclusiveLock",
                                "ShareLock", "ShareRowExclusiveLock", "ExclusiveLock",
                                "AccessExclusiveLock"}),
    "AccessExclusiveLock": frozenset(MODES),
}

#: What other sessions commonly do, and the mode each takes: what a lock is said to block.
OPERATIONS = (("SELECT", "AccessShareLock"), ("SELECT FOR UPDATE", "RowShareLock"),
              ("INSERT/UPDATE/DELETE", "RowExclusiveLock"),
              ("VACUUM/ANALYZE", "ShareUpdateExclusiveLock"), ("CREATE INDEX", "ShareLock"),
              ("CREATE TRIGGER", "ShareRowExclusiveLock"), ("ALTER TABLE/DROP", "AccessExclusiveLock"))

_KINDS = {"r": "table", "p": "table", "i": "index", "I": "index", "S": "sequence", "v": "view",
          "m": "materialized view", "f": "foreign table", "c": "type", "t": "toast table"}


@dataclass(frozen=True)
class Relation:
    """A relation as a lock report names it: ``schema.name``, its kind, and its table (for an index)."""

    name: str
    kind: str
    table: str


def strength(mode: str) -> int:
    """1 (AccessShareLock) to 8 (AccessExclusiveLock); 0 for a mode that is not a table lock."""
    return MODES.index(mode) + 1 if mode in MODES else 0


def blocks_reads(mode: str) -> bool:
    return "AccessShareLock" in CONFLICTS.get(mode, ())


def blocks_writes(mode: str) -> bool:
    return "RowExclusiveLock" in CONFLICTS.get(mode, ())


def blocks(mode: str) -> str:
    """What ``mode`` keeps other sessions from doing, in plain words, read off :data:`CONFLICTS`:
    ``reads and writes``, ``writes`` or ``neither reads nor writes``."""
    if blocks_reads(mode):
        return "reads and writes" if blocks_writes(mode) else "reads"
    return "writes" if blocks_writes(mode) else "neither reads nor writes"


def blocked(mode: str) -> list[str]:
    """The everyday operations (:data:`OPERATIONS`) that wait while ``mode`` is held."""
    return [operation for operation, taken in OPERATIONS if taken in CONFLICTS.get(mode, ())]


# The rehearsal's own relation locks. System schemas are left out: they are the
# catalog reads every statement (and this query) makes, which block nobody.
_HELD_SQL = """
SELECT l.relation, l.mode FROM pg_locks l
WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.granted
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
"""

_RELATIONS_SQL = """
SELECT c.oid, n.nspname, c.relname, c.relkind, tn.nspname, t.relname
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_index x ON x.indexrelid = c.oid
LEFT JOIN pg_class t ON t.oid = x.indrelid
LEFT JOIN pg_namespace tn ON tn.oid = t.relnamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
  AND n.nspname NOT LIKE 'pg_temp%' AND {where}
"""


class PostgreSQLLockReader:
    """Reads ``pg_locks`` and names relations, on a raw DBAPI cursor inside the transaction watched."""

    def held(self, cursor) -> set[tuple[int, str]]:
        """``(relation oid, mode)`` for every relation lock this session holds."""
        cursor.execute(_HELD_SQL)
        return {(int(oid), mode) for oid, mode in cursor.fetchall()}

    def relations(self, cursor, oids=None) -> dict[int, Relation]:
        """User relations by oid (all of them, or only ``oids``); catalog relations are left out."""
        if oids is not None and not oids:
            return {}
        where = "TRUE" if oids is None else "c.oid IN (" + ", ".join(str(int(o)) for o in oids) + ")"
        cursor.execute(_RELATIONS_SQL.format(where=where))
        found = {}
        for oid, schema, name, kind, table_schema, table in cursor.fetchall():
            qualified = f"{schema}.{name}"
            owner = f"{table_schema}.{table}" if table else qualified
            found[int(oid)] = Relation(qualified, _KINDS.get(kind, "relation"), owner)
        return found

    blocks = staticmethod(blocks)
    blocked = staticmethod(blocked)
    strength = staticmethod(strength)
