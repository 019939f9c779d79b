"""Settings: where they come from and which source wins.

flags > LOCKGATE_URL > DATABASE_URL > the ini file's migration section (with
``sqlalchemy.*`` from the app section it names, read by PasteDeploy's loader)
> ``[tool.lockgate]`` in pyproject.toml. Mostly no database: ``load_settings``
and ``make_migrator`` build engines without connecting.
"""

from __future__ import annotations

import importlib.util
import sys
import textwrap
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest

from clihelpers import (
    ABC_SCRIPTS,
    BUSY_VERSIONS,
    assert_clean_error,
    cli,
    isolated_cli,  # noqa: F401  (autouse fixture)
    migrate,
    tracked,
    write_ini,
)
from lockgate.cli import build_parser, make_migrator
from lockgate.config import DEFAULT_TABLE, load_settings, normalise_url
from lockgate.database import create_engine_from_settings
from lockgate.errors import ConfigError


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


@contextmanager
def migrator_for(*argv):
    """``make_migrator`` exactly as the command line calls it; the engine is disposed after."""
    args = build_parser().parse_args([str(a) for a in argv] + ["status"])
    migrator, settings = make_migrator(args)
    try:
        yield migrator, settings
    finally:
        migrator.engine.dispose()


# -- precedence ------------------------------------------------------------------

SOURCES = ["flag", "LOCKGATE_URL", "DATABASE_URL", "ini", "pyproject"]


@pytest.mark.parametrize("winner", SOURCES)
def test_url_precedence(tmp_path, winner):
    """Every source below the winner is set too, and loses."""
    present = SOURCES[SOURCES.index(winner):]
    url = {source: f"sqlite:///{tmp_path}/{source}.sqlite" for source in SOURCES}
    if "pyproject" in present:
        write(tmp_path / "pyproject.toml", f'[tool.lockgate]\nurl = "{url["pyproject"]}"\n')
    ini = write_ini(tmp_path / "dev.ini", url["ini"] if "ini" in present else None)
    environ = {name: url[name] for name in ("LOCKGATE_URL", "DATABASE_URL") if name in present}
    flags = {"url": url["flag"] if "flag" in present else None, "table": None}

    settings = load_settings(ini, flags=flags, environ=environ)
    assert settings.url == url[winner]
    assert settings.url_source == {"flag": "command line", "ini": "dev.ini",
                                   "pyproject": "pyproject.toml"}.get(winner, winner)


def test_empty_environment_variables_are_unset(tmp_path):
    ini = write_ini(tmp_path / "dev.ini", "sqlite:///from-ini.sqlite")
    settings = load_settings(ini, environ={"LOCKGATE_URL": "", "DATABASE_URL": ""})
    assert settings.url == f"sqlite:///{tmp_path}/from-ini.sqlite"
    settings = load_settings(ini, environ={"LOCKGATE_URL": "", "DATABASE_URL": "sqlite:///env.sqlite"})
    assert settings.url == "sqlite:///env.sqlite"


def test_url_precedence_end_to_end(tmp_path, sqlite_url, monkeypatch, make_scripts, capsys):
    """The database that gets migrated is the one the highest source names."""
    scripts = make_scripts(ABC_SCRIPTS)
    files = {name: tmp_path / f"{name}.sqlite" for name in ("ini", "database", "lockgate")}
    ini = write_ini(tmp_path / "dev.ini", f"sqlite:///{files['ini']}", package=None, directory=scripts)

    assert migrate(capsys, ini, "upgrade", "1").code == 0
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{files['database']}")
    assert migrate(capsys, ini, "upgrade", "2").code == 0
    monkeypatch.setenv("LOCKGATE_URL", f"sqlite:///{files['lockgate']}")
    assert migrate(capsys, ini, "upgrade", "3").code == 0
    assert migrate(capsys, ini, "upgrade", "--url", sqlite_url).code == 0

    assert list(tracked(f"sqlite:///{files['ini']}")) == ["1"]
    assert list(tracked(f"sqlite:///{files['database']}")) == ["2"]
    assert list(tracked(f"sqlite:///{files['lockgate']}")) == ["3"]
    assert list(tracked(sqlite_url)) == ["1", "2", "3"]


