"""The migrator: lock, read the tracking table once, plan, run each script safely.

``DBMigrator(engine, 'busy.migration')`` is the seed's API. Every method
returns data (:class:`Status`, :class:`RunResult`, :class:`Verification`);
printing is the command line's business.
"""

from __future__ import annotations

from contextlib import contextmanager, nullcontext

from .config import (DEFAULT_LEGACY_TABLE, DEFAULT_LOCK_TIMEOUT, DEFAULT_TABLE, Settings,
                     check_table_name, parse_duration, parse_seconds)
from .database import create_engine_from_settings
from .dialects import adapter_for
from .dialects.base import NO_LOCK, AdapterOptions
from .errors import (ConnectionLostError, DriftError, IrreversibleScriptError,
                     LockgateError, LockLostError, ScriptFailedError, UnknownVersionError)
from .failures import translate
from .run.planning import (Status, Verification, build_status, drift_messages, nothing_to_do, order_warning, parse_version,
                       plan_downgrade, plan_upgrade, unknown_version, verify)
from .records import Resolution, RunResult, ScriptRun, SetupResult
from .run.journal import to_continue, unfinished_error
from .run.runner import DOWNGRADE, UPGRADE, ScriptRunner, precheck
from .scripts import KIND_SQL, Script, ScriptSource, load_python_script
from .tracking import APPLIED, AppliedScript, TrackingTable, applied_order, new_run_id
from .vcs import Revisions


def _no_progress(event: str, script: Script | None, **info) -> None:
    pass


