"""Split the text of a ``.sql`` migration into single statements, per SQL dialect.

sqlite3 and PyMySQL execute one statement per call, so a script has to be cut
at its delimiters -- but only at delimiters that are really SQL: not inside
strings, quoted identifiers, comments, PostgreSQL dollar quotes, or the
``BEGIN ... END`` body of a trigger or stored routine.

Migration files can be multi-megabyte data dumps, so nothing here walks the
text character by character in Python.  One compiled regular expression per
dialect and delimiter (``lexicon.py``) consumes, in a single call, the blanks
and comments before a statement and everything in it that cannot end it
(plain text, complete strings, complete comments); Python code only runs where
a decision is needed.  Statements whose head (read through comments) says they
can hold a body are cut by tokens and each dialect's block grammar
(``blocks.py``), which jumps over the tokens it does not decide at.  Runs of
other statements are cut a few hundred at a time (``runs.py``): on PostgreSQL
by a leaner regex, checked where it may err; on MySQL and SQLite (under ";")
by one that is exact.

A statement holds exactly the characters of the input between its
boundaries: nothing is translated, so a CR LF inside a string literal reaches
the server as written (open files with ``newline=""``).  A byte order mark at
the start is no part of the SQL, for text and streams alike.  Line numbers
count LF, CR LF and a lone CR (old Mac files) as one line end each.

Known limits: server settings are invisible from a file, so MySQL's
NO_BACKSLASH_ESCAPES / ANSI_QUOTES modes and PostgreSQL's
``standard_conforming_strings=off`` are not modelled; and MySQL block tracking
decides whether ``BEGIN``/``END``/``IF``/``REPEAT``/... are keywords from the
token before them (statement position vs. a name or a function call).

A MySQL ``DELIMITER`` line is obeyed as the mariadb client obeys it: only at
the start of a line where no statement is under way (blanks and comments
before it are fine); after an unterminated statement it is part of that
statement's text, and the client then sends the statement and the line as one
text with multi-statements on.  Under ``;`` that text holds no ``;``, so
lockgate sends the same single statement; under another delimiter the server
may cut it where lockgate cannot know, so such a script raises a
:class:`~lockgate.errors.LockgateError` (``has_delimiter_lines`` finds, by one
search, the files a run splits before it starts).

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
has seen its end; only the unfinished statement and a chunk or two are held.
Short reads are gathered until the text since the last scan is a chunk and
as long as the unfinished statement, so that each character is scanned a
bounded number of times however the stream cuts its text.

``COPY ... FROM STDIN`` with inline rows is psql's business, not SQL's: the
driver cannot send the rows, so such a statement raises a
:class:`~lockgate.errors.LockgateError` saying what to do instead.
"""

from __future__ import annotations

from collections.abc import Iterator
import re
from typing import Protocol

from ..directives import sql_directives
from ..errors import LockgateError
from .blocks import TokenReader, body_end, comment_end, copy_from_stdin, skip_lead, starts_line
from .lexicon import (BREAK, BREAK_LINE, MYSQL, POSTGRESQL, SQLITE, STANDARD, Rules, begin_scanner, plain_scanner,
                      rules, scanner)
from .runs import Run, exact_run, plain_run
from .statement import Statement, line_ends

__all__ = ["BREAK_MARKER", "MYSQL", "POSTGRESQL", "SPLIT_AT_MARKERS", "SQLITE", "STANDARD", "Statement",
           "TextSource", "has_delimiter_lines", "iter_statements", "split_sql", "sql_kind"]

_KINDS = {POSTGRESQL: POSTGRESQL, MYSQL: MYSQL, "mariadb": MYSQL, SQLITE: SQLITE}

#: A comment line that ends the statement before it, wherever the splitter stands.
BREAK_MARKER = "-- lockgate: break"
#: The directive (in the leading comments) that makes break markers the only cuts.
SPLIT_AT_MARKERS = "split-at-markers"
#: Characters asked of a stream per read; more while one statement outgrows it.
CHUNK_SIZE = 1 << 20
_BOM = "\ufeff"
# Characters ahead that make a batch of MySQL's or SQLite's plain statements worth its setup.
_PLAIN_BATCH_MIN = 512


class TextSource(Protocol):
    """What a streamed script must offer: an open text file, ``io.StringIO``, ..."""

    def read(self, size: int, /) -> str: ...


