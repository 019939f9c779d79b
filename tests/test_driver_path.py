"""SQL scripts run straight on the driver (lockgate.dialects.sink): failures, timing, commits.

On PostgreSQL with psycopg 3 the statements of a script are pipelined, so
these tests check that errors still name the exact statement, also past the
pipeline's sync points and at COMMIT, and that nothing of a failed script
stays behind.
"""

from __future__ import annotations

import pytest

from helpers import (
    applied_versions,
    engine,  # noqa: F401  (fixture)
    migrator,
    query,
    scalar,
    tracking_rows,
    user_tables,
)
from lockgate import ScriptFailedError
from lockgate.dialects.pipeline import PipelinedBatch


def test_a_failure_after_many_statements_names_its_line_and_leaves_nothing(engine, make_scripts):
    rows = PipelinedBatch.sync_every * 2 + 17  # past two sync points of a pipeline
    body = "CREATE TABLE big (id INTEGER);\n" + "".join(
        f"INSERT INTO big (id) VALUES ({i});\n" for i in range(rows))
    scripts = make_scripts({"1_fine.sql": "CREATE TABLE fine (id INTEGER);\n",
                            "2_big.sql": body + "INSERT INTO big (nope) VALUES (1);\n"})

    with pytest.raises(ScriptFailedError) as info:
        migrator(engine, scripts).upgrade()

    assert info.value.line == rows + 2
    assert f"2_big.sql, line {rows + 2}: " in str(info.value)
    assert "INSERT INTO big (nope) VALUES (1)" in str(info.value)
    assert applied_versions(engine) == ["1"]
    if engine.dialect.name != "mysql":  # MariaDB's CREATE TABLE commits itself
        assert user_tables(engine) == {"fine"}


def test_a_long_script_is_applied_whole(engine, make_scripts):
    rows = PipelinedBatch.sync_every + 3
    body = "CREATE TABLE big (id INTEGER);\n" + "".join(
        f"INSERT INTO big (id) VALUES ({i});\n" for i in range(rows))
    scripts = make_scripts({"1_big.sql": body})

    migrator(engine, scripts).upgrade()

    assert scalar(engine, "SELECT COUNT(*) FROM big") == rows
    assert applied_versions(engine) == ["1"]


@pytest.mark.postgresql
def test_a_deferred_constraint_failing_at_commit_is_reported_and_rolled_back(postgresql_url, make_scripts):
    import sqlalchemy as sa

    scripts = make_scripts({"1_fk.sql": """
        CREATE TABLE parent (id INTEGER PRIMARY KEY);
        CREATE TABLE child (parent_id INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED);
        INSERT INTO child VALUES (42);
    """})
    engine = sa.create_engine(postgresql_url)
    try:
        with pytest.raises(ScriptFailedError) as info:
            migrator(engine, scripts).upgrade()
        assert "COMMIT failed" in str(info.value)
        assert "child" in str(info.value)
        assert user_tables(engine) == set()
        assert tracking_rows(engine) == []
    finally:
        engine.dispose()


def test_execution_time_is_measured_and_recorded(engine, make_scripts):
    if engine.dialect.name == "sqlite":  # SQLite has no sleep of its own: the test gives it one
        import time

        import sqlalchemy as sa

        engine.dispose()
        sa.event.listen(engine, "connect", lambda connection, _: connection.create_function("sleep", 1, time.sleep))
    sleep = {"postgresql": "SELECT pg_sleep(0.3)", "mysql": "SELECT SLEEP(0.3)",
             "sqlite": "SELECT sleep(0.15)"}[engine.dialect.name]
    scripts = make_scripts({"1_slow.sql": f"CREATE TABLE slow (id INTEGER);\n{sleep};\n"})

    result = migrator(engine, scripts).upgrade()

    recorded = tracking_rows(engine)[0]["execution_ms"]
    floor = 100 if engine.dialect.name == "sqlite" else 300
    assert recorded >= floor
    assert result.runs[0].execution_ms >= floor


@pytest.mark.postgresql
def test_every_script_but_the_last_commits_without_waiting_for_the_flush(postgresql_url, make_scripts):
    import sqlalchemy as sa

    record = "CREATE TABLE s{n} AS SELECT current_setting('synchronous_commit') AS v;\n"
    scripts = make_scripts({f"{n}_s.sql": record.format(n=n) for n in (1, 2, 3)})
    engine = sa.create_engine(postgresql_url)
    try:
        with engine.connect() as connection:  # the server's default (the test databases turn it off)
            connection.exec_driver_sql(f"ALTER DATABASE {engine.url.database} RESET synchronous_commit")
            connection.commit()
        engine.dispose()  # sessions take the database's settings when they start
        migrator(engine, scripts).upgrade()
        settings = [scalar(engine, f"SELECT v FROM s{n}") for n in (1, 2, 3)]
        assert settings == ["off", "off", "on"]
        migrator(engine, make_scripts({"4_s.sql": record.format(n=4)})).upgrade()
        assert scalar(engine, "SELECT v FROM s4") == "on"  # a run of one: its only script is the last
    finally:
        engine.dispose()


def test_percent_signs_and_question_marks_reach_the_database_as_written(engine, make_scripts):
    scripts = make_scripts({"1_text.sql": """
        CREATE TABLE notes (body VARCHAR(40));
        INSERT INTO notes (body) VALUES ('100% sure? %s %(x)s :name');
    """})

    migrator(engine, scripts).upgrade()

    assert query(engine, "SELECT body FROM notes") == [("100% sure? %s %(x)s :name",)]


@pytest.mark.postgresql
def test_copy_from_stdin_data_is_refused_with_the_file_and_line(postgresql_url, make_scripts):
    import sqlalchemy as sa

    scripts = make_scripts({"1_copy.sql": "CREATE TABLE t (id INTEGER);\nCOPY t (id) FROM stdin;\n1\n2\n\\.\n"})
    engine = sa.create_engine(postgresql_url)
    try:
        with pytest.raises(ScriptFailedError) as info:
            migrator(engine, scripts).upgrade()
        assert str(info.value).startswith(f"{scripts / '1_copy.sql'}, line 2: COPY ... FROM STDIN")
        assert "INSERT statements" in str(info.value)
        assert user_tables(engine) == set()
        assert tracking_rows(engine) == []
    finally:
        engine.dispose()
