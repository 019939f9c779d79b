"""Schema snapshots: what a database holds, normalised so that equal schemas compare equal.

A snapshot is read from the database's catalog (by its adapter: a few
queries for the whole schema; SQLAlchemy's inspector where the adapter has
no reader) and flattened into plain strings, one per table item (``column email``, ``index ix_tasks_user_id``,
``unique (email)``...). Comparing two snapshots is then comparing dicts, and
the differences read as sentences. Constraints compare by content, never by
name: a database generates names for unnamed ones (``users_email_key`` on
PostgreSQL, ``email`` on MariaDB, none on SQLite), and two routes to the same
schema (running scripts, installing a ``schema.sql``) need not agree on them.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # SQLAlchemy (below the adapters) is imported when a snapshot is taken
    from ..dialects.catalog_schema import SchemaCatalog, TableCatalog

#: Tables never compared: lockgate's tracking table is added by the caller;
#: ``versions`` is nous.migration's, which lockgate adopts.
ALWAYS_EXCLUDED = ("versions",)


@dataclass
class Snapshot:
    """A database's schema as ``{table: {item: description}}`` plus ``{view: definition}``."""

    dialect: str
    tables: dict[str, dict[str, str]] = field(default_factory=dict)
    views: dict[str, str] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """The snapshot as sorted text lines, for a unified diff."""
        out = []
        for name in sorted(self.tables):
            out.append(f"table {name}")
            for item, text in sorted(self.tables[name].items()):
                out.append(f"    {item}{' ' + text if text else ''}")
        for name in sorted(self.views):
            out.append(f"view {name} AS {self.views[name]}")
        return out

    def __eq__(self, other) -> bool:
        if not isinstance(other, Snapshot):
            return NotImplemented
        return self.tables == other.tables and self.views == other.views


def take_snapshot(bind, exclude=("lockgate_versions",)) -> Snapshot:
    """Read the schema of an engine or connection, leaving out the ``exclude`` tables.

    The adapter reads the whole schema with a few catalog queries where it
    can (one per kind of object), so a snapshot costs about the same at
    step 200 of a stairway as at step 2; otherwise SQLAlchemy's inspector
    reads it table by table. Both give the same dicts, normalised here.

    :param bind: a SQLAlchemy ``Engine`` or ``Connection``.
    :param exclude: table names to leave out (the tracking table).
    """
    from sqlalchemy.engine import Connection

    if not isinstance(bind, Connection):
        with bind.connect() as connection:
            return take_snapshot(connection, exclude)
    from ..dialects import adapter_for

    dialect = bind.dialect
    adapter = adapter_for(dialect)
    catalog = adapter.schema_catalog(bind) or read_with_inspector(bind, adapter)
    skip = {name.lower() for name in (*exclude, *ALWAYS_EXCLUDED)}
    snapshot = Snapshot(dialect.name)
    for name, table in catalog.tables.items():
        if name.lower() not in skip:
            snapshot.tables[name] = _table_items(table, dialect, adapter)
    for name, definition in catalog.views.items():
        snapshot.views[name] = _squeeze(str(definition)).lower()
    return snapshot


