"""What a fleet run did to each target, as data; and reading an earlier run's report back.

A report (``--json``, ``--report FILE``) holds every target's result; a later
run given it (``--only-failed``) takes only the targets that did not end ``ok``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigError

QUEUED, RUNNING, OK, FAILED, SKIPPED = "queued", "running", "ok", "failed", "skipped"
#: The states a target ends in.
FINAL = (OK, FAILED, SKIPPED)
#: Written into every report, so ``--only-failed`` knows one when it reads it.
FORMAT = "lockgate-fleet-report"


@dataclass
class TargetResult:
    """One target: its state as the run goes, and in the end what happened to it."""

    name: str
    kind: str
    #: Where it is, without a password.
    where: str
    state: str = QUEUED
    #: Scripts done of those the command runs on this target (applied for ``status``).
    done: int = 0
    total: int | None = None
    seconds: float = 0.0
    #: One paragraph saying what went wrong, when the state is ``failed``.
    error: str | None = None
    exit_code: int = 0
    #: What the command found: versions applied, pending, changed...
    detail: dict[str, Any] = field(default_factory=dict)
    #: When it started (``time.monotonic()``), for the time of a target still running.
    started: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "where": self.where, "state": self.state,
                "done": self.done, "total": self.total, "seconds": round(self.seconds, 3),
                "error": self.error, "exit_code": self.exit_code, **self.detail}


@dataclass
class FleetResult:
    """Every target's result, in the order of the targets."""

    command: str
    results: list[TargetResult]
    seconds: float = 0.0
    #: Why targets were skipped (a canary or --fail-fast stopped the run), else None.
    stopped: str | None = None

    def __iter__(self):
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    @property
    def ok(self) -> bool:
        return all(r.state == OK for r in self.results)

    @property
    def failed(self) -> list[TargetResult]:
        return [r for r in self.results if r.state == FAILED]

    def counts(self) -> dict[str, int]:
        found = {state: 0 for state in FINAL}
        for result in self.results:
            found[result.state] = found.get(result.state, 0) + 1
        return found

    @property
    def exit_code(self) -> int:
        """0 when every target is ok, else 1."""
        return 0 if self.ok else 1

    def as_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "command": self.command, "ok": self.ok, "counts": self.counts(),
                "seconds": round(self.seconds, 3), "stopped": self.stopped,
                "targets": [r.as_dict() for r in self.results]}


def write_report(result: FleetResult, path: str | os.PathLike) -> None:
    """The report as JSON in ``path``, written whole or not at all."""
    temporary = f"{path}.tmp"
    with open(temporary, "w", encoding="utf-8") as file:
        json.dump(result.as_dict(), file, indent=1)
        file.write("\n")
    os.replace(temporary, path)


def names_to_retry(path: str | os.PathLike) -> set[str]:
    """The targets of an earlier report that did not end ``ok`` (failed, skipped, unfinished).

    :raises ConfigError: when the file is missing or is not a fleet report.
    """
    try:
        with open(path, encoding="utf-8") as file:
            data = json.load(file)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"Cannot read the report {path}: {getattr(exc, 'strerror', None) or exc}. "
                          "Give the file an earlier `lockgate fleet ... --report FILE` wrote, or its "
                          "--json output.") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("targets"), list):
        raise ConfigError(f"{path} is not a fleet report. Give the file an earlier `lockgate fleet ... "
                          "--report FILE` wrote, or its --json output.")
    return {str(t.get("name")) for t in data["targets"] if isinstance(t, dict) and t.get("state") != OK}
