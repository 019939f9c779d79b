"""The SQL that Python scripts send, watched while they run on a scratch database.

A Python script's SQL exists only when it runs, so lint runs the scripts, in
version order up to the last one asked about, on a scratch database beside
the configured one (see :mod:`lockgate.schema.scratch`), through the same
runner as ``upgrade``. Every statement the driver is sent while the call stack
passes through a script's own file belongs to that script, at the line of
that file that sent it; lockgate's own statements (its lock, its tracking
rows) are sent from no script's file and are not kept.
"""

from __future__ import annotations

import sys

from ..config import Settings
from ..errors import LockgateError, ScriptFailedError
from ..scripts import Script
from ..sqlsplit import Statement


def emitted_sql(settings: Settings, wanted: list[Script]) -> dict[str, list[Statement]]:
    """version -> the statements each script in ``wanted`` sent, in order, with its lines.

    :raises ScratchDatabaseError: when no scratch database can be made beside the URL.
    :raises LockgateError: when a script fails on the scratch database.
    """
    from sqlalchemy import event

    from ..engine import DBMigrator
    from ..schema.scratch import scratch_engine

    files = {str(script.main_file): script.version for script in wanted}
    captured: dict[str, list[Statement]] = {script.version: [] for script in wanted}

    def watch(connection, cursor, statement, parameters, context, executemany) -> None:
        frame = sys._getframe(1)
        while frame is not None:
            version = files.get(frame.f_code.co_filename)
            if version is not None:
                captured[version].append(Statement(statement.strip(), frame.f_lineno))
                return
            frame = frame.f_back  # type: ignore[assignment]

    last = max(wanted, key=lambda script: script.number).version
    with scratch_engine(settings.require_url(), engine_options=settings.engine_options) as engine:
        event.listen(engine, "before_cursor_execute", watch)
        try:
            DBMigrator.from_settings(settings, engine=engine).upgrade(to=last)
        except ScriptFailedError as exc:
            raise LockgateError(
                f"lint runs the scripts on a scratch database to see the SQL of Python scripts, and "
                f"one failed there: {exc} Fix the script, or lint only SQL files.") from exc
    return captured
