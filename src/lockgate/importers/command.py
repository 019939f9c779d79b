"""``lockgate import alembic|yoyo DIR``: arguments and the call into :mod:`lockgate.importers`.

Kept here rather than in ``cli.py`` so the command line only registers it.
Nothing here imports SQLAlchemy or the peer tools until the command runs.
"""

from __future__ import annotations

import os
from pathlib import Path

DIALECTS = ("postgresql", "mysql", "mariadb", "sqlite")


def add_import_arguments(sub) -> None:
    sub.add_argument("tool", choices=("alembic", "yoyo"), help="the tool the migrations are written for")
    sub.add_argument("folder", help="Alembic: the folder with alembic.ini, or its script folder "
                                    "(env.py, versions/); yoyo: the folder of migrations")
    sub.add_argument("--into", metavar="DIR",
                     help="where to write the scripts (default: the configured package or directory); "
                          "existing files are never overwritten, and a folder imported before gets "
                          "only the migrations added since")
    sub.add_argument("--dialect", choices=DIALECTS,
                     help="Alembic: the SQL dialect to render revisions for (default: the configured URL's)")
    sub.add_argument("--mark-applied", action="store_true",
                     help="also record as applied, without running them, the scripts the tool has "
                          "applied on the configured database (Alembic: alembic_version and its "
                          "ancestors; yoyo: _yoyo_migration). Without it no database is touched. "
                          "The tool's tables are only read")


def run_import(args) -> int:
    """Run the command with the parsed ``args``; prints what was written and marked."""
    from .. import cli
    from ..authoring import script_folder
    from .importing import import_migrations

    settings = cli.settings_from_args(args)
    if args.into:
        settings.package, settings.directory = None, os.path.abspath(args.into)
        into = Path(settings.directory)
    else:
        into = script_folder(settings)
    migrator = None
    if args.mark_applied:
        migrator, settings = cli.make_migrator(args, settings)
    try:
        result = import_migrations(args.tool, Path(args.folder), into,
                                   dialect=args.dialect or _configured_dialect(settings),
                                   migrator=migrator)
    finally:
        if migrator is not None:
            migrator.engine.dispose()
    _print(args, result, into)
    return 0


def _configured_dialect(settings) -> str | None:
    from ..authoring import dialect_name

    name = dialect_name(settings)
    return name or None


def _print(args, result, into: Path) -> None:
    """Written scripts and marked ones always; the rest unless --quiet."""
    word = "revision" if args.tool == "alembic" else "migration"
    for script in result.written:
        names = " + ".join(path.name for path in script.paths)
        print(f"{names}  ({args.tool} {word} {script.peer_id})")
    if result.already_imported:
        _say(args, f"{result.already_imported} {word}(s) were imported into {into} before; "
                          "not written again.")
    if not result.written and not result.already_imported:
        _say(args, "Nothing to import.")
    for line in result.marked:
        print(line)
    if args.mark_applied and not result.marked:
        _say(args, "Nothing to mark applied: the database has every imported script it "
                          f"needs recorded, or {args.tool} applied none.")
    for note in result.notes:
        _say(args, f"note: {note}")


def _say(args, text: str) -> None:
    if not args.quiet:
        print(text)
