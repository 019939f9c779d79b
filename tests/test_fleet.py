"""`lockgate fleet`: many real databases at once, one broken on purpose.

200 SQLite files, 50 PostgreSQL databases, 50 schemas of one PostgreSQL
database and 20 MariaDB databases each get two tiny scripts; one target of
each already has the second script's table, so that script fails there.
"""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

import dbservers
from clihelpers import cli
from lockgate import Fleet

SCRIPTS = {
    "1_create_a.sql": "CREATE TABLE a (id INTEGER NOT NULL PRIMARY KEY);\n",
    "1_downgrade.sql": "DROP TABLE a;\n",
    "2_create_b.sql": "CREATE TABLE b (id INTEGER NOT NULL PRIMARY KEY);\n",
    "2_downgrade.sql": "DROP TABLE b;\n",
}


def execute(url: str, statement: str) -> None:
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql(statement)
    finally:
        engine.dispose()


def tracking_rows(url: str, schema: str | None = None) -> list[tuple[str, str]]:
    """(version, run_id) of every tracking row, in version order; [] without a table."""
    engine = sa.create_engine(url, poolclass=NullPool)
    table = f"{schema}.lockgate_versions" if schema else "lockgate_versions"
    try:
        with engine.connect() as connection:
            if not sa.inspect(connection).has_table("lockgate_versions", schema=schema):
                return []
            rows = connection.exec_driver_sql(f"SELECT version, run_id FROM {table}").all()
    finally:
        engine.dispose()
    return sorted((str(v), str(r)) for v, r in rows)


def every_target_rows(where: list[tuple[str, str | None]]) -> dict[int, list[tuple[str, str]]]:
    """tracking_rows of each (url, schema), by position; read eight at a time, as most of it is connecting."""
    with ThreadPoolExecutor(8) as pool:
        return dict(enumerate(pool.map(lambda target: tracking_rows(*target), where)))


def versions(url: str, schema: str | None = None) -> list[str]:
    return [v for v, _ in tracking_rows(url, schema)]


@pytest.fixture
def scripts(make_scripts) -> Path:
    return make_scripts(SCRIPTS)


@pytest.fixture
def server_databases(db_servers):
    """``make(backend, n)``: n new databases on a server, dropped after the test.

    Made eight at a time, and dropped behind the tests by the server's own
    thread (eight at a time too: PostgreSQL forces a checkpoint for each DROP
    DATABASE, and drops waiting together share one), so no test waits for them.
    """
    made: list[tuple[dbservers.Server, str]] = []

    def make(backend: str, count: int) -> list[str]:
        server = db_servers.need(backend)
        with ThreadPoolExecutor(8) as pool:
            names = list(pool.map(lambda _: server.create_database(), range(count)))
        made.extend((server, name) for name in names)
        return [server.url_for(name) for name in names]

    yield make
    for server, name in made:
        server.drop_soon(name)


def run_with_one_broken(capsys, tmp_path: Path, scripts: Path, lines: list[str],
                        where: list[tuple[str, str | None]], jobs: int = 8) -> None:
    """Every target but one reaches head; the broken one is reported, and a retry touches only it."""
    broken = len(lines) // 2
    url, schema = where[broken]
    execute(url, f"CREATE TABLE {schema + '.' if schema else ''}b (id INTEGER)")
    targets = tmp_path / "targets.txt"
    targets.write_text("# the fleet\n" + "\n".join(lines) + "\n", encoding="utf-8")
    report = tmp_path / "report.json"
    first = cli(capsys, "fleet", "upgrade", "--targets", targets, "--directory", scripts,
                "--jobs", jobs, "--report", report)

    assert first.code == 1, first
    found = json.loads(report.read_text(encoding="utf-8"))
    failed = [t for t in found["targets"] if t["state"] != "ok"]
    assert [t["name"] for t in failed] == [found["targets"][broken]["name"]]
    assert failed[0]["done"] == 1 and failed[0]["total"] == 2
    assert "script 2 failed" in failed[0]["error"] and "2_create_b.sql" in failed[0]["error"]
    assert found["counts"] == {"ok": len(lines) - 1, "failed": 1, "skipped": 0}
    assert f"{len(lines) - 1} ok, 1 failed" in first.err and failed[0]["error"] in first.err
    before = every_target_rows(where)
    assert all(len(rows) == 2 for i, rows in before.items() if i != broken)
    assert [v for v, _ in before[broken]] == ["1"]

    execute(url, f"DROP TABLE {schema + '.' if schema else ''}b")
    again = cli(capsys, "fleet", "upgrade", "--targets", targets, "--directory", scripts,
                "--jobs", jobs, "--only-failed", report, "--json")

    assert again.code == 0, again
    assert [(t["name"], t["versions"]) for t in again.json()["targets"]] == [(failed[0]["name"], ["2"])]
    after = every_target_rows(where)
    assert {i: rows for i, rows in after.items() if i != broken} == \
        {i: rows for i, rows in before.items() if i != broken}
    assert versions(url, schema) == ["1", "2"]


