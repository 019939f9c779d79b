"""Alembic and yoyo projects for the import tests, made with the tools themselves.

``make_alembic_project(folder)`` runs ``alembic init`` and ``alembic revision``
twenty times, then writes operations into each revision: tables, columns,
indexes, unique and foreign keys, type and nullability changes, a rename.
Changes SQLite cannot ALTER go through batch mode with ``copy_from`` (offline
rendering cannot reflect), which on PostgreSQL and MariaDB emits plain ALTERs.
``schema(url)`` is what the tests compare: the application's tables seen
through SQLAlchemy's inspector, without either tool's bookkeeping.
"""

from __future__ import annotations

import textwrap
import warnings
from pathlib import Path

import sqlalchemy as sa

from helpers import engine_for

BOOKKEEPING = {"alembic_version", "lockgate_versions", "_yoyo_migration", "_yoyo_log",
               "_yoyo_version", "yoyo_lock"}

# Table shapes for batch mode's copy_from: (name, Python source of the Table).
_USERS_V4 = """sa.Table("users", sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(200), nullable=False),
        sa.Column("name", sa.String(100), nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=True),
        sa.Index("ix_users_email", "email", unique=True))"""
_USERS_V7 = _USERS_V4.replace('"name", sa.String(100), nullable=True', '"name", sa.String(100), nullable=False')
_USERS_V14 = _USERS_V7.replace('"name"', '"full_name"')
_PROJECTS_V8 = """sa.Table("projects", sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("owner_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text, nullable=True))"""
_PROJECTS_V9 = _PROJECTS_V8[:-1] + """,
        sa.UniqueConstraint("title", "owner_id", name="uq_projects_owner_title"))"""
_TASKS_V12 = """sa.Table("tasks", sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
        sa.Column("title", sa.String(200), nullable=True),
        sa.Column("done", sa.Boolean, server_default=sa.false(), nullable=False),
        sa.Index("ix_tasks_title_done", "title", "done"))"""
_TASKS_V13 = _TASKS_V12.replace('"title", sa.String(200)', '"title", sa.String(300)')
_TASKS_V15 = _TASKS_V13[:-1] + """,
        sa.Column("priority", sa.Integer, server_default="0", nullable=False))"""
_TASKS_V18 = _TASKS_V15[:-1] + """,
        sa.Column("assignee_id", sa.Integer, nullable=True),
        sa.ForeignKeyConstraint(["assignee_id"], ["users.id"], name="fk_tasks_assignee"))"""

