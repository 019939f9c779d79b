"""Hostile SQL, each class checked against the real judge: PostgreSQL's parser
(pglast) and server, the MariaDB server and its command-line client, SQLite.

The classes: keywords with comments between them; block keywords used as
names inside routine and trigger bodies; refusals that must read tokens, not
text; the same input as a string and as a stream (byte order mark, CR LF,
DELIMITER); byte fidelity of what reaches the server; the mariadb client's
DELIMITER rules. Property tests build scripts from these token classes.
"""

from __future__ import annotations

import os
import io
import re
from contextlib import contextmanager
import shutil
import sqlite3
import subprocess

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import engine, engine_for, migrator, scalar  # noqa: F401  (fixture)
from lockgate.errors import LockgateError
from lockgate.sqlsplit import iter_statements, split_sql

pglast = pytest.importorskip("pglast")

# LOCKGATE_TEST_HOSTILE_EXAMPLES: more examples for a soak run (the suite runs 25 per test).
FEW = settings(max_examples=int(os.environ.get("LOCKGATE_TEST_HOSTILE_EXAMPLES", "25")), deadline=None, database=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
QUICK = settings(max_examples=120, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


@contextmanager
def connected(url: str, begin: bool = False):
    """A connection to the test's database, closed with its engine afterwards."""
    with engine_for(url) as server, (server.begin() if begin else server.connect()) as connection:
        yield connection


def both(sql: str, dialect: str) -> list[tuple[str, int]]:
    """The statements of sql, split as text and as a stream read in small pieces: they must agree."""
    text = [(s.text, s.line) for s in split_sql(sql, dialect)]
    streamed = [(s.text, s.line) for s in iter_statements(io.StringIO(sql, newline=""), dialect, chunk_size=7)]
    assert streamed == text
    return text


def pglast_statements(sql: str) -> list[tuple[str, int]]:
    """Text and line of each statement as PostgreSQL's parser cuts it (a byte order mark is no SQL)."""
    body = sql.removeprefix("\ufeff")
    return [(body[cut], body.count("\n", 0, cut.start) + 1) for cut in pglast.split(body, only_slices=True)]


# --- comments between keywords ----------------------------------------------------------

GAPS = [" /* c */ ", "\n-- c ; BEGIN\n", " /* a /* nested; */ b */ ", "\r\n\t", "/**/"]


@pytest.mark.parametrize("gap", GAPS)
@pytest.mark.parametrize("kind", ["FUNCTION", "PROCEDURE"])
def test_postgresql_heads_and_begin_atomic_read_through_comments(postgresql_url, gap, kind):
    returns = "RETURNS int " if kind == "FUNCTION" else ""
    body = "SELECT 1; SELECT 2;" if kind == "FUNCTION" else "INSERT INTO t VALUES (1); INSERT INTO t VALUES (2);"
    sql = (f"CREATE TABLE t (a int);\nCREATE{gap}OR{gap}REPLACE{gap}{kind} r_x() {returns}LANGUAGE sql\n"
           f"BEGIN{gap}ATOMIC\n  {body}\nEND;\nSELECT 3;")
    got = both(sql, "postgresql")
    assert got == pglast_statements(sql)
    assert len(got) == 3
    with connected(postgresql_url, begin=True) as connection:
        for text, _ in got:
            connection.exec_driver_sql(text)
        if kind == "PROCEDURE":
            connection.exec_driver_sql("CALL r_x()")
            assert connection.exec_driver_sql("SELECT count(*) FROM t").scalar() == 2


# --- block keywords as names inside bodies ---------------------------------------------

MARIADB_NAMES = ["begin", "end", "until", "atomic", "do", "handler"]  # not reserved: the server accepts them


def mariadb_routines(name: str) -> str:
    return f"""
        CREATE TABLE w ({name} INT, other INT);
        CREATE PROCEDURE p_{name}()
        BEGIN
          DECLARE done INT DEFAULT 0;
          DECLARE CONTINUE HANDLER FOR SQLSTATE '02000' BEGIN SET done = 1; END;
          INSERT INTO w ({name}, other) VALUES (1, 0);
          UPDATE w SET {name} = {name} + 1, other = CASE WHEN {name} > 0 THEN {name} ELSE 0 END;
          SELECT {name} INTO @v FROM w WHERE w.{name} = 2 /* END; */;
          IF @v = 2 THEN SET @v = (SELECT {name} FROM w); END IF;
          REPEAT SET done = done + 1; UNTIL done > {0 if name != 'until' else 1} END REPEAT;
        END;
        CREATE FUNCTION f_{name}(x INT) RETURNS INT DETERMINISTIC
        BEGIN
          DECLARE r INT;
          SELECT {name} INTO r FROM w LIMIT 1;
          RETURN r + x;
        END;
        CREATE TRIGGER t_{name} BEFORE INSERT ON w FOR EACH ROW
        BEGIN
          IF NEW.{name} IS NULL THEN SET NEW.{name} = 0; END IF;
          SET NEW.other = NEW.{name};
        END;
        CREATE PROCEDURE q_{name}() SELECT {name} FROM w;
        CALL p_{name}();
        SELECT f_{name}(1);
    """


def run_mariadb(url: str, statements: list[str]) -> list:
    """Run each statement on the server; the first value of each result that has rows."""
    out = []
    with connected(url) as connection:
        cursor = connection.connection.cursor()
        for text in statements:
            cursor.execute(text)
            rows = cursor.fetchall() if cursor.description else ()
            out.extend(row[0] for row in rows)
    return out


@pytest.mark.parametrize("name", MARIADB_NAMES)
def test_mariadb_block_words_as_names_inside_bodies(mariadb_url, name):
    sql = mariadb_routines(name)
    got = both(sql, "mariadb")
    assert [text.split("(")[0].split("\n")[0].strip() for text, _ in got] == [
        "CREATE TABLE w", f"CREATE PROCEDURE p_{name}", f"CREATE FUNCTION f_{name}",
        f"CREATE TRIGGER t_{name} BEFORE INSERT ON w FOR EACH ROW", f"CREATE PROCEDURE q_{name}",
        f"CALL p_{name}", f"SELECT f_{name}"]
    assert run_mariadb(mariadb_url, [text for text, _ in got]) == [3]


SQLITE_NAMES = ["begin", "end", "for", "each", "row", "after", "instead", "do", "replace", "temp"]


@pytest.mark.parametrize("name", SQLITE_NAMES)
def test_sqlite_block_words_as_names_inside_triggers(name):
    sql = f"""
        CREATE TABLE {name} ({name} INT, other INT);
        CREATE TABLE log (x INT);
        CREATE TRIGGER {name} AFTER UPDATE OF {name} ON {name} WHEN new.{name} > 0
        BEGIN
          UPDATE {name} SET other = CASE WHEN {name} > 1 THEN {name} ELSE 0 END WHERE {name} = new.{name};
          INSERT INTO log (x) SELECT {name} FROM {name} WHERE {name} /* END; */ > 0; -- END;
          DELETE FROM log WHERE x = (SELECT max({name}) FROM {name}) AND x < 0;
        END;
        INSERT INTO {name} ({name}, other) VALUES (1, 0);
        UPDATE {name} SET {name} = 2;
        SELECT count(*) FROM log;
    """
    got = both(sql, "sqlite")
    assert len(got) == 6
    connection = sqlite3.connect(":memory:")
    for text, _ in got[:-1]:
        connection.execute(text)  # one statement each, or sqlite3 refuses it
    assert connection.execute(got[-1][0]).fetchone() == (1,)


# --- refusals read tokens ---------------------------------------------------------------

@pytest.mark.parametrize("sql", [
    "COPY t TO STDOUT /* FROM STDIN */",
    "COPY t TO STDOUT -- FROM STDIN\n",
    "COPY (SELECT 'COPY t FROM STDIN', a FROM t) TO STDOUT",
    'COPY t ("from stdin") TO STDOUT',
    "COPY (SELECT a AS from_ FROM t) TO STDOUT",
])
def test_copy_refusal_ignores_words_in_comments_and_strings(postgresql_url, sql):
    script = 'CREATE TABLE t (a int, "from stdin" int);\n' + sql + ";\nSELECT 1;"
    got = both(script, "postgresql")
    assert got == pglast_statements(script)
    with connected(postgresql_url) as connection:
        cursor = connection.connection.cursor()
        cursor.execute(got[0][0])
        with cursor.copy(got[1][0]) as copy:  # the server takes it as a COPY TO STDOUT
            assert list(copy) == []


@pytest.mark.parametrize("sql", ["COPY t FROM STDIN", "copy t (a) from /* x */ stdin", "COPY t FROM\n-- rows\nSTDIN"])
def test_copy_from_stdin_is_refused_through_comments(sql):
    with pytest.raises(LockgateError, match="line 2: COPY ... FROM STDIN"):
        split_sql("SELECT 1;\n" + sql + ";\n1\t2\n\\.\n", "postgresql")


# --- the same input as text and as a stream; what reaches the server ---------------------

def test_byte_order_mark_before_delimiter_line(mariadb_url):
    sql = "\ufeffDELIMITER //\r\nCREATE FUNCTION g() RETURNS INT BEGIN RETURN 7; END//\r\nDELIMITER ;\r\nSELECT g();\r\n"
    got = both(sql, "mariadb")
    assert got == [("CREATE FUNCTION g() RETURNS INT BEGIN RETURN 7; END", 2), ("SELECT g()", 4)]
    assert run_mariadb(mariadb_url, [text for text, _ in got]) == [7]


@pytest.mark.parametrize("newline", ["\r\n", "\n"])
def test_line_endings_inside_literals_are_stored_exactly(engine, make_scripts, newline):  # noqa: F811
    # psql sends a literal's CR LF as it is in the file; so must a migration.
    content = newline.join(["\ufeffCREATE TABLE notes (body VARCHAR(100));",
                            "INSERT INTO notes (body) VALUES ('a", "b;", "c');", ""])
    scripts = make_scripts({"0001_notes.sql": content.encode("utf-8")})
    migrator(engine, scripts).upgrade()
    assert scalar(engine, "SELECT body FROM notes") == f"a{newline}b;{newline}c"
    broken = make_scripts({"0002_broken.sql": newline.join(["-- x", "INSERT INTO notes (body) VALUES ('d", "e');",
                                                              "INSERT INTO nope VALUES (1);", ""]).encode()},
                          root=scripts)
    with pytest.raises(Exception, match=r"line 4\b"):
        migrator(engine, broken).upgrade()


# --- DELIMITER as the mariadb client reads it ------------------------------------------

def client_results(url: str, sql: str) -> list:
    """What the mariadb command-line client prints for a script fed on its standard input."""
    client = shutil.which("mariadb") or shutil.which("mysql")
    if client is None:
        pytest.skip("the mariadb command-line client is not installed")
    u = sa.make_url(url)
    args = [client, "-h", u.host or "127.0.0.1", "-P", str(u.port or 3306), "-u", u.username or "root",
            "-N", "-B", "--force", u.database or ""]
    done = subprocess.run(args, input=sql.encode("utf-8"), capture_output=True, check=False, timeout=60)
    return [int(line) for line in done.stdout.decode().split()]


def our_results(url: str, sql: str) -> list:
    out = []
    with connected(url) as connection:
        cursor = connection.connection.cursor()
        for statement in split_sql(sql, "mariadb"):
            try:
                cursor.execute(statement.text)
            except Exception:  # noqa: BLE001 -- the client goes on too (--force)
                continue
            out.extend(int(row[0]) for row in cursor.fetchall())
    return out


@st.composite
def delimiter_scripts(draw):
    """SELECTs and DELIMITER lines in every position: after a terminated or unterminated
    statement, after a comment, behind code on its line, with odd spelling."""
    delimiter, parts, n = ";", [], 0
    for _ in range(draw(st.integers(2, 7))):
        if draw(st.integers(0, 3)) == 0:
            new = draw(st.sampled_from([";", "//", "$$", ";;", "!"]))
            spelling = draw(st.sampled_from(["DELIMITER {}", "delimiter {}", "  DeLiMiTeR\t{}", "DELIMITER {} trailing",
                                             "DELIMITER '{}'"]))
            # Not "/* x */ DELIMITER" behind a comment on its line: the client reads what follows
            # it in a way of its own (the strict xfail below); fixed cases of it are tested there.
            before = draw(st.sampled_from(["\n", "\n", "\n-- note\n", "\n/* note */\n", " "]))
            if before == " " and spelling.startswith("DELIMITER '"):
                spelling = "DELIMITER {}"
            parts.append(before + spelling.format(new) + draw(st.sampled_from(["\n", "\r\n"])))
            delimiter = new
        else:
            n += 1
            ending = draw(st.sampled_from([delimiter, delimiter, "", " -- c"]))
            parts.append(f"SELECT {n}{ending}\n")
    return "".join(parts)


def refusal(script: str) -> LockgateError | None:
    """The splitter's refusal of a script, as text and as a stream read in small pieces (they must agree)."""
    errors = []
    for source in (script, io.StringIO(script, newline="")):
        try:
            list(iter_statements(source, "mariadb", chunk_size=7))
            errors.append(None)
        except LockgateError as exc:
            errors.append(str(exc))
    assert errors[0] == errors[1]
    return LockgateError(errors[0]) if errors[0] else None


def named_line(script: str, error: LockgateError) -> str:
    """The DELIMITER line that a refusal names, read from the script; it must follow the statement's."""
    numbers = re.match(r"line (\d+): .* DELIMITER line at line (\d+)\b", str(error))
    assert numbers is not None, str(error)
    assert int(numbers[1]) < int(numbers[2])
    return script.removeprefix("\ufeff").replace("\r\n", "\n").split("\n")[int(numbers[2]) - 1]


@FEW
@given(script=delimiter_scripts())
def test_delimiter_lines_like_the_mariadb_client(mariadb_url, script):
    refused = refusal(script)
    if refused is None:
        assert our_results(mariadb_url, script) == client_results(mariadb_url, script)
        return
    # Refused: the DELIMITER line it names would have been swallowed by a statement under a
    # delimiter other than ";" (under ";" lockgate sends what the client sends).
    assert re.match(r"[ \t]*delimiter[ \t]", named_line(script, refused), re.I)
    assert "(;, " not in str(refused)


SWALLOWED = [
    # (script, statement line, DELIMITER line, delimiter in force)
    ("DELIMITER //\nSELECT 1\n\nDELIMITER ;\nSELECT 2;\n", 2, 4, "//"),
    ("DELIMITER $$\nCREATE PROCEDURE p() BEGIN\n  SELECT 1;\nEND\r\nDELIMITER ;\r\nCALL p();\n", 2, 5, "$$"),
    ("SELECT 0;\nDELIMITER ;;\n-- c\nSELECT 1 -- no ;; here\n  delimiter\t;\nSELECT 2;\n", 4, 5, ";;"),
    ("DELIMITER //\nSELECT 1//\nSELECT 'a\nb'\nDELIMITER $$\nSELECT 2$$\n", 3, 5, "//"),
]


@pytest.mark.parametrize("script,line,command,delimiter", SWALLOWED)
def test_a_swallowed_delimiter_line_is_refused(mariadb_url, script, line, command, delimiter):
    error = refusal(script)
    assert error is not None
    assert str(error).startswith(f"line {line}: ") and f"DELIMITER line at line {command}" in str(error)
    assert f"({delimiter}, the delimiter in force)" in str(error)
    assert f"End the statement with {delimiter} before the DELIMITER line" in str(error)
    assert "\n" not in str(error)


def test_the_client_runs_a_swallowed_delimiter_line_as_several_statements(mariadb_url):
    # Why lockgate refuses: the client sends "SELECT 1\n\nDELIMITER ;\nSELECT 2;" with
    # multi-statements on, and the server runs SELECT 1 AS DELIMITER, then SELECT 2.
    assert client_results(mariadb_url, SWALLOWED[0][0]) == [1, 2]


@pytest.mark.parametrize("script", [
    "DELIMITER //\nSELECT 7 FROM DUAL WHERE 'a\nDELIMITER ;' > ''//\nDELIMITER ;\nSELECT 2;\n",  # in a string
    "DELIMITER //\nSELECT 1 /*\nDELIMITER ;\n*/ //\nDELIMITER ;\nSELECT 2;\n",  # in a comment
    "DELIMITER //\nSELECT 1\nDELIMITER //\nSELECT 2//\n",  # its own delimiter ends the statement
    "DELIMITER //\nSELECT 1\nDELIMITERS\n//\nSELECT 2//\n",  # no command
])
def test_delimiter_words_the_client_does_not_obey_are_not_refused(mariadb_url, script):
    assert refusal(script) is None
    assert our_results(mariadb_url, script) == client_results(mariadb_url, script)


@pytest.mark.xfail(strict=True, reason="behind a comment on its line, a DELIMITER line is SQL text to both, but "
                                       "the mariadb client then reads quotes and later DELIMITER lines in a way "
                                       "of its own; lockgate keeps its rules")
@pytest.mark.parametrize("script", ["SELECT 1;\n/* x */ DELIMITER ';;'\nSELECT 2;;\nSELECT 3;;\n",
                                    "\n/* x */ DELIMITER //\n\nDELIMITER ;\nSELECT 1;\n\nDELIMITER ;\nSELECT 2;\n"])
def test_a_delimiter_line_behind_a_comment_runs_like_the_client(mariadb_url, script):
    assert our_results(mariadb_url, script) == client_results(mariadb_url, script)


@pytest.mark.parametrize("script", [
    "SELECT 1\nDELIMITER //\nSELECT 2//\nSELECT 3//\n",
    "SELECT 1 -- c\nDELIMITER //\nSELECT 2//\n",
    "SELECT 1; DELIMITER //\nSELECT 2//\n",
    "/* x */ DELIMITER //\nSELECT 7//\n",
    "-- c\nDELIMITER //\nSELECT 1//\n",
    "SELECT 8; /* c */\nDELIMITER //\nSELECT 9//\n",
    "DELIMITER //;\nSELECT 8//;\nSELECT 9//\n",
    "DELIMITER //\nSELECT 20//DELIMITER ;\nSELECT 21;\n",
    "\ufeffDELIMITER //\nSELECT 15//\n",
    "SELECT 1\nDELIMITER ;\nSELECT 2;\n",  # under ";" the swallowed line is sent as the client sends it
])
def test_delimiter_cases_like_the_mariadb_client(mariadb_url, script):
    assert our_results(mariadb_url, script) == client_results(mariadb_url, script)


# --- property tests: scripts built from the token classes ------------------------------

PG_GAP = st.sampled_from([" ", "\n", "\r\n", " /* ; */ ", "\n-- ; begin atomic\n", " /* a /* ; */ b */ ", "\t"])
PG_LITERAL = st.sampled_from(["'a;b'", "'it''s;'", "E'x\\';y'", "$$;$$", "$q$ ; $$ $q$", "'l1\r\nl2;'",
                              "U&'d;'", "'begin atomic;'"])


@st.composite
def pg_scripts(draw):
    """Statements whose keywords have blanks or comments between them, with literals holding ";"."""
    statements = []
    for i in range(draw(st.integers(1, 4))):
        g = [draw(PG_GAP) for _ in range(8)]
        lit = draw(PG_LITERAL)
        shape = draw(st.integers(0, 3))
        if shape == 0:
            statements.append(f"CREATE{g[0]}OR{g[1]}REPLACE{g[2]}FUNCTION f{i}() RETURNS text LANGUAGE sql"
                              f"{g[3]}BEGIN{g[4]}ATOMIC{g[5]}SELECT {lit};{g[6]}SELECT CASE WHEN true THEN {lit} END;"
                              f"{g[7]}END")
        elif shape == 1:
            statements.append(f"CREATE{g[0]}PROCEDURE p{i}(){g[1]}LANGUAGE sql{g[2]}AS {lit}")
        elif shape == 2:
            statements.append(f"SELECT{g[0]}{lit}{g[1]}AS begin_{i}{g[2]}")
        else:
            statements.append(f"COPY{g[0]}t{g[1]}TO{g[2]}STDOUT{g[3]}-- from stdin\n")
    sql = ";\n".join(statements) + draw(st.sampled_from([";", "", ";\n"]))
    if draw(st.booleans()):
        sql = sql.replace("\r\n", "\n").replace("\n", "\r\n")
    return draw(st.sampled_from(["", "\ufeff"])) + sql


@QUICK
@given(sql=pg_scripts())
def test_generated_postgresql_scripts_split_like_postgresql_parser(sql):
    assert both(sql, "postgresql") == pglast_statements(sql)


SQLITE_NAME = st.sampled_from(SQLITE_NAMES + ["x"])
SQLITE_GAP = st.sampled_from([" ", "\n", "\r\n", " /* ; END; */ ", "\n-- END;\n", "\t"])


@st.composite
def sqlite_scripts(draw):
    name, g = draw(SQLITE_NAME), [draw(SQLITE_GAP) for _ in range(8)]
    lit = draw(st.sampled_from(["'a;b'", "'END;'", "'l1\r\nl2'", "'x'';y'"]))
    return (f"CREATE TABLE {name} ({name} INT, v TEXT);{g[0]}"
            f"CREATE{g[1]}TEMP{g[2]}TRIGGER{g[3]}trg AFTER INSERT ON {name}{g[4]}BEGIN{g[5]}"
            f"UPDATE {name} SET v = CASE WHEN {name} > 0 THEN {lit} ELSE {lit} END WHERE {name} = new.{name};{g[6]}"
            f"END{g[7]};\nINSERT INTO {name} ({name}) VALUES (1);\nSELECT count(*) FROM {name} WHERE v IS NOT NULL")


@QUICK
@given(sql=sqlite_scripts())
def test_generated_sqlite_scripts_run_statement_by_statement(sql):
    got = both(sql, "sqlite")
    assert len(got) == 4
    connection = sqlite3.connect(":memory:")
    for text, _ in got[:-1]:
        connection.execute(text)
    assert connection.execute(got[-1][0]).fetchone() == (1,)


@st.composite
def mariadb_scripts(draw):
    name = draw(st.sampled_from(MARIADB_NAMES))
    gap = st.sampled_from([" ", "\n", "\r\n", " /* ; END; */ ", "\n-- END;\n", "\n# END IF;\n", "\t"])
    g = [draw(gap) for _ in range(10)]
    lit = draw(st.sampled_from(["'a;b'", "'END;'", "'it\\'s;'", "\"d;q\"", "'l1\r\nl2'"]))
    return (f"CREATE TABLE w ({name} INT, v VARCHAR(20));\n"
            f"CREATE{g[0]}PROCEDURE{g[1]}p()\nBEGIN{g[2]}INSERT INTO w ({name}, v) VALUES (1, {lit});{g[3]}"
            f"IF{g[4]}(SELECT {name} FROM w LIMIT 1) > 0{g[5]}THEN{g[6]}UPDATE w SET {name} = {name} + 1;{g[7]}"
            f"END{g[8]}IF;{g[9]}SELECT {name} INTO @r FROM w;\nEND;\nCALL p();\nSELECT @r;")


@FEW
@given(sql=mariadb_scripts())
def test_generated_mariadb_scripts_run_on_the_server(mariadb_url, sql):
    got = both(sql, "mariadb")
    with connected(mariadb_url) as connection:
        cursor = connection.connection.cursor()
        cursor.execute("DROP PROCEDURE IF EXISTS p")
        cursor.execute("DROP TABLE IF EXISTS w")
    assert len(got) == 4
    assert run_mariadb(mariadb_url, [text for text, _ in got]) == [2]
