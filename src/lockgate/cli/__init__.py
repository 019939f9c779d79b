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
import sys

from .commands import COMMANDS, run_command
from .context import make_migrator, settings_from_args
from .parser import ALIASES, EXIT_CODES, build_parser, normalise_argv

__all__ = ["ALIASES", "COMMANDS", "EXIT_CODES", "add_migration_script_main", "build_parser", "main",
           "make_migrator", "migrate_main", "normalise_argv", "run_command", "settings_from_args"]


def main(argv: list[str] | None = None, prog: str = "lockgate", seed_defaults: bool = False) -> int:
    argv = normalise_argv(sys.argv[1:] if argv is None else argv, seed_defaults=seed_defaults)
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help(sys.stderr)
        return 2
    args.command = ALIASES.get(args.command, args.command)
    from ..errors import LockgateError

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
