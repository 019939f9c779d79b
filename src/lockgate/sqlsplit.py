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

When the automatic cut is wrong, the script's author can take over:

* ``-- lockgate: break`` on a line of its own ends the statement there, also
  inside a ``BEGIN ... END`` block the heuristics misread; it means nothing
  inside a string, quoted identifier, comment or dollar quote.
* ``-- lockgate: split-at-markers`` among the file's leading comment lines
  (where ``-- lockgate: no-transaction`` goes, and combinable with it:
  ``-- lockgate: no-transaction, split-at-markers``) turns the automatic cut
  off: statements are then the text between break markers, cut by line and
  sent as written, delimiters included; only the whitespace and comments
  around each piece are dropped.

A script may also be a text stream (anything with ``read(size)``, such as an
open file). It is read in chunks, and a statement is yielded once the scanner
has seen its end; only the unfinished statement and one chunk are held.

``COPY ... FROM STDIN`` with inline rows is psql's business, not SQL's: the
driver cannot send the rows, so such a statement raises a
:class:`~lockgate.errors.LockgateError` saying what to do instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple, Protocol

from .directives import sql_directives
from .errors import LockgateError

__all__ = ["BREAK_MARKER", "SPLIT_AT_MARKERS", "Statement", "TextSource", "iter_statements", "split_sql"]

#: The splitter's SQL dialects: each has its own quoting, comments and blocks.
POSTGRESQL, MYSQL, SQLITE, STANDARD = "postgresql", "mysql", "sqlite", "standard"
_KINDS = {POSTGRESQL: POSTGRESQL, MYSQL: MYSQL, "mariadb": MYSQL, SQLITE: SQLITE}

#: A comment line that ends the statement before it, wherever the splitter stands.
BREAK_MARKER = "-- lockgate: break"
#: The directive (in the leading comments) that makes break markers the only cuts.
SPLIT_AT_MARKERS = "split-at-markers"
#: Characters asked of a stream per read; more while one statement outgrows it.
CHUNK_SIZE = 1 << 20


class TextSource(Protocol):
    """What a streamed script must offer: an open text file, ``io.StringIO``, ..."""

    def read(self, size: int, /) -> str: ...


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
# What follows the "--" of a break marker. The scanning regexes refuse to jump
# over a marker, so Python sees it; a file without markers pays nothing.
_BREAK_REST = r"[ \t]*(?i:lockgate:[ \t]*break)[ \t]*\r?(?:\n|\Z)"
_DASH_COMMENT = rf"--(?!{_BREAK_REST})[^\n]*"
# MySQL needs whitespace or a control character after "--"; "--x" is minus minus x.
_MY_DASH_COMMENT = rf"--(?=[\x00-\x20])(?!{_BREAK_REST})[^\n]*"
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
_BREAK = re.compile("--" + _BREAK_REST)
_BREAK_LINE = re.compile(r"^[ \t]*--" + _BREAK_REST, re.M)
# Blank lines and "--" comment lines: where sql_directives looks for directives.
_LEADING_COMMENTS = re.compile(r"\ufeff?(?:[ \t\r\f\v]*(?:--[^\n]*)?\n)*")
_COPY_FROM_STDIN = re.compile(r"COPY\b[^;]*?\bFROM\s+STDIN\b", re.I)
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
    comments: tuple[str, ...]
    lead_comments: tuple[str, ...]
    lone: tuple[str, ...]
    if kind == POSTGRESQL:
        quotes = {"'": _PG_SQ, '"': _DQ}
        # Block comments nest in PostgreSQL, which no regex can match: Python does them.
        comments, lead_comments = (_DASH_COMMENT,), (_DASH_COMMENT,)
        lone = (r"-(?!-)", r"/(?!\*)", _PG_LONE_DOLLAR)
    elif kind == MYSQL:
        quotes = {"'": _SQ_BACKSLASH, '"': _DQ_BACKSLASH, "`": _BACKTICK}
        comments = (_MY_DASH_COMMENT, _HASH_COMMENT, _C_COMMENT)
        # /*! ... */ and /*M! ... */ are executed by the server: content, not comment.
        lead_comments = (_MY_DASH_COMMENT, _HASH_COMMENT, r"/\*(?!M?!)" + _C_COMMENT_REST)
        lone = (rf"-(?!-{_BREAK_REST})", r"/(?!\*)", _MY_NEWLINE)
    else:
        quotes = {"'": _SQ, '"': _DQ}
        if kind == SQLITE:
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


