"""Answering ``status`` and a nothing-to-do ``upgrade`` on SQLite before SQLAlchemy is imported.

A deploy or CI step that finds nothing to do should cost little more than
starting Python, and importing SQLAlchemy takes longer than the whole
answer. For a plain SQLite file URL this module reads the tracking table with
the standard library's ``sqlite3`` (read-only, one query) and hands the rows
to the same planning code the engine uses. Whenever the answer is not plain
-- another kind of URL, no tracking table yet, a row left unfinished, a
script to run -- it returns None and the engine does the work, so no
decision is ever taken here that the engine would take differently.

Reading without the run lock is safe: nothing is written, and a migrator
running at the same moment has either committed a script (seen as applied)
or not (seen as pending, which sends the command to the engine, which waits
for the lock).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sqlite3
from dataclasses import fields
from urllib.parse import quote

from .records import APPLIED, AppliedScript

# The URL forms whose file name needs no decoding; anything else goes to SQLAlchemy.
_SQLITE_FILE = re.compile(r"^sqlite(?:\+pysqlite)?:///(?P<path>[^?#%]+)$")
_COLUMNS = tuple(f.name for f in fields(AppliedScript))  # the tracking table's columns


def sqlite_path(url: str) -> str | None:
    """The database file of a plain ``sqlite:///path`` URL that exists, else None."""
    match = _SQLITE_FILE.match(url or "")
    if match is None or match["path"] == ":memory:":
        return None
    path = match["path"]
    return path if os.path.isfile(path) else None


def read_applied(url: str, table: str) -> dict[str, AppliedScript] | None:
    """Every row of the tracking table, or None when this cannot answer exactly."""
    path = sqlite_path(url)
    if path is None:
        return None
    name = table.replace('"', '""')
    try:
        # No waiting here: a file another process holds is the engine's to wait for,
        # as long as --lock-timeout says.
        connection = sqlite3.connect(f"file:{quote(os.path.abspath(path))}?mode=ro", uri=True,
                                     timeout=0)
    except sqlite3.Error:
        return None
    try:
        rows = connection.execute(f'SELECT {", ".join(_COLUMNS)} FROM "{name}"').fetchall()
    except sqlite3.Error:  # no tracking table (yet), an old layout, a locked or broken file
        return None
    finally:
        connection.close()
    applied = {}
    for row in rows:
        data = dict(zip(_COLUMNS, row))
        if data["state"] != APPLIED or not isinstance(data["version"], str):
            return None  # unfinished rows get the engine's full explanation
        try:
            data["applied_at"] = dt.datetime.fromisoformat(data["applied_at"]) if data["applied_at"] else None
        except (TypeError, ValueError):
            return None
        applied[data["version"]] = AppliedScript(**data)
    return applied


def status(settings, source=None):
    """The :class:`~lockgate.run.planning.Status` of a SQLite database, or None.

    :param source: the :class:`~lockgate.scripts.ScriptSource` to read, whose
        ``warnings`` then hold what discovery noticed (made from the settings when None).
    """
    from .run.planning import build_status
    from .scripts import ScriptSource

    applied = read_applied(settings.url, settings.table)
    if applied is None:
        return None
    source = source or ScriptSource(settings.package, settings.directory)
    return build_status(source.find(), applied, True)


def nothing_to_do(settings, strict: bool = False, source=None) -> tuple[str, list[str]] | None:
    """For a plain ``upgrade``: (the engine's nothing-to-do message, drift warnings), or None.

    None also when something is pending, or when ``strict`` and a script
    drifted (the engine then refuses with the full message). ``source`` as for :func:`status`.
    """
    from .run.planning import drift_messages, nothing_to_do as message, plan_upgrade
    from .scripts import ScriptSource

    applied = read_applied(settings.url, settings.table)
    if applied is None:
        return None
    scripts = (source or ScriptSource(settings.package, settings.directory)).find()
    if plan_upgrade(scripts, applied, None, None):
        return None
    drift = drift_messages(scripts, applied)
    if drift and strict:
        return None
    return message(scripts, applied), drift