def test_table_precedence(tmp_path):
    write(tmp_path / "pyproject.toml", '[tool.lockgate]\ntable = "from_pyproject"\nlegacy_table = "old_versions"\n')
    plain = write_ini(tmp_path / "plain.ini", "sqlite://")
    with_table = write_ini(tmp_path / "table.ini", "sqlite://", extra="table = from_ini")

    assert load_settings(plain, environ={}).table == "from_pyproject"
    assert load_settings(plain, environ={}).legacy_table == "old_versions"
    assert load_settings(with_table, environ={}).table == "from_ini"
    assert load_settings(with_table, flags={"table": "from_flag"}, environ={}).table == "from_flag"
    (tmp_path / "pyproject.toml").unlink()
    assert load_settings(plain, environ={}).table == DEFAULT_TABLE


def test_script_location_precedence(tmp_path):
    """A package in the ini file beats a directory in pyproject.toml, and flags beat both."""
    write(tmp_path / "pyproject.toml", '[tool.lockgate]\ndirectory = "migrations"\n')
    (tmp_path / "migrations").mkdir()
    ini = write_ini(tmp_path / "dev.ini", "sqlite://", package="busy.migration")

    settings = load_settings(ini, environ={})
    assert (settings.package, settings.directory) == ("busy.migration", None)
    with migrator_for("-c", ini) as (migrator, _):
        assert [s.version for s in migrator.scripts()] == BUSY_VERSIONS

    other = tmp_path / "other"
    other.mkdir()
    with migrator_for("-c", ini, "--directory", other) as (migrator, settings):
        assert (settings.package, settings.directory) == (None, str(other))
        assert migrator.scripts() == []

    # Only pyproject.toml: its directory, relative to its folder.
    no_scripts = write_ini(tmp_path / "url-only.ini", "sqlite://", package=None)
    settings = load_settings(no_scripts, environ={})
    assert (settings.package, settings.directory) == (None, str(tmp_path / "migrations"))


# -- ini files --------------------------------------------------------------------


@pytest.mark.parametrize("section", ["lockgate", "nous.migration", "migration"])
def test_migration_section_names(tmp_path, section):
    ini = write_ini(tmp_path / "dev.ini", "sqlite:///app.sqlite", section=section, extra="table = t1")
    settings = load_settings(ini, environ={})
    assert (settings.url, settings.package, settings.table) == (f"sqlite:///{tmp_path}/app.sqlite", "busy.migration", "t1")
    assert settings.config_file == ini and settings.here == tmp_path


def test_lockgate_section_wins_over_the_old_names(tmp_path):
    ini = write(tmp_path / "dev.ini", """
        [migration]
        sqlalchemy.url = sqlite:///migration.sqlite
        package = old.migration

        [lockgate]
        sqlalchemy.url = sqlite:///lockgate.sqlite
        package = busy.migration
        """)
    settings = load_settings(ini, environ={})
    assert (settings.url, settings.package) == (f"sqlite:///{tmp_path}/lockgate.sqlite", "busy.migration")


@pytest.mark.parametrize("app, app_section", [("app:main", "app:main"), ("main", "app:main"),
                                              ("app:busy", "app:busy"), ("busy", "app:busy")])
def test_app_names_the_section_with_sqlalchemy_settings(tmp_path, app, app_section):
    ini = write_ini(tmp_path / "dev.ini", "sqlite:///app.sqlite", app=app, app_section=app_section,
                    app_extra="sqlalchemy.pool_recycle = 60\nunrelated.key = ignored")
    settings = load_settings(ini, environ={})
    assert settings.url == f"sqlite:///{tmp_path}/app.sqlite"
    assert settings.engine_options == {"sqlalchemy.pool_recycle": "60"}


