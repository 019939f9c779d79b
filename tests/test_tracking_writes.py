"""The tracking table's writes are compiled once per kind of dialect, never shared across kinds."""

from __future__ import annotations

import sqlalchemy as sa

from lockgate.tracking import TrackingTable, TrackingWrites


def _writes(url: str, table: TrackingTable, **engine_options) -> TrackingWrites:
    engine = sa.create_engine(url, **engine_options)
    try:
        return TrackingWrites(table, engine.dialect, "run")
    finally:
        engine.dispose()


def test_two_engines_of_one_kind_share_the_compiled_writes():
    first, second = (_writes("sqlite://", TrackingTable()) for _ in range(2))
    assert first._insert is second._insert
    assert first.run_id == second.run_id == "run"


def test_a_dialect_setting_that_changes_the_sql_gets_writes_of_its_own():
    qmark = _writes("sqlite://", TrackingTable())
    named = _writes("sqlite://", TrackingTable(), paramstyle="named")
    assert "?" in qmark._finish.sql and ":key" in named._finish.sql
    assert isinstance(qmark.finish(_Script(), 5).params, list)
    assert isinstance(named.finish(_Script(), 5).params, dict)


def test_the_table_name_and_schema_are_part_of_the_compiled_sql():
    plain = _writes("sqlite://", TrackingTable())
    other = _writes("sqlite://", TrackingTable("other_versions"))
    pinned_table = TrackingTable()
    pinned_table.pin("main")
    pinned = _writes("sqlite://", pinned_table)
    assert '"lockgate_versions"' in plain._remove.sql
    assert '"other_versions"' in other._remove.sql and "lockgate_versions" not in other._remove.sql
    assert 'main."lockgate_versions"' in pinned._remove.sql


def test_a_server_side_elapsed_time_changes_the_insert():
    from lockgate.dialects import adapter_for
    from sqlalchemy.dialects import postgresql

    dialect = postgresql.dialect()
    elapsed = adapter_for(dialect).elapsed_sql()
    with_elapsed = TrackingWrites(TrackingTable(), dialect, "run", elapsed)
    without = TrackingWrites(TrackingTable(), dialect, "run")
    assert "clock_timestamp()" in with_elapsed._insert.sql and "RETURNING" in with_elapsed._insert.sql
    assert "clock_timestamp()" not in without._insert.sql


class _Script:
    version, title, kind, checksum = "1", "one", "sql", "abc"
