"""A Python script's ``upgrade``/``downgrade`` as the runner calls it, kept from ending lockgate's transaction."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from ..errors import ScriptFailedError
from .journal import Effects
from .statements import execute_python
from .txcontrol import transaction_control


class PythonBody:
    """A Python script's ``upgrade``/``downgrade``, kept from ending lockgate's transaction."""

    def __init__(self, script, direction, module):
        self.script, self.module, self.path = script, module, str(script.main_file)
        self.transactional = getattr(module, "transaction", True) is not False

    def run(self, connection, sink, direction, effects: Effects, adapter, journal=None) -> None:
        if not self.transactional:
            execute_python(connection, self.module, direction, self.script, adapter)
            return
        before = adapter.transaction_token(sink)
        guard = _Guard()
        try:
            with _guarded(connection, effects, adapter, guard):
                execute_python(connection, self.module, direction, self.script, adapter)
        except ScriptFailedError:
            if guard.ended is None:
                raise
        if guard.ended is None and adapter.transaction_token(sink) != before:
            guard.ended = "committed or rolled back on the driver's own connection"
        if guard.ended is not None:
            raise ScriptFailedError(
                f"{self.path}: {direction}() {guard.ended}, which would end the transaction lockgate "
                "runs it in, so the script and its tracking row could not commit together; it was "
                "rolled back as far as the database allows. Do not commit or roll back in a script "
                "(each runs in its own transaction; use connection.begin_nested() for a savepoint), "
                "or set `transaction = False` in the script to run it outside a transaction.",
                version=self.script.version, path=self.path, partial=not adapter.transactional_ddl)


class _Guard:
    """What a Python script did to end lockgate's transaction, if anything."""

    ended: str | None = None


class _TransactionEnded(Exception):
    """Raised inside a Python script that tries to end lockgate's transaction."""


@contextmanager
def _guarded(connection, effects: Effects, adapter, guard: _Guard):
    """Refuse COMMIT/ROLLBACK from a Python script before it happens; note MySQL's implicit commits."""

    def refuse(what: str):
        guard.ended = what
        raise _TransactionEnded(f"{what}: a script must not end the transaction lockgate runs it in")

    def on_commit(conn):
        refuse("called commit()")

    def on_rollback(conn):
        refuse("called rollback()")

    def before(conn, cursor, statement, *args):
        if transaction_control(statement, adapter.split_dialect) is not None:
            refuse(f"ran {' '.join(statement.split()[:2])!r}")
        effects.before(statement)

    def after(conn, cursor, statement, *args):
        effects.after(statement)

    hooks: list[tuple[str, Callable[..., Any]]] = [("commit", on_commit), ("rollback", on_rollback),
             ("before_cursor_execute", before), ("after_cursor_execute", after)]
    for name, hook in hooks:
        event.listen(connection, name, hook)
    try:
        yield
    finally:
        for name, hook in hooks:
            event.remove(connection, name, hook)
