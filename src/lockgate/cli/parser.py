"""The argument parser, built from the table of commands, and the seed's spellings."""

from __future__ import annotations

import argparse
import difflib
import functools
import os
from typing import Any, NoReturn

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

#: Commands of other migration tools -> (whose, the lockgate equivalent and what it does).
#: Users type what their fingers know; an exact answer beats "invalid choice".
FOREIGN = {
    "current": ("Alembic's", "`lockgate status` (every script, applied or pending) or `lockgate history`"),
    "heads": ("Alembic's", "`lockgate next_version` (the first pending script)"),
    "stamp": ("Alembic's", "`lockgate resolve VERSION --applied` (one script) or "
                           "`lockgate setup --mark-applied` (every script)"),
    "revision": ("Alembic's", "`lockgate add_script TITLE` (a new script)"),
    "show": ("Alembic's", "`lockgate history` (applied scripts with when and by whom)"),
    "apply": ("yoyo's", "`lockgate upgrade` (every pending script)"),
    "rollback": ("yoyo's and dbmate's", "`lockgate downgrade` (the most recently applied script)"),
    "new": ("yoyo's and dbmate's", "`lockgate add_script TITLE` (a new script)"),
    "list": ("yoyo's", "`lockgate status` (every script, applied or pending)"),
    "mark": ("yoyo's", "`lockgate resolve VERSION --applied` (record a script as applied)"),
    "unmark": ("yoyo's", "`lockgate resolve VERSION --reverted` (forget a script, upgrade runs it again)"),
    "migrate": ("Flyway's", "`lockgate upgrade` (every pending script)"),
    "info": ("Flyway's", "`lockgate status` (every script, applied or pending)"),
    "validate": ("Flyway's", "`lockgate verify` (applied scripts against their files)"),
    "baseline": ("Flyway's", "`lockgate setup --mark-applied` (mark every script applied, run nothing)"),
    "repair": ("Flyway's", "`lockgate resolve VERSION --applied` or `--reverted` (settle an unfinished script)"),
    "up": ("dbmate's", "`lockgate upgrade` (every pending script)"),
    "down": ("dbmate's", "`lockgate downgrade` (the most recently applied script)"),
}

#: Endings that make a leading word a configuration file even before it exists.
CONFIG_SUFFIXES = (".ini", ".toml", ".cfg")


class UnknownCommand(Exception):
    """A command word that is not lockgate's: one line for the user, no usage block, exit 2."""


def unknown_command_message(word: str) -> str | None:
    """What to say about ``word``: another tool's command or a typo of ours; None when neither.

    None leaves argparse's "invalid choice" message, which lists every command.
    """
    if word in FOREIGN:
        whose, equivalent = FOREIGN[word]
        return f"'{word}' is {whose} command; in lockgate it is {equivalent}."
    close = difflib.get_close_matches(word, [*COMMANDS, *ALIASES], n=1)
    return f"unknown command '{word}'; did you mean '{close[0]}'?" if close else None


class Parser(argparse.ArgumentParser):
    """No abbreviated options (``--a`` must not mean ``--all``), and plain words for wrong commands."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        """A wrong command word that we can answer better than "invalid choice" raises UnknownCommand.

        Words with no close match keep argparse's message, which lists the choices.
        """
        if (isinstance(action, argparse._SubParsersAction) and isinstance(value, str)
                and action.choices is not None and value not in action.choices):
            message = unknown_command_message(value)
            if message:
                raise UnknownCommand(message)
        super()._check_value(action, value)


class VersionAction(argparse.Action):
    """``--version``: looked up only when asked, so every other run skips the metadata read."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        kwargs.setdefault("help", "print lockgate's version and exit")
        super().__init__(option_strings, dest=dest, default=argparse.SUPPRESS, nargs=0, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> NoReturn:
        print(f"lockgate {installed_version()}")  # stdout, as argparse's own version action does
        parser.exit(0)


def installed_version() -> str:
    """The installed distribution's version, the one pip and bug reports talk about."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("lockgate")
    except PackageNotFoundError:  # run from a source tree that was never installed
        from .. import __version__
        return __version__


SEED_USAGE = "%(prog)s [CONFIG] [ACTION] [VERSION] [OPTIONS]"
SEED_DESCRIPTION = """\
Database schema migrations for SQLAlchemy, in the seed's form

    migrate [CONFIG] [ACTION] [VERSION]

CONFIG defaults to development.ini (when it exists) and ACTION to upgrade;
ACTION is any COMMAND below, with its arguments and options."""


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


@functools.cache
def build_parser(prog: str = "lockgate") -> argparse.ArgumentParser:
    """``lockgate``'s parser: the common options, and a subcommand per entry of COMMANDS.

    Built once per process and program name: a parser holds no state of a
    parse, and building this one (a subparser per command, each with the
    common options) costs about 10 ms, which a process that runs several
    commands (an application calling ``main``, a test suite) need not repeat.
    """
    seed = prog == "migrate"
    parser = Parser(
        prog=prog, usage=SEED_USAGE if seed else None,
        description=SEED_DESCRIPTION if seed else "Database schema migrations for SQLAlchemy.",
        epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    # dest suppressed: a "version" dest would shadow the VERSION argument of upgrade and downgrade
    parser.add_argument("--version", action=VersionAction, dest=argparse.SUPPRESS)
    add_common(parser, top=True)
    # prog given so that a subcommand's usage reads "migrate upgrade", not the seed usage line
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", prog=prog)
    for name, (_, text, add_arguments) in COMMANDS.items():
        aliases = [alias for alias, target in ALIASES.items() if target == name]
        sub = commands.add_parser(name, help=text, description=text, aliases=aliases)
        add_common(sub, top=False)
        if add_arguments is not None:
            add_arguments(sub)
    return parser


def is_command(word: str) -> bool:
    return word in COMMANDS or word in ALIASES


def looks_like_config(word: str) -> bool:
    """A leading word is the seed's CONFIG when it is a file or named like one.

    Anything else is left in place as the command, so ``lockgate statsu`` is a
    mistyped command rather than a configuration file that does not exist.
    """
    return os.path.isfile(word) or word.lower().endswith(CONFIG_SUFFIXES)


def normalise_argv(argv: list[str], *, seed_defaults: bool) -> list[str]:
    """Accept ``CONFIG ACTION [VERSION]`` by turning a leading file name into ``-c FILE``."""
    argv = list(argv)
    if argv and not argv[0].startswith("-") and not is_command(argv[0]) and looks_like_config(argv[0]):
        argv = ["-c", argv[0]] + argv[1:]
    if seed_defaults:
        has_config = any(a in ("-c", "--config") or a.startswith("--config=") for a in argv)
        has_url = any(a == "--url" or a.startswith("--url=") for a in argv)
        if not has_config and not has_url and os.path.exists("development.ini"):
            argv = ["-c", "development.ini"] + argv
        if not any(is_command(a) for a in argv if not a.startswith("-")):
            argv.append("upgrade")
    return argv
