"""Transaction control in SQL scripts: classified by leading keywords, refused with file and line.

A transactional script runs in one transaction with its tracking row, so a
top-level COMMIT, ROLLBACK, BEGIN (or MySQL's USE, XA, SET autocommit) must be
refused before anything runs -- except a whole-file BEGIN ... COMMIT wrapper,
which is redundant and skipped. None of this needs a database.
"""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lockgate.errors import LockgateError
from lockgate.sqlsplit import Statement, split_sql
from lockgate.run.txcontrol import (
    KINDS,
    TransactionControlCheck,
    TransactionControlError,
    check_script,
    might_contain_control,
    transaction_control,
)

DIALECTS = ["postgresql", "mysql", "sqlite"]
FAST = settings(max_examples=300, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow])

# (statement, kind) per dialect; "default" is read like PostgreSQL.
POSTGRESQL = [
    ("BEGIN", "begin"),
    ("begin", "begin"),
    ("BeGiN WoRk", "begin"),
    ("BEGIN TRANSACTION", "begin"),
    ("BEGIN ISOLATION LEVEL SERIALIZABLE", "begin"),
    ("BEGIN TRANSACTION READ ONLY, DEFERRABLE", "begin"),
    ("START TRANSACTION", "begin"),
    ("start transaction isolation level repeatable read", "begin"),
    ("-- leading comment\nBEGIN", "begin"),
    ("/* leading */ BEGIN", "begin"),
    ("/* outer /* nested */ still outer */ BEGIN", "begin"),
    ("START -- c\n TRANSACTION", "begin"),
    ("START/**/TRANSACTION", "begin"),
    ("COMMIT", "commit"),
    ("commit work", "commit"),
    ("COMMIT TRANSACTION", "commit"),
    ("COMMIT /* x */ WORK", "commit"),
    ("COMMIT AND CHAIN", "commit"),
    ("COMMIT AND NO CHAIN", "commit"),
    ("END", "commit"),
    ("end transaction", "commit"),
    ("END WORK AND NO CHAIN", "commit"),
    ("END -- done", "commit"),
    ("ROLLBACK", "rollback"),
    ("ROLLBACK WORK", "rollback"),
    ("ROLLBACK TRANSACTION AND CHAIN", "rollback"),
    ("ABORT", "rollback"),
    ("abort work", "rollback"),
    ("PREPARE TRANSACTION 'tx1'", "prepare"),
    ("COMMIT PREPARED 'tx1'", "prepare"),
    ("ROLLBACK PREPARED 'tx1'", "prepare"),
    ("commit /* c */ prepared 'tx1'", "prepare"),
    ("ROLLBACK TO SAVEPOINT s", None),
    ("ROLLBACK TO s", None),
    ("ROLLBACK WORK TO SAVEPOINT s", None),
    ("rollback transaction /* c */ to s", None),
    ("SAVEPOINT sa_savepoint_1", None),
    ("RELEASE SAVEPOINT sa_savepoint_1", None),
    ("RELEASE s", None),
    ("BEGIN ATOMIC SELECT 1; END", None),
    ("begin /* c */ atomic", None),
    ("DO $$ BEGIN COMMIT; END $$", None),
    ("CREATE PROCEDURE p() LANGUAGE plpgsql AS $$ BEGIN COMMIT; END $$", None),
    ("CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END", None),
    ("END IF", None),
    ("END $$ LANGUAGE plpgsql", None),
    ("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE", None),
    ("SET LOCAL lock_timeout = '1s'", None),
    ("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY", None),
    ("PREPARE q AS SELECT 1", None),
    ("SELECT 1 -- COMMIT", None),
    ("-- COMMIT\nSELECT 1", None),
    ("/* BEGIN */ SELECT 1", None),
    ("INSERT INTO log VALUES ('COMMIT')", None),
    ("UPDATE t SET status = 'begin'", None),
    ("CREATE TABLE commit_log (id int)", None),
    ("COMMENT ON TABLE t IS 'x'", None),
    ("commit_log", None),
    ("begin_at", None),
    ("ending", None),
    ("aborted", None),
    ("start_date", None),
    ("USE otherdb", None),
    ("SET autocommit = 0", None),
    ("XA START 'x'", None),
]
MYSQL = [
    ("BEGIN", "begin"),
    ("BEGIN WORK", "begin"),
    ("begin work", "begin"),
    ("START TRANSACTION", "begin"),
    ("START TRANSACTION READ ONLY", "begin"),
    ("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ WRITE", "begin"),
    ("# note\nBEGIN", "begin"),
    ("-- note\nSTART TRANSACTION", "begin"),
    ("START /* c */ TRANSACTION", "begin"),
    ("COMMIT", "commit"),
    ("COMMIT WORK", "commit"),
    ("COMMIT AND NO CHAIN NO RELEASE", "commit"),
    ("COMMIT RELEASE", "commit"),
    ("commit # why\n work", "commit"),
    ("/*!COMMIT*/", "commit"),
    ("ROLLBACK", "rollback"),
    ("ROLLBACK WORK", "rollback"),
    ("ROLLBACK AND CHAIN", "rollback"),
    ("XA START 'x'", "prepare"),
    ("XA END 'x'", "prepare"),
    ("XA PREPARE 'x'", "prepare"),
    ("XA COMMIT 'x'", "prepare"),
    ("xa rollback 'x'", "prepare"),
    ("USE otherdb", "use"),
    ("use `other db`", "use"),
    ("USE/* c */otherdb", "use"),
    ("SET autocommit = 0", "autocommit"),
    ("SET autocommit=1", "autocommit"),
    ("set AUTOCOMMIT := 0", "autocommit"),
    ("SET @@autocommit = 0", "autocommit"),
    ("SET @@session.autocommit = 0", "autocommit"),
    ("SET @@SESSION.AUTOCOMMIT=1", "autocommit"),
    ("SET SESSION autocommit = 0", "autocommit"),
    ("SET LOCAL autocommit = 0", "autocommit"),
    ("SET @@local.autocommit = 0", "autocommit"),
    ("SET `autocommit` = 0", "autocommit"),
    ("SET NAMES utf8mb4, autocommit = 0", "autocommit"),
    ("SET @a = 1, @@autocommit = 0", "autocommit"),
    ("SET sql_mode = 'A,B', autocommit = 0", "autocommit"),
    ("SET @s = 'x', /* c */ autocommit = 0", "autocommit"),
    ("SET a=1,autocommit=0", "autocommit"),
    ("/*!40101 SET autocommit=0 */", "autocommit"),
    ("BEGIN NOT ATOMIC SELECT 1; END", None),
    ("begin not /* c */ atomic insert into t values (1); commit; end", None),
    ("CREATE PROCEDURE p() BEGIN COMMIT; END", None),
    ("CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW BEGIN SET NEW.a = 1; END", None),
    ("ROLLBACK TO SAVEPOINT s", None),
    ("ROLLBACK WORK TO s", None),
    ("SAVEPOINT s", None),
    ("RELEASE SAVEPOINT s", None),
    ("SET TRANSACTION ISOLATION LEVEL READ COMMITTED", None),
    ("SET SESSION TRANSACTION READ ONLY", None),
    ("SET @x = 1", None),
    ("SET NAMES utf8", None),
    ("SET @autocommit = 0", None),
    ("SET @x = 'autocommit = 0'", None),
    ("SET @x = 'a, autocommit = 0'", None),
    ("SET @x = 'it''s, autocommit = 0'", None),
    ("SET @x = 'a\\', autocommit = 0'", None),
    ("SET @x = \"a, autocommit = 0\"", None),
    ("SET @x = 1 -- , autocommit = 0\n", None),
    ("SET @x = 1 # , autocommit = 0\n", None),
    ("SET @x = 1 /* , autocommit = 0 */", None),
    ("SET GLOBAL autocommit = 0", None),
    ("SET @@global.autocommit = 0", None),
    ("SET autocommit_mode = 1", None),
    ("SELECT @@autocommit", None),
    ("UPDATE t SET use_count = use_count + 1", None),
    ("ALTER TABLE commit_log ADD begin_at DATETIME", None),
    ("use_count", None),
    ("users", None),
    ("END", None),
    ("ABORT", None),
    ("--COMMIT", None),
    ("PREPARE stmt FROM 'SELECT 1'", None),
    ("START SLAVE", None),
    ("INSERT INTO t VALUES ('COMMIT')", None),
    ("DO RELEASE_LOCK('x')", None),
]
SQLITE = [
    ("BEGIN", "begin"),
    ("BEGIN TRANSACTION", "begin"),
    ("BEGIN DEFERRED", "begin"),
    ("BEGIN IMMEDIATE TRANSACTION", "begin"),
    ("begin exclusive", "begin"),
    ("/* c */ BEGIN", "begin"),
    ("COMMIT", "commit"),
    ("COMMIT TRANSACTION", "commit"),
    ("END", "commit"),
    ("END TRANSACTION", "commit"),
    ("end transaction t1", "commit"),
    ("ROLLBACK", "rollback"),
    ("ROLLBACK TRANSACTION", "rollback"),
    ("ROLLBACK TO s", None),
    ("ROLLBACK TO SAVEPOINT s", None),
    ("ROLLBACK TRANSACTION TO SAVEPOINT s", None),
    ("ROLLBACK TRANSACTION t1 TO SAVEPOINT s", None),
    ("SAVEPOINT s", None),
    ("RELEASE s", None),
    ("CREATE TRIGGER t AFTER INSERT ON a BEGIN DELETE FROM b; END", None),
    ("END IF", None),
    ("START TRANSACTION", None),
    ("ABORT", None),
    ("USE x", None),
    ("SET autocommit = 0", None),
    ("commit_log", None),
]
TABLES = {"postgresql": POSTGRESQL, "mysql": MYSQL, "sqlite": SQLITE}
CASES = [pytest.param(dialect, sql, kind, id=f"{dialect}:{sql!r}")
         for dialect, table in TABLES.items() for sql, kind in table]
