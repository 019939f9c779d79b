"""Running one script's SQL or Python on a connection, and naming what failed.

The engine owns transactions and the tracking row; this module only executes
and translates failures into :class:`ScriptFailedError` with file and line.
"""

from __future__ import annotations

import contextvars
import sys
import traceback
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING

from ..errors import LockgateError, ScriptFailedError
from ..sqlsplit import iter_statements

if TYPE_CHECKING:  # sqlalchemy is imported only once a script runs
    from sqlalchemy.engine import Connection

    from ..dialects.base import DialectAdapter
    from ..scripts import Script, Traversable
    from ..sqlsplit import Statement


@dataclass
class _Running:
    script: Script
    adapter: DialectAdapter
    connection: Connection
    transactional: bool = True


_current: contextvars.ContextVar[_Running | None] = contextvars.ContextVar("lockgate_running", default=None)


def run_sql_file(connection: Connection, name: str = "upgrade") -> int:
    """Run one of the current script's SQL files; the one-line helper for mixed scripts.

    Inside ``upgrade(connection)`` of ``201006231515_users.py``,
    ``run_sql_file(connection)`` runs ``201006231515_upgrade.sql`` and
    ``run_sql_file(connection, "downgrade")`` runs ``201006231515_downgrade.sql``;
    any other name is a file in the same package or folder.

    :returns: the number of statements run.
    :raises LockgateError: when called outside a running script or the file is missing.
    """
    running = _current.get()
    if running is None:
        raise LockgateError("run_sql_file() works only inside a script that lockgate is running.")
    script = running.script
    item: Traversable | None
    if name in script.sql_files:
        item = script.sql_files[name]
    else:
        item = script.main_file.parent / name if hasattr(script.main_file, "parent") else None
        if item is None or not item.is_file():
            raise LockgateError(
                f"{script.main_file.name} asked to run {name!r}, but there is no such file. "
                f"Add {script.version}_{name}.sql beside the script, or pass an existing file name."
            )
    return execute_sql(connection, item.read_bytes().decode("utf-8-sig"), running.adapter,
                       version=script.version, path=str(item), transactional=running.transactional)


def execute_sql(connection: Connection, text: str, adapter: DialectAdapter, *, version: str, path: str,
                transactional: bool = True) -> int:
    """Run SQL text statement by statement; a failure names file, line and the database's words.

    In a transaction, statements that would end it are refused (a whole-file
    ``BEGIN ... COMMIT`` wrapper is skipped instead).
    """
    from sqlalchemy.exc import DBAPIError

    from .txcontrol import TransactionControlCheck

    count = 0
    check = TransactionControlCheck(adapter.split_dialect, path) if transactional else None
    for statement in iter_statements(text, adapter.split_dialect):
        if check is not None and not check.admit(statement):
            continue  # a whole-file BEGIN ... COMMIT wrapper: the script's transaction is enough
        try:
            # no_parameters: the driver gets the text alone, so a '%' in it (LIKE 'a%')
            # is not read as a placeholder by psycopg or PyMySQL.
            connection.exec_driver_sql(statement.text, execution_options={"no_parameters": True})
        except DBAPIError as exc:
            raise statement_failed(exc, statement, version=version, path=path,
                                   partial=not adapter.transactional_ddl and count > 0) from exc
        count += 1
    if check is not None:
        check.finish()
    return count


def statement_failed(exc: BaseException, statement: Statement | None, *, version: str, path: str,
                     partial: bool) -> ScriptFailedError:
    """The error for a statement the database refused: file, line, its words, the statement.

    ``statement`` is None when the failure came at ``COMMIT`` (a deferred
    constraint), and has line 0 when it is one of lockgate's own statements.
    """
    message = database_message(exc)
    if statement is None:
        text, line = f"{path}: COMMIT failed: {message}", None
    elif statement.line == 0:
        text, line = (f"{path}: {message}\n  while running lockgate's own statement: "
                      f"{shorten(statement.text)}"), None
    else:
        text, line = (f"{path}, line {statement.line}: {message}\n"
                      f"  statement: {shorten(statement.text)}"), statement.line
    return ScriptFailedError(text, version=version, path=path, line=line, partial=partial)


def execute_python(connection: Connection, module: ModuleType, function: str, script: Script,
                   adapter: DialectAdapter) -> None:
    """Call ``upgrade``/``downgrade`` of a loaded script, with the failing line named.

    Anything the script raises fails the script, ``SystemExit`` and
    ``KeyboardInterrupt`` included: a script's ``sys.exit()`` must not end
    the run as if it had succeeded.
    """
    transactional = getattr(module, "transaction", True) is not False
    token = _current.set(_Running(script, adapter, connection, transactional))
    try:
        getattr(module, function)(connection)
    except ScriptFailedError:
        raise
    except BaseException as exc:
        filename = str(script.main_file)
        line = _line_in(exc, filename)
        where = f"{filename}, line {line}" if line else filename
        message = database_message(exc) if _is_dbapi_error(exc) else _describe(exc)
        raise ScriptFailedError(
            f"{where}: {function}() failed: {message}",
            version=script.version, path=filename, line=line,
            partial=not adapter.transactional_ddl,
        ) from exc
    finally:
        _current.reset(token)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, SystemExit):
        return (f"it called sys.exit({exc.code!r}); a script fails by raising an exception, and "
                "lockgate ends the run")
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted (Ctrl-C)"
    return f"{type(exc).__name__}: {exc}"


def database_message(exc: BaseException) -> str:
    """The driver's own message without SQLAlchemy's wrapping and SQL echo."""
    orig = getattr(exc, "orig", None)
    source = orig if orig is not None else exc
    text = str(source).strip()
    if getattr(source, "args", None) and isinstance(source.args[0], int):
        text = " ".join(str(a) for a in source.args)  # PyMySQL: (code, message)
    return text


def shorten(sql: str, limit: int = 200) -> str:
    flat = " ".join(sql.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _is_dbapi_error(exc: BaseException) -> bool:
    from sqlalchemy.exc import DBAPIError

    return isinstance(exc, DBAPIError)


def _line_in(exc: BaseException, filename: str) -> int | None:
    """The last line of the traceback that lies in the script's own file."""
    line = None
    for frame in traceback.extract_tb(exc.__traceback__ or sys.exc_info()[2]):
        if frame.filename == filename:
            line = frame.lineno
    return line
