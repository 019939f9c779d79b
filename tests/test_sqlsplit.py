"""Tests for lockgate.sqlsplit: cutting .sql migrations into statements, per dialect.

Pure Python, no database: each case pins down where a real server or client
would see a statement boundary, and where it would not.
"""

from __future__ import annotations

import inspect
import random

import pytest

from lockgate.errors import LockgateError
from lockgate.sqlsplit import Statement, iter_statements, split_sql

# "oracle" stands for any dialect lockgate has no rules for: standard SQL.
DIALECTS = ["sqlite", "postgresql", "mysql", "mariadb", "oracle"]
MYSQLS = ["mysql", "mariadb"]
NO_BACKSLASH = ["sqlite", "postgresql", "oracle"]


def texts(sql: str, dialect: str) -> list[str]:
    return [s.text for s in split_sql(sql, dialect)]


def lines(sql: str, dialect: str) -> list[int]:
    return [s.line for s in split_sql(sql, dialect)]


# --- basics -----------------------------------------------------------------


@pytest.mark.parametrize("dialect", DIALECTS)
class TestBasics:
    def test_simple(self, dialect):
        assert split_sql("SELECT 1; SELECT 2;", dialect) == [Statement("SELECT 1", 1), Statement("SELECT 2", 1)]

    def test_final_statement_without_semicolon(self, dialect):
        assert texts("SELECT 1;\nSELECT 2", dialect) == ["SELECT 1", "SELECT 2"]

    @pytest.mark.parametrize("sql", ["", "   \n\t\r\n ", ";", ";;\n;", "-- only a comment", "/* block */\n-- line\n"])
    def test_nothing_to_run(self, dialect, sql):
        assert split_sql(sql, dialect) == []

    def test_comment_after_last_statement_yields_nothing(self, dialect):
        assert texts("SELECT 1; -- done\n/* really */\n", dialect) == ["SELECT 1"]

    def test_comment_only_statement_dropped(self, dialect):
        assert texts("SELECT 1;\n-- nothing ;\n/* here */;\nSELECT 2;", dialect) == ["SELECT 1", "SELECT 2"]

    def test_text_stripped_and_inner_comments_kept(self, dialect):
        sql = "  \n  SELECT 1 -- one\n   + 2 /* two */  \n ;"
        assert texts(sql, dialect) == ["SELECT 1 -- one\n   + 2 /* two */"]

    def test_leading_comments_skipped(self, dialect):
        assert split_sql("-- header\n/* a\n b */ SELECT 1;", dialect) == [Statement("SELECT 1", 3)]

    def test_doubled_single_quotes(self, dialect):
        assert texts("SELECT 'it''s; fine'; SELECT 2", dialect) == ["SELECT 'it''s; fine'", "SELECT 2"]

    def test_double_quoted_identifier(self, dialect):
        sql = 'SELECT "a;b", "say ""hi;""" FROM t; SELECT 2'
        assert texts(sql, dialect) == ['SELECT "a;b", "say ""hi;""" FROM t', "SELECT 2"]

    def test_delimiters_inside_comments(self, dialect):
        sql = "SELECT 1 /* ; */ -- ;\n + 1; SELECT 2"
        assert texts(sql, dialect) == ["SELECT 1 /* ; */ -- ;\n + 1", "SELECT 2"]

    def test_dashes_and_slashes_that_start_nothing(self, dialect):
        assert texts("SELECT 4 - 2 / 1; SELECT -1/-1;", dialect) == ["SELECT 4 - 2 / 1", "SELECT -1/-1"]

    def test_quotes_inside_comments_are_ignored(self, dialect):
        assert texts("SELECT 1 /* it's */; SELECT 2 -- don't\n;", dialect) == [
            "SELECT 1 /* it's */",
            "SELECT 2 -- don't",
        ]

    def test_generator_is_lazy(self, dialect):
        it = iter_statements("SELECT 1; SELECT 2", dialect)
        assert inspect.isgenerator(it)
        assert next(it) == Statement("SELECT 1", 1)

    @pytest.mark.parametrize(
        "tail", ["'never closed; SELECT 2", '"never closed; SELECT 2', "/* never closed; SELECT 2"]
    )
    def test_unterminated_rest_is_last_statement(self, dialect, tail):
        assert texts(f"SELECT 1; SELECT {tail}\n", dialect) == ["SELECT 1", f"SELECT {tail}"]

    def test_unterminated_comment_before_statement(self, dialect):
        assert texts("SELECT 1;\n/* open", dialect) == ["SELECT 1", "/* open"]

    def test_split_sql_is_list_of_iter_statements(self, dialect):
        sql = "SELECT 1; -- x\nSELECT 'a;b'"
        assert split_sql(sql, dialect) == list(iter_statements(sql, dialect))


