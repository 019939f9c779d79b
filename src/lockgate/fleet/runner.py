"""Run one command on many targets, a bounded number at a time, each with its own migrator.

Each target gets its own :class:`~lockgate.engine.DBMigrator`: its own engine,
connection, run lock and timeouts, exactly as a single ``lockgate upgrade`` on
it would. The lock is what makes two fleets over the same targets safe: each
script still runs once per database. Targets run on threads: the work is the
servers', and a thread costs far less than a process.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from ..config import Settings, load_settings, with_overrides
from ..errors import ConfigError, LockgateError, ScriptFailedError
from ..urls import scrub
from .report import FAILED, OK, QUEUED, RUNNING, SKIPPED, FleetResult, TargetResult
from .targets import Target, checked, make_target

COMMANDS = ("upgrade", "status", "verify", "check", "downgrade")
#: Called as ``on_event(event, result)`` from the worker threads: ``"start"`` and ``"finish"``.
EventHook = Callable[[str, TargetResult], None]
#: The longest error kept for one target: a paragraph, not a log.
ERROR_CHARS = 1500


class FleetInterrupted(LockgateError):
    """The fleet was interrupted (Ctrl-C, SIGTERM): this target stopped before its next script."""

    exit_code = 130


class Fleet:
    """Many databases migrated with the same scripts.

    ``Fleet(targets, package="app.migration").upgrade(jobs=8)`` returns a
    :class:`~lockgate.fleet.report.FleetResult`, one result per target.

    :param targets: :class:`~lockgate.fleet.targets.Target` objects or URL strings.
    :param package: dotted name of the package holding the scripts (or ``directory=``).
    :param settings: shared settings to start from (the command line's).
    :param options: any other setting (``table``, ``lock_timeout``...), checked as the
        configuration's are.
    :raises ConfigError: for a bad setting of the fleet or of any target, before anything connects.
    """

    def __init__(self, targets: Iterable[Target | str], package: str | None = None, *,
                 directory: str | None = None, settings: Settings | None = None,
                 environ: Mapping[str, str] | None = None, **options: object):
        values = {k: v for k, v in {**options, "package": package, "directory": directory}.items()
                  if v is not None}
        base = settings or Settings()
        self.base = with_overrides(base, values, Path.cwd(), "fleet settings") if values else base
        self.targets = checked([t if isinstance(t, Target) else make_target({"url": t}, "fleet targets")
                                for t in targets])
        self.environ = os.environ if environ is None else environ
        # Every target's settings are made (and so checked) before any target connects.
        self.settings = [self._settings_for(t) for t in self.targets]
        self.results: list[TargetResult] = []
        #: Set on Ctrl-C: running targets stop before their next script.
        self.interrupted = threading.Event()

    def _settings_for(self, target: Target) -> Settings:
        own = self.base
        if target.config:
            own = load_settings(target.config, environ={})  # the file's own URL, not LOCKGATE_URL
            if not (own.package or own.directory):
                own.package, own.directory = self.base.package, self.base.directory
        values = {**target.settings, **({"url": target.url} if target.url else {})}
        settings = with_overrides(own, values, Path.cwd(), f"target {target.name}")
        settings.url = target.connect_url(settings.require_url(), self.environ)
        return settings

    # -- the commands ------------------------------------------------------

    def upgrade(self, *, jobs: int = 4, canary: int = 0, fail_fast: bool = False, to: str | None = None,
                on_event: EventHook | None = None) -> FleetResult:
        """Apply pending scripts (all, or up to ``to``) on every target."""
        return self.run("upgrade", jobs=jobs, canary=canary, fail_fast=fail_fast, to=to, on_event=on_event)

    def downgrade(self, to: str, *, jobs: int = 4, canary: int = 0, fail_fast: bool = False,
                  on_event: EventHook | None = None) -> FleetResult:
        """Revert every script applied after ``to`` on every target."""
        return self.run("downgrade", jobs=jobs, canary=canary, fail_fast=fail_fast, to=to, on_event=on_event)

    def status(self, *, jobs: int = 4, on_event: EventHook | None = None) -> FleetResult:
        """Scripts applied and pending on every target; changes nothing."""
        return self.run("status", jobs=jobs, on_event=on_event)

    def verify(self, *, jobs: int = 4, on_event: EventHook | None = None) -> FleetResult:
        """Applied scripts checked against their files; a target with problems fails."""
        return self.run("verify", jobs=jobs, on_event=on_event)

    def check(self, *, jobs: int = 4, on_event: EventHook | None = None) -> FleetResult:
        """For CI: a target with pending scripts, or applied ones that differ from the files, fails."""
        return self.run("check", jobs=jobs, on_event=on_event)

    def run(self, command: str, *, jobs: int = 4, canary: int = 0, fail_fast: bool = False,
            to: str | None = None, on_event: EventHook | None = None) -> FleetResult:
        """``command`` on every target, ``jobs`` at a time.

        :param canary: run the first ``canary`` targets first; any failure there skips the rest.
        :param fail_fast: start no more targets after the first failure (else all run).
        """
        if command not in COMMANDS:
            raise ConfigError(f"A fleet runs {', '.join(COMMANDS)}, not {command!r}.")
        if jobs < 1 or canary < 0:
            raise ConfigError(f"--jobs must be 1 or more and --canary 0 or more (not {jobs} and {canary}).")
        if command == "downgrade" and not to:
            raise ConfigError("A fleet downgrade needs --to VERSION: the version every target goes back to.")
        self.results = [TargetResult(t.name, t.kind, t.shown()) for t in self.targets]
        started = time.monotonic()
        fleet = FleetResult(command, self.results)
        work = list(zip(self.targets, self.settings, self.results))
        first, rest = work[:canary], work[canary:]
        stop = threading.Event()
        emit = on_event or _no_event
        try:
            if first:
                self._pool(first, command, to, jobs, stop, True, emit)
                if stop.is_set():
                    fleet.stopped = (f"a canary target failed, so the other {len(rest)} were not started")
            if not stop.is_set():
                self._pool(rest, command, to, jobs, stop, fail_fast, emit)
                if stop.is_set():
                    fleet.stopped = "a target failed and --fail-fast stopped the run"
        finally:
            for result in self.results:  # not started: a stop, or Ctrl-C
                if result.state in (QUEUED, RUNNING):
                    result.state = SKIPPED
            fleet.seconds = time.monotonic() - started
        return fleet

    def _pool(self, work, command: str, to: str | None, jobs: int, stop: threading.Event,
              stop_on_failure: bool, emit: EventHook) -> None:
        if not work:
            return
        with ThreadPoolExecutor(max_workers=min(jobs, len(work)), thread_name_prefix="lockgate-fleet") as pool:
            futures = [pool.submit(self._one, target, settings, result, command, to, stop, stop_on_failure, emit)
                       for target, settings, result in work]
            try:
                for future in as_completed(futures):
                    future.result()
            except BaseException:  # Ctrl-C: no target starts, running ones stop before their next script
                stop.set()
                self.interrupted.set()
                pool.shutdown(wait=True, cancel_futures=True)
                raise

    def _one(self, target: Target, settings: Settings, result: TargetResult, command: str,
             to: str | None, stop: threading.Event, stop_on_failure: bool, emit: EventHook) -> None:
        if stop.is_set():
            result.state = SKIPPED
            emit("finish", result)
            return
        result.started = started = time.monotonic()
        result.state = RUNNING
        emit("start", result)
        try:
            _perform(command, settings, result, to, self.interrupted)
        except Exception as exc:  # every failure is this target's, told in its result
            _fail(result, exc, settings.url)
        result.seconds = time.monotonic() - started
        if result.state == RUNNING:
            result.state = OK
        if result.state == FAILED and stop_on_failure:
            stop.set()
        emit("finish", result)


def _no_event(event: str, result: TargetResult) -> None:
    pass


def _perform(command: str, settings: Settings, result: TargetResult, to: str | None,
             interrupted: threading.Event) -> None:
    """One command on one target, with a migrator of its own, disposed of at the end."""
    from ..engine import DBMigrator
    from ..run.planning import verify

    def progress(event: str, script, **info) -> None:
        if event == "start" and interrupted.is_set():
            raise FleetInterrupted(
                f"Interrupted before script {script.version} ({script.title}); the scripts before it "
                "stay applied. Run the fleet again (with --only-failed) to finish.")
        if event == "start":
            result.total, result.done = info.get("total"), info.get("position", 1) - 1
        elif event == "done":
            result.done += 1

    migrator = DBMigrator.from_settings(settings, progress=progress)
    try:
        if command in ("upgrade", "downgrade"):
            run = migrator.upgrade(to=to) if command == "upgrade" else migrator.downgrade(to=to)
            result.total = result.total or 0
            result.detail = {"versions": [r.version for r in run.runs], "warnings": run.warnings}
            return
        status = migrator.status()
        result.done, result.total = len(status.applied), len(status.scripts)
        found = verify(status)
        result.detail = {"pending": [s.version for s in status.pending],
                         **{k: v for k, v in found.as_dict().items() if k != "ok"}}
        problems = [f"{k.replace('_', ' ')}: {', '.join(v)}" for k, v in result.detail.items()
                    if v and (k != "pending" or command == "check") and command != "status"]
        if problems:
            result.state, result.exit_code = FAILED, 1
            result.error = "; ".join(problems) + "."
    finally:
        migrator.engine.dispose()


def _fail(result: TargetResult, exc: Exception, url: str | None) -> None:
    """The failure as one paragraph, with no password in it."""
    if isinstance(exc, ScriptFailedError):
        text = f"script {exc.version} failed: {exc}"
        completed = getattr(exc, "completed", None)
        if completed is not None:
            result.done = len(completed.runs)
    elif isinstance(exc, LockgateError):
        text = str(exc)
    else:
        text = f"{type(exc).__name__}: {exc}"
    text = " ".join(text.split())
    if len(text) > ERROR_CHARS:
        text = text[:ERROR_CHARS - 3] + "..."
    result.state = FAILED
    result.error = scrub(text, url) if url else text
    result.exit_code = getattr(exc, "exit_code", 1)