class DBMigrator:
    """Applies and reverts the scripts of one package or folder on one database.

    :param engine: a SQLAlchemy ``Engine`` or a URL string.
    :param package: dotted name of the package holding the scripts.
    :param directory: a folder holding the scripts, instead of a package.
    :param table: name of the tracking table; the run lock is keyed on it.
    :param legacy_table: nous.migration's table to adopt when lockgate's is missing.
    :param lock_timeout: seconds to wait for another migrator to finish.
    :param ddl_lock_timeout: PostgreSQL ``lock_timeout`` for each script (e.g. "5s"); off if None.
    :param statement_timeout: PostgreSQL ``statement_timeout`` for each script; off if None.
    :param progress: called as ``progress(event, script, **info)``: events ``"start"``
        (``position=`` n of ``total=``) and ``"done"`` around every script,
        ``"position"`` (``done=`` characters read of ``total=`` bytes) during long SQL files, ``"waiting"`` (script None, ``holder=``)
        when another migrator holds the lock, ``"drift"`` (``message=``) for
        applied scripts changed on disk.
    """

    def __init__(self, engine, package: str | None = None, *, directory=None,
                 table: str = DEFAULT_TABLE, legacy_table: str | None = DEFAULT_LEGACY_TABLE,
                 lock_timeout: float | None = DEFAULT_LOCK_TIMEOUT, ddl_lock_timeout=None,
                 statement_timeout=None, progress=None):
        # Every value is checked here, before anything connects: a bad one is a ConfigError.
        self.lock_timeout = None if lock_timeout is None else parse_seconds(lock_timeout, "lock_timeout")
        options = AdapterOptions(parse_duration(ddl_lock_timeout, "ddl_lock_timeout"),
                                 parse_duration(statement_timeout, "statement_timeout"),
                                 busy_timeout_s=self.lock_timeout)
        if isinstance(engine, str):
            engine = create_engine_from_settings(engine)
        self.engine = engine
        self.source = ScriptSource(package, directory)
        self.adapter = adapter_for(engine.dialect, options)
        self.tracking = TrackingTable(table, legacy_table, self.adapter.timestamp_type())
        check_table_name(table, engine.dialect)
        self.progress = progress or _no_progress
        self.run_id: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings, *, engine=None, progress=None) -> DBMigrator:
        """The migrator the settings describe: the one way every caller builds it.

        :param engine: an engine to use instead of one made from ``settings.url``
            (a scratch or shadow database).
        """
        if engine is None:
            engine = create_engine_from_settings(settings.require_url(), settings.engine_options)
        return cls(engine, settings.package, directory=settings.directory, table=settings.table,
                   legacy_table=settings.legacy_table, lock_timeout=settings.lock_timeout,
                   ddl_lock_timeout=settings.ddl_lock_timeout,
                   statement_timeout=settings.statement_timeout, progress=progress)

    # -- reading ---------------------------------------------------------

    def scripts(self) -> list[Script]:
        return self.source.find()

    def status(self) -> Status:
        scripts = self.scripts()
        if self.adapter.database_missing(self.engine):
            return build_status(scripts, {}, False)  # reading must not create the file
        with self._database_errors(), self._session() as connection:
            with connection.begin():
                exists = self.tracking.exists(connection)
                applied = self.tracking.read(connection, exists)
        return build_status(scripts, applied, exists)

    def pending(self) -> list[Script]:
        return [s.script for s in self.status().pending if s.script is not None]

    def applied(self) -> list[AppliedScript]:
        return [s.applied for s in self.status().applied if s.applied is not None]

    def history(self) -> list[AppliedScript]:
        """Applied scripts in the order they were applied."""
        if self.adapter.database_missing(self.engine):
            return []
        with self._database_errors(), self._session() as connection:
            with connection.begin():
                return applied_order(self.tracking.read(connection))

    def next_version(self) -> str | None:
        pending = self.status().pending
        return pending[0].version if pending else None

    def verify(self) -> Verification:
        """Applied scripts whose files changed or vanished, late arrivals and unfinished runs.

        Checksums ignore line endings and trailing whitespace, so only real edits count.
        """
        return verify(self.status())

    def plan(self, version=None, *, to=None) -> list[Script]:
        """The scripts ``upgrade`` would run, in order, without changing anything.

        Everything the upgrade checks before it starts is checked here too
        (Python scripts import, SQL files are UTF-8 and keep their transaction),
        so a dry run fails where the upgrade would.
        """
        status = self.status()
        applied = {s.version: s.applied for s in status.recorded}
        plan = plan_upgrade([s.script for s in status.scripts if s.script], applied, version, to)
        precheck(plan, _load_modules(plan), UPGRADE, self.adapter.split_dialect)
        return plan

    # -- changing --------------------------------------------------------

    def upgrade(self, version=None, *, to=None, strict: bool = False) -> RunResult:
        """Apply pending scripts: all, exactly ``version``, or all up to ``to``.

        Applied scripts whose files changed since are reported as warnings, or
        refused before anything runs with ``strict=True``.

        :raises UnknownVersionError: for a version no script has.
        :raises HalfMigratedError: when an earlier run stopped inside a script.
        :raises DriftError: with ``strict`` when applied scripts changed on disk.
        :raises ScriptFailedError: when a script fails; earlier ones stay applied.
        """
        scripts = self.scripts()
        with self._writing() as (lock, connection):
            applied, adopted, resume = self._prepare(connection, scripts, lock, UPGRADE)
            if resume is not None:  # an earlier run stopped inside it: it goes first
                applied = {v: a for v, a in applied.items() if v != resume[0].version}
            plan = plan_upgrade(scripts, applied, version, to)
            plan = [resume[0]] + [s for s in plan if s is not resume[0]] if resume else plan
            result = RunResult(adopted=adopted)
            result.warnings = self._drift(scripts, applied, strict)
            self._warn(result, order_warning(UPGRADE, plan, scripts, applied))
            if not plan:
                result.message = nothing_to_do(scripts, applied, version, to)
            self._run(connection, lock, plan, UPGRADE, applied, result, resume=resume)
        return result

    def rehearse(self, version=None, *, to=None, watch=None) -> RunResult:
        """Run the pending scripts in one transaction and roll it back: proof they apply.

        :param watch: a :class:`~lockgate.run.lockwatch.LockWatch` reading each statement's locks.
        :raises LockgateError: on databases whose DDL commits implicitly, and for
            scripts that must run outside a transaction.
        :raises ScriptFailedError: when a pending script would fail.
        """
        if not self.adapter.transactional_ddl:
            raise LockgateError(
                f"{self.engine.dialect.name} commits DDL statements implicitly, so a rehearsal "
                "could not be rolled back; nothing was run. Rehearse on a copy of the database, "
                "or on PostgreSQL or SQLite.")
        scripts = self.scripts()
        with self._writing() as (lock, connection):
            with connection.begin():
                lock.barrier(connection)  # first: it sets lock_timeout for itself, then back
                self.adapter.begin_script(connection, timeouts=True)
                self._pin(connection)
                applied = self.tracking.read(connection)
                _refuse_unfinished(applied)
                plan = plan_upgrade(scripts, applied, version, to)
                modules = _load_modules(plan)
                precheck(plan, modules, UPGRADE, self.adapter.split_dialect)
                result = RunResult(rehearsal=True)
                if not plan:
                    result.message = nothing_to_do(scripts, applied, version, to)
                self.tracking.ensure(connection, {s.version: s for s in scripts})
                runner = self._runner(lock, plan, rehearsal=True, watch=watch)
                try:
                    for position, script in enumerate(plan, 1):
                        self.progress("start", script, direction=UPGRADE, out_of_order=False,
                                      position=position, total=len(plan))
                        elapsed = runner.run(connection, script, UPGRADE, modules.get(script.version))
                        result.runs.append(ScriptRun(script.version, script.title, UPGRADE, elapsed))
                        self.progress("done", script, direction=UPGRADE, execution_ms=elapsed)
                finally:
                    runner.close()
                connection.rollback()
        return result

    def downgrade(self, version=None, *, to=None, all: bool = False) -> RunResult:
        """Revert the most recently applied script, exactly ``version``, those after ``to``, or all.

        Every script to revert is checked for a downgrade before anything runs.

        :raises IrreversibleScriptError: naming scripts without a downgrade.
        """
        scripts = self.scripts()
        with self._writing() as (lock, connection):
            applied, adopted, resume = self._prepare(connection, scripts, lock, DOWNGRADE)
            plan = self._revert_plan(scripts, applied, version, to, all)
            if resume is not None:  # an earlier run stopped reverting it: it goes first
                rest = [] if version is None and to is None and not all else plan
                plan = [resume[0]] + [s for s in rest if s.version != resume[0].version]
            result = RunResult(adopted=adopted)
            if version is not None:
                self._warn(result, order_warning(DOWNGRADE, plan, scripts, applied))
            if not plan:
                result.message = "Nothing to revert."
            self._run(connection, lock, plan, DOWNGRADE, applied, result, resume=resume)
        return result

    def plan_revert(self, version=None, *, to=None, all: bool = False) -> list[Script]:
        """The scripts ``downgrade`` would revert, newest first, without changing anything.

        Everything the downgrade checks before it starts is checked here too.
        """
        scripts = self.scripts()
        status = self.status()
        plan = self._revert_plan(scripts, {s.version: s.applied for s in status.recorded}, version, to, all)
        modules = _load_modules(plan)
        _check_reversible(plan, modules)
        precheck(plan, modules, DOWNGRADE, self.adapter.split_dialect)
        return plan

    def _revert_plan(self, scripts, applied, version, to, all) -> list[Script]:
        by_version = {s.version: s for s in scripts}
        rows = plan_downgrade(applied, by_version, version, to, all)
        missing = [r.version for r in rows if r.version not in by_version]
        if missing:
            raise UnknownVersionError(
                f"Cannot revert {', '.join(missing)}: applied, but its script is no longer in "
                f"{self.source}. Restore the file (e.g. from version control) to revert it.")
        return [by_version[r.version] for r in rows]

    def resolve(self, version, *, applied: bool) -> Resolution:
        """Settle a script by hand after a run stopped inside it (or mark one applied/reverted).

        ``applied=True`` records the script as applied (its changes are all in
        place); ``applied=False`` removes its row (none of them are).
        """
        number = str(parse_version(version))
        scripts = self.scripts()
        by_version = {s.version: s for s in scripts}
        with self._writing() as (lock, connection):
            with connection.begin():
                self.adapter.begin_script(connection)
                lock.barrier(connection)
                self._pin(connection)
                self.tracking.ensure(connection, by_version, self.run_id)
                rows = self.tracking.read(connection)
                row = rows.get(number)
                if applied:
                    if number not in by_version:
                        raise unknown_version(int(number), {int(v): s for v, s in by_version.items()}, rows)
                    script = by_version[number]
                    if row is None:
                        self.tracking.record(connection, script, None, run_id=self.run_id)
                        return Resolution(number, script.title, "marked-applied")
                    if row.state == APPLIED:
                        return Resolution(number, script.title, "already-applied", row.state)
                    self.tracking.mark(connection, number, row.state, APPLIED, checksum=script.checksum,
                                       run_id=self.run_id, journal=None)
                    return Resolution(number, script.title, "marked-applied", row.state)
                title = by_version[number].title if number in by_version else None
                if row is None:
                    return Resolution(number, title, "not-recorded")
                self.tracking.remove(connection, number, row.state)
                return Resolution(number, title, "marked-reverted", row.state)

    def set_up_migration(self, init_migration=None, run_scripts: bool = False) -> bool:
        """Set up a database that lockgate has not touched yet.

        Returns False, doing nothing, when the tracking table exists (or a
        nous.migration one, which is adopted). Otherwise runs
        ``init_migration.upgrade(connection)`` when given, creates the tracking
        table, and either runs every script (``run_scripts=True``) or marks
        them all applied, and returns True.
        """
        return bool(self.setup(init_migration, run_scripts))

    def setup(self, init_migration=None, run_scripts: bool = False) -> SetupResult:
        """:meth:`set_up_migration`, saying what was done (false when nothing was)."""
        scripts = self.scripts()
        modules = _load_modules(scripts) if run_scripts else {}
        if run_scripts:
            precheck(scripts, modules, UPGRADE, self.adapter.split_dialect)
        with self._writing() as (lock, connection):
            with connection.begin():
                self.adapter.begin_script(connection)
                lock.barrier(connection)
                self._pin(connection)
                if self.tracking.exists(connection):
                    # An empty table is what a first upgrade that failed leaves behind:
                    # the database is not set up yet.
                    self.tracking.upgrade_format(connection)
                    if self.tracking.read(connection, exists=True):
                        return SetupResult(False)
                if self.tracking.legacy_table(connection) is not None:
                    adopted = self.tracking.ensure(connection, {s.version: s for s in scripts}, self.run_id)
                    return SetupResult(False, adopted=adopted or 0)
                if init_migration is not None:
                    init_migration.upgrade(connection)
                self.tracking.create(connection)
                if not run_scripts:
                    self.tracking.record_many(connection, scripts, self.run_id)
            if run_scripts:
                self._run(connection, lock, scripts, UPGRADE, {}, RunResult(), modules)
        how = "scripts" if run_scripts else "schema" if init_migration is not None else "marked"
        return SetupResult(True, how=how, scripts=len(scripts))

    # -- internals -------------------------------------------------------

    @contextmanager
    def _session(self):
        with self.adapter.connect(self.engine) as connection:
            with self.adapter.session(connection):
                yield connection

    @contextmanager
    def _writing(self):
        """The run lock and the connection that scripts run on, for a command that writes.

        Each such command is one run with a token of its own (``run_id``),
        written into every tracking row it writes.
        """
        self.run_id = new_run_id()
        with self._database_errors(), self._locked() as lock, self._session() as connection:
            try:
                yield lock, connection
            finally:
                lock.release(connection)

    def _locked(self):
        """The run lock on the tracking table, held until the command ends."""
        if self.lock_timeout is None:
            return nullcontext(NO_LOCK)
        on_wait = lambda holder: self.progress("waiting", None, holder=holder)  # noqa: E731
        return self.adapter.run_lock(self.engine, self.tracking.name, self.lock_timeout, on_wait)

    @contextmanager
    def _database_errors(self):
        """Everyday database errors (rights, read-only files, lost servers) in plain words."""
        from sqlalchemy.exc import DBAPIError

        try:
            yield
        except DBAPIError as exc:
            translated = translate(exc, self.engine.url, lock_timeout=self.lock_timeout)
            if translated is None:
                raise
            raise translated from exc

    def _pin(self, connection) -> None:
        """Name the tracking table with its schema, so no script's session change can move it."""
        self.tracking.pin(self.adapter.tracking_schema(connection, self.tracking.name))

    def _prepare(self, connection, scripts, lock, direction: str):
        """Wait out an earlier run's last script, create or adopt the tracking table, read it.

        Returns the rows, the number adopted, and (script, journal) when an
        earlier run stopped inside a script that this run continues, else None.

        :raises HalfMigratedError: when an earlier run stopped inside a script it cannot continue.
        """
        with connection.begin():
            self.adapter.begin_script(connection)
            lock.barrier(connection)
            self._pin(connection)
            adopted = self.tracking.ensure(connection, {s.version: s for s in scripts}, self.run_id)
            applied = self.tracking.read(connection, exists=True)
            stuck = sorted((a for a in applied.values() if a.state != APPLIED), key=lambda a: a.number)
            journals = {a.version: self.tracking.journal_of(connection, a.version) for a in stuck[:1]}
        return applied, adopted, to_continue(scripts, stuck, journals, direction == UPGRADE,
                                             self.adapter.split_dialect)

    def _runner(self, lock, plan, *, rehearsal: bool = False, warn=None, watch=None) -> ScriptRunner:
        return ScriptRunner(self.adapter, self.tracking, lock, run_id=self.run_id or new_run_id(),
                            revisions=Revisions(plan[0].folder if plan else None),
                            progress=self.progress, rehearsal=rehearsal, warn=warn, watch=watch)

    def _warn(self, result: RunResult, message: str | None) -> None:
        if message:
            result.warnings.append(message)
            self.progress("warning", None, message=message)

    def _drift(self, scripts, applied, strict: bool) -> list[str]:
        messages = drift_messages(scripts, applied)
        if messages and strict:
            raise DriftError(
                "Refusing to upgrade (--strict) because applied scripts differ from the files: "
                + "; ".join(messages) + ". Restore the files as they were applied, or run "
                "`lockgate verify` for the full list.")
        for message in messages:
            self.progress("drift", None, message=message)
        return messages

    def _run(self, connection, lock, plan: list[Script], direction: str, applied, result: RunResult,
             modules: dict | None = None, resume=None) -> None:
        if modules is None:
            modules = _load_modules(plan)
        if direction == DOWNGRADE:
            _check_reversible(plan, modules)
        precheck(plan, modules, direction, self.adapter.split_dialect)
        if not plan:
            return
        runner = self._runner(lock, plan, warn=lambda message: self._warn(result, message))
        newest = max((a.number for a in applied.values()), default=None)
        try:
            for position, script in enumerate(plan, 1):
                out_of_order = direction == UPGRADE and newest is not None and script.number < newest
                self.progress("start", script, direction=direction, out_of_order=out_of_order,
                              position=position, total=len(plan))
                try:
                    elapsed = runner.run(connection, script, direction, modules.get(script.version),
                                         last=position == len(plan),
                                         resume=resume[1] if resume and resume[0] is script else None)
                except ScriptFailedError as exc:
                    exc.completed = result
                    raise
                except (ConnectionLostError, LockLostError) as exc:
                    raise _stopped(exc, script, direction, result, self.adapter) from exc.__cause__
                result.runs.append(ScriptRun(script.version, script.title, direction, elapsed,
                                             out_of_order))
                self.progress("done", script, direction=direction, execution_ms=elapsed)
        finally:
            runner.close()


