"""Setting up a new database, the tracking table, adopting nous.migration, and the busy example.

Every test runs on SQLite, PostgreSQL and MariaDB and checks the database itself.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa

from helpers import (
    TRACKING,
    TRACKING_COLUMNS,
    applied_versions,
    columns,
    engine,  # noqa: F401  (fixture)
    engine_for,
    execute,
    migrator,
    query,
    run_versions,
    schema,
    tables,
    tracking_rows,
    user_tables,
    utc_now,
)
from lockgate import (
    DBMigrator,
    MetaDataSetUp,
    ScriptFailedError,
    ScriptLoadError,
    SQLFileSetUp,
    UnknownVersionError,
)

ONE_SECOND = dt.timedelta(seconds=1)
BUSY_SCHEMA = Path(__file__).resolve().parent.parent / "examples" / "busy" / "src" / "busy" / "schema.sql"

# Scripts whose end result is the table ``users (id, email, name)`` with one row,
# and a canonical schema for the same table, without the row.
SCRIPTS = {
    "1_users.sql": "CREATE TABLE users (id INTEGER NOT NULL PRIMARY KEY, email VARCHAR(100));\n",
    "1_downgrade.sql": "DROP TABLE users;\n",
    "2_seed.sql": "INSERT INTO users (id, email) VALUES (1, 'admin@example.org');\n",
    "2_downgrade.sql": "DELETE FROM users;\n",
    "3_names.py": """
        import sqlalchemy as sa


        def upgrade(connection):
            connection.execute(sa.text("ALTER TABLE users ADD COLUMN name VARCHAR(100)"))
            connection.execute(sa.text("UPDATE users SET name = 'admin'"))
    """,
}
SCHEMA_SQL = """
    -- users as the scripts leave it
    CREATE TABLE users (
        id INTEGER NOT NULL PRIMARY KEY,
        email VARCHAR(100),
        name VARCHAR(100)
    );