#: (message, upgrade body, downgrade body) of each revision, base first.
REVISIONS = [
    ("create users", """
        op.create_table("users",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("email", sa.String(200), nullable=False),
            sa.Column("name", sa.String(100), nullable=True))""",
     'op.drop_table("users")'),
    ("unique email", 'op.create_index("ix_users_email", "users", ["email"], unique=True)',
     'op.drop_index("ix_users_email", table_name="users")'),
    ("create projects", """
        op.create_table("projects",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("owner_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
            sa.Column("title", sa.String(200), nullable=False))""",
     'op.drop_table("projects")'),
    ("users created at", 'op.add_column("users", sa.Column("created_at", sa.DateTime, nullable=True))',
     f'with op.batch_alter_table("users", copy_from={_USERS_V4}) as batch:\n    batch.drop_column("created_at")'),
    ("create tasks", """
        op.create_table("tasks",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
            sa.Column("title", sa.String(200), nullable=True),
            sa.Column("done", sa.Boolean, server_default=sa.false(), nullable=False))""",
     'op.drop_table("tasks")'),
    ("index task titles", 'op.create_index("ix_tasks_title", "tasks", ["title"])',
     'op.drop_index("ix_tasks_title", table_name="tasks")'),
    ("users name required",
     f'with op.batch_alter_table("users", copy_from={_USERS_V4}) as batch:\n'
     '    batch.alter_column("name", existing_type=sa.String(100), nullable=False)',
     f'with op.batch_alter_table("users", copy_from={_USERS_V7}) as batch:\n'
     '    batch.alter_column("name", existing_type=sa.String(100), nullable=True)'),
    ("project description", 'op.add_column("projects", sa.Column("description", sa.Text, nullable=True))',
     f'with op.batch_alter_table("projects", copy_from={_PROJECTS_V8}) as batch:\n    batch.drop_column("description")'),
    ("unique project titles",
     f'with op.batch_alter_table("projects", copy_from={_PROJECTS_V8}) as batch:\n'
     '    batch.create_unique_constraint("uq_projects_owner_title", ["title", "owner_id"])',
     f'with op.batch_alter_table("projects", copy_from={_PROJECTS_V9}) as batch:\n'
     '    batch.drop_constraint("uq_projects_owner_title", type_="unique")'),
    ("create tags", """
        op.create_table("tags",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("name", sa.String(50), nullable=False, unique=True))""",
     'op.drop_table("tags")'),
    ("create task tags", """
        op.create_table("task_tags",
            sa.Column("task_id", sa.Integer, sa.ForeignKey("tasks.id"), primary_key=True),
            sa.Column("tag_id", sa.Integer, sa.ForeignKey("tags.id"), primary_key=True))""",
     'op.drop_table("task_tags")'),
    ("index tasks by title and done", """
        op.create_index("ix_tasks_title_done", "tasks", ["title", "done"])
        op.drop_index("ix_tasks_title", table_name="tasks")""", """
        op.create_index("ix_tasks_title", "tasks", ["title"])
        op.drop_index("ix_tasks_title_done", table_name="tasks")"""),
    ("longer task titles",
     f'with op.batch_alter_table("tasks", copy_from={_TASKS_V12}) as batch:\n'
     '    batch.alter_column("title", existing_type=sa.String(200), type_=sa.String(300), existing_nullable=True)',
     f'with op.batch_alter_table("tasks", copy_from={_TASKS_V13}) as batch:\n'
     '    batch.alter_column("title", existing_type=sa.String(300), type_=sa.String(200), existing_nullable=True)'),
    ("rename users name",
     f'with op.batch_alter_table("users", copy_from={_USERS_V7}) as batch:\n'
     '    batch.alter_column("name", new_column_name="full_name", existing_type=sa.String(100), existing_nullable=False)',
     f'with op.batch_alter_table("users", copy_from={_USERS_V14}) as batch:\n'
     '    batch.alter_column("full_name", new_column_name="name", existing_type=sa.String(100), existing_nullable=False)'),
    ("task priority",
     'op.add_column("tasks", sa.Column("priority", sa.Integer, server_default="0", nullable=False))',
     f'with op.batch_alter_table("tasks", copy_from={_TASKS_V15}) as batch:\n    batch.drop_column("priority")'),
    ("create comments", """
        op.create_table("comments",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("task_id", sa.Integer, sa.ForeignKey("tasks.id"), nullable=False),
            sa.Column("author_id", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
            sa.Column("body", sa.Text, nullable=False))""",
     'op.drop_table("comments")'),
    ("drop project description",
     f'with op.batch_alter_table("projects", copy_from={_PROJECTS_V9}) as batch:\n    batch.drop_column("description")',
     'op.add_column("projects", sa.Column("description", sa.Text, nullable=True))'),
    ("task assignee",
     f'with op.batch_alter_table("tasks", copy_from={_TASKS_V15}) as batch:\n'
     '    batch.add_column(sa.Column("assignee_id", sa.Integer, nullable=True))\n'
     '    batch.create_foreign_key("fk_tasks_assignee", "users", ["assignee_id"], ["id"])',
     f'with op.batch_alter_table("tasks", copy_from={_TASKS_V18}) as batch:\n'
     '    batch.drop_constraint("fk_tasks_assignee", type_="foreignkey")\n'
     '    batch.drop_column("assignee_id")'),
    ("seed tags and index users by creation", """
        op.execute("INSERT INTO tags (name) VALUES ('urgent')")
        op.create_index("ix_users_created_at", "users", ["created_at"])""", """
        op.drop_index("ix_users_created_at", table_name="users")
        op.execute("DELETE FROM tags WHERE name = 'urgent'")"""),
    ("rename comments", 'op.rename_table("comments", "task_comments")',
     'op.rename_table("task_comments", "comments")'),
]


def revision_id(number: int) -> str:
    """The id of revision ``number`` (1-based), fixed so tests can name them."""
    return f"rev{number:02d}"


def alembic_config(folder: Path, url: str | None = None):
    from alembic.config import Config

    config = Config(str(folder / "alembic.ini"))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def make_alembic_project(folder: Path, revisions=REVISIONS) -> Path:
    """``alembic init`` in ``folder`` and one ``alembic revision`` per entry, bodies filled in."""
    from alembic import command
    from alembic.config import Config

    folder.mkdir(parents=True, exist_ok=True)
    command.init(Config(str(folder / "alembic.ini")), str(folder / "alembic"))
    env = folder / "alembic" / "env.py"  # logging set up by env.py would outlive a test's capture
    env.write_text(env.read_text().replace("fileConfig(config.config_file_name)", "pass"))
    config = alembic_config(folder)
    for number, (message, up, down) in enumerate(revisions, 1):
        script = command.revision(config, message, rev_id=revision_id(number))
        write_bodies(Path(script.path), up, down)
    return folder