def test_statement_is_frozen():
    stmt = Statement("SELECT 1", 1)
    with pytest.raises(AttributeError):
        stmt.text = "x"  # type: ignore[misc]


def test_mariadb_behaves_as_mysql():
    sql = "SELECT 'a\\';b' # c;\n; SELECT `x;y`;"
    assert split_sql(sql, "mariadb") == split_sql(sql, "mysql") == [
        Statement("SELECT 'a\\';b' # c;", 1),
        Statement("SELECT `x;y`", 2),
    ]


@pytest.mark.parametrize("dialect", ["mysql+pymysql", "MySQL", "postgresql+psycopg"])
def test_driver_suffix_and_case_ignored(dialect):
    base = dialect.split("+")[0].lower()
    sql = "SELECT 'a\\';b' # x\n; SELECT $$;$$; SELECT 3"
    assert split_sql(sql, dialect) == split_sql(sql, base)


@pytest.mark.parametrize("dialect", ["oracle", "mssql", "firebird", ""])
def test_unknown_dialect_uses_standard_sql(dialect):
    sql = "SELECT 'C:\\' # $$;\nSELECT 1 /* a /* b */; SELECT E'\\'; SELECT `x;y` --z;\n;"
    assert texts(sql, dialect) == [
        "SELECT 'C:\\' # $$", "SELECT 1 /* a /* b */", "SELECT E'\\'", "SELECT `x", "y` --z;",
    ]


# --- backslashes and escape strings -------------------------------------------


@pytest.mark.parametrize("dialect", NO_BACKSLASH)
def test_backslash_does_not_escape_in_standard_strings(dialect):
    sql = "INSERT INTO p VALUES ('C:\\temp\\'); SELECT 2;"
    assert texts(sql, dialect) == ["INSERT INTO p VALUES ('C:\\temp\\')", "SELECT 2"]


@pytest.mark.parametrize("dialect", MYSQLS)
def test_backslash_escapes_in_mysql(dialect):
    # The quote after the backslash is escaped, so the string never closes.
    sql = "INSERT INTO p VALUES ('C:\\temp\\'); SELECT 2;"
    assert texts(sql, dialect) == [sql]
    assert texts("SELECT 'a\\';b'; SELECT 2", dialect) == ["SELECT 'a\\';b'", "SELECT 2"]
    assert texts('SELECT "a\\";b"; SELECT 2', dialect) == ['SELECT "a\\";b"', "SELECT 2"]
    assert texts("SELECT 'C:\\\\'; SELECT 2", dialect) == ["SELECT 'C:\\\\'", "SELECT 2"]
    assert texts("SELECT 'a''b\\\\'; SELECT 2", dialect) == ["SELECT 'a''b\\\\'", "SELECT 2"]


@pytest.mark.parametrize("prefix", ["E", "e", " E", "(E"])
def test_postgresql_escape_strings_honour_backslashes(prefix):
    sql = f"SELECT {prefix}'a\\';b\\\\'; SELECT 2"
    assert texts(sql, "postgresql") == [f"SELECT {prefix}'a\\';b\\\\'", "SELECT 2"]


@pytest.mark.parametrize("word", ["date", "type", "some_e", "u&"])
def test_postgresql_words_ending_in_e_do_not_make_escape_strings(word):
    sql = f"SELECT {word}'C:\\'; SELECT 2"
    assert texts(sql, "postgresql") == [f"SELECT {word}'C:\\'", "SELECT 2"]


@pytest.mark.parametrize("dialect", ["sqlite", "oracle"])
def test_e_prefix_means_nothing_outside_postgresql(dialect):
    assert texts("SELECT E'a\\'; SELECT 2", dialect) == ["SELECT E'a\\'", "SELECT 2"]


# --- comments ------------------------------------------------------------------


