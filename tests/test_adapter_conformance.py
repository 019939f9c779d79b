"""What every database adapter says of its database holds on the real server.

The engine trusts its adapter's answers (is DDL transactional, which
statements commit by themselves, how long a table name may be, how a scratch
database is dropped ...). Each test here asks the adapter a question and checks
the answer against the server itself, on every backend in turn; a new adapter
passes this file before anything else.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from lockgate.dialects import adapter_for
from lockgate.errors import DatabaseUnreachableError, LockTimeoutError


@pytest.fixture
def engine(db_url):
    engine = sa.create_engine(db_url, poolclass=NullPool)
    yield engine
    engine.dispose()


@pytest.fixture
def adapter(engine):
    with engine.connect():  # the dialect knows MariaDB from MySQL once it has connected
        pass
    return adapter_for(engine.dialect)


def _exists(engine, table: str) -> bool:
    return sa.inspect(engine).has_table(table)


@contextmanager
def script_transaction(engine, adapter):
    """A connection in a transaction opened as lockgate opens a script's (session, then preamble)."""
    with engine.connect() as connection, adapter.session(connection):
        connection.begin()
        adapter.begin_script(connection)
        yield connection


def test_transactional_ddl_is_what_the_server_does(engine, adapter):
    with script_transaction(engine, adapter) as connection:
        connection.exec_driver_sql("CREATE TABLE ddl_probe (a INTEGER)")
        connection.rollback()
    assert _exists(engine, "ddl_probe") is not adapter.transactional_ddl


@pytest.mark.parametrize("statement", [
    "CREATE TABLE other_probe (a INTEGER)",
    "CREATE INDEX ix_probe ON probe (a)",
    "ALTER TABLE probe ADD COLUMN b INTEGER",
    "DROP TABLE IF EXISTS never_made",
    "INSERT INTO probe (a) VALUES (2)",
    "UPDATE probe SET a = 3 WHERE a = 2",
    "SELECT 1",
])
def test_implicit_commits_are_the_ones_the_server_makes(engine, adapter, statement):
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE probe (a INTEGER)")
    with script_transaction(engine, adapter) as connection:
        connection.exec_driver_sql("INSERT INTO probe (a) VALUES (1)")
        connection.exec_driver_sql(statement)
        connection.rollback()
    with engine.connect() as connection:
        kept = connection.exec_driver_sql("SELECT count(*) FROM probe WHERE a = 1").scalar()
    assert bool(kept) is adapter.implicit_commit(statement)


def test_a_table_name_at_the_limit_is_accepted_and_kept_whole(engine, adapter):
    limit, unit = adapter.table_name_limit(engine.dialect)
    if limit is None:
        pytest.skip(f"{engine.dialect.name} sets no limit on table names")
    letter = "é" if unit == "characters" else "e"  # a character that is two bytes in UTF-8
    name = letter * limit
    with engine.begin() as connection:
        connection.exec_driver_sql(f'CREATE TABLE {engine.dialect.identifier_preparer.quote(name)} (a INTEGER)')
    assert name in sa.inspect(engine).get_table_names()


def test_the_tracking_timestamp_keeps_microseconds(engine, adapter):
    table = sa.Table("stamps", sa.MetaData(), sa.Column("at", adapter.timestamp_type()))
    moment = dt.datetime(2026, 11, 30, 23, 59, 58, 123456)
    with engine.begin() as connection:
        table.create(connection)
        connection.execute(table.insert().values(at=moment))
    with engine.connect() as connection:
        stored = connection.execute(sa.select(table.c.at)).scalar()
    assert stored.replace(tzinfo=None) == moment


def test_preamble_and_epilogue_are_sql_the_server_runs(engine, adapter):
    for last in (False, True):
        with engine.connect() as connection, adapter.session(connection):
            connection.begin()
            for sql in adapter.script_preamble(last=last, timeouts=True) + adapter.script_epilogue(last=last):
                connection.exec_driver_sql(sql)
            connection.rollback()


def test_the_transaction_token_changes_when_a_script_commits_on_the_driver(engine, adapter):
    """What a Python script that calls the raw connection's commit() must not get past."""
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE token_probe (a INTEGER)")
    with script_transaction(engine, adapter) as connection:
        raw = connection.connection.dbapi_connection

        class Sink:  # what the run hands the adapter: the raw driver connection and a query
            def __init__(self):
                self.raw = connection.connection.driver_connection

            def query(self, sql, params=()):
                cursor = raw.cursor()
                cursor.execute(sql, params)
                row = cursor.fetchone()
                cursor.close()
                return row

        connection.exec_driver_sql("INSERT INTO token_probe (a) VALUES (1)")
        before = adapter.transaction_token(Sink())
        raw.commit()
        connection.exec_driver_sql("INSERT INTO token_probe (a) VALUES (2)")
        after = adapter.transaction_token(Sink())
        connection.rollback()
    if before is None and after is None:
        pytest.skip("this adapter cannot tell transactions apart")
    assert before != after


