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
    from pathlib import Path

    from sqlalchemy.engine import Engine

    from .config import Settings
    from .engine import DBMigrator
    from .testing import CheckReport

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


@pytest.fixture
def lockgate_url(pytestconfig: pytest.Config, tmp_path: Path) -> str:
    """The server URL the scratch databases are made on (a SQLite file by default)."""
    url = pytestconfig.getoption("--lockgate-url") or os.environ.get(URL_ENVIRONMENT)
    return url or f"sqlite:///{tmp_path / 'lockgate.sqlite'}"


@pytest.fixture
def lockgate_migrator(lockgate_settings: Settings, lockgate_url: str) -> Iterator[DBMigrator]:
    """A migrator for the configured scripts on a fresh scratch database."""
    from lockgate.database import create_engine_from_settings
    from lockgate.engine import DBMigrator
    from lockgate.schema.scratch import scratch_database

    settings = lockgate_settings
    with scratch_database(lockgate_url) as url:
        engine = create_engine_from_settings(url)
        try:
            yield DBMigrator.from_settings(settings, engine=engine)
        finally:
            engine.dispose()


@pytest.fixture
def migrated_engine(lockgate_migrator: DBMigrator) -> Engine:
    """An engine on a scratch database with every script applied."""
    lockgate_migrator.upgrade()
    return lockgate_migrator.engine


@pytest.fixture
def migrate_to(lockgate_migrator: DBMigrator) -> Callable[[str | int], Engine]:
    """``migrate_to(version)``: apply the scripts up to ``version`` and return the engine."""

    def migrate(version: str | int) -> Engine:
        lockgate_migrator.upgrade(to=version)
        return lockgate_migrator.engine

    return migrate


@pytest.fixture
def lockgate_stairway(lockgate_settings: Settings, lockgate_url: str) -> CheckReport:
    """Run the stairway; the test fails with the report when a downgrade is wrong."""
    from lockgate.testing import stairway

    settings = lockgate_settings
    report = stairway(lockgate_url, settings.package, settings.directory, table=settings.table)
    if not report.ok:
        pytest.fail(report.format(), pytrace=False)
    return report