@pytest.mark.parametrize("dialect", MYSQLS)
@pytest.mark.parametrize("after", [" ", "\t", "\x0b"])
def test_mysql_dash_comment_with_whitespace(dialect, after):
    sql = f"SELECT 1 --{after}x;\n+ 1;\nSELECT 2"
    assert texts(sql, dialect) == [f"SELECT 1 --{after}x;\n+ 1", "SELECT 2"]


@pytest.mark.parametrize("dialect", MYSQLS)
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_mysql_dash_comment_at_end_of_line(dialect, newline):
    sql = f"SELECT 1 --{newline}+ 1;{newline}SELECT 2"
    assert texts(sql, dialect) == [f"SELECT 1 --{newline}+ 1", "SELECT 2"]


@pytest.mark.parametrize("dialect", MYSQLS)
def test_mysql_double_minus_without_space_is_arithmetic(dialect):
    assert texts("SELECT 5--1; SELECT 2", dialect) == ["SELECT 5--1", "SELECT 2"]


@pytest.mark.parametrize("dialect", NO_BACKSLASH)
def test_double_minus_without_space_is_comment_elsewhere(dialect):
    assert texts("SELECT 5--1; SELECT 2\n;SELECT 3", dialect) == ["SELECT 5--1; SELECT 2", "SELECT 3"]


@pytest.mark.parametrize("dialect", MYSQLS)
def test_hash_comment_in_mysql(dialect):
    assert texts("SELECT 5 # 3; SELECT 2\n; SELECT 3", dialect) == ["SELECT 5 # 3; SELECT 2", "SELECT 3"]
    assert texts("# header ;\nSELECT 1;", dialect) == ["SELECT 1"]


@pytest.mark.parametrize("dialect", NO_BACKSLASH)
def test_hash_is_an_ordinary_character_elsewhere(dialect):
    # In PostgreSQL # is the bitwise XOR operator.
    assert texts("SELECT 5 # 3; SELECT 2", dialect) == ["SELECT 5 # 3", "SELECT 2"]


def test_postgresql_block_comments_nest():
    sql = "SELECT 1 /* outer /* inner; */ still comment; */; SELECT 2"
    assert texts(sql, "postgresql") == ["SELECT 1 /* outer /* inner; */ still comment; */", "SELECT 2"]
    assert texts("/* a /* b */ ; */ SELECT 1; /*/ x */ SELECT 2", "postgresql") == ["SELECT 1", "SELECT 2"]


@pytest.mark.parametrize("dialect", ["sqlite", "mysql", "oracle"])
def test_block_comments_do_not_nest_elsewhere(dialect):
    sql = "SELECT 1 /* outer /* inner; */; SELECT 2"
    assert texts(sql, dialect) == ["SELECT 1 /* outer /* inner; */", "SELECT 2"]


def test_postgresql_unclosed_nested_comment_runs_to_end():
    sql = "SELECT 1 /* a /* b */; SELECT 2"
    assert texts(sql, "postgresql") == [sql]


@pytest.mark.parametrize("dialect", MYSQLS)
def test_mysql_executable_comments_are_statements(dialect):
    sql = "/*!40101 SET NAMES utf8mb4 */;\n/*M!100100 SET x=1 */;\n/* plain */;\nSELECT /*+ hint */ 1;"
    assert texts(sql, dialect) == ["/*!40101 SET NAMES utf8mb4 */", "/*M!100100 SET x=1 */", "SELECT /*+ hint */ 1"]


# --- quoted identifiers ------------------------------------------------------------


@pytest.mark.parametrize("dialect", MYSQLS + ["sqlite"])
def test_backtick_identifiers(dialect):
    assert texts("SELECT `a;b`, `x``;y` FROM t; SELECT 2", dialect) == ["SELECT `a;b`, `x``;y` FROM t", "SELECT 2"]


def test_sqlite_bracket_identifiers():
    assert texts("SELECT [a;b] FROM [t'x]; SELECT 2", "sqlite") == ["SELECT [a;b] FROM [t'x]", "SELECT 2"]


def test_postgresql_brackets_are_subscripts():
    assert texts("SELECT a[1]; SELECT '[;'", "postgresql") == ["SELECT a[1]", "SELECT '[;'"]


# --- dollar quotes -------------------------------------------------------------------


def test_dollar_quoted_body_with_semicolons():
    body = "$$\nBEGIN\n  INSERT INTO t VALUES (1);\n  RETURN NEW;\nEND;\n$$"
    sql = f"CREATE FUNCTION f() RETURNS trigger AS {body} LANGUAGE plpgsql;\nSELECT 2;"
    assert texts(sql, "postgresql") == [f"CREATE FUNCTION f() RETURNS trigger AS {body} LANGUAGE plpgsql", "SELECT 2"]