def test_the_time_since_the_transaction_began_is_measured_by_the_server(engine, adapter):
    expression = adapter.elapsed_sql()
    if expression is None:
        pytest.skip("this adapter measures time in the client")
    with script_transaction(engine, adapter) as connection:
        connection.exec_driver_sql("CREATE TABLE elapsed_probe (a INTEGER)")
        time.sleep(0.3)
        elapsed = connection.execute(sa.select(expression)).scalar()
        connection.rollback()
    assert 250 <= float(elapsed) < 60_000


def test_unique_constraints_are_read_as_the_database_has_them(engine, adapter):
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE uniq (a INTEGER, b INTEGER, CONSTRAINT uq_ab UNIQUE (a, b))")
    with engine.connect() as connection:
        found = adapter.unique_constraints(sa.inspect(connection), "uniq")
    assert [sorted(c["column_names"]) for c in found] == [["a", "b"]]


def test_foreign_key_indexes_are_made_only_where_the_adapter_says(engine, adapter):
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
        connection.exec_driver_sql("CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER, "
                                   "FOREIGN KEY (parent_id) REFERENCES parent (id))")
    indexed = [i["column_names"] for i in sa.inspect(engine).get_indexes("child")]
    assert (["parent_id"] in indexed) is adapter.indexes_foreign_keys


def test_columns_are_altered_in_place_only_where_the_adapter_says(engine, adapter):
    pytest.importorskip("alembic")
    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE altered (a INTEGER)")
    with engine.begin() as connection:
        operations = Operations(MigrationContext.configure(connection))
        try:
            operations.alter_column("altered", "a", existing_type=sa.Integer(), type_=sa.BigInteger())
            altered = True
        except (sa.exc.DBAPIError, NotImplementedError):
            altered = False
    assert altered is adapter.alters_columns


def test_the_tracking_schema_is_where_an_unqualified_table_goes(engine, adapter):
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE placed (a INTEGER)")
        schema = adapter.tracking_schema(connection, "placed")
    if schema is None:
        pytest.skip("this database has no schemas to pin the tracking table to")
    assert "placed" in sa.inspect(engine).get_table_names(schema=schema)


def test_a_scratch_database_is_dropped_while_still_in_use(engine, adapter, db_url, db_backend, db_servers):
    if adapter.scratch != "server":
        pytest.skip("scratch databases are files here")
    name = f"lockgate_conformance_{uuid.uuid4().hex[:12]}"
    quoted = engine.dialect.identifier_preparer.quote(name)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {quoted}")
    other = sa.create_engine(sa.make_url(db_url).set(database=name), poolclass=NullPool)
    holder = other.connect()
    try:
        holder.exec_driver_sql("SELECT 1")
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(adapter.drop_database_sql(quoted))
    finally:
        try:
            holder.close()
        except sa.exc.DBAPIError:  # the drop ended this session
            pass
        other.dispose()
    assert not db_servers.need(db_backend).database_exists(name)


def test_the_run_lock_admits_one_run_at_a_time(engine, adapter):
    held, released, outcome = threading.Event(), threading.Event(), {}

    def first():
        with adapter.run_lock(engine, "conformance", timeout=10):
            held.set()
            released.wait(10)

    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert held.wait(10)
        started = time.monotonic()
        with pytest.raises(LockTimeoutError):
            with adapter.run_lock(engine, "conformance", timeout=0.5):
                outcome["entered"] = True
        assert "entered" not in outcome and time.monotonic() - started < 8
    finally:
        released.set()
        thread.join(10)
    with adapter.run_lock(engine, "conformance", timeout=5):
        outcome["after"] = True
    assert outcome == {"after": True}


def test_an_unreachable_database_is_one_plain_error(adapter, engine, tmp_path):
    url = engine.url
    if adapter.scratch == "file":
        url = url.set(database=str(tmp_path / "no such folder" / "db.sqlite"))
    else:
        url = url.set(host="127.0.0.1", port=1)
    unreachable = sa.create_engine(url, poolclass=NullPool)
    try:
        with pytest.raises(DatabaseUnreachableError) as caught:
            with adapter.connect(unreachable):
                pass
    finally:
        unreachable.dispose()
    message = str(caught.value)
    assert "Cannot connect" in message and "Traceback" not in message and "\n" not in message.strip()
