"""A real project's Alembic history imports whole and builds what Alembic builds.

MLflow ships its tracking store's migrations (about seventy revisions; some
read rows through ``op.get_bind()`` or an ORM session, many use batch
operations that SQLite must run on the live table) inside the package, with
an ``alembic.ini`` whose ``script_location`` is relative to the working
folder. MLflow creates its first tables from its own models before running
Alembic, so both databases start from those. Runs where ``mlflow-skinny`` is
installed (``pip install -e '.[test,projects]'``, as CI does), and is skipped elsewhere.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from clihelpers import cli, isolated_cli
from helpers import engine_for
from lockgate.schema.snapshot import render_diff, take_snapshot

migrations = pytest.importorskip("mlflow.store.db_migrations", reason="mlflow-skinny is not installed (pip install -e '.[test,projects]')")
initial_models = pytest.importorskip("mlflow.store.tracking.dbmodels.initial_models")

# MLflow's own models warn of SQLAlchemy deprecations, which this suite otherwise makes errors.
pytestmark = [pytest.mark.usefixtures(isolated_cli.__name__), pytest.mark.filterwarnings("ignore::DeprecationWarning")]

FOLDER = Path(migrations.__file__).parent
BOOKKEEPING = ("alembic_version", "lockgate_versions")


def alembic_upgrade_head(url: str) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config(str(FOLDER / "alembic.ini"))
    config.set_main_option("script_location", str(FOLDER))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(config, "head")


def snapshot(url: str):
    with engine_for(url) as engine:
        return take_snapshot(engine, exclude=BOOKKEEPING)


def test_mlflows_history_imports_without_a_refusal_and_reaches_alembics_head(fresh_db, tmp_path, capsys):
    by_alembic, by_lockgate = fresh_db(), fresh_db()
    for url in (by_alembic, by_lockgate):
        with engine_for(url) as engine:
            initial_models.Base.metadata.create_all(engine)
    alembic_upgrade_head(by_alembic)

    into = tmp_path / "m"
    into.mkdir()
    result = cli(capsys, "--url", by_lockgate, "import", "alembic", FOLDER, "--into", into)
    assert result.code == 0, str(result)
    lines = [line for line in result.out.splitlines() if "(alembic revision " in line]
    assert len(lines) > 50
    assert any("run live through Alembic" in line for line in lines)
    upgrade = cli(capsys, "--url", by_lockgate, "--directory", into, "upgrade")
    assert upgrade.code == 0, str(upgrade)
    expected, found = snapshot(by_alembic), snapshot(by_lockgate)
    assert expected == found, render_diff(expected, found, "alembic", "lockgate")