def test_tagged_dollar_quotes():
    sql = "DO $body$ BEGIN PERFORM $$;$$; PERFORM 'x'';'; END $body$; SELECT $_1$ ; $_1$; SELECT 3"
    assert texts(sql, "postgresql") == [
        "DO $body$ BEGIN PERFORM $$;$$; PERFORM 'x'';'; END $body$",
        "SELECT $_1$ ; $_1$",
        "SELECT 3",
    ]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT $1; SELECT 2",  # a parameter, not a quote
        "SELECT $1 + $2$; SELECT 2",  # $2 then a lone $; tags never start with a digit
        "SELECT a$b$; SELECT 2",  # $ inside an identifier
        "SELECT 1 $ 2; SELECT 2",
    ],
)
def test_dollar_signs_that_are_not_quotes(sql):
    assert len(split_sql(sql, "postgresql")) == 2


def test_unterminated_dollar_quote_runs_to_end():
    assert texts("SELECT 1; DO $x$ BEGIN; END $y$; SELECT 2", "postgresql") == [
        "SELECT 1",
        "DO $x$ BEGIN; END $y$; SELECT 2",
    ]


@pytest.mark.parametrize("dialect", ["sqlite", "mysql", "oracle"])
def test_dollars_mean_nothing_elsewhere(dialect):
    assert texts("SELECT $$a; SELECT 2$$", dialect) == ["SELECT $$a", "SELECT 2$$"]


# --- BEGIN ... END bodies ------------------------------------------------------------

SQLITE_TRIGGER = """CREATE TRIGGER audit AFTER UPDATE ON items
WHEN CASE WHEN new.qty > 0 THEN 1 ELSE 0 END
BEGIN
  INSERT INTO log VALUES (new.id, CASE WHEN new.qty > old.qty THEN 'up' ELSE 'down' END);
  UPDATE totals SET n = n + 1 WHERE "end" = new."end" AND old.end > 0;
  SELECT CASE new.qty WHEN 0 THEN RAISE(ABORT, 'no; stock') END;
END"""


def test_sqlite_trigger_with_case_is_one_statement():
    sql = f"{SQLITE_TRIGGER};\nSELECT 2;"
    assert split_sql(sql, "sqlite") == [Statement(SQLITE_TRIGGER, 1), Statement("SELECT 2", 8)]


@pytest.mark.parametrize(
    "head", ["create temp trigger t", "CREATE TEMPORARY TRIGGER IF NOT EXISTS t", "Create Trigger t"]
)
def test_sqlite_trigger_heads(head):
    trigger = f"{head} BEFORE DELETE ON a FOR EACH ROW begin delete from b; delete from c; end"
    assert texts(f"{trigger}; SELECT 1", "sqlite") == [trigger, "SELECT 1"]


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(
    "begin", ["BEGIN", "BEGIN TRANSACTION", "BEGIN IMMEDIATE", "begin work", "START TRANSACTION", "BEGIN DEFERRED"]
)
def test_transaction_begin_is_not_a_block(dialect, begin):
    sql = f"{begin};\nINSERT INTO t VALUES (1);\nCOMMIT;\nEND;"
    assert texts(sql, dialect) == [begin, "INSERT INTO t VALUES (1)", "COMMIT", "END"]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_case_end_in_plain_statements_is_not_tracked(dialect):
    sql = "SELECT CASE WHEN a THEN 1 END FROM t; SELECT 2"
    assert texts(sql, dialect) == ["SELECT CASE WHEN a THEN 1 END FROM t", "SELECT 2"]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_words_like_trigger_in_ordinary_statements(dialect):
    sql = "CREATE TABLE trigger_log (event INT, begin_at INT, procedure_name TEXT); SELECT 2"
    assert len(split_sql(sql, dialect)) == 2