# The mysql client's DELIMITER command: the rest of the line is its argument,
# of which a quoted string or the first word counts.
_DELIMITER_LINE = re.compile(r"[ \t]*DELIMITER[ \t]+(?:'([^'\n]+)'|\"([^\"\n]+)\"|`([^`\n]+)`|(\S+))[^\n]*", re.I)
# Blank lines and "--" comment lines: where sql_directives looks for directives.
_LEADING_COMMENTS = re.compile(r"(?:[ \t\r\f\v]*(?:--[^\n]*)?\n)*")
_COPY = re.compile(r"COPY\b", re.I)
# A line that may be a DELIMITER command inside a statement's text (confirmed by _DELIMITER_LINE).
_INNER_DELIMITER = re.compile(r"\n[ \t]*DELIMITER[ \t]", re.I)
_ANY_DELIMITER_LINE = re.compile(r"^[ \t]*DELIMITER[ \t]", re.I | re.M)


def _head_through_nested_comments(sql: str, start: int, r: Rules) -> bool:
    """Whether the statement has a head, read as tokens (PostgreSQL's comments nest, its regex's do not)."""
    reader, words = TokenReader(sql, start, r), []
    for _ in range(4):
        words.append(reader.next())
        if r.head.fullmatch(" ".join(words)):
            return True
    return False



def sql_kind(dialect: str) -> str:
    """The splitter's rule set for a dialect name: MariaDB is MySQL, unknown names standard SQL."""
    name = str(dialect).split("+", 1)[0].strip().lower()
    return _KINDS.get(name, STANDARD)


def _scan_end(sql: str, pos: int, r: Rules, delimiter: str) -> tuple[int, int]:
    """(end of the statement text, start of what follows) once the regex scan stopped at pos."""
    n, body = len(sql), scanner(r.kind, delimiter, False)
    while True:
        if pos >= n:
            return n, n
        if sql.startswith(delimiter, pos):
            return pos, pos + len(delimiter)
        c = sql[pos]
        if c == "-" and (marker := BREAK.match(sql, pos)):
            if starts_line(sql, pos):
                return pos, marker.end()
            pos = marker.end()  # a marker behind code on its line is just a comment
        elif c == "/" and sql.startswith("/*", pos):  # nested (PostgreSQL) or unclosed
            pos = comment_end(sql, pos, r.kind == POSTGRESQL)
            if pos < 0:
                return n, n
        elif c in r.specials:  # an unterminated string, quoted name or dollar quote
            return n, n
        else:
            pos += 1
        pos = body.match(sql, pos).end()  # type: ignore[union-attr]  # matches the empty string


def has_delimiter_lines(text: str, dialect: str) -> bool:
    """Whether a MySQL script has a DELIMITER line, by one search: only then may a split refuse it.

    A run splits such files before anything runs, so that the refusal of a
    swallowed DELIMITER line does not come after earlier statements committed
    (MariaDB's DDL commits implicitly).
    """
    return sql_kind(dialect) == MYSQL and _ANY_DELIMITER_LINE.search(text) is not None


def _swallowed_delimiter(sql: str, start: int, end: int) -> int:
    """Where a DELIMITER command line starts inside the statement sql[start:end], or -1.

    Only lines that start outside strings and comments count: a line the
    mariadb client would have obeyed had no statement been under way.
    """
    hint = _INNER_DELIMITER.search(sql, start, end)
    if hint is None:
        return -1
    lines = scanner(MYSQL, "\n", False).match  # stops at a line end outside strings and comments
    pos = start
    while pos < end:
        stop = lines(sql, pos).end()  # type: ignore[union-attr]  # matches the empty string
        if stop >= end:
            return -1
        if sql[stop] == "\n":
            pos = stop + 1
        elif marker := BREAK.match(sql, stop):  # a break marker behind code: a comment to its line end
            pos = marker.end()
        else:  # an unterminated string or comment: it runs on to the end
            return -1
        if pos >= hint.start() and _DELIMITER_LINE.match(sql, pos, end):
            return pos
    return -1