def test_app_naming_a_missing_section(tmp_path, capsys):
    ini = write_ini(tmp_path / "dev.ini", "sqlite://", app="app:nope")
    with pytest.raises(ConfigError, match=r"`app = app:nope`, but there is no \[app:nope\] section"):
        load_settings(ini, environ={})
    r = cli(capsys, "-c", ini, "status")
    assert_clean_error(r, 2, "sections: app:main, lockgate")


def test_sqlalchemy_url_in_the_migration_section_overrides_the_apps(tmp_path):
    ini = write_ini(tmp_path / "dev.ini", "sqlite:///app.sqlite",
                    app_extra="sqlalchemy.echo = true\nsqlalchemy.pool_recycle = 60",
                    extra="sqlalchemy.url = sqlite:///migrations.sqlite\nsqlalchemy.pool_recycle = 5")
    settings = load_settings(ini, environ={})
    assert settings.url == f"sqlite:///{tmp_path}/migrations.sqlite"
    assert settings.engine_options == {"sqlalchemy.echo": "true", "sqlalchemy.pool_recycle": "5"}

    # Without `app` at all, the migration section is the whole story.
    alone = write(tmp_path / "alone.ini", """
        [lockgate]
        sqlalchemy.url = sqlite:///alone.sqlite
        sqlalchemy.pool_pre_ping = true
        directory = scripts
        """)
    settings = load_settings(alone, environ={})
    assert settings.url == f"sqlite:///{tmp_path}/alone.sqlite"
    assert settings.engine_options == {"sqlalchemy.pool_pre_ping": "true"}
    assert settings.directory == str(tmp_path / "scripts")


def test_here_is_the_ini_files_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "deploy"
    ini = write(folder / "dev.ini", """
        [app:main]
        sqlalchemy.url = sqlite:///%(here)s/app.sqlite

        [lockgate]
        app = app:main
        package = busy.migration
        setup_sql = %(here)s/schema.sql
        """)
    settings = load_settings("deploy/dev.ini", environ={})
    assert settings.url == f"sqlite:///{folder}/app.sqlite"
    assert settings.setup_sql == str(folder / "schema.sql")
    assert settings.here == folder and settings.config_file == ini


def test_set_and_default_values_as_pastedeploy_reads_them(tmp_path):
    ini = write(tmp_path / "dev.ini", """
        [DEFAULT]
        dbname = shared

        [app:main]
        use = egg:busy
        sqlalchemy.url = sqlite:///%(here)s/%(dbname)s.sqlite

        [lockgate]
        app = main
        package = busy.migration
        table = %(dbname)s_versions
        """)
    settings = load_settings(ini, environ={})
    assert settings.url == f"sqlite:///{tmp_path}/shared.sqlite"
    assert settings.table == "shared_versions"


def test_use_config_chain_is_followed(tmp_path):
    """``use = config:shared/base.ini#busy``: PasteDeploy's own loader follows it,
    with ``here`` the folder of the file each value comes from."""
    write(tmp_path / "shared" / "base.ini", """
        [app:busy]
        use = egg:busy
        sqlalchemy.url = sqlite:///%(here)s/base.sqlite
        sqlalchemy.pool_pre_ping = true
        sqlalchemy.pool_recycle = 3600
        """)
    ini = write(tmp_path / "production.ini", """
        [app:main]
        use = config:shared/base.ini#busy
        sqlalchemy.pool_recycle = 300

        [lockgate]
        app = app:main
        package = busy.migration
        """)
    settings = load_settings(ini, environ={})
    assert settings.url == f"sqlite:///{tmp_path / 'shared'}/base.sqlite"
    assert settings.engine_options == {"sqlalchemy.pool_pre_ping": "true", "sqlalchemy.pool_recycle": "300"}

    with migrator_for("-c", ini) as (migrator, _):
        assert migrator.engine.pool._pre_ping
        assert migrator.engine.pool._recycle == 300


