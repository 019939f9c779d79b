"""The pytest plugin, run on tiny projects in subprocesses (pytester).

A project that uses the fixtures migrates, seeds and upgrades on a scratch
database of each backend; a project that does not use them sees nothing.
"""

from __future__ import annotations

import textwrap

pytest_plugins = ["pytester"]

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


def _project(pytester, scripts: dict[str, str], tests: str) -> None:
    folder = pytester.path / "migrations"
    folder.mkdir()
    for name, text in scripts.items():
        (folder / name).write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    pytester.makepyfile(test_app=textwrap.dedent(tests))


def test_fixtures_migrate_seed_and_upgrade(pytester, db_url):
    _project(pytester, SCRIPTS, USING_TESTS)
    result = pytester.runpytest_subprocess("--lockgate-directory=migrations", f"--lockgate-url={db_url}",
                                           "-W", "error", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_url_from_the_environment_and_default_sqlite(pytester, monkeypatch):
    _project(pytester, SCRIPTS, USING_TESTS)
    monkeypatch.delenv("LOCKGATE_TEST_URL", raising=False)
    result = pytester.runpytest_subprocess("--lockgate-directory=migrations", "-W", "error",
                                           "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_the_stairway_fixture_fails_with_the_report(pytester):
    broken = dict(SCRIPTS)
    broken["2_names.py"] = SCRIPTS["2_names.py"].replace("DROP COLUMN name", "DROP COLUMN email")
    _project(pytester, broken, """
        def test_stairway(lockgate_stairway):
            pass
        """)
    result = pytester.runpytest_subprocess("--lockgate-directory=migrations", "-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)  # a failing fixture errors the test at setup
    result.stdout.fnmatch_lines(["*stairway: FAILED*", "*2 (2_names.py)*",
                                 "*- table users: column email missing*"])


def test_a_project_that_does_not_use_it_is_unaffected(pytester):
    pytester.makepyfile(test_plain="""
        def test_plain():
            assert 1 + 1 == 2
        """)
    result = pytester.runpytest_subprocess("-W", "error", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    output = [line for line in result.outlines + result.errlines if not line.startswith("plugins:")]
    assert not [line for line in output if "lockgate" in line.lower()], "\n".join(output)
    assert "warning" not in result.stdout.str().lower()
