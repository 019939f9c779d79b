"""Fleets: one command over many databases (or PostgreSQL schemas), a few at a time.

:mod:`.targets` reads and shards the targets, :mod:`.runner` runs a command
on each with a migrator of its own, :mod:`.report` holds the results and reads
an earlier run's report back.
"""

from .report import FleetResult, TargetResult
from .runner import Fleet
from .targets import Target, read_targets_file, targets_from_command, targets_from_query

__all__ = ["Fleet", "FleetResult", "Target", "TargetResult", "read_targets_file", "targets_from_command",
           "targets_from_query"]
