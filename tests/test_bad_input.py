"""Bad input: each case is one clear paragraph on stderr, no traceback, the
documented exit code, and nothing changed in the database, on every backend
where the case applies. ``-v`` is the one way to get the traceback.
"""

from __future__ import annotations

import importlib.util
import time

import pytest
from sqlalchemy import make_url

from clihelpers import (
    ABC_SCRIPTS,
    BUSY_VERSIONS,
    PASSWORD,
    app_tables,
    assert_clean_error,
    assert_no_password,
    cli,
    closed_port,
    isolated_cli,  # noqa: F401  (autouse fixture)
    migrate,
    python_m_lockgate,
    run_process,
    scalar,
    silent_server,
    snapshot,
    table_names,
    states,
    tracked,
    write_ini,
)
from lockgate import database, urls

SERVERS = [pytest.param(b, marks=getattr(pytest.mark, b), id=b) for b in ("postgresql", "mariadb")]
SERVER_SCHEMES = ["postgresql+psycopg", "postgresql+psycopg2", "postgresql",
                  "mysql+pymysql", "mysql", "mariadb+pymysql"]
COMMANDS = [["status"], ["upgrade"], ["downgrade"], ["setup"], ["next_version"], ["history"]]


def is_mariadb(url: str) -> bool:
    return make_url(url).get_backend_name() in ("mysql", "mariadb")


# -- the database cannot be reached ----------------------------------------------


@pytest.mark.parametrize("scheme", SERVER_SCHEMES)
def test_closed_port(scheme, capsys):
    url = f"{scheme}://deploy:{PASSWORD}@127.0.0.1:{closed_port()}/app"
    started = time.monotonic()
    r = cli(capsys, "--url", url, "--package", "busy.migration", "upgrade")
    assert time.monotonic() - started < 10
    port = url.rsplit(":", 1)[1].split("/")[0]
    check = f"pg_isready -h 127.0.0.1 -p {port}" if scheme.startswith("postgresql") \
        else f"mysqladmin -h 127.0.0.1 -P {port} ping"
    err = assert_clean_error(r, 3, "Cannot connect to", "deploy:***@127.0.0.1", "Connection refused",
                             "Check that the server is running", check)
    assert_no_password(r)
    assert len(err.strip().splitlines()) == 1, err


@pytest.mark.parametrize("url", [
    "postgresql+psycopg://deploy@127.0.0.1:{port}/app?password={pw}",
    "postgresql+psycopg2:///app?host=127.0.0.1&port={port}&user=deploy&password={pw}",
    "mysql+pymysql://deploy:{pw}@127.0.0.1:{port}/app?password={pw}",
])
def test_password_in_the_query_string_is_hidden_too(url, capsys):
    url = url.format(port=closed_port(), pw=PASSWORD)
    r = cli(capsys, "--url", url, "--package", "busy.migration", "status")
    assert_clean_error(r, 3, "Cannot connect to", "=***")
    assert_no_password(r)


def test_safe_url_and_scrub_hide_every_password_spelling():
    url = f"mysql+mysqldb://deploy:{PASSWORD}@db.example/app?passwd=other1&PWD=other2&charset=utf8mb4"
    shown = urls.safe_url(url)
    assert shown == "mysql+mysqldb://deploy:***@db.example/app?PWD=***&charset=utf8mb4&passwd=***"
    message = urls.scrub(f"failed for {PASSWORD}, other1 and other2", url)
    assert message == "failed for ***, *** and ***"
    assert urls.safe_url("not a url") == "<unparseable URL>"


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_every_command_reports_an_unreachable_database(command, capsys):
    url = f"postgresql+psycopg://deploy:{PASSWORD}@127.0.0.1:{closed_port()}/app"
    r = cli(capsys, "--url", url, "--package", "busy.migration", *command)
    assert_clean_error(r, 3, "Cannot connect to")
    assert_no_password(r)
    assert r.out == ""


