"""The schema delta from models (``models = pkg.module:Base``) and ``lockgate check``, on every backend.

The scripts create ``users``; the models add a column with an index to it and a
new table with a foreign key to it. ``check`` must name each difference, the
script ``add_script`` writes must apply and revert on the real database, and
afterwards ``check`` must pass.
"""

from __future__ import annotations

import textwrap

import pytest
import sqlalchemy as sa

from clihelpers import assert_clean_error, cli, engine_for, isolated_cli, table_names  # noqa: F401
from helpers import scratch_made  # noqa: F401  (a fixture)
from lockgate.config import Settings
from lockgate.schema.modeldiff import schema_delta

SCRIPTS = {
    "1_create_users.sql": "CREATE TABLE users (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(50) NOT NULL);\n",
    "1_downgrade.sql": "DROP TABLE users;\n",
}

MODELS = '''
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id = sa.Column(sa.Integer, primary_key=True, autoincrement=False)
    name = sa.Column(sa.String(50), nullable=False)
    email = sa.Column(sa.String(100), nullable=True, index=True)


class Task(Base):
    __tablename__ = "tasks"
    id = sa.Column(sa.Integer, primary_key=True, autoincrement=False)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"), nullable=False)
    title = sa.Column(sa.String(200), nullable=False, server_default="untitled")
'''


@pytest.fixture
def models(tmp_path, monkeypatch):
    """Write a models module into tmp_path and put it on sys.path; returns ``models = ...``."""
    import sys

    def make(source: str = MODELS, name: str = "delta_models") -> str:
        folder = tmp_path / "models_pkg"
        folder.mkdir(exist_ok=True)
        (folder / f"{name}.py").write_text(textwrap.dedent(source), encoding="utf-8")
        monkeypatch.syspath_prepend(str(folder))
        sys.modules.pop(name, None)
        return f"{name}:Base"

    yield make
    sys.modules.pop("delta_models", None)


@pytest.fixture
def project(tmp_path, make_scripts, models):
    """An ini file naming the scripts and the models; the URL is given with --url."""
    scripts = make_scripts(SCRIPTS)
    ini = tmp_path / "development.ini"
    ini.write_text(f"[lockgate]\ndirectory = {scripts}\nmodels = {models()}\n", encoding="utf-8")
    return ini, scripts


def test_generated_script_applies_reverts_and_satisfies_check(capsys, db_url, db_backend, db_servers,
                                                              project, scratch_made):
    ini, scripts = project
    assert cli(capsys, "-c", ini, "--url", db_url, "upgrade").code == 0

    before = cli(capsys, "-c", ini, "--url", db_url, "check")
    assert before.code == 1, str(before)
    for fragment in ("table tasks is in the models but not in the scripts",
                     "column users.email is in the models but not in the scripts",
                     "index ix_users_email on users (email) is in the models"):
        assert fragment in before.err, str(before)

    created = cli(capsys, "-c", ini, "--url", db_url, "add_script", "sync with models")
    assert created.code == 0, str(created)
    upgrade_file = next(scripts.glob("*_sync_with_models.sql"))
    assert str(upgrade_file) in created.out
    upgrade_sql = upgrade_file.read_text()
    assert "CREATE TABLE tasks" in upgrade_sql and "ix_users_email" in upgrade_sql
    version = upgrade_file.name.split("_")[0]
    downgrade_sql = (scripts / f"{version}_downgrade.sql").read_text()
    assert "DROP TABLE tasks" in downgrade_sql and "DROP INDEX ix_users_email" in downgrade_sql

    assert cli(capsys, "-c", ini, "--url", db_url, "upgrade").code == 0
    assert {"users", "tasks"} <= table_names(db_url)
    after = cli(capsys, "-c", ini, "--url", db_url, "check")
    assert after.code == 0, str(after)
    assert "OK" in after.out

    down = cli(capsys, "-c", ini, "--url", db_url, "downgrade")
    assert down.code == 0, str(down)
    assert "tasks" not in table_names(db_url)
    with engine_for(db_url) as engine:
        assert "email" not in {c["name"] for c in sa.inspect(engine).get_columns("users")}
    pending = cli(capsys, "-c", ini, "--url", db_url, "check")
    assert pending.code == 1 and "is not applied" in pending.err, str(pending)
    assert cli(capsys, "-c", ini, "--url", db_url, "upgrade").code == 0
    assert cli(capsys, "-c", ini, "--url", db_url, "check").code == 0
    if db_backend != "sqlite":  # every shadow database it made is gone again
        assert scratch_made and not [n for n in scratch_made if db_servers.need(db_backend).database_exists(n)]


def test_explicit_shadow_url_is_used(capsys, fresh_db, project):
    ini, _ = project
    target, shadow = fresh_db(), fresh_db()
    assert cli(capsys, "-c", ini, "--url", target, "upgrade").code == 0
    result = cli(capsys, "-c", ini, "--url", target, "check", "--shadow-url", shadow)
    assert result.code == 1 and "table tasks" in result.err, str(result)
    assert {"users", "lockgate_versions"} <= table_names(shadow)


def test_models_matching_the_scripts_give_no_delta(db_url, make_scripts, models):
    scripts = make_scripts(SCRIPTS)
    reference = models('''
        import sqlalchemy as sa
        metadata = sa.MetaData()
        Base = metadata
        sa.Table("users", metadata, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
                 sa.Column("name", sa.String(50), nullable=False))
    ''', name="matching_models")
    delta = schema_delta(Settings(url=db_url, directory=str(scripts), models=reference))
    assert delta.empty and delta.upgrade_sql == ""


