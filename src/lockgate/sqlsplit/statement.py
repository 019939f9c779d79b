"""A statement of a script, and the line arithmetic that places it."""

from __future__ import annotations

from typing import NamedTuple


class Statement(NamedTuple):
    """One SQL statement of a script, with the line it starts on (for error messages).

    A named tuple: immutable like a frozen dataclass, and made in a fraction
    of the time, which counts at tens of thousands of statements a second.
    """

    text: str  # without its terminating delimiter, stripped; comments inside it kept
    line: int  # 1-based line of the statement's first character (leading comments skipped)


def line_ends(sql: str, start: int, end: int) -> int:
    """Line ends in sql[start:end]: LF, CR LF and a lone CR (old Mac files) each count once.

    A CR LF split by ``end`` counts with its LF, in the part after ``end``.
    """
    n = sql.count("\n", start, end)
    if sql.find("\r", start, end) < 0:
        return n
    n += sql.count("\r", start, end) - sql.count("\r\n", start, end)
    if end > start and sql[end - 1] == "\r" and sql.startswith("\n", end):
        n -= 1
    return n