MYSQL_PROCEDURE = """CREATE PROCEDURE fill(IN n INT)
BEGIN
  DECLARE i INT DEFAULT 0;
  DECLARE done INT DEFAULT 0;
  DECLARE CONTINUE HANDLER FOR NOT FOUND SET done = 1;
  DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ROLLBACK; RESIGNAL; END;
  DROP TEMPORARY TABLE IF EXISTS tmp;
  fill_loop: LOOP
    SET i = i + 1;
    IF i > n THEN
      LEAVE fill_loop;
    ELSEIF i = 3 THEN
      BEGIN
        INSERT INTO t VALUES (i, IF(i > 1, 'a;', 'b'), REPEAT('x', i));
      END;
    ELSE IF (i = 4) THEN SELECT 4; END IF;
    END IF;
    SET @s = CASE WHEN i > 2 THEN IF(i, 1, 2) ELSE 0 END;
  END LOOP fill_loop;
  CASE n
    WHEN 1 THEN SELECT 'one;';
    ELSE IF n > 1 THEN SELECT 'many'; END IF;
  END CASE;
  WHILE i > 0 DO SET i = i - 1; END WHILE;
  REPEAT SET i = i + 1; UNTIL i >= n END REPEAT;
  SELECT t.end FROM t;
END"""


@pytest.mark.parametrize("dialect", MYSQLS)
def test_mysql_procedure_without_delimiter(dialect):
    sql = f"SET @a = 1;\n{MYSQL_PROCEDURE};\nSTART TRANSACTION;\nCALL fill(3);\nCOMMIT;"
    after = 3 + MYSQL_PROCEDURE.count("\n")
    assert split_sql(sql, dialect) == [
        Statement("SET @a = 1", 1),
        Statement(MYSQL_PROCEDURE, 2),
        Statement("START TRANSACTION", after),
        Statement("CALL fill(3)", after + 1),
        Statement("COMMIT", after + 2),
    ]


@pytest.mark.parametrize(
    "routine",
    [
        "CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.a = 1; SET NEW.b = 2; END",
        "CREATE TRIGGER trg BEFORE INSERT ON `t` FOR EACH ROW IF NEW.a > 0 THEN SET NEW.b = 1; END IF",
        "CREATE DEFINER=`root`@`localhost` TRIGGER trg AFTER DELETE ON t FOR EACH ROW BEGIN DELETE FROM u; END",
        "CREATE DEFINER = 'app'@'%' PROCEDURE p() BEGIN SELECT 1; SELECT 2; END",
        "CREATE DEFINER=CURRENT_USER() FUNCTION f() RETURNS INT DETERMINISTIC BEGIN DECLARE x INT; RETURN 1; END",
        "create or replace procedure p() begin select 1; end",
        "CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO BEGIN DELETE FROM a; DELETE FROM b; END",
        "CREATE PROCEDURE p() LANGUAGE SQL DETERMINISTIC IF 1 THEN SELECT 1; END IF",
        "CREATE PROCEDURE p() BEGIN FOR i IN 1..3 DO SELECT i; END FOR; SELECT a FROM t WHERE b IN (1) FOR UPDATE; END",
        "BEGIN NOT ATOMIC DECLARE x INT; SET x = 1; SELECT x; END",
    ],
)
@pytest.mark.parametrize("dialect", MYSQLS)
def test_mysql_compound_statements(dialect, routine):
    assert texts(f"{routine};\nSELECT 'after';", dialect) == [routine, "SELECT 'after'"]


@pytest.mark.parametrize(
    "routine",
    [
        "CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW SET NEW.a = 1",
        "CREATE TRIGGER trg BEFORE INSERT ON `t` FOR EACH ROW SET NEW.a = IF(NEW.b, 1, 2)",
        "CREATE FUNCTION f(x INT) RETURNS INT DETERMINISTIC RETURN IF(x > 0, x, REPEAT('-', 2))",
        "CREATE EVENT e ON SCHEDULE EVERY 1 HOUR DO DELETE FROM a",
    ],
)
def test_mysql_routines_without_blocks_end_at_semicolon(routine):
    assert texts(f"{routine}; SELECT 2;", "mysql") == [routine, "SELECT 2"]


@pytest.mark.parametrize("kind", ["FUNCTION", "PROCEDURE"])
def test_postgresql_begin_atomic(kind):
    body = (
        f"CREATE OR REPLACE {kind} f(x int) LANGUAGE sql\n"
        "BEGIN ATOMIC\n  INSERT INTO t VALUES (x);\n  SELECT CASE WHEN x > 0 THEN 1 END;\nEND"
    )
    assert split_sql(f"{body};\nSELECT 2;", "postgresql") == [Statement(body, 1), Statement("SELECT 2", 6)]


