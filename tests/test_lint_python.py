"""``lockgate lint`` on Python scripts: judged by the SQL they send, run on a real scratch database.

The configured database is never touched (the scripts run on a scratch
database beside it), and each finding names the script and the line of
Python that sent the statement.
"""

from __future__ import annotations

import sqlalchemy as sa

from clihelpers import cli
from helpers import engine_for

USERS = "CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(255));\n"
INDEX_SCRIPT = '''\
from sqlalchemy import text

def upgrade(connection):
    connection.execute(text("CREATE INDEX users_email ON users (email)"))
'''


def _tables(url: str) -> set[str]:
    with engine_for(url) as engine:
        return set(sa.inspect(engine).get_table_names())


def _findings(capsys, url, folder, *extra):
    result = cli(capsys, "--url", url, "--directory", folder, "lint", "--json", *extra)
    assert result.code in (0, 1), result
    return [(f["path"].rpartition("/")[2], f["line"], f["rule"]) for f in result.json()["findings"]]


def test_python_create_index_without_concurrently_is_flagged_on_sqlite(capsys, make_scripts, sqlite_url):
    folder = make_scripts({"1_users.sql": USERS, "2_index.py": INDEX_SCRIPT})
    found = _findings(capsys, sqlite_url, folder, "--dialect", "postgresql")
    assert ("2_index.py", 4, "index-without-concurrently") in found
    assert _tables(sqlite_url) == set()  # the scripts ran on a scratch database


def test_python_create_index_without_concurrently_is_flagged_on_postgresql(capsys, make_scripts, postgresql_url):
    folder = make_scripts({"1_users.sql": USERS, "2_index.py": INDEX_SCRIPT})
    assert _findings(capsys, postgresql_url, folder, "--ddl-lock-timeout", "5s") == [
        ("2_index.py", 4, "index-without-concurrently")]
    assert _tables(postgresql_url) == set()
    safe = make_scripts({"1_users.sql": USERS, "2_index.py": '''\
        from sqlalchemy import text

        transaction = False

        def upgrade(connection):
            connection.execute(text("SET lock_timeout = '5s'"))
            connection.execute(text("CREATE INDEX CONCURRENTLY users_email ON users (email)"))
        '''})
    assert _findings(capsys, postgresql_url, safe) == []
    in_transaction = make_scripts({"1_users.sql": USERS, "2_index.py": '''\
        from sqlalchemy import text

        def upgrade(connection):
            connection.execute(text("SET lock_timeout = '5s'"))
            connection.execute(text("CREATE INDEX CONCURRENTLY users_email ON users (email)"))
        '''})
    result = cli(capsys, "--url", postgresql_url, "--directory", in_transaction, "lint")
    assert result.code == 1, result  # it fails on the scratch database, as it would in production
    assert "2_index.py" in result.err and "CONCURRENTLY" in result.err


def test_sql_a_python_script_runs_from_its_sql_file_and_sqlalchemy_ddl(capsys, make_scripts, postgresql_url):
    folder = make_scripts({
        "1_users.sql": USERS,
        "2_mixed.py": '''\
            import sqlalchemy as sa
            from lockgate import run_sql_file

            metadata = sa.MetaData()
            notes = sa.Table("notes", metadata, sa.Column("id", sa.Integer, primary_key=True),
                             sa.Column("user_id", sa.Integer, index=True))

            def upgrade(connection):
                run_sql_file(connection)
                notes.create(connection)  # a new table: its index is safe
                connection.execute(sa.text("UPDATE users SET email = lower(email)"))
            ''',
        "2_upgrade.sql": "ALTER TABLE users RENAME COLUMN email TO mail;\nALTER TABLE users ADD COLUMN email text;\n",
    })
    assert _findings(capsys, postgresql_url, folder) == [
        ("2_mixed.py", 9, "rename"),
        ("2_mixed.py", 9, "missing-lock-timeout"),
        ("2_mixed.py", 11, "ddl-with-large-dml"),
    ]


def test_allow_comments_in_python_and_pending_scripts_only(capsys, make_scripts, postgresql_url):
    folder = make_scripts({"1_users.sql": USERS, "2_index.py": INDEX_SCRIPT.replace(
        "    connection.execute", "    # lockgate: allow index-without-concurrently because users is empty\n"
                                  "    connection.execute")})
    assert _findings(capsys, postgresql_url, folder, "--ddl-lock-timeout", "5s") == []
    assert cli(capsys, "--url", postgresql_url, "--directory", folder, "upgrade").code == 0
    make_scripts({"3_drop.py": '''\
        from sqlalchemy import text

        def upgrade(connection):
            connection.execute(text("SET lock_timeout = '5s'"))
            connection.execute(text("ALTER TABLE users DROP COLUMN email"))
        '''}, root=folder)
    result = cli(capsys, "--url", postgresql_url, "--directory", folder, "lint", "--pending", "--json")
    assert [(f["line"], f["rule"]) for f in result.json()["findings"]] == [(5, "drop")]
    assert result.json()["scripts"] == 1
    named = cli(capsys, "--url", postgresql_url, "lint", "--json", folder / "3_drop.py")
    assert [f["rule"] for f in named.json()["findings"]] == ["drop"]


def test_python_alter_on_mariadb(capsys, make_scripts, mariadb_url):
    folder = make_scripts({"1_users.sql": USERS, "2_widen.py": '''\
        from sqlalchemy import text

        def upgrade(connection):
            connection.execute(text("ALTER TABLE users MODIFY email VARCHAR(500)"))
            connection.execute(text("ALTER TABLE users ADD COLUMN note TEXT, ALGORITHM=INSTANT"))
        '''})
    assert _findings(capsys, mariadb_url, folder) == [("2_widen.py", 4, "alter-without-online-algorithm")]
    assert _tables(mariadb_url) == set()


def test_python_scripts_without_a_database_are_noted(capsys, make_scripts):
    folder = make_scripts({"1_users.sql": USERS + "CREATE INDEX e ON users (email);\n",
                           "2_index.py": INDEX_SCRIPT})
    result = cli(capsys, "--url", "", "--directory", folder, "lint", "--dialect", "postgresql")
    assert result.code == 0, result
    assert "2_index.py: not linted: a Python script is linted by the SQL it sends" in result.err
