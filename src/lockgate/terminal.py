"""Where output goes: a terminal (colour, live progress), a CI log, or a pipe.

A handful of ANSI codes written by hand: a terminal library would cost a
nothing-to-do ``upgrade`` more start-up time than it takes to answer.
Colour follows https://no-color.org (``NO_COLOR`` set and not empty: none)
and ``FORCE_COLOR`` (set and not empty: always).
"""

from __future__ import annotations

import os
from typing import IO, Any

_CODES = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33", "magenta": "35"}


def colour_enabled(stream: IO[Any]) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return is_terminal(stream) and os.environ.get("TERM") != "dumb"


def is_terminal(stream: IO[Any]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # replaced or closed streams
        return False


def in_ci() -> bool:
    """Whether a CI service runs us (they set ``CI``; ``CI=false`` or ``0`` means no)."""
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def paint(text: str, style: str | None, enabled: bool) -> str:
    if not enabled or not style:
        return text
    codes = ";".join(_CODES[part] for part in style.split("+"))
    return f"\033[{codes}m{text}\033[0m"
