"""Turning the engine's results into text for people and JSON for machines."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .run.planning import Status, Verification
from .records import AppliedScript, RunResult
from .terminal import paint

if TYPE_CHECKING:
    from .dialects.base import DialectAdapter
    from .records import Resolution, SetupResult
    from .scripts import Script


def table(headers: list[str], rows: list[list[str]], styles: list[dict[int, str | None]] | None = None,
          colour: bool = False) -> str:
    """Columns padded to their widest cell; the last column is not padded.

    ``styles[i]`` maps a column index to a :func:`~lockgate.terminal.paint`
    style for row ``i``, used when ``colour`` is on (padding stays exact).
    """
    widths = [max(len(str(r[i])) for r in [headers] + rows) for i in range(len(headers))]
    lines = []
    header_style: dict[int, str | None] = {n: "bold" for n in range(len(headers))}
    row_styles = [header_style] + (styles or [{}] * len(rows))
    for row, style in zip([headers] + rows, row_styles):
        cells = [str(c).ljust(w) for c, w in zip(row[:-1], widths)] + [str(row[-1])]
        if colour:
            cells = [paint(cell, style.get(n), True) for n, cell in enumerate(cells)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


#: How each state of a script looks on a colour terminal.
STATE_STYLES = {"applied": "green", "pending": "yellow", "missing": "red",
                "started": "red+bold", "reverting": "red+bold"}


def _when(applied: AppliedScript | None) -> str:
    if applied is None or applied.applied_at is None:
        return "-"
    return applied.applied_at.strftime("%Y-%m-%d %H:%M:%S")


def format_status(status: Status, colour: bool = False) -> str:
    rows: list[list[str]] = []
    styles: list[dict[int, str | None]] = []
    for s in status.scripts:
        state = s.state + (" (out of order)" if s.out_of_order else "")
        rows.append([s.version, s.title, s.kind, state, _when(s.applied)])
        styles.append({3: "magenta" if s.out_of_order else STATE_STYLES.get(s.state)})
    parts = []
    if rows:
        parts.append(table(["VERSION", "TITLE", "KIND", "STATE", "APPLIED AT (UTC)"], rows, styles, colour))
    else:
        parts.append("No scripts found.")
    late = sum(1 for s in status.scripts if s.out_of_order)
    missing = sum(1 for s in status.scripts if s.state == "missing")
    unfinished = len(status.unfinished)
    summary = f"{len(status.applied)} applied, {len(status.pending)} pending"
    if late:
        summary += f" ({late} older than the newest applied script: they will run out of order)"
    if missing:
        summary += f", {missing} applied but missing on disk"
    if unfinished:
        summary += f", {unfinished} left unfinished by a stopped run (see `lockgate resolve`)"
    if not status.tracking_table_exists and status.applied:
        summary += ("; the applied scripts are read from nous.migration's `versions` table, "
                    "which the next `upgrade` or `setup` adopts")
    elif not status.tracking_table_exists:
        summary += "; the tracking table does not exist yet (run `setup` or `upgrade`)"
    parts.append(summary + ".")
    return "\n".join(parts)


def format_verification(found: Verification) -> str:
    lines = []
    for state in found.changed:
        lines.append(f"changed       {state.version} {state.title}: its files differ from what was applied")
    for state in found.missing:
        lines.append(f"missing       {state.version} {state.title}: applied, but its file is gone")
    for state in found.out_of_order:
        lines.append(f"out of order  {state.version} {state.title}: pending, older than the newest applied script")
    for state in found.unfinished:
        lines.append(f"unfinished    {state.version} {state.title}: a run stopped inside it ({state.state}); "
                     f"see `lockgate resolve`")
    if not lines:
        return "Every applied script matches its files."
    return "\n".join(lines)


def format_plan(plan: list[Script], adapter: DialectAdapter, direction: str = "upgrade") -> str:
    """What ``--dry-run`` shows: the scripts in order, with the SQL of SQL scripts (or their downgrades)."""
    reverting = direction == "downgrade"
    if not plan:
        return "Nothing to revert." if reverting else "Nothing to apply."
    parts = [f"Would {'revert' if reverting else 'apply'} {len(plan)} script{'s' if len(plan) != 1 else ''}:"]
    for script in plan:
        item = script.sql_files["downgrade"] if reverting and script.kind == "sql" else script.main_file
        parts.append(f"\n-- {script.version} {script.title} ({script.kind}, {item.name})")
        if script.kind == "sql":
            parts.append(item.read_text(encoding="utf-8-sig").rstrip())
        else:
            parts.append("-- (Python: its SQL is known only when it runs)")
    return "\n".join(parts)


def script_dict(script: Script) -> dict[str, str]:
    """A script as JSON: what it is and where its file is."""
    return {"version": script.version, "title": script.title, "kind": script.kind,
            "file": str(script.main_file)}


def format_history(history: list[AppliedScript]) -> str:
    if not history:
        return "No scripts have been applied."
    rows = []
    for a in history:
        took = "marked applied" if a.execution_ms is None else f"{a.execution_ms} ms"
        rows.append([a.version, a.title, _when(a), took, a.applied_by or "-", _revision(a.vcs_revision)])
    return table(["VERSION", "TITLE", "APPLIED AT (UTC)", "TOOK", "BY", "COMMIT"], rows)


def _revision(value: str | None) -> str:
    if not value:
        return "-"
    return value[:12] + ("-dirty" if value.endswith("-dirty") else "")


def format_run(result: RunResult) -> str:
    lines = []
    if result.adopted is not None:
        n = result.adopted
        lines.append(f"Adopted {n} applied script{'s' if n != 1 else ''} from nous.migration's table.")
    if result.message:
        lines.append(result.message)
    elif result.runs:
        verb = "Applied" if result.runs[0].direction == "upgrade" else "Reverted"
        if result.rehearsal:
            verb = "Rehearsed (and rolled back)"
        total = sum(r.execution_ms for r in result.runs)
        lines.append(f"{verb} {len(result.runs)} script{'s' if len(result.runs) != 1 else ''} in {total} ms.")
    return "\n".join(lines)


def run_dict(result: RunResult) -> dict[str, Any]:
    """What ``upgrade``/``downgrade --json`` print: every script run, and any message."""
    return {"runs": [{"version": r.version, "title": r.title, "direction": r.direction,
                      "execution_ms": r.execution_ms, "out_of_order": r.out_of_order}
                     for r in result.runs],
            "message": result.message, "warnings": result.warnings,
            "adopted": result.adopted, "rehearsal": result.rehearsal}


def format_setup(result: SetupResult) -> str:
    """What ``setup`` says it did, or why it did nothing."""
    if not result and result.adopted:
        n = result.adopted
        return (f"Adopted {n} script{'s' if n != 1 else ''} applied by nous.migration (its `versions` "
                "table is left as it was); nothing else done. Use `upgrade` to apply new scripts.")
    if not result:
        return ("The database is already set up (its tracking table exists); nothing done. "
                "Use `upgrade` to apply new scripts.")
    n = result.scripts
    scripts = f"{n} script{'s' if n != 1 else ''}"
    if result.how == "marked":
        return f"Marked {scripts} applied without running {'them' if n != 1 else 'it'}."
    if result.how == "schema":
        return f"Installed the canonical schema and marked {scripts} applied."
    return "Set up the database by running every script."


def format_resolution(resolution: Resolution) -> str:
    """What ``resolve`` (and ``import --mark-applied``, per script) says it did."""
    number, title = resolution.version, resolution.title
    if resolution.outcome == "marked-applied":
        return f"Marked {number} ({title}) as applied{' without running it' if resolution.was is None else ''}."
    if resolution.outcome == "already-applied":
        return f"Script {number} ({title}) is already recorded as applied; nothing changed."
    if resolution.outcome == "not-recorded":
        return f"Script {number} is not recorded; nothing to resolve."
    return f"Marked {number} as not applied; `upgrade` will run it again."


def to_json(data: Any) -> str:
    return json.dumps(data, indent=2, default=str)
