"""The text of a lockgate Python script that runs an Alembic revision live.

The revision's source is kept whole in the script (``SOURCE``), so the script
does not depend on the Alembic folder staying where it was; the ini options
and the naming convention env.py's ``target_metadata`` carries are written in
as literals, so scripts run the same without env.py. A sqlalchemy.url is never
copied: it may hold a password.
"""

from __future__ import annotations

import ast
import textwrap

from .alembic_env import AlembicProject, EnvSettings

_HEAD = '''"""{title}: Alembic revision {revision}, imported {how}.

Why: {why}.

The revision's own upgrade()/downgrade() (its source is SOURCE below) run
through Alembic's operations on the connection lockgate gives this script, in
lockgate's transaction unless `transaction = False` says otherwise. Alembic
must be installed where this script runs.
"""

from lockgate.importers.alembic_live import AlembicRevision
{imports}{transaction}

def upgrade(connection):
    {upgrade}
{downgrade}

SOURCE = {source}

REVISION = AlembicRevision(
    revision={revision!r},
    file={file!r},
    options={options},
    naming_convention={convention},{own_transaction}
    source=SOURCE,
)
'''
_DOWNGRADE = '''

def downgrade(connection):
    REVISION.run(connection, "downgrade", __file__)
'''


def render(revision, message: str, how: str, project: AlembicProject, env: EnvSettings, *,
           sql_upgrade: str | None, has_downgrade: bool, file: str) -> str:
    """The script for ``revision``; ``sql_upgrade`` (when the upgrade rendered) is run from ``_upgrade.sql``."""
    with open(revision.path, encoding="utf-8") as stream:
        source = stream.read()
    no_transaction = "autocommit_block" in source or (
        sql_upgrade is not None and sql_upgrade.startswith("-- lockgate: no-transaction"))
    return _HEAD.format(
        title=_docstring_text(" ".join(message.split())[:70]),
        revision=revision.revision,
        how=how.split(":")[0],
        why=_docstring_text(how.split(":", 1)[1].strip() if ":" in how else how),
        imports="from lockgate import run_sql_file\n" if sql_upgrade is not None else "",
        transaction="\n# autocommit_block() needs the script to run outside a transaction.\n"
                    "transaction = False\n" if no_transaction else "",
        upgrade=("run_sql_file(connection)" if sql_upgrade is not None
                 else 'REVISION.run(connection, "upgrade", __file__)'),
        downgrade=_DOWNGRADE if has_downgrade else "",
        file=file,
        options=_literal(project.options),
        convention=_literal(_plain(env.naming_convention())),
        source=_source_literal(source),
        own_transaction="\n    own_transaction=True," if no_transaction else "",
    )


def _docstring_text(text: str) -> str:
    """``text`` safe inside the script's docstring, wrapped to fit."""
    safe = text.replace("\\", "/").replace('"', "'")
    return "\n".join(textwrap.wrap(safe, 76, subsequent_indent="  "))


def _plain(convention: dict | None) -> dict[str, str] | None:
    """The entries of the convention a literal can carry (text keys and values)."""
    if convention is None:
        return None
    if all(isinstance(k, str) and isinstance(v, str) for k, v in convention.items()):
        return convention
    return {k: v for k, v in convention.items() if isinstance(k, str) and isinstance(v, str)}


def _literal(value: dict | None) -> str:
    """A dict literal, one entry a line, indented as an argument."""
    if not value:
        return repr(value)
    lines = "".join(f"        {key!r}: {value[key]!r},\n" for key in sorted(value))
    return "{\n" + lines + "    }"


def _source_literal(text: str) -> str:
    """A readable triple-quoted literal when that is exact, else repr."""
    for quotes in ('"""', "'''"):
        candidate = quotes + text + quotes
        if "\\" in text or quotes in text or text.endswith(quotes[0]):
            continue
        try:
            if ast.literal_eval(candidate) == text:
                return candidate
        except (SyntaxError, ValueError):
            continue
    return repr(text)
