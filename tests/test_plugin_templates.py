"""The pytest fixtures' migrated templates: scripts run once per session and version, a fresh copy per test.

Each test runs a small project in pytest processes of their own against a
real server (each backend in turn), forked warm as test_pytest_plugin.py's are.
A Python script logs every time it runs, so the tests can count how often the
scripts really ran.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest
import sqlalchemy as sa

from helpers import engine_for
from test_pytest_plugin import outcome, run_pytest, start_pytest

pytest_plugins = ["pytester"]

SCRIPTS = {
    "1_create_users.py": """
        import os

        import sqlalchemy as sa

        def upgrade(connection):
            with open(os.environ["RUN_LOG"], "a") as log:
                log.write("1\\n")
            connection.execute(sa.text(
                "CREATE TABLE users (id INTEGER NOT NULL PRIMARY KEY, email VARCHAR(255) NOT NULL)"))

        def downgrade(connection):
            connection.execute(sa.text("DROP TABLE users"))
        """,
    "2_tags.sql": "CREATE TABLE tags (id INTEGER NOT NULL PRIMARY KEY, "
                  "user_id INTEGER REFERENCES users (id), label VARCHAR(20));\n",
    "2_downgrade.sql": "DROP TABLE tags;\n",
}

#: Every test writes the same rows: a database shared between tests would fail the second one.
TESTS = """
    import os
    import pathlib

    import pytest
    import sqlalchemy as sa


    def _own_rows(engine):
        with engine.begin() as connection:
            connection.execute(sa.text("INSERT INTO users (id, email) VALUES (1, 'a@example.org')"))
            connection.execute(sa.text("INSERT INTO tags (id, user_id, label) VALUES (1, 1, 'x')"))
        with engine.connect() as connection:
            return connection.execute(sa.text("SELECT COUNT(*) FROM users")).scalar()


    @pytest.mark.parametrize("round_", range(3))
    def test_head(migrated_engine, lockgate_templates, round_):
        pathlib.Path(f"token_{os.getpid()}").write_text(lockgate_templates.token)
        assert _own_rows(migrated_engine) == 1


    @pytest.mark.parametrize("round_", range(2))
    def test_version_one(migrate_to, lockgate_migrator, round_):
        engine = migrate_to(1)
        assert set(sa.inspect(engine).get_table_names()) == {"users", "lockgate_versions"}
        with engine.begin() as connection:
            connection.execute(sa.text("INSERT INTO users (id, email) VALUES (7, 'b@example.org')"))
        lockgate_migrator.upgrade()
        assert _own_rows(engine) == 2
    """


def _project(pytester, tests: str = TESTS) -> Path:
    folder = pytester.path / "migrations"
    folder.mkdir(exist_ok=True)
    for name, body in SCRIPTS.items():
        (folder / name).write_text(textwrap.dedent(body).lstrip("\n"), encoding="utf-8")
    pytester.makepyfile(test_app=textwrap.dedent(tests))
    return folder


def _left_behind(db_url: str, token: str) -> list[str]:
    """Databases on db_url's server whose names carry the session's token."""
    url = sa.make_url(db_url)
    if url.get_backend_name() == "sqlite":
        return []
    query = ("SELECT datname FROM pg_database" if url.get_backend_name() == "postgresql"
             else "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA")
    with engine_for(db_url) as engine, engine.connect() as connection:
        return [name for (name,) in connection.execute(sa.text(query)) if token in name]


def test_parallel_sessions_run_the_scripts_once_per_version_and_never_share_a_database(pytester, db_url):
    """Two sessions at once on one server, as pytest-xdist workers run them.

    In each, the scripts run once per version and every test gets its own copy;
    each session has names of its own, and drops all of them.
    """
    _project(pytester)
    sessions = [start_pytest(pytester, "--lockgate-directory=migrations", f"--lockgate-url={db_url}",
                             "-W", "error", "-p", "no:cacheprovider", RUN_LOG=str(pytester.path / f"runs{n}.log"))
                for n in range(2)]
    for result in [outcome(session) for session in sessions]:  # both to their end before any assertion
        assert result.ret == 0
        result.assert_outcomes(passed=5)
    for n in range(2):
        # head once, version 1 once: five tests, two templates
        assert (pytester.path / f"runs{n}.log").read_text().splitlines() == ["1", "1"]
    assert sorted(path.name for path in pytester.path.glob("token_*")) == sorted(
        f"token_{session.pid}" for session in sessions), "each session's tests ran in its own process"
    tokens = {(pytester.path / f"token_{session.pid}").read_text() for session in sessions}
    assert len(tokens) == 2
    for token in tokens:
        assert _left_behind(db_url, token) == []


def test_a_changed_script_rebuilds_the_template(pytester, db_url):
    _project(pytester, """
        import pathlib

        import sqlalchemy as sa


        def test_before(migrated_engine):
            assert "label" in {c["name"] for c in sa.inspect(migrated_engine).get_columns("tags")}


        def test_edit_a_script():
            path = pathlib.Path("migrations/2_tags.sql")
            path.write_text(path.read_text().replace("label VARCHAR(20)", "name VARCHAR(30)"))


        def test_after(migrated_engine):
            columns = {c["name"] for c in sa.inspect(migrated_engine).get_columns("tags")}
            assert "name" in columns and "label" not in columns
        """)
    result = run_pytest(pytester, "--lockgate-directory=migrations", f"--lockgate-url={db_url}",
                        "-p", "no:cacheprovider", RUN_LOG=str(pytester.path / "runs.log"))
    result.assert_outcomes(passed=3)
    assert (pytester.path / "runs.log").read_text().splitlines() == ["1", "1"]


def test_a_mariadb_copy_has_every_object_and_row(mariadb_url):
    """MariaDB has no TEMPLATE: the copy replays tables, rows, views, triggers and routines."""
    from lockgate.dialects import adapter_for
    from lockgate.schema.snapshot import take_snapshot

    template = sa.make_url(mariadb_url).database
    copy_name = f"{template}_copy"
    with engine_for(mariadb_url) as engine:
        with engine.begin() as connection:
            for statement in (
                    "CREATE TABLE parent (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(20), "
                    "upper_name VARCHAR(20) AS (UPPER(name)) VIRTUAL, counted INTEGER DEFAULT 0)",
                    "CREATE TABLE child (id INTEGER NOT NULL AUTO_INCREMENT PRIMARY KEY, "
                    "parent_id INTEGER NOT NULL, FOREIGN KEY (parent_id) REFERENCES parent (id))",
                    "CREATE TABLE empty_one (id INTEGER PRIMARY KEY)",
                    "CREATE VIEW v_names AS SELECT name FROM parent WHERE name LIKE '%a%'",
                    "CREATE VIEW v_upper AS SELECT UPPER(name) AS loud FROM v_names",
                    "CREATE TRIGGER count_children AFTER INSERT ON child FOR EACH ROW "
                    "UPDATE parent SET counted = counted + 1 WHERE id = NEW.parent_id",
                    "CREATE FUNCTION twice(x INTEGER) RETURNS INTEGER DETERMINISTIC RETURN x * 2",
                    "INSERT INTO parent (id, name) VALUES (1, 'anna'), (2, 'bob')",
                    "INSERT INTO child (parent_id) VALUES (1), (1), (2)"):
                connection.execute(sa.text(statement))
        admin = engine.execution_options(isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                adapter_for(connection.dialect).database_copier(connection, template)(connection, copy_name)
            copy_url = sa.make_url(mariadb_url).set(database=copy_name)
            with engine_for(copy_url) as copied:
                assert take_snapshot(copied) == take_snapshot(engine)
                with copied.begin() as connection:
                    assert connection.execute(sa.text(
                        "SELECT id, name, upper_name, counted FROM parent ORDER BY id")).all() == [
                        (1, "anna", "ANNA", 2), (2, "bob", "BOB", 1)]
                    assert connection.execute(sa.text("SELECT loud FROM v_upper")).all() == [("ANNA",)]
                    connection.execute(sa.text("INSERT INTO child (parent_id) VALUES (2)"))  # trigger, next id
                    assert connection.execute(sa.text("SELECT MAX(id) FROM child")).scalar() == 4
                    assert connection.execute(sa.text("SELECT counted FROM parent WHERE id = 2")).scalar() == 2
                    assert connection.execute(sa.text("SELECT twice(21)")).scalar() == 42
                with copied.connect() as connection:
                    with pytest.raises(sa.exc.IntegrityError):  # the foreign key is checked again
                        connection.execute(sa.text("INSERT INTO child (parent_id) VALUES (99)"))
            with engine.connect() as connection:  # the template is untouched
                assert connection.execute(sa.text("SELECT COUNT(*) FROM child")).scalar() == 3
        finally:
            with admin.connect() as connection:
                connection.execute(sa.text(f"DROP DATABASE IF EXISTS `{copy_name}`"))


def test_a_script_edited_in_place_between_two_checkouts_rebuilds_the_template(tmp_path):
    """Between checkouts only a watch on the folders is read; an edit must still be seen, however quick."""
    from lockgate.config import Settings
    from lockgate.schema.templates import MigratedTemplates, _FolderWatch

    folder = tmp_path / "migrations"
    folder.mkdir()
    script = folder / "1_start.sql"
    script.write_text("CREATE TABLE start (id INTEGER PRIMARY KEY);\n", encoding="utf-8")
    templates = MigratedTemplates(f"sqlite:///{tmp_path / 'server.sqlite'}", Settings(directory=str(folder)))
    try:
        first = templates.template(None)
        assert templates.template(None) == first, "nothing changed: the same template"
        stat = script.stat()
        script.write_text("CREATE TABLE begin (id INTEGER PRIMARY KEY);\n", encoding="utf-8")
        probe = _FolderWatch([str(folder)])
        if probe.fd >= 0:  # told by inotify: even an edit of the same size and time is seen
            os.utime(script, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        probe.close()
        second = templates.template(None)
        assert second != first
        names = sa.inspect(sa.create_engine(f"sqlite:///{second.database}")).get_table_names()
        assert "begin" in names and "start" not in names
        (folder / "2_more.sql").write_text("CREATE TABLE more (id INTEGER PRIMARY KEY);\n", encoding="utf-8")
        assert "more" in sa.inspect(sa.create_engine(f"sqlite:///{templates.template(None).database}")).get_table_names()
    finally:
        templates.close()