def test_changed_column_is_reported(db_url, make_scripts, models):
    scripts = make_scripts(SCRIPTS)
    reference = models(MODELS.replace("sa.String(50), nullable=False", "sa.String(80), nullable=True"),
                       name="changed_models")
    delta = schema_delta(Settings(url=db_url, directory=str(scripts), models=reference))
    text = "\n".join(delta.differences)
    assert "column users.name: type is VARCHAR(50) in the scripts but VARCHAR(80) in the models" in text
    assert "column users.name: nullable is False in the scripts but True in the models" in text


def test_what_sqlite_cannot_alter_becomes_a_todo(sqlite_url, make_scripts, models):
    scripts = make_scripts({
        **SCRIPTS,
        "2_tasks.sql": "CREATE TABLE tasks (id INTEGER NOT NULL PRIMARY KEY, user_id INTEGER NOT NULL);\n",
    })
    reference = models(MODELS.replace('sa.String(200), nullable=False, server_default="untitled"',
                                      "sa.String(200), nullable=True").replace(
        "sa.Column(sa.String(50), nullable=False)", "sa.Column(sa.String(50), nullable=True)"),
        name="todo_models")
    delta = schema_delta(Settings(url=sqlite_url, directory=str(scripts), models=reference))
    assert "-- TODO: foreign key tasks (user_id) -> users (id) is in the models" in delta.upgrade_sql
    assert "-- TODO: column users.name: nullable" in delta.upgrade_sql
    assert "ALTER TABLE tasks ADD COLUMN title VARCHAR(200)" in delta.upgrade_sql


def test_check_without_models_checks_pending_only(capsys, sqlite_url, make_scripts):
    scripts = make_scripts(SCRIPTS)
    result = cli(capsys, "--url", sqlite_url, "--directory", scripts, "check")
    assert result.code == 1 and "1 (create_users) is not applied" in result.err, str(result)
    assert cli(capsys, "--url", sqlite_url, "--directory", scripts, "upgrade").code == 0
    result = cli(capsys, "--url", sqlite_url, "--directory", scripts, "check")
    assert result.code == 0 and "no `models` configured" in result.out, str(result)


def test_check_with_models_that_do_not_import(capsys, sqlite_url, tmp_path, make_scripts):
    scripts = make_scripts(SCRIPTS)
    ini = tmp_path / "development.ini"
    ini.write_text(f"[lockgate]\ndirectory = {scripts}\nmodels = nowhere_models:Base\n", encoding="utf-8")
    assert cli(capsys, "-c", ini, "--url", sqlite_url, "upgrade").code == 0
    assert_clean_error(cli(capsys, "-c", ini, "--url", sqlite_url, "check"), 2,
                       "nowhere_models:Base cannot be imported")


def test_the_example_matches_its_models_including_inline_unique(capsys, db_url):
    """busy's scripts write `email ... UNIQUE` inline, which SQLite reflection misses."""
    from pathlib import Path

    example = Path(__file__).resolve().parents[1] / "examples" / "busy" / "development.ini"
    assert cli(capsys, "-c", example, "--url", db_url, "-q", "upgrade").code == 0
    r = cli(capsys, "-c", example, "--url", db_url, "check")
    assert r.code == 0, r.err
    assert "models match the scripts" in r.out


def test_an_integer_primary_key_without_not_null_agrees_with_its_models(capsys, db_url, make_scripts, models):
    """SQLite reads such a column as nullable; it is the rowid and never NULL: nothing to report."""
    scripts = make_scripts({"1_items.sql": "CREATE TABLE items (id INTEGER PRIMARY KEY, label VARCHAR(20));\n"})
    reference = models('''
        import sqlalchemy as sa
        from sqlalchemy.orm import DeclarativeBase


        class Base(DeclarativeBase):
            pass


        class Item(Base):
            __tablename__ = "items"
            id = sa.Column(sa.Integer, primary_key=True)
            label = sa.Column(sa.String(20))
    ''', name="rowid_models")
    delta = schema_delta(Settings(url=db_url, directory=str(scripts), models=reference))
    assert delta.empty, delta.differences
    ini = scripts.parent / "rowid.ini"
    ini.write_text(f"[lockgate]\ndirectory = {scripts}\nmodels = {reference}\n", encoding="utf-8")
    assert cli(capsys, "-c", str(ini), "--url", db_url, "upgrade").code == 0
    result = cli(capsys, "-c", str(ini), "--url", db_url, "check")
    assert result.code == 0, str(result)


def test_a_nullable_column_that_is_no_key_is_still_reported_on_sqlite(sqlite_url, make_scripts, models):
    scripts = make_scripts({"1_items.sql": "CREATE TABLE items (id INTEGER PRIMARY KEY, label VARCHAR(20));\n"})
    reference = models('''
        import sqlalchemy as sa
        metadata = sa.MetaData()
        Base = metadata
        sa.Table("items", metadata, sa.Column("id", sa.Integer, primary_key=True),
                 sa.Column("label", sa.String(20), nullable=False))
    ''', name="label_models")
    delta = schema_delta(Settings(url=sqlite_url, directory=str(scripts), models=reference))
    assert any("label" in d for d in delta.differences), delta.differences