def write_bodies(path: Path, up: str, down: str) -> None:
    """Replace a generated revision's upgrade() and downgrade() with these bodies."""
    head = path.read_text(encoding="utf-8").split("def upgrade()")[0]
    path.write_text(head + f"def upgrade():\n{_indent(up)}\n\n\ndef downgrade():\n{_indent(down)}\n",
                    encoding="utf-8")


def _indent(body: str) -> str:
    return textwrap.indent(textwrap.dedent(body).strip("\n"), "    ")


def alembic_upgrade(folder: Path, url: str, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(folder, url), revision)


# -- yoyo ----------------------------------------------------------------------

YOYO_FILES = {
    "0001.create-authors.sql": """
        -- Authors and their books
        CREATE TABLE authors (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(100) NOT NULL);
        CREATE INDEX ix_authors_name ON authors (name);
        """,
    "0001.create-authors.rollback.sql": """
        DROP INDEX ix_authors_name ON authors;
        DROP TABLE authors;
        """,
    "0002.create-books.py": '''
        """Books: string steps only."""
        from yoyo import step

        __depends__ = {"0001.create-authors"}

        steps = [
            step("CREATE TABLE books (id INTEGER NOT NULL PRIMARY KEY, author_id INTEGER NOT NULL "
                 "REFERENCES authors (id), title VARCHAR(200) NOT NULL)",
                 "DROP TABLE books"),
            step("CREATE UNIQUE INDEX ux_books_title ON books (title, author_id)",
                 "DROP INDEX ux_books_title ON books"),
        ]
        ''',
    "0003.shelves.py": '''
        """A callable step: yoyo gives it the DBAPI connection."""
        from yoyo import step

        __depends__ = {"0002.create-books"}


        def make_shelves(conn):
            cursor = conn.cursor()
            cursor.execute("CREATE TABLE shelves (id INTEGER NOT NULL PRIMARY KEY, label VARCHAR(40))")
            cursor.execute("INSERT INTO shelves (id, label) VALUES (1, 'new')")


        def drop_shelves(conn):
            conn.cursor().execute("DROP TABLE shelves")


        steps = [
            step(make_shelves, drop_shelves),
            step("ALTER TABLE books ADD COLUMN shelf_id INTEGER", "ALTER TABLE books DROP COLUMN shelf_id"),
        ]
        ''',
    "0004.book-year.sql": """
        -- depends: 0003.shelves
        ALTER TABLE books ADD COLUMN published INTEGER;
        """,
}


def yoyo_files(dialect: str) -> dict[str, str]:
    """The yoyo migrations for a dialect: DROP INDEX is spelled differently on each."""
    if dialect == "mysql":
        return dict(YOYO_FILES)
    return {name: text.replace(" ON authors;", ";").replace(" ON books\"", "\"")
            for name, text in YOYO_FILES.items()}


def yoyo_apply(folder: Path, url: str, count: int | None = None) -> None:
    """``yoyo apply`` through its API (the first ``count`` migrations, or all) on a yoyo URL."""
    from yoyo import get_backend, read_migrations

    with warnings.catch_warnings():  # yoyo's MySQL backend passes PyMySQL the deprecated db=
        warnings.filterwarnings("ignore", "'db' is deprecated", DeprecationWarning)
        backend = get_backend(yoyo_url(url))
        migrations = read_migrations(str(folder))
        with backend.lock():
            backend.apply_migrations(backend.to_apply(migrations)[:count])
        backend.connection.close()


def yoyo_url(url: str) -> str:
    parsed = sa.make_url(url)
    driver = {"postgresql": "postgresql+psycopg", "mysql": "mysql", "sqlite": "sqlite"}
    return parsed.set(drivername=driver[parsed.get_backend_name()]).render_as_string(hide_password=False)


# -- comparing schemas -----------------------------------------------------------


def schema(url: str) -> dict:
    """Tables with columns (type, nullability), indexes, unique and foreign keys, by content."""
    with engine_for(url) as engine:
        inspector = sa.inspect(engine)
        return {name: _table(inspector, name) for name in sorted(inspector.get_table_names())
                if name not in BOOKKEEPING}


def _table(inspector, name: str) -> dict:
    return {
        "columns": [(c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(name)],
        "primary key": inspector.get_pk_constraint(name)["constrained_columns"],
        "indexes": sorted((i["name"], tuple(i["column_names"]), bool(i["unique"]))
                          for i in inspector.get_indexes(name)),
        "unique": sorted(tuple(u["column_names"]) for u in inspector.get_unique_constraints(name)),
        "foreign keys": sorted((tuple(f["constrained_columns"]), f["referred_table"],
                                tuple(f["referred_columns"])) for f in inspector.get_foreign_keys(name)),
    }
