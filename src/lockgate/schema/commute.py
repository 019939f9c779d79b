"""Whether a merged branch's scripts give the same schema in either order.

A script that is pending but older than the newest applied one came from a
branch merged after newer scripts were applied. The target will run it after
them; a database built from scratch runs it before them, in version order.
When the two orders give different schemas (both scripts change one
column's default, say), the databases drift apart without any error.

Each such script is paired with every applied script newer than it (up to
:data:`MAX_PAIRS` pairs). For each pair, two scratch databases get the
target's history up to the applied script, then the two scripts, one in each
order; their schemas are compared with :mod:`lockgate.schema.snapshot`.
A pair fails when the schemas differ or when one order fails to apply.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..errors import LockgateError
from .scratch import replay, scratch_engine
from .snapshot import diff_snapshots, render_diff, take_snapshot

if TYPE_CHECKING:
    from ..config import Settings
    from ..engine import DBMigrator
    from ..scripts import Script

#: The most pairs checked in one run; each pair costs two scratch databases.
MAX_PAIRS = 20


@dataclass
class PairOutcome:
    """One out-of-order pending script against one applied script newer than it."""

    pending: str
    applied: str
    ok: bool
    differences: list[str] = field(default_factory=list)
    detail: str = ""

    @property
    def name(self) -> str:
        return f"{self.pending} with {self.applied}"


@dataclass
class CommuteResult:
    """Every pair checked, and how many more there were than :data:`MAX_PAIRS`."""

    pairs: list[PairOutcome] = field(default_factory=list)
    skipped: int = 0

    @property
    def ok(self) -> bool:
        return all(pair.ok for pair in self.pairs)


def branch_pairs(migrator: DBMigrator) -> tuple[list[tuple[Script, Script]], list[str]]:
    """Each out-of-order pending script with each applied script newer than it, and the history.

    The history is the target's applied versions in the order it applied them.
    """
    status = migrator.status()
    history = [applied.version for applied in migrator.history()]
    applied = [s.script for s in status.applied if s.script is not None]
    late = [s.script for s in status.pending if s.out_of_order and s.script is not None]
    pairs = [(p, a) for p in late for a in applied if a.number > p.number]
    return pairs, history


def check_commute(migrator: DBMigrator, settings: Settings, url=None) -> CommuteResult:
    """Apply each pair of :func:`branch_pairs` in both orders on scratch databases and compare.

    :param migrator: the target's migrator; only read from.
    :param url: the server for the scratch databases; default the target's.
    """
    pairs, history = branch_pairs(migrator)
    result = CommuteResult(skipped=max(0, len(pairs) - MAX_PAIRS))
    for pending, applied in pairs[:MAX_PAIRS]:
        base = history[:history.index(applied.version)]
        result.pairs.append(_check_pair(settings, url or migrator.engine, base, pending, applied))
    return result


def _label(script: Script) -> str:
    return f"{script.version} ({script.main_file.name})"


def _check_pair(settings: Settings, url, base: list[str], pending: Script, applied: Script) -> PairOutcome:
    as_target = f"as the target runs them ({applied.version} then {pending.version})"
    in_order = f"in version order ({pending.version} then {applied.version})"
    target = _schema_after(settings, url, base + [applied.version, pending.version])
    fresh = _schema_after(settings, url, base + [pending.version, applied.version])
    outcome = PairOutcome(_label(pending), _label(applied), ok=False)
    failed = [f"{words}: {found}" for words, found in ((as_target, target), (in_order, fresh))
              if isinstance(found, str)]
    if failed:
        outcome.detail = "\n".join(f"fails {line}" for line in failed)
        return outcome
    outcome.differences = diff_snapshots(fresh, target)
    if outcome.differences:
        outcome.detail = (f"the schema {as_target} differs from the schema {in_order}:\n"
                          + render_diff(fresh, target, "version order", "as the target runs them"))
    else:
        outcome.ok = True
    return outcome


def _schema_after(settings: Settings, url, versions: list[str]):
    """The snapshot after ``versions`` run in that order on a scratch database, or why they failed."""
    from ..engine import DBMigrator

    with scratch_engine(url, engine_options=settings.engine_options, prefix="lockgate_commute_") as engine:
        try:
            replay(DBMigrator.from_settings(settings, engine=engine), versions)
        except LockgateError as exc:
            return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return take_snapshot(engine, exclude=(settings.table,))


def format_pairs(result: CommuteResult) -> list[str]:
    """One line per pair that does not commute, for ``check``."""
    lines = [f"{pair.name}: " + ("; ".join(pair.differences) if pair.differences
                                 else pair.detail.replace("\n", "; "))
             for pair in result.pairs if not pair.ok]
    return lines