"""


def users_metadata() -> sa.MetaData:
    metadata = sa.MetaData()
    sa.Table("users", metadata,
             sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
             sa.Column("email", sa.String(100)), sa.Column("name", sa.String(100)))
    return metadata


class Recorder:
    """An ``init_migration`` that only notes that it was called."""

    def __init__(self):
        self.calls = 0

    def upgrade(self, connection):
        self.calls += 1


# -- set_up_migration -------------------------------------------------------------

def test_set_up_with_run_scripts_runs_every_script(engine, make_scripts):
    m = migrator(engine, make_scripts(SCRIPTS))

    assert m.set_up_migration(run_scripts=True) is True

    assert user_tables(engine) == {"users"}
    assert query(engine, "SELECT id, email, name FROM users") == [(1, "admin@example.org", "admin")]
    rows = tracking_rows(engine)
    assert [r["version"] for r in rows] == ["1", "2", "3"]
    assert all(isinstance(r["execution_ms"], int) for r in rows)
    assert m.status().pending == []


@pytest.mark.parametrize("make_setup", [
    pytest.param(lambda root: SQLFileSetUp(root / "schema.sql"), id="sql-path"),
    pytest.param(lambda root: SQLFileSetUp(str(root / "schema.sql")), id="sql-str"),
    pytest.param(lambda root: MetaDataSetUp(users_metadata()), id="metadata"),
])
def test_set_up_with_a_canonical_schema_marks_scripts_applied_without_running_them(
        engine, make_scripts, make_setup):
    scripts = make_scripts({**SCRIPTS, "4_never.py": """
        def upgrade(connection):
            raise RuntimeError("setup must not run scripts")
    """})
    root = make_scripts({"schema.sql": SCHEMA_SQL})
    m = migrator(engine, scripts)

    assert m.set_up_migration(init_migration=make_setup(root), run_scripts=False) is True

    assert user_tables(engine) == {"users"}
    assert sorted(columns(engine, "users")) == ["email", "id", "name"]
    assert query(engine, "SELECT id FROM users") == []  # 2_seed.sql did not run
    rows = tracking_rows(engine)
    assert [(r["version"], r["title"], r["kind"]) for r in rows] == [
        ("1", "users", "sql"), ("2", "seed", "sql"), ("3", "names", "py"), ("4", "never", "py")]
    assert [r["execution_ms"] for r in rows] == [None] * 4
    assert [r["checksum"] for r in rows] == [s.checksum for s in m.scripts()]
    assert m.status().pending == [] and m.upgrade().runs == []


def test_set_up_without_a_schema_marks_every_script_applied(engine, make_scripts):
    m = migrator(engine, make_scripts(SCRIPTS))

    assert m.set_up_migration() is True

    assert user_tables(engine) == set()
    assert applied_versions(engine) == ["1", "2", "3"]


@pytest.mark.parametrize("run_scripts", [False, True])
def test_set_up_twice_does_nothing_the_second_time(engine, make_scripts, run_scripts):
    scripts = make_scripts(SCRIPTS)
    m = migrator(engine, scripts)
    assert m.set_up_migration(init_migration=SQLFileSetUp(make_scripts({"s.sql": SCHEMA_SQL}) / "s.sql"))
    make_scripts({"5_more.sql": "INSERT INTO users (id) VALUES (5);\n"}, root=scripts)
    rows = tracking_rows(engine)
    again = Recorder()

    assert m.set_up_migration(init_migration=again, run_scripts=run_scripts) is False

    assert again.calls == 0
    assert tracking_rows(engine) == rows  # 5 neither run nor marked applied
    assert query(engine, "SELECT id FROM users") == []
    assert [s.version for s in m.pending()] == ["5"]


def test_set_up_on_a_database_that_lockgate_already_migrates_does_nothing(engine, make_scripts):
    m = migrator(engine, make_scripts(SCRIPTS))
    m.upgrade("1")
    init = Recorder()

    assert m.set_up_migration(init_migration=init) is False

    assert init.calls == 0
    assert applied_versions(engine) == ["1"]
    assert [s.version for s in m.pending()] == ["2", "3"]


def test_a_failing_canonical_schema_leaves_no_tracking_table(engine, db_backend, make_scripts):
    schema_file = make_scripts({"schema.sql": """
        CREATE TABLE users (id INTEGER);
        INSERT INTO no_such_table (id) VALUES (1);
    """}) / "schema.sql"
    m = migrator(engine, make_scripts(SCRIPTS))

    with pytest.raises(ScriptFailedError) as info:
        m.set_up_migration(init_migration=SQLFileSetUp(schema_file))

    assert (info.value.path, info.value.line) == (str(schema_file), 2)
    assert TRACKING not in tables(engine)
    if db_backend != "mariadb":  # MariaDB commits each CREATE TABLE on its own
        assert tables(engine) == set()
    assert m.set_up_migration(init_migration=MetaDataSetUp(sa.MetaData())) is True  # a second try works


def test_set_up_run_scripts_with_a_broken_python_script_runs_nothing(engine, make_scripts):
    m = migrator(engine, make_scripts({**SCRIPTS, "4_broken.py": "def upgrade(connection):\nreturn\n"}))

    with pytest.raises(ScriptLoadError):
        m.set_up_migration(run_scripts=True)

    assert tables(engine) == set()


def test_set_up_run_scripts_stops_at_a_failing_script(engine, make_scripts):
    scripts = make_scripts({**SCRIPTS, "2_seed.sql": "INSERT INTO no_such_table (id) VALUES (1);\n"})
    m = migrator(engine, scripts)

    with pytest.raises(ScriptFailedError) as info:
        m.set_up_migration(run_scripts=True)

    assert info.value.version == "2"
    assert applied_versions(engine) == ["1"]
    assert user_tables(engine) == {"users"}


def test_a_canonical_schema_with_a_byte_order_mark(engine, make_scripts):
    schema_file = make_scripts({"schema.sql": b"\xef\xbb\xbf" + SCHEMA_SQL.encode()}) / "schema.sql"
    m = migrator(engine, make_scripts(SCRIPTS))

    assert m.set_up_migration(init_migration=SQLFileSetUp(schema_file)) is True

    assert sorted(columns(engine, "users")) == ["email", "id", "name"]


def test_sql_file_setup_reads_a_package_resource(engine, make_scripts):
    m = migrator(engine, make_scripts({"1_users.sql": "CREATE TABLE users (id INTEGER);\n"}))

    assert m.set_up_migration(init_migration=SQLFileSetUp("busy:schema.sql")) is True

    assert user_tables(engine) == {"users", "tasks", "tags"}
    assert applied_versions(engine) == ["1"]


# -- the tracking table --------------------------------------------------------------

def test_tracking_rows_record_each_script(engine, make_scripts):
    scripts = make_scripts({
        "201006231515_create_users.sql": "CREATE TABLE users (id INTEGER);\n",
        "201007011200_add_tasks.py": "def upgrade(connection):\n    pass\n",
        "201008151030_mixed.py": "from lockgate import run_sql_file\n\n\ndef upgrade(connection):\n"
                                 "    run_sql_file(connection)\n",
        "201008151030_upgrade.sql": "CREATE TABLE tags (id INTEGER);\n",
        "12345678901234567890123_long_version.sql": "CREATE TABLE later (id INTEGER);\n",
    })
    m = migrator(engine, scripts)
    before = utc_now()
    m.upgrade()
    after = utc_now()

    assert set(TRACKING_COLUMNS) <= set(columns(engine, TRACKING))  # every documented column
    rows = tracking_rows(engine)
    assert [(r["version"], r["title"], r["kind"]) for r in rows] == [
        ("201006231515", "create_users", "sql"),
        ("201007011200", "add_tasks", "py"),
        ("201008151030", "mixed", "mixed"),
        ("12345678901234567890123", "long_version", "sql"),
    ]
    assert [r["checksum"] for r in rows] == [s.checksum for s in m.scripts()]
    assert all(len(r["checksum"]) == 64 for r in rows)
    for row in rows:
        assert "@" in row["applied_by"] and not row["applied_by"].startswith("@")
        assert isinstance(row["execution_ms"], int) and row["execution_ms"] >= 0
        # naive UTC, taken during the run (a second's slack for how databases round)
        assert row["applied_at"].tzinfo is None
        assert before - ONE_SECOND <= row["applied_at"] <= after + ONE_SECOND


def test_history_lists_applied_scripts_in_the_order_they_ran(engine, make_scripts):
    m = migrator(engine, make_scripts(SCRIPTS))
    m.upgrade("1")
    m.upgrade("3")
    m.upgrade("2")

    history = m.history()

    assert [(a.version, a.title, a.kind) for a in history] == [
        ("1", "users", "sql"), ("3", "names", "py"), ("2", "seed", "sql")]
    assert history[0].applied_at <= history[1].applied_at <= history[2].applied_at
    entry = history[0].as_dict()
    assert entry["applied_at"].endswith("Z") and entry["execution_ms"] >= 0
    assert [a.version for a in m.applied()] == ["1", "2", "3"]


@pytest.mark.parametrize("name", ["Order Log", "select", "MigrationLog", "lockgate-versions"])
def test_a_custom_tracking_table_name_is_quoted_everywhere(engine, make_scripts, name):
    scripts = make_scripts(SCRIPTS)
    m = migrator(engine, scripts, table=name)

    assert m.status().tracking_table_exists is False
    assert run_versions(m.upgrade(to="2")) == ["1", "2"]

    assert name in tables(engine) and TRACKING not in tables(engine)
    assert set(TRACKING_COLUMNS) <= set(columns(engine, name))
    assert applied_versions(engine, name) == ["1", "2"]
    status = migrator(engine, scripts, table=name).status()
    assert status.tracking_table_exists is True
    assert [s.version for s in status.applied] == ["1", "2"]
    assert [a.version for a in m.history()] == ["1", "2"]
    assert m.set_up_migration(init_migration=Recorder()) is False
    assert run_versions(m.downgrade()) == ["2"]
    assert applied_versions(engine, name) == ["1"]
    # The default table name is another table: nothing applied there.
    assert [s.version for s in migrator(engine, scripts).status().applied] == []


@pytest.mark.parametrize("name", ["Order Log", "select"])
def test_set_up_with_a_custom_tracking_table_name(engine, make_scripts, name):
    m = migrator(engine, make_scripts(SCRIPTS), table=name)

    assert m.set_up_migration(init_migration=MetaDataSetUp(users_metadata())) is True

    assert tables(engine) == {"users", name}
    assert applied_versions(engine, name) == ["1", "2", "3"]
    assert m.set_up_migration() is False


def test_an_applied_script_whose_file_is_gone_is_missing(engine, make_scripts):
    scripts = make_scripts(SCRIPTS)
    m = migrator(engine, scripts)
    m.upgrade(to="2")
    (scripts / "2_seed.sql").unlink()
    (scripts / "2_downgrade.sql").unlink()

    states = {s.version: s.state for s in m.status().scripts}
    assert states == {"1": "applied", "2": "missing", "3": "pending"}
    with pytest.raises(UnknownVersionError, match="Restore the file"):
        m.downgrade()
    assert applied_versions(engine) == ["1", "2"]


# -- adopting a nous.migration database --------------------------------------------

def nous_migration_database(engine, versions=(1, 2), table="versions"):
    """What nous.migration left: the scripts' tables and its ``versions`` table."""
    execute(engine,
            "CREATE TABLE users (id INTEGER NOT NULL PRIMARY KEY, email VARCHAR(100))",
            "INSERT INTO users (id, email) VALUES (1, 'admin@example.org')",
            f"CREATE TABLE {table} (version BIGINT NOT NULL)",
            *[f"INSERT INTO {table} (version) VALUES ({v})" for v in versions])


