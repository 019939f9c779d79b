"""Reading an Alembic project: its revisions as SQL rendered offline for one dialect.

Each revision's ``upgrade()`` and ``downgrade()`` are run against an offline
(``as_sql``) :class:`~alembic.runtime.migration.MigrationContext`, as
``alembic upgrade --sql`` does, but one revision at a time and without the
project's ``env.py``: env.py often imports the application or reads its own
URL, and offline rendering needs neither. Alembic's bookkeeping
(``alembic_version``) and transaction lines are not part of the result, since
lockgate tracks scripts itself and runs each in its own transaction.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

from ..errors import ConfigError
from .peer import PeerScript, ancestors_and_self, read_peer_ids

TOOL = "alembic"
VERSION_TABLE = "alembic_version"
_CREATE_DATE = re.compile(r"Create Date:\s*(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2})")
_BOOKKEEPING = re.compile(
    r"^\s*(CREATE TABLE|INSERT INTO|UPDATE|DELETE FROM|DROP TABLE)\s+[`\"]?alembic_version\b",
    re.IGNORECASE)
_TRANSACTION_LINE = re.compile(r"^\s*(BEGIN|COMMIT)\s*;\s*$", re.IGNORECASE)
NO_TRANSACTION = "-- lockgate: no-transaction"


def read(folder: Path, dialect: str | None) -> list[PeerScript]:
    """Every revision from base to head, rendered for ``dialect``.

    :raises ConfigError: not an Alembic folder, several heads, or a revision
        that cannot be rendered offline.
    """
    if not dialect:
        raise ConfigError(
            "Importing Alembic revisions renders them as SQL for one database, and none is "
            "known. Pass --dialect postgresql (or mysql, mariadb, sqlite), or configure the "
            "database URL (--url, LOCKGATE_URL, or the ini file).")
    scripts = _script_directory(folder)
    return [_convert(revision, dialect) for revision in _upgrade_order(scripts, folder)]


def applied_ids(connection, peers: list[PeerScript]) -> tuple[set[str], list[str]]:
    """Revisions the database has, from ``alembic_version`` (read only), and notes.

    A database at revision X has X and all its ancestors applied.
    """
    heads = read_peer_ids(connection, VERSION_TABLE, "version_num", "Alembic")
    known = {p.peer_id for p in peers}
    unknown = sorted(heads - known)
    if unknown:
        raise ConfigError(
            f"--mark-applied: {VERSION_TABLE} says the database is at {', '.join(unknown)}, "
            "which is not a revision in the imported folder. Import the folder this database was "
            "migrated from (or bring the database to a revision of this folder with Alembic first); "
            "nothing was marked.")
    return ancestors_and_self(peers, heads), []


def _script_directory(folder: Path):
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    if not folder.is_dir():
        raise ConfigError(f"The Alembic folder {folder} does not exist. Give the folder holding "
                          "alembic.ini, or Alembic's script folder (with env.py and versions/).")
    ini, toml = folder / "alembic.ini", folder / "pyproject.toml"
    in_toml = toml.is_file() and "[tool.alembic]" in toml.read_text(encoding="utf-8", errors="replace")
    try:
        if ini.is_file() or in_toml:
            # [tool.alembic] needs Alembic 1.16; an alembic.ini alone works with older ones too.
            config = (Config(str(ini) if ini.is_file() else None, toml_file=str(toml))
                      if in_toml else Config(str(ini)))
            location = getattr(config, "get_alembic_option", config.get_main_option)("script_location")
            if not location:
                raise ConfigError(f"{ini if ini.is_file() else toml} has no script_location, so its "
                                  "revisions cannot be found. Add `script_location = %(here)s/alembic` "
                                  "(where env.py is) or give that folder instead.")
            if not Path(location).is_absolute() and (folder / location).is_dir():
                config.set_main_option("script_location", str(folder / location))
            return ScriptDirectory.from_config(config)
        if (folder / "env.py").is_file() or (folder / "versions").is_dir():
            return ScriptDirectory(str(folder))
    except CommandError as exc:
        raise ConfigError(f"Alembic cannot read the revisions in {folder}: {exc}. Fix the Alembic "
                          "project (`alembic history` must work) and import again.") from exc
    raise ConfigError(f"{folder} is not an Alembic folder: it has no alembic.ini, [tool.alembic] in a "
                      "pyproject.toml, env.py or versions/ folder. Give the folder holding alembic.ini, "
                      "or Alembic's script folder.")


def _upgrade_order(scripts, folder: Path) -> list:
    """Revisions base first; merged branches in Alembic's own upgrade order, several heads refused."""
    from alembic.util import CommandError

    try:
        heads = scripts.get_heads()
        revisions = list(scripts.walk_revisions("base", "heads"))
    except CommandError as exc:
        raise ConfigError(f"Alembic cannot order the revisions in {folder}: {exc}. Fix the history "
                          "(`alembic history` must work) and import again.") from exc
    except Exception as exc:  # a revision file that fails to import
        raise ConfigError(f"Alembic cannot load the revisions in {folder} ({type(exc).__name__}: "
                          f"{exc}). Fix the revision file and import again.") from exc
    if len(heads) > 1:
        raise ConfigError(
            f"The Alembic history in {folder} has {len(heads)} heads ({', '.join(sorted(heads))}): "
            "its branches have no single order to turn into lockgate's one line of versions. "
            "Merge them first (`alembic merge heads -m \"merge\"`), then import again.")
    if not revisions:
        raise ConfigError(f"{folder} has no Alembic revisions to import; nothing was written.")
    revisions.reverse()
    return revisions


def _convert(revision, dialect: str) -> PeerScript:
    module = revision.module
    upgrade = _render(revision, module.upgrade, dialect)
    downgrade_fn = getattr(module, "downgrade", None)
    downgrade = _render(revision, downgrade_fn, dialect) if callable(downgrade_fn) else None
    message = (revision.doc or "").strip() or "revision"
    header = f"-- {_one_line(message)}; rendered for {dialect}.\n"
    notes = []
    if downgrade is not None and _has_statements(upgrade) and not _has_statements(downgrade):
        downgrade = None  # an empty downgrade would make an irreversible change look reversible
        notes.append(f"revision {revision.revision}: its downgrade renders no SQL, so the script has no downgrade")
    return PeerScript(
        peer_id=revision.revision,
        slug_source=f"{message[:40]} {revision.revision}",
        upgrade=header + upgrade,
        downgrade=downgrade,
        created=_create_date(module.__doc__ or ""),
        parents=_down_revisions(revision.down_revision),
        notes=notes,
    )


def _render(revision, function, dialect: str) -> str:
    """The SQL ``function`` (a revision's upgrade or downgrade) emits offline."""
    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    buffer = io.StringIO()
    context = MigrationContext.configure(
        dialect_name=dialect, opts={"as_sql": True, "output_buffer": buffer, "literal_binds": True})
    try:
        with Operations.context(context):
            function()
    except Exception as exc:
        raise ConfigError(
            f"Alembic revision {revision.revision} ({revision.path}) cannot be rendered as "
            f"{dialect} SQL offline: {type(exc).__name__}: {exc}. Offline rendering cannot read the "
            "database (op.get_bind(), reflection; on SQLite batch operations need copy_from=). "
            "Make the revision renderable (`alembic upgrade --sql` must work), then import again; "
            "nothing was written.") from exc
    return clean_sql(buffer.getvalue())


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