def sql_kind(dialect: str) -> str:
    """The splitter's rule set for a dialect name: MariaDB is MySQL, unknown names standard SQL."""
    name = str(dialect).split("+", 1)[0].strip().lower()
    return _KINDS.get(name, STANDARD)


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
        m = rules.lead.match(sql, pos)
        assert m is not None  # the pattern matches the empty string: never None
        end = m.end()
        if rules.kind == POSTGRESQL and sql.startswith("/*", end):
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
        if tracked:
            pos = _skip_lead(sql, pos, rules)
        else:
            m = fast.match(sql, pos)
            assert m is not None  # the pattern matches the empty string: never None
            pos = m.end()
        if pos >= n:
            return n, n
        c = sql[pos]
        if sql.startswith(delimiter, pos):
            if not blocks:
                return pos, pos + len(delimiter)
            pos += len(delimiter)
            prev = ";"
            continue
        if c == "-" and (marker := _BREAK.match(sql, pos)):
            if _starts_line(sql, pos):
                return pos, marker.end()
            pos = marker.end()  # a marker behind code on its line is just a comment
            continue
        if c in quotes:
            m = quotes[c].match(sql, pos)
            if m is None:  # unterminated: the server will complain about the rest
                return n, n
            pos, prev = m.end(), "'"
            continue
        if c == "/" and sql.startswith("/*", pos):
            pos = _comment_end(sql, pos, kind == POSTGRESQL)
            if pos < 0:
                return n, n
            continue
        if c == "$" and kind == POSTGRESQL:
            m = _DOLLAR.match(sql, pos)
            if m is not None:
                end = sql.find(m.group(), m.end())
                if end < 0:
                    return n, n
                pos = end + len(m.group())
                continue
        if c == "\n" and kind == MYSQL and _DELIMITER_LINE.match(sql, pos + 1):
            return pos, pos
        if not tracked:
            # Only reached when the scan stopped at its iteration bound.
            if pos == before:
                pos += 1
            continue
        m = _WORD.match(sql, pos)
        if m is None:
            if kind == POSTGRESQL and c in "()":
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
        if word == "DELIMITER" and kind == MYSQL and _delimiter_command(sql, m.start()):
            return m.start(), m.start()
        if word == "END":
            if blocks:
                blocks.pop()
            if kind == MYSQL:  # END IF, END LOOP, ... close one block, open none
                suffix = _MY_END_SUFFIX.match(sql, pos)
                if suffix:
                    pos = suffix.end()
        elif word == "CASE":
            statement = kind == MYSQL and _my_statement_start(prev, blocks)
            blocks.append("case" if statement else "expr")
        elif word == "BEGIN":
            # Only reached inside a routine's head or body, where BEGIN opens a
            # block; PostgreSQL's one block is BEGIN ATOMIC (BEGIN alone is plpgsql).
            if kind != POSTGRESQL or _ATOMIC.match(sql, pos):
                blocks.append("begin")
        elif kind == MYSQL and word in _MY_OPENERS and _my_statement_start(prev, blocks):
            if word != "FOR" or _MY_FOR_LOOP.match(sql, pos):
                blocks.append(word)
        prev = word


def _my_statement_start(prev: str, blocks: list[str]) -> bool:
    """Whether a MySQL keyword after prev starts a statement (IF ...) or is a function (IF(...))."""
    if prev in ("THEN", "ELSE") and blocks and blocks[-1] == "expr":
        return False  # CASE WHEN a THEN IF(b, 1, 2) END: an expression
    return prev in _MY_STATEMENT_START


def _starts_line(sql: str, pos: int) -> bool:
    """Whether only blanks stand between the start of pos's line and pos."""
    line_start = sql.rfind("\n", 0, pos) + 1
    return not sql[line_start:pos].strip(" \t")


def _delimiter_command(sql: str, pos: int) -> re.Match[str] | None:
    """The mysql client's DELIMITER command, if the word at pos starts its line."""
    if not _starts_line(sql, pos):
        return None
    return _DELIMITER_LINE.match(sql, sql.rfind("\n", 0, pos) + 1)


