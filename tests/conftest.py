"""Shared fixtures: a fresh real database per test on SQLite, PostgreSQL and MariaDB.

``db_url`` runs a test once per backend (ids and markers ``sqlite``,
``postgresql``, ``mariadb``, so ``pytest -m postgresql`` works). Servers and the
LOCKGATE_TEST_* environment variables are described in dbservers.py.
"""

from __future__ import annotations

import importlib
import os
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

import bytecode
import dbservers
import lockgate
from dbservers import BACKENDS
from lockgate.dialects import pymysql_tls

_SERVERS = pytest.StashKey[dbservers.Servers]()

# pytester puts sys.modules back as it found it after each of its tests, dropping what
# the test imported. Imported afresh, SQLAlchemy's dialects register their SQL functions
# a second time (a warning, an error here) and drivers raise errors of new classes: so
# import them all before any test.
for _module in ("sqlalchemy.dialects.postgresql", "sqlalchemy.dialects.mysql", "sqlalchemy.dialects.sqlite",
                "psycopg", "psycopg2", "pymysql", "alembic.op"):
    try:
        importlib.import_module(_module)
    except ImportError:
        pass


def pytest_configure(config):
    config.stash[_SERVERS] = dbservers.Servers()
    here = Path(__file__).parent
    bytecode.compile_sources(Path(lockgate.__file__).parent, here, here.parent / "bench")


@event.listens_for(Engine, "do_connect")
def _one_tls_context_per_process(dialect, connection_record, cargs, cparams):
    """The suite's own engines connect to MariaDB as lockgate's do (test_pymysql_tls.py checks
    lockgate's): PyMySQL's preferred-TLS context built once, not about 45 ms of CPU per connection."""
    if dialect.driver == "pymysql":
        return pymysql_tls.connect(dialect, connection_record, cargs, cparams)
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_collection(session):
    bytecode.warm(session, Path(__file__).parent)


def pytest_unconfigure(config):
    servers = config.stash.get(_SERVERS, None)
    if servers is not None:
        servers.close()


def pytest_report_header(config):
    return config.stash[_SERVERS].header_lines()


#: Tests that take many seconds (fresh virtualenvs, whole pages, long histories), by node id
#: prefix, with their rough cost in seconds on 2 cores under a 4-worker run.
SLOW_TESTS = {
    "tests/test_readme.py::test_second_command": 120,
    "tests/test_readme.py::test_first_command": 70,
    "tests/test_docs.py::test_page_runs_as_written[docs/howto/ci.md]": 35,
    "tests/test_snapshot_catalog.py::test_a_downgrade_forgetting_an_index": 12,
    "tests/test_import_real_alembic_project.py": 25,
    "tests/test_docs.py::test_page_runs_as_written": 8,
    "tests/test_split_properties.py": 13,
    "tests/test_bench_stairway.py": 25,
    "tests/test_bench_smoke.py::test_bench_quick": 12,
    "tests/test_fleet.py": 10,
    "tests/test_faults.py::test_a_server_stopped_mid_run": 10,
    "tests/test_models_delta.py::test_generated_script_applies_reverts": 10,
    "tests/test_plugin_templates.py::test_parallel_sessions": 8,
    "tests/test_output.py::test_a_terminal_sees_a_long_file": 8,
    "tests/test_newcomer_details.py::test_a_silent_server": 8,
    "tests/test_safety.py::test_concurrent_upgrades": 8,
}


def _cost(item) -> int:
    return max((cost for prefix, cost in SLOW_TESTS.items() if item.nodeid.startswith(prefix)), default=0)