def test_status_reads_the_nous_migration_table_without_writing(engine, make_scripts):
    nous_migration_database(engine)
    m = migrator(engine, make_scripts(SCRIPTS))

    status = m.status()

    assert status.tracking_table_exists is False
    assert [(s.version, s.state) for s in status.scripts] == [
        ("1", "applied"), ("2", "applied"), ("3", "pending")]
    assert m.next_version() == "3"
    assert TRACKING not in tables(engine)


def test_upgrade_adopts_the_nous_migration_rows_and_runs_the_rest(engine, make_scripts):
    nous_migration_database(engine)
    m = migrator(engine, make_scripts(SCRIPTS))

    result = m.upgrade()

    assert result.adopted == 2
    assert run_versions(result) == ["3"]
    assert query(engine, "SELECT id, name FROM users") == [(1, "admin")]
    rows = tracking_rows(engine)
    checksums = {s.version: s.checksum for s in m.scripts()}
    assert [(r["version"], r["title"], r["kind"], r["checksum"]) for r in rows] == [
        ("1", "users", "sql", checksums["1"]), ("2", "seed", "sql", checksums["2"]),
        ("3", "names", "py", checksums["3"])]
    assert [r["applied_by"] for r in rows[:2]] == ["nous.migration"] * 2
    assert [r["execution_ms"] for r in rows[:2]] == [None, None]
    assert isinstance(rows[2]["execution_ms"], int)
    # nous.migration's table is left as it was.
    assert columns(engine, "versions") == ["version"]
    assert query(engine, "SELECT version FROM versions ORDER BY version") == [(1,), (2,)]
    assert m.upgrade().adopted is None  # adopted once only