@pytest.mark.parametrize("scheme", ["postgresql+psycopg", "postgresql+psycopg2", "mysql+pymysql"])
def test_unknown_host_name(scheme, capsys):
    url = f"{scheme}://deploy:{PASSWORD}@no-such-host.invalid:5432/app"
    started = time.monotonic()
    r = cli(capsys, "--url", url, "--package", "busy.migration", "status")
    assert time.monotonic() - started < 15
    assert_clean_error(r, 3, "Cannot connect to", "no-such-host.invalid")
    assert_no_password(r)


@pytest.mark.parametrize("scheme", ["postgresql+psycopg", "postgresql+psycopg2", "mysql+pymysql"])
def test_server_that_never_answers_times_out(scheme, monkeypatch, capsys):
    """A port that accepts connections and then says nothing (a MySQL URL aimed at
    PostgreSQL's port does exactly that): lockgate gives up after its connect timeout."""
    monkeypatch.setattr(database, "CONNECT_TIMEOUT_SECONDS", 2)
    with silent_server() as port:
        url = f"{scheme}://deploy:{PASSWORD}@127.0.0.1:{port}/app"
        started = time.monotonic()
        r = cli(capsys, "--url", url, "--package", "busy.migration", "status")
        elapsed = time.monotonic() - started
    assert_clean_error(r, 3, "Cannot connect to")
    assert_no_password(r)
    assert elapsed < 8, f"took {elapsed:.1f} s"


def test_sqlite_file_in_a_missing_folder(tmp_path, capsys):
    r = cli(capsys, "--url", f"sqlite:///{tmp_path}/no/such/folder/app.sqlite",
            "--package", "busy.migration", "upgrade")
    assert_clean_error(r, 3, "Cannot connect to", "unable to open database file",
                       f"Check that the folder {tmp_path}/no/such/folder exists")
    assert not (tmp_path / "no").exists()


@pytest.mark.parametrize("backend", SERVERS)
def test_wrong_user_and_missing_database(backend, db_servers, capsys):
    server = db_servers.need(backend)
    wrong_user = server.admin_url.set(username="lg_nobody", password=PASSWORD)
    r = cli(capsys, "--url", wrong_user.render_as_string(hide_password=False),
            "--package", "busy.migration", "status")
    assert_clean_error(r, 3, "Cannot connect to", "lg_nobody")
    assert_no_password(r)

    missing = server.admin_url.set(database="lg_no_such_database")
    r = cli(capsys, "--url", missing.render_as_string(hide_password=False),
            "--package", "busy.migration", "upgrade")
    assert_clean_error(r, 3, "Cannot connect to", "lg_no_such_database")
    assert not server.database_exists("lg_no_such_database")


def test_verbose_shows_the_traceback_but_not_the_password():
    url = f"postgresql+psycopg://deploy:{PASSWORD}@127.0.0.1:{closed_port()}/app"
    r = run_process(python_m_lockgate("-v", "--url", url, "--package", "busy.migration", "status"))
    assert r.code == 3, r
    assert "Traceback (most recent call last)" in r.err
    assert "DatabaseUnreachableError" in r.err
    assert r.err.rstrip().splitlines()[-1].startswith("lockgate: error: Cannot connect to")
    assert_no_password(r)

    r = run_process(python_m_lockgate("--url", url, "--package", "busy.migration", "status"))
    assert r.code == 3 and "Traceback" not in r.err, r


# -- the URL or the driver is wrong ------------------------------------------------


@pytest.mark.parametrize("url, fragment", [
    ("not a url", "is not valid"),
    (f"postgresql://deploy:{PASSWORD}@db.example:notaport/app", "is not valid"),
    (f"nosuchdb://deploy:{PASSWORD}@db.example/app", "SQLAlchemy does not know the database"),
    (f"postgresql+nosuchdriver://deploy:{PASSWORD}@db.example/app", "SQLAlchemy does not know the database"),
])
def test_malformed_url(url, fragment, capsys):
    r = cli(capsys, "--url", url, "--package", "busy.migration", "status")
    assert_clean_error(r, 2, fragment)
    assert_no_password(r)