CONTROL = [pytest.param(dialect, sql, kind, id=f"{dialect}:{sql!r}")
           for dialect, table in TABLES.items() for sql, kind in table if kind is not None]
# Control statements without comments of their own, whose blanks a test may replace.
PLAIN_CONTROL = [case for case in CONTROL if not any(mark in case.values[1] for mark in ("--", "/*", "#"))]


@pytest.mark.parametrize("dialect, sql, kind", CASES)
def test_classification(dialect, sql, kind):
    assert transaction_control(sql, dialect) == kind


def test_tables_cover_every_kind():
    """Each kind the function can return has examples, and nothing outside KINDS is expected."""
    expected = {kind for table in TABLES.values() for _, kind in table}
    assert expected == set(KINDS) | {None}


@pytest.mark.parametrize("sql, kind", POSTGRESQL)
def test_default_dialect_reads_like_postgresql(sql, kind):
    assert transaction_control(sql, "default") == kind


@pytest.mark.parametrize("name, base", [
    ("mariadb", "mysql"), ("mysql+pymysql", "mysql"), ("MySQL", "mysql"),
    ("postgresql+psycopg", "postgresql"), ("PostgreSQL", "postgresql"), ("oracle", "postgresql"),
    ("sqlite+pysqlite", "sqlite"),
])
def test_dialect_names(name, base):
    for sql, kind in TABLES[base]:
        assert transaction_control(sql, name) == kind, sql