def _delimiter_command(sql: str, pos: int) -> re.Match[str] | None:
    """The mysql client's DELIMITER command, if the word at pos starts its line."""
    if not starts_line(sql, pos):
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
        self.rules = rules(self.kind)
        self._set_delimiter(";")
        self.markers_only: bool | None = None  # known once the leading comments are read
        self.buf = ""
        self.pos = 0  # start of the part not yet split
        self.counted = 0  # newlines before this index are counted in self.line
        self.line = 1
        self.run = Run()

    def _set_delimiter(self, delimiter: str) -> None:
        self.delimiter = delimiter
        self.scan = scanner(self.kind, delimiter, True).match
        # MySQL's and SQLite's runs of plain statements, cut a batch at a time.
        self.plain = plain_scanner(self.kind) if delimiter == ";" and self.kind in (MYSQL, SQLITE) else None

    def pending(self) -> int:
        return len(self.buf) - self.pos

    def feed(self, *texts: str) -> None:
        """Append texts, dropping what is split; one character stays for look-behinds.

        The buffer is copied once per call, however many reads the texts are.
        """
        cut = self.pos - 1
        self.run.moved()
        if cut > 0:
            self.line += line_ends(self.buf, self.counted, cut)
            self.buf, self.pos, self.counted = "".join((self.buf[cut:], *texts)), self.pos - cut, 0
        else:
            self.buf = "".join((self.buf, *texts))

    def drain(self, final: bool) -> Iterator[Statement]:
        """Every statement known to be complete; with final, the rest as well."""
        if self.markers_only is None:
            if self.buf.startswith(_BOM):  # a byte order mark is no part of the SQL
                self.buf = self.buf[1:]
                self.run.moved()
            # Decided once the first line after the leading comments is complete.
            m = _LEADING_COMMENTS.match(self.buf)
            assert m is not None  # the pattern matches the empty string: never None
            head = m.end()
            if self.buf.find("\n", head) < 0 and not final:
                return iter(())
            self.markers_only = SPLIT_AT_MARKERS in sql_directives(self.buf[:head])
        return self._at_markers(final) if self.markers_only else self._automatic(final)

    def _automatic(self, final: bool) -> Iterator[Statement]:
        # The hot loop of the splitter: state in locals, written back when it stops.
        sql, n, kind, r = self.buf, len(self.buf), self.kind, self.rules
        scan, delimiter, pos, line, counted = self.scan, self.delimiter, self.pos, self.line, self.counted
        pg, mysql, plain = kind == POSTGRESQL, kind == MYSQL, self.plain
        backoff, wait = 1, 0
        try:
            while True:
                if not wait and (pg or plain and n - pos >= _PLAIN_BATCH_MIN):
                    if plain:
                        batch, run_end, line, counted = exact_run(plain, sql, pos, line, counted)
                    else:
                        batch, run_end, line, counted = plain_run(sql, pos, line, counted, self.run)
                    if run_end > pos:
                        backoff, pos = 1, run_end
                        yield from batch
                        continue
                    wait, backoff = backoff, min(backoff * 2, 64)  # a file of other statements: try again later
                wait = max(wait - 1, 0)
                regs = scan(sql, pos).regs  # type: ignore[union-attr]  # matches the empty string
                start, head_end, stop = regs[1][1], regs[2][1], regs[0][1]
                if start >= n:
                    if final:
                        pos = n
                    return
                c = sql[start]
                if head_end < 0 and sql.startswith(delimiter, stop) and not (mysql and c in "Dd"):
                    end, after = stop, stop + len(delimiter)  # the common case: one regex call
                elif stop == start and sql.startswith("/*", start) and comment_end(sql, start, True) > start:
                    pos = comment_end(sql, start, True)  # a nested comment before the statement
                    continue
                elif mysql and c in "Dd" and (command := _delimiter_command(sql, start)):
                    # A mysql client command, not SQL: it only changes the delimiter.
                    if command.end() >= n and not final:
                        return
                    pos = command.end()
                    self._set_delimiter(next(g for g in command.groups() if g))
                    scan, delimiter, plain = self.scan, self.delimiter, self.plain
                    continue
                elif head_end >= 0 and self._has_body(start, head_end, stop) or (
                        head_end < 0 and pg and c in "Cc" and sql.find("/*", start, stop + 2) >= 0
                        and _head_through_nested_comments(sql, start, r)):
                    end, after = body_end(sql, start, r)
                elif sql.startswith(delimiter, stop):
                    end, after = stop, stop + len(delimiter)
                else:
                    end, after = _scan_end(sql, stop, r, delimiter)
                if after >= n and not final:
                    return
                if pg and c in "Cc" and sql.startswith(("P", "p"), start + 2) and _COPY.match(sql, start) \
                        and copy_from_stdin(sql, start, end, r):
                    raise _copy_from_stdin_error(line + line_ends(sql, counted, start))
                if mysql and delimiter != ";" and (inner := _swallowed_delimiter(sql, start, end)) >= 0:
                    at = line + line_ends(sql, counted, start)
                    raise _swallowed_delimiter_error(at, at + line_ends(sql, start, inner), delimiter)
                pos = after
                text = sql[start:end].rstrip()
                if text:
                    # Newlines are counted only between statement starts: once per file.
                    line += line_ends(sql, counted, start)
                    counted = start
                    yield Statement(text, line)
        finally:
            self.pos, self.line, self.counted = pos, line, counted

    def _has_body(self, start: int, head_end: int, stop: int) -> bool:
        """Whether the statement at start, whose head may open a body, holds one before stop."""
        sql = self.buf
        if self.kind != POSTGRESQL or sql[head_end - 4:head_end].upper() == "RULE":  # its actions: in ( )
            return True
        # A function's only block is BEGIN ATOMIC: without the word BEGIN
        # outside strings and comments before the first ";", that ";" ends it.
        if not sql.startswith(";", stop):  # the scan stopped early (a nested comment): read tokens
            return True
        if "begin" not in sql[head_end:stop].lower():
            return False
        scan = begin_scanner().match(sql, head_end)
        return not sql.startswith(";", scan.end())  # type: ignore[union-attr]  # matches the empty string

    def _at_markers(self, final: bool) -> Iterator[Statement]:
        sql, n = self.buf, len(self.buf)
        for marker in BREAK_LINE.finditer(sql, self.pos):
            if marker.end() >= n and not final:
                return
            piece, self.pos = (self.pos, marker.start()), marker.end()
            yield from self._piece(*piece)
        if final:
            piece, self.pos = (self.pos, n), n
            yield from self._piece(*piece)

    def _piece(self, pos: int, end: int) -> Iterator[Statement]:
        start = skip_lead(self.buf, pos, self.rules)
        if start < end:
            yield from self._statement(start, end)

    def _statement(self, start: int, end: int) -> Iterator[Statement]:
        text = self.buf[start:end].rstrip()
        if text:
            # Newlines are counted only between statement starts: once per file.
            self.line += line_ends(self.buf, self.counted, start)
            self.counted = start
            yield Statement(text, self.line)


