"""Checks that prove scripts sound before a deploy finds out, on throwaway databases.

* :func:`stairway`: every script, in order, is applied, reverted and applied
  again; the schema after the revert must equal the schema before the apply.
* :func:`head_matches_models`: running every script gives the models' schema.
* :func:`setup_equivalence`: the canonical schema (``schema.sql``) gives the
  same schema as running every script, the promise behind the two ways of
  ``set_up_migration``.
* :func:`commute`: a merged branch's late scripts give the same schema
  before and after the applied scripts they interleave with
  (:mod:`lockgate.schema.commute`).

Each check works on scratch databases made on the server of the URL it is
given (a temporary file for SQLite) and dropped afterwards, so the target
database itself is never touched. Each returns a :class:`CheckReport`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .errors import LockgateError
from .schema.scratch import scratch_engine
from .schema.snapshot import Snapshot, SnapshotReader, diff_snapshots, render_diff, take_snapshot

if TYPE_CHECKING:  # sqlalchemy and the engine are imported only when a check runs
    from pathlib import Path

    from sqlalchemy import MetaData
    from sqlalchemy.engine import URL, Engine

    from .config import Settings
    from .engine import DBMigrator
    from .scripts import Script
    from .schema.setups import HasMetaData, InitMigration
    from .schema.templates import MigratedTemplates

OK, FAILED, IRREVERSIBLE = "ok", "failed", "irreversible"


@dataclass
class Step:
    """One script's stairway step, or one whole comparison."""

    name: str
    outcome: str
    differences: list[str] = field(default_factory=list)
    detail: str = ""


@dataclass
class CheckReport:
    """The outcome of one check; ``ok`` is False when any step failed."""

    check: str
    steps: list[Step] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(step.outcome != FAILED for step in self.steps)

    @property
    def failures(self) -> list[Step]:
        return [step for step in self.steps if step.outcome == FAILED]

    def format(self) -> str:
        """The report as text: one line per step, then each failure's differences and diff."""
        lines = [f"{self.check}: {'passed' if self.ok else 'FAILED'}"]
        for step in self.steps:
            lines.append(f"  {step.outcome:<12} {step.name}")
            for difference in step.differences:
                lines.append(f"      - {difference}")
            if step.detail:
                lines.extend(f"      {line}" for line in step.detail.splitlines())
        return "\n".join(lines)


def _migrator(engine: Engine, package: str | None, directory: str | Path | None, table: str) -> DBMigrator:
    from .engine import DBMigrator

    return DBMigrator(engine, package, directory=directory, table=table)


# -- the checks ----------------------------------------------------------------


def stairway(url_or_engine: str | URL | Engine, package: str | None = None,
             directory: str | Path | None = None, *, table: str = "lockgate_versions") -> CheckReport:
    """Apply, revert and re-apply every script in turn, comparing the schema around each revert.

    A revert that leaves a table, column, index or constraint behind, or
    removes too much, fails the step, naming the script and the differences.
    Scripts without a downgrade are reported as irreversible and stay applied.
    The stairway stops at a script that cannot be applied.

    Its cost is the scripts plus a constant per step: the whole stairway is
    one run (one lock, one connection, the tracking table read once), each
    apply and revert goes through the runner every upgrade uses, and each
    snapshot re-reads only the tables the step changed (:class:`SnapshotReader`).

    :param url_or_engine: a URL or engine whose server (or SQLite) hosts the scratch database.
    """
    report = CheckReport("stairway")
    with scratch_engine(url_or_engine) as engine:
        migrator = _migrator(engine, package, directory, table)
        scripts = migrator.scripts()
        migrator.downgrade(all=True)  # nothing to revert: makes the tracking table, as any run does
        # Snapshots on a connection of their own in autocommit: no transaction is left open
        # on it to hold catalog locks the next script's DDL would wait for, and none is begun
        # and ended around each snapshot.
        with migrator._writing() as (lock, connection), \
                engine.connect().execution_options(isolation_level="AUTOCOMMIT") as looking:
            runner = migrator._runner(lock, scripts)
            try:
                _climb(_Steps(migrator, runner, connection, SnapshotReader((table,)), looking), scripts, report)
            finally:
                runner.close()
    return report


