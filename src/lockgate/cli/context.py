"""What every command starts from: the settings, the migrator, and how a failure is told."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from .progress import ProgressPrinter

if TYPE_CHECKING:
    from ..config import Settings
    from ..engine import DBMigrator
    from ..errors import ScriptFailedError


def settings_from_args(args: argparse.Namespace) -> Settings:
    """Settings from every source, the command line's flags winning."""
    from ..config import load_settings

    flags = {"url": args.url, "table": args.table, "lock_timeout": args.lock_timeout,
             "ddl_lock_timeout": args.ddl_lock_timeout, "statement_timeout": args.statement_timeout}
    settings = load_settings(args.config, flags=flags)
    settings.default_config_missing = getattr(args, "default_config_missing", None)
    if args.package:
        settings.package, settings.directory = args.package, None
    elif args.directory:
        settings.package, settings.directory = None, os.path.abspath(args.directory)
    if settings.package or settings.models or settings.setup_metadata:
        # An application beside its ini file (or in its src/) need not be installed
        # to be found; appended, so an installed copy still wins.
        for folder in (settings.here, settings.here / "src"):
            if folder.is_dir() and str(folder) not in sys.path:
                sys.path.append(str(folder))
    return settings


def make_migrator(args: argparse.Namespace,
                  settings: Settings | None = None) -> tuple[DBMigrator, Settings]:
    """The migrator the settings describe, with its engine."""
    migrator, settings, _ = _migrator_and_printer(args, settings)
    return migrator, settings


def _migrator_and_printer(args: argparse.Namespace,
                          settings: Settings | None) -> tuple[DBMigrator, Settings, ProgressPrinter]:
    from ..engine import DBMigrator

    settings = settings or settings_from_args(args)
    if args.verbose:
        import logging
        logging.basicConfig()
        logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)
        logging.getLogger("lockgate.sql").setLevel(logging.DEBUG)  # SQL scripts bypass the engine
    # With --json stdout holds only the JSON; warnings still go to stderr.
    printer = ProgressPrinter(stdout_free=not getattr(args, "json", False), verbose=args.verbose)
    migrator = DBMigrator.from_settings(settings, progress=None if args.quiet else printer)
    return migrator, settings, printer


@contextmanager
def open_migrator(args: argparse.Namespace, settings: Settings) -> Iterator[DBMigrator]:
    """The migrator for one command; a failed script's message says what stayed applied.

    The engine is disposed when the command ends.
    """
    from ..errors import ScriptFailedError

    migrator, settings, printer = _migrator_and_printer(args, settings)
    try:
        yield migrator
    except ScriptFailedError as exc:
        printer.fail()  # not when the canonical schema of `setup` failed: no line is open
        exc.args = (explain_failure(exc, migrator, args.command),)
        raise
    finally:
        migrator.engine.dispose()
        warn_discovery(args, migrator.source.warnings)


def warn_discovery(args: argparse.Namespace, warnings: list[str]) -> None:
    """What discovery noticed in the scripts folder (files lockgate never runs), on stderr."""
    if not args.quiet:
        for line in warnings:
            print(f"warning: {line}", file=sys.stderr, flush=True)


def explain_failure(exc: ScriptFailedError, migrator: DBMigrator, command: str) -> str:
    """Add what happened to the transaction, and what is still applied, to a failure."""
    completed = getattr(exc, "completed", None)
    done = len(completed.runs) if completed else 0
    text = f"script {exc.version} failed.\n{exc}\n"
    again = f"`lockgate {command}`"
    reverting = command == "downgrade"
    row = "it is still recorded as applied" if reverting else "it is not recorded as applied"
    journal = "reverting" if reverting else "started"
    if migrator.adapter.transactional_ddl and not exc.partial:
        text += f"Its transaction was rolled back and {row}. Fix it and run {again} again."
    elif migrator.adapter.transactional_ddl:
        text += (f"{row[0].upper()}{row[1:]}. Undo the statements that stayed applied by hand "
                 f"(or make them safe to repeat, e.g. IF NOT EXISTS), then run {again} again.")
    elif not exc.partial:
        text += ("Nothing of it stayed applied (no statement that commits implicitly had run), "
                 f"and {row}. Fix it and run {again} again.")
    elif exc.version == "setup":
        text += (f"{migrator.engine.dialect.name} commits DDL statements at once, so the "
                 "statements before the failing one stay applied. Check the schema, undo them "
                 "by hand, then run setup again.")
    elif getattr(exc, "resumable", False):
        text += (f"{migrator.engine.dialect.name} commits DDL statements at once, so the "
                 f"statements before the failing one that had committed stay applied; the script is "
                 f"recorded as {journal}, with how far it got. Fix the failing statement in the file "
                 f"(leave the statements before it as they are) and run {again} again: it continues "
                 "the script where it stopped.")
    else:
        text += (f"{migrator.engine.dialect.name} commits DDL statements at once, so the "
                 f"statements before the failing one stay applied; the script is recorded as {journal}, "
                 "and the next run will stop until you settle it. Check the schema, finish or undo "
                 f"the changes by hand, then run `lockgate resolve {exc.version} --applied` or `--reverted`.")
    if not done and not reverting and "already exists" in str(exc) and not migrator.status().applied:
        text += (" If this database already has the schema the scripts build (it was made before "
                 "lockgate), record every script as applied without running it: `lockgate setup "
                 "--mark-applied`.")
    if done:
        text += (f" The {done} script{'s' if done != 1 else ''} before it in this run "
                 f"{'stay' if done != 1 else 'stays'} {'reverted' if reverting else 'applied'}.")
    return text


def report(args: argparse.Namespace, text: str) -> None:
    """Print a sentence for people, unless --quiet."""
    if text and not args.quiet:
        print(text)
