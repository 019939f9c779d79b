"""MySQL's and MariaDB's schema in a few ``information_schema`` queries, whatever the number of tables.

Read as SQLAlchemy's inspector reads it from ``SHOW CREATE TABLE``: a unique
key is both a unique constraint and an index (MySQL has no other kind), the
primary key is no index, column types are ``COLUMN_TYPE`` (``int(11)``,
``varchar(50)``), defaults as the server prints them. A column whose
collation differs from its table's says so.

Every query compares each table it reads with ``DATABASE()`` itself, never
with the other table's schema column: MariaDB reads an ``information_schema``
table for one database only when its own condition names it, and otherwise
(even with both conditions) reads every database on the server, so that a
snapshot would cost the server's table count instead of the database's.
"""

from __future__ import annotations

from sqlalchemy import text

from .catalog_schema import SchemaCatalog

_OBJECTS = """
SELECT TABLE_NAME, TABLE_TYPE, DATABASE() FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()
"""

#: Apart from ``_OBJECTS``: joined to it, even with its schema named, VIEWS is read for every database.
_VIEWS = """
SELECT TABLE_NAME, VIEW_DEFINITION FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE()
"""

_COLUMNS = """
SELECT c.TABLE_NAME, c.COLUMN_NAME, c.COLUMN_TYPE, c.IS_NULLABLE, c.COLUMN_DEFAULT, c.EXTRA,
       c.GENERATION_EXPRESSION, CASE WHEN c.COLLATION_NAME <> t.TABLE_COLLATION THEN c.COLLATION_NAME END
FROM information_schema.COLUMNS c
JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = DATABASE() AND t.TABLE_NAME = c.TABLE_NAME
WHERE c.TABLE_SCHEMA = DATABASE() AND t.TABLE_TYPE <> 'VIEW'
ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION
"""

_INDEXES = """
SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, COLUMN_NAME, INDEX_TYPE
FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE()
ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX
"""

_FOREIGN_KEYS = """
SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME,
       r.DELETE_RULE, r.UPDATE_RULE
FROM information_schema.KEY_COLUMN_USAGE k
JOIN information_schema.REFERENTIAL_CONSTRAINTS r
  ON r.CONSTRAINT_SCHEMA = DATABASE() AND r.TABLE_NAME = k.TABLE_NAME
 AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME
WHERE k.TABLE_SCHEMA = DATABASE() AND k.CONSTRAINT_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME IS NOT NULL
ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION
"""

#: MariaDB names check constraints per table and lists each with its table.
_CHECKS_MARIADB = """
SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS
WHERE CONSTRAINT_SCHEMA = DATABASE() ORDER BY TABLE_NAME, CONSTRAINT_NAME
"""

#: MySQL names them per schema and lists the table in TABLE_CONSTRAINTS only.
_CHECKS_MYSQL = """
SELECT t.TABLE_NAME, c.CONSTRAINT_NAME, c.CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS c
JOIN information_schema.TABLE_CONSTRAINTS t
  ON t.CONSTRAINT_SCHEMA = DATABASE() AND t.TABLE_SCHEMA = DATABASE() AND t.CONSTRAINT_NAME = c.CONSTRAINT_NAME
 AND t.CONSTRAINT_TYPE = 'CHECK'
WHERE c.CONSTRAINT_SCHEMA = DATABASE() ORDER BY t.TABLE_NAME, c.CONSTRAINT_NAME
"""


def read_catalog(connection, mariadb: bool, tables=None) -> SchemaCatalog:
    """The current database's views and tables (or only ``tables``), read with six queries."""
    catalog = SchemaCatalog()
    definitions = dict(connection.execute(text(_VIEWS)).fetchall())
    for name, kind, database in connection.execute(text(_OBJECTS)):
        if kind == "VIEW":
            # The server writes the database's own name into the text: two copies of one schema must compare equal.
            catalog.views[name] = (definitions.get(name) or "").replace(f"`{database}`.", "")
        elif kind != "SEQUENCE" and (tables is None or name in tables):
            catalog.table(name)
    for row in connection.execute(text(_COLUMNS)):
        _add_column(catalog, *row)
    _read_indexes(connection, catalog)
    _read_foreign_keys(connection, catalog)
    for table, name, clause in connection.execute(text(_CHECKS_MARIADB if mariadb else _CHECKS_MYSQL)):
        if table in catalog.tables:
            catalog.tables[table].check_constraints.append({"name": name, "sqltext": clause})
    return catalog


def _add_column(catalog: SchemaCatalog, table, name, type_text, nullable, default, extra, generated,
                collation) -> None:
    if table not in catalog.tables:
        return
    type_text = f"{type_text} COLLATE {collation}" if collation else type_text
    computed = {"sqltext": generated} if generated and "GENERATED" in (extra or "").upper() else None
    catalog.tables[table].columns.append({
        "name": name, "type": type_text, "nullable": nullable == "YES",
        "default": None if computed else default, "computed": computed})


def _read_indexes(connection, catalog: SchemaCatalog) -> None:
    indexes: dict[tuple[str, str], dict] = {}
    for table, name, non_unique, column, kind in connection.execute(text(_INDEXES)):
        if table not in catalog.tables:
            continue
        if name == "PRIMARY":
            catalog.tables[table].primary_key.append(column)
            continue
        entry = indexes.get((table, name))
        if entry is None:
            entry = indexes[(table, name)] = {"name": name, "column_names": [], "unique": not int(non_unique)}
            if kind and kind.upper() not in ("BTREE", "HASH"):
                entry["using"] = kind.lower()
            catalog.tables[table].indexes.append(entry)
            if entry["unique"]:
                catalog.tables[table].unique_constraints.append({"name": name,
                                                                 "column_names": entry["column_names"]})
        entry["column_names"].append(column)


def _read_foreign_keys(connection, catalog: SchemaCatalog) -> None:
    keys: dict[tuple[str, str], dict] = {}
    for table, name, column, referred, target, on_delete, on_update in connection.execute(text(_FOREIGN_KEYS)):
        if table not in catalog.tables:
            continue
        entry = keys.get((table, name))
        if entry is None:
            entry = keys[(table, name)] = {
                "name": name, "constrained_columns": [], "referred_table": referred, "referred_columns": [],
                "options": {"ondelete": on_delete, "onupdate": on_update}}
            catalog.tables[table].foreign_keys.append(entry)
        entry["constrained_columns"].append(column)
        entry["referred_columns"].append(target)
