"""PostgreSQL's schema in one catalog query, whatever the number of tables.

Everything is read from ``pg_catalog`` for the current schema (the first of
the search path, where unqualified scripts create things), the way
SQLAlchemy's inspector reads it table by table: types as ``format_type``
prints them, defaults and checks as ``pg_get_expr``/``pg_get_constraintdef``
print them, indexes without the primary key's, each naming the constraint it
backs.

A series of snapshots (the stairway's) asks :func:`read_fingerprints` which
tables changed since the last one; the same statement reads those tables'
catalog, so each snapshot is one round trip whose cost follows what the step
changed, not the size of the schema.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

from sqlalchemy import text

from .catalog_schema import FK_ACTIONS, SchemaCatalog

#: The namespace is looked up once per statement (an InitPlan), not once per catalog row.
_IN_SCHEMA = "c.relnamespace = (SELECT current_schema()::regnamespace)"
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

#: The catalog rows a table's snapshot is read from (its own, its columns', defaults',
#: constraints' and indexes'), each with its id and the table it belongs to, in the whole
#: database (no join is needed to tell what is whose); ``<new>`` stands for the rows to return.
_ROWS = """
SELECT 'c', c.oid::bigint, CASE WHEN c.relkind IN ('r', 'p') THEN c.oid
       WHEN c.relkind = 'i' THEN (SELECT i.indrelid FROM pg_index i WHERE i.indexrelid = c.oid) END::bigint,
       CASE WHEN c.relkind IN ('r', 'p') AND c.relnamespace = current_schema()::regnamespace THEN c.relname END
FROM pg_class c WHERE <new c>
UNION ALL SELECT 'k', k.oid::bigint, k.conrelid::bigint, NULL FROM pg_constraint k WHERE <new k>
"""

#: Columns, defaults and indexes are only ever deleted with a row that is counted: a column
#: is dropped by marking its row, a default by rewriting its column's, an index with its
#: ``pg_class`` row. Only the rows written since the last read are listed.
_WRITTEN = """
UNION ALL SELECT 'a', NULL, a.attrelid::bigint, NULL FROM pg_attribute a WHERE a.attnum > 0 AND <new a>
UNION ALL SELECT 'd', NULL, d.adrelid::bigint, NULL FROM pg_attrdef d WHERE <new d>
UNION ALL SELECT 'i', NULL, i.indrelid::bigint, NULL FROM pg_index i WHERE <new i>
"""

#: The relations' and constraints' counts, and the snapshot this statement read (its first
#: transaction id not yet seen, and those in progress), as 32-bit ids like a row's ``xmin``.
_COUNTS = """
UNION ALL SELECT '#', (SELECT count(*) FROM pg_class), (SELECT count(*) FROM pg_constraint), NULL
UNION ALL SELECT '@', mod(pg_snapshot_xmax(s)::text::bigint, 4294967296), current_schema()::regnamespace::oid::bigint,
  (SELECT string_agg(mod(x::text::bigint, 4294967296)::text, ',') FROM pg_snapshot_xip(s) x)
FROM pg_current_snapshot() s
"""

#: A row is new when the previous read could not see it: written by a transaction that had
#: not begun (``age`` counts around the 32-bit wrap) or was still running then.
_NEW = "(age({0}.xmin) <= age(%(horizon)s::xid) OR {0}.xmin = ANY(%(running)s::xid[]))"
_SINCE = (_ROWS + _WRITTEN + _COUNTS).replace("<new c>", _NEW.format("c")).replace("<new k>", _NEW.format("k")) \
    .replace("<new a>", _NEW.format("a")).replace("<new d>", _NEW.format("d")).replace("<new i>", _NEW.format("i"))
_ALL = (_ROWS + _COUNTS).replace("<new c>", "TRUE").replace("<new k>", "TRUE")

#: The fingerprints' statement, with the catalog of the tables it finds written (and of those whose
#: foreign keys name one of them) in the same round trip: the snapshot that follows needs no other
#: (:func:`read_catalog` takes them). Catalog rows are told by a kind starting with '='.
_WITH_CATALOG = f"""
WITH found AS MATERIALIZED (<found>),
written AS MATERIALIZED (
  SELECT f.table FROM found f WHERE f.kind IN ('c', 'k', 'a', 'd', 'i') AND f.table IS NOT NULL
  UNION SELECT k.conrelid FROM pg_constraint k
  WHERE k.contype = 'f' AND k.confrelid IN (SELECT f.table FROM found f WHERE f.kind IN ('c', 'k', 'a', 'd', 'i')))
