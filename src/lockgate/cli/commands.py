"""Every command: one small function each, registered in :data:`COMMANDS`.

A command takes the parsed arguments, calls the library, prints what it
returns, and gives the exit code. :data:`COMMANDS` is the one list of them:
the parser's subcommands and the dispatch are both built from it.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from .. import output
from ..terminal import colour_enabled
from .arguments import (add_script_arguments, check_arguments, downgrade_arguments, json_arguments,
                        resolve_arguments, setup_arguments, test_arguments, upgrade_arguments)
from .import_command import add_import_arguments, import_dialect, print_import
from .lint_command import add_lint_arguments, print_lint, run_lint
from .context import make_migrator, open_migrator, report, settings_from_args, warn_discovery
from .fleet_command import add_fleet_arguments, fleet
from .progress import ProgressPrinter
from .split_command import add_split_arguments, print_statements, split_dialect

if TYPE_CHECKING:
    from ..config import Settings
    from ..records import RunResult
    from ..schema.setups import MetaDataSetUp, SQLFileSetUp


def status(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    from .. import quickread  # SQLite answered before SQLAlchemy is imported
    from ..scripts import ScriptSource

    quick = not args.verbose and quickread.sqlite_path(settings.url or "") is not None
    source = ScriptSource(settings.package, settings.directory) if quick else None
    found = quickread.status(settings, source) if quick else None
    if found is None or source is None:
        with open_migrator(args, settings) as migrator:
            found = migrator.status()
    else:
        warn_discovery(args, source.warnings)
    print(output.to_json(found.as_dict()) if args.json else output.format_status(found, colour_enabled(sys.stdout)))
    return 0


def upgrade(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    if args.dry_run:
        with open_migrator(args, settings) as migrator:
            plan = migrator.plan(args.version, to=args.to)
            print(output.to_json([output.script_dict(s) for s in plan]) if args.json
                  else output.format_plan(plan, migrator.adapter))
        return 0
    if args.locks or args.on_target or args.shadow_url:
        return _locks(args, settings)
    if not (args.rehearse or args.version or args.to or args.verbose) and _nothing_to_do(args, settings):
        return 0
    with open_migrator(args, settings) as migrator:
        result = (migrator.rehearse(args.version, to=args.to) if args.rehearse
                  else migrator.upgrade(args.version, to=args.to, strict=args.strict))
    _print_run(args, result)
    return 0


def _locks(args: argparse.Namespace, settings: Settings) -> int:
    """``upgrade --rehearse --locks``: the lock report of a rehearsal, on a copy unless --on-target."""
    from ..errors import ConfigError
    from ..lockreport import lock_report

    if not (args.locks and args.rehearse):
        raise ConfigError("--locks goes with --rehearse, and --on-target and --shadow-url with "
                          "--locks: run `lockgate upgrade --rehearse --locks` (the locks are read "
                          "inside a rehearsal, which is rolled back).")
    with open_migrator(args, settings) as migrator:
        found = lock_report(migrator, settings, on_target=args.on_target, shadow_url=args.shadow_url,
                            version=args.version, to=args.to)
    print(output.to_json(found.as_dict()) if args.json else found.format())
    return 0


def _nothing_to_do(args: argparse.Namespace, settings: Settings) -> bool:
    """A nothing-to-do ``upgrade`` on SQLite, answered before SQLAlchemy is imported.

    False when :mod:`lockgate.quickread` cannot answer exactly; the engine then does.
    """
    from .. import quickread
    from ..records import RunResult
    from ..scripts import ScriptSource

    if quickread.sqlite_path(settings.url or "") is None:
        return False
    source = ScriptSource(settings.package, settings.directory)
    answer = quickread.nothing_to_do(settings, strict=args.strict, source=source)
    if answer is None:
        return False
    message, drift = answer
    warn_discovery(args, source.warnings)
    if not args.quiet:
        for line in drift:
            ProgressPrinter().warn(line)
    _print_run(args, RunResult(message=message, warnings=drift))
    return True


def downgrade(args: argparse.Namespace) -> int:
    with open_migrator(args, settings_from_args(args)) as migrator:
        if args.dry_run:
            plan = migrator.plan_revert(args.version, to=args.to, all=args.all)
            print(output.to_json([output.script_dict(s) for s in plan]) if args.json
                  else output.format_plan(plan, migrator.adapter, "downgrade"))
            return 0
        result = migrator.downgrade(args.version, to=args.to, all=args.all)
    _print_run(args, result)
    return 0


def _print_run(args: argparse.Namespace, result: RunResult) -> None:
    if args.json:
        print(output.to_json(output.run_dict(result)))
    else:
        report(args, output.format_run(result))


def setup(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    with open_migrator(args, settings) as migrator:
        init = None if args.run_scripts or args.mark_applied else _canonical_schema(settings)
        result = migrator.setup(init_migration=init, run_scripts=init is None and not args.mark_applied)
    report(args, output.format_setup(result))
    return 0


def _canonical_schema(settings: Settings) -> SQLFileSetUp | MetaDataSetUp | None:
    from ..schema.setups import MetaDataSetUp, SQLFileSetUp, object_from_reference

    if settings.setup_sql:
        return SQLFileSetUp(settings.setup_sql)
    if settings.setup_metadata:
        return MetaDataSetUp(object_from_reference(settings.setup_metadata))
    return None


def next_version(args: argparse.Namespace) -> int:
    with open_migrator(args, settings_from_args(args)) as migrator:
        version = migrator.next_version()
    if args.json:
        print(output.to_json({"next_version": version}))
    elif version:
        print(version)
    elif not args.quiet:
        print("No pending scripts.", file=sys.stderr)
    return 0


def history(args: argparse.Namespace) -> int:
    with open_migrator(args, settings_from_args(args)) as migrator:
        applied = migrator.history()
    print(output.to_json([a.as_dict() for a in applied]) if args.json else output.format_history(applied))
    return 0


def verify(args: argparse.Namespace) -> int:
    with open_migrator(args, settings_from_args(args)) as migrator:
        found = migrator.verify()
    print(output.to_json(found.as_dict()) if args.json else output.format_verification(found))
    return 0 if found.ok else 1


def resolve(args: argparse.Namespace) -> int:
    with open_migrator(args, settings_from_args(args)) as migrator:
        resolution = migrator.resolve(args.version, applied=args.applied)
    report(args, output.format_resolution(resolution))
    return 0


def test(args: argparse.Namespace) -> int:
    from ..testing import run_checks

    settings = settings_from_args(args)
    with open_migrator(args, settings) as migrator:
        reports = run_checks(settings, migrator.engine.url, only=args.only)
    print("\n\n".join(found.format() for found in reports))
    failed = [found.check for found in reports if not found.ok]
    if failed:
        print(f"Failed: {', '.join(failed)}.", file=sys.stderr)
    return 1 if failed else 0


def add_script(args: argparse.Namespace) -> int:
    """Needs no database unless `models` is set, so no migrator is made here."""
    from ..authoring.new_script import add_script as create

    created = create(settings_from_args(args), args.title, kind=args.kind,
                     shadow_url=args.shadow_url, edit=args.edit)
    for path in created.paths:
        print(path)
    for line in created.notes:
        report(args, line)
    for line in created.warnings:
        print(f"warning: {line}", file=sys.stderr)
    return 0


def check(args: argparse.Namespace) -> int:
    from ..schema.modeldiff import check as compare, format_check

    settings = settings_from_args(args)
    with open_migrator(args, settings) as migrator:
        found = compare(migrator, settings, shadow_url=args.shadow_url)
        # JSON lists pending scripts as data, like `upgrade --dry-run --json`, not as sentences.
        pending = [output.script_dict(s.script) for s in migrator.status().pending
                   if s.script is not None] if args.json else []
    if args.json:
        print(output.to_json({"ok": found.ok, "pending": pending, "differences": found.differences,
                              "models_checked": found.models_checked, "commute": found.commute}))
    else:
        print(format_check(found), file=sys.stdout if found.ok else sys.stderr)
    return 0 if found.ok else 1


def split(args: argparse.Namespace) -> int:
    """Print each statement of a file with its line, as a migration would run them; no database."""
    from ..errors import ConfigError
    from ..sqlsplit import iter_statements

    try:
        stream = open(args.file, encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise ConfigError(f"Cannot read {args.file}: {exc.strerror or exc}. "
                          "Give the path of a UTF-8 .sql file.") from exc
    with stream:
        dialect = args.dialect or split_dialect(args)
        try:  # streamed, statement by statement: a dump of any size is fine
            count = print_statements(args, iter_statements(stream, dialect))
        except UnicodeDecodeError as exc:
            raise ConfigError(f"Cannot read {args.file}: it is not UTF-8 text ({exc.reason}). "
                              "Save it as UTF-8 and try again.") from exc
    if not args.json:
        report(args, f"{count} statement{'s' if count != 1 else ''} ({dialect})")
    return 0


def lint(args: argparse.Namespace) -> int:
    """Report statements that would lock or break a live database; exit 1 when there are any."""
    report = run_lint(args, settings_from_args(args))
    print_lint(args, report)
    return 0 if report.ok else 1


def import_(args: argparse.Namespace) -> int:
    """Write scripts for another tool's migrations; with --mark-applied, mark what it applied."""
    from ..authoring.new_script import script_folder
    from ..importers.importing import import_migrations

    settings = settings_from_args(args)
    if args.into:
        settings.package, settings.directory = None, os.path.abspath(args.into)
        into = Path(settings.directory)
    else:
        into = script_folder(settings)
    migrator = make_migrator(args, settings)[0] if args.mark_applied else None
    try:
        result = import_migrations(args.tool, Path(args.folder), into, migrator=migrator,
                                   dialect=args.dialect or import_dialect(settings))
    finally:
        if migrator is not None:
            migrator.engine.dispose()
    print_import(args, result, into)
    return 0


