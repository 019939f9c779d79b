"""``lockgate split FILE``: its arguments and its output (the command is in :mod:`.commands`)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING

from .context import settings_from_args

if TYPE_CHECKING:
    from ..sqlsplit import Statement

DIALECTS = ("postgresql", "mysql", "sqlite")


def add_split_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("file", help="the .sql file to split")
    sub.add_argument("--dialect", choices=DIALECTS,
                     help="SQL dialect (default: the configured URL's, else postgresql)")
    sub.add_argument("--json", action="store_true", help='print [{"line": ..., "text": ...}, ...]')


def print_statements(args: argparse.Namespace, statements: Iterable[Statement]) -> int:
    """Print the statements (a table, each in full with -v, or JSON); how many there were."""
    from ..run.statements import shorten

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


def split_dialect(args: argparse.Namespace) -> str:
    """The backend named by the configured URL, read without connecting; else postgresql, with a note."""
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