class SnapshotReader:
    """Snapshots of one database taken one after another, each re-reading only what changed.

    The stairway takes two snapshots per script; reading the whole schema
    each time would make every step slower than the one before. The
    adapter's fingerprints (:meth:`~lockgate.dialects.base.DialectAdapter.schema_fingerprints`)
    say which tables changed since the last snapshot; only those are read
    again, with the tables whose foreign keys name a changed or vanished one
    (their items name it). Views are read every time, since a view's text
    follows the tables it reads. Without fingerprints every snapshot reads
    everything, as :func:`take_snapshot` does.
    """

    def __init__(self, exclude: tuple[str, ...] = ("lockgate_versions",)) -> None:
        self.skip = {name.lower() for name in (*exclude, *ALWAYS_EXCLUDED)}
        #: table -> (fingerprint, items, tables its foreign keys name)
        self.known: dict[str, tuple[str, dict[str, str], set[str]]] = {}

    def take(self, connection) -> Snapshot:
        """The schema now; ``connection`` must be on the same database every time."""
        from ..dialects import adapter_for

        adapter = adapter_for(connection.dialect)
        fingerprints = adapter.schema_fingerprints(connection)
        if fingerprints is None:
            return take_snapshot(connection, tuple(self.skip))
        fingerprints = {name: text for name, text in fingerprints.items() if name.lower() not in self.skip}
        changed = {name for name, text in fingerprints.items()
                   if name not in self.known or self.known[name][0] != text}
        stale = changed | (set(self.known) - set(fingerprints))
        changed |= {name for name, (_, _, refers) in self.known.items()
                    if name in fingerprints and refers & stale}
        catalog = adapter.schema_catalog(connection, changed)
        known = {}
        for name, text in fingerprints.items():
            if name in changed:
                table = catalog.tables.get(name) or _empty_table()
                refers = {fk["referred_table"] for fk in table.foreign_keys}
                known[name] = (text, _table_items(table, connection.dialect, adapter), refers)
            else:
                known[name] = self.known[name]
        self.known = known
        snapshot = Snapshot(connection.dialect.name, {name: dict(entry[1]) for name, entry in known.items()})
        for name, definition in catalog.views.items():
            snapshot.views[name] = _squeeze(str(definition)).lower()
        return snapshot


def _empty_table() -> TableCatalog:
    from ..dialects.catalog_schema import TableCatalog

    return TableCatalog()


def read_with_inspector(connection, adapter) -> SchemaCatalog:
    """The schema as SQLAlchemy's inspector reads it, table by table (databases without a catalog reader)."""
    from sqlalchemy import inspect

    from ..dialects.catalog_schema import SchemaCatalog, TableCatalog

    inspector = inspect(connection)
    catalog = SchemaCatalog()
    for name in inspector.get_table_names():
        pk = inspector.get_pk_constraint(name) or {}
        catalog.tables[name] = TableCatalog(
            columns=inspector.get_columns(name), primary_key=pk.get("constrained_columns") or [],
            foreign_keys=inspector.get_foreign_keys(name),
            unique_constraints=adapter.unique_constraints(inspector, name),
            indexes=inspector.get_indexes(name),
            check_constraints=_optional(inspector.get_check_constraints, name))
    for view in inspector.get_view_names():
        try:
            catalog.views[view] = inspector.get_view_definition(view) or ""
        except NotImplementedError:
            catalog.views[view] = ""
    return catalog


def _table_items(table: TableCatalog, dialect, adapter) -> dict[str, str]:
    items: dict[str, str] = {}
    for column in table.columns:
        items[f"column {column['name']}"] = _describe_column(column, dialect)
    if table.primary_key:
        items["primary key"] = _columns(table.primary_key)
    foreign_keys = table.foreign_keys
    for fk in foreign_keys:
        target = f"REFERENCES {fk['referred_table']} {_columns(fk['referred_columns'])}"
        options = fk.get("options") or {}
        for key in ("ondelete", "onupdate"):
            value = (options.get(key) or "").upper()
            if value and value not in ("NO ACTION", "RESTRICT"):  # the databases' own default
                target += f" {'ON DELETE' if key == 'ondelete' else 'ON UPDATE'} {value}"
        items[f"foreign key {_columns(fk['constrained_columns'])}"] = target
    uniques = set()
    for unique in table.unique_constraints:
        uniques.add(tuple(unique["column_names"]))
        items[f"unique {_columns(unique['column_names'])}"] = ""
    fk_names = {fk.get("name") for fk in foreign_keys} | {c for fk in foreign_keys
                                                             for c in fk["constrained_columns"][:1]}
    fk_columns = {tuple(fk["constrained_columns"]) for fk in foreign_keys}
    for index in table.indexes:
        columns = tuple(c if c is not None else "<expression>" for c in index["column_names"])
        if index.get("duplicates_constraint") or (index.get("unique") and columns in uniques):
            continue  # the unique constraint above already says it
        kind = "UNIQUE " if index.get("unique") else ""
        if (adapter.indexes_foreign_keys and not index.get("unique")
                and columns in fk_columns and index["name"] in fk_names):
            # InnoDB adds this index for a foreign key and names it after the key or column.
            items[f"index for foreign key {_columns(columns)}"] = ""
            continue
        text = f"{kind}{_columns(columns)}"
        if index.get("using"):
            text += f" USING {index['using']}"
        if index.get("where"):
            text += f" WHERE {_normalise_sql(index['where'])}"
        items[f"index {index['name']}"] = text
    for check in table.check_constraints:
        items[f"check ({_normalise_sql(check['sqltext'])})"] = ""
    return items