def test_downgrade_adopts_and_reverts_the_newest_adopted_script(engine, make_scripts):
    nous_migration_database(engine, versions=(1,))
    m = migrator(engine, make_scripts(SCRIPTS))

    result = m.downgrade()

    assert result.adopted == 1 and run_versions(result) == ["1"]
    assert user_tables(engine) == {"versions"}
    assert applied_versions(engine) == []
    assert query(engine, "SELECT version FROM versions") == [(1,)]


def test_set_up_on_a_nous_migration_database_adopts_and_returns_false(engine, make_scripts):
    nous_migration_database(engine)
    init = Recorder()
    m = migrator(engine, make_scripts(SCRIPTS))

    assert m.set_up_migration(init_migration=init, run_scripts=True) is False

    assert init.calls == 0
    assert applied_versions(engine) == ["1", "2"]
    assert columns(engine, "users") == ["id", "email"]  # 3 did not run


def test_adopted_rows_without_a_script_on_disk_are_kept(engine, make_scripts):
    nous_migration_database(engine, versions=(1, 2, 200912010000))
    m = migrator(engine, make_scripts(SCRIPTS))

    m.upgrade()

    gone = tracking_rows(engine)[-1]
    assert (gone["version"], gone["title"], gone["kind"], gone["checksum"]) == (
        "200912010000", "(adopted from nous.migration)", "unknown", None)
    assert m.status().scripts[-1].state == "missing"


