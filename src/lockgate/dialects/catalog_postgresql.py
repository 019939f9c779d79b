"""PostgreSQL's schema in one catalog query, whatever the number of tables.

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

_COLUMNS = f"""
SELECT c.relname AS tbl, a.attnum AS position, a.attname AS name,
       format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null,
       (SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d
        WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum) AS default, a.attgenerated AS generated
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
WHERE {_IN_SCHEMA} AND {_ONLY} AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
"""

_CONSTRAINTS = f"""
SELECT c.relname AS tbl, k.contype AS kind, k.conname AS name, pg_get_constraintdef(k.oid) AS definition,
       ARRAY(SELECT a.attname FROM unnest(k.conkey) WITH ORDINALITY u(n, o)
             JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n ORDER BY u.o) AS columns,
       (SELECT r.relname FROM pg_class r WHERE r.oid = k.confrelid) AS referred,
       ARRAY(SELECT a.attname FROM unnest(k.confkey) WITH ORDINALITY u(n, o)
             JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n ORDER BY u.o) AS referred_columns,
       k.confdeltype AS on_delete, k.confupdtype AS on_update
FROM pg_constraint k
JOIN pg_class c ON c.oid = k.conrelid
WHERE {_IN_SCHEMA} AND {_ONLY} AND k.contype IN ('p', 'u', 'f', 'c')
"""

_INDEXES = f"""
SELECT c.relname AS tbl, x.relname AS name, i.indisunique AS unique,
       (SELECT k.conname FROM pg_constraint k
        WHERE k.conindid = i.indexrelid AND k.contype IN ('p', 'u', 'x')) AS constraint,
       ARRAY(SELECT CASE WHEN u.n > 0 THEN a.attname ELSE pg_get_indexdef(i.indexrelid, u.o::int, true) END
             FROM unnest(i.indkey::int2[]) WITH ORDINALITY u(n, o)
             LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = u.n
             WHERE u.o <= i.indnkeyatts ORDER BY u.o) AS columns,
       pg_get_expr(i.indpred, i.indrelid) AS predicate,
       (SELECT m.amname FROM pg_am m WHERE m.oid = x.relam) AS method
FROM pg_index i
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_class x ON x.oid = i.indexrelid
WHERE {_IN_SCHEMA} AND {_ONLY} AND NOT i.indisprimary
"""

#: Everything in one round trip: each row says its kind, its table and the rest as JSON.
#: Correlated subqueries in place of outer joins and ``OFFSET 0`` (each part planned on its
#: own) keep the planning short: planning, not reading, is most of a small snapshot's cost.
_EVERYTHING = f"""
SELECT 'r', c.relname, json_build_object('kind', c.relkind, 'definition',
       CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END)
FROM pg_class c WHERE {_IN_SCHEMA} AND (c.relkind IN ('v', 'm') OR c.relkind IN ('r', 'p') AND {_ONLY})
UNION ALL SELECT 'c', q.tbl, row_to_json(q) FROM ({_COLUMNS} OFFSET 0) q
UNION ALL SELECT 'k', q.tbl, row_to_json(q) FROM ({_CONSTRAINTS} OFFSET 0) q
UNION ALL SELECT 'i', q.tbl, row_to_json(q) FROM ({_INDEXES} OFFSET 0) q
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
    """The current schema's views and tables (or only ``tables``), read in one round trip."""
    rows: dict[str, list] = {"r": [], "c": [], "k": [], "i": []}
    for kind, table, row in _only(connection, _EVERYTHING, tables):
        rows[kind].append((table, row))
    catalog = SchemaCatalog()
    for name, row in rows["r"]:
        if row["kind"] in ("v", "m"):
            catalog.views[name] = row["definition"] or ""
        elif tables is None or name in tables:
            catalog.table(name)
    for table, row in sorted(rows["c"], key=lambda item: (item[0], item[1]["position"])):
        generated = row["generated"]
        catalog.table(table).columns.append({
            "name": row["name"], "type": row["type"], "nullable": not row["not_null"],
            "default": None if generated else row["default"],
            "computed": {"sqltext": row["default"]} if generated else None})
    for table, row in sorted(rows["k"], key=lambda item: (item[0], item[1]["name"])):
        _add_constraint(catalog, table, row)
    for table, row in sorted(rows["i"], key=lambda item: (item[0], item[1]["name"])):
        entry = {"name": row["name"], "column_names": list(row["columns"]), "unique": row["unique"]}
        if row["constraint"]:
            entry["duplicates_constraint"] = row["constraint"]
        if row["predicate"]:
            entry["where"] = row["predicate"]
        if row["method"] != "btree":
            entry["using"] = row["method"]
        catalog.table(table).indexes.append(entry)
    return catalog


def _only(connection, query: str, tables):
    """Run ``query`` for every table, or only for ``tables``."""
    if tables is None:
        return connection.execute(text(query.replace(_ONLY, "TRUE")))
    return connection.execute(text(query.replace(_ONLY, "c.relname = ANY(:only)")), {"only": sorted(tables)})


def _add_constraint(catalog: SchemaCatalog, table: str, row: dict) -> None:
    entry, kind, columns = catalog.table(table), row["kind"], list(row["columns"])
    if kind == "p":
        entry.primary_key = columns
    elif kind == "u":
        entry.unique_constraints.append({"name": row["name"], "column_names": columns})
    elif kind == "f":
        entry.foreign_keys.append({
            "name": row["name"], "constrained_columns": columns, "referred_table": row["referred"],
            "referred_columns": list(row["referred_columns"]),
            "options": {"ondelete": FK_ACTIONS.get(row["on_delete"]), "onupdate": FK_ACTIONS.get(row["on_update"])}})
    else:
        match = _CHECK.match(row["definition"])
        entry.check_constraints.append({"name": row["name"], "sqltext": match.group(1) if match else row["definition"]})