class _Steps:
    """What the stairway does to one script: run it either way, look at the schema."""

    def __init__(self, migrator: DBMigrator, runner, connection, reader: SnapshotReader, looking):
        self.migrator, self.runner, self.connection, self.reader = migrator, runner, connection, reader
        self.looking = looking
        self.checked: set[tuple[str, str]] = set()  # (version, direction) prechecked: its files do not change

    def run(self, script: Script, module, direction: str) -> None:
        """Apply or revert ``script`` as an upgrade would; raises what the upgrade would."""
        from .run.runner import precheck

        if (script.version, direction) not in self.checked:  # the re-apply needs no second look
            precheck([script], {script.version: module} if module else {}, direction,
                     self.migrator.adapter.split_dialect)
            self.checked.add((script.version, direction))
        self.runner.run(self.connection, script, direction, module, last=False)

    def snapshot(self) -> Snapshot:
        return self.reader.take(self.looking)


def _climb(steps: _Steps, scripts: list[Script], report: CheckReport) -> None:
    from .run.runner import DOWNGRADE, UPGRADE
    from .scripts import KIND_SQL, load_python_script

    for script in scripts:
        name = f"{script.version} ({script.main_file.name})"
        before = steps.snapshot()
        try:
            module = load_python_script(script) if script.kind != KIND_SQL else None
            steps.run(script, module, UPGRADE)
        except LockgateError as exc:
            report.steps.append(Step(name, FAILED, detail=f"upgrade failed: {exc}"))
            return
        if not (callable(getattr(module, "downgrade", None)) if module else "downgrade" in script.sql_files):
            report.steps.append(Step(name, IRREVERSIBLE, detail="no downgrade; left applied"))
            continue
        try:
            steps.run(script, module, DOWNGRADE)
        except LockgateError as exc:
            report.steps.append(Step(name, FAILED, detail=f"its downgrade failed: {exc}"))
            return
        after = steps.snapshot()
        differences = diff_snapshots(before, after)
        if differences:
            report.steps.append(Step(
                name, FAILED, differences,
                f"its downgrade does not restore the schema as it was before {script.version}:\n"
                + render_diff(before, after, "before upgrade", "after downgrade")))
        else:
            report.steps.append(Step(name, OK))
        try:
            steps.run(script, module, UPGRADE)
        except LockgateError as exc:
            report.steps.append(Step(name, FAILED, detail=f"re-apply after its downgrade failed: {exc}"))
            return


def head_matches_models(url_or_engine: str | URL | Engine, package: str | None = None,
                        directory: str | Path | None = None, *, models: MetaData | HasMetaData | str,
                        table: str = "lockgate_versions") -> CheckReport:
    """Compare the schema after every script with ``MetaData.create_all`` of the models.

    :param models: a ``MetaData``, a declarative base, or a ``module:attribute`` reference.
    """
    from .schema.modeldiff import compare_with_models
    from .schema.setups import MetaDataSetUp, object_from_reference

    target = object_from_reference(models) if isinstance(models, str) else models
    metadata = MetaDataSetUp(target).metadata
    report = CheckReport("head matches models")
    with scratch_engine(url_or_engine) as scripts_engine:
        try:
            _migrator(scripts_engine, package, directory, table).upgrade()
        except LockgateError as exc:
            report.steps.append(Step("running every script", FAILED, detail=str(exc)))
            return report
        # The same comparison as `check` and add_script (Alembic's autogenerate),
        # with each database's quirks handled once, by its adapter.
        delta = compare_with_models(scripts_engine, metadata, {table})
    name = "every script vs the models"
    if delta.empty:
        report.steps.append(Step(name, OK))
    else:
        report.steps.append(Step(name, FAILED, delta.differences,
                                 "what the models need that every script does not give:\n"
                                 + delta.upgrade_sql.strip()))
    return report


