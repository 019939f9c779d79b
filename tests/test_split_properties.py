"""Property tests: random valid statements, joined into a script, split back exactly.

Per dialect, hypothesis builds statements from the pieces that hide delimiters
(strings, quoted identifiers, comments, dollar quotes, routine bodies), joins
them with the delimiter and random blanks and comments, and the splitter must
return every statement's text and first line. PostgreSQL scripts are also
checked against pglast, which splits with PostgreSQL's own parser.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lockgate.sqlsplit import Statement, split_sql

pglast = pytest.importorskip("pglast")

FAST = settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

TEXT = "ab ;'\"$-/*#\\\n"
NAMES = st.from_regex(r"c_[a-z0-9_]{0,6}", fullmatch=True)
NUMBERS = st.integers(0, 10**6).map(str)


def _text(alphabet: str = TEXT, min_size: int = 0) -> st.SearchStrategy[str]:
    return st.text(alphabet=alphabet, min_size=min_size, max_size=12)


def _quoted(quote: str, min_size: int = 0, alphabet: str = TEXT) -> st.SearchStrategy[str]:
    """A quoted token, the quote doubled inside (standard SQL)."""
    return _text(alphabet, min_size).map(lambda s: quote + s.replace(quote, quote * 2) + quote)


# Comments: never "--" at a statement's very end (the delimiter would join the comment).
DASH_COMMENTS = _text(TEXT.replace("\n", "")).map(lambda s: f"-- {s}\n")
BLOCK_COMMENTS = _text(TEXT.replace("*", "").replace("/", "")).map(lambda s: f"/* {s} */")
GAPS = st.sampled_from(["", "\n", "  ", "\n\n", "\t"])


def _between(comments: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """What may stand between two tokens: a blank or a comment."""
    return st.one_of(st.just(" "), st.just("\n  "), comments.map(lambda c: f" {c} "))


OPERATORS = st.sampled_from([" || ", ", ", " + "])


def _expression(atoms, comments) -> st.SearchStrategy[str]:
    # Strategies are made once, outside the draws: a strategy made afresh in every
    # draw is validated afresh too, which was most of these tests' time.
    parts_of, between = st.lists(atoms, min_size=1, max_size=5), _between(comments)

    @st.composite
    def build(draw):
        parts = draw(parts_of)
        out = parts[0]
        for part in parts[1:]:
            out += draw(OPERATORS).replace(" ", draw(between), 1) + part
        return out

    return build()


def _script(statements, separators, leads) -> st.SearchStrategy[tuple[str, list[Statement]]]:
    """(script, expected statements): statements joined by separators after random leads."""
    lists = st.lists(statements, min_size=1, max_size=6)

    @st.composite
    def build(draw):
        chosen = draw(lists)
        sql, expected = "", []
        for text in chosen:
            sql += draw(leads)
            expected.append(Statement(text, sql.count("\n") + 1))
            sql += text + draw(separators)
        if draw(st.booleans()):  # the last statement may lack its delimiter
            sql = sql[: sql.rindex(chosen[-1]) + len(chosen[-1])]
        return sql, expected

    return build()


# --- PostgreSQL ----------------------------------------------------------------------

PG_COMMENTS = st.one_of(
    DASH_COMMENTS, BLOCK_COMMENTS,
    st.tuples(BLOCK_COMMENTS, BLOCK_COMMENTS).map(lambda p: f"/* {p[0]} {p[1]} ;*/"),  # nested
)


DOLLAR_TAGS = st.sampled_from(["", "a", "fn", "x_1", "body"])
DOLLAR_BODIES = _text().map(lambda s: s.replace("$", ""))  # so that no "$tag$" ends the body early
DOLLAR_TAILS = st.sampled_from(["", " $$", " $$;$$ ", " $x$;$x$ "])


@st.composite
def _dollar_quoted(draw):
    tag = draw(DOLLAR_TAGS)
    body = draw(DOLLAR_BODIES)
    if tag:
        body += draw(DOLLAR_TAILS)
    return f"${tag}${body}${tag}$"


def _e_string(s: str) -> str:
    return "E'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


PG_ATOMS = st.one_of(
    NAMES, NUMBERS, _quoted("'"), _quoted('"', 1), _text().map(_e_string), _dollar_quoted(),
    st.just("'C:\\temp\\'"),
)
PG_EXPRESSIONS = _expression(PG_ATOMS, PG_COMMENTS)
PG_KINDS = st.sampled_from(["select", "select", "atomic", "plpgsql", "do", "rule"])
PG_ATOMIC_BODIES = st.lists(PG_EXPRESSIONS.map(lambda e: f"SELECT {e}"), min_size=1, max_size=3)
DOLLAR_QUOTED = _dollar_quoted()


@st.composite
def _pg_statement(draw):
    expression = draw(PG_EXPRESSIONS)
    kind = draw(PG_KINDS)
    if kind == "atomic":
        body = ";\n  ".join(draw(PG_ATOMIC_BODIES))
        case = "SELECT CASE WHEN true THEN 1 END"
        return f"CREATE FUNCTION f() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  {body};\n  {case};\nEND"
    if kind == "plpgsql":
        return f"CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS {draw(DOLLAR_QUOTED)}"
    if kind == "do":
        return f"DO {draw(DOLLAR_QUOTED)}"
    if kind == "rule":
        return f"CREATE RULE r AS ON INSERT TO t DO ALSO (SELECT {expression}; SELECT 1)"
    return f"SELECT {expression}"


PG_SCRIPTS = _script(
    _pg_statement(),
    st.sampled_from([";", ";\n", " ; ", ";\n-- between ;\n", ";/* ; */", "\n;\n"]),
    st.one_of(GAPS, PG_COMMENTS.map(lambda c: c if c.endswith("\n") else c + " ")),
)


@FAST
@given(PG_SCRIPTS)
def test_postgresql_scripts_split_back(script):
    sql, expected = script
    assert split_sql(sql, "postgresql") == expected


@FAST
@given(PG_SCRIPTS)
def test_postgresql_scripts_split_like_pglast(script):
    sql, _ = script
    theirs = [(sql[cut], sql.count("\n", 0, cut.start) + 1) for cut in pglast.split(sql, only_slices=True)]
    assert [(s.text, s.line) for s in split_sql(sql, "postgresql")] == theirs


# --- MySQL / MariaDB -------------------------------------------------------------------

MY_COMMENTS = st.one_of(DASH_COMMENTS, BLOCK_COMMENTS, _text(TEXT.replace("\n", "")).map(lambda s: f"# {s}\n"))


def _my_string(quote: str) -> st.SearchStrategy[str]:
    texts, escapes = _text(), st.sampled_from(["\\" + quote, quote * 2])

    @st.composite
    def build(draw):
        text = draw(texts).replace("\\", "\\\\")
        escaped = draw(escapes)
        return quote + text.replace(quote, escaped) + quote

    return build()


MY_ATOMS = st.one_of(NAMES, NUMBERS, _my_string("'"), _my_string('"'), _quoted("`", 1), st.just("'C:\\\\temp\\\\'"))
MY_EXPRESSIONS = _expression(MY_ATOMS, MY_COMMENTS)


def _my_body(depth: int) -> st.SearchStrategy[str]:
    """Statements of a stored program's body, blocks nested up to depth."""
    simple = MY_EXPRESSIONS.map(lambda e: f"SET @v = CONCAT({e})") | MY_EXPRESSIONS.map(lambda e: f"SELECT {e}")
    if depth == 0:
        return simple

    inner = st.lists(_my_body(depth - 1), min_size=1, max_size=3).map(lambda xs: "; ".join(xs) + ";")
    return st.one_of(
        simple,
        inner.map(lambda b: f"BEGIN {b} END"),
        inner.map(lambda b: f"IF @v > IF(1, 2, 3) THEN {b} ELSEIF @v THEN {b} ELSE {b} END IF"),
        inner.map(lambda b: f"WHILE @v < 1 DO {b} END WHILE"),
        inner.map(lambda b: f"REPEAT {b} UNTIL @v > 1 END REPEAT"),
        inner.map(lambda b: f"lbl: LOOP {b} LEAVE lbl; END LOOP lbl"),
        inner.map(lambda b: f"CASE @v WHEN 1 THEN {b} ELSE {b} END CASE"),
        inner.map(lambda b: f"SET @w = CASE WHEN @v THEN REPEAT('x;', 2) END; {b}"),
    )