@pytest.mark.parametrize("url, module, hint", [
    ("postgresql+pg8000://deploy:{pw}@db.example/app", "pg8000", "pip install pg8000"),
    ("mysql+mysqldb://deploy:{pw}@db.example/app", "MySQLdb", "pip install mysqlclient"),
    ("postgresql+asyncpg://deploy:{pw}@db.example/app", "asyncpg", "postgresql+psycopg://"),
])
def test_driver_not_installed(url, module, hint, tmp_path, capsys):
    if importlib.util.find_spec(module) is not None:
        pytest.skip(f"{module} is installed here")
    url = url.format(pw=PASSWORD)
    r = cli(capsys, "--url", url, "--package", "busy.migration", "upgrade")
    assert_clean_error(r, 2, f"The database driver {module}", "is not installed", hint)
    assert_no_password(r)

    # The same URL read from an ini file.
    ini = write_ini(tmp_path / "dev.ini", url)
    r = migrate(capsys, ini, "upgrade")
    assert_clean_error(r, 2, hint, prog="migrate")
    assert_no_password(r)


# -- configuration files -----------------------------------------------------------


def test_ini_without_a_migration_section(tmp_path, db_url, capsys):
    ini = tmp_path / "app.ini"
    ini.write_text(f"[app:main]\nsqlalchemy.url = {db_url}\n", encoding="utf-8")
    r = migrate(capsys, ini, "upgrade")
    assert_clean_error(r, 2, "has no [lockgate] section (nor [nous.migration] or [migration])",
                       "package = yourapp.migration", prog="migrate")
    r = cli(capsys, "-c", ini, "status")
    assert_clean_error(r, 2, "has no [lockgate] section")
    assert table_names(db_url) == set()


def test_missing_ini_file(tmp_path, capsys):
    r = migrate(capsys, tmp_path / "production.ini", "upgrade")
    assert_clean_error(r, 2, "production.ini does not exist", "migrate development.ini upgrade", prog="migrate")
    r = cli(capsys, "-c", tmp_path / "production.ini", "status")
    assert_clean_error(r, 2, "does not exist")


def test_unreadable_ini_file(tmp_path, capsys):
    ini = tmp_path / "broken.ini"
    ini.write_text("sqlalchemy.url = sqlite://\n[lockgate]\n", encoding="utf-8")
    r = migrate(capsys, ini, "upgrade")
    assert_clean_error(r, 2, "is not a readable ini file", prog="migrate")


# -- scripts that cannot be found ----------------------------------------------------


def test_missing_package(db_url, capsys):
    r = cli(capsys, "--url", db_url, "--package", "lockgate_no_such_app.migration", "upgrade")
    assert_clean_error(r, 2, "The script package lockgate_no_such_app.migration cannot be imported",
                       "pip install -e .")
    r = cli(capsys, "--url", db_url, "--package", "lockgate.errors", "upgrade")
    assert_clean_error(r, 2, "lockgate.errors is a module, not a package")
    assert table_names(db_url) == set()


def test_missing_package_from_the_ini(tmp_path, db_url, capsys):
    ini = write_ini(tmp_path / "dev.ini", db_url, package="busy.no_such_migration")
    r = migrate(capsys, ini, "setup")
    assert_clean_error(r, 2, "busy.no_such_migration cannot be imported", prog="migrate")
    assert table_names(db_url) == set()


def test_missing_directory(tmp_path, db_url, capsys):
    r = cli(capsys, "--url", db_url, "--directory", tmp_path / "nowhere", "upgrade")
    assert_clean_error(r, 2, f"The script directory {tmp_path / 'nowhere'} does not exist")
    ini = write_ini(tmp_path / "conf" / "dev.ini", db_url, package=None, directory="migrations")
    r = migrate(capsys, ini, "upgrade")
    assert_clean_error(r, 2, str(tmp_path / "conf" / "migrations"), prog="migrate")
    assert table_names(db_url) == set()