def _stopped(exc, script: Script, direction: str, result: RunResult, adapter):
    """A run that lost its server or its lock: the same error, saying what stayed done."""
    done = [run.version for run in result.runs]
    verb = "applied" if direction == UPGRADE else "reverted"
    kept = (f"This run {verb} {len(done)} script(s) before that ({', '.join(done[:5])}"
            f"{', ...' if len(done) > 5 else ''}), each committed with its tracking row. " if done
            else f"No script of this run was {verb} before that. ")
    if done and isinstance(exc, ConnectionLostError) and adapter.asynchronous_commits:
        kept += ("If the server itself crashed, it may have undone the last of them, each whole "
                 "and with its row (only a run's final commit waits for the disk). ")
    if getattr(exc, "partial", False) and getattr(exc, "resumable", False):
        rest = (f"Script {script.version} ({script.title}) was not finished; this database commits "
                "DDL as it goes, so its statements up to the last DDL statement that ran are in "
                f"place, and its tracking row says how far it got: `lockgate {direction}` continues "
                "it at its first statement that did not commit.")
    elif getattr(exc, "partial", False):
        rest = (f"Script {script.version} ({script.title}) was not finished, and this database "
                "commits DDL as it goes, so part of it may be in place: the next run stops on it "
                f"(exit 5) until you check the schema and settle it with `lockgate resolve "
                f"{script.version} --applied` or `--reverted`.")
    else:
        rest = (f"Script {script.version} ({script.title}) was not finished. Running the command "
                "again is safe: it continues with what is still to do.")
    exc.args = (f"{exc} {kept}{rest}",)
    exc.completed = result
    return exc


def _refuse_unfinished(applied: dict[str, AppliedScript]) -> None:
    stuck = [a for a in applied.values() if a.state != APPLIED]
    if stuck:
        raise unfinished_error(min(stuck, key=lambda a: a.number), None, None)


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