def test_postgresql_plpgsql_begin_inside_dollar_quotes():
    fn = "CREATE FUNCTION f() RETURNS void AS $$ BEGIN NULL; END $$ LANGUAGE plpgsql"
    assert texts(f"{fn}; BEGIN; SELECT 1; COMMIT;", "postgresql") == [fn, "BEGIN", "SELECT 1", "COMMIT"]


def test_postgresql_rule_with_several_actions():
    rule = "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); DELETE FROM b)"
    assert texts(f"{rule}; SELECT 2", "postgresql") == [rule, "SELECT 2"]


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "mysql"])
def test_unbalanced_block_runs_to_end(dialect):
    sql = "CREATE TRIGGER t AFTER INSERT ON x FOR EACH ROW BEGIN SELECT 1; SELECT 2;"
    if dialect == "postgresql":
        sql = "CREATE FUNCTION f() LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2;"
    assert texts(sql, dialect) == [sql]  # the server reports the missing END


# --- DELIMITER -------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", MYSQLS)
def test_delimiter_blocks(dialect):
    sql = (
        "DELIMITER //\n"
        "CREATE PROCEDURE p()\nBEGIN\n  SELECT '//';\n  SELECT 1;\nEND //\n"
        "CREATE FUNCTION g() RETURNS INT RETURN 1//\n"
        "DELIMITER ;\n"
        "CALL p();\n"
    )
    assert split_sql(sql, dialect) == [
        Statement("CREATE PROCEDURE p()\nBEGIN\n  SELECT '//';\n  SELECT 1;\nEND", 2),
        Statement("CREATE FUNCTION g() RETURNS INT RETURN 1", 7),
        Statement("CALL p()", 9),
    ]


@pytest.mark.parametrize("new", ["$$", ";;", "|", "@@", "GO"])
def test_other_custom_delimiters(new):
    sql = f"delimiter {new}\nSELECT 1; SELECT 2{new} SELECT '{new}' {new}\nDelimiter ;\nSELECT 3;"
    assert texts(sql, "mysql") == ["SELECT 1; SELECT 2", f"SELECT '{new}'", "SELECT 3"]


def test_delimiter_line_with_crlf_and_indent():
    sql = "  DELIMITER //\r\nSELECT 1; SELECT 2 //\r\nDELIMITER ;\r\nSELECT 3;\r\n"
    assert split_sql(sql, "mysql") == [Statement("SELECT 1; SELECT 2", 2), Statement("SELECT 3", 4)]


def test_delimiter_line_after_unterminated_statement_is_its_text():
    # As the mariadb client reads it: a command only where no statement is under way;
    # under ";" the client then sends the same single statement as lockgate.
    sql = "SELECT 1\nDELIMITER //\nSELECT 2//\nSELECT 3;\nSELECT 4//"
    assert texts(sql, "mysql") == ["SELECT 1\nDELIMITER //\nSELECT 2//\nSELECT 3", "SELECT 4//"]


def test_delimiter_line_inside_a_custom_delimiter_statement_is_refused():
    # The client would send the statement, the line and what follows as one multi-statement text.
    sql = "DELIMITER //\nCREATE PROCEDURE p() BEGIN SELECT 1; END\nDELIMITER ;\nSELECT 2;"
    with pytest.raises(LockgateError, match=r"^line 2: .* no terminator \(//, .* DELIMITER line at line 3, "):
        split_sql(sql, "mysql")


def test_delimiter_inside_string_or_comment_is_no_command():
    sql = "SELECT '\nDELIMITER //\n';\n/*\nDELIMITER //\n*/ SELECT 2;"
    assert texts(sql, "mysql") == ["SELECT '\nDELIMITER //\n'", "SELECT 2"]


@pytest.mark.parametrize("dialect", NO_BACKSLASH)
def test_delimiter_is_mysql_only(dialect):
    assert texts("DELIMITER //\nSELECT 1//\n;", dialect) == ["DELIMITER //\nSELECT 1//"]


