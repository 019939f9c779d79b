"""Reading an Alembic project: each revision as SQL rendered offline, or run live when it must be.

Each revision's ``upgrade()`` and ``downgrade()`` are rendered against an
offline (``as_sql``) :class:`~alembic.runtime.migration.MigrationContext`, as
``alembic upgrade --sql`` does, one revision at a time, for the dialect a live
connection to the target server would have (:mod:`.target`), in the
environment the project's env.py sets up (:mod:`.alembic_env`). Alembic's
bookkeeping (``alembic_version``) and transaction lines are not part of the
result, since lockgate tracks scripts itself and runs each in its own
transaction.

A revision whose upgrade cannot be rendered (it reads the database, or asks
``context.is_offline_mode()`` and so behaves differently online) becomes a
Python script that runs it live through :mod:`.alembic_live`; an upgrade that
renders keeps its SQL even when its downgrade must run live. Nothing is
refused for that: only revisions Alembic cannot load are.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
from pathlib import Path

from ..errors import ConfigError
from .alembic_env import AlembicProject, EnvSettings, open_project, read_env
from .peer import PY, PeerHistory, PeerScript, ancestors_and_self, read_peer_ids
from .target import ConfiguredDatabase, RenderTarget, parse_target

TOOL = "alembic"
_CREATE_DATE = re.compile(r"Create Date:\s*(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2})")
_BOOKKEEPING = re.compile(
    r"^\s*(CREATE TABLE|INSERT INTO|UPDATE|DELETE FROM|DROP TABLE)\s+[`\"]?alembic_version\b",
    re.IGNORECASE)
_TRANSACTION_LINE = re.compile(r"^\s*(BEGIN|COMMIT)\s*;\s*$", re.IGNORECASE)
NO_TRANSACTION = "-- lockgate: no-transaction"
LIVE_NOTE = ("Python scripts run their revision through Alembic when they run: Alembic must be "
             "installed wherever `lockgate upgrade` runs them")


def read(folder: Path, dialect: RenderTarget | ConfiguredDatabase | str | None,
         into: Path | None = None) -> PeerHistory:
    """Every revision from base to head, rendered for ``dialect`` where it can be.

    :raises ConfigError: not an Alembic folder, several heads, or revisions
        that cannot be loaded (each named).
    """
    project = open_project(folder)  # a wrong folder is told before anything connects
    target = _target(dialect)
    env = read_env(project, f"{target.dialect().name}://")
    revisions = _upgrade_order(project, folder)
    # What one `alembic upgrade --sql` run remembers across revisions (named types created).
    memo: dict = {}
    peers = [_convert(revision, target, project, env, into or Path.cwd(), memo) for revision in revisions]
    notes = project.notes + env.notes + ([target.note] if target.note else [])
    if any(p.kind == PY for p in peers):
        notes.append(LIVE_NOTE)
    return PeerHistory(peers, env.version_table, env.version_table_schema, notes)


def _target(dialect: RenderTarget | ConfiguredDatabase | str | None) -> RenderTarget:
    if isinstance(dialect, RenderTarget):
        return dialect
    if isinstance(dialect, ConfiguredDatabase):
        return dialect.resolve()
    if not dialect:
        raise ConfigError(
            "Importing Alembic revisions renders them as SQL for one database, and none is "
            "known. Pass --dialect postgresql (or mysql, mariadb, sqlite, with a version such as "
            "mariadb-10.11), or configure the database URL (--url, LOCKGATE_URL, or the ini file).")
    try:
        return parse_target(dialect)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def applied_ids(connection, history: PeerHistory) -> tuple[set[str], list[str]]:
    """Revisions the database has, from Alembic's version table (read only), and notes.

    A database at revision X has X and all its ancestors applied.
    """
    heads = read_peer_ids(connection, history.table, "version_num", "Alembic", history.schema)
    known = {p.peer_id for p in history.scripts}
    unknown = sorted(heads - known)
    if unknown:
        raise ConfigError(
            f"--mark-applied: {history.table} says the database is at {', '.join(unknown)}, "
            "which is not a revision in the imported folder. Import the folder this database was "
            "migrated from (or bring the database to a revision of this folder with Alembic first); "
            "nothing was marked.")
    return ancestors_and_self(history.scripts, heads), []


def _upgrade_order(project: AlembicProject, folder: Path) -> list:
    """Revisions base first; merged branches in Alembic's own upgrade order, several heads refused."""
    from alembic.util import CommandError

    scripts = project.scripts
    try:
        heads = scripts.get_heads()
        revisions = list(scripts.walk_revisions("base", "heads"))
    except CommandError as exc:
        raise ConfigError(f"Alembic cannot order the revisions in {folder}: {str(exc).rstrip('.')}. "
                          "Fix the history (`alembic history` must work) and import again.") from exc
    except Exception as exc:  # a revision file that fails to import
        raise ConfigError(f"Alembic cannot load the revisions in {folder}: "
                          f"{'; '.join(_unloadable(scripts)) or _describe(exc)}. Fix those revision "
                          "files (or install what they import) and import again; nothing was "
                          "written.") from exc
    if len(heads) > 1:
        raise ConfigError(
            f"The Alembic history in {folder} has {len(heads)} heads ({', '.join(sorted(heads))}): "
            "its branches have no single order to turn into lockgate's one line of versions. "
            "Merge them first (`alembic merge heads -m \"merge\"`), then import again.")
    if not revisions:
        raise ConfigError(f"{folder} has no Alembic revisions to import; nothing was written.")
    revisions.reverse()
    return revisions


