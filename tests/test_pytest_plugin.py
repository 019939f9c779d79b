"""The pytest plugin, run on tiny projects in pytest processes of their own (pytester's folders).

A project that uses the fixtures migrates, seeds and upgrades on a scratch
database of each backend; a project that does not use them sees nothing.

Each inner session is a real process, forked from the warm fork server
(forkserver.py) rather than started as a new interpreter: the start-up and the
imports of SQLAlchemy, the drivers and lockgate cost more CPU than a small
session's own work.
"""

from __future__ import annotations

import os
import tempfile
import textwrap

import pytest

import forkserver

pytest_plugins = ["pytester"]

#: The other pytest plugins installed for the suite's own use: an inner session loads pytest's and
#: lockgate's only, as a project with lockgate alone would (theirs cost about 0.6 s of CPU a session).
UNUSED_PLUGINS = ("-p", "no:hypothesispytest", "-p", "no:anyio", "-p", "no:platformdirs",
                  "-p", "no:xdist", "-p", "no:xdist.looponfail")


SCRIPTS = {
    "1_create_users.sql": "CREATE TABLE users (id INTEGER NOT NULL PRIMARY KEY, email VARCHAR(255) NOT NULL);\n",
    "1_downgrade.sql": "DROP TABLE users;\n",
    "2_names.py": """
        import sqlalchemy as sa

        def upgrade(connection):
            connection.execute(sa.text("ALTER TABLE users ADD COLUMN name VARCHAR(100)"))
            for user_id, email in connection.execute(sa.text("SELECT id, email FROM users")).all():
                connection.execute(sa.text("UPDATE users SET name = :n WHERE id = :i"),
                                   {"n": email.split("@")[0], "i": user_id})

        def downgrade(connection):
            connection.execute(sa.text("ALTER TABLE users DROP COLUMN name"))
        """,
}

USING_TESTS = """
    import sqlalchemy as sa


    def test_data_migration(migrate_to, lockgate_migrator):
        engine = migrate_to("1")
        with engine.begin() as connection:
            connection.execute(sa.text("INSERT INTO users (id, email) VALUES (1, 'ann@example.org')"))
        lockgate_migrator.upgrade()
        with engine.connect() as connection:
            assert connection.execute(sa.text("SELECT name FROM users")).scalar() == "ann"


    def test_head(migrated_engine):
        assert "name" in {c["name"] for c in sa.inspect(migrated_engine).get_columns("users")}


    def test_stairway(lockgate_stairway):
        assert lockgate_stairway.ok
    """


def start_pytest(pytester, *args: str, **environ: str) -> forkserver.ForkedProcess:
    """``python -m pytest args`` in the project's folder, as ``runpytest_subprocess`` runs it.

    The environment is pytester's (HOME in its folder, no PYTEST_ADDOPTS) with
    the folder on PYTHONPATH, plus ``environ``; each run gets its own basetemp.
    """
    basetemp = tempfile.mkdtemp(prefix="runpytest-", dir=pytester.path)
    env = {**os.environ, **environ,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(pytester.path), os.environ.get("PYTHONPATH")]))}
    command = forkserver.pytest_args(f"--basetemp={basetemp}", *UNUSED_PLUGINS, *args)
    return forkserver.popen(command, cwd=pytester.path, env=env)


def outcome(process: forkserver.ForkedProcess, timeout: float = 300) -> pytest.RunResult:
    """The session's result, read as pytester reads its runs (``assert_outcomes``, ``fnmatch_lines``)."""
    with process:  # killed if it overruns the timeout
        out, err = process.communicate(timeout=timeout)
    print(out, err, sep="\n")  # shown with a failing test, as pytester shows a run's output
    return pytest.RunResult(process.returncode, out.splitlines(), err.splitlines(), 0.0)


def run_pytest(pytester, *args: str, **environ: str) -> pytest.RunResult:
    """One inner session, run to its end."""
    return outcome(start_pytest(pytester, *args, **environ))


def _project(pytester, scripts: dict[str, str], tests: str) -> None:
    folder = pytester.path / "migrations"
    folder.mkdir()
    for name, text in scripts.items():
        (folder / name).write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    pytester.makepyfile(test_app=textwrap.dedent(tests))


def test_fixtures_migrate_seed_and_upgrade(pytester, db_url):
    _project(pytester, SCRIPTS, USING_TESTS)
    result = run_pytest(pytester, "--lockgate-directory=migrations", f"--lockgate-url={db_url}",
                        "-W", "error", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_url_from_the_environment_and_default_sqlite(pytester, monkeypatch):
    _project(pytester, SCRIPTS, USING_TESTS)
    monkeypatch.delenv("LOCKGATE_TEST_URL", raising=False)
    result = run_pytest(pytester, "--lockgate-directory=migrations", "-W", "error",
                        "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_the_stairway_fixture_fails_with_the_report(pytester):
    broken = dict(SCRIPTS)
    broken["2_names.py"] = SCRIPTS["2_names.py"].replace("DROP COLUMN name", "DROP COLUMN email")
    _project(pytester, broken, """
        def test_stairway(lockgate_stairway):
            pass
        """)
    result = run_pytest(pytester, "--lockgate-directory=migrations", "-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)  # a failing fixture errors the test at setup
    result.stdout.fnmatch_lines(["*stairway: FAILED*", "*2 (2_names.py)*",
                                 "*- table users: column email missing*"])


def test_a_project_that_does_not_use_it_is_unaffected(pytester):
    pytester.makepyfile(test_plain="""
        def test_plain():
            assert 1 + 1 == 2
        """)
    result = run_pytest(pytester, "-W", "error", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    output = [line for line in result.outlines + result.errlines if not line.startswith("plugins:")]
    assert not [line for line in output if "lockgate" in line.lower()], "\n".join(output)
    assert "warning" not in result.stdout.str().lower()
