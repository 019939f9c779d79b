"""The arguments of each command: one function per command that has its own."""

from __future__ import annotations

import argparse


def json_arguments(sub: argparse.ArgumentParser) -> None:
    """``--json`` on a reading command."""
    sub.add_argument("--json", action="store_true", help="print JSON for machines")


def _json_run(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--json", action="store_true",
                     help="print what was done (or the plan, with --dry-run) as JSON")


def upgrade_arguments(sub: argparse.ArgumentParser) -> None:
    _json_run(sub)
    mode = sub.add_mutually_exclusive_group()
    mode.add_argument("--dry-run", action="store_true",
                      help="print the plan and the SQL of SQL scripts; change nothing")
    mode.add_argument("--rehearse", action="store_true",
                      help="run the pending scripts in one transaction and roll it back")
    sub.add_argument("--strict", action="store_true",
                     help="refuse to run when applied scripts changed on disk")
    sub.add_argument("version", nargs="?", help="exactly this script")
    sub.add_argument("--to", metavar="VERSION", help="all pending scripts up to VERSION")
    sub.add_argument("--locks", action="store_true",
                     help="with --rehearse (PostgreSQL): the table locks each statement takes, what "
                          "they block and for how long; on a scratch copy of the schema")
    where = sub.add_mutually_exclusive_group()
    where.add_argument("--on-target", action="store_true",
                       help="with --locks: rehearse on the target database itself, not on a copy")
    where.add_argument("--shadow-url", metavar="URL",
                       help="with --locks: an empty database to build the copy of the schema in")


def downgrade_arguments(sub: argparse.ArgumentParser) -> None:
    _json_run(sub)
    sub.add_argument("--dry-run", action="store_true",
                     help="print the scripts it would revert and their downgrade SQL; change nothing")
    sub.add_argument("version", nargs="?", help="exactly this script")
    sub.add_argument("--to", metavar="VERSION", help="revert every script applied after VERSION")
    sub.add_argument("--all", action="store_true", help="revert every applied script")


def setup_arguments(sub: argparse.ArgumentParser) -> None:
    how = sub.add_mutually_exclusive_group()
    how.add_argument("--run-scripts", action="store_true",
                     help="run every script even when a canonical schema is configured")
    how.add_argument("--mark-applied", action="store_true",
                     help="mark every script applied without running anything (a database "
                          "whose schema is already in place)")


def resolve_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("version", help="the script to settle")
    outcome = sub.add_mutually_exclusive_group(required=True)
    outcome.add_argument("--applied", action="store_true",
                         help="all of its changes are in place: record it as applied")
    outcome.add_argument("--reverted", action="store_true",
                         help="none of its changes are in place: forget it, upgrade runs it again")


def test_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--only", choices=("stairway", "models", "setup", "commute"),
                     help="run only this check (default: every configured check)")


def _shadow_url(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--shadow-url", metavar="URL",
                     help="empty scratch database to apply the scripts to for comparing with `models`")


def add_script_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("title", help="what the script does; the file name is a slug of it")
    sub.add_argument("--type", dest="kind", choices=("sql", "py", "mixed"), default="sql",
                     help="sql (default), py, or mixed (Python running SQL files)")
    sub.add_argument("--edit", action="store_true", help="open $VISUAL/$EDITOR (only on a terminal)")
    _shadow_url(sub)


def check_arguments(sub: argparse.ArgumentParser) -> None:
    json_arguments(sub)
    _shadow_url(sub)