# --- line numbers ------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_line_numbers(dialect, newline):
    sql = newline.join([
        "-- migration header",          # 1
        "",                             # 2
        "CREATE TABLE t (",             # 3
        "  a TEXT DEFAULT 'x;",         # 4
        "y'",                           # 5
        ");  /* trailing",              # 6
        "comment */",                   # 7
        "",                             # 8
        "  INSERT INTO t",              # 9
        "VALUES ('1'); INSERT INTO t VALUES ('2');",  # 9, 10
        "/* a */ SELECT 3",             # 11
    ])
    got = split_sql(sql, dialect)
    assert [s.line for s in got] == [3, 9, 10, 11]
    assert got[0].text == newline.join(["CREATE TABLE t (", "  a TEXT DEFAULT 'x;", "y'", ")"])
    assert got[1].text == newline.join(["INSERT INTO t", "VALUES ('1')"])
    assert got[3].text == "SELECT 3"


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("newline", ["\r", "\n", "\r\n"])
def test_line_numbers_count_lone_cr_as_a_line_end(dialect, newline):
    # An old Mac file ends its lines with CR alone: its statements are not all on line 1.
    sql = newline.join([
        "/* header */",                 # 1
        "",                             # 2
        "CREATE TABLE t (",             # 3
        "  a TEXT DEFAULT 'x;",         # 4
        "y'",                           # 5
        ");",                           # 6
        "INSERT INTO t VALUES ('1'); INSERT INTO t VALUES ('2');",  # 7, 7
        "/* a",                         # 8
        "b */ SELECT 3;",               # 9
    ])
    got = split_sql(sql, dialect)
    assert [s.line for s in got] == [3, 7, 7, 9]
    assert got[0].text == newline.join(["CREATE TABLE t (", "  a TEXT DEFAULT 'x;", "y'", ")"])


@pytest.mark.parametrize("dialect", DIALECTS)
def test_line_numbers_with_mixed_line_ends(dialect):
    # CR, LF and CR LF in one file, each one line end; 600 statements, so
    # PostgreSQL's runs of plain statements are cut in several batches.
    ends = ["\r", "\n", "\r\n", "\n\r"]  # LF CR: two line ends
    rnd = random.Random(dialect)
    sql, line, expected = "", 1, []
    for i in range(600):
        expected.append(line)
        sql += f"SELECT {i}, 'a;b';"
        for _ in range(rnd.randint(1, 3)):
            end = rnd.choice(ends)
            sql += end + " "  # the blank keeps a CR and the next end's LF apart
            line += 2 if end == "\n\r" else 1
    assert lines(sql, dialect) == expected


def test_line_numbers_after_dollar_quotes_and_nested_comments():
    sql = "SELECT $$\n;\n$$;\n/* /*\n*/\n*/\nSELECT 2;\nSELECT E'\\'\n';"
    assert lines(sql, "postgresql") == [1, 7, 8]


def test_line_numbers_after_mysql_comments():
    sql = "# one\nSELECT 1; -- two\n#three\n\nSELECT\n'4\\'\n'; SELECT 5"
    assert lines(sql, "mysql") == [2, 5, 7]


# --- volume --------------------------------------------------------------------------------


def _row(rnd: random.Random, i: int) -> str:
    words = ["plain", "it''s", "semi;colon", "--dash", "/* c */", "$$", "ünï ✓", 'say "hi"', "a\\'b"]
    path = "C:\\temp\\"  # ends a standard string, would escape the quote of an E'' one
    return f"({i}, '{rnd.choice(words[:-1])} {path}', {rnd.random():.6f}, NULL, E'\\n{rnd.choice(words)}')"


def test_two_megabyte_insert_file():
    rnd = random.Random(2024)
    parts = ["-- dump\nSET client_encoding = 'UTF8';\nCREATE TABLE items (id int, a text, b float, c text, d text);\n"]
    expected, size, i = 2, len(parts[0]), 0
    while size < 2_000_000:
        count = rnd.choice([1, 1, 5, 50])
        rows = ",\n  ".join(_row(rnd, i + k) for k in range(count))
        i += count
        part = f"INSERT INTO items VALUES\n  {rows};\n"
        if rnd.random() < 0.05:
            part += "-- checkpoint; not a statement\n"
        parts.append(part)
        size += len(part)
        expected += 1
    sql = "".join(parts)
    result = split_sql(sql, "postgresql")
    assert len(result) == expected
    assert all(s.text.startswith("INSERT INTO items VALUES") for s in result[2:])
    assert result[-1].line == sql.count("\n", 0, sql.rindex("INSERT")) + 1
    assert sum(s.text.count("\n  (") for s in result) == i  # every row inside some statement