@pytest.mark.parametrize("dialect, sql, kind", CONTROL)
@pytest.mark.parametrize("change", [str.upper, str.lower, str.swapcase])
def test_case_does_not_matter(dialect, sql, kind, change):
    assert transaction_control(change(sql), dialect) == kind


@pytest.mark.parametrize("dialect, sql, kind", PLAIN_CONTROL)
@pytest.mark.parametrize("gap", [" /* c */ ", "\n-- c\n", "\n\n\t ", "/**/ /* a; b */ "])
def test_comments_and_blanks_between_keywords(dialect, sql, kind, gap):
    assert transaction_control(sql.replace(" ", gap), dialect) == kind


def test_mysql_hash_comments_between_keywords():
    assert transaction_control("START # c\n TRANSACTION", "mysql") == "begin"
    assert transaction_control("SET # c\n autocommit = 0", "mysql") == "autocommit"
    assert transaction_control("START # c\n TRANSACTION", "postgresql") is None  # no comment there


def test_mysql_double_dash_needs_a_blank_to_be_a_comment():
    assert transaction_control("-- c\nCOMMIT", "mysql") == "commit"
    assert transaction_control("--c\nCOMMIT", "mysql") is None
    assert transaction_control("--c\nCOMMIT", "postgresql") == "commit"


