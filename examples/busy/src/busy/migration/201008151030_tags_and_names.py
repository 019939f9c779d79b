"""A mixed script: Python that runs its SQL files and migrates data in between."""

import sqlalchemy as sa

from lockgate import run_sql_file


def upgrade(connection):
    run_sql_file(connection)  # 201008151030_upgrade.sql
    # Data migration: derive a display name from each address.
    users = connection.execute(sa.text("SELECT id, email FROM users")).all()
    for user_id, email in users:
        connection.execute(sa.text("UPDATE users SET name = :name WHERE id = :id"),
                           {"name": email.split("@")[0], "id": user_id})


def downgrade(connection):
    run_sql_file(connection, "downgrade")  # 201008151030_downgrade.sql
