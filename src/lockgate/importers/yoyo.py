"""Reading a yoyo project: its migrations in yoyo's dependency order.

yoyo's own API reads the folder (:func:`yoyo.read_migrations`) and orders it
(:func:`yoyo.migrations.topological_sort`, honouring ``-- depends:`` and
``__depends__``), so the order is the one ``yoyo apply`` uses.

- A ``.sql`` migration becomes a SQL script as it is, its ``.rollback.sql``
  the downgrade.
- A ``.py`` migration whose steps are all SQL strings becomes a SQL script:
  the apply strings in order, the rollback strings in reverse (yoyo's order).
- Any other ``.py`` migration (callable steps, ``ignore_errors``) becomes a
  Python script that keeps the original source and runs its steps through
  :mod:`lockgate.importers.yoyo_steps`.
- ``__transactional__ = False`` / ``-- transactional: false`` becomes
  lockgate's no-transaction mode. ``post-apply`` hooks are not imported.
"""

from __future__ import annotations

import glob
import logging
import re
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .peer import PY, PeerHistory, PeerScript, read_peer_ids

TOOL = "yoyo"
MIGRATION_TABLE = "_yoyo_migration"
NO_TRANSACTION = "-- lockgate: no-transaction"
_YOYO_DIRECTIVE = re.compile(r"^\s*--\s*(transactional|depends)\s*:", re.IGNORECASE)

PY_TEMPLATE = '''"""{title}: yoyo steps, run by lockgate.

The yoyo migration's source is kept in SOURCE and its steps run on lockgate's
connection: SQL strings on a DBAPI cursor, callables given the DBAPI connection.
"""

from lockgate.importers.yoyo_steps import run_steps
{transaction}
SOURCE = {source}


def upgrade(connection):
    run_steps(SOURCE, connection, "apply", name={name!r})
{downgrade}'''

PY_DOWNGRADE = '''

def downgrade(connection):
    run_steps(SOURCE, connection, "rollback", name={name!r})
'''


def read(folder: Path, dialect: object = None, into: Path | None = None) -> PeerHistory:
    """Every migration of ``folder`` in yoyo's order (``dialect`` and ``into`` are unused: yoyo's SQL is as written).

    :raises ConfigError: missing folder, no migrations, or one yoyo cannot load.
    """
    from yoyo import read_migrations
    from yoyo.exceptions import BadMigration, MigrationConflict
    from yoyo.migrations import topological_sort

    if not folder.is_dir():
        raise ConfigError(f"The yoyo folder {folder} does not exist. Give the folder holding the "
                          "yoyo migrations (*.sql, *.py).")
    yoyo_log = logging.getLogger("yoyo.migrations")
    was_disabled, yoyo_log.disabled = yoyo_log.disabled, True  # it logs tracebacks; the error says it all
    try:
        migrations = read_migrations(glob.escape(str(folder)))
        ordered = list(topological_sort(migrations))
        for migration in ordered:
            migration.load()
    except (BadMigration, MigrationConflict) as exc:
        cause = f" ({exc.args[1]!r})" if len(exc.args) > 1 else ""
        raise ConfigError(f"yoyo cannot load the migrations in {folder}: {exc.args[0]}{cause}. Fix "
                          "them (`yoyo list` must work) and import again; nothing was written.") from exc
    finally:
        yoyo_log.disabled = was_disabled
    if not ordered:
        raise ConfigError(f"{folder} is not a yoyo folder: it holds no migrations (*.sql, *.py). "
                          "Give the folder yoyo reads its migrations from.")
    peers = [_convert(migration) for migration in ordered]
    history = PeerHistory(peers, MIGRATION_TABLE)
    if migrations.post_apply:
        names = ", ".join(Path(m.path).name for m in migrations.post_apply)
        history.notes.append(
            f"post-apply hooks are not imported ({names}): yoyo runs them after every apply, and "
            "lockgate has no such hook. Run them yourself after `lockgate upgrade`, or write what "
            "they do into a new script")
    return history


