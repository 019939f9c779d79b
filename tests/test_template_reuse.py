"""A copy a test is done with serves the next test only when it is back exactly as copied.

Where the adapter can reset a copy (PostgreSQL), the rows a test added are
emptied and the sequences put back; anything else a test changed (the schema,
a row the scripts wrote, a database setting) means a new copy. Elsewhere every
test gets a new copy. Either way, what a test sees is the template's state.
"""

from __future__ import annotations

import dataclasses
import textwrap

import pytest
import sqlalchemy as sa

from lockgate.config import Settings
from lockgate.schema.templates import MigratedTemplates
from lockgate.testing import FreshDatabase

SCRIPT = """
CREATE TABLE kinds (id SERIAL PRIMARY KEY, name VARCHAR(20) NOT NULL UNIQUE);
INSERT INTO kinds (name) VALUES ('tool'), ('toy');
CREATE TABLE items (id SERIAL PRIMARY KEY, kind_id INTEGER NOT NULL REFERENCES kinds (id), label VARCHAR(40));
CREATE TABLE notes (id SERIAL PRIMARY KEY, item_id INTEGER REFERENCES items (id), body VARCHAR(40));
"""


@pytest.fixture
def templates(db_servers, db_backend, tmp_path):
    server = None if db_backend == "sqlite" else db_servers.lookup(db_backend)
    if isinstance(server, str):
        pytest.skip(server)
    folder = tmp_path / "migrations"
    folder.mkdir()
    serial = {"postgresql": "SERIAL", "mariadb": "INTEGER AUTO_INCREMENT", "sqlite": "INTEGER"}[db_backend]
    script = SCRIPT.replace("SERIAL", serial)
    (folder / "1_start.sql").write_text(textwrap.dedent(script), encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'server.sqlite'}" if db_backend == "sqlite" else server.url_for("postgres")
    if db_backend == "mariadb":
        url = server.url_for("test")
    found = MigratedTemplates(url, Settings(directory=str(folder)))
    yield found
    found.close()


def _one_test(templates, body):
    """Run ``body(engine)`` as a test using ``migrated_engine`` would; return its database's name."""
    database = FreshDatabase(templates)
    try:
        engine = database.migrate_to(None)
        with engine.begin() as connection:
            body(connection)
        return str(database.url.database)
    finally:
        database.drop()


def _rows(connection, table):
    return connection.execute(sa.text(f"SELECT * FROM {table} ORDER BY id")).all()


def _seen(templates):
    """What the next test sees: every table's rows and the ids the next inserts get."""
    seen = {}

    def look(connection):
        seen["kinds"] = _rows(connection, "kinds")
        seen["items"], seen["notes"] = _rows(connection, "items"), _rows(connection, "notes")
        connection.execute(sa.text("INSERT INTO kinds (name) VALUES ('new')"))
        seen["next kind"] = connection.execute(sa.text("SELECT max(id) FROM kinds")).scalar()
        seen["columns"] = [c["name"] for c in sa.inspect(connection).get_columns("items")]

    seen["name"] = _one_test(templates, look)
    return seen


FRESH = {"kinds": [(1, "tool"), (2, "toy")], "items": [], "notes": [], "next kind": 3,
         "columns": ["id", "kind_id", "label"]}


def _fill(connection):
    connection.execute(sa.text("INSERT INTO items (kind_id, label) VALUES (1, 'hammer'), (2, 'ball')"))
    connection.execute(sa.text("INSERT INTO notes (item_id, body) VALUES (1, 'heavy')"))


def _add_a_kept_row(connection):
    connection.execute(sa.text("INSERT INTO kinds (name) VALUES ('extra')"))


def _change_a_kept_row(connection):
    connection.execute(sa.text("UPDATE kinds SET name = 'tools' WHERE id = 1"))


def _add_a_column(connection):
    connection.execute(sa.text("ALTER TABLE items ADD COLUMN price INTEGER"))


def _add_rows_only(connection):
    connection.execute(sa.text("INSERT INTO items (kind_id, label) VALUES (1, 'saw')"))


@pytest.mark.parametrize("change", [_fill, _add_rows_only, _add_a_kept_row, _change_a_kept_row, _add_a_column],
                         ids=["rows in every empty table", "rows in one table", "a row beside the scripts' rows",
                              "a row the scripts wrote changed", "a column added"])
def test_the_next_test_sees_the_template_whatever_the_last_one_did(templates, change):
    first = _one_test(templates, change)
    seen = _seen(templates)
    name = seen.pop("name")
    assert seen == FRESH
    reused = name == first
    for url, state in templates.spares.get(None, []):  # a reset copy's state is what reading it anew finds
        with templates.engine_for(url).connect() as connection:
            anew = templates.resetter.take_state(connection)
        assert anew.horizon >= state.horizon  # later transactions anywhere on the server move it on
        assert dataclasses.replace(anew, horizon=state.horizon) == state
    if templates.resetter is None:
        assert not reused
    elif change in (_add_rows_only, _fill):
        assert reused, "a copy that only gained rows is reset, not copied again"
    else:
        assert not reused, "a copy whose schema or kept rows changed is never handed out again"


def test_a_copy_held_by_a_connection_the_test_left_open_is_not_reused(templates, db_backend):
    leaked = []

    def hold(connection):
        _add_rows_only(connection)
        engine = sa.create_engine(connection.engine.url)
        held = engine.connect()
        held.execute(sa.text("LOCK TABLE items IN ACCESS SHARE MODE") if db_backend == "postgresql"
                     else sa.text("SELECT 1"))
        leaked.append((engine, held))

    try:
        first = _one_test(templates, hold)
        seen = _seen(templates)
        assert seen.pop("name") != first or db_backend != "postgresql"
        assert seen == FRESH
    finally:
        for engine, held in leaked:
            try:
                held.close()
            except sa.exc.OperationalError:
                pass  # ended by the drop, which does not wait for connections a test forgot
            engine.dispose()


def test_the_next_test_gets_the_last_ones_connection_made_as_new(templates, db_backend):
    if templates.resetter is None:
        pytest.skip("copies are reset only on PostgreSQL")
    found = {}

    def dirty(connection):
        _add_rows_only(connection)
        connection.execute(sa.text("SET application_name = 'dirty'"))
        connection.execute(sa.text("SELECT pg_advisory_lock(42)"))
        found["pid"] = connection.execute(sa.text("SELECT pg_backend_pid()")).scalar()

    def look(connection):
        found["next pid"] = connection.execute(sa.text("SELECT pg_backend_pid()")).scalar()
        found["name"] = connection.execute(sa.text("SHOW application_name")).scalar()
        found["locks"] = connection.execute(sa.text(  # this session's only: other tests hold run locks
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()")).scalar()
        found["items"] = _rows(connection, "items")

    first = _one_test(templates, dirty)
    assert _one_test(templates, look) == first
    assert found["next pid"] == found["pid"], "the copy's connection stays open from one test to the next"
    assert (found["name"], found["locks"], found["items"]) == ("", 0, [])


def test_a_copy_filled_past_what_a_delete_empties_quickly_is_truncated(templates, db_backend):
    if templates.resetter is None:
        pytest.skip("copies are reset only on PostgreSQL")
    from lockgate.dialects.reset_postgresql import MAX_DELETED_ROWS

    def fill(connection):
        connection.execute(sa.text("INSERT INTO items (kind_id, label) SELECT 1, 'x' FROM generate_series(1, :n)"),
                           {"n": MAX_DELETED_ROWS + 5})

    first = _one_test(templates, fill)
    seen = _seen(templates)
    assert seen.pop("name") == first and seen == FRESH
