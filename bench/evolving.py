"""N scripts of an evolving schema, each with its downgrade, for the stairway and fixtures rows.

The schema grows the way an application's does: tables, columns added to
older tables (with defaults), child tables with foreign keys, unique and
plain indexes on tables made long before. The same steps are written as
lockgate scripts (``N_step.sql`` + ``N_downgrade.sql``) and as an Alembic
revision chain (``op.execute`` of the same SQL), so the two stairways do the
same work.
"""

from __future__ import annotations

from pathlib import Path


def step(i: int, kind: str) -> tuple[str, str]:
    """The upgrade and downgrade SQL of step ``i`` (1-based) on database ``kind``."""
    base = i - (i - 1) % 5  # the step that made this group's table
    table = f"t_{base}"
    phase = (i - 1) % 5
    if phase == 0:
        return (f"CREATE TABLE {table} (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(50) NOT NULL, "
                f"state VARCHAR(10) DEFAULT 'new' NOT NULL, CHECK (id > 0))", f"DROP TABLE {table}")
    if phase == 1:
        return (f"ALTER TABLE {table} ADD COLUMN note VARCHAR(100) DEFAULT 'none'",
                f"ALTER TABLE {table} DROP COLUMN note")
    if phase == 2:
        child = f"c_{base}"
        return (f"CREATE TABLE {child} (id INTEGER NOT NULL PRIMARY KEY, "
                f"parent_id INTEGER NOT NULL REFERENCES {table} (id) ON DELETE CASCADE, label VARCHAR(20))",
                f"DROP TABLE {child}")
    if phase == 3:
        index = f"ux_{table}_name"
        drop = f"DROP INDEX {index} ON {table}" if kind == "mariadb" else f"DROP INDEX {index}"
        return f"CREATE UNIQUE INDEX {index} ON {table} (name)", drop
    # an index on a table made long ago (the oldest one, when there is one)
    older = f"t_{1 + 5 * ((base // 5) // 2)}"
    index = f"ix_{older}_state_{i}"
    drop = f"DROP INDEX {index} ON {older}" if kind == "mariadb" else f"DROP INDEX {index}"
    return f"CREATE INDEX {index} ON {older} (state)", drop


def write_lockgate(folder: Path, n: int, kind: str) -> Path:
    """``n`` lockgate scripts with downgrades in ``folder`` (made if missing)."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(1, n + 1):
        up, down = step(i, kind)
        (folder / f"{i}_step.sql").write_text(up + ";\n", encoding="utf-8")
        (folder / f"{i}_downgrade.sql").write_text(down + ";\n", encoding="utf-8")
    return folder


ALEMBIC_ENV = '''\
from alembic import context
from sqlalchemy import create_engine, pool

config = context.config
engine = create_engine(config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
with engine.connect() as connection:
    context.configure(connection=connection, transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()
'''


def write_alembic(folder: Path, n: int, kind: str) -> Path:
    """The same ``n`` steps as an Alembic revision chain (``env.py`` and ``versions/``)."""
    (folder / "versions").mkdir(parents=True, exist_ok=True)
    (folder / "env.py").write_text(ALEMBIC_ENV, encoding="utf-8")
    width, previous = len(str(n)), None
    for i in range(1, n + 1):
        up, down = step(i, kind)
        revision = f"r{i:0{width}d}"
        (folder / "versions" / f"{revision}_step.py").write_text(
            f'"""step {i}"""\nfrom alembic import op\n\nrevision = {revision!r}\n'
            f"down_revision = {previous!r}\nbranch_labels = None\ndepends_on = None\n\n\n"
            f"def upgrade():\n    op.execute({up!r})\n\n\ndef downgrade():\n    op.execute({down!r})\n",
            encoding="utf-8")
        previous = revision
    return folder


#: Alembic's classic stairway test, in one process: for every revision,
#: upgrade to it, downgrade one step, upgrade again; nothing is compared.
ALEMBIC_STAIRWAY = '''\
import sys

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

config = Config()
config.set_main_option("script_location", sys.argv[1])
config.set_main_option("sqlalchemy.url", sys.argv[2].replace("%", "%%"))
revisions = list(ScriptDirectory.from_config(config).walk_revisions("base", "heads"))
for revision in reversed(revisions):
    command.upgrade(config, revision.revision)
    command.downgrade(config, revision.down_revision or "base")
    command.upgrade(config, revision.revision)
'''
