"""Split the text of a ``.sql`` migration into single statements, per SQL dialect.

sqlite3 and PyMySQL execute one statement per call, so a script has to be cut
at its delimiters -- but only at delimiters that are really SQL: not inside
strings, quoted identifiers, comments, PostgreSQL dollar quotes, or the
``BEGIN ... END`` body of a trigger or stored routine.

Migration files can be multi-megabyte data dumps, so nothing here walks the
text character by character in Python.  One compiled regular expression per
dialect and delimiter consumes, in a single call, everything that cannot end a
statement (plain text, complete strings, complete comments); Python code only
runs where a decision is needed.  Keyword tracking for ``BEGIN ... END`` is
switched on only for statements whose head says they can contain a body.

Known limits: server settings are invisible from a file, so MySQL's
NO_BACKSLASH_ESCAPES / ANSI_QUOTES modes and PostgreSQL's
``standard_conforming_strings=off`` are not modelled; and MySQL block tracking
guesses whether ``IF``/``REPEAT``/``LOOP``/``WHILE``/``FOR`` open a block from
the token before them (statement position vs. a function call like ``IF(...)``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

__all__ = ["Statement", "iter_statements", "split_sql"]


@dataclass(frozen=True)
class Statement:
    """One SQL statement of a script, with the line it starts on (for error messages)."""

    text: str  # without its terminating delimiter, stripped; comments inside it kept
    line: int  # 1-based line of the statement's first character (leading comments skipped)


# Complete tokens, written as "unrolled loops" so they run in linear time
# even when a quote or comment is left unterminated.
_SQ = r"'[^']*(?:''[^']*)*'"
_SQ_BACKSLASH = r"'[^'\\]*(?:(?:''|\\.)[^'\\]*)*'"
_DQ = r'"[^"]*(?:""[^"]*)*"'
_DQ_BACKSLASH = r'"[^"\\]*(?:(?:""|\\.)[^"\\]*)*"'
_BACKTICK = r"`[^`]*(?:``[^`]*)*`"
_BRACKET = r"\[[^\]]*\]"
# PostgreSQL E'...' strings honour backslashes; a plain '...' never does.
_PG_SQ = r"(?<!\b[eE])" + _SQ + r"|(?<=\b[eE])" + _SQ_BACKSLASH
_C_COMMENT_REST = r"[^*]*\*+(?:[^/*][^*]*\*+)*/"  # after the opening /*
_C_COMMENT = r"/\*" + _C_COMMENT_REST
_DASH_COMMENT = r"--[^\n]*"
# MySQL needs whitespace or a control character after "--"; "--x" is minus minus x.
_MY_DASH_COMMENT = r"--(?=[\x00-\x20])[^\n]*"
_HASH_COMMENT = r"#[^\n]*"
# "$" inside an identifier (a$b) or not followed by a tag and "$" (a $1 parameter)
# is no dollar quote.
_PG_LONE_DOLLAR = r"(?<=[\w$])\$|\$(?!(?:[^\W\d]\w*)?\$)"
_DOLLAR = re.compile(r"(?<![\w$])\$(?:[^\W\d]\w*)?\$")

_MY_USER = r"(?:'[^']*'|`[^`]*`|\"[^\"]*\"|[\w.%$-]+)"
_HEADS = {
    "postgresql": r"CREATE\s+(?:OR\s+REPLACE\s+)?(?:FUNCTION|PROCEDURE|RULE)\b",
    "mysql": (
        r"(?:CREATE\s+(?:OR\s+REPLACE\s+)?"
        rf"(?:DEFINER\s*=\s*{_MY_USER}(?:\s*@\s*{_MY_USER})?(?:\s*\(\s*\))?\s+)?"
        r"(?:AGGREGATE\s+)?(?:TRIGGER|PROCEDURE|FUNCTION|EVENT)|BEGIN\s+NOT\s+ATOMIC)\b"
    ),
    "sqlite": r"CREATE\s+(?:TEMP(?:ORARY)?\s+)?TRIGGER\b",
    "standard": r"CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP(?:ORARY)?\s+)?(?:TRIGGER|FUNCTION|PROCEDURE)\b",
}

_WORD = re.compile(r"\w[\w$]*")
_PG_COMMENT_TOKEN = re.compile(r"/\*|\*/")
_DELIMITER_LINE = re.compile(r"[ \t]*DELIMITER[ \t]+(\S+)[^\n]*", re.I)
# The mysql client obeys a DELIMITER line even where a statement lacks its end.
_MY_NEWLINE = r"\n(?![ \t]*(?i:delimiter)[ \t])"
_ATOMIC = re.compile(r"\s+ATOMIC\b", re.I)
_MY_END_SUFFIX = re.compile(r"\s+(?:IF|LOOP|WHILE|REPEAT|CASE|FOR)\b", re.I)
_MY_OPENERS = frozenset({"IF", "LOOP", "WHILE", "REPEAT", "FOR"})
# MariaDB's FOR i IN ... DO loop, unlike FOR EACH ROW, FOR UPDATE, HANDLER FOR.
_MY_FOR_LOOP = re.compile(r"\s+\w+\s+IN\b", re.I)
# Tokens after which a MySQL compound-statement keyword is a statement, not a
# function call like IF(a, b, c) or REPEAT('x', 3).
_MY_STATEMENT_START = frozenset({
    ";", ":", ")", "BEGIN", "THEN", "ELSE", "DO", "LOOP", "REPEAT", "ROW",
    "ATOMIC", "DETERMINISTIC", "SQL", "DATA", "DEFINER", "INVOKER",
})
# Iterations per regex call: bounds the regex engine's backtracking stack on
# multi-megabyte statements while keeping Python's share of the work negligible.
_CHUNK = 2000


class _Rules(NamedTuple):
    kind: str  # "postgresql", "mysql", "sqlite" or "standard"
    quotes: dict[str, re.Pattern[str]]  # opening character -> complete quoted token
    alternatives: tuple[str, ...]  # complete tokens the fast scan may jump over
    lone: tuple[str, ...]  # special characters that start nothing
    specials: str  # characters that may start a token
    lead: re.Pattern[str]  # whitespace and comments that may precede a statement
    head: re.Pattern[str]  # statements whose BEGIN ... END body must be tracked


@lru_cache(maxsize=None)
def _rules(kind: str) -> _Rules:
    if kind == "postgresql":
        quotes = {"'": _PG_SQ, '"': _DQ}
        # Block comments nest in PostgreSQL, which no regex can match: Python does them.
        comments, lead_comments = (_DASH_COMMENT,), (_DASH_COMMENT,)
        lone = (r"-(?!-)", r"/(?!\*)", _PG_LONE_DOLLAR)
    elif kind == "mysql":
        quotes = {"'": _SQ_BACKSLASH, '"': _DQ_BACKSLASH, "`": _BACKTICK}
        comments = (_MY_DASH_COMMENT, _HASH_COMMENT, _C_COMMENT)
        # /*! ... */ and /*M! ... */ are executed by the server: content, not comment.
        lead_comments = (_MY_DASH_COMMENT, _HASH_COMMENT, r"/\*(?!M?!)" + _C_COMMENT_REST)
        lone = ("-", r"/(?!\*)", _MY_NEWLINE)
    else:
        quotes = {"'": _SQ, '"': _DQ}
        if kind == "sqlite":
            quotes.update({"`": _BACKTICK, "[": _BRACKET})
        comments = lead_comments = (_DASH_COMMENT, _C_COMMENT)
        lone = (r"-(?!-)", r"/(?!\*)")
    specials = "".join(quotes) + "-/" + {"mysql": "#\n", "postgresql": "$"}.get(kind, "")
    lead = "|".join((r"\s+",) + lead_comments)
    return _Rules(
        kind=kind,
        quotes={c: re.compile(p, re.S) for c, p in quotes.items()},
        alternatives=tuple(quotes.values()) + comments,
        lone=lone,
        specials=specials,
        lead=re.compile(rf"(?:{lead}){{0,{_CHUNK}}}", re.S),
        head=re.compile(_HEADS[kind], re.I),
    )


@lru_cache(maxsize=64)
def _fast_scan(kind: str, delimiter: str) -> re.Pattern[str]:
    """Regex jumping over everything that cannot end the statement."""
    rules = _rules(kind)
    specials = rules.specials + delimiter[0]
    alternatives = [f"[^{re.escape(specials)}]+", *rules.alternatives, *rules.lone]
    guard = ""
    if delimiter != ";":
        # The delimiter's first character may also be ordinary text ("$" in "$$").
        guard = f"(?!{re.escape(delimiter)})"
        if delimiter[0] not in rules.specials:
            alternatives.append(re.escape(delimiter[0]))
    return re.compile(f"(?:{guard}(?:{'|'.join(alternatives)})){{0,{_CHUNK}}}", re.S)


def _kind(dialect: str) -> str:
    name = str(dialect).split("+", 1)[0].strip().lower()
    if name == "mariadb":
        return "mysql"
    return name if name in ("postgresql", "mysql", "sqlite") else "standard"


def _comment_end(sql: str, pos: int, nested: bool) -> int:
    """End of the block comment opening at pos, or -1 if it never closes."""
    if not nested:
        end = sql.find("*/", pos + 2)
        return -1 if end < 0 else end + 2
    depth = 0
    for m in _PG_COMMENT_TOKEN.finditer(sql, pos):
        depth += 1 if m.group() == "/*" else -1
        if not depth:
            return m.end()
    return -1


def _skip_lead(sql: str, pos: int, rules: _Rules) -> int:
    """Skip whitespace and comments; stops at content or an unterminated comment."""
    while True:
        end = rules.lead.match(sql, pos).end()
        if rules.kind == "postgresql" and sql.startswith("/*", end):
            after = _comment_end(sql, end, True)
            if after > 0:
                pos = after
                continue
        # Go round again only if the regex stopped at its iteration bound.
        if end == pos or end >= len(sql) or not (sql[end].isspace() or sql[end] in "-/#"):
            return end
        pos = end


def _statement_end(
    sql: str, pos: int, rules: _Rules, delimiter: str, fast: re.Pattern[str], tracked: bool
) -> tuple[int, int]:
    """Return (end of the statement text, start of what follows) for a statement at pos."""
    n = len(sql)
    quotes, kind = rules.quotes, rules.kind
    blocks: list[str] = []  # open blocks; MySQL CASE expressions are "expr"
    prev = ""  # previous word (upper case) or punctuation mark, for MySQL
    while True:
        before = pos
        # Tracked statements are short routines: step token by token, skipping
        # only whitespace and comments, so that every word and mark is seen.
        pos = _skip_lead(sql, pos, rules) if tracked else fast.match(sql, pos).end()
        if pos >= n:
            return n, n
        c = sql[pos]
        if sql.startswith(delimiter, pos):
            if not blocks:
                return pos, pos + len(delimiter)
            pos += len(delimiter)
            prev = ";"
            continue
        if c in quotes:
            m = quotes[c].match(sql, pos)
            if m is None:  # unterminated: the server will complain about the rest
                return n, n
            pos, prev = m.end(), "'"
            continue
        if c == "/" and sql.startswith("/*", pos):
            pos = _comment_end(sql, pos, kind == "postgresql")
            if pos < 0:
                return n, n
            continue
        if c == "$" and kind == "postgresql":
            m = _DOLLAR.match(sql, pos)
            if m is not None:
                end = sql.find(m.group(), m.end())
                if end < 0:
                    return n, n
                pos = end + len(m.group())
                continue
        if c == "\n" and kind == "mysql" and _DELIMITER_LINE.match(sql, pos + 1):
            return pos, pos
        if not tracked:
            # Only reached when the scan stopped at its iteration bound.
            if pos == before:
                pos += 1
            continue
        m = _WORD.match(sql, pos)
        if m is None:
            if kind == "postgresql" and c in "()":
                # A rule's DO (...; ...) action list holds statements, like psql.
                if c == "(":
                    blocks.append("(")
                elif blocks:
                    blocks.pop()
            pos, prev = pos + 1, c
            continue
        pos = m.end()
        if prev == ".":  # qualified name, e.g. t.end: never a keyword
            prev = "name"
            continue
        word = m.group().upper()
        if word == "DELIMITER" and kind == "mysql" and _delimiter_command(sql, m.start()):
            return m.start(), m.start()
        if word == "END":
            if blocks:
                blocks.pop()
            if kind == "mysql":  # END IF, END LOOP, ... close one block, open none
                suffix = _MY_END_SUFFIX.match(sql, pos)
                if suffix:
                    pos = suffix.end()
        elif word == "CASE":
            statement = kind == "mysql" and _my_statement_start(prev, blocks)
            blocks.append("case" if statement else "expr")
        elif word == "BEGIN":
            # Only reached inside a routine's head or body, where BEGIN opens a
            # block; PostgreSQL's one block is BEGIN ATOMIC (BEGIN alone is plpgsql).
            if kind != "postgresql" or _ATOMIC.match(sql, pos):
                blocks.append("begin")
        elif kind == "mysql" and word in _MY_OPENERS and _my_statement_start(prev, blocks):
            if word != "FOR" or _MY_FOR_LOOP.match(sql, pos):
                blocks.append(word)
        prev = word


def _my_statement_start(prev: str, blocks: list[str]) -> bool:
    """Whether a MySQL keyword after prev starts a statement (IF ...) or is a function (IF(...))."""
    if prev in ("THEN", "ELSE") and blocks and blocks[-1] == "expr":
        return False  # CASE WHEN a THEN IF(b, 1, 2) END: an expression
    return prev in _MY_STATEMENT_START


def _delimiter_command(sql: str, pos: int) -> re.Match[str] | None:
    """The mysql client's DELIMITER command, if the word at pos starts its line."""
    line_start = sql.rfind("\n", 0, pos) + 1
    if sql[line_start:pos].strip(" \t"):
        return None
    return _DELIMITER_LINE.match(sql, line_start)


def iter_statements(sql: str, dialect: str) -> Iterator[Statement]:
    """Yield the statements of a SQL script lazily, so huge files need no second copy."""
    kind = _kind(dialect)
    rules = _rules(kind)
    n = len(sql)
    delimiter = ";"
    fast = _fast_scan(kind, delimiter)
    pos = counted = 0
    line = 1
    while True:
        start = _skip_lead(sql, pos, rules)
        if start >= n:
            return
        if kind == "mysql" and sql[start] in "Dd":
            m = _delimiter_command(sql, start)
            if m:  # a mysql client command, not SQL: it only changes the delimiter
                delimiter, pos = m.group(1), m.end()
                fast = _fast_scan(kind, delimiter)
                continue
        tracked = delimiter == ";" and rules.head.match(sql, start) is not None
        end, pos = _statement_end(sql, start, rules, delimiter, fast, tracked)
        text = sql[start:end].rstrip()
        if text:
            # Newlines are counted only between statement starts: once per file.
            line += sql.count("\n", counted, start)
            counted = start
            yield Statement(text, line)


def split_sql(sql: str, dialect: str) -> list[Statement]:
    """Split a SQL script into its statements (see iter_statements)."""
    return list(iter_statements(sql, dialect))
