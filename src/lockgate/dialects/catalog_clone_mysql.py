"""A copy of a MySQL/MariaDB database, rebuilt from its catalog: MySQL has no ``CREATE DATABASE ... TEMPLATE``.

The recipe is read once per template (``SHOW CREATE`` of every table, view,
trigger and routine) and replayed for each copy on a connection whose
current database is the new one: tables as they were created (with their
foreign keys, checked only once every row is in), rows copied with
``INSERT ... SELECT`` for the tables that have any, then views (each after
the views it reads), triggers and routines, with the template's name taken
out of their text.
"""

from __future__ import annotations

import re

from sqlalchemy import text


def _quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def copy_recipe(connection, template: str) -> list[str]:
    """The statements that fill an empty current database with a copy of ``template``."""
    t = _quote(template)
    unqualify = re.compile(re.escape(t) + r"\.").sub
    statements = ["SET FOREIGN_KEY_CHECKS = 0"]
    tables = [row[0] for row in connection.execute(text(
        "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = :s "
        "AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME"), {"s": template})]
    columns: dict[str, list[str]] = {}
    for table, column in connection.execute(text(
            "SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = :s "
            "AND EXTRA NOT LIKE '%GENERATED%' ORDER BY TABLE_NAME, ORDINAL_POSITION"), {"s": template}):
        columns.setdefault(table, []).append(_quote(column))
    for table in tables:
        statements.append(connection.execute(text(f"SHOW CREATE TABLE {t}.{_quote(table)}")).one()[1])
    for table in tables:
        if connection.execute(text(f"SELECT EXISTS (SELECT 1 FROM {t}.{_quote(table)})")).scalar():
            names = ", ".join(columns.get(table, []))
            statements.append(f"INSERT INTO {_quote(table)} ({names}) SELECT {names} FROM {t}.{_quote(table)}")
    statements.extend(unqualify("", sql) for sql in _views(connection, template))
    for (name,) in connection.execute(text(
            "SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = :s "
            "ORDER BY EVENT_OBJECT_TABLE, ACTION_ORDER"), {"s": template}):
        statements.append(unqualify("", connection.execute(text(f"SHOW CREATE TRIGGER {t}.{_quote(name)}")).one()[2]))
    for name, kind in connection.execute(text(
            "SELECT ROUTINE_NAME, ROUTINE_TYPE FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = :s"),
            {"s": template}):
        row = connection.execute(text(f"SHOW CREATE {kind} {t}.{_quote(name)}")).one()
        statements.append(unqualify("", row[2]))
    statements.append("SET FOREIGN_KEY_CHECKS = 1")
    return statements


def _views(connection, template: str) -> list[str]:
    """``CREATE VIEW`` of each view, every one after the views its text names."""
    t = _quote(template)
    created = {}
    for (name,) in connection.execute(text(
            "SELECT TABLE_NAME FROM information_schema.VIEWS WHERE TABLE_SCHEMA = :s ORDER BY TABLE_NAME"),
            {"s": template}):
        created[name] = connection.execute(text(f"SHOW CREATE VIEW {t}.{_quote(name)}")).one()[1]
    ordered: list[str] = []
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in done or name in path:
            return
        for other in created:
            if other != name and _quote(other) in created[name]:
                visit(other, (*path, name))
        done.add(name)
        ordered.append(created[name])

    for name in created:
        visit(name, ())
    return ordered


def copier(connection, template: str):
    """``copy(connection, name)``: make database ``name`` a copy of ``template``, recipe read once."""
    recipe = copy_recipe(connection, template)

    def copy(admin, name: str) -> None:
        # The driver's own cursor, without parameters: view and routine texts may hold a %.
        cursor = admin.connection.driver_connection.cursor()
        try:
            cursor.execute(f"CREATE DATABASE {_quote(name)}")
            cursor.execute(f"USE {_quote(name)}")
            for statement in recipe:
                cursor.execute(statement)
        finally:
            cursor.close()

    return copy