@pytest.mark.parametrize("depth, kind", [(1, "commit"), (2, "commit"), (4, "commit")])
def test_postgresql_nested_comments_before_keywords(depth, kind):
    comment = "/* a " * depth + " b */" * depth
    assert transaction_control(f"{comment} COMMIT", "postgresql") == kind
    assert transaction_control(f"{comment} SELECT 1", "postgresql") is None


@pytest.mark.parametrize("dialect, sql, kind", CONTROL)
@pytest.mark.parametrize("prefix", ["SELECT ", "INSERT INTO t VALUES (1) -- ", "x", "x_", "$"])
def test_only_leading_keywords_decide(dialect, sql, kind, prefix):
    """Control words later in a statement, or glued to a word before them, are no control."""
    assert transaction_control(prefix + sql, dialect) is None


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("suffix", ["_at", "_log", "s", "x", "1", "$x"])
def test_keywords_end_at_word_boundaries(dialect, suffix):
    for word in ("BEGIN", "COMMIT", "ROLLBACK", "END", "START", "USE", "XA", "ABORT"):
        assert transaction_control(word + suffix, dialect) is None, word + suffix


# -- the check over whole scripts ---------------------------------------------------------------

BODY = "CREATE TABLE a (id int);\nINSERT INTO a VALUES (1);\n"
WRAPPERS = [
    ("postgresql", "BEGIN", "COMMIT"),
    ("postgresql", "BEGIN TRANSACTION", "COMMIT WORK"),
    ("postgresql", "START TRANSACTION", "END"),
    ("postgresql", "begin work", "end transaction"),
    ("default", "BEGIN", "END"),
    ("mysql", "BEGIN", "COMMIT"),
    ("mysql", "START TRANSACTION", "COMMIT WORK"),
    ("mysql", "BEGIN WORK", "commit"),
    ("sqlite", "BEGIN TRANSACTION", "COMMIT"),
    ("sqlite", "BEGIN IMMEDIATE", "END"),
    ("sqlite", "BEGIN", "END TRANSACTION"),
]


def admitted(text: str, dialect: str, path: str = "m.sql") -> list[str]:
    """The statements the check lets run, after checking the whole script."""
    check = TransactionControlCheck(dialect, path)
    ran = [s.text for s in split_sql(text, dialect) if check.admit(s)]
    check.finish()
    return ran


def refusal(text: str, dialect: str, path: str = "m.sql") -> TransactionControlError:
    with pytest.raises(TransactionControlError) as caught:
        check_script(text, dialect, path)
    return caught.value


@pytest.mark.parametrize("dialect, begin, commit", WRAPPERS)
def test_whole_file_wrapper_is_skipped(dialect, begin, commit):
    text = f"{begin};\n{BODY}{commit};\n"
    assert admitted(text, dialect) == ["CREATE TABLE a (id int)", "INSERT INTO a VALUES (1)"]
    check_script(text, dialect, "m.sql")


@pytest.mark.parametrize("dialect", DIALECTS)
def test_wrapper_among_comments_and_blank_lines(dialect):
    text = ("-- migration: add table a\n\n/* header\n   lines */\nBEGIN;\n\n-- the body\n"
            f"{BODY}\n\nCOMMIT; -- done\n\n-- trailing comment\n\n")
    assert admitted(text, dialect) == ["CREATE TABLE a (id int)", "INSERT INTO a VALUES (1)"]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_admit_answers_per_statement(dialect):
    check = TransactionControlCheck(dialect, "m.sql")
    answers = [check.admit(s) for s in split_sql(f"BEGIN;\n{BODY}COMMIT;", dialect)]
    assert answers == [False, True, True, False]
    check.finish()


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("text", ["", "-- only a comment\n", "BEGIN;\nCOMMIT;\n", BODY])
def test_scripts_without_refusals(dialect, text):
    check_script(text, dialect, "m.sql")


