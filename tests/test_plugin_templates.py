"""The pytest fixtures' migrated templates: scripts run once per session and version, a fresh copy per test.

Each test runs a small project in pytest subprocesses against a real server
(each backend in turn). A Python script logs every time it runs, so the
tests can count how often the scripts really ran.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import sqlalchemy as sa

from helpers import engine_for

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


def test_scripts_run_once_per_version_and_each_test_gets_its_own_copy(pytester, db_url, monkeypatch):
    _project(pytester)
    log = pytester.path / "runs.log"
    monkeypatch.setenv("RUN_LOG", str(log))
    result = pytester.runpytest_subprocess("--lockgate-directory=migrations", f"--lockgate-url={db_url}",
                                           "-W", "error", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=5)
    # head once, version 1 once: five tests, two templates
    assert log.read_text().splitlines() == ["1", "1"]
    [token] = [path.read_text() for path in pytester.path.glob("token_*")]
    assert _left_behind(db_url, token) == []


def test_a_changed_script_rebuilds_the_template(pytester, db_url, monkeypatch):
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
    monkeypatch.setenv("RUN_LOG", str(pytester.path / "runs.log"))
    result = pytester.runpytest_subprocess("--lockgate-directory=migrations", f"--lockgate-url={db_url}",
                                           "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)
    assert (pytester.path / "runs.log").read_text().splitlines() == ["1", "1"]


def test_parallel_sessions_never_share_a_database(pytester, db_url):
    """Two sessions at once on one server, as pytest-xdist workers run: each its own names, all dropped."""
    _project(pytester)
    env = {**os.environ, "RUN_LOG": str(pytester.path / "runs.log")}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--lockgate-directory=migrations",
               f"--lockgate-url={db_url}"]
    workers = [subprocess.Popen(command + ["--basetemp", str(pytester.path / f"base{n}")], cwd=pytester.path,
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
               for n in range(2)]
    outputs = [worker.communicate(timeout=300)[0] for worker in workers]
    for worker, output in zip(workers, outputs):
        assert worker.returncode == 0, output
        assert "5 passed" in output, output
    assert len((pytester.path / "runs.log").read_text().splitlines()) == 4  # two templates each
    tokens = {path.read_text() for path in pytester.path.glob("token_*")}
    assert len(tokens) == 2
    for token in tokens:
        assert _left_behind(db_url, token) == []
