"""``lockgate import alembic|yoyo DIR``: its arguments and its output.

The command itself is in :mod:`.commands`. Nothing here imports SQLAlchemy or
the peer tools until the command runs.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from ..output import format_resolution
from .context import report

if TYPE_CHECKING:
    from ..config import Settings
    from ..importers.importing import ImportResult


def _target(text: str):
    """``--dialect``'s value as a render target; a bad one is a usage error naming what is accepted."""
    from ..importers.target import parse_target

    try:
        return parse_target(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_import_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("tool", choices=("alembic", "yoyo"), help="the tool the migrations are written for")
    sub.add_argument("folder", help="Alembic: the folder with alembic.ini, or its script folder "
                                    "(env.py, versions/); yoyo: the folder of migrations")
    sub.add_argument("--into", metavar="DIR",
                     help="where to write the scripts (default: the configured package or directory); "
                          "existing files are never overwritten, and a folder imported before gets "
                          "only the migrations added since")
    sub.add_argument("--dialect", type=_target, metavar="DATABASE",
                     help="Alembic: the database to render revisions for: postgresql, mysql, mariadb or "
                          "sqlite, optionally with the server's version (mariadb-10.11, mysql-8.0, "
                          "postgresql-15); default: the configured URL's server, asked for its version")
    sub.add_argument("--mark-applied", action="store_true",
                     help="also record as applied, without running them, the scripts the tool has "
                          "applied on the configured database (Alembic: the revision in its version table, "
                          "alembic_version unless env.py names another, and its ancestors; yoyo: "
                          "_yoyo_migration). Without it nothing is written to the database (an Alembic "
                          "import only asks it for its server and version). The tool's tables are "
                          "only read")


def import_dialect(settings: Settings):
    """The configured database, read when revisions are rendered (yoyo never asks), or None."""
    from ..importers.target import ConfiguredDatabase

    return ConfiguredDatabase(settings.url) if settings.url else None


def print_import(args: argparse.Namespace, result: ImportResult, into: Path) -> None:
    """Written scripts and marked ones always; the rest unless --quiet."""
    word = "revision" if args.tool == "alembic" else "migration"
    for script in result.written:
        names = " + ".join(path.name for path in script.paths)
        how = f" {script.how}" if script.how else ""
        print(f"{names}  ({args.tool} {word} {script.peer_id}){how}")
    if result.already_imported:
        report(args, f"{result.already_imported} {word}(s) were imported into {into} before; "
                     "not written again.")
    if not result.written and not result.already_imported:
        report(args, "Nothing to import.")
    for resolution in result.marked:
        print(format_resolution(resolution))
    if args.mark_applied and not result.marked:
        report(args, "Nothing to mark applied: the database has every imported script it "
                     f"needs recorded, or {args.tool} applied none.")
    for note in result.notes:
        report(args, f"note: {note}")