def _optional(method, table: str) -> list[dict]:
    """Inspector methods a dialect may not implement; absent means none."""
    try:
        return method(table)
    except NotImplementedError:
        return []


def _columns(names) -> str:
    return "(" + ", ".join(str(n) for n in names) + ")"


def _describe_column(column: dict, dialect) -> str:
    type_text = column["type"]
    if not isinstance(type_text, str):  # a SQLAlchemy type (the inspector's, SQLite's affinity)
        try:
            type_text = type_text.compile(dialect=dialect)
        except Exception:  # a type the dialect cannot render (NullType): its repr still compares
            type_text = repr(column["type"])
    text = _squeeze(type_text).upper()
    text += " NULL" if column.get("nullable", True) else " NOT NULL"
    default = normalise_default(column.get("default"))
    if default is not None:
        text += f" DEFAULT {default}"
    computed = column.get("computed")
    if computed:
        text += f" GENERATED AS ({_normalise_sql(computed.get('sqltext', ''))})"
    return text


_CAST = re.compile(r"::[a-z_ ]+(\([0-9, ]*\))?(\[\])?", re.IGNORECASE)


def normalise_default(default) -> str | None:
    """A server default without the casts, parentheses and quotes databases add to it.

    PostgreSQL reports ``'open'::character varying``, SQLite ``'open'``,
    MariaDB ``'open'`` and ``NULL`` for a nullable column without a default.
    """
    if default is None:
        return None
    text = _squeeze(str(default))
    previous = None
    while previous != text:
        previous = text
        text = _CAST.sub("", text).strip()
        if text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]):
            text = text[1:-1].strip()
        if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
            text = text[1:-1]
    if text.upper() == "NULL":
        return None
    return text


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def _normalise_sql(sql) -> str:
    """SQL text compared loosely: case, spacing, quotes around names and outer parentheses."""
    text = _squeeze(str(sql)).replace('"', "").replace("`", "").lower()
    text = re.sub(r"\s*([(),=<>])\s*", r"\1", text)
    while text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]):
        text = text[1:-1]
    return text


def _squeeze(text: str) -> str:
    return " ".join(text.split())


def diff_snapshots(a: Snapshot, b: Snapshot) -> list[str]:
    """What differs from ``a`` (expected) to ``b`` (found), one readable line per difference.

    ``missing`` means in ``a`` but not in ``b``; ``unexpected`` the reverse.
    """
    lines = []
    for table in sorted(set(a.tables) | set(b.tables)):
        if table not in b.tables:
            lines.append(f"table {table} missing")
        elif table not in a.tables:
            lines.append(f"table {table} unexpected")
        elif a.tables[table] != b.tables[table]:  # most tables are equal: compared whole, at C speed
            lines.extend(f"table {table}: {line}" for line in _diff_items(a.tables[table], b.tables[table]))
    for view in sorted(set(a.views) | set(b.views)):
        if view not in b.views:
            lines.append(f"view {view} missing")
        elif view not in a.views:
            lines.append(f"view {view} unexpected")
        elif a.views[view] != b.views[view]:
            lines.append(f"view {view}: definition is {b.views[view]}, expected {a.views[view]}")
    return lines


def _diff_items(a: dict[str, str], b: dict[str, str]) -> list[str]:
    lines = []
    for item in sorted(set(a) | set(b)):
        if item not in b:
            lines.append(f"{item} missing")
        elif item not in a:
            lines.append(f"{item} unexpected")
        elif a[item] != b[item]:
            lines.append(f"{item} is {b[item] or '(empty)'}, expected {a[item] or '(empty)'}")
    return lines


def render_diff(a: Snapshot, b: Snapshot, a_label: str = "expected", b_label: str = "found") -> str:
    """A unified diff of two snapshots' text forms; empty when they are equal."""
    diff = difflib.unified_diff(a.lines(), b.lines(), fromfile=a_label, tofile=b_label, lineterm="", n=2)
    return "\n".join(diff)
