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
them) and puts the sequences back, and only when nothing else changed and no
other session is on the copy: any other difference means a new copy, so a
reset copy is indistinguishable from a fresh one by anything this reads. Small
tables are emptied with DELETE, whose commit need not wait for the disk (a
TRUNCATE's does: it removes files), and the test's own connections are made as
new with ``DISCARD ALL`` and kept open for the next test.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

#: Tables that held rows in the template are compared row by row, up to this many rows in all;
#: past it a copy is never reused (comparing would cost more than copying).
MAX_KEPT_ROWS = 20_000
#: A table a test filled with up to this many rows is emptied with DELETE: no new file, so no
#: commit that waits for the disk, and no catalog row written. Past it, or when deleting could
#: run the user's code (triggers, rules) or see less than every row (row security): TRUNCATE.
MAX_DELETED_ROWS = 1_000

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

#: Tables a DELETE would not simply empty: user triggers, rules, row security.
_GUARDED = """
SELECT c.oid::bigint FROM pg_class c
WHERE c.relkind = 'r' AND (c.relhasrules OR c.relrowsecurity
      OR EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal))
"""

_CATALOGS = """
SELECT c.relname FROM pg_class c
WHERE c.relnamespace = 'pg_catalog'::regnamespace AND c.relkind = 'r' AND NOT c.relisshared
  AND c.relname NOT IN ('pg_statistic', 'pg_statistic_ext_data', 'pg_largeobject')
ORDER BY 1
"""

_OUTSIDE = """
SELECT (SELECT count(*) FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase
        WHERE d.datname = current_database()) AS settings,
       (SELECT count(*) FROM pg_prepared_xacts WHERE database = current_database()) AS prepared
"""

#: Transaction ids are 32 bits in a row's ``xmin``; ids 0-2 are special, so a horizon is at least 3.
_HORIZON = "SELECT greatest(mod(pg_snapshot_xmax(pg_current_snapshot())::text::bigint, 4294967296), 3)"
_NEXT_HORIZON = "SELECT greatest(mod(pg_current_xact_id()::text::bigint + 1, 4294967296), 3)"

_SEQUENCES = """
SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename) AS name, last_value, start_value
FROM pg_sequences ORDER BY 1
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
    sizes: dict[int, int] = field(default_factory=dict)     # table with rows -> rows, counted up to a limit
    guarded: frozenset[int] = frozenset()       # tables emptied only by TRUNCATE (see MAX_DELETED_ROWS)

    @property
    def reusable(self) -> bool:
        return sum(rows for rows, _ in self.kept.values()) <= MAX_KEPT_ROWS


def take_state(connection, baseline: CopyState | None = None) -> CopyState:
    """The copy's state; with ``baseline``, only what comparing to it needs, in one round trip."""
    if baseline is not None:
        return _state_since(connection, baseline)[0]
    run = connection.exec_driver_sql
    horizon = int(run(_HORIZON).scalar())
    catalog = _catalog(connection, horizon)
    tables = {oid: _quoted(schema, name) for oid, schema, name in run(_TABLES)}
    references: dict[int, set[int]] = {}
    for child, parent in run(_REFERENCES):
        references.setdefault(parent, set()).add(child)
    sizes = _sizes(connection, tables) if tables else {}
    kept = {oid: tuple(run(_kept_sql(tables[oid])).one()) for oid in sizes}
    sequences = {name: (last, start) for name, last, start in run(_SEQUENCES)}
    guarded = frozenset(row[0] for row in run(_GUARDED))
    return CopyState(catalog, horizon, tables, references, frozenset(sizes), kept, sequences, sizes, guarded)


def _kept_sql(table: str) -> str:
    return f"SELECT count(*), md5(coalesce(string_agg(t::text, chr(10) ORDER BY t::text), '')) FROM {table} t"


def _state_since(connection, baseline: CopyState, ours: tuple[int, ...] = ()) -> tuple[CopyState, int]:
    """Everything compared to ``baseline`` read by one statement: the catalogs' fingerprint,
    the settings, which tables hold rows (and how many, up to a limit), the kept tables' rows
    and the sequences; and how many sessions are on the copy besides this one and ``ours``."""
    others = ("SELECT 'a', '', count(*)::text, NULL FROM pg_stat_activity WHERE datname = current_database() "
              "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
              + "".join(f" AND pid <> {int(pid)}" for pid in ours))
    parts = [_OUTSIDE_ROW, others] + [_catalog_row(name, baseline.horizon) for name in baseline.catalog if name]
    parts += [f"SELECT 'f', '{oid}', count(*)::text, NULL FROM (SELECT FROM {table} LIMIT {MAX_DELETED_ROWS + 1}) t "
              "HAVING count(*) > 0" for oid, table in baseline.tables.items()]
    parts += [f"SELECT 'k', '{oid}', q.count::text, q.md5 FROM ({_kept_sql(baseline.tables[oid])}) q"
              for oid in baseline.kept]
    parts.append(f"SELECT 's', q.name, q.last_value::text, q.start_value::text FROM ({_SEQUENCES}) q")
    catalog: dict[str, tuple] = {}
    sizes: dict[int, int] = {}
    kept_found: dict[int, tuple] = {}
    sequences: dict[str, tuple] = {}
    sessions = 0
    for kind, name, first, second in connection.exec_driver_sql(" UNION ALL ".join(parts)):
        if kind == "a":
            sessions = int(first)
        elif kind == "c":
            catalog[name] = (int(first), int(second))
        elif kind == "f":
            sizes[int(name)] = int(first)
        elif kind == "k":
            kept_found[int(name)] = (int(first), second)
        else:
            sequences[name] = (None if first is None else int(first), int(second))
    if catalog != baseline.catalog:
        return CopyState(catalog, baseline.horizon, baseline.tables, baseline.references, frozenset()), sessions
    kept = {oid: found for oid, found in kept_found.items() if oid in sizes}
    return CopyState(catalog, baseline.horizon, baseline.tables, baseline.references, frozenset(sizes),
                     kept, sequences, sizes, baseline.guarded), sessions


#: The settings and prepared transactions, as a row of :func:`_state_since`'s statement.
_OUTSIDE_ROW = f"SELECT 'c', '', q.settings::text, q.prepared::text FROM ({_OUTSIDE}) q"


def _catalog_row(name: str, horizon: int) -> str:
    return (f"SELECT 'c', '{name}', count(*)::text, "
            f"count(*) FILTER (WHERE age(xmin) <= age('{horizon}'::xid))::text FROM pg_catalog.{name}")


def _catalog(connection, horizon: int) -> dict[str, tuple]:
    """Each catalog's rows, and how many were written (inserted or updated) by a transaction at or past
    ``horizon``; under "" the database's settings and prepared transactions."""
    run = connection.exec_driver_sql
    catalogs = [row[0] for row in run(_CATALOGS)]
    found = {"": tuple(run(_OUTSIDE).one())}
    found.update((name, (int(rows), int(newer))) for _, name, rows, newer
                 in run(" UNION ALL ".join(_catalog_row(name, horizon) for name in catalogs)))
    return found


def _sizes(connection, tables: dict[int, str]) -> dict[int, int]:
    """The tables holding rows, and how many (counted up to MAX_DELETED_ROWS + 1)."""
    found: dict[int, int] = {}
    oids = list(tables)
    for start in range(0, len(oids), 500):  # one statement per 500 tables keeps the plan small
        sql = " UNION ALL ".join(
            f"SELECT {oid}::bigint, count(*) FROM (SELECT FROM {tables[oid]} LIMIT {MAX_DELETED_ROWS + 1}) t "
            "HAVING count(*) > 0" for oid in oids[start:start + 500])
        found.update((oid, int(rows)) for oid, rows in connection.exec_driver_sql(sql))
    return found


def _made_new(sessions) -> tuple[int, ...] | None:
    """Each DBAPI connection in ``sessions`` reset as a new session is; their server process ids.
    None when one cannot be (broken, or in a transaction)."""
    pids = []
    for raw in sessions:
        try:
            autocommit = raw.autocommit
            raw.autocommit = True  # DISCARD ALL runs outside a transaction
            try:
                cursor = raw.cursor()
                cursor.execute("DISCARD ALL")
                pid = getattr(getattr(raw, "info", None), "backend_pid", None)  # psycopg 3 knows it
                if pid is None:
                    cursor.execute("SELECT pg_backend_pid()")
                    pid = cursor.fetchone()[0]
                pids.append(int(pid))
                cursor.close()
            finally:
                raw.autocommit = autocommit
        except Exception:  # noqa: BLE001 -- the driver's error, whatever the driver: a new copy will do
            return None
    return tuple(pids)


def _children_first(tables: set[int], references: dict[int, set[int]]) -> list[int] | None:
    """``tables`` in an order that deletes every referring row before the row it refers to;
    None when their foreign keys make a cycle (a table referring to itself included)."""
    order: list[int] = []
    state: dict[int, bool] = {}  # False: being visited; True: done

    def visit(table: int) -> bool:
        if table in state:
            return state[table]
        state[table] = False
        for child in references.get(table, ()):
            if child in tables and not visit(child):
                return False
        state[table] = True
        order.append(table)
        return True

    return order if all(visit(table) for table in sorted(tables)) else None


def reset(connection, baseline: CopyState, sessions=()) -> CopyState | None:
    """Put the copy back to ``baseline`` and return its state then; None (nothing done) when only a new copy would do.

    ``connection`` is a connection to the copy in a transaction the caller
    commits: the emptied tables and the sequences go back together.
    ``sessions`` are the idle DBAPI connections the test used, kept open for
    the next test: each is made as new (``DISCARD ALL``: temporary tables,
    settings, prepared statements, advisory locks, listeners). Any other
    session on the copy means a new copy: it could still change it. The state
    returned differs from ``baseline`` only in the catalog's fingerprint,
    which a TRUNCATE moves.
    """
    ours = _made_new(sessions)
    if ours is None:
        return None
    now, others = _state_since(connection, baseline, ours)
    if others or now.catalog != baseline.catalog or now.kept != baseline.kept:
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
    order = None
    if all(now.sizes.get(oid, 0) <= MAX_DELETED_ROWS for oid in emptied) and not emptied & baseline.guarded:
        order = _children_first(emptied, baseline.references)
    # A scratch copy: nothing is lost if a crash takes the reset with it, so the commit waits for no disk.
    statements = ["SET LOCAL lock_timeout = '2s'", "SET LOCAL synchronous_commit = off"]
    statements += [f"DELETE FROM {baseline.tables[oid]}" for oid in order or ()]
    if emptied and order is None:
        statements.append("TRUNCATE " + ", ".join(baseline.tables[oid] for oid in sorted(emptied)))
    for name, (last, start) in baseline.sequences.items():
        if now.sequences.get(name) != (last, start):
            value, called = (last, "true") if last is not None else (start, "false")
            statements.append(f"SELECT setval('{name.replace(chr(39), chr(39) * 2)}', {value}, {called})")
    connection.exec_driver_sql("; ".join(statements))
    if order is not None or not emptied:
        return baseline  # rows deleted write no catalog row: the copy is back as the baseline read it
    # Emptying a table writes its catalog rows in this transaction: the next check looks past it.
    return replace(baseline, horizon=int(connection.exec_driver_sql(_NEXT_HORIZON).scalar()))
