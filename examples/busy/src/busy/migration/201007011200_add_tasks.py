"""A Python script: upgrade and downgrade receive a SQLAlchemy connection."""

import sqlalchemy as sa

metadata = sa.MetaData()
tasks = sa.Table(
    "tasks", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("status", sa.String(20), nullable=False, server_default="open"),
    sa.Index("ix_tasks_user_id", "user_id"),
)
# Only for the foreign key to resolve; this script does not create users.
sa.Table("users", metadata, sa.Column("id", sa.Integer, primary_key=True))


def upgrade(connection):
    tasks.create(connection)
    connection.execute(tasks.insert(), [{"id": 1, "user_id": 1, "title": "Try lockgate"}])


def downgrade(connection):
    tasks.drop(connection)