@pytest.mark.parametrize("dialect", DIALECTS)
def test_statements_longer_than_one_regex_call(dialect):
    # Tens of thousands of tokens and comment lines: the scanner works in
    # bounded chunks, and no chunk border may split a string or comment.
    tokens = ["'a;b'", '"c;d"', "- 1", "/ 2", "/* ; */", "-- ;\n", "x", "''", "'\n'"] * 4000
    sql = "-- lead ;\n" * 5000 + "SELECT " + " ".join(tokens) + " + 1;\nSELECT 2"
    assert split_sql(sql, dialect) == [
        Statement("SELECT " + " ".join(tokens) + " + 1", 5001),
        Statement("SELECT 2", 5001 + sql.count("\n", sql.index("SELECT"))),
    ]


@pytest.mark.parametrize(
    "dialect, head",
    [
        ("sqlite", "CREATE TRIGGER t AFTER INSERT ON x BEGIN"),
        ("mysql", "CREATE PROCEDURE p() BEGIN"),
        ("postgresql", "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC"),
        ("oracle", "CREATE PROCEDURE p() BEGIN"),
    ],
)
def test_routine_with_long_comment_block(dialect, head):
    # Comment, newline, comment, ...: more pieces than one regex call takes, and
    # the call's bound falls on a comment, never on a harmless space.
    comments = "".join(f"-- note {i}; END; /* ;\n" for i in range(3001))
    routine = f"{head}\n  SELECT 1;{comments}  SELECT 2 /* ; END; */;\nEND"
    assert texts(f"{routine};\nSELECT 3", dialect) == [routine, "SELECT 3"]


# --- property: joining statements and splitting them again round-trips ------------------------

COMMON = [
    "'it''s; fine'", '"a;b"', "/* ; ' */", "-- ; '\n x", "'multi\nline;'", "42", "a.b", "- 1", "/ 2", "''",
]
FRAGMENTS = {
    "sqlite": COMMON + ["`q;`", "[b;r]", "'C:\\temp\\'", "x # y"],
    "postgresql": COMMON + [
        "'C:\\temp\\'", "E'a\\';b'", "e'\\\\'", "$$ ; ' $$", "$fn$ $$ ; $fn$", "/* /* ; */ ; */", "$1", "a$b",
        "x # y", "date'x'", "U&'d;'", "(1, 2)",
    ],
    "mysql": COMMON + [
        "'a\\';b'", '"a\\";b"', "`q;`", "`x``;`", "# ; '\n x", "5--1", "-- \t;\n x", "'\\\\'", "$$", "/*! 1 */",
    ],
    "oracle": COMMON + ["'C:\\temp\\'", "x # y", "$$"],
}
BLOCKS = {
    "sqlite": [SQLITE_TRIGGER],
    "postgresql": ["CREATE FUNCTION f() LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN a THEN 'x;' END; END"],
    "mysql": [MYSQL_PROCEDURE],
    "oracle": ["CREATE TRIGGER t BEFORE INSERT ON x BEGIN SELECT 1; SELECT CASE WHEN a THEN 2 END; END"],
}
SEPARATORS = [";\n", ";", "; ", ";\n\n-- between ;\n", "\n;\n", "; /* ; */ "]


@pytest.mark.parametrize("dialect", sorted(FRAGMENTS))
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_round_trip_random_statements(dialect, newline):
    rnd = random.Random(f"{dialect}{newline}")
    fragments, blocks = FRAGMENTS[dialect], BLOCKS[dialect]
    for _ in range(150):
        statements = []
        for _ in range(rnd.randint(1, 8)):
            if rnd.random() < 0.1:
                statements.append(rnd.choice(blocks))
            else:
                parts = rnd.choices(fragments, k=rnd.randint(1, 6))
                statements.append("SELECT " + rnd.choice([" ", "\n"]).join(parts))
        sql, expected = "", []
        for stmt in statements:
            sql += rnd.choice(["", "\n", "  ", "-- lead\n", "/* lead */ "])
            expected.append(Statement(stmt.replace("\n", newline), sql.count("\n") + 1))
            sql += stmt
            end_of_last = len(sql)
            sql += rnd.choice(SEPARATORS)
        if rnd.random() < 0.5:  # the last statement may lack its delimiter
            sql = sql[:end_of_last]
        sql = sql.replace("\n", newline)
        assert split_sql(sql, dialect) == expected, sql