MY_BODY = _my_body(2)
MY_KINDS = st.sampled_from(["select", "select", "procedure", "trigger", "function"])
MY_BODIES = st.lists(MY_BODY, min_size=1, max_size=3)


@st.composite
def _my_statement(draw):
    kind = draw(MY_KINDS)
    if kind == "select":
        return f"SELECT {draw(MY_EXPRESSIONS)}"
    body = "; ".join(draw(MY_BODIES)) + ";"
    if kind == "procedure":
        return f"CREATE PROCEDURE p()\nBEGIN\n  {body}\nEND"
    if kind == "trigger":
        return f"CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW BEGIN {body} END"
    return f"CREATE FUNCTION f() RETURNS INT DETERMINISTIC BEGIN {body} RETURN 1; END"


MY_LEADS = st.one_of(GAPS, MY_COMMENTS.map(lambda c: c if c.endswith("\n") else c + " "))
MY_SEGMENTS = st.integers(1, 3)
MY_DELIMITERS = st.sampled_from([";", "$$", "//", "GO"])
MY_STATEMENTS = st.lists(_my_statement(), min_size=1, max_size=3)
BEFORE_DELIMITER, AFTER_DELIMITER = st.sampled_from(["", " ", "\n"]), st.sampled_from(["\n", " ", ""])


