"""The command line: parse arguments, call the library, print its results.

Two spellings of one program. ``lockgate [options] COMMAND`` and the seed's
``migrate CONFIG ACTION [VERSION]`` (CONFIG defaults to development.ini and
ACTION to upgrade, as nous.migration did).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from .terminal import colour_enabled, in_ci, is_terminal

EXIT_CODES = """\
exit codes:
  0  success, including "nothing to do"
  1  a script failed or was refused, `verify` found problems, or an
     unexpected error
  2  bad usage or configuration: unknown command or version, missing
     section, package or directory, badly named or non-UTF-8 scripts,
     broken .py script, a SQL script that would end its own transaction,
     a missing privilege
  3  the database cannot be reached, or the connection was lost mid-run
  4  another migration held the lock longer than --lock-timeout (or
     another process the SQLite file), or this run lost its lock
  5  an earlier run stopped inside a script and the database may be
     half-migrated (MariaDB/MySQL): see `resolve`
"""

COMMANDS = {
    "status": "list every script and whether it is applied",
    "upgrade": "apply pending scripts (all, exactly VERSION, or --to VERSION)",
    "downgrade": "revert the newest applied script, exactly VERSION, --to VERSION or --all",
    "setup": "set up a new database: install the canonical schema or run every script",
    "next_version": "print the version of the first pending script",
    "history": "list applied scripts with when, how long, by whom and from which commit",
    "verify": "check applied scripts against their files: changed, missing, out of order",
    "resolve": "settle a script a stopped run left unfinished: --applied or --reverted",
    "test": "prove the scripts on scratch databases: stairway, models, canonical schema",
    "add_script": "create a new script (version, slug, template, models' delta) and add it to git/hg",
    "check": "for CI: fail when scripts are pending or the models differ from the scripts",
    "split": "preview how a .sql file is cut into statements; connects to nothing",
    "import": "turn Alembic revisions or yoyo migrations into scripts; --mark-applied adopts a migrated database",
}
ALIASES = {"next-version": "next_version", "add-script": "add_script"}


def _add_common(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """Options accepted before and after the command (after: never override with defaults)."""
    default = None if top else argparse.SUPPRESS
    group = parser.add_argument_group("configuration")
    group.add_argument("-c", "--config", metavar="FILE", default=default,
                       help="ini file (PasteDeploy) or pyproject.toml")
    group.add_argument("--url", default=default, help="database URL (else LOCKGATE_URL, DATABASE_URL, the ini file)")
    where = group.add_mutually_exclusive_group()
    where.add_argument("--package", metavar="DOTTED", default=default, help="package holding the scripts")
    where.add_argument("--directory", metavar="DIR", default=default, help="folder holding the scripts")
    group.add_argument("--table", metavar="NAME", default=default, help="tracking table (default lockgate_versions)")
    group.add_argument("--lock-timeout", metavar="SECONDS", default=default,
                       help="wait this long for another migration to finish (default 300)")
    group.add_argument("--ddl-lock-timeout", metavar="DURATION", default=default,
                       help="PostgreSQL: fail a script that waits longer than this for a table lock (e.g. 5s)")
    group.add_argument("--statement-timeout", metavar="DURATION", default=default,
                       help="PostgreSQL: fail a statement that runs longer than this (e.g. 10min)")
    group.add_argument("-v", "--verbose", action="store_true", default=False if top else argparse.SUPPRESS,
                       help="show the SQL being run and tracebacks")
    group.add_argument("-q", "--quiet", action="store_true", default=False if top else argparse.SUPPRESS,
                       help="print only errors and requested data")


def build_parser(prog: str = "lockgate") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog, description="Database schema migrations for SQLAlchemy.",
        epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_common(parser, top=True)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, text in COMMANDS.items():
        aliases = [a for a, target in ALIASES.items() if target == name]
        sub = commands.add_parser(name, help=text, description=text, aliases=aliases)
        _add_common(sub, top=False)
        if name in ("status", "history", "verify", "next_version", "upgrade", "downgrade", "check"):
            sub.add_argument("--json", action="store_true",
                             help="print what was done (or the plan, with --dry-run) as JSON"
                             if name in ("upgrade", "downgrade") else "print JSON for machines")
        if name == "upgrade":
            mode = sub.add_mutually_exclusive_group()
            mode.add_argument("--dry-run", action="store_true",
                              help="print the plan and the SQL of SQL scripts; change nothing")
            mode.add_argument("--rehearse", action="store_true",
                              help="run the pending scripts in one transaction and roll it back")
            sub.add_argument("--strict", action="store_true",
                             help="refuse to run when applied scripts changed on disk")
        if name == "resolve":
            sub.add_argument("version", help="the script to settle")
            outcome = sub.add_mutually_exclusive_group(required=True)
            outcome.add_argument("--applied", action="store_true",
                                 help="all of its changes are in place: record it as applied")
            outcome.add_argument("--reverted", action="store_true",
                                 help="none of its changes are in place: forget it, upgrade runs it again")
        if name in ("upgrade", "downgrade"):
            sub.add_argument("version", nargs="?", help="exactly this script")
            sub.add_argument("--to", metavar="VERSION",
                             help="all pending scripts up to VERSION" if name == "upgrade"
                             else "revert every script applied after VERSION")
        if name == "downgrade":
            sub.add_argument("--all", action="store_true", help="revert every applied script")
        if name == "add_script":
            sub.add_argument("title", help="what the script does; the file name is a slug of it")
            sub.add_argument("--type", dest="kind", choices=("sql", "py", "mixed"), default="sql",
                             help="sql (default), py, or mixed (Python running SQL files)")
            sub.add_argument("--edit", action="store_true", help="open $VISUAL/$EDITOR (only on a terminal)")
        if name in ("add_script", "check"):
            sub.add_argument("--shadow-url", metavar="URL",
                             help="empty scratch database to apply the scripts to for comparing with `models`")
        if name == "setup":
            how = sub.add_mutually_exclusive_group()
            how.add_argument("--run-scripts", action="store_true",
                             help="run every script even when a canonical schema is configured")
            how.add_argument("--mark-applied", action="store_true",
                             help="mark every script applied without running anything (a database "
                                  "whose schema is already in place)")
        if name == "split":
            _add_split_arguments(sub)
        if name == "import":
            from .importers.command import add_import_arguments
            add_import_arguments(sub)
        if name == "test":
            sub.add_argument("--only", choices=("stairway", "models", "setup"),
                             help="run only this check (default: every configured check)")
    return parser


def normalise_argv(argv: list[str], *, seed_defaults: bool) -> list[str]:
    """Accept ``CONFIG ACTION [VERSION]`` by turning a leading file name into ``-c FILE``."""
    argv = list(argv)
    if argv and not argv[0].startswith("-") and argv[0] not in COMMANDS and argv[0] not in ALIASES:
        argv = ["-c", argv[0]] + argv[1:]
    if seed_defaults:
        has_config = any(a in ("-c", "--config") or a.startswith("--config=") for a in argv)
        has_url = any(a == "--url" or a.startswith("--url=") for a in argv)
        if not has_config and not has_url and os.path.exists("development.ini"):
            argv = ["-c", "development.ini"] + argv
        if not any(a in COMMANDS or a in ALIASES for a in argv if not a.startswith("-")):
            argv.append("upgrade")
    return argv


def main(argv: list[str] | None = None, prog: str = "lockgate", seed_defaults: bool = False) -> int:
    argv = normalise_argv(sys.argv[1:] if argv is None else argv, seed_defaults=seed_defaults)
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help(sys.stderr)
        return 2
    args.command = ALIASES.get(args.command, args.command)
    from .errors import LockgateError

    try:
        return run_command(args)
    except LockgateError as exc:
        if args.verbose:
            import traceback
            traceback.print_exc()
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:  # a bug: say so plainly, traceback only on request
        if args.verbose:
            import traceback
            traceback.print_exc()
        print(f"{prog}: unexpected error: {type(exc).__name__}: {exc}\n"
              f"Run again with -v for the traceback, and please report it.", file=sys.stderr)
        return 1


def migrate_main(argv: list[str] | None = None) -> int:
    """The seed's ``migrate [CONFIG] [ACTION] [VERSION]``."""
    return main(argv, prog="migrate", seed_defaults=True)


