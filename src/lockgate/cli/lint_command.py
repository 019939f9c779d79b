"""``lockgate lint``: its arguments and its output (the command is in :mod:`.commands`)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..config import Settings
    from ..lint import LintReport

DIALECTS = ("postgresql", "mysql", "mariadb", "sqlite")


def add_lint_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("scripts", nargs="*", metavar="SCRIPT",
                     help=".sql or .py scripts to lint (default: every script of the configured package or folder)")
    sub.add_argument("--pending", action="store_true",
                     help="lint only the scripts the configured database has not applied")
    sub.add_argument("--dialect", choices=DIALECTS,
                     help="lint for this database instead of the configured URL's (no database needed "
                          "for SQL files)")
    sub.add_argument("--allow", action="append", default=[], metavar="RULE",
                     help="never report this rule in this run (repeatable; `lint_allow` in the configuration)")
    output = sub.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print the findings as JSON")
    output.add_argument("--sarif", action="store_true",
                        help="print SARIF 2.1.0 for GitHub code scanning")


def run_lint(args: argparse.Namespace, settings: Settings) -> LintReport:
    """The named files' report, or the configured scripts' (all, or --pending)."""
    from ..errors import ConfigError
    from ..lint import lint_files, lint_project

    if args.scripts and args.pending:
        raise ConfigError("--pending lints the configured scripts the database has not applied; it cannot "
                          "be combined with named files. Drop --pending, or the file names.")
    if args.scripts:
        return lint_files(args.scripts, settings, dialect=args.dialect, allow=args.allow)
    return lint_project(settings, dialect=args.dialect, pending=args.pending, allow=args.allow)


def print_lint(args: argparse.Namespace, report: LintReport) -> None:
    """The report as text (stdout), JSON or SARIF; notes about what was not linted go to stderr."""
    from .. import output
    from ..lint.report import format_report
    from ..lint.sarif import to_sarif

    if args.json:
        print(output.to_json(report.as_dict()))
    elif args.sarif:
        print(output.to_json(to_sarif(report)))
    else:
        print(format_report(report))
    if not args.json and not args.quiet:
        for note in report.notes:
            print(f"note: {note}", file=sys.stderr)
