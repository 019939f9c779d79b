"""``upgrade --rehearse --locks``: the locks each pending statement takes, read from a real PostgreSQL.

The PostgreSQL tests run on the suite's server and again on the embedded
PostgreSQL (LOCKGATE_TEST_POSTGRESQL=embedded), so the lock modes are those
of two server versions.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

import dbservers
from clihelpers import cli
from helpers import engine_for
from lockgate import DBMigrator

BASE = {"1_users.sql": "CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(50));\n"}
PENDING = {
    "2_email.sql": "ALTER TABLE users ADD COLUMN email VARCHAR(100);\n"
                   "CREATE INDEX ix_users_email ON users (email);\n",
}


def _schema_and_rows(url) -> dict:
    """Every table with its columns and indexes, and the tracking rows: what must not change."""
    with engine_for(url) as engine:
        inspector = sa.inspect(engine)
        tables = {name: ([c["name"] for c in inspector.get_columns(name)],
                         sorted(i["name"] for i in inspector.get_indexes(name)))
                  for name in sorted(inspector.get_table_names())}
        with engine.connect() as connection:
            rows = [tuple(r) for r in connection.execute(sa.text(
                "SELECT version, applied_at, state FROM lockgate_versions ORDER BY version"))]
    return {"tables": tables, "rows": rows}


def _locks_of(report: dict, version: str, line: int) -> dict[str, str]:
    script = next(s for s in report["scripts"] if s["version"] == version)
    statement = next(s for s in script["statements"] if s["line"] == line)
    return {lock["relation"]: lock["mode"] for lock in statement["locks"]}


@pytest.fixture
def migrated(postgresql_url, make_scripts):
    """A PostgreSQL database with script 1 applied and script 2 pending."""
    scripts = make_scripts({**BASE, **PENDING})
    with engine_for(postgresql_url) as engine:
        DBMigrator(engine, directory=scripts).upgrade("1")
    return postgresql_url, scripts


def test_add_column_takes_access_exclusive_and_create_index_a_share_lock(migrated, capsys):
    url, scripts = migrated
    r = cli(capsys, "--url", url, "--directory", scripts, "upgrade", "--rehearse", "--locks", "--json")
    assert r.code == 0, r
    report = r.json()
    assert report["database"] == "scratch" and report["rolled_back"] is True
    assert _locks_of(report, "2", 1) == {"public.users": "AccessExclusiveLock"}
    index = _locks_of(report, "2", 2)
    assert index["public.users"] == "ShareLock"
    # The new index is locked too, but it is the rehearsal's own: it blocks nobody.
    new = next(lock for s in report["scripts"][0]["statements"] for lock in s["locks"]
               if lock["relation"] == "public.ix_users_email")
    assert new["new_relation"] is True and new["table"] == "public.users" and new["kind"] == "index"
    share = next(lock for lock in report["scripts"][0]["statements"][1]["locks"]
                 if lock["mode"] == "ShareLock")
    assert share["blocks"] == "writes" and "INSERT/UPDATE/DELETE" in share["blocked"]
    assert "SELECT" not in share["blocked"]
    [users] = report["tables"]
    assert (users["table"], users["mode"], users["blocks"], users["version"], users["line"]) == (
        "public.users", "AccessExclusiveLock", "reads and writes", "2", 1)
    assert users["held_ms"] >= 0


def test_the_report_in_words(migrated, capsys):
    url, scripts = migrated
    r = cli(capsys, "--url", url, "--directory", scripts, "upgrade", "--rehearse", "--locks")
    assert r.code == 0, r
    assert "line 1: ALTER TABLE users ADD COLUMN email VARCHAR(100)" in r.out
    assert "AccessExclusiveLock on public.users (table): blocks reads and writes" in r.out
    assert "ShareLock on public.users (table): blocks writes (" in r.out
    assert "public.users: AccessExclusiveLock blocks reads and writes for" in r.out
    assert "scratch copy of the schema" in r.out


def test_the_json_keeps_its_documented_shape(migrated, capsys):
    url, scripts = migrated
    report = cli(capsys, "--url", url, "--directory", scripts, "upgrade", "--rehearse", "--locks",
                 "--json").json()
    assert set(report) == {"format", "database", "rolled_back", "message", "scripts", "tables"}
    assert report["format"] == 1
    script = report["scripts"][0]
    assert set(script) == {"version", "title", "file", "capture", "elapsed_ms", "statements"}
    assert (script["file"], script["capture"]) == ("2_email.sql", "statement")
    assert set(script["statements"][0]) == {"line", "sql", "elapsed_ms", "held_ms", "locks"}
    assert set(script["statements"][0]["locks"][0]) == {"relation", "kind", "table", "mode", "blocks",
                                                       "blocked", "new_relation"}
    assert set(report["tables"][0]) == {"table", "relation", "mode", "blocks", "held_ms", "version", "line"}


def test_the_target_is_untouched_by_default(migrated, capsys):
    """A session holding a lock on the target's table does not hold the report up: it never
    asks the target for a lock. Rehearsing on the target itself waits for that lock."""
    url, scripts = migrated
    before = _schema_and_rows(url)
    with engine_for(url) as engine, engine.connect() as other:
        other.execute(sa.text("LOCK TABLE users IN ACCESS SHARE MODE"))  # held until rollback
        r = cli(capsys, "--url", url, "--directory", scripts, "--ddl-lock-timeout", "1s",
                "upgrade", "--rehearse", "--locks", "--json")
        assert r.code == 0, r
        assert _locks_of(r.json(), "2", 1) == {"public.users": "AccessExclusiveLock"}
        on_target = cli(capsys, "--url", url, "--directory", scripts, "--ddl-lock-timeout", "1s",
                        "upgrade", "--rehearse", "--locks", "--on-target")
        assert on_target.code == 1 and "lock timeout" in on_target.err.lower()
        other.rollback()
    assert _schema_and_rows(url) == before


def test_on_target_reads_the_same_locks_and_rolls_back(migrated, capsys):
    url, scripts = migrated
    before = _schema_and_rows(url)
    r = cli(capsys, "--url", url, "--directory", scripts, "upgrade", "--rehearse", "--locks",
            "--on-target", "--json")
    assert r.code == 0, r
    assert r.json()["database"] == "target"
    assert _locks_of(r.json(), "2", 1) == {"public.users": "AccessExclusiveLock"}
    assert _locks_of(r.json(), "2", 2)["public.users"] == "ShareLock"
    assert _schema_and_rows(url) == before


def test_a_shadow_database_gets_the_applied_schema_and_is_left_in_place(migrated, db_servers, tmp_path,
                                                                         capsys):
    url, scripts = migrated
    databases = dbservers.DatabaseFactory("postgresql", db_servers, tmp_path)
    try:
        _shadow_run(url, scripts, databases(), capsys)
    finally:
        databases.drop_all()


def _shadow_run(url, scripts, shadow, capsys):
    r = cli(capsys, "--url", url, "--directory", scripts, "upgrade", "--rehearse", "--locks",
            "--shadow-url", shadow, "--json")
    assert r.code == 0, r
    assert r.json()["database"] == "shadow"
    assert _locks_of(r.json(), "2", 1) == {"public.users": "AccessExclusiveLock"}
    shadow_state = _schema_and_rows(shadow)
    assert list(shadow_state["tables"]) == ["lockgate_versions", "users"]
    assert [row[0] for row in shadow_state["rows"]] == ["1"]  # the rehearsal was rolled back


def test_a_python_script_is_read_statement_by_statement_with_its_lines(postgresql_url, make_scripts, capsys):
    scripts = make_scripts({**BASE, "2_py.py": """
        from sqlalchemy import text


        def upgrade(connection):
            connection.execute(text("ALTER TABLE users ADD COLUMN email VARCHAR(100)"))
            connection.execute(text("CREATE INDEX ix_users_name ON users (name)"))
            raw = connection.connection.driver_connection.cursor()
            raw.execute("ALTER TABLE users ADD COLUMN note VARCHAR(10)")
            raw.execute("CREATE TABLE audit (id INTEGER)")
    """})
    with engine_for(postgresql_url) as engine:
        DBMigrator(engine, directory=scripts).upgrade("1")
    r = cli(capsys, "--url", postgresql_url, "--directory", scripts, "upgrade", "--rehearse", "--locks",
            "--json")
    assert r.code == 0, r
    [script] = r.json()["scripts"]
    assert script["capture"] == "statement"
    lines = [(s["line"], s["sql"]) for s in script["statements"]]
    assert lines[:2] == [(5, "ALTER TABLE users ADD COLUMN email VARCHAR(100)"),
                         (6, "CREATE INDEX ix_users_name ON users (name)")]
    assert _locks_of(r.json(), "2", 5) == {"public.users": "AccessExclusiveLock"}
    assert _locks_of(r.json(), "2", 6)["public.users"] == "ShareLock"
    # What ran on the driver's own cursor is read at the script's end, and said to be.
    unseen = script["statements"][-1]
    assert unseen["line"] is None and "driver's own connection" in unseen["sql"]
    assert {lock["relation"] for lock in unseen["locks"]} == {"public.audit"}


def test_nothing_pending_is_said_plainly(postgresql_url, make_scripts, capsys):
    scripts = make_scripts(BASE)
    with engine_for(postgresql_url) as engine:
        DBMigrator(engine, directory=scripts).upgrade()
    r = cli(capsys, "--url", postgresql_url, "--directory", scripts, "upgrade", "--rehearse", "--locks")
    assert r.code == 0, r
    assert "up to date" in r.out


def test_locks_needs_the_rehearsal(postgresql_url, make_scripts, capsys):
    scripts = make_scripts({**BASE, **PENDING})
    r = cli(capsys, "--url", postgresql_url, "--directory", scripts, "upgrade", "--locks")
    assert r.code == 2 and "--locks goes with --rehearse" in r.err and "Traceback" not in r.err
    with engine_for(postgresql_url) as engine:
        assert sa.inspect(engine).get_table_names() == []


def _refused(url, scripts, capsys) -> None:
    with engine_for(url) as engine:
        DBMigrator(engine, directory=scripts).upgrade("1")
    before = _schema_and_rows(url)
    r = cli(capsys, "--url", url, "--directory", scripts, "upgrade", "--rehearse", "--locks")
    assert r.code == 2, r
    assert "cannot tell which table locks each statement" in r.err and "nothing was run" in r.err
    assert "Traceback" not in r.err and len(r.err.strip().splitlines()) == 1
    assert _schema_and_rows(url) == before


def test_sqlite_says_it_cannot_tell(sqlite_url, make_scripts, capsys):
    _refused(sqlite_url, make_scripts({**BASE, **PENDING}), capsys)


def test_mariadb_says_it_cannot_tell(mariadb_url, make_scripts, capsys):
    _refused(mariadb_url, make_scripts({**BASE, **PENDING}), capsys)


def test_what_each_mode_blocks_is_read_off_the_conflict_table():
    from lockgate.dialects.locks_postgresql import CONFLICTS, MODES, blocked, blocks

    # PostgreSQL's table is symmetric: a mode that waits for another is waited for by it.
    assert all((b in CONFLICTS[a]) == (a in CONFLICTS[b]) for a in MODES for b in MODES)
    assert {mode: blocks(mode) for mode in MODES} == {
        "AccessShareLock": "neither reads nor writes",
        "RowShareLock": "neither reads nor writes",
        "RowExclusiveLock": "neither reads nor writes",
        "ShareUpdateExclusiveLock": "neither reads nor writes",
        "ShareLock": "writes",
        "ShareRowExclusiveLock": "writes",
        "ExclusiveLock": "writes",
        "AccessExclusiveLock": "reads and writes",
    }
    assert blocked("ShareUpdateExclusiveLock") == ["VACUUM/ANALYZE", "CREATE INDEX", "CREATE TRIGGER",
                                                   "ALTER TABLE/DROP"]
    assert blocked("AccessShareLock") == ["ALTER TABLE/DROP"]


def test_a_statement_that_blocks_neither_reads_nor_writes_says_so(postgresql_url, make_scripts, capsys):
    scripts = make_scripts({**BASE, "2_stats.sql": "ALTER TABLE users ALTER COLUMN name SET STATISTICS 200;\n"})
    with engine_for(postgresql_url) as engine:
        DBMigrator(engine, directory=scripts).upgrade("1")
    r = cli(capsys, "--url", postgresql_url, "--directory", scripts, "upgrade", "--rehearse", "--locks",
            "--json")
    assert r.code == 0, r
    [lock] = r.json()["scripts"][0]["statements"][0]["locks"]
    assert (lock["mode"], lock["blocks"]) == ("ShareUpdateExclusiveLock", "neither reads nor writes")
    assert "INSERT/UPDATE/DELETE" not in lock["blocked"] and "VACUUM/ANALYZE" in lock["blocked"]
