"""MariaDB: a script whose statement failed continues at that statement once the file is fixed.

MariaDB commits every DDL statement implicitly, so when a statement of a
script fails, the statements up to the last DDL statement that ran stay in
place. The row records where (``failed F DONE DIGEST``); the next run checks
that the statements in place are unchanged in the file and runs the rest as
the file now has it. Counters that each statement adds its own power of ten
to show that every statement took effect exactly once.
"""

from __future__ import annotations


import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

import forkserver

from helpers import TRACKING, query, scalar
from lockgate import DBMigrator
from lockgate.errors import HalfMigratedError, ScriptFailedError

pytestmark = pytest.mark.mariadb

FIRST = "CREATE TABLE counter (n BIGINT NOT NULL);\nINSERT INTO counter VALUES (0);\n"

#: (statement, is DDL). Statement 5 fails (a duplicate key), when statements 1-3
#: had committed with the implicit commit before statement 3, and 4 had not.
FAILING = [
    ("CREATE TABLE a (id INT PRIMARY KEY)", True),
    ("UPDATE counter SET n = n + 1", False),
    ("CREATE TABLE b (id INT)", True),
    ("UPDATE counter SET n = n + 10", False),
    ("INSERT INTO a VALUES (1), (1)", False),
    ("UPDATE counter SET n = n + 100", False),
]


def sql(statements) -> str:
    return "".join(f"-- step {i}\n{text};\n\n" for i, (text, _) in enumerate(statements, 1))


def fixed(statements, number: int, text: str):
    return [(text, ddl) if i == number else (s, ddl) for i, (s, ddl) in enumerate(statements, 1)]


def _engine(url: str):
    return sa.create_engine(url, poolclass=NullPool)


def journal(engine) -> str | None:
    return scalar(engine, f"SELECT journal FROM {TRACKING} WHERE version = '2'")


def rows(engine) -> dict[str, str]:
    return dict(query(engine, f"SELECT version, state FROM {TRACKING}"))


def fail_once(engine, folder, command: str = "upgrade") -> ScriptFailedError:
    with pytest.raises(ScriptFailedError) as failed:
        getattr(DBMigrator(engine, directory=folder), command)()
    assert failed.value.partial
    return failed.value


@pytest.fixture
def failing(mariadb_url, make_scripts):
    """Script 2 failed at statement 5: (engine, folder)."""
    statements = FAILING
    folder = make_scripts({"1_counter.sql": FIRST, "2_mixed.sql": sql(statements)})
    engine = _engine(mariadb_url)
    failure = fail_once(engine, folder)
    assert failure.line == 14
    assert journal(engine).split()[:3] == ["failed", "5", "3"]
    assert scalar(engine, "SELECT n FROM counter") == 1  # statement 4 was rolled back with 5
    return engine, folder, statements


def test_a_fixed_statement_is_where_the_next_run_continues(failing):
    engine, folder, statements = failing
    (folder / "2_mixed.sql").write_text(sql(fixed(statements, 5, "INSERT INTO a VALUES (1), (2)")))
    result = DBMigrator(engine, directory=folder).upgrade()
    assert [run.version for run in result.runs] == ["2"]
    assert scalar(engine, "SELECT n FROM counter") == 111
    assert query(engine, "SELECT id FROM a ORDER BY id") == [(1,), (2,)]
    assert rows(engine) == {"1": "applied", "2": "applied"} and journal(engine) is None
    assert result.warnings == [
        "an earlier run stopped inside script 2 (mixed) when its statement 5 failed and "
        "statements 1-3 had committed; continuing at statement 4, line 11."]


def test_an_unfixed_statement_fails_again_and_nothing_runs_twice(failing):
    engine, folder, statements = failing
    again = fail_once(engine, folder)
    assert again.line == 14
    assert journal(engine).split()[:3] == ["failed", "5", "3"]
    assert scalar(engine, "SELECT n FROM counter") == 1
    (folder / "2_mixed.sql").write_text(sql(fixed(statements, 5, "INSERT INTO a VALUES (1)")))
    DBMigrator(engine, directory=folder).upgrade()
    assert scalar(engine, "SELECT n FROM counter") == 111


def test_a_changed_statement_that_ran_is_refused_naming_them(failing):
    engine, folder, statements = failing
    changed = fixed(fixed(statements, 5, "INSERT INTO a VALUES (1)"), 2, "UPDATE counter SET n = n + 2")
    (folder / "2_mixed.sql").write_text(sql(changed))
    with pytest.raises(HalfMigratedError) as caught:
        DBMigrator(engine, directory=folder).upgrade()
    message = str(caught.value)
    assert caught.value.exit_code == 5
    assert ("script 2 (mixed) failed at its statement 5 when statements 1-3 had committed" in message
            and "statements 1-3 of the file changed since (statements 1-3 differ from what that "
                    "run ran)" in message)
    assert "Put statements 1-3 back as they were" in message and "keeping any fix to statement 4" in message
    assert "it continues at statement 4" in message and "resolve 2 --applied" in message
    assert scalar(engine, "SELECT n FROM counter") == 1  # nothing ran
    # Statements 1-3 restored, the fix kept (and statement 4, which never committed, changed too).
    restored = fixed(fixed(statements, 5, "INSERT INTO a VALUES (1)"), 4, "UPDATE counter SET n = n + 20")
    (folder / "2_mixed.sql").write_text(sql(restored))
    DBMigrator(engine, directory=folder).upgrade()
    assert scalar(engine, "SELECT n FROM counter") == 121
    assert rows(engine)["2"] == "applied"