def _unloadable(scripts) -> list[str]:
    """Each revision file Alembic cannot load, with why."""
    from alembic.util.pyfiles import load_python_file

    problems = []
    for location in getattr(scripts, "_version_locations", None) or [scripts.versions]:
        for path in sorted(Path(location).glob("*.py")):
            try:
                load_python_file(str(path.parent), path.name)
            except Exception as exc:
                problems.append(f"{path.name} ({_describe(exc)})")
    return problems


def _convert(revision, target: RenderTarget, project: AlembicProject, env: EnvSettings,
             into: Path, memo: dict) -> PeerScript:
    from . import alembic_script

    module = revision.module
    message = (revision.doc or "").strip() or "revision"
    if not callable(getattr(module, "upgrade", None)):
        raise ConfigError(f"Alembic revision {revision.revision} ({revision.path}) has no upgrade() "
                          "function, so Alembic could not run it either. Add one (`def upgrade(): "
                          "pass` when it does nothing) and import again; nothing was written.")
    upgrade, up_problem = _try_render(module.upgrade, target, project, env, memo)
    downgrade_fn = getattr(module, "downgrade", None)
    downgrade, down_problem = (_try_render(downgrade_fn, target, project, env)
                               if callable(downgrade_fn) else (None, None))
    notes = []
    if down_problem is not None and down_problem.startswith(_IRREVERSIBLE):
        # `raise NotImplementedError` is how a revision says it cannot be undone; Alembic's own
        # operations raise it too for what a database cannot do, online as offline.
        notes.append(f"revision {revision.revision}: its downgrade {down_problem}, so the script has no downgrade")
        downgrade_fn, down_problem = None, None
    if downgrade is not None and _has_statements(upgrade or "") and not _has_statements(downgrade):
        downgrade = None  # an empty downgrade would make an irreversible change look reversible
        notes.append(f"revision {revision.revision}: its downgrade renders no SQL, so the script has no downgrade")
    script = PeerScript(
        peer_id=revision.revision,
        slug_source=f"{message[:40]} {revision.revision}",
        upgrade="",
        created=_create_date(module.__doc__ or ""),
        parents=_down_revisions(revision.down_revision),
        notes=notes,
    )
    # No semicolon in the comment: a splitter reading it as a statement end must not matter.
    header = f"-- {_one_line(message).replace(';', ',')} (rendered for {target.describe()})\n"
    if upgrade is not None and down_problem is None:
        script.upgrade, script.downgrade, script.how = header + upgrade, downgrade, "as SQL"
        return script
    script.kind = PY
    if upgrade is not None:
        script.upgrade_sql = header + upgrade
        script.how = f"as SQL, with a downgrade run live through Alembic: the downgrade {down_problem}"
    else:
        script.how = f"as Python run live through Alembic: the upgrade {up_problem}"
    script.upgrade = alembic_script.render(
        revision, message, script.how, project, env, sql_upgrade=upgrade,
        has_downgrade=callable(downgrade_fn), file=_relative(revision.path, into))
    return script


