"""Deciding what to run from the scripts on disk and the rows in the tracking table.

Pure functions over data already read: nothing here touches the database or
prints, so each rule can be tested on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import UnknownVersionError
from ..scripts import Script
from ..records import APPLIED, AppliedScript, applied_order


@dataclass
class ScriptState:
    """One line of ``status``: a script on disk, an applied row, or both."""

    version: str
    title: str
    kind: str
    applied: AppliedScript | None
    script: Script | None
    out_of_order: bool = False

    @property
    def number(self) -> int:
        return int(self.version)

    @property
    def state(self) -> str:
        """pending, applied, missing (recorded, file gone), started or reverting (unfinished)."""
        if self.applied is not None and self.applied.state != APPLIED:
            return self.applied.state
        if self.applied and not self.script:
            return "missing"
        return "applied" if self.applied else "pending"

    def as_dict(self) -> dict:
        row = self.applied.as_dict() if self.applied else {}
        return {
            "version": self.version, "title": self.title, "kind": self.kind,
            "state": self.state, "out_of_order": self.out_of_order,
            "applied_at": row.get("applied_at"), "execution_ms": row.get("execution_ms"),
            "applied_by": row.get("applied_by"), "vcs_revision": row.get("vcs_revision"),
        }


@dataclass
class Status:
    """Every script and applied row, in version order."""

    scripts: list[ScriptState]
    tracking_table_exists: bool

    @property
    def pending(self) -> list[ScriptState]:
        return [s for s in self.scripts if s.state == "pending"]

    @property
    def applied(self) -> list[ScriptState]:
        """Scripts recorded as applied (an unfinished one is not: see :attr:`unfinished`)."""
        return [s for s in self.scripts if s.applied and s.applied.state == APPLIED]

    @property
    def recorded(self) -> list[ScriptState]:
        """Every script with a tracking row, finished or not."""
        return [s for s in self.scripts if s.applied]

    @property
    def unfinished(self) -> list[ScriptState]:
        return [s for s in self.scripts if s.state in ("started", "reverting")]

    def as_dict(self) -> dict:
        return {
            "tracking_table_exists": self.tracking_table_exists,
            "pending": len(self.pending), "applied": len(self.applied),
            "unfinished": len(self.unfinished),
            "scripts": [s.as_dict() for s in self.scripts],
        }


@dataclass
class Verification:
    """What ``verify`` found: applied scripts edited or deleted since, and late arrivals."""

    changed: list[ScriptState] = field(default_factory=list)
    missing: list[ScriptState] = field(default_factory=list)
    out_of_order: list[ScriptState] = field(default_factory=list)
    unfinished: list[ScriptState] = field(default_factory=list)

    @property
    def drift(self) -> bool:
        return bool(self.changed or self.missing)

    @property
    def ok(self) -> bool:
        return not (self.drift or self.out_of_order or self.unfinished)

    def as_dict(self) -> dict:
        return {"ok": self.ok, **{name: [s.version for s in getattr(self, name)]
                                  for name in ("changed", "missing", "out_of_order", "unfinished")}}


def build_status(scripts: list[Script], applied: dict[str, AppliedScript], exists: bool) -> Status:
    newest = max((a.number for a in applied.values()), default=None)
    states = []
    for script in scripts:
        row = applied.get(script.version)
        late = row is None and newest is not None and script.number < newest
        states.append(ScriptState(script.version, script.title, script.kind, row, script, late))
    on_disk = {s.version for s in scripts}
    for row in applied.values():
        if row.version not in on_disk:
            states.append(ScriptState(row.version, row.title, row.kind, row, None))
    states.sort(key=lambda s: s.number)
    return Status(states, exists)


def verify(status: Status) -> Verification:
    """Compare every applied script's recorded checksum with its files now (hashes them)."""
    found = Verification()
    for state in status.scripts:
        if state.state in ("started", "reverting"):
            found.unfinished.append(state)
        elif state.state == "missing":
            found.missing.append(state)
        elif state.out_of_order:
            found.out_of_order.append(state)
        elif (state.applied and state.applied.checksum and state.script is not None
              and state.script.checksum != state.applied.checksum):
            # (an applied state that is not "missing" always has its script)
            found.changed.append(state)
    return found