@pytest.mark.parametrize("dialect", DIALECTS)
def test_statement_after_the_wrapper_is_refused_at_its_commit(dialect):
    error = refusal(f"BEGIN;\n{BODY}COMMIT;\nCREATE TABLE b (id int);\n", dialect)
    assert (error.line, error.keyword) == (4, "COMMIT")
    assert str(error).startswith(
        "m.sql, line 4: `COMMIT` closes the BEGIN ... COMMIT wrapper opened on line 1")
    assert "the next on line 5" in str(error)
    assert "another transaction" in str(error)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_two_wrappers_are_refused(dialect):
    error = refusal(f"BEGIN;\n{BODY}COMMIT;\nBEGIN;\nCREATE TABLE b (id int);\nCOMMIT;\n", dialect)
    assert (error.line, error.keyword) == (4, "COMMIT")


@pytest.mark.parametrize("dialect", DIALECTS)
def test_begin_never_committed_is_refused_at_the_end(dialect):
    check = TransactionControlCheck(dialect, "m.sql")
    assert [check.admit(s) for s in split_sql(f"\n\nBEGIN;\n{BODY}", dialect)] == [False, True, True]
    with pytest.raises(TransactionControlError) as caught:
        check.finish()
    error = caught.value
    assert (error.line, error.keyword) == (3, "BEGIN")
    assert str(error).startswith("m.sql, line 3: `BEGIN` starts a transaction that the file never commits")


@pytest.mark.parametrize("dialect", DIALECTS)
def test_rollback_at_the_end_is_refused(dialect):
    error = refusal(f"BEGIN;\n{BODY}ROLLBACK;\n", dialect)
    assert (error.line, error.keyword) == (4, "ROLLBACK")
    assert "would end the transaction lockgate runs this script in" in str(error)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_begin_in_the_middle_is_refused(dialect):
    error = refusal(f"{BODY}BEGIN;\nCREATE TABLE b (id int);\nCOMMIT;\n", dialect)
    assert (error.line, error.keyword) == (3, "BEGIN")
    assert "accepted only as the first statement of a whole-file BEGIN ... COMMIT wrapper" in str(error)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_second_begin_inside_the_wrapper_is_refused(dialect):
    error = refusal(f"BEGIN;\nBEGIN;\n{BODY}COMMIT;\n", dialect)
    assert error.line == 2


@pytest.mark.parametrize("dialect", DIALECTS)
def test_commit_without_begin_is_refused(dialect):
    error = refusal(f"{BODY}COMMIT;\n", dialect)
    assert (error.line, error.keyword) == (3, "COMMIT")


@pytest.mark.parametrize("dialect", DIALECTS)
def test_commit_in_the_middle_is_refused(dialect):
    error = refusal("CREATE TABLE a (id int);\nCOMMIT;\nCREATE TABLE b (id int);\n", dialect)
    assert error.line == 2


@pytest.mark.parametrize("dialect, text, line, keyword, reason", [
    ("mysql", "CREATE TABLE a (id int);\nUSE otherdb;\n", 2, "USE otherdb",
     "would switch the session away from the database the tracking table lives in"),
    ("mysql", "BEGIN;\nSET autocommit = 1;\nCOMMIT;\n", 2, "SET autocommit",
     "would change when the session commits"),
    ("mysql", "XA START 'x';\nCREATE TABLE a (id int);\n", 1, "XA START", "two-phase commit"),
    ("mysql", "CREATE TABLE a (id int);\nSTART TRANSACTION;\n", 2, "START TRANSACTION",
     "MySQL commits the open transaction before it starts a new one"),
    ("postgresql", "CREATE TABLE a (id int);\nPREPARE TRANSACTION 'x';\n", 2, "PREPARE TRANSACTION",
     "two-phase commit"),
    ("postgresql", "CREATE TABLE a (id int);\nABORT;\n", 2, "ABORT", "undoing the statements before it"),
])
def test_refusals_say_why(dialect, text, line, keyword, reason):
    error = refusal(text, dialect)
    assert (error.line, error.keyword) == (line, keyword)
    assert reason in str(error)