def test_use_config_chain_to_a_missing_file(tmp_path, capsys):
    ini = write(tmp_path / "dev.ini", """
        [app:main]
        use = config:nowhere.ini#busy

        [lockgate]
        app = app:main
        package = busy.migration
        """)
    r = cli(capsys, "-c", ini, "status")
    assert_clean_error(r, 2, "[app:main] could not be loaded through `use`", "nowhere.ini")


# -- engine options ---------------------------------------------------------------


def test_sqlalchemy_options_reach_the_engine(tmp_path, sqlite_url):
    ini = write_ini(tmp_path / "dev.ini", sqlite_url, app_extra="""
        sqlalchemy.pool_pre_ping = true
        sqlalchemy.pool_recycle = 300
        sqlalchemy.echo = false
        sqlalchemy.pool_size = 3
        """)
    with migrator_for("-c", ini) as (migrator, settings):
        engine = migrator.engine
        assert engine.pool._pre_ping
        assert engine.pool._recycle == 300
        assert engine.pool.size() == 3
        assert engine.echo is False
        assert str(engine.url) == sqlite_url

    engine = create_engine_from_settings(sqlite_url, {"sqlalchemy.pool_pre_ping": "true"})
    try:
        assert engine.pool._pre_ping
    finally:
        engine.dispose()


def test_postgresql_engine_has_a_connect_timeout(postgresql_url):
    engine = create_engine_from_settings(postgresql_url)
    try:
        with engine.connect() as connection:
            parameters = connection.connection.driver_connection.info.get_parameters()
        assert parameters["connect_timeout"] == "10"
    finally:
        engine.dispose()


def test_mariadb_engine_has_a_connect_timeout_but_no_read_timeout(mariadb_url):
    """Connecting is bounded; statements are not (a long ALTER TABLE must not be cut off)."""
    engine = create_engine_from_settings(mariadb_url)
    try:
        with engine.connect() as connection:
            raw = connection.connection.driver_connection
            assert raw.connect_timeout == 10
            assert raw._read_timeout is None
    finally:
        engine.dispose()


def test_invalid_engine_options_are_configuration_errors(tmp_path, capsys):
    bad_name = write_ini(tmp_path / "name.ini", "sqlite://", app_extra="sqlalchemy.no_such_option = 1")
    r = cli(capsys, "-c", bad_name, "status")
    assert_clean_error(r, 2, "An sqlalchemy.* option is not valid", "no_such_option")

    bad_value = write_ini(tmp_path / "value.ini", "sqlite://", app_extra="sqlalchemy.pool_recycle = soon")
    r = cli(capsys, "-c", bad_value, "status")
    assert_clean_error(r, 2, "soon")


# -- URLs ---------------------------------------------------------------------------


@pytest.mark.parametrize("given, expected", [
    ("postgres://u@db.example/app", "postgresql://u@db.example/app"),
    ("postgres+psycopg://u@db.example/app", "postgres+psycopg://u@db.example/app"),
    ("postgresql://u@db.example/app", "postgresql://u@db.example/app"),
    ("sqlite:///postgres://x", "sqlite:///postgres://x"),
])
def test_normalise_url(given, expected):
    assert normalise_url(given) == expected


def test_postgres_scheme_from_every_source(tmp_path):
    url = "postgres://u@db.example/app"
    ini = write_ini(tmp_path / "dev.ini", url)
    assert load_settings(ini, environ={}).url == "postgresql://u@db.example/app"
    assert load_settings(None, environ={"DATABASE_URL": url}).url == "postgresql://u@db.example/app"
    assert load_settings(None, flags={"url": url}, environ={}).url == "postgresql://u@db.example/app"
    with migrator_for("-c", ini) as (migrator, _):
        assert migrator.engine.dialect.name == "postgresql"


