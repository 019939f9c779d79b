"""``status`` and a nothing-to-do ``upgrade`` on SQLite, answered without SQLAlchemy.

SQLite only by nature: lockgate.quickread reads a SQLite file with the
standard library. Every test compares its answer with the engine's, or checks
that it steps aside (returns None) where only the engine can answer exactly.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from types import SimpleNamespace

import pytest

from clihelpers import ABC_SCRIPTS, cli
from helpers import engine_for
from lockgate import DBMigrator, quickread


def settings(url, directory, table="lockgate_versions"):
    return SimpleNamespace(url=url, package=None, directory=str(directory), table=table)


def applied_db(sqlite_url, make_scripts, files=ABC_SCRIPTS):
    scripts = make_scripts(files)
    with engine_for(sqlite_url) as engine:
        DBMigrator(engine, directory=scripts).upgrade()
    return scripts


def test_status_equals_the_engines_with_pending_missing_and_changed_scripts(sqlite_url, make_scripts):
    scripts = applied_db(sqlite_url, make_scripts)
    make_scripts({"2_create_b.sql": "CREATE TABLE b (id INTEGER, changed INTEGER);\n",
                  "4_create_d.sql": "CREATE TABLE d (id INTEGER);\n"}, root=scripts)
    (scripts / "3_create_c.sql").unlink()
    (scripts / "3_downgrade.sql").unlink()

    quick = quickread.status(settings(sqlite_url, scripts))

    with engine_for(sqlite_url) as engine:
        full = DBMigrator(engine, directory=scripts).status()
    assert quick is not None
    assert quick.as_dict() == full.as_dict()
    assert [s.state for s in quick.scripts] == ["applied", "applied", "missing", "pending"]


def test_nothing_to_do_gives_the_engines_message_and_drift_warnings(sqlite_url, make_scripts, capsys):
    scripts = applied_db(sqlite_url, make_scripts)
    make_scripts({"2_create_b.sql": "CREATE TABLE b (id INTEGER, changed INTEGER);\n"}, root=scripts)

    message, drift = quickread.nothing_to_do(settings(sqlite_url, scripts))

    with engine_for(sqlite_url) as engine:
        full = DBMigrator(engine, directory=scripts).upgrade()
    assert message == full.message
    assert drift == full.warnings
    assert drift and "2 (2_create_b.sql) changed" in drift[0]


@pytest.mark.parametrize("case", ["pending", "strict drift", "unfinished row", "no tracking table",
                                  "other table name", "url with options", "memory"])
def test_it_steps_aside_where_only_the_engine_can_answer(sqlite_url, make_scripts, case):
    scripts = applied_db(sqlite_url, make_scripts)
    url, table, strict = sqlite_url, "lockgate_versions", False
    path = sqlite_url.split("///", 1)[1]
    if case == "pending":
        make_scripts({"4_create_d.sql": "CREATE TABLE d (id INTEGER);\n"}, root=scripts)
    elif case == "strict drift":
        make_scripts({"2_create_b.sql": "CREATE TABLE b (id INTEGER, x INTEGER);\n"}, root=scripts)
        strict = True
    elif case == "unfinished row":
        with sqlite3.connect(path) as db:
            db.execute("UPDATE lockgate_versions SET state = 'started' WHERE version = '3'")
    elif case == "no tracking table":
        with sqlite3.connect(path) as db:
            db.execute("DROP TABLE lockgate_versions")
    elif case == "other table name":
        table = "somewhere_else"
    elif case == "url with options":
        url = sqlite_url + "?timeout=3"
    elif case == "memory":
        url = "sqlite:///:memory:"

    assert quickread.nothing_to_do(settings(url, scripts, table), strict=strict) is None
    assert case in ("pending", "strict drift") or quickread.status(settings(url, scripts, table)) is None


def test_a_nothing_to_do_upgrade_never_imports_sqlalchemy(sqlite_url, make_scripts):
    scripts = applied_db(sqlite_url, make_scripts)
    code = ("import sys; from lockgate.cli import main; "
            f"rc = main(['--url', {sqlite_url!r}, '--directory', {str(scripts)!r}, sys.argv[1]]); "
            "print(rc, 'sqlalchemy' in sys.modules)")
    for command in ("upgrade", "status"):
        done = subprocess.run([sys.executable, "-c", code, command], capture_output=True, text=True, timeout=60)
        assert done.stdout.strip().splitlines()[-1] == "0 False", done


def test_the_command_line_answers_the_same_either_way(sqlite_url, make_scripts, capsys):
    scripts = applied_db(sqlite_url, make_scripts)
    make_scripts({"1_create_a.sql": "CREATE TABLE a (id INTEGER NOT NULL, x INTEGER);\n"}, root=scripts)

    quick = cli(capsys, "--url", sqlite_url, "--directory", scripts, "upgrade")
    full = cli(capsys, "--url", sqlite_url + "?timeout=5", "--directory", scripts, "upgrade")

    assert quick.code == full.code == 0
    assert quick.out == full.out
    assert quick.err == full.err
    assert "warning: 1 (1_create_a.sql) changed since it was applied" in quick.err
    for command in (["status"], ["status", "--json"]):
        assert (cli(capsys, "--url", sqlite_url, "--directory", scripts, *command).out
                == cli(capsys, "--url", sqlite_url + "?timeout=5", "--directory", scripts, *command).out)
