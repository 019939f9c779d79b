"""SQLite's schema in a few queries over ``sqlite_schema`` and the table-valued pragmas.

One query per kind of object joins every table with its pragma
(``pragma_table_xinfo``, ``pragma_foreign_key_list``, ``pragma_index_list``
with ``pragma_index_info``), instead of a round of pragmas per table. Column
types go through SQLAlchemy's own type affinity rules, as its inspector does,
so ``INT`` and ``INTEGER`` compare as they always have. Check constraints
(SQLite keeps no list of them) are cut out of each table's ``CREATE TABLE``.
"""

from __future__ import annotations

import re

from sqlalchemy import text

from .catalog_schema import SchemaCatalog

_OBJECTS = "SELECT type, name, sql FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite!_%' ESCAPE '!'"

_TABLES = "(SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite!_%' ESCAPE '!')"

#: Everything SQLite knows of a table is in the SQL text of it and its indexes.
_FINGERPRINTS = """
SELECT tbl_name, group_concat(type || ' ' || name || ' ' || ifnull(sql, ''), char(10))
FROM (SELECT * FROM sqlite_master WHERE type IN ('table', 'index') ORDER BY type, name)
WHERE tbl_name NOT LIKE 'sqlite!_%' ESCAPE '!' GROUP BY tbl_name
"""

_COLUMNS = f"""
SELECT t.name, c.name, c.type, c."notnull", c.dflt_value, c.pk, c.hidden
FROM {_TABLES} t, pragma_table_xinfo(t.name) c ORDER BY t.name, c.cid
"""

_FOREIGN_KEYS = f"""
SELECT t.name, f.id, f."table", f."from", f."to", f.on_delete, f.on_update
FROM {_TABLES} t, pragma_foreign_key_list(t.name) f ORDER BY t.name, f.id, f.seq
"""

_INDEXES = f"""
SELECT t.name, l.name, l."unique", l.origin, l.partial, i.name,
       (SELECT sql FROM sqlite_master WHERE type = 'index' AND name = l.name)
FROM {_TABLES} t, pragma_index_list(t.name) l, pragma_index_info(l.name) i
ORDER BY t.name, l.name, i.seqno
"""

_WHERE = re.compile(r"\bWHERE\b", re.IGNORECASE)
_GENERATED = re.compile(r"GENERATED\s+ALWAYS\s+AS\s*\(", re.IGNORECASE)


def read_fingerprints(connection) -> dict[str, str]:
    """Each table's fingerprint: the SQL text of the table and its indexes."""
    return dict(connection.execute(text(_FINGERPRINTS)).all())


def read_catalog(connection, tables=None) -> SchemaCatalog:
    """Every view and table (or only ``tables``) of the main database, read with four queries."""
    catalog = SchemaCatalog()
    sql_of: dict[str, str] = {}
    for kind, name, sql in connection.execute(text(_OBJECTS)):
        if kind == "view":
            catalog.views[name] = sql or ""
        elif tables is None or name in tables:
            catalog.table(name)
            sql_of[name] = sql or ""
    if tables is not None and not tables:
        return catalog  # the views only: nothing else changed
    subset = _subset(tables)
    _read_columns(connection, catalog, sql_of, subset)
    _read_foreign_keys(connection, catalog, subset)
    _read_indexes(connection, catalog, subset)
    for name, sql in sql_of.items():
        catalog.table(name).check_constraints = [{"sqltext": check} for check in _after_keyword(sql, "CHECK")]
    return catalog


def _subset(tables) -> tuple[str, dict]:
    """A filter of the table list to ``tables`` (None: every table), as SQL and its parameters."""
    if tables is None:
        return _TABLES, {}
    names = sorted(tables)
    marks = ", ".join(f":t{number}" for number in range(len(names))) or "NULL"
    return (f"(SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ({marks}))",
            {f"t{number}": name for number, name in enumerate(names)})


def _query(connection, sql: str, subset: tuple[str, dict]):
    return connection.execute(text(sql.replace(_TABLES, subset[0])), subset[1])


