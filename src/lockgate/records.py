"""The tracking table's rows and the results of a run, as plain data, with no SQLAlchemy import.

Planning and output work on these, so the read-only paths that answer
without SQLAlchemy (:mod:`lockgate.quickread`) share them with the engine.
"""

from __future__ import annotations

import datetime as dt
import functools
import getpass
import socket
from dataclasses import asdict, dataclass, field

APPLIED, STARTED, REVERTING = "applied", "started", "reverting"


@dataclass
class AppliedScript:
    """A row of the tracking table."""

    version: str
    title: str
    kind: str
    checksum: str | None
    applied_at: dt.datetime | None
    execution_ms: int | None
    applied_by: str | None
    vcs_revision: str | None = None
    state: str = APPLIED

    @property
    def number(self) -> int:
        return int(self.version)

    def as_dict(self) -> dict:
        data = asdict(self)
        data["applied_at"] = self.applied_at.isoformat() + "Z" if self.applied_at else None
        return data


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


@functools.lru_cache(maxsize=1)
def current_user() -> str:
    try:
        user = getpass.getuser()
    except Exception:  # no login name in some containers
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def applied_order(applied: dict[str, AppliedScript]) -> list[AppliedScript]:
    """Applied scripts oldest first, by when they were applied, then by version."""
    return sorted(applied.values(), key=lambda a: (a.applied_at or dt.datetime.min, a.number))


@dataclass
class ScriptRun:
    """One script run in one direction."""

    version: str
    title: str
    direction: str
    execution_ms: int
    out_of_order: bool = False


@dataclass
class RunResult:
    """What a command did; ``adopted`` counts rows taken over from nous.migration."""

    runs: list[ScriptRun] = field(default_factory=list)
    adopted: int | None = None
    message: str | None = None
    warnings: list[str] = field(default_factory=list)
    rehearsal: bool = False


@dataclass
class Resolution:
    """What :meth:`DBMigrator.resolve` did: ``outcome`` is marked-applied, already-applied,
    marked-reverted or not-recorded; ``was`` the row's state before (None: no row)."""

    version: str
    title: str | None
    outcome: str
    was: str | None = None


@dataclass
class SetupResult:
    """What :meth:`DBMigrator.setup` did (true when it set up): ``how`` schema, scripts (ran) or
    marked, None if nothing; ``adopted`` nous.migration rows; ``scripts`` run or marked."""

    done: bool
    adopted: int = 0
    how: str | None = None
    scripts: int = 0

    def __bool__(self) -> bool:
        return self.done