def test_error_carries_path_line_keyword_and_exit_code():
    error = refusal("CREATE TABLE a (id int);\n\n-- now commit\ncommit /* why */ work;\n", "postgresql",
                    "migrations/20240101_add_a.sql")
    assert isinstance(error, LockgateError)
    assert error.exit_code == 2
    assert (error.path, error.line, error.keyword) == ("migrations/20240101_add_a.sql", 4, "commit work")
    message = str(error)
    assert message.startswith(
        "migrations/20240101_add_a.sql, line 4: `commit work` would end the transaction lockgate "
        "runs this script in, so the script and its tracking row would no longer commit together. "
        "Nothing was run. Remove it: each script already runs in its own transaction (a whole-file "
        "BEGIN ... COMMIT wrapper is accepted).")
    assert message.endswith("start the file with the line `-- lockgate: no-transaction`.")
    assert "\n" not in message


@pytest.mark.parametrize("text, dialect", [
    ("CREATE TABLE a (id int);\nROLLBACK;\n", "sqlite"),
    ("BEGIN;\nCREATE TABLE a (id int);\n", "postgresql"),
    ("BEGIN;\nCOMMIT;\nSELECT 1;\n", "mysql"),
    ("USE otherdb;\n", "mysql"),
])
def test_every_message_is_one_paragraph_with_both_fixes(text, dialect):
    message = str(refusal(text, dialect))
    assert "\n" not in message
    assert "Nothing was run." in message
    assert "`-- lockgate: no-transaction`" in message


def test_long_keywords_are_shortened():
    error = refusal(f"USE {'a' * 80};\n", "mysql")
    assert error.keyword.startswith("USE aaa") and error.keyword.endswith("...")
    assert len(error.keyword) <= 40
    assert "a" * 60 not in str(error)


def test_keywords_are_quoted_as_written_without_comments():
    assert refusal("START -- why\n  TRANSACTION;\nSELECT 1;\nBEGIN;", "mysql").keyword == "BEGIN"
    error = refusal("SELECT 1;\nStart -- why\n  Transaction;\n", "postgresql")
    assert error.keyword == "Start Transaction"
    error = refusal("SET NAMES utf8, @@session.autocommit = 0;", "mysql")
    assert error.keyword == "SET ... @@session.autocommit"


@pytest.mark.parametrize("dialect", DIALECTS)
def test_check_script_reads_streams(dialect):
    assert check_script(io.StringIO(f"BEGIN;\n{BODY}COMMIT;\n"), dialect, "m.sql") is None
    with pytest.raises(TransactionControlError) as caught:
        check_script(io.StringIO(f"{BODY}ROLLBACK;\n"), dialect, "m.sql")
    assert caught.value.line == 3


def test_check_script_names_the_file_when_it_cannot_split():
    with pytest.raises(LockgateError) as caught:
        check_script("COPY t FROM STDIN;\n1\t2\n\\.\n", "postgresql", "m.sql")
    assert not isinstance(caught.value, TransactionControlError)
    assert str(caught.value).startswith("m.sql, line 1: COPY ... FROM STDIN")


# -- bodies that hold transaction control without it being top-level --------------------------

def test_mysql_delimiter_procedures_with_commit_inside():
    text = (
        "DELIMITER //\n"
        "CREATE PROCEDURE load_batch()\nBEGIN\n  START TRANSACTION;\n  INSERT INTO t VALUES (1);\n"
        "  COMMIT;\nEND //\n"
        "CREATE PROCEDURE undo_batch()\nBEGIN\n  ROLLBACK;\nEND //\n"
        "DELIMITER ;\n"
        "CALL load_batch();\n"
    )
    ran = admitted(text, "mysql")
    assert [s.split("(")[0] for s in ran] == [
        "CREATE PROCEDURE load_batch", "CREATE PROCEDURE undo_batch", "CALL load_batch"]