def test_a_file_cut_before_the_statements_that_ran_is_refused(failing):
    engine, folder, statements = failing
    (folder / "2_mixed.sql").write_text(sql(statements[:2]))
    with pytest.raises(HalfMigratedError) as caught:
        DBMigrator(engine, directory=folder).upgrade()
    assert "it now has 2 statement(s)" in str(caught.value)


def test_a_script_cut_at_the_failing_statement_is_recorded(failing):
    engine, folder, statements = failing
    (folder / "2_mixed.sql").write_text(sql(statements[:3]))
    result = DBMigrator(engine, directory=folder).upgrade()
    assert rows(engine) == {"1": "applied", "2": "applied"}
    assert "the file now ends there; recording it" in " ".join(result.warnings)
    assert scalar(engine, "SELECT n FROM counter") == 1


def test_a_failed_ddl_statement_is_run_again_after_its_fix(mariadb_url, make_scripts):
    """The failing ALTER's journal mark committed (by its own implicit commit), the ALTER did not."""
    statements = [("CREATE TABLE a (id INT)", True),
                  ("UPDATE counter SET n = n + 1", False),
                  ("ALTER TABLE a ADD COLUMN id INT", True),  # duplicate column
                  ("UPDATE counter SET n = n + 10", False)]
    folder = make_scripts({"1_counter.sql": FIRST, "2_mixed.sql": sql(statements)})
    engine = _engine(mariadb_url)
    fail_once(engine, folder)
    assert journal(engine).split()[:3] == ["failed", "3", "2"]
    (folder / "2_mixed.sql").write_text(sql(fixed(statements, 3, "ALTER TABLE a ADD COLUMN w INT")))
    result = DBMigrator(engine, directory=folder).upgrade()
    assert "continuing at statement 3, line 8" in " ".join(result.warnings)
    assert scalar(engine, "SELECT n FROM counter") == 11
    assert [c["name"] for c in sa.inspect(engine).get_columns("a")] == ["id", "w"]


def test_a_failure_after_resuming_records_the_new_point(failing):
    """Continued, the script fails further on: the next run continues from there, not from before."""
    engine, folder, statements = failing
    later = fixed(fixed(statements, 5, "INSERT INTO a VALUES (1)"), 6, "CREATE TABLE a (x INT)")
    (folder / "2_mixed.sql").write_text(sql(later + [("UPDATE counter SET n = n + 1000", False)]))
    fail_once(engine, folder)
    assert journal(engine).split()[:3] == ["failed", "6", "5"]
    assert scalar(engine, "SELECT n FROM counter") == 11
    done = later[:5] + [("CREATE TABLE c (x INT)", True), ("UPDATE counter SET n = n + 1000", False)]
    (folder / "2_mixed.sql").write_text(sql(done))
    result = DBMigrator(engine, directory=folder).upgrade()
    assert "statement 6 failed and statements 1-5 had committed; continuing at statement 6" in \
        " ".join(result.warnings)
    assert scalar(engine, "SELECT n FROM counter") == 1011


def test_a_failed_downgrade_continues_after_its_fix(mariadb_url, make_scripts):
    down = [("DROP TABLE b", True),
            ("UPDATE counter SET n = n + 1000", False),
            ("DROP INDEX missing ON a", True),  # no such index
            ("DROP TABLE a", True)]
    folder = make_scripts({"1_counter.sql": FIRST, "2_mixed.sql": sql(FAILING[:4]),
                           "2_downgrade.sql": sql(down)})
    engine = _engine(mariadb_url)
    DBMigrator(engine, directory=folder).upgrade()
    fail_once(engine, folder, "downgrade")
    assert rows(engine)["2"] == "reverting" and journal(engine).split()[:3] == ["failed", "3", "2"]
    with pytest.raises(HalfMigratedError) as caught:
        DBMigrator(engine, directory=folder).upgrade()
    assert "`lockgate downgrade` continues it" in str(caught.value)
    (folder / "2_downgrade.sql").write_text(sql(fixed(down, 3, "DROP INDEX IF EXISTS missing ON a")))
    DBMigrator(engine, directory=folder).downgrade()
    assert rows(engine) == {"1": "applied"}
    assert scalar(engine, "SELECT n FROM counter") == 1011
    assert {t.lower() for t in sa.inspect(engine).get_table_names()} == {"counter", TRACKING}


def test_the_cli_says_to_fix_the_statement_and_run_again(mariadb_url, make_scripts):
    statements = FAILING[:5]
    folder = make_scripts({"1_counter.sql": FIRST, "2_mixed.sql": sql(statements)})

    def upgrade():
        return forkserver.run(["-m", "lockgate", "--url", mariadb_url, "--directory", str(folder), "upgrade"],
                              timeout=120)

    first = upgrade()
    assert first.returncode != 0 and "Traceback" not in first.stderr
    assert "line 14" in first.stderr
    assert ("Fix the failing statement in the file (leave the statements before it as they are) "
            "and run `lockgate upgrade` again: it continues the script where it stopped.") in first.stderr
    assert "resolve" not in first.stderr
    (folder / "2_mixed.sql").write_text(sql(fixed(statements, 5, "INSERT INTO a VALUES (1)")))
    second = upgrade()
    assert second.returncode == 0, second.stderr
    assert ("warning: an earlier run stopped inside script 2 (mixed) when its statement 5 failed "
            "and statements 1-3 had committed; continuing at statement 4, line 11.") in second.stderr
    assert scalar(_engine(mariadb_url), "SELECT n FROM counter") == 11
