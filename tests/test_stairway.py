"""The schema checks: stairway, head matches models, setup equivalence, and `lockgate test`.

Every test runs on SQLite, PostgreSQL and MariaDB (``db_url``); the checks make
their own scratch databases on that server and drop them afterwards.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from clihelpers import cli, write_ini
from helpers import scratch_made  # noqa: F401  (a fixture)
from lockgate import SQLFileSetUp
from lockgate.schema.snapshot import diff_snapshots, normalise_default, take_snapshot
from lockgate.testing import IRREVERSIBLE, OK, head_matches_models, setup_equivalence, stairway

EXAMPLE = "busy.migration"

USERS = {
    "1_create_users.sql": "CREATE TABLE users (id INTEGER NOT NULL PRIMARY KEY, email VARCHAR(255) NOT NULL);\n",
    "1_downgrade.sql": "DROP TABLE users;\n",
}

#: A second script whose downgrade is wrong, and what the stairway must say about it.
PLANTED = {
    "drops the wrong column": (
        {"2_add_name.sql": "ALTER TABLE users ADD COLUMN name VARCHAR(100);\n",
         "2_downgrade.sql": "ALTER TABLE users DROP COLUMN email;\n"},
        "2_add_name.sql",
        ["table users: column email missing", "table users: column name unexpected"],
    ),
    "forgets an index": (
        {"2_index_email.py": """
            import sqlalchemy as sa

            def upgrade(connection):
                connection.execute(sa.text("CREATE INDEX ix_users_email ON users (email)"))

            def downgrade(connection):
                pass  # forgot DROP INDEX
            """},
        "2_index_email.py",
        ["table users: index ix_users_email unexpected"],
    ),
    "forgets a table": (
        {"2_notes.sql": """
            CREATE TABLE notes (id INTEGER NOT NULL PRIMARY KEY, body TEXT);
            CREATE TABLE labels (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(50) NOT NULL UNIQUE);
            """,
         "2_downgrade.sql": "DROP TABLE labels;\n"},
        "2_notes.sql",
        ["table notes unexpected"],
    ),
}


def test_example_passes_the_stairway(db_url, db_servers, db_backend, scratch_made):
    report = stairway(db_url, EXAMPLE)
    assert report.ok, report.format()
    assert [s.outcome for s in report.steps] == [OK, OK, OK]
    assert "201008151030_tags_and_names.py" in report.format()
    if db_backend != "sqlite":
        assert scratch_made, "no scratch database was made"
        server = db_servers.need(db_backend)
        assert not [name for name in scratch_made if server.database_exists(name)]


@pytest.mark.parametrize("planted", list(PLANTED))
def test_a_wrong_downgrade_is_caught(db_url, make_scripts, planted):
    files, script_file, expected = PLANTED[planted]
    report = stairway(db_url, directory=make_scripts({**USERS, **files}))
    assert not report.ok
    assert report.steps[0].outcome == OK
    failure = report.failures[0]
    assert script_file in failure.name and failure.name.startswith("2 ")
    assert failure.differences == expected, report.format()
    text = report.format()
    assert "stairway: FAILED" in text and script_file in text
    assert "--- before upgrade" in text and "+++ after downgrade" in text
    for line in expected:
        assert line in text


def test_an_irreversible_script_is_reported_not_failed(db_url, make_scripts):
    scripts = make_scripts({
        **USERS,
        "2_add_name.sql": "ALTER TABLE users ADD COLUMN name VARCHAR(100);\n",
        "3_create_tags.sql": "CREATE TABLE tags (id INTEGER NOT NULL PRIMARY KEY);\n",
        "3_downgrade.sql": "DROP TABLE tags;\n",
    })
    report = stairway(db_url, directory=scripts)
    assert report.ok, report.format()
    assert [s.outcome for s in report.steps] == [OK, IRREVERSIBLE, OK]
    assert "irreversible" in report.format()


def test_setup_equivalence_passes_for_the_example(db_url):
    report = setup_equivalence(db_url, EXAMPLE, setup=SQLFileSetUp("busy:schema.sql"))
    assert report.ok, report.format()


def test_setup_equivalence_fails_when_the_canonical_schema_lacks_a_column(db_url, tmp_path):
    from importlib.resources import files

    schema = files("busy").joinpath("schema.sql").read_text(encoding="utf-8")
    assert "    label VARCHAR(50) NOT NULL,\n    note TEXT\n" in schema
    broken = tmp_path / "schema.sql"
    broken.write_text(schema.replace("    label VARCHAR(50) NOT NULL,\n    note TEXT\n",
                                     "    label VARCHAR(50) NOT NULL\n"), encoding="utf-8")
    report = setup_equivalence(db_url, EXAMPLE, setup=SQLFileSetUp(str(broken)))
    assert not report.ok
    assert report.failures[0].differences == ["table tags: column note missing"]
    text = report.format()
    assert "--- after every script" in text and "+++ canonical schema" in text
    assert "-    column note TEXT NULL" in text


def test_head_matches_the_example_models(db_url):
    report = head_matches_models(db_url, EXAMPLE, models="busy.models:Base")
    assert report.ok, report.format()


def test_head_differs_from_incomplete_models(db_url):
    metadata = sa.MetaData()
    sa.Table("users", metadata, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
             sa.Column("email", sa.String(255), nullable=False, unique=True),
             sa.Column("name", sa.String(100)))
    report = head_matches_models(db_url, EXAMPLE, models=metadata)
    differences = report.failures[0].differences
    assert {"table tags is in the scripts but not in the models",
            "table tasks is in the scripts but not in the models"} <= set(differences)
    assert not [d for d in differences if "users" in d], differences  # users agrees
    assert "DROP TABLE tags" in report.failures[0].detail


def test_snapshots_of_one_schema_compare_equal_and_skip_tracking(db_url):
    engine = sa.create_engine(db_url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text("CREATE TABLE lockgate_versions (version VARCHAR(20))"))
            connection.execute(sa.text("CREATE TABLE versions (version BIGINT)"))
            connection.execute(sa.text(
                "CREATE TABLE t (id INTEGER NOT NULL PRIMARY KEY, n INTEGER DEFAULT 3, "
                "s VARCHAR(10) DEFAULT 'x', CHECK (n > 0))"))
        first, second = take_snapshot(engine), take_snapshot(engine)
    finally:
        engine.dispose()
    assert first == second and diff_snapshots(first, second) == []
    assert set(first.tables) == {"t"}
    assert "check (n>0)" in first.tables["t"]


@pytest.mark.parametrize("raw, expected", [
    ("'open'::character varying", "open"), ("('open')", "open"), ("'open'", "open"),
    ("NULL", None), (None, None), ("(3)", "3"), ("now()", "now()"),
])
def test_server_defaults_are_normalised(raw, expected):
    assert normalise_default(raw) == expected


def test_cli_test_passes_on_the_example(capsys, tmp_path, db_url):
    from importlib.resources import files

    schema = files("busy").joinpath("schema.sql")
    ini = write_ini(tmp_path / "app.ini", db_url, extra=f"""
        setup_sql = {schema}
        models = busy.models:Base
        """)
    result = cli(capsys, "-c", ini, "test")
    assert result.code == 0, str(result)
    for check in ("stairway: passed", "head matches models: passed", "setup equivalence: passed"):
        assert check in result.out
    assert cli(capsys, "-c", ini, "test", "--only", "models").out.startswith("head matches models: passed")


def test_cli_test_fails_with_a_diff(capsys, tmp_path, make_scripts):
    files, script_file, expected = PLANTED["drops the wrong column"]
    scripts = make_scripts({**USERS, **files})
    url = f"sqlite:///{tmp_path / 'target.sqlite'}"
    result = cli(capsys, "--url", url, "--directory", scripts, "test")
    assert result.code == 1, str(result)
    assert "stairway: FAILED" in result.out and script_file in result.out
    assert "- table users: column email missing" in result.out
    assert "Failed: stairway." in result.err
    assert not (tmp_path / "target.sqlite").exists()  # the target database is never touched


def test_cli_test_only_names_what_is_missing(capsys, tmp_path, make_scripts):
    url = f"sqlite:///{tmp_path / 'target.sqlite'}"
    result = cli(capsys, "--url", url, "--directory", make_scripts(USERS), "test", "--only", "setup")
    assert result.code == 2 and "setup_sql" in result.err, str(result)