def add_migration_script_main(argv: list[str] | None = None) -> int:
    """The seed's ``add_migration_script TITLE [CONFIG]``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0].startswith("-"):
        print("usage: add_migration_script TITLE [CONFIG] [--type sql|py|mixed] [--edit]", file=sys.stderr)
        return 2
    title, rest = argv[0], argv[1:]
    config = rest.pop(0) if rest and not rest[0].startswith("-") else None
    if config is None and os.path.exists("development.ini"):
        config = "development.ini"
    head = ["-c", config] if config else []
    return main(head + ["add_script", title] + rest, prog="add_migration_script")


def _add_script(args) -> int:
    """``add_script`` needs no database unless `models` is set, so it skips make_migrator."""
    from .authoring import add_script

    settings = settings_from_args(args)
    created = add_script(settings, args.title, kind=args.kind, shadow_url=args.shadow_url, edit=args.edit)
    for path in created.paths:
        print(path)
    for line in created.notes:
        _report(args, line)
    for line in created.warnings:
        print(f"warning: {line}", file=sys.stderr)
    return 0


def settings_from_args(args):
    """Settings from every source, the command line's flags winning."""
    from .config import load_settings

    flags = {"url": args.url, "table": args.table, "lock_timeout": args.lock_timeout,
             "ddl_lock_timeout": args.ddl_lock_timeout, "statement_timeout": args.statement_timeout}
    settings = load_settings(args.config, flags=flags)
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