SELECT f.kind, f.id, f.table, f.name, NULL::json FROM found f
UNION ALL SELECT '=' || q.kind, NULL, NULL, q.tbl, q.row FROM (
{_EVERYTHING.replace(_ONLY, "c.oid IN (SELECT w.table FROM written w)")}) q(kind, tbl, row)
"""


def _found(statement: str) -> str:
    """``statement`` (the fingerprints' rows) with its columns named for :data:`_WITH_CATALOG`."""
    return f"SELECT * FROM ({statement}) q(kind, id, \"table\", name)"


_SINCE_WITH_CATALOG = _WITH_CATALOG.replace("<found>", _found(_SINCE))
_ALL_WITH_CATALOG = _WITH_CATALOG.replace("<found>", _found(_ALL))
_PREFETCHED = "lockgate_catalog_prefetched"

_STATE = "lockgate_catalog_fingerprints"
#: A table's fingerprint names the read that saw it change: numbers never given twice in a process.
_READS = itertools.count(1)


@dataclass
class _Seen:
    """What the last fingerprints read saw: kept on the connection for the next read."""

    schema: int
    horizon: int                                    # the first transaction id the read had not seen
    running: str                                    # those in progress then, unseen as well ('1,2')
    rows: dict[str, dict[int, int]]                 # 'c' (relations), 'k' (constraints): row id -> table
    tables: dict[int, str] = field(default_factory=dict)     # the current schema's tables, by oid
    versions: dict[int, int] = field(default_factory=dict)   # table -> the read that last saw it change


def read_fingerprints(connection) -> dict[str, str]:
    """Each table's fingerprint: it changes whenever a snapshot of the table could.

    A table's fingerprint is its oid and the read that last saw it change. The
    first read on a connection lists every relation and constraint; each later
    one only the catalog rows written by a transaction the previous read had
    not seen (by ``xmin``), and how many relations and constraints there are:
    fewer than those known, less those rewritten, means some were deleted, and
    only then are all listed again to tell whose. So the read costs about the
    same whatever the number of tables, where comparing every table's rows
    would grow with the schema.

    The connection is one kept for a series of snapshots: its first read keeps
    its plans generic, so this read and the catalog read after it, repeated
    with new parameters, are planned once rather than every time (planning
    costs more than running them).
    """
    seen: _Seen | None = connection.info.get(_STATE)
    if seen is None:
        connection.exec_driver_sql("SET plan_cache_mode = force_generic_plan")
    found = _run(connection, seen, with_catalog=True)
    connection.info[_PREFETCHED] = found.catalog
    seen = _seen_all(found) if seen is None else _read_since(connection, seen, found)
    connection.info[_STATE] = seen
    return {name: f"{oid}.{seen.versions[oid]}" for oid, name in seen.tables.items()}


@dataclass
class _Found:
    """What one fingerprints statement returned."""

    rows: dict[str, dict[int, int]]     # 'c', 'k': row id -> table
    written: set[int]                   # tables of the columns, defaults and indexes written
    names: dict[int, str | None]        # table -> its name, None when not a table of the schema
    counts: dict[str, int]
    horizon: int
    running: str
    schema: int
    catalog: dict[str, list] | None     # catalog rows by kind ('r', 'c', 'k', 'i'), when asked for


def _run(connection, since: _Seen | None, with_catalog: bool = False) -> _Found:
    found = _Found({"c": {}, "k": {}}, set(), {}, {}, 0, "", 0, {"r": [], "c": [], "k": [], "i": []})
    params = {"horizon": str(since.horizon), "running": "{" + since.running + "}"} if since else None
    if with_catalog:
        sql = _SINCE_WITH_CATALOG if since else _ALL_WITH_CATALOG
    else:
        sql, found.catalog = (_SINCE if since else _ALL), None
    for kind, row_id, table, name, *row in connection.exec_driver_sql(sql, params):
        if kind[0] == "=":
            found.catalog[kind[1:]].append((name, row[0]))  # type: ignore[index]
        elif kind == "#":
            found.counts = {"c": row_id, "k": table}
        elif kind == "@":
            found.horizon, found.schema, found.running = max(int(row_id), 3), int(table), name or ""
        elif row_id is None:
            found.written.add(table)
        else:
            found.rows[kind][row_id] = table or 0
            if kind == "c" and table == row_id:
                found.names[row_id] = name
    return found


def _seen_all(found: _Found) -> _Seen:
    tables = {oid: name for oid, name in found.names.items() if name is not None}
    return _Seen(found.schema, found.horizon, found.running, found.rows, tables, dict.fromkeys(tables, next(_READS)))


def _read_since(connection, seen: _Seen, found: _Found) -> _Seen:
    new, changed = found.rows, set(found.written)
    if found.schema != seen.schema:
        return _seen_all(_run(connection, None))
    changed |= {table for rows in new.values() for table in rows.values()}
    counts = found.counts
    if any(len(seen.rows[kind]) != counts[kind] - len(new[kind]) + len(new[kind].keys() & seen.rows[kind].keys())
           for kind in new):  # rows were deleted: list them all to tell whose
        everything = _seen_all(_run(connection, None))
        for kind in new:
            changed |= {seen.rows[kind][row] for row in seen.rows[kind].keys() - everything.rows[kind].keys()}
        rows, tables = everything.rows, everything.tables
    else:
        rows = {kind: {**seen.rows[kind], **new[kind]} for kind in new}
        tables = dict(seen.tables)
        for oid, name in found.names.items():
            if name is None:
                tables.pop(oid, None)  # no longer a table of this schema
            else:
                tables[oid] = name
    read = next(_READS)
    versions = {oid: read if oid in changed or oid not in seen.versions else seen.versions[oid] for oid in tables}
    return _Seen(found.schema, found.horizon, found.running, rows, tables, versions)


_CHECK = re.compile(r"^CHECK *\((.*)\)( NOT VALID)?$", re.DOTALL)


def read_catalog(connection, tables=None) -> SchemaCatalog:
    """The current schema's views and tables (or only ``tables``), read in one round trip.

    Right after :func:`read_fingerprints`, the tables it found written were read with it:
    asked for no others, this reads nothing.
    """
    rows: dict[str, list] | None = connection.info.pop(_PREFETCHED, None)
    if rows is not None and tables is not None:
        read = {name for name, row in rows["r"] if row["kind"] in ("r", "p")}
        if set(tables) <= read:
            rows = {kind: [(table, row) for table, row in found if kind == "r" or table in tables]
                    for kind, found in rows.items()}
        else:
            rows = None
    if rows is None or tables is None:
        rows = {"r": [], "c": [], "k": [], "i": []}
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