def _read_columns(connection, catalog: SchemaCatalog, sql_of: dict[str, str], subset) -> None:
    dialect = connection.dialect
    keys: dict[str, list[tuple[int, str]]] = {}
    for table, name, declared, not_null, default, pk, hidden in _query(connection, _COLUMNS, subset):
        computed = None
        if hidden in (2, 3):  # generated: the expression is only in the CREATE TABLE text
            computed = {"sqltext": _generated_expression(sql_of.get(table, ""), name),
                        "persisted": hidden == 3}
        catalog.table(table).columns.append({
            "name": name, "type": dialect._resolve_type_affinity(declared or ""),
            "nullable": not not_null, "default": default, "computed": computed})
        if pk:
            keys.setdefault(table, []).append((pk, name))
    for table, columns in keys.items():
        catalog.table(table).primary_key = [name for _, name in sorted(columns)]


def _read_foreign_keys(connection, catalog: SchemaCatalog, subset) -> None:
    keys: dict[tuple[str, int], dict] = {}
    for table, key, referred, column, target, on_delete, on_update in _query(connection, _FOREIGN_KEYS, subset):
        entry = keys.get((table, key))
        if entry is None:
            entry = keys[(table, key)] = {
                "name": None, "constrained_columns": [], "referred_table": referred, "referred_columns": [],
                "options": {"ondelete": on_delete, "onupdate": on_update}}
            catalog.table(table).foreign_keys.append(entry)
        entry["constrained_columns"].append(column)
        entry["referred_columns"].append(target)
    for entry in keys.values():
        if any(column is None for column in entry["referred_columns"]):  # REFERENCES parent: its key
            entry["referred_columns"] = _primary_key(connection, entry["referred_table"])


def _primary_key(connection, table: str) -> list[str]:
    rows = connection.execute(text("SELECT pk, name FROM pragma_table_info(:t) WHERE pk > 0"), {"t": table})
    return [name for _, name in sorted(rows)]


def _read_indexes(connection, catalog: SchemaCatalog, subset) -> None:
    indexes: dict[tuple[str, str], dict] = {}
    for table, name, unique, origin, partial, column, sql in _query(connection, _INDEXES, subset):
        entry = indexes.get((table, name))
        if entry is None:
            entry = indexes[(table, name)] = {"name": name, "column_names": [], "unique": bool(unique)}
            if origin == "u":
                catalog.table(table).unique_constraints.append({"name": None, "column_names": entry["column_names"]})
            if origin == "c":  # sqlite_autoindex_* back constraints and keys; only CREATE INDEX ones count
                if partial:
                    entry["where"] = _WHERE.split(sql or "", maxsplit=1)[-1].strip()
                catalog.table(table).indexes.append(entry)
        entry["column_names"].append(column)


def _generated_expression(sql: str, column: str) -> str:
    """The ``GENERATED ALWAYS AS (...)`` expression of ``column`` in a CREATE TABLE text."""
    for match in _GENERATED.finditer(sql):
        before = sql[:match.start()].rstrip()
        definition = before[max(before.rfind(","), before.find("(")) + 1:].strip()
        if definition.strip('"`[').lower().startswith(column.lower()):
            return _balanced_from(sql, match.end() - 1)
    return ""


def _after_keyword(sql: str, keyword: str) -> list[str]:
    """The parenthesised text after each ``keyword`` outside quotes, e.g. every CHECK's expression."""
    found: list[str] = []
    position, length = 0, len(keyword)
    while True:
        position = _find_outside_quotes(sql, keyword, position)
        if position < 0:
            return found
        opening = position + length
        while opening < len(sql) and sql[opening].isspace():
            opening += 1
        if opening < len(sql) and sql[opening] == "(":
            found.append(_balanced_from(sql, opening))
        position = opening


def _find_outside_quotes(sql: str, keyword: str, start: int) -> int:
    upper, length, quote = sql.upper(), len(keyword), ""
    index = start
    while index < len(sql):
        char = sql[index]
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"`[":
            quote = "]" if char == "[" else char
        elif (upper.startswith(keyword, index) and (index == 0 or not _word(sql[index - 1]))
              and (index + length == len(sql) or not _word(sql[index + length]))):
            return index
        index += 1
    return -1


def _word(char: str) -> bool:
    return char.isalnum() or char == "_"


def _balanced_from(sql: str, opening: int) -> str:
    """The text inside the parentheses that open at ``opening``."""
    depth, quote = 0, ""
    for index in range(opening, len(sql)):
        char = sql[index]
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"`":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return sql[opening + 1:index].strip()
    return sql[opening + 1:].strip()
