"""Running a yoyo migration's steps inside a lockgate Python script.

Scripts imported from yoyo migrations with Python callables keep the
migration's source and call :func:`run_steps`. The source runs with its own
``step``/``group``/``transaction`` collecting steps (``from yoyo import step``
works too: yoyo finds the collector in the module's globals, and without yoyo
installed a stand-in module answers the import). Steps then run in lockgate's
transaction, as yoyo runs them: SQL strings on a DBAPI cursor without
parameters, callables given the DBAPI connection, rollbacks in reverse.

Limits: ``ignore_errors`` steps run inside a savepoint, which is rolled back
on error; yoyo's own backend object (``step(lambda conn: ...)`` receives the
DBAPI connection, never yoyo's backend) is not available.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
import types
from itertools import chain

logger = logging.getLogger("lockgate.importers.yoyo")


class _Step:
    def __init__(self, apply, rollback=None, ignore_errors=None):
        self.apply, self.rollback, self.ignore_errors = apply, rollback, ignore_errors

    def run(self, connection, dbapi, direction: str) -> None:
        action = self.apply if direction == "apply" else self.rollback
        if not action:
            return
        if self.ignore_errors not in (direction, "all"):
            _execute(dbapi, action)
            return
        try:
            with connection.begin_nested():
                _execute(dbapi, action)
        except Exception as exc:  # yoyo logs and carries on for ignore_errors steps
            logger.warning("ignored error in a yoyo step (ignore_errors=%s): %s", self.ignore_errors, exc)


class _Group(_Step):
    def __init__(self, steps, ignore_errors=None):
        super().__init__(None, None, ignore_errors)
        self.steps = steps

    def run(self, connection, dbapi, direction: str) -> None:
        steps = self.steps if direction == "apply" else list(reversed(self.steps))
        for step in steps:
            step.run(connection, dbapi, direction)


class StepCollector:
    """What ``step()`` and ``group()`` add to, in the order the migration calls them."""

    def __init__(self) -> None:
        self.steps: list[_Step] = []

    def add_step(self, apply, rollback=None, ignore_errors=None):
        step = _Step(apply, rollback, ignore_errors)
        self.steps.append(step)
        return step

    def add_step_group(self, *args, steps=None, ignore_errors=None):
        members = steps if steps is not None else list(
            chain(*(a if isinstance(a, (list, tuple)) else [a] for a in args)))
        for member in members:
            self.steps.remove(member)
        group = _Group(members, ignore_errors)
        self.steps.append(group)
        return group


def collect_steps(source: str, name: str = "<yoyo migration>") -> list[_Step]:
    """Run a yoyo migration's source and return its steps (nothing touches a database)."""
    collector = StepCollector()
    namespace = {"__name__": f"lockgate_yoyo_{abs(hash(name))}", "__file__": name,
                 "__yoyo_collector__": collector, "step": collector.add_step,
                 "group": collector.add_step_group, "transaction": collector.add_step_group}
    if importlib.util.find_spec("yoyo") is not None:  # yoyo's step() finds our collector
        exec(compile(source, name, "exec"), namespace)
        return collector.steps
    stand_in = types.ModuleType("yoyo")
    vars(stand_in).update(step=collector.add_step, group=collector.add_step_group,
                          transaction=collector.add_step_group)
    had_yoyo = "yoyo" in sys.modules
    previous = sys.modules.get("yoyo")  # None too when an import of yoyo is blocked
    sys.modules["yoyo"] = stand_in
    try:
        exec(compile(source, name, "exec"), namespace)
    finally:
        if not had_yoyo:
            sys.modules.pop("yoyo", None)
        else:
            # typeshed types sys.modules as dict[str, ModuleType], but None is a
            # documented value there (it makes the import fail) and is put back as found.
            sys.modules["yoyo"] = previous  # type: ignore[assignment]
    return collector.steps


def run_steps(source: str, connection, direction: str, *, name: str = "<yoyo migration>") -> None:
    """Apply (``direction="apply"``) or roll back (``"rollback"``) a yoyo migration's steps.

    :param connection: the SQLAlchemy connection lockgate gives the script.
    """
    steps = collect_steps(source, name)
    dbapi = connection.connection.driver_connection
    for step in (steps if direction == "apply" else reversed(steps)):
        step.run(connection, dbapi, direction)


def _execute(dbapi, action) -> None:
    if callable(action):
        action(dbapi)
        return
    cursor = dbapi.cursor()
    try:
        cursor.execute(action)
    finally:
        cursor.close()