def _relative(path: str, into: Path) -> str:
    """The revision file relative to the folder the script is written into."""
    try:
        return Path(os.path.relpath(path, into)).as_posix()
    except ValueError:  # another drive on Windows
        return Path(path).as_posix()


def _try_render(function, target, project, env, memo: dict | None = None) -> tuple[str | None, str | None]:
    """The SQL ``function`` renders offline, or None and why it cannot be rendered."""
    try:
        return render(function, target, project, env, memo), None
    except _AsksOfflineMode:
        return None, "asks context.is_offline_mode() and does something else online"
    except NotImplementedError as exc:
        return None, f"{_IRREVERSIBLE} ({_describe(exc)})"
    except Exception as exc:
        if "batch mode" in str(exc):  # Alembic's words when batch operations must reflect a table
            return None, "uses batch operations, which copy the live table on this database"
        return None, f"reads the database while it runs ({_describe(exc)})"


_IRREVERSIBLE = "raises NotImplementedError"


class _AsksOfflineMode(Exception):
    """The revision asked whether it runs offline: its SQL would not be what it does online."""


def render(function, target: RenderTarget, project: AlembicProject, env: EnvSettings,
           memo: dict | None = None) -> str:
    """The SQL ``function`` (a revision's upgrade or downgrade) emits offline.

    :param memo: shared by the upgrades in order, as one ``alembic upgrade --sql``
        run shares it: a named type (PostgreSQL enum) is created once.

    :raises Exception: whatever the revision raises when it needs a live database.
    """
    from alembic.operations import Operations
    from alembic.runtime.environment import EnvironmentContext
    from alembic.runtime.migration import MigrationContext

    asked: list[bool] = []

    def is_offline_mode() -> bool:
        asked.append(True)
        return True

    buffer = io.StringIO()
    # Alembic's `context` proxy serves EnvironmentContext's own attributes, so the instance's is used.
    environment = EnvironmentContext(project.config, project.scripts, as_sql=True)
    environment.is_offline_mode = is_offline_mode  # type: ignore[method-assign]
    opts = {"as_sql": True, "output_buffer": buffer, "literal_binds": True, "script": project.scripts}
    if env.target_metadata is not None:
        opts["target_metadata"] = env.target_metadata
    context = MigrationContext.configure(dialect=target.dialect(), environment_context=environment,
                                         opts=opts)
    environment._migration_context = context  # what context.get_context() returns in a revision
    if memo is not None:
        context.impl.memo = memo
    with environment, Operations.context(context):
        function()
    if asked:
        raise _AsksOfflineMode
    return clean_sql(buffer.getvalue())


def _describe(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:200] + '...' if len(text) > 200 else text}"


def clean_sql(sql: str) -> str:
    """Drop Alembic's version-table statements and its BEGIN/COMMIT lines.

    A COMMIT inside a revision comes from ``autocommit_block()``: its statements
    cannot run in a transaction, so the script is marked to run without one.
    """
    chunks = [c for c in sql.split("\n\n") if c.strip() and not _BOOKKEEPING.match(c)]
    autocommit = False
    kept = []
    for chunk in chunks:
        lines = []
        for line in chunk.splitlines():
            if _TRANSACTION_LINE.match(line):
                autocommit = autocommit or line.strip().upper().startswith("COMMIT")
                continue
            lines.append(line)
        if any(line.strip() for line in lines):
            kept.append("\n".join(lines))
    body = "\n\n".join(kept) + ("\n" if kept else "")
    return f"{NO_TRANSACTION}\n{body}" if autocommit else body


def _has_statements(sql: str) -> bool:
    return any(line.strip() and not line.strip().startswith("--") for line in sql.splitlines())


def _create_date(docstring: str) -> dt.datetime | None:
    match = _CREATE_DATE.search(docstring)
    if not match:
        return None
    try:
        return dt.datetime.fromisoformat(match[1].replace("T", " "))
    except ValueError:
        return None


def _down_revisions(down) -> tuple[str, ...]:
    if down is None:
        return ()
    return (down,) if isinstance(down, str) else tuple(down)


def _one_line(text: str) -> str:
    return " ".join(text.split())
