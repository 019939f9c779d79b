"""One import: read the peer's folder, write lockgate scripts, mark applied what the peer applied.

:func:`import_migrations` reads the peer's folder (:mod:`.alembic`,
:mod:`.yoyo`), writes one lockgate script per peer migration in the peer's
order (:mod:`.writing`), and with a migrator marks applied what the peer's own
table says is applied, without running it. The peer's tables are only read.
A second import of the same folder writes only the migrations added since.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ConfigError
from ..records import Resolution
from . import alembic, yoyo
from .writing import WrittenScript, assign_versions, imported_versions, write_scripts

__all__ = ["TOOLS", "ImportResult", "import_migrations"]

TOOLS = {"alembic": alembic, "yoyo": yoyo}


@dataclass
class ImportResult:
    """What an import wrote and marked, and what the user should know."""

    written: list[WrittenScript] = field(default_factory=list)
    already_imported: int = 0
    marked: list[Resolution] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def import_migrations(tool: str, folder, into, *, dialect=None, migrator=None) -> ImportResult:
    """Write lockgate scripts for the migrations in ``folder`` into ``into``.

    :param tool: ``"alembic"`` or ``"yoyo"``.
    :param dialect: the database Alembic revisions are rendered for: a
        :class:`~.target.RenderTarget` or its ``--dialect`` spelling
        (``"mariadb-10.11"``).
    :param migrator: a :class:`~lockgate.DBMigrator` over ``into``: when given,
        every imported script the peer has applied on its database is marked
        applied there (the tracking table is created if missing).
    :raises ConfigError: a bad folder or history, or nothing to mark.
    :raises AuthoringError: files in ``into`` that would be overwritten.
    """
    if tool not in TOOLS:
        raise ConfigError(f"Cannot import from {tool!r}: lockgate imports from {', '.join(TOOLS)}.")
    reader = TOOLS[tool]
    folder, into = Path(folder), Path(into)
    if not into.is_dir():
        raise ConfigError(f"The folder to import into, {into}, does not exist. Create it, or pass "
                          "--into with the folder your lockgate scripts live in.")
    history = reader.read(folder, dialect, into)
    peers = history.scripts
    result = ImportResult(notes=[note for peer in peers for note in peer.notes] + history.notes)
    applied = None
    if migrator is not None:  # read before writing: a wrong database must leave no files
        with migrator.engine.connect() as connection:
            applied, notes = reader.applied_ids(connection, history)
        result.notes.extend(notes)
    versions = _write_new(tool, peers, into, result)
    if applied is not None:
        result.marked = _mark_applied(migrator, [versions[p.peer_id] for p in peers if p.peer_id in applied])
    return result


def _write_new(tool: str, peers, into: Path, result: ImportResult) -> dict[str, str]:
    """Write the peers not imported before; peer id -> version of every peer."""
    before = imported_versions(into, tool)
    done = [p for p in peers if p.peer_id in before]
    if [p.peer_id for p in peers[:len(done)]] != [p.peer_id for p in done]:
        later = [p.peer_id for p in peers[:len(done)] if p.peer_id not in before]
        raise ConfigError(
            f"{into} holds scripts imported from this {tool} folder before, but {', '.join(later)} "
            "came earlier in its history and was not imported: lockgate cannot put them before "
            "scripts already written. Import into an empty folder, or write them as new scripts "
            "by hand.")
    new = peers[len(done):]
    newest = max(before.values(), key=int) if before else None
    written = write_scripts(into, tool, new, assign_versions(new, after=newest))
    result.written, result.already_imported = written, len(done)
    return {**before, **{w.peer_id: w.version for w in written}}


def _mark_applied(migrator, versions: list[str]) -> list[Resolution]:
    """Record each version applied without running it, skipping those already recorded."""
    recorded = {s.version for s in migrator.status().recorded}
    return [migrator.resolve(version, applied=True)
            for version in versions if version not in recorded]