def drift_messages(scripts: list[Script], applied: dict[str, AppliedScript]) -> list[str]:
    """One line per applied script whose files changed or vanished since it was applied."""
    found = verify(build_status(scripts, applied, True))
    messages = [f"{s.version} ({s.script.main_file.name}) changed since it was applied"
                for s in found.changed if s.script is not None]  # a changed state has its script
    messages += [f"{s.version} ({s.title}) was applied but its file is gone" for s in found.missing]
    return messages


def parse_version(value, what: str = "Version") -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        raise UnknownVersionError(
            f"{what} {value!r} is not a version: versions are the leading digits of a "
            "script's file name, like 201006231515."
        ) from None


def plan_upgrade(scripts: list[Script], applied, version=None, to=None) -> list[Script]:
    known = {s.number: s for s in scripts}
    if version is not None:
        number = parse_version(version)
        if number not in known:
            raise unknown_version(number, known, applied)
        script = known[number]
        return [] if script.version in applied else [script]
    pending = [s for s in scripts if s.version not in applied]
    if to is not None:
        limit = parse_version(to, "--to")
        if limit not in known and str(limit) not in applied:
            raise unknown_version(limit, known, applied)
        pending = [s for s in pending if s.number <= limit]
    return pending


def plan_downgrade(applied, by_version, version=None, to=None, all=False) -> list[AppliedScript]:
    newest_first = list(reversed(applied_order(applied)))
    known = {int(v): s for v, s in by_version.items()}
    if version is not None:
        number = parse_version(version)
        if str(number) not in applied:
            if number not in known:
                raise unknown_version(number, known, applied)
            return []
        return [applied[str(number)]]
    if all:
        return newest_first
    if to is not None:
        limit = parse_version(to, "--to")
        if str(limit) not in applied and limit not in known:
            raise unknown_version(limit, known, applied)
        return [a for a in newest_first if a.number > limit]
    return newest_first[:1]


def order_warning(direction: str, plan: list, scripts: list[Script], applied) -> str | None:
    """What running exactly one script (``upgrade V``, ``downgrade V``) does to the order, if anything.

    :param plan: the one script about to run (empty: nothing to say).
    """
    if len(plan) != 1:
        return None
    target = plan[0]
    if direction == "upgrade":
        older = [s.version for s in scripts if s.number < target.number and s.version not in applied]
        if not older:
            return None
        many = len(older) > 1
        return (f"Applying {target.version} alone: {_listed(older)} {'are' if many else 'is'} older "
                f"and still pending, so {'they' if many else 'it'} will run after it, out of order. "
                f"To apply everything up to {target.version} in order, use `upgrade --to {target.version}`.")
    newer = [a.version for a in applied_order(applied) if a.number > target.number]
    if not newer:
        return None
    many = len(newer) > 1
    before = [a.number for a in applied.values() if a.number < target.number]
    back_to = f"`downgrade --to {max(before)}`" if before else "`downgrade --all`"
    return (f"Reverting {target.version} alone: {_listed(newer)} {'were' if many else 'was'} applied "
            f"after it and {'stay' if many else 'stays'} applied, and may depend on it. To revert "
            f"newest first, down to and including {target.version}, use {back_to}.")


def _listed(versions: list[str]) -> str:
    return ", ".join(versions[:5]) + (", ..." if len(versions) > 5 else "")


def unknown_version(number: int, known: dict, applied=None) -> UnknownVersionError:
    if applied and str(number) in applied:
        return UnknownVersionError(
            f"Script {number} is recorded as applied, but its file is no longer among the "
            "scripts. Restore it (e.g. from version control) to work with it.")
    near = sorted(known, key=lambda n: abs(n - number))[:3]
    hint = f" Nearest versions: {', '.join(str(n) for n in sorted(near))}." if near else ""
    return UnknownVersionError(
        f"No script has version {number}.{hint} Run `lockgate status` to list the scripts."
    )


def nothing_to_do(scripts: list[Script], applied, version=None, to=None) -> str:
    if version is not None:
        return f"Script {parse_version(version)} is already applied; nothing to do."
    if to is not None:
        later = sum(1 for s in scripts if s.version not in applied)
        return (f"Every script up to {parse_version(to, '--to')} is applied; nothing to do"
                + (f" ({later} later script{'s' if later != 1 else ''} pending)." if later else "."))
    return "The database is up to date; nothing to do."
