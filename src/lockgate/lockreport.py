"""``upgrade --rehearse --locks``: which table locks each pending statement takes, and for how long.

The pending scripts are rehearsed (one transaction, rolled back) with a
:class:`~lockgate.run.lockwatch.LockWatch` that reads the transaction's
locks after every statement. By default the rehearsal runs on a scratch
copy of the schema, never on the target: a scratch database made beside the
target (or the empty ``shadow_url`` database) gets the target's applied
scripts, in the order the target applied them, and then the rehearsal. Only
``on_target=True`` rehearses on the target itself, where the timings are
those of its real tables (and its locks are really taken, for that long).

Only databases whose adapter has a lock reader can answer (PostgreSQL).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .errors import ConfigError
from .run.lockwatch import UNSEEN, LockWatch, ScriptLocks

if TYPE_CHECKING:
    from .config import Settings
    from .engine import DBMigrator

#: Where the rehearsal ran: a scratch database, the given shadow database, or the target.
SCRATCH, SHADOW, TARGET = "scratch", "shadow", "target"

#: The version of the JSON shape; it changes only when a key is removed or changes meaning.
JSON_FORMAT = 1


@dataclass
class TableLock:
    """The strongest lock a table (or one of its indexes) is held in, and the longest it is held."""

    table: str
    relation: str
    mode: str
    blocks: str
    held_ms: int
    version: str
    line: int | None

    def as_dict(self) -> dict:
        return {"table": self.table, "relation": self.relation, "mode": self.mode,
                "blocks": self.blocks, "held_ms": self.held_ms, "version": self.version,
                "line": self.line}


@dataclass
class LockReport:
    """What ``upgrade --rehearse --locks`` found: per script and statement, then per table."""

    database: str
    scripts: list[ScriptLocks] = field(default_factory=list)
    message: str = ""

    @property
    def tables(self) -> list[TableLock]:
        """Per table, its strongest lock and the longest that mode is held, strongest first.

        Relations the rehearsal itself created are left out: no other session
        sees them, so their locks block nobody.
        """
        best: dict[str, TableLock] = {}
        strength: dict[str, int] = {}
        for script in self.scripts:
            for statement in script.statements:
                for lock in statement.locks:
                    if lock.new_relation:
                        continue
                    found = TableLock(lock.table, lock.relation, lock.mode, lock.blocks,
                                      statement.held_ms, script.version, statement.line)
                    key = (lock.strength, statement.held_ms)
                    if lock.table not in best or key > (strength[lock.table], best[lock.table].held_ms):
                        best[lock.table], strength[lock.table] = found, lock.strength
        return sorted(best.values(), key=lambda t: (-strength[t.table], -t.held_ms, t.table))

    def as_dict(self) -> dict:
        """The JSON of ``upgrade --rehearse --locks --json`` (documented in docs/howto/locks-and-branches.md)."""
        return {"format": JSON_FORMAT, "database": self.database, "rolled_back": True,
                "message": self.message or None,
                "scripts": [script.as_dict() for script in self.scripts],
                "tables": [table.as_dict() for table in self.tables]}

    def format(self) -> str:
        """The report for people: each statement and its locks, then the summary per table."""
        where = {SCRATCH: "a scratch copy of the schema", SHADOW: "the shadow database",
                 TARGET: "the target database"}[self.database]
        if not self.scripts:
            return f"{self.message or 'Nothing to rehearse.'} (Nothing was rehearsed on {where}.)"
        lines = [f"Locks taken by {len(self.scripts)} pending script"
                 f"{'s' if len(self.scripts) != 1 else ''}, rehearsed on {where} and rolled back:"]
        for script in self.scripts:
            lines.append("")
            lines.append(f"{script.version} {script.file}"
                         + (" (locks read once, for the whole script: it ran its statements past "
                            "SQLAlchemy)" if script.capture == "script" else ""))
            for statement in script.statements:
                where_in = f"line {statement.line}" if statement.line else "   "
                lines.append(f"  {where_in}: {_short(statement.sql)}")
                if not statement.locks:
                    lines.append("      no new table lock")
                for lock in statement.locks:
                    what = lock.kind if lock.relation == lock.table else f"{lock.kind} of {lock.table}"
                    blocks = ("created in this transaction, blocks nobody" if lock.new_relation
                              else f"blocks {lock.blocks}" if lock.blocks == "reads and writes"
                              else f"blocks {lock.blocks} ({', '.join(lock.blocked)} wait)")
                    lines.append(f"      {lock.mode} on {lock.relation} ({what}): {blocks}")
        tables = self.tables
        lines += ["", "Strongest lock per table, held until its script commits:"]
        if not tables:
            lines.append("  none on a table that existed before")
        for table in tables:
            on = f" (on {table.relation})" if table.relation != table.table else ""
            at = f", line {table.line}" if table.line else ""
            lines.append(f"  {table.table}: {table.mode}{on} blocks {table.blocks} for "
                         f"{table.held_ms} ms ({table.version}{at})")
        if self.database != TARGET:
            lines += ["", "Durations are those of the copy, whose tables are empty; on the real "
                          "tables a statement that reads or rewrites a table holds its lock longer."]
        return "\n".join(lines)


def _short(sql: str, limit: int = 100) -> str:
    return sql if len(sql) <= limit or sql == UNSEEN else sql[: limit - 3] + "..."


def unsupported(migrator: DBMigrator) -> ConfigError:
    """The one paragraph for a database that cannot tell which locks a statement takes."""
    name = migrator.adapter.display_name or migrator.engine.dialect.name
    return ConfigError(
        f"{name} cannot tell which table locks each statement of a script takes, so `upgrade "
        "--rehearse --locks` does not run here and nothing was run. lockgate reads them on "
        "PostgreSQL, from pg_locks inside the rehearsal's transaction. Drop --locks (a plain "
        "--rehearse proves the scripts apply where DDL is transactional), or point --url at a "
        "PostgreSQL database with the same scripts.")


def lock_report(migrator: DBMigrator, settings: Settings, *, on_target: bool = False,
                shadow_url: str | None = None, version=None, to=None) -> LockReport:
    """Rehearse the pending scripts (all, ``version``, or up to ``to``) reading each statement's locks.

    :param migrator: the target's migrator; only read from unless ``on_target``.
    :param on_target: rehearse on the target itself instead of a copy of its schema.
    :param shadow_url: an empty database to build the copy in (kept), instead of a scratch one.
    :raises ConfigError: on a database without a lock reader, and for ``on_target`` with ``shadow_url``.
    :raises ScriptFailedError: when a script fails (on the copy, or in the target's rehearsal).
    """
    from .engine import DBMigrator
    from .schema.scratch import replay, scratch_engine

    reader = migrator.adapter.lock_reader()
    if reader is None:
        raise unsupported(migrator)
    if on_target and shadow_url:
        raise ConfigError("--on-target rehearses on the target database and --shadow-url on another "
                          "one: give one of them (neither: a scratch copy of the schema).")
    watch = LockWatch(reader, (settings.table,))
    if on_target:
        result = migrator.rehearse(version, to=to, watch=watch)
        return LockReport(TARGET, watch.scripts, result.message or "")
    history = [applied.version for applied in migrator.history()]
    with scratch_engine(migrator.engine, given_url=shadow_url, engine_options=settings.engine_options,
                        prefix="lockgate_locks_") as engine:
        copy = DBMigrator.from_settings(settings, engine=engine)
        if copy.adapter.lock_reader() is None:
            raise unsupported(copy)
        replay(copy, history)
        result = copy.rehearse(version, to=to, watch=watch)
    return LockReport(SHADOW if shadow_url else SCRATCH, watch.scripts, result.message or "")