def setup_equivalence(url_or_engine: str | URL | Engine, package: str | None = None,
                      directory: str | Path | None = None, *, setup: InitMigration,
                      table: str = "lockgate_versions") -> CheckReport:
    """Compare the canonical schema (``setup``, an ``init_migration`` object) with every script run.

    Differences read from the scripts' side: ``missing`` is something the
    scripts make that the canonical schema lacks.
    """
    report = CheckReport("setup equivalence")
    with scratch_engine(url_or_engine) as scripts_engine, scratch_engine(url_or_engine) as setup_engine:
        try:
            _migrator(scripts_engine, package, directory, table).set_up_migration(run_scripts=True)
            _migrator(setup_engine, package, directory, table).set_up_migration(init_migration=setup)
        except LockgateError as exc:
            report.steps.append(Step("setting up both databases", FAILED, detail=str(exc)))
            return report
        expected = take_snapshot(scripts_engine, exclude=(table,))
        found = take_snapshot(setup_engine, exclude=(table,))
    report.steps.append(_compare("canonical schema vs every script", expected, found,
                                 "after every script", "canonical schema"))
    return report


def _compare(name: str, expected: Snapshot, found: Snapshot, expected_label: str, found_label: str) -> Step:
    differences = diff_snapshots(expected, found)
    if not differences:
        return Step(name, OK)
    detail = (f"differences read as {found_label} compared with {expected_label}:\n"
              + render_diff(expected, found, expected_label, found_label))
    return Step(name, FAILED, differences, detail)


def commute(settings: Settings, url: str | URL | Engine | None = None, *,
            always: bool = True) -> CheckReport | None:
    """Apply each out-of-order pending script and each newer applied one in both orders; compare.

    The target (``settings.url``) is only read, for which scripts it applied
    and in what order. With ``always`` False, None when there is nothing to check.
    """
    from .engine import DBMigrator
    from .schema.commute import MAX_PAIRS, check_commute

    if not settings.url and not always:
        return None  # no target: nothing applied, so nothing out of order
    report = CheckReport("commute")
    migrator = DBMigrator.from_settings(settings)
    try:
        found = check_commute(migrator, settings, url)
    finally:
        migrator.engine.dispose()
    if not found.pairs and not always:
        return None
    if not found.pairs:
        report.steps.append(Step("no pending script is older than an applied one", OK))
    for pair in found.pairs:
        report.steps.append(Step(pair.name, OK if pair.ok else FAILED, pair.differences, pair.detail))
    if found.skipped:
        report.steps.append(Step(f"{found.skipped} more pair(s), not checked (at most {MAX_PAIRS})",
                                 "skipped"))
    return report


# -- a test's own database ------------------------------------------------------


