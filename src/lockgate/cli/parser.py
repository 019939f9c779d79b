"""The argument parser, built from the table of commands, and the seed's spellings."""

from __future__ import annotations

import argparse
import os

from .commands import COMMANDS

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

#: Other spellings of commands -> the command.
ALIASES = {"next-version": "next_version", "add-script": "add_script"}


def add_common(parser: argparse.ArgumentParser, *, top: bool) -> None:
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
    """``lockgate``'s parser: the common options, and a subcommand per entry of COMMANDS."""
    parser = argparse.ArgumentParser(
        prog=prog, description="Database schema migrations for SQLAlchemy.",
        epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common(parser, top=True)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_, text, add_arguments) in COMMANDS.items():
        aliases = [alias for alias, target in ALIASES.items() if target == name]
        sub = commands.add_parser(name, help=text, description=text, aliases=aliases)
        add_common(sub, top=False)
        if add_arguments is not None:
            add_arguments(sub)
    return parser


def is_command(word: str) -> bool:
    return word in COMMANDS or word in ALIASES


def normalise_argv(argv: list[str], *, seed_defaults: bool) -> list[str]:
    """Accept ``CONFIG ACTION [VERSION]`` by turning a leading file name into ``-c FILE``."""
    argv = list(argv)
    if argv and not argv[0].startswith("-") and not is_command(argv[0]):
        argv = ["-c", argv[0]] + argv[1:]
    if seed_defaults:
        has_config = any(a in ("-c", "--config") or a.startswith("--config=") for a in argv)
        has_url = any(a == "--url" or a.startswith("--url=") for a in argv)
        if not has_config and not has_url and os.path.exists("development.ini"):
            argv = ["-c", "development.ini"] + argv
        if not any(is_command(a) for a in argv if not a.startswith("-")):
            argv.append("upgrade")
    return argv
