"""``lockgate import alembic`` on a project written the way real ones are (``alembicshowcase``).

Every revision imports, on every database: those that render offline become
SQL, those that read the database (or ask whether they run offline) become
Python scripts that run the revision live through Alembic. After ``import``
and ``upgrade`` the schema equals what ``alembic upgrade head`` builds,
object by object (lockgate's schema snapshot), on SQLite, PostgreSQL and
MariaDB; downgrades and ``--mark-applied`` halfway reach Alembic's schemas too.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

import alembicshowcase as showcase
import peerprojects as peers
from clihelpers import assert_clean_error, cli, isolated_cli, scalar, tracked
from helpers import engine_for
from lockgate.schema.snapshot import render_diff, take_snapshot

pytestmark = pytest.mark.usefixtures(isolated_cli.__name__)

BOOKKEEPING = ("alembic_version", "lockgate_versions")


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return showcase.make_project(tmp_path_factory.mktemp("showcase") / "project")


def snapshot(url: str):
    with engine_for(url) as engine:
        return take_snapshot(engine, exclude=BOOKKEEPING)


def assert_same_schema(by_alembic: str, by_lockgate: str) -> None:
    expected, found = snapshot(by_alembic), snapshot(by_lockgate)
    assert expected == found, render_diff(expected, found, "alembic", "lockgate")


def import_and_upgrade(capsys, url, project, into, *extra):
    into.mkdir(exist_ok=True)
    result = cli(capsys, "--url", url, "import", "alembic", project, "--into", into, *extra)
    assert result.code == 0, str(result)
    upgrade = cli(capsys, "--url", url, "--directory", into, "upgrade")
    assert upgrade.code == 0, str(upgrade)
    return result


def summary(result) -> dict[str, str]:
    """revision id -> how the import says it converted it."""
    lines = [line for line in result.out.splitlines() if "(alembic revision " in line]
    return {line.split("(alembic revision ")[1].split(")")[0]: line.split(")", 1)[1].strip()
            for line in lines}


def versions_of(into) -> list[str]:
    return sorted({p.name.split("_")[0] for p in into.iterdir() if p.suffix in (".sql", ".py")}, key=int)


def test_every_revision_imports_and_builds_alembics_schema(fresh_db, db_backend, project, tmp_path, capsys):
    by_alembic, by_lockgate = fresh_db(), fresh_db()
    peers.alembic_upgrade(project, by_alembic)
    result = import_and_upgrade(capsys, by_lockgate, project, tmp_path / "m")

    how = summary(result)
    assert len(how) == showcase.HEAD
    live = set(showcase.LIVE_EVERYWHERE) | (showcase.LIVE_ON_SQLITE if db_backend == "sqlite" else set())
    for revision, text in how.items():
        if revision in live:
            assert "run live through Alembic" in text, (revision, text)
        else:
            assert text == "as SQL", (revision, text)
    assert how["rev11"].startswith("as SQL, with a downgrade run live")
    assert "asks context.is_offline_mode()" in how["rev08"]
    assert "Alembic must be installed" in result.out

    assert_same_schema(by_alembic, by_lockgate)
    assert "ix_accounts_name" in str(snapshot(by_lockgate))  # the online branch of rev08 ran
    for url in (by_alembic, by_lockgate):
        assert scalar(url, "SELECT slug FROM projects") == "first-project"
        assert scalar(url, "SELECT name FROM tags") == "urgent"  # op.get_context().config was read
        with engine_for(url) as engine, engine.begin() as connection:  # the trigger is there
            connection.execute(sa.text("INSERT INTO accounts (id, email, name) VALUES (2, 'BO@X.ORG', 'bo')"))
        assert scalar(url, "SELECT email FROM accounts WHERE id = 2") == "bo@x.org"


def test_downgrades_reach_alembics_earlier_schemas(fresh_db, project, tmp_path, capsys):
    at_rev05, by_lockgate = fresh_db(), fresh_db()
    peers.alembic_upgrade(project, at_rev05, peers.revision_id(5))
    into = tmp_path / "m"
    import_and_upgrade(capsys, by_lockgate, project, into)

    result = cli(capsys, "--url", by_lockgate, "--directory", into, "downgrade", "--to", versions_of(into)[4])
    assert result.code == 0, str(result)
    assert_same_schema(at_rev05, by_lockgate)

    result = cli(capsys, "--url", by_lockgate, "--directory", into, "downgrade", "--all")
    assert result.code == 0, str(result)
    assert snapshot(by_lockgate).tables == {}


def test_mark_applied_in_the_middle_then_upgrade_reaches_head(fresh_db, project, tmp_path, capsys):
    at_head, adopted = fresh_db(), fresh_db()
    peers.alembic_upgrade(project, at_head)
    peers.alembic_upgrade(project, adopted, peers.revision_id(6))
    into = tmp_path / "m"
    result = import_and_upgrade(capsys, adopted, project, into, "--mark-applied")
    assert result.out.count("as applied without running it") == 6
    assert list(tracked(adopted)) == versions_of(into)
    assert_same_schema(at_head, adopted)


def test_mariadb_is_rendered_as_mariadb_with_mysql_branches_kept(mariadb_url, project, tmp_path, capsys):
    into = tmp_path / "m"
    result = import_and_upgrade(capsys, mariadb_url, project, into)
    assert summary(result)["rev02"] == "as SQL"
    long_notes = next(into.glob("*_rev02.sql")).read_text()
    assert "LONGTEXT" in long_notes and "rendered for mariadb" in long_notes
    assert "DROP CONSTRAINT ck_accounts_status" in next(into.glob("*_rev07.sql")).read_text()
    with engine_for(mariadb_url) as engine:
        notes = next(c for c in sa.inspect(engine).get_columns("accounts") if c["name"] == "notes")
        assert "LONGTEXT" in str(notes["type"]).upper()


def test_a_mysql_target_renders_mysql_8_syntax(project, tmp_path, capsys):
    result = cli(capsys, "import", "alembic", project, "--into", tmp_path, "--dialect", "mysql-8.0")
    assert result.code == 0, str(result)
    assert "DROP CHECK ck_accounts_status" in next(tmp_path.glob("*_rev07.sql")).read_text()
    (tmp_path / "x").mkdir()
    result = cli(capsys, "import", "alembic", project, "--into", tmp_path / "x", "--dialect", "mariadb-10.6")
    assert result.code == 0, str(result)
    rev07 = next((tmp_path / "x").glob("*_rev07.sql")).read_text()
    assert "DROP CONSTRAINT ck_accounts_status" in rev07 and "rendered for mariadb 10.6" in rev07


def test_the_naming_convention_of_env_py_names_constraints(postgresql_url, project, tmp_path, capsys):
    import_and_upgrade(capsys, postgresql_url, project, tmp_path / "m")
    with engine_for(postgresql_url) as engine:
        unique = {u["name"] for u in sa.inspect(engine).get_unique_constraints("accounts")}
        primary = sa.inspect(engine).get_pk_constraint("accounts")["name"]
    assert unique == {"uq_accounts_email"} and primary == "pk_accounts"


def test_without_the_convention_the_drop_by_name_fails_as_under_alembic(tmp_path, capsys):
    """The convention matters: the same project without it cannot drop uq_projects_title."""
    bare = showcase.make_project(tmp_path / "bare", showcase.REVISIONS[:3] + showcase.REVISIONS[9:10],
                                 convention=False)
    result = cli(capsys, "import", "alembic", bare, "--into", tmp_path, "--dialect", "postgresql")
    assert result.code == 0, str(result)
    assert "uq_projects_title" not in next(tmp_path.glob("*_rev03.sql")).read_text()


# -- folders -----------------------------------------------------------------------


@pytest.mark.parametrize("given", ["project", "ini", "script folder", "root above", "template ini"])
def test_the_project_is_found_from_the_ini_its_folder_the_script_folder_or_a_root(given, tmp_path, capsys,
                                                                                  monkeypatch):
    project = peers.make_alembic_project(tmp_path / "app" / "project", peers.REVISIONS[:2])
    ini = project / "alembic.ini"
    text = ini.read_text()
    location = next(line for line in text.splitlines() if line.startswith("script_location"))
    placeholder = "{alembic_dir}" if given == "template ini" else "alembic"  # a template filled in at run time
    ini.write_text(text.replace(location, f"script_location = {placeholder}"))  # relative to the working folder
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    folder = {"project": project, "ini": ini, "script folder": project / "alembic",
              "root above": tmp_path / "app", "template ini": project}[given]
    if given == "root above":  # a root whose only Alembic script folder is one level down
        (project / "alembic").rename(tmp_path / "app" / "alembic")
        ini.unlink()
    into = tmp_path / "m"
    into.mkdir()
    result = cli(capsys, "import", "alembic", folder, "--into", into, "--dialect", "sqlite")
    assert result.code == 0, str(result)
    assert set(summary(result)) == {"rev01", "rev02"}
    assert ("script_location = {alembic_dir}, which is no folder here" in result.out + result.err) == (
        given == "template ini")


def test_a_broken_history_names_each_unloadable_revision_once(tmp_path, capsys):
    project = peers.make_alembic_project(tmp_path / "project", peers.REVISIONS[:3])
    for number in (1, 3):
        path = next((project / "alembic" / "versions").glob(f"rev0{number}_*.py"))
        path.write_text(f"import not_installed_{number}\n" + path.read_text())
    result = cli(capsys, "import", "alembic", project, "--into", tmp_path, "--dialect", "sqlite")
    message = assert_clean_error(result, 2, "rev01_create_users.py", "not_installed_1",
                                 "rev03_create_projects.py", "not_installed_3")
    assert ".." not in message.replace("...", "")


def test_a_bad_dialect_says_what_is_accepted(project, tmp_path, capsys):
    result = cli(capsys, "import", "alembic", project, "--into", tmp_path, "--dialect", "oracle-19")
    assert result.code == 2 and "mariadb-10.11" in result.err and "Traceback" not in result.err


def test_mark_applied_reads_the_version_table_env_py_names(fresh_db, tmp_path, capsys):
    project = peers.make_alembic_project(tmp_path / "project", peers.REVISIONS[:3])
    env = project / "alembic" / "env.py"
    env.write_text(env.read_text().replace("target_metadata=target_metadata",
                                           'target_metadata=target_metadata, version_table="app_revisions"'))
    at_head, adopted = fresh_db(), fresh_db()
    peers.alembic_upgrade(project, at_head)
    peers.alembic_upgrade(project, adopted, peers.revision_id(2))
    assert scalar(adopted, "SELECT version_num FROM app_revisions") == "rev02"
    into = tmp_path / "m"
    result = import_and_upgrade(capsys, adopted, project, into, "--mark-applied")
    assert result.out.count("as applied without running it") == 2
    tables = {name for name in peers.schema(adopted) if name != "app_revisions"}
    assert tables == {name for name in peers.schema(at_head) if name != "app_revisions"} == {"users", "projects"}


def test_an_unreachable_url_renders_for_the_servers_name_and_says_so(tmp_path, capsys):
    project = peers.make_alembic_project(tmp_path / "project", peers.REVISIONS[:1])
    url = "mysql+pymysql://root:s3cret-word@127.0.0.1:1/app"  # nothing listens on port 1
    result = cli(capsys, "--url", url, "import", "alembic", project, "--into", tmp_path)
    assert result.code == 0, str(result)
    assert "could not connect" in result.out + result.err and "--dialect" in result.out + result.err
    assert "s3cret-word" not in result.out + result.err
    assert "rendered for mysql" in next(tmp_path.glob("*_rev01.sql")).read_text()


def test_a_downgrade_that_raises_not_implemented_leaves_the_script_irreversible(sqlite_url, tmp_path, capsys):
    one_way = ("one way", 'op.create_table("t", sa.Column("id", sa.Integer, primary_key=True))',
               'raise NotImplementedError("this revision cannot be undone")')
    project = peers.make_alembic_project(tmp_path / "project", [one_way])
    into = tmp_path / "m"
    result = import_and_upgrade(capsys, sqlite_url, project, into)
    assert summary(result) == {"rev01": "as SQL"}
    assert "its downgrade raises NotImplementedError" in result.out + result.err
    assert sorted(p.name.split("_", 1)[1] for p in into.iterdir()) == ["one_way_rev01.sql"]
    assert cli(capsys, "--url", sqlite_url, "--directory", into, "downgrade").code != 0
    assert "t" in peers.schema(sqlite_url)


def test_an_env_py_that_cannot_run_here_is_named_and_the_import_goes_on(tmp_path, capsys):
    project = peers.make_alembic_project(tmp_path / "project", peers.REVISIONS[:2])
    env = project / "alembic" / "env.py"
    env.write_text("import the_application_not_installed_here\n" + env.read_text())
    result = cli(capsys, "import", "alembic", project, "--into", tmp_path, "--dialect", "postgresql")
    assert result.code == 0, str(result)
    assert set(summary(result)) == {"rev01", "rev02"}
    assert "env.py could not be run here" in result.out + result.err
    assert "the_application_not_installed_here" in result.out + result.err


def test_a_live_revision_with_an_autocommit_block_runs_outside_a_transaction(postgresql_url, tmp_path, capsys):
    table = ("create t", 'op.create_table("t", sa.Column("id", sa.Integer, primary_key=True), '
                         'sa.Column("name", sa.String(20)))', 'op.drop_table("t")')
    concurrently = ("index t concurrently", """
        if "ix_t_name" not in {i["name"] for i in sa.inspect(op.get_bind()).get_indexes("t")}:
            with op.get_context().autocommit_block():
                op.create_index("ix_t_name", "t", ["name"], postgresql_concurrently=True)""",
                    'op.drop_index("ix_t_name", table_name="t")')
    project = peers.make_alembic_project(tmp_path / "project", [table, concurrently])
    into = tmp_path / "m"
    result = import_and_upgrade(capsys, postgresql_url, project, into)
    assert "run live through Alembic" in summary(result)["rev02"]
    assert "transaction = False" in next(into.glob("*_rev02.py")).read_text()
    assert peers.schema(postgresql_url)["t"]["indexes"] == [("ix_t_name", ("name",), False)]


@pytest.mark.parametrize("db_backend", ["postgresql"], indirect=True)
def test_a_named_type_is_created_once_as_in_one_alembic_run(fresh_db, tmp_path, capsys):
    """One `alembic upgrade` remembers the enums create_table made; later revisions rely on it."""
    mood = 'sa.Enum("happy", "sad", name="mood")'
    first = ("people", f'op.create_table("people", sa.Column("id", sa.Integer, primary_key=True), '
                       f'sa.Column("mood", {mood}))', 'op.drop_table("people")')
    live = ("pets unless present", f"""
        if "pets" not in sa.inspect(op.get_bind()).get_table_names():
            op.create_table("pets", sa.Column("id", sa.Integer, primary_key=True), sa.Column("mood", {mood}))""",
            'op.drop_table("pets")')
    offline = ("plants", f'op.create_table("plants", sa.Column("id", sa.Integer, primary_key=True), '
                         f'sa.Column("mood", {mood}))', 'op.drop_table("plants")')
    project = peers.make_alembic_project(tmp_path / "project", [first, live, offline])
    by_alembic, by_lockgate = fresh_db(), fresh_db()
    peers.alembic_upgrade(project, by_alembic)
    result = import_and_upgrade(capsys, by_lockgate, project, tmp_path / "m")
    assert summary(result)["rev03"] == "as SQL"
    assert "CREATE TYPE" not in next((tmp_path / "m").glob("*_rev03.sql")).read_text()
    assert_same_schema(by_alembic, by_lockgate)


def test_a_live_script_without_alembic_installed_says_to_install_it(sqlite_url, tmp_path, capsys, monkeypatch):
    reads = ("reads", 'op.get_bind().execute(sa.text("SELECT 1")).scalar_one()', "pass")
    project = peers.make_alembic_project(tmp_path / "project", [reads])
    into = tmp_path / "m"
    into.mkdir()
    assert cli(capsys, "--url", sqlite_url, "import", "alembic", project, "--into", into).code == 0
    monkeypatch.setitem(__import__("sys").modules, "alembic.operations", None)  # as if not installed
    result = cli(capsys, "--url", sqlite_url, "--directory", into, "upgrade")
    assert_clean_error(result, result.code, "runs Alembic revision rev01 through Alembic", "pip install alembic")
    assert tracked(sqlite_url) == {}


def test_a_revision_without_upgrade_is_a_clean_error(tmp_path, capsys):
    project = peers.make_alembic_project(tmp_path / "project", peers.REVISIONS[:1])
    path = next((project / "alembic" / "versions").glob("rev01_*.py"))
    path.write_text(path.read_text().replace("def upgrade():", "def upgrade_renamed():"))
    result = cli(capsys, "import", "alembic", project, "--into", tmp_path, "--dialect", "sqlite")
    assert_clean_error(result, 2, "rev01", "has no upgrade() function")
    assert not list(tmp_path.glob("*.sql"))
