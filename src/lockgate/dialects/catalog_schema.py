"""A whole schema read from a database's catalog, in the shapes SQLAlchemy's inspector uses.

Each adapter that can read its catalog in bulk fills a :class:`SchemaCatalog`
with a few queries (one per kind of object, for every table at once), so a
snapshot costs the same at step 200 of a stairway as at step 2. The dicts
have the keys the inspector's methods return, so the snapshot normalises
either source with the same code; a column's ``type`` is the database's own
canonical text, or a SQLAlchemy type where the database keeps none (SQLite).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class TableCatalog:
    """One table: inspector-shaped dicts for each kind of object."""

    #: ``name``, ``type``, ``nullable``, ``default``, ``computed`` ({"sqltext": ...} or None).
    columns: list[dict[str, Any]] = field(default_factory=list)
    primary_key: list[str] = field(default_factory=list)
    #: ``name``, ``constrained_columns``, ``referred_table``, ``referred_columns``, ``options``.
    foreign_keys: list[dict[str, Any]] = field(default_factory=list)
    #: ``column_names``.
    unique_constraints: list[dict[str, Any]] = field(default_factory=list)
    #: ``name``, ``column_names``, ``unique``, ``duplicates_constraint``, optional ``where``.
    indexes: list[dict[str, Any]] = field(default_factory=list)
    #: ``sqltext`` of each check constraint.
    check_constraints: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class SchemaCatalog:
    """Every table and view of the connection's schema (or database)."""

    tables: dict[str, TableCatalog] = field(default_factory=dict)
    views: dict[str, str] = field(default_factory=dict)

    def table(self, name: str) -> TableCatalog:
        """The table's entry, made on first use (rows of each query arrive table by table)."""
        entry = self.tables.get(name)
        if entry is None:
            entry = self.tables[name] = TableCatalog()
        return entry


#: What a foreign key's action codes mean (PostgreSQL's ``confdeltype``; SQLite and MySQL give words).
FK_ACTIONS = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}
