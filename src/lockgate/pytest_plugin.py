"""pytest fixtures for testing your own scripts: opt-in, inactive unless a test asks.

Installed with lockgate through the ``pytest11`` entry point. It only adds
command line options and fixtures; it has no hooks that change collection or
outcomes, and imports nothing heavy (SQLAlchemy, lockgate's engine) until a
fixture is used, so projects that do not use it see no difference.

Fixtures, each on a fresh scratch database (dropped after the test):

* ``lockgate_migrator``: a :class:`~lockgate.DBMigrator`, nothing applied yet;
* ``migrated_engine``: an engine with every script applied;
* ``migrate_to``: ``migrate_to(version)`` applies the scripts up to ``version``
  and returns the engine, so a test can seed data and then call
  ``lockgate_migrator.upgrade()`` to test a data migration;
* ``lockgate_stairway``: runs the stairway and fails the test with its report.

The scripts run once per session and version: the first test that needs
version V builds a template database, and every test gets a copy of it
(:mod:`lockgate.schema.templates`; on PostgreSQL a copy whose test only
added rows is emptied back for the next test), built again when a script changes. Each
process (each pytest-xdist worker) has its own templates and names.

Options: ``--lockgate-url`` (else ``LOCKGATE_TEST_URL``, else SQLite in a
temporary file) names the server the scratch databases are made on;
``--lockgate-config`` (an ini file) or ``--lockgate-package`` /
``--lockgate-directory`` name the scripts.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Protocol

import pytest

if TYPE_CHECKING:  # nothing heavy until a fixture is used
    from collections.abc import Callable, Iterator
    from sqlalchemy.engine import Engine

    from .config import Settings
    from .engine import DBMigrator
    from .schema.templates import MigratedTemplates
    from .testing import CheckReport, FreshDatabase

URL_ENVIRONMENT = "LOCKGATE_TEST_URL"


class OptionGroup(Protocol):
    def addoption(self, *names: str, **attrs: Any) -> None: ...


class OptionParser(Protocol):
    """What :func:`pytest_addoption` uses of :class:`pytest.Parser` (lockgate.reference passes a recorder)."""

    def getgroup(self, name: str, description: str = "") -> OptionGroup: ...


def pytest_addoption(parser: OptionParser) -> None:
    group = parser.getgroup("lockgate", "lockgate migration fixtures")
    group.addoption("--lockgate-url", default=None,
                    help=f"server for lockgate's scratch databases (else ${URL_ENVIRONMENT}, else SQLite)")
    group.addoption("--lockgate-config", default=None, help="ini file naming the migration scripts")
    group.addoption("--lockgate-package", default=None, help="package holding the migration scripts")
    group.addoption("--lockgate-directory", default=None, help="folder holding the migration scripts")


@pytest.fixture(scope="session")
def lockgate_settings(pytestconfig: pytest.Config) -> Settings:
    """Where the scripts are (and models, canonical schema), from the options or the ini file."""
    from lockgate.config import load_settings

    option = pytestconfig.getoption
    config = option("--lockgate-config")
    settings = load_settings(config, environ={})
    if option("--lockgate-package"):
        settings.package, settings.directory = option("--lockgate-package"), None
    elif option("--lockgate-directory"):
        directory = option("--lockgate-directory")
        settings.package = None
        settings.directory = os.path.join(str(pytestconfig.rootpath), directory)
    if not settings.package and not settings.directory:
        from lockgate.errors import ConfigError

        raise ConfigError("lockgate's fixtures need the scripts: pass --lockgate-package, "
                          "--lockgate-directory or --lockgate-config (an ini file with a [lockgate] section).")
    return settings


@pytest.fixture(scope="session")
def lockgate_server_url(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The server the session's databases are made on (a SQLite file by default)."""
    url = pytestconfig.getoption("--lockgate-url") or os.environ.get(URL_ENVIRONMENT)
    return url or f"sqlite:///{tmp_path_factory.mktemp('lockgate') / 'lockgate.sqlite'}"


@pytest.fixture
def lockgate_url(lockgate_server_url: str) -> str:
    """The server URL the scratch databases are made on (a SQLite file by default)."""
    return lockgate_server_url


@pytest.fixture(scope="session")
def lockgate_templates(lockgate_settings: Settings, lockgate_server_url: str) -> Iterator[MigratedTemplates]:
    """The session's migrated templates: each version built once, copied for every test that asks."""
    from lockgate.schema.templates import MigratedTemplates

    templates = MigratedTemplates(lockgate_server_url, lockgate_settings)
    yield templates
    templates.close()


@pytest.fixture
def lockgate_database(lockgate_templates: MigratedTemplates) -> Iterator[FreshDatabase]:
    """This test's own database: made when first needed, dropped after the test."""
    from lockgate.testing import FreshDatabase

    database = FreshDatabase(lockgate_templates)
    yield database
    database.drop()


@pytest.fixture
def lockgate_migrator(lockgate_database: FreshDatabase) -> DBMigrator:
    """A migrator for the configured scripts on a fresh scratch database, nothing applied yet."""
    return lockgate_database.migrator


@pytest.fixture
def migrated_engine(lockgate_database: FreshDatabase) -> Engine:
    """An engine on a fresh scratch database with every script applied (a copy of the session's template)."""
    return lockgate_database.migrate_to(None)


@pytest.fixture
def migrate_to(lockgate_database: FreshDatabase) -> Callable[[str | int], Engine]:
    """``migrate_to(version)``: the scripts up to ``version`` applied; returns the engine.

    On a database nothing was done to yet this is a copy of that version's
    template; afterwards the scripts run as an upgrade would run them.
    """
    return lockgate_database.migrate_to


@pytest.fixture
def lockgate_stairway(lockgate_settings: Settings, lockgate_url: str) -> CheckReport:
    """Run the stairway; the test fails with the report when a downgrade is wrong."""
    from lockgate.testing import stairway

    settings = lockgate_settings
    report = stairway(lockgate_url, settings.package, settings.directory, table=settings.table)
    if not report.ok:
        pytest.fail(report.format(), pytrace=False)
    return report