def test_a_legacy_table_with_another_name(engine, make_scripts):
    nous_migration_database(engine, table="old_versions")
    scripts = make_scripts(SCRIPTS)

    assert [s.state for s in migrator(engine, scripts).status().scripts] == ["pending"] * 3
    m = migrator(engine, scripts, legacy_table="old_versions")
    assert m.upgrade().adopted == 2
    assert applied_versions(engine) == ["1", "2", "3"]


def test_legacy_adoption_can_be_switched_off(engine, make_scripts):
    nous_migration_database(engine)
    m = migrator(engine, make_scripts(SCRIPTS), legacy_table=None)

    assert [s.state for s in m.status().scripts] == ["pending"] * 3
    with pytest.raises(ScriptFailedError):  # 1 creates users, which exists
        m.upgrade()
    assert query(engine, "SELECT version FROM versions ORDER BY version") == [(1,), (2,)]


def test_an_application_table_named_versions_is_not_adopted(engine, make_scripts):
    execute(engine, "CREATE TABLE versions (id INTEGER, version BIGINT)",
            "INSERT INTO versions (id, version) VALUES (1, 1)")
    m = migrator(engine, make_scripts(SCRIPTS))

    result = m.upgrade()

    assert result.adopted is None
    assert run_versions(result) == ["1", "2", "3"]
    assert query(engine, "SELECT id, version FROM versions") == [(1, 1)]


# -- the busy example ------------------------------------------------------------------

def busy(engine) -> DBMigrator:
    return DBMigrator(engine, "busy.migration")


def index_names(engine) -> dict[str, list[str]]:
    inspector = sa.inspect(engine)
    return {t: sorted(i["name"] for i in inspector.get_indexes(t) if i["name"].startswith("ix_"))
            for t in sorted(user_tables(engine))}


def test_busy_upgrade_and_downgrade_all(engine):
    m = busy(engine)

    result = m.upgrade()

    assert run_versions(result) == ["201006231515", "201007011200", "201008151030"]
    assert user_tables(engine) == {"users", "tasks", "tags"}
    assert query(engine, "SELECT id, email, name FROM users") == [(1, "admin@busy.example", "admin")]
    assert query(engine, "SELECT id, user_id, title, status FROM tasks") == [(1, 1, "Try lockgate", "open")]
    rows = tracking_rows(engine)
    assert [(r["title"], r["kind"]) for r in rows] == [
        ("create_users", "sql"), ("add_tasks", "py"), ("tags_and_names", "mixed")]
    assert [r["checksum"] for r in rows] == [s.checksum for s in m.scripts()]

    result = m.downgrade(all=True)

    assert run_versions(result) == ["201008151030", "201007011200", "201006231515"]
    assert user_tables(engine) == set()
    assert applied_versions(engine) == []


@pytest.mark.parametrize("setup", [
    pytest.param(lambda: SQLFileSetUp(BUSY_SCHEMA), id="schema.sql"),
    pytest.param(lambda: SQLFileSetUp("busy:schema.sql"), id="package-resource"),
    pytest.param(lambda: MetaDataSetUp(__import__("busy.models").models.Base), id="models"),
])
def test_busy_setup_gives_the_schema_the_scripts_give(engine, fresh_db, setup):
    busy(engine).upgrade()
    with engine_for(fresh_db()) as set_up:
        m = busy(set_up)

        assert m.set_up_migration(init_migration=setup(), run_scripts=False) is True

        assert schema(set_up) == schema(engine)
        assert schema(set_up) == {"tags": ["id", "label", "note", "task_id"],
                                  "tasks": ["id", "status", "title", "user_id"],
                                  "users": ["email", "id", "name"]}
        assert index_names(set_up) == index_names(engine)
        assert [r["execution_ms"] for r in tracking_rows(set_up)] == [None] * 3
        assert query(set_up, "SELECT id FROM users") == []  # the scripts' rows are not there
        # What setup marked applied can be reverted by the scripts.
        assert run_versions(m.downgrade(all=True)) == ["201008151030", "201007011200", "201006231515"]
        assert user_tables(set_up) == set()