def _copy_from_stdin_error(line: int) -> LockgateError:
    return LockgateError(
        f"line {line}: COPY ... FROM STDIN is followed by rows of data that only psql "
        "knows how to send; lockgate runs each statement through the database driver, "
        "which would wait for rows that never come, and then read the rows as SQL. "
        "Write the rows as INSERT statements (pg_dump --inserts does), COPY from a file "
        "the server can read, or load the data with psql outside the migration."
    )


def _swallowed_delimiter_error(line: int, command: int, delimiter: str) -> LockgateError:
    return LockgateError(
        f"line {line}: the statement that starts here has no terminator ({delimiter}, the delimiter "
        f"in force) before the DELIMITER line at line {command}, so the mariadb client would read "
        "that line as text of the statement and send both as one multi-statement text, which the "
        "server may run as several statements; lockgate sends one statement at a time and cannot "
        f"run it the same way. End the statement with {delimiter} before the DELIMITER line "
        f"(e.g. END{delimiter} after a routine's body)."
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
    :raises LockgateError: for ``COPY ... FROM STDIN`` with inline rows (PostgreSQL), and
        for a DELIMITER line inside a statement under a delimiter other than ``;`` (MySQL).
    """
    splitter = _Splitter(dialect)
    if isinstance(sql, str):
        splitter.feed(sql)
        return splitter.drain(final=True)
    return _stream(splitter, sql, chunk_size)


def _stream(splitter: _Splitter, sql: TextSource, chunk_size: int) -> Iterator[Statement]:
    """Statements of a stream, read in chunks; a statement is yielded once its end is read.

    A scan that stopped at an unfinished statement starts again from that
    statement's start, so the next scan waits until as much text again has
    been read, and at least chunk_size characters: however short the
    stream's reads, each character is scanned a bounded number of times (the
    sizes double), and the buffer stays within twice the unfinished statement
    or a chunk, and a read.
    """
    reads: list[str] = []
    read = wanted = 0  # characters in reads; how many to gather before the next scan
    while True:
        text = sql.read(max(chunk_size, splitter.pending() + read))
        if not text:
            splitter.feed(*reads)
            yield from splitter.drain(final=True)
            return
        if not isinstance(text, str):
            raise TypeError("iter_statements reads text, not bytes: open the file in text mode, "
                            "e.g. open(path, encoding='utf-8', newline='')")
        reads.append(text)
        read += len(text)
        if read < wanted:
            continue
        splitter.feed(*reads)
        reads, read = [], 0
        yield from splitter.drain(final=False)
        wanted = max(splitter.pending(), chunk_size)


def split_sql(sql: str | TextSource, dialect: str) -> list[Statement]:
    """Split a SQL script into its statements (see iter_statements)."""
    return list(iter_statements(sql, dialect))