def test_mysql_delimiter_file_with_top_level_commit_is_refused():
    text = "DELIMITER //\nCREATE PROCEDURE p()\nBEGIN\n  COMMIT;\nEND //\nCOMMIT //\nDELIMITER ;\nSELECT 1;\n"
    error = refusal(text, "mysql")
    assert (error.line, error.keyword) == (6, "COMMIT")


def test_mysql_wrapper_around_routines():
    text = ("BEGIN;\nDELIMITER $$\nCREATE TRIGGER t BEFORE INSERT ON a FOR EACH ROW\nBEGIN\n"
            "  SET NEW.id = 1;\nEND $$\nDELIMITER ;\nCOMMIT;\n")
    assert [s.split("\n")[0] for s in admitted(text, "mysql")] == [
        "CREATE TRIGGER t BEFORE INSERT ON a FOR EACH ROW"]


@pytest.mark.parametrize("routine", [
    "CREATE PROCEDURE p()\nBEGIN\n  INSERT INTO t VALUES (1);\n  COMMIT;\nEND;",
    "BEGIN NOT ATOMIC\n  INSERT INTO t VALUES (1);\n  COMMIT;\nEND;",
])
def test_mysql_bodies_without_delimiter_lines(routine):
    assert len(admitted(f"{routine}\nSELECT 1;\n", "mysql")) == 2


@pytest.mark.parametrize("body", [
    "DO $$\nBEGIN\n  INSERT INTO t VALUES (1);\n  COMMIT;\nEND\n$$;",
    "DO $body$ BEGIN ROLLBACK; END $body$;",
    "CREATE PROCEDURE p()\nLANGUAGE plpgsql\nAS $$\nBEGIN\n  COMMIT;\n  ROLLBACK;\nEND;\n$$;",
    "CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $f$\nBEGIN\n  RETURN NEW;\nEND\n$f$;",
    "CREATE FUNCTION g() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT 1;\nEND;",
])
def test_postgresql_bodies_in_dollar_quotes_and_atomic_blocks(body):
    assert len(admitted(f"BEGIN;\n{body}\nSELECT 1;\nCOMMIT;\n", "postgresql")) == 2


def test_sqlite_trigger_bodies():
    text = "CREATE TRIGGER tr AFTER INSERT ON a BEGIN\n  DELETE FROM b;\n  INSERT INTO c VALUES (1);\nEND;\n"
    assert len(admitted(f"BEGIN;\n{text}COMMIT;\n", "sqlite")) == 1


# -- the prefilter ----------------------------------------------------------------------------

@pytest.mark.parametrize("dialect, sql, kind", CONTROL)
def test_prefilter_finds_every_control_statement(dialect, sql, kind):
    assert might_contain_control(sql, dialect)
    assert might_contain_control(f"SELECT 1;\n{sql.lower()};\n", dialect)


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("text", [
    "",
    BODY,
    "UPDATE t SET use_count = use_count + 1, begin_at = now();\nCREATE TABLE commit_log (ending int);",
    "INSERT INTO t VALUES ('started', 'rollbacks', 'xa_id', 'autocommits');",
])
def test_prefilter_passes_scripts_without_keywords(dialect, text):
    assert not might_contain_control(text, dialect)


@pytest.mark.parametrize("dialect, text", [
    ("postgresql", "SELECT 'the end';"),
    ("mysql", "INSERT INTO t VALUES ('use');"),
    ("sqlite", "-- begin\nSELECT 1;"),
])
def test_prefilter_may_answer_true_for_words_in_strings_and_comments(dialect, text):
    """True only asks for the full check, which then finds nothing."""
    assert might_contain_control(text, dialect)
    check_script(text, dialect, "m.sql")


WORDS = ["BEGIN", "START", "TRANSACTION", "WORK", "COMMIT", "END", "ROLLBACK", "ABORT", "TO",
         "SAVEPOINT", "PREPARE", "PREPARED", "AND", "NO", "CHAIN", "ATOMIC", "NOT", "XA", "USE",
         "SET", "autocommit", "@@autocommit", "@@session.autocommit", "SESSION", "GLOBAL", "LOCAL",
         "`autocommit`", "=", ":=", "0", ",", "@x", "'a, autocommit = 1'", "use_count", "commit_log",
         "x", "DEFERRED", "IMMEDIATE", "SELECT", "NAMES", "/*!40101", "*/", "(", ")", "$", "1"]