class _Splitter:
    """Splitting state over a buffer that a stream keeps topping up.

    A statement counts as finished only when what follows it is in the buffer
    too (or the input has ended): a chunk boundary may fall inside a string, a
    comment, a delimiter or a marker, and then the rest is scanned again, from
    the statement's start, once more text has arrived.
    """

    def __init__(self, dialect: str):
        self.kind = sql_kind(dialect)
        self.rules = _rules(self.kind)
        self.delimiter = ";"
        self.fast = _fast_scan(self.kind, self.delimiter)
        self.markers_only: bool | None = None  # known once the leading comments are read
        self.buf = ""
        self.pos = 0  # start of the part not yet split
        self.counted = 0  # newlines before this index are counted in self.line
        self.line = 1

    def pending(self) -> int:
        return len(self.buf) - self.pos

    def feed(self, text: str) -> None:
        """Append text, dropping what is split; one character stays for look-behinds."""
        cut = self.pos - 1
        if cut > 0:
            self.line += self.buf.count("\n", self.counted, cut)
            self.buf, self.pos, self.counted = self.buf[cut:] + text, self.pos - cut, 0
        else:
            self.buf += text

    def drain(self, final: bool) -> Iterator[Statement]:
        """Yield every statement known to be complete; with final, the rest as well."""
        if self.markers_only is None:
            # Decided once the first line after the leading comments is complete.
            m = _LEADING_COMMENTS.match(self.buf)
            assert m is not None  # the pattern matches the empty string: never None
            head = m.end()
            if self.buf.find("\n", head) < 0 and not final:
                return
            self.markers_only = SPLIT_AT_MARKERS in sql_directives(self.buf[:head])
            if self.buf.startswith("\ufeff"):  # a byte order mark is no part of the SQL
                self.pos = 1
        yield from (self._at_markers(final) if self.markers_only else self._automatic(final))

    def _automatic(self, final: bool) -> Iterator[Statement]:
        sql, n, kind, rules = self.buf, len(self.buf), self.kind, self.rules
        while True:
            start = _skip_lead(sql, self.pos, rules)
            if start >= n:
                if final:
                    self.pos = n
                return
            if kind == MYSQL and sql[start] in "Dd":
                m = _delimiter_command(sql, start)
                if m:  # a mysql client command, not SQL: it only changes the delimiter
                    if m.end() >= n and not final:
                        return
                    self.delimiter, self.pos = m.group(1), m.end()
                    self.fast = _fast_scan(kind, self.delimiter)
                    continue
            if kind == POSTGRESQL and sql[start] in "Cc":
                self._refuse_copy_from_stdin(start)
            tracked = self.delimiter == ";" and rules.head.match(sql, start) is not None
            end, after = _statement_end(sql, start, rules, self.delimiter, self.fast, tracked)
            if after >= n and not final:
                return
            self.pos = after
            yield from self._statement(start, end)

    def _at_markers(self, final: bool) -> Iterator[Statement]:
        sql, n = self.buf, len(self.buf)
        for marker in _BREAK_LINE.finditer(sql, self.pos):
            if marker.end() >= n and not final:
                return
            piece, self.pos = (self.pos, marker.start()), marker.end()
            yield from self._piece(*piece)
        if final:
            piece, self.pos = (self.pos, n), n
            yield from self._piece(*piece)

    def _piece(self, pos: int, end: int) -> Iterator[Statement]:
        start = _skip_lead(self.buf, pos, self.rules)
        if start < end:
            yield from self._statement(start, end)

    def _statement(self, start: int, end: int) -> Iterator[Statement]:
        text = self.buf[start:end].rstrip()
        if text:
            # Newlines are counted only between statement starts: once per file.
            self.line += self.buf.count("\n", self.counted, start)
            self.counted = start
            yield Statement(text, self.line)

    def _refuse_copy_from_stdin(self, start: int) -> None:
        if _COPY_FROM_STDIN.match(self.buf, start):
            line = self.line + self.buf.count("\n", self.counted, start)
            raise LockgateError(
                f"line {line}: COPY ... FROM STDIN is followed by rows of data that only psql "
                "knows how to send; lockgate runs each statement through the database driver, "
                "which would wait for rows that never come, and then read the rows as SQL. "
                "Write the rows as INSERT statements (pg_dump --inserts does), COPY from a file "
                "the server can read, or load the data with psql outside the migration."
            )


def iter_statements(
    sql: str | TextSource, dialect: str, *, chunk_size: int = CHUNK_SIZE
) -> Iterator[Statement]:
    """Yield the statements of a SQL script lazily, so huge files need no second copy.

    :param sql: the script's text, or a text stream to read it from in chunks.
    :param dialect: ``postgresql``, ``mysql``/``mariadb``, ``sqlite``, or any
        other name for standard SQL; a ``+driver`` suffix is ignored.
    :param chunk_size: characters to read at a time from a stream; reads grow
        with a statement longer than that, so it is scanned a bounded number of times.
    :raises LockgateError: for ``COPY ... FROM STDIN`` with inline rows (PostgreSQL).
    """
    splitter = _Splitter(dialect)
    if isinstance(sql, str):
        splitter.feed(sql)
        yield from splitter.drain(final=True)
        return
    while True:
        text = sql.read(max(chunk_size, splitter.pending()))
        if not text:
            yield from splitter.drain(final=True)
            return
        if not isinstance(text, str):
            raise TypeError("iter_statements reads text, not bytes: open the file in text mode, "
                            "e.g. open(path, encoding='utf-8-sig')")
        splitter.feed(text)
        yield from splitter.drain(final=False)


def split_sql(sql: str | TextSource, dialect: str) -> list[Statement]:
    """Split a SQL script into its statements (see iter_statements)."""
    return list(iter_statements(sql, dialect))