def test_no_script_location(db_url, capsys):
    r = cli(capsys, "--url", db_url, "upgrade")
    assert_clean_error(r, 2, "Scripts need exactly one home")
    r = cli(capsys, "--url", db_url, "--package", "a.b", "--directory", "c", "upgrade")
    assert r.code == 2 and "not allowed with argument" in r.err


# -- commands and versions ---------------------------------------------------------------


def test_unknown_command(tmp_path, db_url, capsys):
    ini = write_ini(tmp_path / "dev.ini", db_url)
    for result, prog in [(cli(capsys, "-c", ini, "frobnicate"), "lockgate"),
                         (migrate(capsys, ini, "frobnicate"), "migrate"),
                         (migrate(capsys, ini, "upgrade", "--frobnicate"), "migrate")]:
        assert result.code == 2, result
        assert f"usage: {prog}" in result.err and "Traceback" not in result.err
        assert "invalid choice: 'frobnicate'" in result.err or "unrecognized arguments" in result.err
    assert table_names(db_url) == set()


def test_unknown_version(db_url, make_scripts, capsys):
    scripts = make_scripts(ABC_SCRIPTS)
    common = ["--url", db_url, "--directory", scripts]
    # On a fresh database: nothing runs and nothing is recorded.
    r = cli(capsys, *common, "upgrade", "999")
    assert_clean_error(r, 2, "No script has version 999.", "Nearest versions: 1, 2, 3")
    assert app_tables(db_url) == set() and tracked(db_url) == {}

    assert cli(capsys, *common, "upgrade", "1").code == 0
    before = snapshot(db_url)
    for argv in (["upgrade", "999"], ["downgrade", "999"], ["upgrade", "--to", "999"],
                 ["downgrade", "--to", "999"]):
        r = cli(capsys, *common, *argv)
        assert_clean_error(r, 2, "No script has version 999")
        assert r.out == ""
    r = cli(capsys, *common, "upgrade", "abc")
    assert_clean_error(r, 2, "'abc' is not a version")
    assert snapshot(db_url) == before


def test_unknown_version_in_the_seed_form(tmp_path, db_url, capsys):
    ini = write_ini(tmp_path / "dev.ini", db_url)
    assert migrate(capsys, ini, "setup").code == 0
    before = snapshot(db_url)
    r = migrate(capsys, ini, "downgrade", "201006231516")
    assert_clean_error(r, 2, "No script has version 201006231516", "201006231515", prog="migrate")
    assert snapshot(db_url) == before


# -- scripts that are broken ----------------------------------------------------------------


def test_python_script_without_upgrade(db_url, make_scripts, capsys):
    scripts = make_scripts({
        "1_create_a.sql": "CREATE TABLE a (id INTEGER NOT NULL PRIMARY KEY);\n",
        "2_half_done.py": '''
            """Only a downgrade: someone forgot the upgrade."""

            def downgrade(connection):
                pass
            ''',
    })
    r = cli(capsys, "--url", db_url, "--directory", scripts, "upgrade")
    assert_clean_error(r, 2, "2_half_done.py has no upgrade function", "def upgrade(connection)")
    # Broken scripts are found before anything runs: 1 did not run either.
    assert app_tables(db_url) == set() and tracked(db_url) == {}
    assert r.out == ""


def test_python_script_that_does_not_import(db_url, make_scripts, capsys):
    syntax = make_scripts({"1_typo.py": "def upgrade(connection):\n    return (\n"})
    r = cli(capsys, "--url", db_url, "--directory", syntax, "upgrade")
    assert_clean_error(r, 2, "1_typo.py, line", "is not valid Python", "nothing was run")
    missing = make_scripts({"1_needs.py": "import lockgate_no_such_module\n\ndef upgrade(connection):\n    pass\n"})
    r = cli(capsys, "--url", db_url, "--directory", missing, "upgrade")
    assert_clean_error(r, 2, "1_needs.py: importing the script failed with ModuleNotFoundError")
    assert app_tables(db_url) == set() and tracked(db_url) == {}


