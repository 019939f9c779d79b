"""PostgreSQL's schema in five catalog queries, whatever the number of tables.

Everything is read from ``pg_catalog`` for the current schema (the first of
the search path, where unqualified scripts create things), the way
SQLAlchemy's inspector reads it table by table: types as ``format_type``
prints them, defaults and checks as ``pg_get_expr``/``pg_get_constraintdef``
print them, indexes without the primary key's, each naming the constraint it
backs.
"""

from __future__ import annotations

import re

from sqlalchemy import text

from .catalog_schema import FK_ACTIONS, SchemaCatalog

_IN_SCHEMA = "c.relnamespace = current_schema()::regnamespace"
#: Stands for the filter to the tables asked for (see :func:`_only`).
_ONLY = "<only>"

_RELATIONS = f"""
SELECT c.relname, c.relkind, CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END
FROM pg_class c WHERE {_IN_SCHEMA} AND c.relkind IN ('r', 'p', 'v', 'm')
"""



_COLUMNS = f"""
SELECT c.relname AS tbl, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
       pg_get_expr(d.adbin, d.adrelid), a.attgenerated
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE {_IN_SCHEMA} AND {_ONLY} AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY c.relname, a.attnum
"""

_CONSTRAINTS = f"""
SELECT c.relname AS tbl, k.contype, k.conname, pg_get_constraintdef(k.oid),
       ARRAY(SELECT a.attname FROM unnest(k.conkey) WITH ORDINALITY u(n, o)
             JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n ORDER BY u.o),
       r.relname AS referred,
       ARRAY(SELECT a.attname FROM unnest(k.confkey) WITH ORDINALITY u(n, o)
             JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n ORDER BY u.o),
       k.confdeltype, k.confupdtype
FROM pg_constraint k
JOIN pg_class c ON c.oid = k.conrelid
LEFT JOIN pg_class r ON r.oid = k.confrelid
WHERE {_IN_SCHEMA} AND {_ONLY} AND k.contype IN ('p', 'u', 'f', 'c')
ORDER BY c.relname, k.conname
"""

_INDEXES = f"""
SELECT c.relname AS tbl, x.relname AS index, i.indisunique, k.conname,
       ARRAY(SELECT CASE WHEN u.n > 0 THEN a.attname ELSE pg_get_indexdef(i.indexrelid, u.o::int, true) END
             FROM unnest(i.indkey::int2[]) WITH ORDINALITY u(n, o)
             LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = u.n
             WHERE u.o <= i.indnkeyatts ORDER BY u.o),
       pg_get_expr(i.indpred, i.indrelid), m.amname
FROM pg_index i
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_class x ON x.oid = i.indexrelid
JOIN pg_am m ON m.oid = x.relam
LEFT JOIN pg_constraint k ON k.conindid = i.indexrelid AND k.contype IN ('p', 'u', 'x')
WHERE {_IN_SCHEMA} AND {_ONLY} AND NOT i.indisprimary
ORDER BY c.relname, x.relname
"""

#: Every catalog row a table's snapshot is read from, by its id and the transaction that
#: wrote it (``xmin``): any DDL on the table writes at least one new row or removes one.
#: A renamed parent table changes its children's foreign keys: the reader re-reads those.
_FINGERPRINTS = f"""
SELECT c.relname, concat_ws('/', c.oid, c.xmin,
  (SELECT string_agg(a.attnum || ':' || a.xmin || ':' || a.atttypid, ',' ORDER BY a.attnum)
   FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0),
  (SELECT string_agg(d.oid || ':' || d.xmin, ',' ORDER BY d.oid) FROM pg_attrdef d WHERE d.adrelid = c.oid),
  (SELECT string_agg(k.oid || ':' || k.xmin, ',' ORDER BY k.oid) FROM pg_constraint k WHERE k.conrelid = c.oid),
  (SELECT string_agg(i.indexrelid || ':' || i.xmin || ':' || x.xmin, ',' ORDER BY i.indexrelid)
   FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid WHERE i.indrelid = c.oid))
FROM pg_class c WHERE {_IN_SCHEMA} AND c.relkind IN ('r', 'p')
"""

_CHECK = re.compile(r"^CHECK *\((.*)\)( NOT VALID)?$", re.DOTALL)


def read_fingerprints(connection) -> dict[str, str]:
    """Each table's fingerprint: it changes whenever a snapshot of the table could."""
    return dict(connection.execute(text(_FINGERPRINTS)).all())


def read_catalog(connection, tables=None) -> SchemaCatalog:
    """The current schema's views and tables (or only ``tables``), read with five queries."""
    catalog = SchemaCatalog()
    for name, kind, definition in connection.execute(text(_RELATIONS)):
        if kind in ("v", "m"):
            catalog.views[name] = definition or ""
        elif tables is None or name in tables:
            catalog.table(name)
    if tables is not None and not tables:
        return catalog  # the views only: nothing else changed
    for table, column, type_text, not_null, default, generated in _only(connection, _COLUMNS, tables):
        computed = {"sqltext": default} if generated else None
        catalog.table(table).columns.append({
            "name": column, "type": type_text, "nullable": not not_null,
            "default": None if generated else default, "computed": computed})
    for row in _only(connection, _CONSTRAINTS, tables):
        _add_constraint(catalog, *row)
    for table, index, unique, constraint, columns, predicate, method in _only(connection, _INDEXES, tables):
        entry = {"name": index, "column_names": list(columns), "unique": unique}
        if constraint:
            entry["duplicates_constraint"] = constraint
        if predicate:
            entry["where"] = predicate
        if method != "btree":
            entry["using"] = method
        catalog.table(table).indexes.append(entry)
    return catalog


def _only(connection, query: str, tables):
    """Run ``query`` for every table, or only for ``tables``."""
    if tables is None:
        return connection.execute(text(query.replace(_ONLY, "TRUE")))
    return connection.execute(text(query.replace(_ONLY, "c.relname = ANY(:only)")), {"only": sorted(tables)})


def _add_constraint(catalog: SchemaCatalog, table, kind, name, definition, columns, referred,
                    referred_columns, on_delete, on_update) -> None:
    entry = catalog.table(table)
    if kind == "p":
        entry.primary_key = list(columns)
    elif kind == "u":
        entry.unique_constraints.append({"name": name, "column_names": list(columns)})
    elif kind == "f":
        entry.foreign_keys.append({
            "name": name, "constrained_columns": list(columns), "referred_table": referred,
            "referred_columns": list(referred_columns),
            "options": {"ondelete": FK_ACTIONS.get(on_delete), "onupdate": FK_ACTIONS.get(on_update)}})
    else:
        match = _CHECK.match(definition)
        entry.check_constraints.append({"name": name, "sqltext": match.group(1) if match else definition})
