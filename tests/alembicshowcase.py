"""An Alembic project written the way real ones are, for the import tests.

Unlike the twenty-revision project of ``peerprojects`` (every revision
renderable offline), these revisions do what real projects do: read rows
through ``op.get_bind()``, ask the inspector, use batch operations without
``copy_from`` (SQLite must reflect the live table), branch on the engine name
and on ``context.is_offline_mode()``, read ``op.get_context().config``, use
``with_variant(..., "mysql")``, rely on env.py's naming convention to name
constraints that a later revision drops by name, drop a CHECK constraint
(MySQL 8 spells that differently from MariaDB), and create a trigger per database.
"""

from __future__ import annotations

from pathlib import Path

import peerprojects as peers

CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: (message, upgrade body, downgrade body), base first.
REVISIONS = [
    ("create accounts", """
        from sqlalchemy.dialects import mysql
        op.create_table("accounts",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("email", sa.String(200), nullable=False),
            sa.Column("status", sa.String(20), nullable=False, server_default="active"),
            sa.Column("notes", sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql"), nullable=True),
            sa.UniqueConstraint("email"),
            sa.CheckConstraint("status IN ('active', 'closed')", name="status"))
        op.execute("INSERT INTO accounts (id, email) VALUES (1, 'ann@example.com')")""",
     'op.drop_table("accounts")'),
    ("long notes on mysql", """
        from sqlalchemy.dialects import mysql
        if op.get_bind().engine.name == "mysql":
            op.alter_column("accounts", "notes", type_=mysql.LONGTEXT(),
                            existing_type=mysql.MEDIUMTEXT(), existing_nullable=True)""", """
        from sqlalchemy.dialects import mysql
        if op.get_bind().engine.name == "mysql":
            op.alter_column("accounts", "notes", type_=mysql.MEDIUMTEXT(),
                            existing_type=mysql.LONGTEXT(), existing_nullable=True)"""),
    ("create projects", """
        op.create_table("projects",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False),
            sa.Column("title", sa.String(200), nullable=False),
            sa.Column("archived", sa.Boolean, nullable=False, server_default=sa.false()),
            sa.UniqueConstraint("title"))
        op.create_index(op.f("ix_projects_account_id"), "projects", ["account_id"])
        op.execute("INSERT INTO projects (id, account_id, title) VALUES (1, 1, 'First Project')")""",
     'op.drop_table("projects")'),
    ("backfill project slugs", """
        op.add_column("projects", sa.Column("slug", sa.String(200), nullable=True))
        bind = op.get_bind()
        projects = sa.table("projects", sa.column("id", sa.Integer), sa.column("title", sa.String),
                            sa.column("slug", sa.String))
        for id_, title in bind.execute(sa.select(projects.c.id, projects.c.title)).all():
            slug = title.lower().replace(" ", "-")
            bind.execute(projects.update().where(projects.c.id == id_).values(slug=slug))""", """
        with op.batch_alter_table("projects") as batch:
            batch.drop_column("slug")"""),
    ("legacy imports unless present", """
        if "legacy_imports" not in sa.inspect(op.get_bind()).get_table_names():
            op.create_table("legacy_imports",
                sa.Column("id", sa.Integer, primary_key=True),
                sa.Column("payload", sa.Text, nullable=True))""",
     'op.drop_table("legacy_imports")'),
    ("accounts name required", """
        op.add_column("accounts", sa.Column("name", sa.String(100), nullable=True))
        op.execute("UPDATE accounts SET name = email")
        with op.batch_alter_table("accounts") as batch:
            batch.alter_column("name", existing_type=sa.String(100), nullable=False)""", """
        with op.batch_alter_table("accounts") as batch:
            batch.drop_column("name")"""),
    ("drop the status check", """
        with op.batch_alter_table("accounts") as batch:
            batch.drop_constraint(op.f("ck_accounts_status"), type_="check")""", """
        with op.batch_alter_table("accounts") as batch:
            batch.create_check_constraint("status", sa.text("status IN ('active', 'closed')"))"""),
    ("index names online", """
        from alembic import context
        if not context.is_offline_mode():
            op.create_index(op.f("ix_accounts_name"), "accounts", ["name"])""", """
        from alembic import context
        if not context.is_offline_mode():
            op.drop_index(op.f("ix_accounts_name"), table_name="accounts")"""),
    ("create tags", """
        op.create_table("tags",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("name", sa.String(50), nullable=False, unique=True))
        if op.get_context().config.get_main_option("seed_tags") == "yes":
            op.execute("INSERT INTO tags (name) VALUES ('urgent')")""",
     'op.drop_table("tags")'),
    ("project titles may repeat", """
        with op.batch_alter_table("projects") as batch:
            batch.drop_constraint("uq_projects_title", type_="unique")""", """
        with op.batch_alter_table("projects") as batch:
            batch.create_unique_constraint("uq_projects_title", ["title"])"""),
    ("tag colours", 'op.add_column("tags", sa.Column("colour", sa.String(20), nullable=True))', """
        if "colour" in [c["name"] for c in sa.inspect(op.get_bind()).get_columns("tags")]:
            with op.batch_alter_table("tags") as batch:
                batch.drop_column("colour")"""),
    ("lower-case emails", """
        name = op.get_bind().engine.name
        if name == "mysql":
            op.execute("CREATE TRIGGER accounts_lower_email BEFORE INSERT ON accounts FOR EACH ROW "
                       "BEGIN SET NEW.email = LOWER(NEW.email); END")
        elif name == "postgresql":
            op.execute("CREATE FUNCTION lower_email() RETURNS trigger AS $$ BEGIN "
                       "NEW.email := lower(NEW.email); RETURN NEW; END; $$ LANGUAGE plpgsql")
            op.execute("CREATE TRIGGER accounts_lower_email BEFORE INSERT ON accounts "
                       "FOR EACH ROW EXECUTE FUNCTION lower_email()")
        else:
            op.execute("CREATE TRIGGER accounts_lower_email AFTER INSERT ON accounts BEGIN "
                       "UPDATE accounts SET email = lower(email) WHERE id = NEW.id; END")""", """
        if op.get_bind().engine.name == "postgresql":
            op.execute("DROP TRIGGER accounts_lower_email ON accounts")
            op.execute("DROP FUNCTION lower_email()")
        else:
            op.execute("DROP TRIGGER accounts_lower_email")"""),
]

HEAD = len(REVISIONS)
#: Revisions that read the database (or ask whether they run offline) on every database.
LIVE_EVERYWHERE = {"rev04": "upgrade", "rev05": "upgrade", "rev08": "upgrade", "rev11": "downgrade"}
#: Revisions that need a live table on SQLite only (batch operations reflect it).
LIVE_ON_SQLITE = {"rev06", "rev07", "rev10"}


def make_project(folder: Path, revisions=REVISIONS, *, convention: bool = True) -> Path:
    """The project, with env.py's target_metadata carrying :data:`CONVENTION` and a setting in the ini."""
    peers.make_alembic_project(folder, revisions)
    env = folder / "alembic" / "env.py"
    metadata = f"sa.MetaData(naming_convention={CONVENTION!r})" if convention else "None"
    env.write_text(env.read_text().replace(
        "target_metadata = None", f"import sqlalchemy as sa\ntarget_metadata = {metadata}"))
    ini = folder / "alembic.ini"
    ini.write_text(ini.read_text().replace("[alembic]\n", "[alembic]\nseed_tags = yes\n", 1))
    return folder