def test_python_script_that_raises(db_url, make_scripts, capsys):
    scripts = make_scripts({
        "1_create_t.sql": "CREATE TABLE t (id INTEGER NOT NULL PRIMARY KEY);\n",
        "2_fill.py": '''
            def upgrade(connection):
                connection.exec_driver_sql("INSERT INTO t (id) VALUES (1)")
                raise ValueError("the data is not what we expected")
            ''',
        "3_later.sql": "CREATE TABLE later (id INTEGER);\n",
    })
    r = cli(capsys, "--url", db_url, "--directory", scripts, "upgrade")
    assert_clean_error(r, 1, "script 2 failed", f"{scripts / '2_fill.py'}, line 3",
                       "upgrade() failed: ValueError: the data is not what we expected",
                       "not recorded as applied", "before it in this run stay")
    assert "Applying 2 fill ... failed" in r.out
    assert tracked(db_url) == {"1": tracked(db_url)["1"]}  # 1 stays, 2 is not recorded, 3 never ran
    assert scalar(db_url, "SELECT COUNT(*) FROM t") == 0  # its insert was rolled back
    assert "later" not in table_names(db_url)


def test_python_script_that_raises_after_ddl(db_url, make_scripts, capsys):
    scripts = make_scripts({
        "1_make_x.py": '''
            def upgrade(connection):
                connection.exec_driver_sql("CREATE TABLE x (id INTEGER)")
                {}["missing"]
            ''',
    })
    r = cli(capsys, "--url", db_url, "--directory", scripts, "upgrade")
    assert_clean_error(r, 1, "1_make_x.py, line 3", "KeyError")
    if is_mariadb(db_url):  # DDL commits at once there: lockgate says so and keeps a journal row
        assert "commits DDL statements at once" in r.err and "lockgate resolve 1" in r.err
        assert states(db_url) == {"1": "started"}
        again = cli(capsys, "--url", db_url, "--directory", scripts, "upgrade")
        assert_clean_error(again, 5, "half-migrated", "resolve 1 --applied")
    else:
        assert tracked(db_url) == {}
        assert "Its transaction was rolled back" in r.err
        assert "x" not in table_names(db_url)


def test_sql_that_fails(db_url, db_backend, make_scripts, capsys):
    scripts = make_scripts({
        "1_create_t.sql": "CREATE TABLE t (id INTEGER NOT NULL PRIMARY KEY);\n",
        "2_fill.sql": """
            INSERT INTO t (id) VALUES (1);

            -- the table below was never created
            INSERT INTO missing_table (id) VALUES (2);
            """,
    })
    r = cli(capsys, "--url", db_url, "--directory", scripts, "upgrade")
    database_words = {"sqlite": "no such table: missing_table",
                      "postgresql": 'relation "missing_table" does not exist',
                      "mariadb": "missing_table' doesn't exist"}[db_backend]
    assert_clean_error(r, 1, "script 2 failed", f"{scripts / '2_fill.sql'}, line 4", database_words,
                       "statement: INSERT INTO missing_table (id) VALUES (2)")
    assert list(tracked(db_url)) == ["1"]
    assert scalar(db_url, "SELECT COUNT(*) FROM t") == 0  # the first INSERT was rolled back


def test_sql_that_fails_after_ddl(db_url, make_scripts, capsys):
    scripts = make_scripts({"1_twice.sql": "CREATE TABLE p (id INTEGER);\nCREATE TABLE p (id INTEGER);\n"})
    r = cli(capsys, "--url", db_url, "--directory", scripts, "upgrade")
    assert_clean_error(r, 1, "1_twice.sql, line 2")
    if is_mariadb(db_url):
        assert "statements before the failing one that had committed stay applied" in r.err
        assert "Fix the failing statement in the file" in r.err and "continues the script" in r.err
        assert states(db_url) == {"1": "started"}
    else:
        assert tracked(db_url) == {}
    if is_mariadb(db_url):
        assert "p" in table_names(db_url)
    else:
        assert "Its transaction was rolled back" in r.err
        assert "p" not in table_names(db_url)