def test_driverless_urls_pick_an_installed_driver(tmp_path):
    with migrator_for("--url", "mysql://u@db.example/app", "--package", "busy.migration") as (migrator, _):
        expected = "mysqldb" if importlib.util.find_spec("MySQLdb") else "pymysql"
        assert migrator.engine.dialect.driver == expected
    with migrator_for("--url", "postgresql://u@db.example/app", "--package", "busy.migration") as (migrator, _):
        assert migrator.engine.dialect.driver in ("psycopg2", "psycopg")


# -- folders ----------------------------------------------------------------------


def test_relative_directory_is_resolved_against_the_ini_folder(tmp_path, sqlite_url, make_scripts,
                                                               monkeypatch, capsys):
    make_scripts(ABC_SCRIPTS, root=tmp_path / "project" / "migrations")
    ini = write_ini(tmp_path / "project" / "dev.ini", sqlite_url, package=None, directory="migrations")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert load_settings(ini, environ={}).directory == str(tmp_path / "project" / "migrations")
    r = migrate(capsys, ini, "upgrade")
    assert r.code == 0, r
    assert list(tracked(sqlite_url)) == ["1", "2", "3"]


def test_directory_flag_is_relative_to_the_current_folder(tmp_path, sqlite_url, make_scripts,
                                                          monkeypatch, capsys):
    make_scripts(ABC_SCRIPTS, root=tmp_path / "here" / "scripts")
    ini = write_ini(tmp_path / "config" / "dev.ini", sqlite_url, package=None, directory="not-these")
    monkeypatch.chdir(tmp_path / "here")
    r = cli(capsys, "-c", ini, "--directory", "scripts", "upgrade")
    assert r.code == 0, r
    assert list(tracked(sqlite_url)) == ["1", "2", "3"]


# -- pyproject.toml -----------------------------------------------------------------


def test_pyproject_passed_as_config(tmp_path, sqlite_url, make_scripts, monkeypatch, capsys):
    make_scripts(ABC_SCRIPTS, root=tmp_path / "app" / "migrations")
    pyproject = write(tmp_path / "app" / "pyproject.toml", f"""
        [project]
        name = "app"

        [tool.lockgate]
        url = "{sqlite_url}"
        directory = "migrations"
        table = "app_versions"
        """)
    monkeypatch.chdir(tmp_path)
    r = cli(capsys, "-c", pyproject, "upgrade")
    assert r.code == 0, r
    assert list(tracked(sqlite_url, "app_versions")) == ["1", "2", "3"]
    r = migrate(capsys, pyproject, "status", "--json")
    assert r.code == 0 and r.json()["applied"] == 3, r


def test_pyproject_in_the_current_folder_without_config(tmp_path, sqlite_url, make_scripts,
                                                        monkeypatch, capsys):
    make_scripts(ABC_SCRIPTS, root=tmp_path / "migrations")
    write(tmp_path / "pyproject.toml", '[tool.lockgate]\ndirectory = "migrations"\n')
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    r = cli(capsys, "upgrade")
    assert r.code == 0, r
    assert list(tracked(sqlite_url)) == ["1", "2", "3"]


def test_pyproject_beside_the_ini_fills_in_what_the_ini_lacks(tmp_path):
    write(tmp_path / "pyproject.toml", """
        [tool.lockgate]
        table = "from_pyproject"
        vcs = "hg"
        url = "sqlite:///pyproject.sqlite"
        """)
    ini = write_ini(tmp_path / "dev.ini", "sqlite:///ini.sqlite", extra="vcs = git")
    settings = load_settings(ini, environ={})
    assert (settings.url, settings.table, settings.vcs) == (f"sqlite:///{tmp_path}/ini.sqlite", "from_pyproject", "git")