def make_migrator(args, settings=None):
    """The migrator the settings describe, with its engine."""
    from .engine import DBMigrator

    settings = settings or settings_from_args(args)
    if args.verbose:
        import logging
        logging.basicConfig()
        logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)
        logging.getLogger("lockgate.sql").setLevel(logging.DEBUG)  # SQL scripts bypass the engine
    # With --json stdout holds only the JSON; warnings still go to stderr.
    progress = None if args.quiet else _print_progress
    _print_progress.stdout_free = not getattr(args, "json", False)
    _print_progress.verbose = args.verbose
    return DBMigrator.from_settings(settings, progress=progress), settings


def _print_progress(event: str, script, **info) -> None:
    """Per-script lines ("[2/5] Applying ... done in 12 ms"), not in CI logs unless -v."""
    terminal = is_terminal(sys.stdout)
    per_script = _print_progress.stdout_free and (terminal or not in_ci() or _print_progress.verbose)
    if event == "start" and per_script:
        verb = "Applying" if info["direction"] == "upgrade" else "Reverting"
        late = " (out of order)" if info.get("out_of_order") else ""
        total = info.get("total") or 1
        counter = f"[{info['position']}/{total}] " if total > 1 else ""
        _print_progress.line = f"{counter}{verb} {script.version} {script.title}{late} ..."
        _print_progress.started = time.monotonic()
        print(_print_progress.line, end="", flush=True)
        _print_progress.line_open = True
    elif event == "position" and terminal and _print_progress.stdout_free:  # a long SQL file: how far it has got
        done, total = info["done"], info.get("total")
        where = f"{min(99, done * 100 // total)}%" if total else f"{done / 1e6:.0f} MB read"
        where += f", {time.monotonic() - _print_progress.started:.0f} s"
        print(f"\r{_print_progress.line} {where:<20}", end="", flush=True)
    elif event == "done" and per_script:
        if terminal:
            print(f"\r{_print_progress.line}", end="")
        print(f" done in {info['execution_ms']} ms" + " " * 16 * terminal, flush=True)
        _print_progress.line_open = False
    elif event == "waiting":
        print(f"Waiting for the migration lock, held by {info['holder']} ...", file=sys.stderr, flush=True)
    elif event == "drift":
        print(f"warning: {info['message']}", file=sys.stderr, flush=True)


_print_progress.line_open = False  # an "Applying ..." line waits for its ending
_print_progress.line = ""
_print_progress.started = 0.0
_print_progress.verbose = False
_print_progress.stdout_free = True


def run_command(args) -> int:
    from . import output

    if args.command == "add_script":
        return _add_script(args)
    if args.command == "split":
        return _split(args)
    if args.command == "import":
        from .importers.command import run_import
        return run_import(args)
    settings = settings_from_args(args)
    quick = _quick_answer(args, settings, output)
    if quick is not None:
        return quick
    migrator, settings = make_migrator(args, settings)
    _print_progress.line_open = False
    try:
        return _dispatch(args, migrator, settings, output)
    except Exception as exc:
        from .errors import ScriptFailedError
        if isinstance(exc, ScriptFailedError):
            if _print_progress.line_open:  # not when the canonical schema of `setup` failed
                print(" failed", file=sys.stdout, flush=True)
                _print_progress.line_open = False
            exc.args = (_explain_failure(exc, migrator, args.command),)
        raise
    finally:
        migrator.engine.dispose()