Command = tuple[Callable[[argparse.Namespace], int], str,
                Callable[[argparse.ArgumentParser], None] | None]

#: name -> (function, help text, function adding the command's own arguments, or None).
#: In the order ``lockgate --help`` lists them.
COMMANDS: dict[str, Command] = {
    "status": (status, "list every script and whether it is applied", json_arguments),
    "upgrade": (upgrade, "apply pending scripts (all, exactly VERSION, or --to VERSION)", upgrade_arguments),
    "downgrade": (downgrade, "revert the newest applied script, exactly VERSION, --to VERSION or --all",
                  downgrade_arguments),
    "setup": (setup, "set up a new database: install the canonical schema or run every script",
              setup_arguments),
    "next_version": (next_version, "print the version of the first pending script", json_arguments),
    "history": (history, "list applied scripts with when, how long, by whom and from which commit",
                json_arguments),
    "verify": (verify, "check applied scripts against their files: changed, missing, out of order",
               json_arguments),
    "resolve": (resolve, "settle a script a stopped run left unfinished: --applied or --reverted",
                resolve_arguments),
    "test": (test, "prove the scripts on scratch databases: stairway, models, canonical schema, "
                           "branch order", test_arguments),
    "add_script": (add_script, "create a new script (version, slug, template, models' delta) and add it "
                               "to git/hg", add_script_arguments),
    "check": (check, "for CI: fail when scripts are pending or the models differ from the scripts",
              check_arguments),
    "split": (split, "preview how a .sql file is cut into statements; connects to nothing",
              add_split_arguments),
    "lint": (lint, "report statements that would lock or break a live database (exit 1 when any); "
                   "--sarif for code scanning", add_lint_arguments),
    "import": (import_, "turn Alembic revisions or yoyo migrations into scripts; --mark-applied adopts "
                        "a migrated database", add_import_arguments),
    "fleet": (fleet, "run upgrade, status, verify, check or downgrade --to on many databases or schemas, "
                     "a few at a time", add_fleet_arguments),
}


def run_command(args: argparse.Namespace) -> int:
    """Run the command ``args.command`` names; its exit code."""
    function = COMMANDS[args.command][0]
    return function(args)
