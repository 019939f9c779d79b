"""``lockgate fleet upgrade|status|verify|check|downgrade``: its arguments and the command.

The work is :class:`lockgate.fleet.Fleet`'s; this reads the targets, takes the
shard and the targets to retry, and shows the run (:mod:`.fleet_display`).
"""

from __future__ import annotations

import argparse
import shlex
import sys

from ..terminal import is_terminal
from .context import settings_from_args
from .fleet_display import FleetDisplay, summary

ACTIONS = ("upgrade", "status", "verify", "check", "downgrade")


def add_fleet_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("action", choices=ACTIONS, help="the command to run on every target")
    source = sub.add_mutually_exclusive_group(required=True)
    source.add_argument("--targets", metavar="FILE",
                        help="the targets: one URL (or ini file) a line with optional key=value settings "
                             "(schema=, name=, password_env=, table=...), or TOML/INI entries (.toml, .ini)")
    source.add_argument("--targets-from-command", metavar="COMMAND",
                        help="a program (with its arguments, split as a shell would, run without one) "
                             "that prints the targets, one a line")
    source.add_argument("--targets-query", metavar="SQL",
                        help="a query on the catalog database returning url and/or schema columns "
                             "(and optionally name, password_env, settings)")
    sub.add_argument("--catalog", metavar="URL",
                     help="the catalog database of --targets-query (default: the configured URL)")
    sub.add_argument("--jobs", "-j", type=int, default=4, metavar="N",
                     help="targets migrated at the same time, each with its own connection (default 4)")
    sub.add_argument("--canary", type=int, default=0, metavar="K",
                     help="run the first K targets first; if any fails, start no other")
    sub.add_argument("--fail-fast", action="store_true",
                     help="start no more targets after the first failure (default: run them all, exit 1)")
    sub.add_argument("--shard", metavar="I/N",
                     help="only the I-th of N stable shares of the targets (by a hash of their names), "
                          "for N machines of a CI matrix or an indexed Job")
    sub.add_argument("--only-failed", metavar="REPORT",
                     help="only the targets that did not succeed in an earlier run's report "
                          "(--report FILE or --json output)")
    sub.add_argument("--report", metavar="FILE", help="also write the JSON report to FILE")
    sub.add_argument("--json", action="store_true", help="print every target's result as JSON")
    sub.add_argument("--to", metavar="VERSION",
                     help="upgrade: up to VERSION; downgrade (required): revert every script after VERSION")


def fleet(args: argparse.Namespace) -> int:
    """Run the action on the targets; exit 1 when any target did not succeed."""
    from ..fleet import Fleet
    from ..fleet.report import FleetResult, names_to_retry, write_report
    from ..fleet.targets import parse_shard, take_shard

    settings = settings_from_args(args)
    targets = _read_targets(args, settings.url)
    if args.shard:
        targets = take_shard(targets, *parse_shard(args.shard))
    if args.only_failed:
        retry = names_to_retry(args.only_failed)
        targets = [t for t in targets if t.name in retry]
    runner = Fleet(targets, settings=settings)
    live = is_terminal(sys.stdout) and not args.json
    display = FleetDisplay(sys.stdout if not args.json else sys.stderr, live=live, quiet=args.quiet)
    display.begin(lambda: runner.results, [t.name for t in targets])
    try:
        result = runner.run(args.action, jobs=args.jobs, canary=args.canary, fail_fast=args.fail_fast,
                            to=args.to, on_event=display.event)
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: the running targets finished; keep what is known
        display.end()
        if args.report and runner.results:
            write_report(FleetResult(args.action, runner.results, stopped="interrupted"), args.report)
        raise
    display.end()
    if args.report:
        write_report(result, args.report)
    if args.json:
        print(_json(result))
    elif not args.quiet or not result.ok:
        again = (shlex.join(["lockgate", "fleet", args.action, "...", "--only-failed", args.report])
                 if args.report else None)
        print(summary(result, retry_with=again), file=sys.stdout if result.ok else sys.stderr)
    return result.exit_code


def _read_targets(args: argparse.Namespace, configured_url: str | None):
    from ..errors import ConfigError
    from ..fleet.targets import read_targets_file, targets_from_command, targets_from_query

    if args.targets:
        return read_targets_file(args.targets)
    if args.targets_from_command:
        return targets_from_command(args.targets_from_command)
    catalog = args.catalog or configured_url
    if not catalog:
        raise ConfigError("--targets-query needs the catalog database to run on: pass --catalog URL "
                          "(or configure a URL, e.g. --url or LOCKGATE_URL).")
    return targets_from_query(catalog, args.targets_query)


def _json(result) -> str:
    from .. import output

    return output.to_json(result.as_dict())
