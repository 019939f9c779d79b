"""Shared fixtures: a fresh real database per test on SQLite, PostgreSQL and MariaDB.

``db_url`` runs a test once per backend (ids and markers ``sqlite``,
``postgresql``, ``mariadb``, so ``pytest -m postgresql`` works). Servers and the
LOCKGATE_TEST_* environment variables are described in dbservers.py.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import dbservers
from dbservers import BACKENDS

_SERVERS = pytest.StashKey[dbservers.Servers]()


def pytest_configure(config):
    config.stash[_SERVERS] = dbservers.Servers()


def pytest_unconfigure(config):
    servers = config.stash.get(_SERVERS, None)
    if servers is not None:
        servers.close()


def pytest_report_header(config):
    return config.stash[_SERVERS].header_lines()


def pytest_collection_modifyitems(items):
    """Tests using ``postgresql_url`` etc. get that marker too, so ``-m`` selects them."""
    for item in items:
        for backend in BACKENDS:
            if f"{backend}_url" in item.fixturenames:
                item.add_marker(backend)


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