def test_package_beside_pyproject_need_not_be_installed(tmp_path, sqlite_url, monkeypatch, capsys):
    """-c pyproject.toml finds a package in its src/ as -c dev.ini does beside the ini."""
    name = f"lgapp_{uuid.uuid4().hex[:8]}"
    write(tmp_path / "app" / "src" / name / "__init__.py", "")
    write(tmp_path / "app" / "src" / name / "migration" / "__init__.py", "")
    write(tmp_path / "app" / "src" / name / "migration" / "1_one.sql", "CREATE TABLE one (id INTEGER);\n")
    pyproject = write(tmp_path / "app" / "pyproject.toml",
                      f'[tool.lockgate]\nurl = "{sqlite_url}"\npackage = "{name}.migration"\n')
    monkeypatch.chdir(tmp_path)
    try:
        r = cli(capsys, "-c", pyproject, "upgrade")
        assert r.code == 0, r
        assert list(tracked(sqlite_url)) == ["1"]
        ini = write_ini(tmp_path / "app" / "dev.ini", sqlite_url, package=f"{name}.migration")
        r = cli(capsys, "-c", ini, "status", "--json")
        assert r.code == 0 and r.json()["applied"] == 1, r
    finally:
        for module in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
            del sys.modules[module]


def test_broken_pyproject_is_a_configuration_error(tmp_path, capsys):
    write(tmp_path / "pyproject.toml", "[tool.lockgate\nurl = 1\n")
    ini = write_ini(tmp_path / "dev.ini", "sqlite://")
    r = cli(capsys, "-c", ini, "status")
    assert_clean_error(r, 2, "pyproject.toml cannot be read as TOML")


def test_ini_interpolation_errors_are_configuration_errors(tmp_path, capsys):
    """A bad %(name)s, or a bare % (an encoded password), is the ini file's fault, said plainly."""
    unknown = write(tmp_path / "unknown.ini", """
        [app:main]
        sqlalchemy.url = sqlite:///%(nowhere)s/app.sqlite
        [lockgate]
        app = app:main
        package = busy.migration
        """)
    r = cli(capsys, "-c", unknown, "status")
    assert_clean_error(r, 2, "unknown.ini", "nowhere")

    percent = write(tmp_path / "percent.ini", """
        [lockgate]
        sqlalchemy.url = postgresql://u:tiger%21x@db.example/app
        package = busy.migration
        """)
    r = cli(capsys, "-c", percent, "status")
    assert_clean_error(r, 2, "percent.ini", "`sqlalchemy.url` in [lockgate]", "Write a literal % as %%")
    assert "tiger" not in r.err  # a password, even a badly written one, stays private


def test_no_url_anywhere(tmp_path, capsys):
    ini = write_ini(tmp_path / "dev.ini", None)
    r = cli(capsys, "-c", ini, "status")
    assert_clean_error(r, 2, "No database URL is configured in", "dev.ini")


def test_interpolation_error_in_a_used_config_file(tmp_path, capsys):
    write(tmp_path / "base.ini", """
        [app:busy]
        use = egg:busy
        sqlalchemy.url = postgresql://u:tiger%21x@db.example/app
        """)
    ini = write(tmp_path / "dev.ini", """
        [app:main]
        use = config:base.ini#busy

        [lockgate]
        app = app:main
        package = busy.migration
        """)
    r = cli(capsys, "-c", ini, "status")
    assert_clean_error(r, 2, "`sqlalchemy.url` in [app:busy]", "Write a literal % as %%")
    assert "tiger" not in r.err


@pytest.mark.parametrize("text, expected", [("false", False), ("no", False), ("true", True), ("1", True)])
def test_pool_pre_ping_from_an_ini_string_is_a_real_boolean(text, expected):
    from lockgate.database import create_engine_from_settings

    engine = create_engine_from_settings("sqlite://", {"sqlalchemy.pool_pre_ping": text})
    try:
        assert engine.pool._pre_ping is expected
    finally:
        engine.dispose()