def _quick_answer(args, settings, output) -> int | None:
    """``status`` or a nothing-to-do ``upgrade`` on SQLite, answered before SQLAlchemy is imported.

    None when :mod:`lockgate.quickread` cannot answer exactly; the engine then does.
    """
    plain_upgrade = args.command == "upgrade" and not (
        args.version or args.to or args.dry_run or args.rehearse)
    if args.verbose or not (plain_upgrade or args.command == "status"):
        return None
    from . import quickread

    if args.command == "status":
        status = quickread.status(settings)
        if status is None:
            return None
        print(output.to_json(status.as_dict()) if args.json else output.format_status(status, colour_enabled(sys.stdout)))
        return 0
    answer = quickread.nothing_to_do(settings, strict=args.strict)
    if answer is None:
        return None
    message, drift = answer
    if not args.quiet:
        for line in drift:
            _print_progress("drift", None, message=line)
    from .records import RunResult

    _print_run(args, output, RunResult(message=message, warnings=drift))
    return 0


def _dispatch(args, migrator, settings, output) -> int:
    command = args.command
    if command == "status":
        status = migrator.status()
        print(output.to_json(status.as_dict()) if args.json else output.format_status(status, colour_enabled(sys.stdout)))
    elif command == "history":
        history = migrator.history()
        print(output.to_json([a.as_dict() for a in history]) if args.json else output.format_history(history))
    elif command == "next_version":
        version = migrator.next_version()
        if args.json:
            print(output.to_json({"next_version": version}))
        elif version:
            print(version)
        elif not args.quiet:
            print("No pending scripts.", file=sys.stderr)
    elif command == "upgrade" and args.dry_run:
        plan = migrator.plan(args.version, to=args.to)
        print(output.to_json([output.script_dict(s) for s in plan]) if args.json
              else output.format_plan(plan, migrator.adapter))
    elif command == "upgrade" and args.rehearse:
        _print_run(args, output, migrator.rehearse(args.version, to=args.to))
    elif command == "upgrade":
        _print_run(args, output, migrator.upgrade(args.version, to=args.to, strict=args.strict))
    elif command == "verify":
        found = migrator.verify()
        print(output.to_json(found.as_dict()) if args.json else output.format_verification(found))
        return 0 if found.ok else 1
    elif command == "resolve":
        _report(args, migrator.resolve(args.version, applied=args.applied))
    elif command == "downgrade":
        _print_run(args, output, migrator.downgrade(args.version, to=args.to, all=args.all))
    elif command == "setup":
        _setup(args, migrator, settings)
    elif command == "check":
        from .modeldiff import check, format_check
        found = check(migrator, settings, shadow_url=args.shadow_url)
        if args.json:
            print(output.to_json({"ok": found.ok, "pending": found.pending,
                                  "differences": found.differences,
                                  "models_checked": found.models_checked}))
        else:
            print(format_check(found), file=sys.stdout if found.ok else sys.stderr)
        return 0 if found.ok else 1
    elif command == "test":
        return _test(args, migrator, settings)
    return 0


def _print_run(args, output, result) -> None:
    if args.json:
        print(output.to_json(output.run_dict(result)))
    else:
        _report(args, output.format_run(result))


def _setup(args, migrator, settings) -> None:
    from .setups import MetaDataSetUp, SQLFileSetUp, object_from_reference

    init = None
    if not (args.run_scripts or args.mark_applied):
        if settings.setup_sql:
            init = SQLFileSetUp(settings.setup_sql)
        elif settings.setup_metadata:
            init = MetaDataSetUp(object_from_reference(settings.setup_metadata))
    before = migrator.status()
    legacy = not before.tracking_table_exists and len(before.applied)
    done = migrator.set_up_migration(init_migration=init,
                                     run_scripts=init is None and not args.mark_applied)
    if not done and legacy:
        _report(args, f"Adopted {legacy} script{'s' if legacy != 1 else ''} applied by nous.migration "
                      "(its `versions` table is left as it was); nothing else done. Use `upgrade` "
                      "to apply new scripts.")
    elif not done:
        _report(args, "The database is already set up (its tracking table exists); nothing done. "
                      "Use `upgrade` to apply new scripts.")
    elif args.mark_applied:
        _report(args, f"Marked {len(migrator.scripts())} scripts applied without running them.")
    elif init is not None:
        _report(args, f"Installed the canonical schema and marked {len(migrator.scripts())} scripts applied.")
    else:
        _report(args, "Set up the database by running every script.")


