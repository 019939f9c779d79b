"""Break markers: the script's author overrides the automatic split.

``-- lockgate: break`` on its own line ends a statement wherever the splitter
stands; ``-- lockgate: split-at-markers`` in the leading comments makes the
markers the only cuts.
"""

from __future__ import annotations

import pytest

from lockgate.scripts import NO_TRANSACTION
from lockgate.directives import sql_directives
from lockgate.sqlsplit import BREAK_MARKER, SPLIT_AT_MARKERS, Statement, split_sql

DIALECTS = ["postgresql", "mysql", "mariadb", "sqlite", "oracle"]


def texts(sql: str, dialect: str) -> list[str]:
    return [s.text for s in split_sql(sql, dialect)]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_marker_ends_a_statement_without_delimiter(dialect):
    sql = f"SELECT 1\n{BREAK_MARKER}\nSELECT 2;\nSELECT 3"
    assert split_sql(sql, dialect) == [Statement("SELECT 1", 1), Statement("SELECT 2", 3), Statement("SELECT 3", 4)]


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(
    "marker", ["-- lockgate: break", "  --lockgate:break", "\t-- LockGate:  BREAK \t", "-- lockgate: break\r"]
)
def test_marker_spellings(dialect, marker):
    assert texts(f"SELECT 1\n{marker}\nSELECT 2", dialect) == ["SELECT 1", "SELECT 2"]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_marker_after_delimiter_or_at_the_end_adds_nothing(dialect):
    sql = f"{BREAK_MARKER}\nSELECT 1;\n{BREAK_MARKER}\n\n{BREAK_MARKER}\nSELECT 2;\n{BREAK_MARKER}"
    assert split_sql(sql, dialect) == [Statement("SELECT 1", 2), Statement("SELECT 2", 6)]


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(
    "hidden",
    [
        "'a\n-- lockgate: break\nb'",  # in a string
        '"a\n-- lockgate: break\nb"',  # in a quoted identifier
        "/* a\n-- lockgate: break\n*/ 1",  # in a block comment
        "1 -- lockgate: break\n+ 1",  # behind code on its line: a plain comment
        "1 -- not a marker: lockgate: break\n+ 1",
        "1\n-- lockgate: breaks\n+ 1",  # another word
        "1\n-- lockgate: break here\n+ 1",
    ],
)
def test_marker_means_nothing_where_it_is_not_a_marker(dialect, hidden):
    assert texts(f"SELECT {hidden}; SELECT 2", dialect) == [f"SELECT {hidden}", "SELECT 2"]


def test_marker_means_nothing_inside_a_dollar_quote():
    fn = "CREATE FUNCTION f() RETURNS int AS $$\nBEGIN\n-- lockgate: break\nRETURN 1; END $$ LANGUAGE plpgsql"
    assert texts(f"{fn};\nSELECT 2", "postgresql") == [fn, "SELECT 2"]


@pytest.mark.parametrize("dialect", ["mysql", "mariadb"])
def test_marker_cuts_where_the_splitter_would_not(dialect):
    # No delimiter after END: without the marker the CALL would join the procedure.
    routine = "CREATE PROCEDURE p()\nBEGIN\n  SELECT 1;\nEND"
    sql = f"{routine}\n{BREAK_MARKER}\nCALL p();\nSELECT 3;"
    assert texts(sql, dialect) == [routine, "CALL p()", "SELECT 3"]
    assert texts(sql.replace(BREAK_MARKER, ""), dialect)[0] == f"{routine}\n\nCALL p()"


def test_marker_inside_a_tracked_block_cuts_it():
    sql = f"CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 1;\n{BREAK_MARKER}\nSELECT 2; END;"
    assert texts(sql, "sqlite") == ["CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 1;", "SELECT 2", "END"]


def test_marker_works_with_a_custom_delimiter():
    sql = f"DELIMITER //\nSELECT 1; SELECT 2\n{BREAK_MARKER}\nSELECT 3 //\nDELIMITER ;\nSELECT 4;"
    assert split_sql(sql, "mysql") == [
        Statement("SELECT 1; SELECT 2", 2), Statement("SELECT 3", 4), Statement("SELECT 4", 6),
    ]


# --- split-at-markers -------------------------------------------------------------------

MANUAL = f"""-- A migration the automatic splitter would cut wrongly.
-- lockgate: {SPLIT_AT_MARKERS}

/* intro */ CREATE FUNCTION weird() RETURNS int AS 'SELECT 1; SELECT 2' LANGUAGE sql;
-- a comment; kept
SELECT 'unclosed;
{BREAK_MARKER}
  SELECT 3; SELECT 4;

{BREAK_MARKER}
{BREAK_MARKER}
-- only a comment
{BREAK_MARKER}
SELECT 5
"""


@pytest.mark.parametrize("dialect", DIALECTS)
def test_split_at_markers_cuts_only_at_markers(dialect):
    assert split_sql(MANUAL, dialect) == [
        Statement("CREATE FUNCTION weird() RETURNS int AS 'SELECT 1; SELECT 2' LANGUAGE sql;\n"
                  "-- a comment; kept\nSELECT 'unclosed;", 4),
        Statement("SELECT 3; SELECT 4;", 8),
        Statement("SELECT 5", 14),
    ]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_split_at_markers_ignores_delimiter_lines_and_blocks(dialect):
    sql = "-- lockgate: no-transaction, split-at-markers\nDELIMITER //\nSELECT 1//\nDELIMITER ;\n"
    assert texts(sql, dialect) == ["DELIMITER //\nSELECT 1//\nDELIMITER ;"]


def test_directive_combines_with_no_transaction_as_scripts_read_it():
    head = "-- lockgate: no-transaction, split-at-markers\n"
    assert sql_directives(head) == {NO_TRANSACTION, SPLIT_AT_MARKERS}
    assert texts(head + "SELECT 1; SELECT 2", "postgresql") == ["SELECT 1; SELECT 2"]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 0;\n-- lockgate: split-at-markers\nSELECT 1; SELECT 2",  # after a statement
        "/* lockgate: split-at-markers */\nSELECT 1; SELECT 2",  # not a dash comment line
        "-- lockgate: split at markers\nSELECT 1; SELECT 2",
    ],
)
def test_directive_counts_only_in_the_leading_comment_lines(sql):
    assert texts(sql, "postgresql")[-2:] == ["SELECT 1", "SELECT 2"]


def test_directive_after_blank_lines_and_a_byte_order_mark():
    sql = "\ufeff\n\n-- intro\n\n  -- lockgate: split-at-markers\nSELECT 1; SELECT 2"
    assert split_sql(sql, "sqlite") == [Statement("SELECT 1; SELECT 2", 6)]