def test_200_sqlite_files(capsys, tmp_path, scripts):
    urls = [f"sqlite:///{tmp_path / f'tenant{i:03}.sqlite'}" for i in range(200)]
    run_with_one_broken(capsys, tmp_path, scripts, urls, [(u, None) for u in urls])


@pytest.mark.postgresql
def test_50_postgresql_databases(capsys, tmp_path, scripts, server_databases):
    urls = server_databases("postgresql", 50)
    run_with_one_broken(capsys, tmp_path, scripts, urls, [(u, None) for u in urls])


@pytest.mark.postgresql
def test_50_schemas_of_one_postgresql_database(capsys, tmp_path, scripts, server_databases):
    [url] = server_databases("postgresql", 1)
    schemas = [f"tenant_{i:02}" for i in range(50)]
    execute(url, "; ".join(f"CREATE SCHEMA {s}" for s in schemas))
    lines = [f"{url} schema={s}" for s in schemas]
    run_with_one_broken(capsys, tmp_path, scripts, lines, [(url, s) for s in schemas])
    engine = sa.create_engine(url, poolclass=NullPool)
    with engine.connect() as connection:  # each schema holds its own tables, none landed in public
        tables = connection.execute(sa.text(
            "SELECT table_schema, count(*) FROM information_schema.tables "
            "WHERE table_schema LIKE 'tenant%' OR table_schema = 'public' GROUP BY 1")).all()
    engine.dispose()
    assert dict(tables) == dict.fromkeys(schemas, 3)


@pytest.mark.mariadb
def test_20_mariadb_databases(capsys, tmp_path, scripts, server_databases):
    urls = server_databases("mariadb", 20)
    run_with_one_broken(capsys, tmp_path, scripts, urls, [(u, None) for u in urls], jobs=4)


def two_fleets_at_once(urls: list[str], scripts: Path) -> None:
    """Both fleets succeed everywhere, and between them each script ran once per target."""
    start = threading.Barrier(2)

    def run():
        fleet = Fleet(urls, directory=str(scripts))
        start.wait()
        return fleet.upgrade(jobs=4)

    with ThreadPoolExecutor(2) as pool:
        one, two = [f.result() for f in [pool.submit(run), pool.submit(run)]]
    assert one.ok and two.ok, [r.error for r in [*one, *two] if r.error]
    for url, a, b in zip(urls, one, two):
        assert sorted(a.detail["versions"] + b.detail["versions"]) == ["1", "2"], url
        assert versions(url) == ["1", "2"]


def test_two_fleets_at_once_over_sqlite_files(tmp_path, scripts):
    two_fleets_at_once([f"sqlite:///{tmp_path / f'db{i}.sqlite'}" for i in range(30)], scripts)


@pytest.mark.postgresql
def test_two_fleets_at_once_over_postgresql_databases(scripts, server_databases):
    two_fleets_at_once(server_databases("postgresql", 6), scripts)