@st.composite
def _my_script(draw):
    """A script of segments, each under a delimiter of its own (DELIMITER lines between)."""
    sql, expected, current = "", [], ";"
    for _ in range(draw(MY_SEGMENTS)):
        delimiter = draw(MY_DELIMITERS)
        if delimiter != current:
            sql += f"\nDELIMITER {delimiter}\n"
            current = delimiter
        for text in draw(MY_STATEMENTS):
            sql += draw(MY_LEADS)
            expected.append(Statement(text, sql.count("\n") + 1))
            sql += text + draw(BEFORE_DELIMITER) + delimiter + draw(AFTER_DELIMITER)
    return sql, expected


@FAST
@given(_my_script())
def test_mysql_scripts_split_back(script):
    sql, expected = script
    assert split_sql(sql, "mysql") == expected


# --- SQLite --------------------------------------------------------------------------

LITE_ATOMS = st.one_of(
    NAMES, NUMBERS, _quoted("'"), _quoted('"', 1), _quoted("`", 1),
    _text(TEXT.replace("]", "")).map(lambda s: f"[{s}]"), st.just("'C:\\temp\\'"),
)
LITE_EXPRESSIONS = _expression(LITE_ATOMS, st.one_of(DASH_COMMENTS, BLOCK_COMMENTS))


LITE_TRIGGER_STATEMENTS = st.lists(st.one_of(
    LITE_EXPRESSIONS.map(lambda e: f"INSERT INTO log VALUES ({e})"),
    LITE_EXPRESSIONS.map(lambda e: f"UPDATE log SET a = CASE WHEN {e} THEN 1 ELSE 2 END"),
    LITE_EXPRESSIONS.map(lambda e: f"SELECT CASE {e} WHEN 1 THEN 'end;' END"),
), min_size=1, max_size=4)
LITE_TRIGGER_HEADS = st.sampled_from(["CREATE TRIGGER", "CREATE TEMP TRIGGER", "create temporary trigger"])


@st.composite
def _lite_statement(draw):
    if draw(st.booleans()):
        return f"SELECT {draw(LITE_EXPRESSIONS)}"
    body = ";\n  ".join(draw(LITE_TRIGGER_STATEMENTS))
    head = draw(LITE_TRIGGER_HEADS)
    return f"{head} t AFTER INSERT ON x FOR EACH ROW\nBEGIN\n  {body};\nEND"


LITE_SCRIPTS = _script(
    _lite_statement(),
    st.sampled_from([";", ";\n", " ; ", ";\n-- between ;\n", ";/* ; */"]),
    st.one_of(GAPS, st.one_of(DASH_COMMENTS, BLOCK_COMMENTS.map(lambda c: c + " "))),
)


@FAST
@given(LITE_SCRIPTS)
def test_sqlite_scripts_split_back(script):
    sql, expected = script
    assert split_sql(sql, "sqlite") == expected