def pytest_collection_modifyitems(items):
    """Tests using ``postgresql_url`` etc. get that marker too, so ``-m`` selects them.

    Under xdist (``--dist worksteal``, set in pyproject.toml) each worker is
    first given a contiguous quarter of the list, and idle workers steal from
    the end of others' queues: so the slow tests are dealt out, longest first,
    to the start of each worker's share, where they begin at once instead of
    ending the run on one worker.
    """
    for item in items:
        for backend in BACKENDS:
            if f"{backend}_url" in item.fixturenames:
                item.add_marker(backend)
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if workers > 1:
        items[:] = _dealt_out(items, workers)


def _dealt_out(items: list, workers: int) -> list:
    slow = sorted((item for item in items if _cost(item)), key=_cost, reverse=True)
    rest = [item for item in items if not _cost(item)]
    shares: list[list] = [[] for _ in range(workers)]
    for item in slow:  # longest first, each to the share with the least work so far
        min(shares, key=lambda share: sum(map(_cost, share))).append(item)
    size, ordered = -(-len(items) // workers), []
    for share in shares:
        take = max(0, size - len(share))
        share.extend(rest[:take])
        del rest[:take]
        ordered.extend(share)
    return ordered + rest


@pytest.fixture(autouse=True)
def plain_output_environment(monkeypatch):
    """Output depends on CI, NO_COLOR and FORCE_COLOR; tests set them when they mean to."""
    for name in ("CI", "NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def db_servers(pytestconfig) -> dbservers.Servers:
    """The session's servers, e.g. ``db_servers.need("postgresql").database_exists(name)``."""
    return pytestconfig.stash[_SERVERS]


@pytest.fixture(params=[pytest.param(b, marks=getattr(pytest.mark, b), id=b) for b in BACKENDS])
def db_backend(request) -> str:
    """Backend name; any test using it (or db_url/fresh_db) runs once per backend."""
    return request.param


@pytest.fixture
def fresh_db(db_backend, db_servers, tmp_path):
    """``fresh_db()`` -> URL of one more new empty database on db_backend; all dropped after."""
    factory = dbservers.DatabaseFactory(db_backend, db_servers, tmp_path)
    yield factory
    factory.drop_all()


@pytest.fixture
def db_url(fresh_db) -> str:
    """URL string of a new empty database for this test, on each backend in turn."""
    return fresh_db()


def _one_database(backend, servers, tmp_path):
    factory = dbservers.DatabaseFactory(backend, servers, tmp_path)
    yield factory()
    factory.drop_all()


@pytest.fixture
def sqlite_url(db_servers, tmp_path) -> str:
    """A new empty SQLite database (file in tmp_path), for SQLite-only tests."""
    yield from _one_database("sqlite", db_servers, tmp_path)


@pytest.fixture
def postgresql_url(db_servers, tmp_path) -> str:
    """A new empty PostgreSQL database, for PostgreSQL-only tests."""
    yield from _one_database("postgresql", db_servers, tmp_path)


@pytest.fixture
def mariadb_url(db_servers, tmp_path) -> str:
    """A new empty MariaDB database, for MariaDB-only tests."""
    yield from _one_database("mariadb", db_servers, tmp_path)


@pytest.fixture
def make_scripts(tmp_path):
    """``make_scripts({"name.sql": "..."}, root=None) -> Path`` writes migration scripts.

    Contents are dedented, minus the newline that opens a triple-quoted string;
    bytes are written as they are. Without ``root`` each call makes a new
    directory under tmp_path (scripts, scripts2, ...); pass a returned path (or a
    name relative to tmp_path) as ``root`` to add or overwrite files there.
    """

    def make(files: dict[str, str | bytes], root: Path | str | None = None) -> Path:
        if root is None:
            root, number = tmp_path / "scripts", 1
            while root.exists():
                number += 1
                root = tmp_path / f"scripts{number}"
        root = tmp_path / root  # an absolute root stays as it is
        for name, content in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                text = textwrap.dedent(content)
                path.write_text(text[1:] if text.startswith("\n") else text, encoding="utf-8")
        root.mkdir(parents=True, exist_ok=True)  # also for an empty ``files``
        return root

    return make
