"""The branch commute check: a merged branch's late script against the newer applied ones, both orders.

Runs on SQLite, PostgreSQL and MariaDB, each pair on scratch databases
beside the target, which is only read.
"""

from __future__ import annotations

import sqlalchemy as sa

from clihelpers import cli
from helpers import engine_for
from lockgate import DBMigrator


def _set_default(backend: str, value: str) -> str:
    """A script that sets settings.mode's default, as each database does it."""
    if backend == "sqlite":  # no ALTER COLUMN: the table is rebuilt
        return (f"CREATE TABLE settings_new (id INTEGER PRIMARY KEY, mode VARCHAR(10) DEFAULT '{value}');\n"
                "INSERT INTO settings_new SELECT id, mode FROM settings;\n"
                "DROP TABLE settings;\n"
                "ALTER TABLE settings_new RENAME TO settings;\n")
    return f"ALTER TABLE settings ALTER COLUMN mode SET DEFAULT '{value}';\n"


BASE = ("CREATE TABLE settings (id INTEGER PRIMARY KEY, mode VARCHAR(10) DEFAULT 'a');\n"
        "CREATE TABLE users (id INTEGER PRIMARY KEY);\n"
        "CREATE TABLE projects (id INTEGER PRIMARY KEY);\n")


def _merged_branch(db_url, make_scripts, branch: str, applied: str):
    """Script 1 and 3 applied on the target; script 2 (the merged branch's) pending, out of order."""
    scripts = make_scripts({"1_base.sql": BASE, "2_branch.sql": branch, "3_main.sql": applied})
    with engine_for(db_url) as engine:
        migrator = DBMigrator(engine, directory=scripts)
        migrator.upgrade("1")
        migrator.upgrade("3")
        assert [s.version for s in migrator.status().pending if s.out_of_order] == ["2"]
    return scripts


def _tables(db_url) -> dict:
    with engine_for(db_url) as engine:
        inspector = sa.inspect(engine)
        return {name: [(c["name"], str(c["default"])) for c in inspector.get_columns(name)]
                for name in sorted(inspector.get_table_names())}


def test_two_scripts_setting_one_default_do_not_commute(db_url, db_backend, make_scripts, capsys):
    scripts = _merged_branch(db_url, make_scripts, _set_default(db_backend, "b"), _set_default(db_backend, "c"))
    before = _tables(db_url)
    r = cli(capsys, "--url", db_url, "--directory", scripts, "test", "--only", "commute")
    assert r.code == 1, r
    assert "commute: FAILED" in r.out
    assert "failed       2 (2_branch.sql) with 3 (3_main.sql)" in r.out
    assert "settings" in r.out and "default" in r.out.lower()
    assert "as the target runs them (3 then 2)" in r.out and "in version order (2 then 3)" in r.out
    assert _tables(db_url) == before  # the target was only read


def test_scripts_on_different_tables_commute(db_url, make_scripts, capsys):
    scripts = _merged_branch(db_url, make_scripts,
                             "ALTER TABLE users ADD COLUMN email VARCHAR(100);\n",
                             "ALTER TABLE projects ADD COLUMN title VARCHAR(100);\n")
    r = cli(capsys, "--url", db_url, "--directory", scripts, "test", "--only", "commute")
    assert r.code == 0, r
    assert "commute: passed" in r.out and "ok           2 (2_branch.sql) with 3 (3_main.sql)" in r.out


def test_an_order_that_fails_is_named(db_url, make_scripts, capsys):
    """Both branches add the same column: whichever runs second fails, and the report says where."""
    column = "ALTER TABLE users ADD COLUMN note VARCHAR(20);\n"
    scripts = _merged_branch(db_url, make_scripts, column, column)
    r = cli(capsys, "--url", db_url, "--directory", scripts, "test", "--only", "commute")
    assert r.code == 1, r
    assert "fails as the target runs them (3 then 2): " in r.out
    assert "2_branch.sql, line 1" in r.out


def test_check_fails_naming_the_pair(db_url, db_backend, make_scripts, capsys):
    scripts = _merged_branch(db_url, make_scripts, _set_default(db_backend, "b"), _set_default(db_backend, "c"))
    r = cli(capsys, "--url", db_url, "--directory", scripts, "check", "--json")
    assert r.code == 1, r
    [pair] = r.json()["commute"]
    assert pair.startswith("2 (2_branch.sql) with 3 (3_main.sql): ") and "settings" in pair


def test_nothing_out_of_order_is_nothing_to_check(sqlite_url, make_scripts, capsys):
    scripts = make_scripts({"1_base.sql": BASE, "2_more.sql": "CREATE TABLE more (id INTEGER);\n"})
    with engine_for(sqlite_url) as engine:
        DBMigrator(engine, directory=scripts).upgrade("1")
    r = cli(capsys, "--url", sqlite_url, "--directory", scripts, "test", "--only", "commute")
    assert r.code == 0, r
    assert "no pending script is older than an applied one" in r.out
    r = cli(capsys, "--url", sqlite_url, "--directory", scripts, "check", "--json")
    assert r.json()["commute"] == []
