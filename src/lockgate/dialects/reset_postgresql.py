"""A used copy of a PostgreSQL scratch database put back as it was copied, in milliseconds.

``CREATE DATABASE ... TEMPLATE`` and ``DROP DATABASE`` each cost hundreds of
milliseconds on a server that syncs to disk, far more than a typical test. Most
tests only add rows, so a copy can serve the next test once those rows are
gone. :func:`take_state` reads, in a few queries, everything a test could
have changed: a fingerprint of the database's own catalogs (the count and the
number of its rows written by a transaction newer than the state, which any
DDL, grant or comment makes non-zero), its settings and prepared transactions, which of its tables hold rows, the rows of
those that held rows in the template, and every sequence's position.
:func:`reset` empties the tables a test filled (with the tables that refer to
them) and puts the sequences back, and only when nothing else changed: any
other difference means a new copy, so a reset copy is indistinguishable from a
fresh one by anything this reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

#: Tables that held rows in the template are compared row by row, up to this many rows in all;
#: past it a copy is never reused (comparing would cost more than copying).
MAX_KEPT_ROWS = 20_000

_TABLES = """
SELECT c.oid::bigint, n.nspname, c.relname
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname !~ '^pg_(toast|temp)'
ORDER BY 1
"""

_REFERENCES = """
SELECT conrelid::bigint, confrelid::bigint FROM pg_constraint WHERE contype = 'f'
"""

_CATALOGS = """
SELECT c.relname FROM pg_class c
WHERE c.relnamespace = 'pg_catalog'::regnamespace AND c.relkind = 'r' AND NOT c.relisshared
  AND c.relname NOT IN ('pg_statistic', 'pg_statistic_ext_data', 'pg_largeobject')
ORDER BY 1
"""

_OUTSIDE = """
SELECT (SELECT count(*) FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase
        WHERE d.datname = current_database()),
       (SELECT count(*) FROM pg_prepared_xacts WHERE database = current_database())
"""

#: Transaction ids are 32 bits in a row's ``xmin``; ids 0-2 are special, so a horizon is at least 3.
_HORIZON = "SELECT greatest(mod(pg_snapshot_xmax(pg_current_snapshot())::text::bigint, 4294967296), 3)"
_NEXT_HORIZON = "SELECT greatest(mod(pg_current_xact_id()::text::bigint + 1, 4294967296), 3)"

_SEQUENCES = """
SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename), last_value, start_value FROM pg_sequences ORDER BY 1
"""


def _quoted(schema: str, name: str) -> str:
    return '"{}"."{}"'.format(schema.replace('"', '""'), name.replace('"', '""'))


@dataclass
class CopyState:
    """What a test could have changed in a copy, as :func:`take_state` reads it."""

    catalog: dict[str, tuple]                   # catalog -> (rows, rows written since horizon); "" -> settings, prepared
    horizon: int                                # the first transaction id the state has not seen (32 bits)
    tables: dict[int, str]                      # oid -> quoted name
    references: dict[int, set[int]]             # table -> the tables whose foreign keys point at it
    filled: frozenset[int]                      # tables holding rows
    kept: dict[int, tuple] = field(default_factory=dict)    # table -> (rows, digest), for tables with rows
    sequences: dict[str, tuple] = field(default_factory=dict)

    @property
    def reusable(self) -> bool:
        return sum(rows for rows, _ in self.kept.values()) <= MAX_KEPT_ROWS


def take_state(connection, baseline: CopyState | None = None) -> CopyState:
    """The copy's state; with ``baseline``, only what comparing to it needs."""
    run = connection.exec_driver_sql
    horizon = baseline.horizon if baseline else int(run(_HORIZON).scalar())
    catalog = _catalog(connection, horizon, list(baseline.catalog) if baseline else None)
    if baseline is not None and catalog != baseline.catalog:
        return CopyState(catalog, horizon, baseline.tables, baseline.references, frozenset())
    tables = baseline.tables if baseline else {oid: _quoted(schema, name) for oid, schema, name in run(_TABLES)}
    references: dict[int, set[int]] = {}
    if baseline is not None:
        references = baseline.references
    else:
        for child, parent in run(_REFERENCES):
            references.setdefault(parent, set()).add(child)
    filled = _filled(connection, tables) if tables else frozenset()
    kept_tables = baseline.kept if baseline is not None else filled
    kept = {oid: tuple(run(f"SELECT count(*), md5(coalesce(string_agg(t::text, chr(10) ORDER BY t::text), '')) "
                           f"FROM {tables[oid]} t").one())
            for oid in kept_tables if oid in filled}
    sequences = {name: (last, start) for name, last, start in run(_SEQUENCES)}
    return CopyState(catalog, horizon, tables, references, filled, kept, sequences)


