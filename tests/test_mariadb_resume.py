"""MariaDB: a script stopped half way resumes at its first statement that did not commit.

MariaDB commits every DDL statement implicitly, so a stopped script keeps its
statements up to the last DDL statement that ran. Each fault test runs
lockgate in a child process as a deploy would and stops it at one place in a
script that mixes DDL and DML: SIGKILL of the process, SIGTERM, or a KILL of
its connection from another connection; before a statement is sent, after
its answer came back (the DDL statement in flight), or inside a long DML
statement. Then `upgrade` (or `downgrade`) runs again, and the database
itself must show every statement's effect exactly once: counters that each
statement adds a different power of ten to, rows, columns, indexes and
tables, and the script recorded as applied (or gone) with no `resolve`.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

import forkserver
from helpers import TRACKING, query, scalar
from lockgate import DBMigrator
from lockgate.dialects.mysql import catalog_facts
from lockgate.errors import HalfMigratedError, ScriptFailedError

pytestmark = pytest.mark.mariadb

#: Runs ``lockgate`` with a fault at one statement of the script: the statement
#: whose text holds ``/*TAG*/``, ``before`` it is sent, ``after`` its answer,
#: or ``during`` it (0.3 s in). ``how``: kill, term or connkill.
DRIVER = r'''
import os, signal, sys, threading
import pymysql, pymysql.cursors
from sqlalchemy import make_url

url, folder, command, tag, when, how = sys.argv[1:7]
target = make_url(url)

def fault(cursor):
    print(f"FAULT {tag} {when} {how}", file=sys.stderr, flush=True)
    if how == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    elif how == "term":
        os.kill(os.getpid(), signal.SIGTERM)
    else:
        other = pymysql.connect(host=target.host, port=target.port or 3306, user=target.username,
                                password=target.password or "", database=target.database)
        other.cursor().execute(f"KILL {cursor.connection.thread_id()}")
        other.close()

real = pymysql.cursors.Cursor.execute

def execute(self, query, args=None):
    if f"/*{tag}*/" not in str(query):
        return real(self, query, args)
    if when == "before":
        fault(self)
    if when == "during":
        threading.Timer(0.3, fault, (self,)).start()
    result = real(self, query, args)
    if when == "after":
        fault(self)
    return result

pymysql.cursors.Cursor.execute = execute
from lockgate.cli import main
sys.exit(main(["--url", url, "--directory", folder, "-q", command]))
'''

FIRST = "CREATE TABLE counter (n BIGINT NOT NULL);\nINSERT INTO counter VALUES (0);\n"

#: Script 2: (tag, statement, is DDL). Every DML statement adds its own power of
#: ten to the counter, or changes rows in a way a second run would show.
UPGRADE = [
    ("u1", "CREATE TABLE a (id INT PRIMARY KEY, v INT)", True),
    ("u2", "INSERT INTO a VALUES (1, 10), (2, 20)", False),
    ("u3", "UPDATE counter SET n = n + 1", False),
    ("u4", "ALTER TABLE a ADD COLUMN w INT", True),
    ("u5", "UPDATE a SET w = v * 2 WHERE SLEEP({pause}) = 0", False),  # long: 0.8 s when stopped inside
    ("u6", "UPDATE counter SET n = n + 10", False),
    ("u7", "CREATE INDEX a_w ON a (w)", True),
    ("u8", "CREATE TABLE b (id INT)", True),
    ("u9", "INSERT INTO b VALUES (1)", False),
    ("u10", "UPDATE counter SET n = n + 100", False),
]
DOWNGRADE = [
    ("d1", "DELETE FROM b", False),
    ("d2", "UPDATE counter SET n = n + 1000", False),
    ("d3", "DROP TABLE b", True),
    ("d4", "DROP INDEX a_w ON a", True),
    ("d5", "UPDATE counter SET n = n + 10000 WHERE SLEEP({pause} * 2) = 0", False),  # long: 0.8 s when stopped inside
    ("d6", "ALTER TABLE a DROP COLUMN w", True),
    ("d7", "UPDATE counter SET n = n + 100000", False),
    ("d8", "DROP TABLE a", True),
]
LONG = {"u5", "d5"}
#: Seconds a long statement sleeps per row: only a test that stops inside it waits for it.
PAUSE = 0.4


def _engine(url: str):
    """An engine that keeps no connection between uses (the fault tests' servers kill them)."""
    return sa.create_engine(url, poolclass=NullPool)


def sql(statements, slow: str = "") -> str:
    """The script's text; the long statement tagged ``slow`` sleeps, every other one runs at once."""
    return "".join(f"-- step {tag}\n{text.replace('{pause}', str(PAUSE if tag == slow else 0))} /*{tag}*/;\n\n"
                   for tag, text, _ in statements)


def scripts(make_scripts, upgrade=UPGRADE, downgrade=DOWNGRADE, slow: str = "") -> Path:
    return make_scripts({"1_counter.sql": FIRST, "2_mixed.sql": sql(upgrade, slow),
                         "2_downgrade.sql": sql(downgrade, slow)})


def stop_points(statements):
    """Every boundary (before each statement, after the last), the DDL in flight, the long DML."""
    points = [(tag, "before") for tag, _, _ in statements] + [(statements[-1][0], "after")]
    points += [(tag, "after") for tag, _, ddl in statements if ddl and (tag, "after") not in points]
    points += [(tag, "during") for tag, _, _ in statements if tag in LONG]
    return points


def stop(url: str, folder: Path, command: str, tag: str, when: str, how: str) -> subprocess.CompletedProcess:
    """Run the command in a child process that stops itself at the fault; it must have got there."""
    stopped = forkserver.run(["-c", DRIVER, url, str(folder), command, tag, when, how], timeout=120)
    assert f"FAULT {tag} {when} {how}" in stopped.stderr, f"the run never reached the fault:\n{stopped.stderr}"
    return stopped


def row_left(statements, tag: str, when: str) -> bool:
    """Whether a stop there leaves script 2's row: a DDL statement of it had been sent."""
    position = [t for t, _, _ in statements].index(tag)
    return any(ddl for i, (_, _, ddl) in enumerate(statements)
               if i < position or (i == position and when != "before"))


def rerun(engine, folder: Path, command: str):
    """The next deploy, in this process: its result and what it said through the progress channel."""
    said: list[str] = []
    migrator = DBMigrator(engine, directory=folder,
                          progress=lambda event, script, **info: said.append(info.get("message", "")))
    return getattr(migrator, command)(), " ".join(said)


def check_stopped_state(engine, statements, tag: str, when: str, state: str) -> bool:
    """The row the stop left: with a journal naming a DDL statement, or none at all."""
    left = row_left(statements, tag, when)
    rows = dict(query(engine, f"SELECT state, journal FROM {TRACKING} WHERE version = '2'"))
    if left:
        assert list(rows) == [state] and rows[state].startswith("at "), rows
        number = int(rows[state].split()[1])
        assert statements[number - 1][2]  # the journal points at a DDL statement
    else:
        assert rows == ({} if state == "started" else {"applied": None}), rows
    return left


def row_state(engine) -> dict[str, str]:
    return dict(query(engine, f"SELECT version, state FROM {TRACKING}"))


def assert_upgraded(engine) -> None:
    assert scalar(engine, "SELECT n FROM counter") == 111
    assert query(engine, "SELECT id, v, w FROM a ORDER BY id") == [(1, 10, 20), (2, 20, 40)]
    assert query(engine, "SELECT id FROM b") == [(1,)]
    assert scalar(engine, "SELECT COUNT(*) FROM information_schema.STATISTICS WHERE "
                          "TABLE_SCHEMA = DATABASE() AND INDEX_NAME = 'a_w'") == 1
    assert row_state(engine) == {"1": "applied", "2": "applied"}
    assert scalar(engine, f"SELECT journal FROM {TRACKING} WHERE version = '2'") is None


def assert_downgraded(engine) -> None:
    assert scalar(engine, "SELECT n FROM counter") == 111111
    assert {t.lower() for t in sa.inspect(engine).get_table_names()} == {"counter", TRACKING}
    assert row_state(engine) == {"1": "applied"}


FAULTS = ["kill", "term", "connkill"]


@pytest.mark.parametrize("how", FAULTS)
@pytest.mark.parametrize("tag,when", stop_points(UPGRADE), ids=lambda v: str(v))
def test_a_stopped_upgrade_resumes_where_it_stopped(mariadb_url, make_scripts, tag, when, how):
    folder = scripts(make_scripts, slow=tag if when == "during" else "")
    stopped = stop(mariadb_url, folder, "upgrade", tag, when, how)
    assert stopped.returncode != 0, stopped.stderr
    assert "Traceback" not in stopped.stderr and "resolve" not in stopped.stderr, stopped.stderr
    engine = _engine(mariadb_url)
    left = check_stopped_state(engine, UPGRADE, tag, when, "started")
    result, said = rerun(engine, folder, "upgrade")
    assert_upgraded(engine)
    assert [run.version for run in result.runs] == ["2"]  # script 1 was committed before the stop
    warned = " ".join(result.warnings)
    assert ("an earlier run stopped inside script 2 (mixed)" in warned) == left
    assert warned in said
    if left:
        assert "continuing at statement" in warned or "all of its statements were in place" in warned


@pytest.mark.parametrize("how", FAULTS)
@pytest.mark.parametrize("tag,when", stop_points(DOWNGRADE), ids=lambda v: str(v))
def test_a_stopped_downgrade_resumes_where_it_stopped(mariadb_url, make_scripts, tag, when, how):
    folder = scripts(make_scripts, slow=tag if when == "during" else "")
    engine = _engine(mariadb_url)
    DBMigrator(engine, directory=folder).upgrade()
    stopped = stop(mariadb_url, folder, "downgrade", tag, when, how)
    assert stopped.returncode != 0, stopped.stderr
    assert "Traceback" not in stopped.stderr and "resolve" not in stopped.stderr, stopped.stderr
    left = check_stopped_state(engine, DOWNGRADE, tag, when, "reverting")
    result, said = rerun(engine, folder, "downgrade")
    assert [run.version for run in result.runs] == ["2"]  # the one step asked for, and no more
    assert_downgraded(engine)
    assert ("an earlier run stopped inside script 2 (mixed)" in " ".join(result.warnings)) == left


def test_the_journal_rides_on_the_implicit_commits(mariadb_url, make_scripts):
    """Stopped after u4 (the ALTER), the row says statement 4 was running, committed with u1-u3."""
    folder = scripts(make_scripts)
    stopped = stop(mariadb_url, folder, "upgrade", "u5", "before", "kill")
    assert stopped.returncode < 0
    engine = _engine(mariadb_url)
    state, journal = query(engine, f"SELECT state, journal FROM {TRACKING} WHERE version = '2'")[0]
    assert state == "started" and journal.split()[:2] == ["at", "4"]
    assert scalar(engine, "SELECT n FROM counter") == 1  # u3 committed with the journal, by u4
    assert query(engine, "SELECT id, v, w FROM a ORDER BY id") == [(1, 10, None), (2, 20, None)]


def test_a_script_without_ddl_writes_no_journal_and_is_atomic(mariadb_url, make_scripts):
    folder = make_scripts({"1_counter.sql": FIRST,
                           "2_dml.sql": "UPDATE counter SET n = n + 1 /*x1*/;\nUPDATE counter SET n = n + 10 /*x2*/;\n"})
    DBMigrator(_engine(mariadb_url), directory=folder).upgrade(to="1")
    stopped = stop(mariadb_url, folder, "upgrade", "x2", "before", "kill")
    assert stopped.returncode < 0
    engine = _engine(mariadb_url)
    assert row_state(engine) == {"1": "applied"} and scalar(engine, "SELECT n FROM counter") == 0
    DBMigrator(engine, directory=folder).upgrade()
    assert scalar(engine, "SELECT n FROM counter") == 11


def test_a_changed_file_is_not_resumed(mariadb_url, make_scripts):
    folder = scripts(make_scripts)
    assert stop(mariadb_url, folder, "upgrade", "u5", "before", "kill").returncode < 0
    engine = _engine(mariadb_url)
    changed = [(t, s.replace("(2, 20)", "(2, 21)"), d) for t, s, d in UPGRADE]
    (folder / "2_mixed.sql").write_text(sql(changed))
    with pytest.raises(HalfMigratedError) as caught:
        DBMigrator(engine, directory=folder).upgrade()
    message = str(caught.value)
    assert "script 2 (mixed)" in message and "statement 4" in message and "changed" in message
    assert "Restore the file" in message and "resolve 2" in message
    assert caught.value.exit_code == 5
    assert scalar(engine, "SELECT n FROM counter") == 1  # nothing more ran
    (folder / "2_mixed.sql").write_text(sql(UPGRADE))
    DBMigrator(engine, directory=folder).upgrade()
    assert_upgraded(engine)


def test_statements_after_the_stop_may_change(mariadb_url, make_scripts):
    """Only the statements that ran are guarded: a fix to a later one is what the next run runs."""
    folder = scripts(make_scripts)
    assert stop(mariadb_url, folder, "upgrade", "u5", "before", "kill").returncode < 0
    fixed = [(t, s.replace("n + 100", "n + 200"), d) for t, s, d in UPGRADE]
    (folder / "2_mixed.sql").write_text(sql(fixed))
    engine = _engine(mariadb_url)
    DBMigrator(engine, directory=folder).upgrade()
    assert scalar(engine, "SELECT n FROM counter") == 211


def test_a_ddl_statement_the_catalog_cannot_judge_stops_naming_it(mariadb_url, make_scripts):
    statements = [("m1", "CREATE TABLE a (id INT, v INT)", True),
                  ("m2", "INSERT INTO a VALUES (1, 1)", False),
                  ("m3", "ALTER TABLE a MODIFY v BIGINT", True),
                  ("m4", "UPDATE a SET v = v + 1", False)]
    folder = make_scripts({"1_counter.sql": FIRST, "2_mixed.sql": sql(statements)})
    assert stop(mariadb_url, folder, "upgrade", "m3", "after", "kill").returncode < 0
    engine = _engine(mariadb_url)
    with pytest.raises(HalfMigratedError) as caught:
        DBMigrator(engine, directory=folder).upgrade()
    message = str(caught.value)
    assert "statement 3 (line 8: ALTER TABLE a MODIFY v BIGINT /*m3*/)" in message
    assert "statements 1-2 had committed" in message and "resolve 2 --applied" in message
    assert row_state(engine)["2"] == "started"
    DBMigrator(engine, directory=folder).resolve("2", applied=True)
    assert row_state(engine)["2"] == "applied"
    assert scalar(engine, f"SELECT journal FROM {TRACKING} WHERE version = '2'") is None


def test_a_failed_statement_is_named_by_the_next_run(mariadb_url, make_scripts):
    statements = [("f1", "CREATE TABLE a (id INT PRIMARY KEY)", True),
                  ("f2", "INSERT INTO a VALUES (1)", False),
                  ("f3", "CREATE TABLE b (id INT)", True),
                  ("f4", "INSERT INTO a VALUES (1)", False)]  # duplicate key
    folder = make_scripts({"1_counter.sql": FIRST, "2_mixed.sql": sql(statements)})
    engine = _engine(mariadb_url)
    with pytest.raises(ScriptFailedError) as failed:
        DBMigrator(engine, directory=folder).upgrade()
    assert failed.value.partial
    journal = scalar(engine, f"SELECT journal FROM {TRACKING} WHERE version = '2'")
    assert journal.split()[:3] == ["failed", "4", "3"]
    # A row written before the failed mark kept its digest: a person settles it.
    with engine.begin() as connection:
        connection.exec_driver_sql(f"UPDATE {TRACKING} SET journal = 'failed 4 3' WHERE version = '2'")
    with pytest.raises(HalfMigratedError) as caught:
        DBMigrator(engine, directory=folder).upgrade()
    message = str(caught.value)
    assert "statement 4 (line 11) failed; statements 1-3 are in place" in message
    assert "resolve 2 --applied" in message


def test_a_failed_first_ddl_statement_leaves_no_row(mariadb_url, make_scripts):
    statements = [("g1", "CREATE TABLE counter (id INT)", True),  # exists already
                  ("g2", "UPDATE counter SET n = n + 1", False)]
    folder = make_scripts({"1_counter.sql": FIRST, "2_mixed.sql": sql(statements)})
    engine = _engine(mariadb_url)
    with pytest.raises(ScriptFailedError) as failed:
        DBMigrator(engine, directory=folder).upgrade()
    assert not failed.value.partial
    assert row_state(engine) == {"1": "applied"}


def test_a_revert_left_half_way_is_continued_by_downgrade_not_upgrade(mariadb_url, make_scripts):
    folder = scripts(make_scripts)
    engine = _engine(mariadb_url)
    DBMigrator(engine, directory=folder).upgrade()
    assert stop(mariadb_url, folder, "downgrade", "d5", "before", "kill").returncode < 0
    with pytest.raises(HalfMigratedError) as caught:
        DBMigrator(engine, directory=folder).upgrade()
    assert "`lockgate downgrade` continues it" in str(caught.value)
    DBMigrator(engine, directory=folder).downgrade()
    assert_downgraded(engine)


def test_the_cli_says_where_it_continues(mariadb_url, make_scripts):
    folder = scripts(make_scripts)
    assert stop(mariadb_url, folder, "upgrade", "u7", "after", "kill").returncode < 0
    done = forkserver.run(["-m", "lockgate", "--url", mariadb_url, "--directory", str(folder), "upgrade"],
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert ("warning: an earlier run stopped inside script 2 (mixed) when statements 1-6 had "
            "committed; statement 7 (line 20), which was running when it stopped, had taken effect "
            "(the catalog shows it); continuing at statement 8, line 23.") in done.stderr
    assert_upgraded(_engine(mariadb_url))


def test_a_table_of_format_2_gains_the_journal_in_place(db_url, make_scripts):
    folder = make_scripts({"1_a.sql": "CREATE TABLE a (id INTEGER);", "2_b.sql": "CREATE TABLE b (id INTEGER);"})
    engine = _engine(db_url)
    DBMigrator(engine, directory=folder).upgrade(to="1")
    with engine.begin() as connection:
        connection.exec_driver_sql(f"ALTER TABLE {TRACKING} DROP COLUMN journal")
    DBMigrator(engine, directory=folder).upgrade()
    assert "journal" in {c["name"] for c in sa.inspect(engine).get_columns(TRACKING)}
    assert row_state(engine) == {"1": "applied", "2": "applied"}


@pytest.mark.parametrize("statement,facts", [
    ("CREATE TABLE t (id int)", [("table", None, "t", None, True)]),
    ("/* c */ CREATE TABLE IF NOT EXISTS `db`.`t``1` (id int)", [("table", "db", "t`1", None, True)]),
    ("-- a note\nDROP INDEX ix /* why */ ON t # gone\n", [("index", None, "t", "ix", False)]),
    ("ALTER TABLE t ADD COLUMN c varchar(9) DEFAULT '-- /*', DROP d",
     [("column", None, "t", "c", True), ("column", None, "t", "d", False)]),
    ("DROP TABLE t", [("table", None, "t", None, False)]),
    ("CREATE TABLE Ünï_€$9.ßx (a int)", [("table", "Ünï_€$9", "ßx", None, True)]),
    ("DROP INDEX ix ON t\U0001F600", []),  # unquoted names stop at U+FFFF
    ("CREATE UNIQUE INDEX ix ON t (a)", [("index", None, "t", "ix", True)]),
    ("DROP INDEX ix ON db.t", [("index", "db", "t", "ix", False)]),
    ("ALTER TABLE t ADD COLUMN c int DEFAULT 1, ADD d varchar(3)",
     [("column", None, "t", "c", True), ("column", None, "t", "d", True)]),
    ("ALTER TABLE t DROP COLUMN c, ALGORITHM=INPLACE", [("column", None, "t", "c", False)]),
    ("ALTER TABLE t ADD INDEX ix (a, b)", [("index", None, "t", "ix", True)]),
    ("ALTER TABLE t DROP KEY ix", [("index", None, "t", "ix", False)]),
    ("DROP TABLE a, b", []),
    ("ALTER TABLE t ADD PRIMARY KEY (a)", []),
    ("ALTER TABLE t MODIFY c int", []),
    ("ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES u (a)", []),
    ("CREATE OR REPLACE TABLE t (a int)", []),
    ("CREATE TEMPORARY TABLE t (a int)", []),
    ("RENAME TABLE a TO b", []),
])
def test_what_the_catalog_shows_of_a_statement(statement, facts):
    assert catalog_facts(statement) == facts


def test_catalog_checks_on_the_server(mariadb_url):
    from lockgate.dialects.mysql import MariaDBAdapter

    engine = _engine(mariadb_url)
    adapter = MariaDBAdapter()
    with engine.connect() as connection:
        connection.exec_driver_sql("CREATE TABLE t (a INT, b INT)")
        connection.exec_driver_sql("CREATE INDEX ix ON t (a)")
        cursor = connection.connection.driver_connection.cursor()

        class Sink:
            def query(self, sql, params=()):
                cursor.execute(sql, params)
                return cursor.fetchone()

        sink = Sink()
        assert adapter.ddl_in_effect(sink, "CREATE TABLE t (x INT)") is True
        assert adapter.ddl_in_effect(sink, "CREATE TABLE u (x INT)") is False
        assert adapter.ddl_in_effect(sink, "DROP TABLE t") is False
        assert adapter.ddl_in_effect(sink, "ALTER TABLE t ADD COLUMN b INT, ADD COLUMN c INT") is None
        assert adapter.ddl_in_effect(sink, "ALTER TABLE T DROP COLUMN c") is True
        assert adapter.ddl_in_effect(sink, "DROP INDEX ix ON t") is False
        assert adapter.ddl_in_effect(sink, "ALTER TABLE t ADD INDEX ix (a)") is True
        assert adapter.ddl_in_effect(sink, "ALTER TABLE t MODIFY a BIGINT") is None


def test_python_scripts_keep_todays_behaviour(mariadb_url, make_scripts):
    """A Python script's progress cannot be known: a stop inside it leaves the row for a person."""
    folder = make_scripts({"1_counter.sql": FIRST, "2_py.py": (
        "def upgrade(connection):\n"
        "    connection.exec_driver_sql('CREATE TABLE a (id INT) /*p1*/')\n"
        "    connection.exec_driver_sql('UPDATE counter SET n = n + 1 /*p2*/')\n")})
    assert stop(mariadb_url, folder, "upgrade", "p2", "before", "kill").returncode < 0
    engine = _engine(mariadb_url)
    assert scalar(engine, f"SELECT journal FROM {TRACKING} WHERE version = '2'") is None
    with pytest.raises(HalfMigratedError) as caught:
        DBMigrator(engine, directory=folder).upgrade()
    assert "may be half-migrated" in str(caught.value)
