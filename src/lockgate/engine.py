"""The migrator: read the tracking table once, plan, run each script in its own transaction.

``DBMigrator(engine, 'busy.migration')`` is the seed's API. Every method
returns data (:class:`Status`, :class:`RunResult`); printing is the command
line's business.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field

from .database import connect, create_engine_from_settings
from .dialects import adapter_for
from .errors import IrreversibleScriptError, ScriptFailedError, UnknownVersionError
from .execution import execute_python, execute_sql
from .scripts import KIND_SQL, Script, ScriptSource, load_python_script
from .tracking import AppliedScript, TrackingTable, applied_order

UPGRADE, DOWNGRADE = "upgrade", "downgrade"


@dataclass
class ScriptState:
    """One line of ``status``: a script on disk, an applied row, or both."""

    version: str
    title: str
    kind: str
    applied: AppliedScript | None
    script: Script | None
    out_of_order: bool = False

    @property
    def number(self) -> int:
        return int(self.version)

    @property
    def state(self) -> str:
        if self.applied and not self.script:
            return "missing"  # recorded, but its file is gone
        return "applied" if self.applied else "pending"

    def as_dict(self) -> dict:
        return {
            "version": self.version, "title": self.title, "kind": self.kind,
            "state": self.state, "out_of_order": self.out_of_order,
            "applied_at": self.applied.as_dict()["applied_at"] if self.applied else None,
            "execution_ms": self.applied.execution_ms if self.applied else None,
            "applied_by": self.applied.applied_by if self.applied else None,
        }


@dataclass
class Status:
    """Every script and applied row, in version order."""

    scripts: list[ScriptState]
    tracking_table_exists: bool

    @property
    def pending(self) -> list[ScriptState]:
        return [s for s in self.scripts if s.state == "pending"]

    @property
    def applied(self) -> list[ScriptState]:
        return [s for s in self.scripts if s.applied]

    def as_dict(self) -> dict:
        return {
            "tracking_table_exists": self.tracking_table_exists,
            "pending": len(self.pending), "applied": len(self.applied),
            "scripts": [s.as_dict() for s in self.scripts],
        }


@dataclass
class ScriptRun:
    """One script run in one direction."""

    version: str
    title: str
    direction: str
    execution_ms: int
    out_of_order: bool = False


@dataclass
class RunResult:
    """What a command did; ``adopted`` counts rows taken over from nous.migration."""

    runs: list[ScriptRun] = field(default_factory=list)
    adopted: int | None = None
    message: str | None = None


def _no_progress(event: str, script: Script, **info) -> None:
    pass


class DBMigrator:
    """Applies and reverts the scripts of one package or folder on one database.

    :param engine: a SQLAlchemy ``Engine`` or a URL string.
    :param package: dotted name of the package holding the scripts.
    :param directory: a folder holding the scripts, instead of a package.
    :param table: name of the tracking table.
    :param progress: called as ``progress(event, script, **info)`` with events
        ``"start"`` and ``"done"`` around every script run.
    """

    def __init__(self, engine, package: str | None = None, *, directory=None,
                 table: str = "lockgate_versions", legacy_table: str | None = "versions",
                 progress=None):
        if isinstance(engine, str):
            engine = create_engine_from_settings(engine)
        self.engine = engine
        self.source = ScriptSource(package, directory)
        self.tracking = TrackingTable(table, legacy_table)
        self.adapter = adapter_for(engine.dialect)
        self.progress = progress or _no_progress

    # -- reading ---------------------------------------------------------

    def scripts(self) -> list[Script]:
        return self.source.find()

    def status(self) -> Status:
        scripts = self.scripts()
        with self._session() as connection:
            with connection.begin():
                exists = self.tracking.exists(connection)
                applied = self.tracking.read(connection)
        return build_status(scripts, applied, exists)

    def pending(self) -> list[Script]:
        return [s.script for s in self.status().pending]

    def applied(self) -> list[AppliedScript]:
        return [s.applied for s in self.status().applied]

    def history(self) -> list[AppliedScript]:
        """Applied scripts in the order they were applied."""
        with self._session() as connection:
            with connection.begin():
                return applied_order(self.tracking.read(connection))

    def next_version(self) -> str | None:
        pending = self.status().pending
        return pending[0].version if pending else None

    # -- changing --------------------------------------------------------

    def upgrade(self, version=None, *, to=None) -> RunResult:
        """Apply pending scripts: all, exactly ``version``, or all up to ``to``.

        :raises UnknownVersionError: for a version no script has.
        :raises ScriptFailedError: when a script fails; earlier ones stay applied.
        """
        scripts = self.scripts()
        by_version = {s.version: s for s in scripts}
        with self._session() as connection:
            with connection.begin():
                adopted = self.tracking.ensure(connection, by_version)
                applied = self.tracking.read(connection)
            plan = plan_upgrade(scripts, applied, version, to)
            result = RunResult(adopted=adopted)
            if not plan:
                result.message = _nothing_message(version, applied)
            self._run(connection, plan, UPGRADE, applied, result)
        return result

    def downgrade(self, version=None, *, to=None, all: bool = False) -> RunResult:
        """Revert the most recently applied script, exactly ``version``, those after ``to``, or all.

        Every script to revert is checked for a downgrade before anything runs.

        :raises IrreversibleScriptError: naming scripts without a downgrade.
        """
        scripts = self.scripts()
        by_version = {s.version: s for s in scripts}
        with self._session() as connection:
            with connection.begin():
                adopted = self.tracking.ensure(connection, by_version)
                applied = self.tracking.read(connection)
            rows = plan_downgrade(applied, by_version, version, to, all)
            missing = [r.version for r in rows if r.version not in by_version]
            if missing:
                raise UnknownVersionError(
                    f"Cannot revert {', '.join(missing)}: applied, but its script is no longer in "
                    f"{self.source}. Restore the file (e.g. from version control) to revert it."
                )
            plan = [by_version[r.version] for r in rows]
            result = RunResult(adopted=adopted)
            if not plan:
                result.message = "Nothing to revert."
            self._run(connection, plan, DOWNGRADE, applied, result)
        return result

    def set_up_migration(self, init_migration=None, run_scripts: bool = False) -> bool:
        """Set up a database that lockgate has not touched yet.

        Returns False, doing nothing, when the tracking table exists (or a
        nous.migration one, which is adopted). Otherwise runs
        ``init_migration.upgrade(connection)`` when given, creates the tracking
        table, and either runs every script (``run_scripts=True``) or marks
        them all applied, and returns True.
        """
        scripts = self.scripts()
        modules = _load_modules(scripts) if run_scripts else {}
        with self._session() as connection:
            with connection.begin():
                self.adapter.begin_script(connection)
                if self.tracking.exists(connection):
                    return False
                if self.tracking.legacy_table(connection) is not None:
                    self.tracking.ensure(connection, {s.version: s for s in scripts})
                    return False
                if init_migration is not None:
                    init_migration.upgrade(connection)
                self.tracking.create(connection)
                if not run_scripts:
                    self.tracking.record_many(connection, scripts)
            if run_scripts:
                self._run(connection, scripts, UPGRADE, {}, RunResult(), modules)
        return True

    # -- internals -------------------------------------------------------

    @contextmanager
    def _session(self):
        with connect(self.engine) as connection:
            with self.adapter.session(connection):
                yield connection

    def _run(self, connection, plan: list[Script], direction: str, applied, result: RunResult,
             modules: dict | None = None) -> None:
        if modules is None:
            modules = _load_modules(plan)
        if direction == DOWNGRADE:
            _check_reversible(plan, modules)
        newest = max((a.number for a in applied.values()), default=None)
        for script in plan:
            out_of_order = direction == UPGRADE and newest is not None and script.number < newest
            self.progress("start", script, direction=direction, out_of_order=out_of_order)
            started = time.perf_counter()
            try:
                with connection.begin():
                    self.adapter.begin_script(connection)
                    self._execute(connection, script, direction, modules.get(script.version))
                    elapsed = round((time.perf_counter() - started) * 1000)
                    if direction == UPGRADE:
                        self.tracking.record(connection, script, elapsed)
                    else:
                        self.tracking.remove(connection, script.version)
            except ScriptFailedError as exc:
                exc.completed = result
                raise
            result.runs.append(ScriptRun(script.version, script.title, direction, elapsed, out_of_order))
            self.progress("done", script, direction=direction, execution_ms=elapsed)

    def _execute(self, connection, script: Script, direction: str, module) -> None:
        if module is not None:
            execute_python(connection, module, direction, script, self.adapter)
            return
        item = script.main_file if direction == UPGRADE else script.sql_files["downgrade"]
        execute_sql(connection, item.read_text(encoding="utf-8-sig"), self.adapter,
                    version=script.version, path=str(item))


def build_status(scripts: list[Script], applied: dict[str, AppliedScript], exists: bool) -> Status:
    newest = max((a.number for a in applied.values()), default=None)
    states = []
    for script in scripts:
        row = applied.get(script.version)
        late = row is None and newest is not None and script.number < newest
        states.append(ScriptState(script.version, script.title, script.kind, row, script, late))
    on_disk = {s.version for s in scripts}
    for row in applied.values():
        if row.version not in on_disk:
            states.append(ScriptState(row.version, row.title, row.kind, row, None))
    states.sort(key=lambda s: s.number)
    return Status(states, exists)


def _parse_version(value, what: str) -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        raise UnknownVersionError(
            f"{what} {value!r} is not a version: versions are the leading digits of a "
            "script's file name, like 201006231515."
        ) from None


def plan_upgrade(scripts: list[Script], applied, version=None, to=None) -> list[Script]:
    known = {s.number: s for s in scripts}
    if version is not None:
        number = _parse_version(version, "Version")
        if number not in known:
            raise _unknown(number, known)
        script = known[number]
        return [] if script.version in applied else [script]
    pending = [s for s in scripts if s.version not in applied]
    if to is not None:
        limit = _parse_version(to, "--to")
        if limit not in known and str(limit) not in applied:
            raise _unknown(limit, known)
        pending = [s for s in pending if s.number <= limit]
    return pending


def plan_downgrade(applied, by_version, version=None, to=None, all=False) -> list[AppliedScript]:
    newest_first = list(reversed(applied_order(applied)))
    if version is not None:
        number = _parse_version(version, "Version")
        if str(number) not in applied:
            if str(number) not in by_version:
                raise _unknown(number, {int(v): s for v, s in by_version.items()})
            return []
        return [applied[str(number)]]
    if all:
        return newest_first
    if to is not None:
        limit = _parse_version(to, "--to")
        if str(limit) not in applied and str(limit) not in by_version:
            raise _unknown(limit, {int(v): s for v, s in by_version.items()})
        return [a for a in newest_first if a.number > limit]
    return newest_first[:1]


def _load_modules(plan: list[Script]) -> dict:
    """Import every Python script of a plan first, so a broken one stops the run before it starts."""
    return {s.version: load_python_script(s) for s in plan if s.kind != KIND_SQL}


def _check_reversible(plan: list[Script], modules: dict) -> None:
    stuck = []
    for script in plan:
        module = modules.get(script.version)
        if module is not None:
            if not callable(getattr(module, "downgrade", None)):
                stuck.append(f"{script.main_file.name} has no downgrade() function")
        elif "downgrade" not in script.sql_files:
            stuck.append(f"{script.main_file.name} has no {script.version}_downgrade.sql")
    if stuck:
        raise IrreversibleScriptError(
            "Nothing was reverted, because "
            + "; ".join(stuck)
            + ". Such scripts are irreversible: add the downgrade, or revert the change by hand "
            "in a new script."
        )


def _unknown(number: int, known: dict) -> UnknownVersionError:
    near = sorted(known, key=lambda n: abs(n - number))[:3]
    hint = f" Nearest versions: {', '.join(str(n) for n in sorted(near))}." if near else ""
    return UnknownVersionError(
        f"No script has version {number}.{hint} Run `lockgate status` to list the scripts."
    )


def _nothing_message(version, applied) -> str:
    if version is not None:
        return f"Script {int(str(version).strip())} is already applied; nothing to do."
    return "The database is up to date; nothing to do."