def _catalog(connection, horizon: int, catalogs: list[str] | None = None) -> dict[str, tuple]:
    """Each catalog's rows, and how many were written (inserted or updated) by a transaction at or past
    ``horizon``; under "" the database's settings and prepared transactions."""
    run = connection.exec_driver_sql
    if catalogs is None:
        catalogs = [row[0] for row in run(_CATALOGS)] + [""]
    found = {"": tuple(run(_OUTSIDE).one())} if "" in catalogs else {}
    fingerprint_sql = " UNION ALL ".join(
        f"SELECT '{name}', count(*), count(*) FILTER (WHERE age(xmin) <= age('{horizon}'::xid)) "
        f"FROM pg_catalog.{name}" for name in catalogs if name)
    found.update((name, (rows, newer)) for name, rows, newer in run(fingerprint_sql))
    return found


def _filled(connection, tables: dict[int, str]) -> frozenset[int]:
    found: set[int] = set()
    oids = list(tables)
    for start in range(0, len(oids), 500):  # one statement per 500 tables keeps the plan small
        part = oids[start:start + 500]
        sql = " UNION ALL ".join(f"SELECT {oid}::bigint WHERE EXISTS (SELECT 1 FROM {tables[oid]})" for oid in part)
        found.update(row[0] for row in connection.exec_driver_sql(sql))
    return frozenset(found)


def reset(connection, baseline: CopyState) -> CopyState | None:
    """Put the copy back to ``baseline`` and return its state then; None (nothing done) when only a new copy would do.

    ``connection`` is a connection to the copy in a transaction the caller
    commits: the emptied tables and the sequences go back together. The state
    returned differs from ``baseline`` only in the catalog's fingerprint, which
    emptying a table moves.
    """
    now = take_state(connection, baseline)
    if now.catalog != baseline.catalog or now.kept != baseline.kept:
        return None
    if baseline.filled - now.filled:
        return None  # a table that held rows was emptied: only a copy brings them back
    emptied = set(now.filled - baseline.filled)
    pending = list(emptied)
    while pending:  # TRUNCATE needs every table whose foreign keys point at one it empties
        for child in baseline.references.get(pending.pop(), ()):
            if child not in emptied:
                if child in baseline.filled:
                    return None  # it would empty a table the template filled
                emptied.add(child)
                pending.append(child)
    # A scratch copy: nothing is lost if a crash takes the reset with it, so the commit waits for no disk.
    connection.exec_driver_sql("SET LOCAL lock_timeout = '2s'; SET LOCAL synchronous_commit = off")
    if emptied:
        connection.exec_driver_sql("TRUNCATE " + ", ".join(baseline.tables[oid] for oid in sorted(emptied)))
    for name, (last, start) in baseline.sequences.items():
        if now.sequences.get(name) != (last, start):
            value, called = (last, "true") if last is not None else (start, "false")
            connection.exec_driver_sql(f"SELECT setval('{name.replace(chr(39), chr(39) * 2)}', {value}, {called})")
    if not emptied:
        return baseline
    # Emptying a table writes its catalog rows in this transaction: the next check looks past it.
    return replace(baseline, horizon=int(connection.exec_driver_sql(_NEXT_HORIZON).scalar()))