def applied_ids(connection, history: PeerHistory) -> tuple[set[str], list[str]]:
    """Migration ids in ``_yoyo_migration`` (read only), and notes about ids the folder lacks."""
    ids = read_peer_ids(connection, history.table, "migration_id", "yoyo")
    known = {p.peer_id for p in history.scripts}
    notes = [f"yoyo applied {i}, which is not in the imported folder: not marked" for i in sorted(ids - known)]
    return ids & known, notes


def _convert(migration) -> PeerScript:
    migration.load()
    path = Path(migration.path)
    upgrade: str | None
    if migration.is_raw_sql():
        upgrade, downgrade = _sql_files(path)
    else:
        upgrade, downgrade = _string_steps(migration.steps)
        if upgrade is None:
            return PeerScript(migration.id, migration.id, _python_script(migration, path), kind=PY,
                              how="as Python: its steps call Python, run by yoyo_steps")
    header = f"-- yoyo migration {path.name}\n"
    if not migration.use_transactions:
        header += NO_TRANSACTION + "\n"
    return PeerScript(migration.id, migration.id, header + upgrade, downgrade, how="as SQL")


def _sql_files(path: Path) -> tuple[str, str | None]:
    upgrade = _drop_directives(path.read_text(encoding="utf-8"))
    rollback = path.with_name(path.name[:-len(".sql")] + ".rollback.sql")
    downgrade = _drop_directives(rollback.read_text(encoding="utf-8")) if rollback.is_file() else None
    return upgrade, downgrade


def _drop_directives(text: str) -> str:
    """yoyo's ``-- depends:`` / ``-- transactional:`` lines; the rest is kept verbatim."""
    return "".join(line for line in text.splitlines(keepends=True) if not _YOYO_DIRECTIVE.match(line))


def _string_steps(steps) -> tuple[str | None, str | None]:
    """SQL for steps that are all strings with no ``ignore_errors``; (None, None) otherwise."""
    leaves: list[Any] = []  # yoyo's MigrationStep objects
    for wrapper in steps:
        if not _collect_leaves(wrapper, leaves):
            return None, None
    applies = [_statement(leaf._apply) for leaf in leaves if leaf._apply]
    rollbacks = [_statement(leaf._rollback) for leaf in reversed(leaves) if leaf._rollback]
    return "\n\n".join(applies) + "\n", ("\n\n".join(rollbacks) + "\n") if rollbacks else None


def _collect_leaves(step, leaves: list) -> bool:
    """Flatten wrappers and groups into MigrationSteps; False when one is not plain SQL."""
    if getattr(step, "ignore_errors", None):
        return False
    inner = getattr(step, "step", step)
    if hasattr(inner, "steps"):  # a group
        return all(_collect_leaves(s, leaves) for s in inner.steps)
    if not all(part is None or isinstance(part, str) for part in (inner._apply, inner._rollback)):
        return False
    leaves.append(inner)
    return True


def _has_rollback(step) -> bool:
    inner = getattr(step, "step", step)
    if hasattr(inner, "steps"):
        return any(_has_rollback(s) for s in inner.steps)
    return inner._rollback is not None


def _statement(sql: str) -> str:
    sql = sql.strip()
    return sql if sql.endswith(";") else sql + ";"


def _python_script(migration, path: Path) -> str:
    source = migration.source
    has_rollback = any(_has_rollback(step) for step in migration.steps)
    return PY_TEMPLATE.format(
        title=f"yoyo migration {path.name}",
        transaction="" if migration.use_transactions else "\ntransaction = False\n",
        source=_python_literal(source),
        name=path.name,
        downgrade=PY_DOWNGRADE.format(name=path.name) if has_rollback else "",
    )


def _python_literal(text: str) -> str:
    """A readable triple-quoted literal when that is exact, else repr."""
    if "\\" not in text and "'''" not in text and not text.endswith("'"):
        return "'''" + text + "'''"
    return repr(text)