@pytest.mark.parametrize("backend", SERVERS)
def test_downgrade_refused_by_the_database(backend, request, tmp_path, capsys):
    """The example's users table is referenced by tasks: reverting it alone fails cleanly.
    (SQLite does not enforce foreign keys unless PRAGMA foreign_keys is on.)"""
    db_url = request.getfixturevalue(f"{backend}_url")
    ini = write_ini(tmp_path / "dev.ini", db_url)
    assert migrate(capsys, ini, "upgrade").code == 0
    before = snapshot(db_url)
    r = migrate(capsys, ini, "downgrade", BUSY_VERSIONS[0])
    assert_clean_error(r, 1, f"script {BUSY_VERSIONS[0]} failed", "201006231515_downgrade.sql, line 2",
                       "DROP TABLE users", prog="migrate")
    assert snapshot(db_url) == before


def test_irreversible_script_is_refused(db_url, make_scripts, capsys):
    scripts = make_scripts({
        "1_create_a.sql": "CREATE TABLE a (id INTEGER);\n",
        "1_downgrade.sql": "DROP TABLE a;\n",
        "2_create_b.sql": "CREATE TABLE b (id INTEGER);\n",
        "3_py.py": "def upgrade(connection):\n    pass\n",
    })
    assert cli(capsys, "--url", db_url, "--directory", scripts, "upgrade").code == 0
    before = snapshot(db_url)
    r = cli(capsys, "--url", db_url, "--directory", scripts, "downgrade", "--all")
    assert_clean_error(r, 1, "Nothing was reverted", "3_py.py has no downgrade() function",
                       "2_create_b.sql has no 2_downgrade.sql")
    assert snapshot(db_url) == before


def test_badly_named_scripts_are_all_listed_at_once(db_url, make_scripts, capsys):
    scripts = make_scripts({
        "1_create_a.sql": "CREATE TABLE a (id INTEGER);\n",
        "1_create_a_again.sql": "CREATE TABLE a2 (id INTEGER);\n",
        "2_code.py": "def upgrade(connection):\n    pass\n",
        "2_more.sql": "SELECT 1;\n",
        "3_downgrade.sql": "DROP TABLE nothing;\n",
        "4.sql": "SELECT 1;\n",
        "5_plain.sql": "SELECT 1;\n",
        "5_upgrade.sql": "SELECT 1;\n",
        "6_fine.sql": "CREATE TABLE fine (id INTEGER);\n",
        "6_fine.sql~": "an editor's backup is ignored",
        "README.md": "ignored",
    })
    for command in (["upgrade"], ["status"], ["setup"], ["downgrade", "--all"]):
        r = cli(capsys, "--url", db_url, "--directory", scripts, *command)
        assert_clean_error(r, 2, "break the naming rules, so nothing was run",
                           "version 1 has 2 scripts: 1_create_a.sql, 1_create_a_again.sql",
                           "version 2 has 2 scripts: 2_code.py, 2_more.sql",
                           "3_downgrade.sql: no script with version 3 to belong to",
                           "4.sql: a script needs a title",
                           "5_upgrade.sql: an _upgrade.sql file belongs to a Python script")
        assert "6_fine" not in r.err
    assert table_names(db_url) == set()


# -- -v --------------------------------------------------------------------------------


def test_verbose_adds_traceback_in_process(db_url, make_scripts, capsys):
    scripts = make_scripts(ABC_SCRIPTS)
    r = cli(capsys, "-v", "--url", db_url, "--directory", scripts, "upgrade", "999")
    assert r.code == 2
    assert "Traceback (most recent call last)" in r.err
    assert "UnknownVersionError" in r.err
    assert r.err.rstrip().splitlines()[-1].startswith("lockgate: error: No script has version 999")


