"""``lockgate import alembic``: Alembic revisions become lockgate scripts with the same effect.

The acceptance test: a twenty-revision project made with Alembic itself,
imported, builds the schema ``alembic upgrade head`` builds (compared through
SQLAlchemy's inspector), on SQLite, PostgreSQL and MariaDB.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import peerprojects as peers
from clihelpers import assert_clean_error, cli, isolated_cli, scalar, tracked

# No database URL from the environment; sys.path and logging restored after each test.
pytestmark = pytest.mark.usefixtures(isolated_cli.__name__)

HEAD = len(peers.REVISIONS)


@pytest.fixture(scope="module")
def alembic_project(tmp_path_factory):
    """The twenty-revision Alembic project, made once: the tests only read it."""
    return peers.make_alembic_project(tmp_path_factory.mktemp("alembic") / "project")


def imported(capsys, url, project, into, *extra):
    """Import ``project`` into a new folder ``into`` for ``url``'s dialect; the command's result."""
    into.mkdir(exist_ok=True)
    return cli(capsys, "--url", url, "import", "alembic", project, "--into", into, *extra)


def versions_of(into) -> list[str]:
    return sorted((p.name.split("_")[0] for p in into.glob("*.sql") if "_downgrade" not in p.name), key=int)


def test_imported_scripts_build_the_schema_alembic_head_builds(fresh_db, alembic_project, tmp_path, capsys):
    by_alembic, by_lockgate = fresh_db(), fresh_db()
    peers.alembic_upgrade(alembic_project, by_alembic)

    result = imported(capsys, by_lockgate, alembic_project, tmp_path / "migrations")
    assert result.code == 0, str(result)
    lines = result.out.splitlines()
    assert len(lines) == HEAD
    assert "(alembic revision rev01)" in lines[0] and "(alembic revision rev20)" in lines[-1]
    versions = versions_of(tmp_path / "migrations")
    assert len(versions) == HEAD and versions == sorted(set(versions), key=int)

    upgrade = cli(capsys, "--url", by_lockgate, "--directory", tmp_path / "migrations", "upgrade")
    assert upgrade.code == 0, str(upgrade)
    assert peers.schema(by_lockgate) == peers.schema(by_alembic)
    assert set(peers.schema(by_lockgate)) == {"users", "projects", "tasks", "tags", "task_tags", "task_comments"}
    assert scalar(by_lockgate, "SELECT name FROM tags") == "urgent"


def test_scripts_keep_the_revision_id_and_lose_alembic_bookkeeping(alembic_project, tmp_path, capsys):
    result = cli(capsys, "import", "alembic", alembic_project, "--into", tmp_path, "--dialect", "postgresql")
    assert result.code == 0, str(result)
    first = sorted(tmp_path.glob("*_create_users_rev01.sql"))[0].read_text()
    assert first.startswith("-- imported from alembic revision: rev01\n")
    assert "CREATE TABLE users" in first
    everything = "".join(p.read_text() for p in tmp_path.iterdir())
    assert "alembic_version" not in everything
    assert "BEGIN;" not in everything and "COMMIT;" not in everything
    assert len(list(tmp_path.glob("*_downgrade.sql"))) == HEAD


def test_imported_downgrades_restore_earlier_schemas(fresh_db, alembic_project, tmp_path, capsys):
    at_rev10, by_lockgate = fresh_db(), fresh_db()
    peers.alembic_upgrade(alembic_project, at_rev10, peers.revision_id(10))
    into = tmp_path / "migrations"
    assert imported(capsys, by_lockgate, alembic_project, into).code == 0
    assert cli(capsys, "--url", by_lockgate, "--directory", into, "upgrade").code == 0

    tenth = versions_of(into)[9]
    result = cli(capsys, "--url", by_lockgate, "--directory", into, "downgrade", "--to", tenth)
    assert result.code == 0, str(result)
    assert peers.schema(by_lockgate) == peers.schema(at_rev10)

    result = cli(capsys, "--url", by_lockgate, "--directory", into, "downgrade", "--all")
    assert result.code == 0, str(result)
    assert peers.schema(by_lockgate) == {}


def test_mark_applied_adopts_a_database_alembic_migrated_halfway(fresh_db, alembic_project, tmp_path, capsys):
    """Import once (as a developer would), then adopt a database at rev12 and finish with lockgate."""
    at_head, adopted = fresh_db(), fresh_db()
    peers.alembic_upgrade(alembic_project, at_head)
    peers.alembic_upgrade(alembic_project, adopted, peers.revision_id(12))
    into = tmp_path / "migrations"
    assert imported(capsys, adopted, alembic_project, into).code == 0
    versions = versions_of(into)

    result = imported(capsys, adopted, alembic_project, into, "--mark-applied")
    assert result.code == 0, str(result)
    assert re.search(rf"\b{HEAD} revision(s|\(s\)) were imported", result.out)
    assert result.out.count("as applied without running it") == 12
    assert tracked(adopted) == {version: None for version in versions[:12]}
    assert scalar(adopted, "SELECT version_num FROM alembic_version") == peers.revision_id(12)

    again = imported(capsys, adopted, alembic_project, into, "--mark-applied")
    assert again.code == 0 and "without running it" not in again.out, str(again)

    upgrade = cli(capsys, "--url", adopted, "--directory", into, "upgrade")
    assert upgrade.code == 0, str(upgrade)
    assert upgrade.out.count("Applying") == HEAD - 12
    assert peers.schema(adopted) == peers.schema(at_head)
    assert scalar(adopted, "SELECT version_num FROM alembic_version") == peers.revision_id(12)


def test_mark_applied_while_importing_writes_and_marks_in_one_go(postgresql_url, alembic_project, tmp_path, capsys):
    peers.alembic_upgrade(alembic_project, postgresql_url, peers.revision_id(3))
    result = imported(capsys, postgresql_url, alembic_project, tmp_path / "m", "--mark-applied")
    assert result.code == 0, str(result)
    assert result.out.count("(alembic revision") == HEAD
    assert list(tracked(postgresql_url)) == versions_of(tmp_path / "m")[:3]


def test_a_second_import_writes_only_new_revisions(tmp_path, capsys):
    project = peers.make_alembic_project(tmp_path / "project", peers.REVISIONS[:3])
    into = tmp_path / "migrations"
    into.mkdir()
    assert cli(capsys, "import", "alembic", project, "--into", into, "--dialect", "sqlite").code == 0
    from alembic import command

    command.revision(peers.alembic_config(project), "one more", rev_id="rev04")
    result = cli(capsys, "import", "alembic", project, "--into", into, "--dialect", "sqlite")
    assert result.code == 0, str(result)
    assert result.out.splitlines()[0].endswith("(alembic revision rev04) as SQL")
    assert re.search(r"\b3 revision(s|\(s\)) were imported", result.out)
    assert versions_of(into)[-1] > versions_of(into)[-2]


def test_merged_branches_are_imported_in_alembic_order(tmp_path, capsys):
    project = peers.make_alembic_project(tmp_path / "project", peers.REVISIONS[:2])
    from alembic import command

    config = peers.alembic_config(project)
    command.revision(config, "side branch", rev_id="side", head="rev01", splice=True)
    command.merge(config, "heads", message="merge", rev_id="merged")
    into = tmp_path / "migrations"
    into.mkdir()
    result = cli(capsys, "import", "alembic", project, "--into", into, "--dialect", "sqlite")
    assert result.code == 0, str(result)
    order = [line.split("revision ")[1].split(")")[0] for line in result.out.splitlines()
             if "(alembic revision" in line]
    assert order[0] == "rev01" and order[-1] == "merged" and set(order) == {"rev01", "rev02", "side", "merged"}

    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    assert cli(capsys, "--url", url, "--directory", into, "upgrade").code == 0
    assert set(peers.schema(url)) == {"users"}
    result = cli(capsys, "--url", url, "--directory", into, "downgrade", "--all")
    assert result.code == 0, str(result)
    assert peers.schema(url) == {}


# -- bad inputs ------------------------------------------------------------------


def test_a_missing_folder_is_a_clean_error(tmp_path, capsys):
    result = cli(capsys, "import", "alembic", tmp_path / "nope", "--into", tmp_path, "--dialect", "sqlite")
    assert_clean_error(result, 2, "does not exist")


def test_a_folder_without_alembic_is_a_clean_error(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    result = cli(capsys, "import", "alembic", tmp_path / "empty", "--into", tmp_path, "--dialect", "sqlite")
    assert_clean_error(result, 2, "is not an Alembic folder")


def test_several_heads_are_refused_with_what_to_do(tmp_path, capsys):
    project = peers.make_alembic_project(tmp_path / "project", peers.REVISIONS[:2])
    from alembic import command

    command.revision(peers.alembic_config(project), "side branch", rev_id="side", head="rev01", splice=True)
    into = tmp_path / "migrations"
    into.mkdir()
    result = cli(capsys, "import", "alembic", project, "--into", into, "--dialect", "sqlite")
    assert_clean_error(result, 2, "2 heads", "rev02, side", "alembic merge heads")
    assert list(into.iterdir()) == []


def test_files_that_would_be_overwritten_are_refused(alembic_project, tmp_path, capsys):
    first = tmp_path / "first"
    first.mkdir()
    assert cli(capsys, "import", "alembic", alembic_project, "--into", first, "--dialect", "sqlite").code == 0
    name = sorted(p.name for p in first.iterdir())[0]
    into = tmp_path / "migrations"
    into.mkdir()
    (into / name).write_text("SELECT 1;\n")
    result = cli(capsys, "import", "alembic", alembic_project, "--into", into, "--dialect", "sqlite")
    assert_clean_error(result, 2, f"{name} exists", "nothing was written")
    assert [p.name for p in into.iterdir()] == [name]
    assert (into / name).read_text() == "SELECT 1;\n"


def test_without_a_dialect_or_url_it_asks_for_one(alembic_project, tmp_path, capsys):
    result = cli(capsys, "import", "alembic", alembic_project, "--into", tmp_path)
    assert_clean_error(result, 2, "--dialect")


def test_mark_applied_needs_alembic_version_and_writes_nothing_without_it(db_url, alembic_project, tmp_path, capsys):
    into = tmp_path / "migrations"
    result = imported(capsys, db_url, alembic_project, into, "--mark-applied")
    assert_clean_error(result, 2, "no alembic_version table")
    assert list(into.iterdir()) == []


def test_a_revision_that_reads_the_database_runs_live_through_alembic(db_url, tmp_path, capsys):
    table = ("create t", 'op.create_table("t", sa.Column("id", sa.Integer, primary_key=True), '
                         'sa.Column("n", sa.Integer))', 'op.drop_table("t")')
    reads = ("count rows", """
        count = op.get_bind().execute(sa.text("SELECT COUNT(*) FROM t")).scalar_one()
        op.execute(sa.text(f"INSERT INTO t (id, n) VALUES (1, {count + 41})"))""",
             'op.execute("DELETE FROM t")')
    project = peers.make_alembic_project(tmp_path / "project", [table, reads])
    into = tmp_path / "migrations"
    result = imported(capsys, db_url, project, into)
    assert result.code == 0, str(result)
    assert "(alembic revision rev02) as Python run live through Alembic: the upgrade reads" in result.out
    script = next(into.glob("*_rev02.py")).read_text()
    assert script.startswith("# imported from alembic revision: rev02\n")
    assert 'SELECT COUNT(*) FROM t' in script  # the revision's source is kept in the script
    upgrade = cli(capsys, "--url", db_url, "--directory", into, "upgrade")
    assert upgrade.code == 0, str(upgrade)
    assert scalar(db_url, "SELECT n FROM t") == 41
    assert cli(capsys, "--url", db_url, "--directory", into, "downgrade").code == 0
    assert scalar(db_url, "SELECT COUNT(*) FROM t") == 0


def test_autocommit_blocks_become_no_transaction_scripts(postgresql_url, tmp_path, capsys):
    concurrently = ("create index concurrently", """
        with op.get_context().autocommit_block():
            op.create_index("ix_t_name", "t", ["name"], postgresql_concurrently=True)""",
                    'op.drop_index("ix_t_name", table_name="t")')
    table = ("create t", 'op.create_table("t", sa.Column("id", sa.Integer, primary_key=True), '
                         'sa.Column("name", sa.String(20)))', 'op.drop_table("t")')
    project = peers.make_alembic_project(tmp_path / "project", [table, concurrently])
    into = tmp_path / "migrations"
    assert imported(capsys, postgresql_url, project, into).code == 0
    script = next(into.glob("*_rev02.sql")).read_text()
    assert "-- lockgate: no-transaction" in script and "COMMIT" not in script
    result = cli(capsys, "--url", postgresql_url, "--directory", into, "upgrade")
    assert result.code == 0, str(result)
    assert peers.schema(postgresql_url)["t"]["indexes"] == [("ix_t_name", ("name",), False)]


def test_scripts_go_to_the_configured_directory_by_default(alembic_project, tmp_path, capsys):
    result = cli(capsys, "--directory", tmp_path, "import", "alembic", alembic_project, "--dialect", "mysql")
    assert result.code == 0, str(result)
    assert len(versions_of(tmp_path)) == HEAD


def test_a_pyproject_configured_project_is_found(tmp_path, capsys):
    from alembic import command
    from alembic.config import Config

    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text('[project]\nname = "app"\n')
    config = Config(str(project / "alembic.ini"), toml_file=str(project / "pyproject.toml"))
    command.init(config, str(project / "alembic"), template="pyproject")
    config = Config(str(project / "alembic.ini"), toml_file=str(project / "pyproject.toml"))
    script = command.revision(config, "create users", rev_id="rev01")
    peers.write_bodies(Path(script.path), *peers.REVISIONS[0][1:])
    result = cli(capsys, "import", "alembic", project, "--into", tmp_path, "--dialect", "sqlite")
    assert result.code == 0, str(result)
    assert "CREATE TABLE users" in next(tmp_path.glob("*_rev01.sql")).read_text()
