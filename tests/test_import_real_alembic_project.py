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

import importlib
import importlib.util
from pathlib import Path

import pytest

from clihelpers import cli, isolated_cli
from helpers import engine_for
from lockgate.schema.snapshot import render_diff, take_snapshot

# Found, not imported: importing mlflow takes about two seconds of CPU, which every
# test process collecting this file would pay; only the one running the tests does.
_MLFLOW = importlib.util.find_spec("mlflow")
FOLDER = Path(_MLFLOW.origin).parent / "store" / "db_migrations" if _MLFLOW and _MLFLOW.origin else None
if FOLDER is None or not (FOLDER / "alembic.ini").is_file():
    pytest.skip("mlflow-skinny is not installed (pip install -e '.[test,projects]')", allow_module_level=True)

# MLflow's own models warn of SQLAlchemy deprecations, which this suite otherwise makes errors.
pytestmark = [pytest.mark.usefixtures(isolated_cli.__name__), pytest.mark.filterwarnings("ignore::DeprecationWarning")]

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
    initial_models = importlib.import_module("mlflow.store.tracking.dbmodels.initial_models")
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