def _test(args, migrator, settings) -> int:
    from .testing import run_checks

    reports = run_checks(settings, migrator.engine.url, only=args.only)
    print("\n\n".join(report.format() for report in reports))
    failed = [report.check for report in reports if not report.ok]
    if failed:
        print(f"Failed: {', '.join(failed)}.", file=sys.stderr)
    return 1 if failed else 0


def _report(args, text: str) -> None:
    if text and not args.quiet:
        print(text)


def _explain_failure(exc, migrator, command: str) -> str:
    """Add what happened to the transaction, and what is still applied, to a failure."""
    completed = getattr(exc, "completed", None)
    done = len(completed.runs) if completed else 0
    text = f"script {exc.version} failed.\n{exc}\n"
    again = f"`lockgate {command}`"
    if migrator.adapter.transactional_ddl and not exc.partial:
        text += (f"Its transaction was rolled back and it is not recorded as applied. "
                 f"Fix it and run {again} again.")
    elif migrator.adapter.transactional_ddl:
        text += ("It is not recorded as applied. Undo the statements that stayed applied by hand "
                 f"(or make them safe to repeat, e.g. IF NOT EXISTS), then run {again} again.")
    elif not exc.partial:
        text += ("Nothing of it stayed applied (no statement that commits implicitly had run), "
                 f"and it is not recorded as applied. Fix it and run {again} again.")
    elif exc.version == "setup":
        text += (f"{migrator.engine.dialect.name} commits DDL statements at once, so the "
                 "statements before the failing one stay applied. Check the schema, undo them "
                 "by hand, then run setup again.")
    else:
        text += (f"{migrator.engine.dialect.name} commits DDL statements at once, so the "
                 "statements before the failing one stay applied; the script is recorded as started, and the next run will "
                 "stop until you settle it. Check the schema, finish or undo the changes by hand, "
                 f"then run `lockgate resolve {exc.version} --applied` or `--reverted`.")
    if done:
        text += (f" The {done} script{'s' if done != 1 else ''} before it in this run "
                 f"{'stay' if done != 1 else 'stays'} applied.")
    return text


# -- split: a preview of the SQL splitter, needing no database -----------------

SPLIT_DIALECTS = ("postgresql", "mysql", "sqlite")


def _add_split_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("file", help="the .sql file to split")
    sub.add_argument("--dialect", choices=SPLIT_DIALECTS,
                     help="SQL dialect (default: the configured URL's, else postgresql)")
    sub.add_argument("--json", action="store_true", help='print [{"line": ..., "text": ...}, ...]')


def _split(args) -> int:
    """Print each statement of a file with its line, as a migration would run them."""
    from .errors import ConfigError
    from .sqlsplit import iter_statements

    try:
        stream = open(args.file, encoding="utf-8-sig")
    except OSError as exc:
        raise ConfigError(f"Cannot read {args.file}: {exc.strerror or exc}. "
                          "Give the path of a UTF-8 .sql file.") from exc
    with stream:
        dialect = args.dialect or _configured_dialect(args)
        try:  # streamed, statement by statement: a dump of any size is fine
            count = _print_statements(args, iter_statements(stream, dialect))
        except UnicodeDecodeError as exc:
            raise ConfigError(f"Cannot read {args.file}: it is not UTF-8 text ({exc.reason}). "
                              "Save it as UTF-8 and try again.") from exc
    if not args.json:
        _report(args, f"{count} statement{'s' if count != 1 else ''} ({dialect})")
    return 0


def _print_statements(args, statements) -> int:
    import json

    from .execution import shorten

    count = 0
    for count, statement in enumerate(statements, 1):
        if args.json:
            item = json.dumps({"line": statement.line, "text": statement.text})
            print(f"{'[' if count == 1 else ','}\n  {item}", end="")
        elif args.verbose:
            print(f"-- statement {count}, line {statement.line}\n{statement.text}\n")
        else:
            print(f"{count:>4}  line {statement.line:<6} {shorten(statement.text, 100)}")
    if args.json:
        print("\n]" if count else "[]")
    return count


def _configured_dialect(args) -> str:
    """The dialect of the configured URL, read without connecting; else postgresql, with a note."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    url = settings_from_args(args).url
    if url:
        try:
            return make_url(url).get_backend_name()
        except ArgumentError:
            pass
    if not args.quiet:
        print("note: no database URL is configured, so the file is split as PostgreSQL; "
              "pass --dialect to choose.", file=sys.stderr)
    return "postgresql"
