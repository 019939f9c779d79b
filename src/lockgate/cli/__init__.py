"""The command line: a table of commands over the library, which returns data.

Two spellings of one program. ``lockgate [options] COMMAND`` and the seed's
``migrate CONFIG ACTION [VERSION]`` (CONFIG defaults to development.ini and
ACTION to upgrade, as nous.migration did).

:mod:`.commands` holds one function per command and the table registering
them, from which :mod:`.parser` builds the subcommands; :mod:`.context` makes
the settings and the migrator; :mod:`.progress` shows a run as it goes.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from .commands import COMMANDS, run_command
from .context import make_migrator, settings_from_args
from .parser import ALIASES, EXIT_CODES, UnknownCommand, build_parser, normalise_argv

__all__ = ["ALIASES", "COMMANDS", "EXIT_CODES", "add_migration_script_main", "build_parser", "main",
           "make_migrator", "migrate_main", "normalise_argv", "run_command", "settings_from_args"]


def main(argv: list[str] | None = None, prog: str = "lockgate", seed_defaults: bool = False) -> int:
    if argv is None:  # the process is this command: its connect timeout counts from the start
        from .. import database

        database.connect_deadline_from = process_started()
    argv = normalise_argv(sys.argv[1:] if argv is None else argv, seed_defaults=seed_defaults)
    parser = build_parser(prog)
    try:
        args = parser.parse_args(argv)
    except UnknownCommand as exc:  # one line naming the right command; no usage block to scroll past
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    if not args.command:
        parser.print_help(sys.stderr)
        return 2
    args.command = ALIASES.get(args.command, args.command)
    from ..config import missing_default_config
    from ..errors import LockgateError

    # `migrate` reads development.ini by default: with none here, say so rather than "no URL".
    args.default_config_missing = (missing_default_config() if seed_defaults
                                   and not (args.config or args.url) else None)
    try:
        with _terminate_as_interrupt(), _logging_restored():
            return run_command(args)
    except Terminated:
        print(f"{prog}: terminated", file=sys.stderr)
        return 143
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


@contextmanager
def _logging_restored() -> Iterator[None]:
    """``-v`` turns SQL logging on for one command: a program calling :func:`main` twice keeps its own logging."""
    import logging

    root = logging.getLogger()
    handlers = list(root.handlers)
    levels = {name: logging.getLogger(name).level for name in ("sqlalchemy.engine", "lockgate.sql")}
    try:
        yield
    finally:
        for handler in root.handlers[:]:
            if handler not in handlers:
                root.removeHandler(handler)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def process_started() -> float:
    """When this process started, on :func:`time.monotonic`'s clock (now where /proc cannot tell).

    Starting Python and importing take a second or more on a busy machine:
    counted, they keep a silent server's wait within the promised 10 seconds.
    """
    try:
        with open("/proc/self/stat", "rb") as stat:  # field 22: start, in clock ticks since boot
            start_ticks = int(stat.read().rpartition(b")")[2].split()[19])
        with open("/proc/uptime", "rb") as uptime:
            age = float(uptime.read().split()[0]) - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        age = 0.0
    return time.monotonic() - min(max(age, 0.0), 60.0)


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled as Ctrl-C is: the statement stops on the server and the script rolls back."""


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """While a command runs, SIGTERM (a deploy tool stopping lockgate) raises :class:`Terminated`."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminated(signum, frame):
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def migrate_main(argv: list[str] | None = None) -> int:
    """The seed's ``migrate [CONFIG] [ACTION] [VERSION]``."""
    return main(argv, prog="migrate", seed_defaults=True)


ADD_MIGRATION_SCRIPT_USAGE = "usage: add_migration_script TITLE [CONFIG] [--type sql|py|mixed] [--edit]"

ADD_MIGRATION_SCRIPT_HELP = f"""\
{ADD_MIGRATION_SCRIPT_USAGE}

Create a new migration script: the same as `lockgate -c CONFIG add_script TITLE`.

  TITLE                 what the script does; the file name is a slug of it
  CONFIG                ini file or pyproject.toml (default development.ini when it exists)
  --type sql|py|mixed   sql (default), py, or mixed (Python running SQL files)
  --edit                open $VISUAL/$EDITOR (only on a terminal)
"""


def add_migration_script_main(argv: list[str] | None = None) -> int:
    """The seed's ``add_migration_script TITLE [CONFIG]``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in ("-h", "--help"):  # asked for help: give it, and succeed
        print(ADD_MIGRATION_SCRIPT_HELP, end="")
        return 0
    if not argv or argv[0].startswith("-"):
        print(ADD_MIGRATION_SCRIPT_USAGE, file=sys.stderr)
        return 2
    title, rest = argv[0], argv[1:]
    config = rest.pop(0) if rest and not rest[0].startswith("-") else None
    if config is None and os.path.exists("development.ini"):
        config = "development.ini"
    head = ["-c", config] if config else []
    return main(head + ["add_script", title] + rest, prog="add_migration_script")