def test_verbose_shows_sql_and_traceback_of_a_failing_script(sqlite_url, make_scripts):
    scripts = make_scripts({"1_bad.sql": "CREATE TABLE ok (id INTEGER);\nINSERT INTO nowhere VALUES (1);\n"})
    r = run_process(python_m_lockgate("-v", "--url", sqlite_url, "--directory", scripts, "upgrade"))
    assert r.code == 1, r
    assert "Traceback (most recent call last)" in r.err
    assert "INSERT INTO nowhere VALUES (1)" in r.err
    assert "CREATE TABLE ok" in r.err  # the SQL log
    assert "1_bad.sql, line 2" in r.err
    quiet = run_process(python_m_lockgate("--url", sqlite_url, "--directory", scripts, "upgrade"))
    assert quiet.code == 1 and "Traceback" not in quiet.err, quiet


# -- setup ----------------------------------------------------------------------------


def test_setup_with_a_missing_canonical_schema(tmp_path, db_url, capsys):
    ini = write_ini(tmp_path / "dev.ini", db_url, extra="setup_sql = %(here)s/nothere.sql")
    r = migrate(capsys, ini, "setup")
    assert_clean_error(r, 2, f"The canonical schema {tmp_path / 'nothere.sql'} cannot be read",
                       "setup --run-scripts", prog="migrate")
    assert table_names(db_url) == set()

    ini = write_ini(tmp_path / "meta.ini", db_url, extra="setup_metadata = busy.no_such_models:Base")
    r = migrate(capsys, ini, "setup")
    assert_clean_error(r, 2, "busy.no_such_models:Base cannot be imported", prog="migrate")
    assert table_names(db_url) == set()


def test_setup_with_a_failing_canonical_schema(tmp_path, db_url, capsys):
    (tmp_path / "schema.sql").write_text("CREATE TABLE users (id INTEGER);\nCREATE TABLE oops (;\n",
                                         encoding="utf-8")
    ini = write_ini(tmp_path / "dev.ini", db_url, extra="setup_sql = %(here)s/schema.sql")
    r = migrate(capsys, ini, "setup")
    assert_clean_error(r, 1, f"{tmp_path / 'schema.sql'}, line 2", "CREATE TABLE oops (", prog="migrate")
    assert r.out == ""  # no stray " failed": no script was in progress
    assert "lockgate_versions" not in table_names(db_url)
    if is_mariadb(db_url):
        assert "statements before the failing one stay applied" in r.err
    else:
        assert table_names(db_url) == set()


# -- what to type next after a failed script --------------------------------------


def test_a_failed_downgrade_says_to_run_downgrade_again(db_url, make_scripts, capsys):
    scripts = make_scripts({"1_t.sql": "CREATE TABLE t (id INTEGER);\n",
                            "1_downgrade.sql": "DELETE FROM t;\nINSERT INTO no_such_table VALUES (1);\n"})
    assert cli(capsys, "--url", db_url, "--directory", scripts, "upgrade").code == 0

    r = cli(capsys, "--url", db_url, "--directory", scripts, "downgrade")

    err = assert_clean_error(r, 1, "script 1 failed", "1_downgrade.sql, line 2")
    assert "run `lockgate downgrade` again" in err
    assert "lockgate upgrade" not in err


@pytest.mark.postgresql
def test_a_failed_script_outside_a_transaction_says_what_stayed(postgresql_url, make_scripts, capsys):
    scripts = make_scripts({"1_idx.sql": "-- lockgate: no-transaction\n"
                                         "CREATE TABLE t (id INTEGER);\n"
                                         "CREATE INDEX CONCURRENTLY t_x ON t (no_such_column);\n"})

    r = cli(capsys, "--url", postgresql_url, "--directory", scripts, "upgrade")

    err = assert_clean_error(r, 1, "1_idx.sql, line 3", "outside a transaction")
    assert "Undo the statements that stayed applied by hand" in err
    assert "rolled back" not in err
    assert app_tables(postgresql_url) == {"t"}
