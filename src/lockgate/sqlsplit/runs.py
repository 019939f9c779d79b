"""The fast path: runs of statements cut by one regex, checked by a few string searches.

Real DDL is tens of thousands of short statements. On PostgreSQL
``run_scanner`` matches them back to back, and where its cut may be wrong (a
backslash before a quote, a lone CR: few places in real DDL)
``head_run_scanner`` checks the statement; on MySQL and SQLite under ";"
``plain_scanner`` matches them, right everywhere it matches. Python runs per
batch of statements, not per statement.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from itertools import accumulate, compress, islice, repeat
from operator import itemgetter
import re

from .lexicon import ESCAPED_QUOTE, head_run_scanner, run_scanner
from .statement import Statement, line_ends


class Run:
    """What the batched path keeps between two batches."""

    __slots__ = ("exact", "ahead", "refused")

    def __init__(self) -> None:
        self.exact = False  # head_run_scanner matched the last batch: try it first
        self.ahead: list[re.Match[str]] = []  # run_scanner's matches past a statement it cut wrong
        self.refused = -1  # where a statement starts that head_run_scanner does not match

    def moved(self) -> None:
        """Forget what holds offsets into a buffer that has changed (and matches made up to its end)."""
        self.ahead, self.refused = [], -1


def plain_run(sql: str, pos: int, line: int, counted: int, run: Run) -> tuple[list[Statement], int, int, int]:
    """The statements matched back to back from pos: (them, end, line, counted).

    Real DDL is tens of thousands of short statements, so the work per
    statement is done in C loops (``map``, ``accumulate``, ``compress``)
    rather than in Python statements.
    """
    return _statements(sql, _matches(sql, pos, run), pos, line, counted)


def exact_run(pattern: re.Pattern[str], sql: str, pos: int, line: int,
              counted: int) -> tuple[list[Statement], int, int, int]:
    """plain_run for a pattern whose cut is always right (MySQL's and SQLite's ``plain_scanner``)."""
    return _statements(sql, _run(pattern, sql, pos), pos, line, counted)


def _statements(sql: str, matches: list[re.Match[str]], pos: int, line: int,
                counted: int) -> tuple[list[Statement], int, int, int]:
    """The statements of back-to-back matches, text in group 1: (them, end, line, counted)."""
    if not matches:
        return [], pos, line, counted
    starts = list(map(_MATCH_START, matches, repeat(1)))
    texts = list(map(str.rstrip, map(_TEXT, matches)))
    end = matches[-1].end()
    before = [counted, *starts]
    if sql.find("\r", counted, end) < 0:
        steps = map(sql.count, repeat("\n"), before, starts)
    else:
        steps = map(line_ends, repeat(sql), before, starts)
    lines = list(accumulate(steps, initial=line))
    statements = list(compress(map(tuple.__new__, repeat(Statement), zip(texts, lines[1:])), texts))
    return statements, end, lines[-1], before[-1]


def _matches(sql: str, pos: int, run: Run) -> list[re.Match[str]]:
    """Statements cut right from pos on, back to back: each match has its text in group 1.

    ``run_scanner`` matches them, and ``head_run_scanner`` checks the few it
    may cut wrong; where those are many (a data load with E'it\'s' in
    every row), ``head_run_scanner`` matches them all.
    """
    if run.exact or sql.count(ESCAPED_QUOTE, pos, pos + _PEEK) > _PEEK_CHECKS:  # a data load with E'it\'s
        matches = _run(head_run_scanner(), sql, pos)
        run.exact = bool(matches) and _many_checks(sql, pos, matches[-1].end())
        return matches
    if pos == run.refused:  # the general scan's
        return []
    ahead = run.ahead
    k = bisect_left(ahead, pos, key=_MATCH_START)
    if k < len(ahead) and ahead[k].start() == pos:
        # run_scanner matches alike from a statement's start however it got there: what it read ahead holds.
        matches, run.ahead = ahead[k:], []
    else:
        matches = _run(run_scanner(), sql, pos)
    if matches and not _check_run(sql, pos, matches, run):
        run.exact = True
        matches = _run(head_run_scanner(), sql, pos)
    return matches


def _run(pattern: re.Pattern[str], sql: str, pos: int) -> list[re.Match[str]]:
    """pattern's matches back to back from pos, a few hundred at most.

    ``Pattern.scanner(...).match`` matches where the last match ended: no
    search, no skipping. Few objects alive at once leave the garbage
    collector little to walk.
    """
    return list(islice(iter(pattern.scanner(sql, pos).match, None), _RUN_BATCH))  # type: ignore[attr-defined]


def _many_checks(sql: str, start: int, end: int) -> bool:
    """Whether sql[start:end] is better matched by ``head_run_scanner`` than checked statement by statement."""
    return sql.count(ESCAPED_QUOTE, start, end) > _MAX_CHECKS or _lone_cr(sql, start, end)


def _lone_cr(sql: str, start: int, end: int) -> bool:
    return sql.find("\r", start, end) >= 0 and sql.count("\r", start, end) != sql.count("\r\n", start, end)


def _check_run(sql: str, pos: int, matches: list[re.Match[str]], run: Run) -> bool:
    """End matches at the first statement that ``run_scanner`` cut wrong, with ``head_run_scanner``'s cut.

    Only a statement holding ``ESCAPED_QUOTE`` can be cut wrong, and real
    DDL has few: ``str.find`` finds them. The matches past the wrong one go
    to ``run.ahead``. False, with matches left as they are, where too many
    need a check, or a CR without an LF after it is in the text.
    """
    end = matches[-1].end()
    if _lone_cr(sql, pos, end):
        return False
    if sql.find("\\", pos, end) < 0:  # the common case, found by memchr
        return True
    for _ in range(_MAX_CHECKS):
        at = sql.find(ESCAPED_QUOTE, pos, end)
        if at < 0:
            return True
        k = bisect_right(matches, at, key=_MATCH_END)
        exact = head_run_scanner().match(sql, matches[k].start())
        if exact is None or exact.end() != matches[k].end():
            run.ahead, run.refused = matches[k + 1:], -1 if exact else matches[k].start()
            matches[k:] = [exact] if exact else []
            return True
        pos = matches[k].end()
    return False


_MAX_CHECKS = 32
# ESCAPED_QUOTEs in the next _PEEK characters that make the batch start with head_run_scanner.
_PEEK, _PEEK_CHECKS = 4096, 8


_MATCH_START, _MATCH_END, _TEXT = re.Match.start, re.Match.end, itemgetter(1)
_RUN_BATCH = 256
