"""PostgreSQL's batched path: statements that its fast regex would cut wrong, anywhere in a long script.

Runs of plain statements are cut a few hundred at a time by one regex that
skips what real DDL rarely holds (E'...' escapes, lone CRs, BEGIN, RULE,
COPY); the statements it cannot cut right must be found wherever they stand:
first, last, at a batch's edge, or one after another. Each script is checked
against what it was built from and against pglast (PostgreSQL's own parser).
"""

from __future__ import annotations

import io

import pytest

from lockgate.errors import LockgateError
from lockgate.sqlsplit import Statement, iter_statements, split_sql

pglast = pytest.importorskip("pglast")

PLAIN = [
    "CREATE TABLE t{i} (a int, b text DEFAULT 'x;y')",
    "COMMENT ON TABLE t{i} IS 'it''s; fine'",
    "CREATE FUNCTION f{i}(int) RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql",
    "CREATE FUNCTION g{i}(bigint, boolean) RETURNS bytea AS 'MODULE_PATHNAME', 'g' LANGUAGE C",
    "INSERT INTO t{i} VALUES (1, E'line\\n; two')",
]

HOSTILE = {
    "escaped quote": "SELECT E'it\\'s; still the string' AS a",
    "escaped backslash then quote": "SELECT E'dir\\\\' AS a, ';' AS b",
    "atomic body": "CREATE FUNCTION h() RETURNS int LANGUAGE sql\nBeGiN /* c */ AtOmIc\n  SELECT 1;\n  SELECT 2;\nEnD",
    "atomic body, or replace": "create or replace procedure p()\nbegin atomic\n  insert into t0 values (1);\nend",
    "rule with a comment": "CREATE /* c; */ RULE r AS ON INSERT TO t0 DO ALSO (SELECT 1; SELECT 2)",
    "rule, or replace": "Create Or Replace Rule r AS ON UPDATE TO t0 DO INSTEAD (SELECT 1; NOTIFY c)",
    "transaction": "BEGIN",
    "word ending in begin": "SELECT 1 AS xbegin",
    "nested comment": "SELECT /* a /* b; */ c; */ 1",
    "copy to a file": "COPY t0 TO '/tmp/x;y'",
}


def _script(hostile: list[str], at: int, total: int, newline: str = "\n") -> tuple[str, list[Statement]]:
    texts = [PLAIN[i % len(PLAIN)].format(i=i) for i in range(total)]
    texts[at:at] = hostile
    sql, expected = "", []
    for text in texts:
        sql += "-- lead" + newline
        expected.append(Statement(text.replace("\n", newline), sql.count("\n") + 1))
        sql += text.replace("\n", newline) + ";" + newline
    return sql, expected


@pytest.mark.parametrize("name", sorted(HOSTILE))
@pytest.mark.parametrize("at", [0, 255, 256, 300, 600])
def test_a_statement_the_fast_cut_misreads_is_cut_right_anywhere(name, at):
    sql, expected = _script([HOSTILE[name]], at, 600)
    assert split_sql(sql, "postgresql") == expected
    theirs = [(sql[cut], sql.count("\n", 0, cut.start) + 1) for cut in pglast.split(sql, only_slices=True)]
    assert [(s.text, s.line) for s in expected] == theirs


def test_misread_statements_one_after_another_and_crlf():
    hostile = [HOSTILE[name] for name in sorted(HOSTILE)] * 3
    for newline in ("\n", "\r\n"):
        sql, expected = _script(hostile, 250, 520, newline)
        assert split_sql(sql, "postgresql") == expected
        streamed = list(iter_statements(io.StringIO(sql, newline=""), "postgresql", chunk_size=4096))
        assert streamed == expected


def test_a_lone_cr_ends_a_dash_comment_in_a_long_run():
    sql, expected = _script([], 0, 400)
    sql += "SELECT 1 -- comment\r; SELECT 2;\n"  # an old Mac line end: the ";" after it is SQL
    got = split_sql(sql, "postgresql")
    assert got[:-2] == expected
    assert [s.text for s in got[-2:]] == ["SELECT 1 -- comment", "SELECT 2"]
    assert got[-1].line == got[-2].line + 1
    theirs = [sql[cut].rstrip() for cut in pglast.split(sql, only_slices=True)]
    assert [s.text for s in got] == theirs


def test_data_load_rows_with_escapes_split_like_pglast():
    rows = ",\n".join(f"({i}, E'line\\n{i}', 'it''s {i}; ok', E'q\\'{i};')" for i in range(50))
    sql = "".join(f"INSERT INTO t VALUES\n{rows};\n" for _ in range(40))
    got = split_sql(sql, "postgresql")
    theirs = [(sql[cut], sql.count("\n", 0, cut.start) + 1) for cut in pglast.split(sql, only_slices=True)]
    assert [(s.text, s.line) for s in got] == theirs


@pytest.mark.parametrize("at", [0, 256, 500])
def test_copy_from_stdin_is_refused_wherever_it_stands(at):
    sql, expected = _script(["Copy t0 FROM /* c */ stdin"], at, 500)
    with pytest.raises(LockgateError, match=f"line {expected[at].line}: COPY"):
        split_sql(sql, "postgresql")