class FreshDatabase:
    """One test's database, made when first needed: a copy of a migrated template where it can be.

    Asked for a version before anything touched it, it becomes a copy of the
    session's template at that version (:class:`~lockgate.schema.templates.MigratedTemplates`);
    connected to first, it is made empty; asked for a version after the test
    changed it, the scripts run as an upgrade runs them.
    """

    def __init__(self, templates: MigratedTemplates):
        self.templates = templates
        self.url: URL | None = None
        self.made = False
        self._engine: Engine | None = None
        self._kept = False  # the engine is the copy's, kept with it by the templates
        self._migrator: DBMigrator | None = None

    @property
    def engine(self) -> Engine:
        """The engine on this test's database (named now, made on first connection if nothing else made it)."""
        if self._engine is None:
            from sqlalchemy import event

            from .database import create_engine_from_settings

            if self.url is None:
                self.url = self.templates.new_url()
            self._engine = create_engine_from_settings(self.url.render_as_string(hide_password=False),
                                                       self.templates.settings.engine_options)
            event.listen(self._engine, "do_connect", self._make_empty)
        return self._engine

    @property
    def migrator(self) -> DBMigrator:
        if self._migrator is None:
            from .engine import DBMigrator

            self._migrator = DBMigrator.from_settings(self.templates.settings, engine=self.engine)
        return self._migrator

    def _make_empty(self, *_connect_args) -> None:
        if not self.made and self.url is not None:
            self.templates.create_empty(self.url)
            self.made = True

    def migrate_to(self, version: str | int | None) -> Engine:
        """The engine, with the scripts up to ``version`` (None: all) applied."""
        key = None if version is None else str(version)
        if self._engine is None:  # nothing holds this database's name yet: a kept copy will do
            self.url = self.templates.checkout(key)
            self.made = True
            self._engine, self._kept = self.templates.engine_for(self.url), True
            return self._engine
        assert self.url is not None
        if self.made and not self._untouched():
            self.migrator.upgrade() if key is None else self.migrator.upgrade(to=key)
            return self.engine
        if self.made:
            self.engine.dispose()
            self.templates.drop(self.url)  # which forgets the copy's engine: this one is now the test's own
            self.made, self._kept = False, False
        self.templates.copy_to(self.url, key)
        self.made = True
        return self.engine

    def _untouched(self) -> bool:
        from sqlalchemy import inspect

        with self.engine.connect() as connection:
            inspector = inspect(connection)
            return not inspector.get_table_names() and not inspector.get_view_names()

    def drop(self) -> None:
        """Give the database back: kept for the next test where it can be reset, else dropped (on a server,
        while the next test runs)."""
        if self._engine is not None and not self._kept:
            self._engine.dispose()  # the copy's own engine keeps its connections for the next test
        if self.made and self.url is not None:
            self.templates.give_back(self.url)
            self.made = False


# -- every configured check ------------------------------------------------------


def setup_from_settings(settings: Settings) -> InitMigration | None:
    """The configured canonical schema as an ``init_migration`` object, or None."""
    from .schema.setups import MetaDataSetUp, SQLFileSetUp, object_from_reference

    if settings.setup_sql:
        return SQLFileSetUp(settings.setup_sql)
    if settings.setup_metadata:
        return MetaDataSetUp(object_from_reference(settings.setup_metadata))
    return None


def run_checks(settings: Settings, url: str | URL | Engine | None = None, *,
               only: str | None = None) -> list[CheckReport]:
    """Run the stairway, and the models and setup checks when configured (or just ``only``).

    :param settings: a :class:`~lockgate.config.Settings` naming the scripts, ``models``
        and the canonical schema.
    :param url: the server for the scratch databases; default ``settings.url``.
    :param only: ``"stairway"``, ``"models"``, ``"setup"`` or ``"commute"`` (by default
        commute runs only when pending scripts are older than applied ones).
    :raises ConfigError: when ``only`` asks for a check that is not configured.
    """
    from .errors import ConfigError

    url = url if url is not None else settings.require_url()
    package, directory, table = settings.package, settings.directory, settings.table
    setup = setup_from_settings(settings)
    if only == "models" and not settings.models:
        raise ConfigError("`lockgate test --only models` needs `models = package.module:Base` in the "
                          "[lockgate] section (or [tool.lockgate]) naming your SQLAlchemy models.")
    if only == "setup" and setup is None:
        raise ConfigError("`lockgate test --only setup` needs a canonical schema: set `setup_sql` "
                          "(a schema.sql) or `setup_metadata` in the [lockgate] section.")
    reports = []
    if only in (None, "stairway"):
        reports.append(stairway(url, package, directory, table=table))
    if only in (None, "models") and settings.models:
        reports.append(head_matches_models(url, package, directory, models=settings.models, table=table))
    if only in (None, "setup") and setup is not None:
        reports.append(setup_equivalence(url, package, directory, setup=setup, table=table))
    if only in (None, "commute"):
        found = commute(settings, url, always=only == "commute")
        reports += [found] if found is not None else []
    return reports