GAPS = ["", " ", "\n", "\t", "/* c */", "/**/", "-- c\n", "# c\n", "/* a /* b */ c */"]


@st.composite
def statements(draw) -> str:
    """A statement of transaction keywords, look-alikes and gaps, in random case."""
    words = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=6))
    out = [draw(st.sampled_from(GAPS))]
    for word in words:
        out.append(draw(st.sampled_from([word, word.lower(), word.upper(), word.title()])))
        out.append(draw(st.sampled_from(GAPS)))
    return "".join(out)


@FAST
@given(dialect=st.sampled_from(DIALECTS), script=st.lists(statements(), max_size=5).map(";\n".join))
def test_prefilter_is_true_whenever_the_check_refuses(dialect, script):
    try:
        check_script(script, dialect, "m.sql")
    except TransactionControlError:
        assert might_contain_control(script, dialect)
    for statement in split_sql(script, dialect):
        if transaction_control(statement.text, dialect) is not None:
            assert might_contain_control(statement.text, dialect)


@FAST
@given(dialect=st.sampled_from(DIALECTS), text=statements())
def test_a_word_before_the_statement_makes_it_no_control(dialect, text):
    assert transaction_control("SELECT " + text.lstrip(), dialect) is None


@FAST
@given(dialect=st.sampled_from(DIALECTS), script=st.lists(statements(), max_size=5).map(";\n".join))
def test_check_agrees_with_the_statement_classification(dialect, script):
    """A script without control statements is never refused; one with a non-wrapper kind always is."""
    kinds = [transaction_control(s.text, dialect) for s in split_sql(script, dialect)]
    wrapper_kinds = {"begin", "commit"}
    try:
        check_script(script, dialect, "m.sql")
    except TransactionControlError:
        assert any(kinds)
    else:
        assert not set(filter(None, kinds)) - wrapper_kinds


# -- inputs that would make a backtracking pattern run for ages -------------------------------

@pytest.mark.parametrize("text, kind", [
    ("SET @x = " + "''" * 20000, None),
    ("SET @x = " + "'" * 20001, None),
    ("SET " + ", " * 20000 + "@x = 1", None),
    ("SET " + "@a = 1, " * 5000 + "autocommit = 0", "autocommit"),
    ("SET " + "@a = 'x''y', -- c\n" * 5000 + "@b = 2", None),
    ("SET @a = 1," + " /**/ " * 10000 + "x = 1", None),
    (" " * 100000 + "COMMIT", "commit"),
    ("/* " + "x" * 100000, None),
    ("# c\n" * 20000 + "SELECT 1", None),
])
def test_pathological_mysql_statements(text, kind):
    assert transaction_control(text, "mysql") == kind


@pytest.mark.parametrize("text, kind", [
    ("/*" + " /* x */" * 20000 + " */ ROLLBACK", "rollback"),
    ("/* " * 5000 + "x", None),
    ("\n" * 100000 + "SELECT 1", None),
    ("END" + " /**/" * 20000 + " x", None),
])
def test_pathological_postgresql_statements(text, kind):
    assert transaction_control(text, "postgresql") == kind


@pytest.mark.parametrize("dialect", DIALECTS)
def test_big_data_load(dialect):
    """A large script of plain rows: nothing refused, every statement run, prefilter clear."""
    rows = "".join(f"INSERT INTO items VALUES ({i}, 'item {i}', 'a plain row');\n" for i in range(50000))
    text = f"BEGIN;\n{rows}COMMIT;\n"
    assert len(admitted(text, dialect)) == 50000
    assert not might_contain_control(rows, dialect)
    assert transaction_control("INSERT INTO t VALUES ('" + "x" * 2_000_000 + "')", dialect) is None


def test_statement_objects_are_checked_by_text_and_line():
    check = TransactionControlCheck("postgresql", "m.sql")
    assert check.admit(Statement("SELECT 1", 7))
    with pytest.raises(TransactionControlError) as caught:
        check.admit(Statement("COMMIT", 42))
    assert caught.value.line == 42
