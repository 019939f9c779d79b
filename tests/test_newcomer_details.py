"""A newcomer's smaller stumbles, each answered precisely.

A file name given as ``--url``, a refused login, a port where nothing
answers, ``check --json`` in prose, "Marked 1 scripts", the same version
control note on every new script, lock files left by reading, and files in
a scripts folder that never run without a word.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa

from clihelpers import (
    PASSWORD,
    assert_clean_error,
    assert_no_password,
    cli,
    console_script,
    engine_for,
    isolated_cli,  # noqa: F401  (autouse fixture)
    run_process,
    silent_server,
)
from lockgate import DBMigrator, database
from lockgate.cli import process_started
from lockgate.scripts import ScriptSource

ONE = {"1_customers.sql": "CREATE TABLE customers (id INTEGER);\n", "1_downgrade.sql": "DROP TABLE customers;\n"}


def run(capsys, url, folder, *command):
    return cli(capsys, "--url", url, "--directory", str(folder), *command)


# -- a URL without its dialect:// --------------------------------------------------------


@pytest.mark.parametrize("typed, suggested", [
    ("app.db", "sqlite:///app.db"),
    ("data/app.sqlite", "sqlite:///data/app.sqlite"),
    ("/srv/app.db", "sqlite:////srv/app.db"),
])
def test_a_file_name_given_as_url_is_answered_with_its_sqlite_url(capsys, tmp_path, make_scripts,
                                                                  monkeypatch, typed, suggested):
    monkeypatch.chdir(tmp_path)
    folder = make_scripts(ONE)
    for command in (["status"], ["upgrade"], ["history"]):
        result = run(capsys, typed, folder, *command)
        assert_clean_error(result, 2, f"The database URL {typed!r} is not valid: it has no dialect:// part", f"Write it as {suggested}")
    assert not (tmp_path / "app.db").exists()


def test_a_server_url_without_its_dialect_hides_the_password(capsys, make_scripts):
    result = run(capsys, f"deploy:{PASSWORD}@db.example.org/app", make_scripts(ONE), "status")

    assert_clean_error(result, 2, "'deploy:***@db.example.org/app' is not valid", "postgresql+psycopg://")
    assert_no_password(result)


# -- the server refused the login, or has no such database ------------------------------


@pytest.mark.mariadb
def test_mariadb_wrong_password_is_named_as_such_without_showing_it(capsys, db_servers, make_scripts):
    url = db_servers.need("mariadb").admin_url.set(password=PASSWORD)

    result = run(capsys, url.render_as_string(hide_password=False), make_scripts(ONE), "status")

    assert_clean_error(result, 3, "Cannot connect to", "refused the login of 'root' with the password the URL gives",
                       f"mysql+pymysql://{url.username}:PASSWORD@{url.host}")
    assert_no_password(result)
    assert "is the server running" not in result.err.lower()


@pytest.mark.mariadb
def test_mariadb_account_that_needs_a_password_says_the_url_gives_none(capsys, db_servers, make_scripts):
    admin = db_servers.need("mariadb").admin_url
    with engine_for(admin.render_as_string(hide_password=False)) as engine, engine.begin() as connection:
        connection.execute(sa.text("DROP USER IF EXISTS 'lg_needs_pw'@'%'"))
        connection.execute(sa.text(f"CREATE USER 'lg_needs_pw'@'%' IDENTIFIED BY '{PASSWORD}'"))
    try:
        url = admin.set(username="lg_needs_pw", password=None)
        result = run(capsys, url.render_as_string(hide_password=False), make_scripts(ONE), "status")
    finally:
        with engine_for(admin.render_as_string(hide_password=False)) as engine, engine.begin() as connection:
            connection.execute(sa.text("DROP USER IF EXISTS 'lg_needs_pw'@'%'"))

    assert_clean_error(result, 3, "'lg_needs_pw' needs a password and the URL gives none",
                       "mysql+pymysql://lg_needs_pw:PASSWORD@")


@pytest.mark.mariadb
def test_mariadb_unknown_account_names_both_things_to_check(capsys, db_servers, make_scripts):
    """MariaDB answers an unknown account as a wrong password: the advice names both."""
    url = db_servers.need("mariadb").admin_url.set(username="lg_nobody", password=PASSWORD)

    result = run(capsys, url.render_as_string(hide_password=False), make_scripts(ONE), "status")

    assert_clean_error(result, 3, "refused the login of 'lg_nobody'", "no such account may connect",
                       "Check the user name, and the password")
    assert_no_password(result)


@pytest.mark.postgresql
def test_postgresql_unknown_role_and_database_get_the_command_that_makes_them(capsys, db_servers, make_scripts):
    server = db_servers.need("postgresql").admin_url
    folder = make_scripts(ONE)

    role = run(capsys, server.set(username="lg_nobody", password=PASSWORD).render_as_string(hide_password=False),
               folder, "status")
    database_ = run(capsys, server.set(database="lg_no_such_db").render_as_string(hide_password=False),
                    folder, "status")

    assert_clean_error(role, 3, "no role 'lg_nobody'", "createuser -h")
    assert_no_password(role)
    assert_clean_error(database_, 3, "no database 'lg_no_such_db'", "createdb -h", "lg_no_such_db`")
    if server.username:  # the hint creates it as the user the URL connects as
        assert f"-U {server.username} lg_no_such_db`" in database_.err


# -- a server that accepts the connection and never answers ----------------------------


def test_the_connect_timeout_counts_from_the_process_start(monkeypatch):
    monkeypatch.setattr(database, "connect_deadline_from", time.monotonic() - 3.5)
    assert database.connect_timeout() == 3  # 10, less the 3.5 s gone and three seconds for the report
    assert database.connect_timeout() == 10  # only the first engine: later ones get the whole time
    monkeypatch.setattr(database, "connect_deadline_from", time.monotonic() - 30)
    assert database.connect_timeout() == 2  # never less than the drivers' own minimum


def test_the_process_start_is_found_before_python_ran_lockgate():
    script = "import time; time.sleep(0.6); from lockgate.cli import process_started; " \
             "print(time.monotonic() - process_started())"
    age = float(subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                               check=True).stdout)
    assert 0.6 <= age < 30
    assert process_started() <= time.monotonic()


@pytest.mark.postgresql
@pytest.mark.mariadb
def test_a_silent_server_is_given_up_within_ten_seconds_of_typing_the_command(tmp_path):
    """The whole command, Python's start included: the README promises 10 seconds.

    Each driver's command is a real process of its own; they wait out their
    timeouts side by side, as the waiting is the server's silence, not work.
    """
    (tmp_path / "m").mkdir()
    with ThreadPoolExecutor(2) as pool:
        given_up = dict(zip(SILENT_SCHEMES, pool.map(lambda scheme: _status_on_a_silent_server(scheme, tmp_path / "m"),
                                                     SILENT_SCHEMES)))
    for scheme, (result, elapsed) in given_up.items():
        assert result.code == 3, (scheme, str(result))
        assert "accepted the connection but did not answer in time: check the port" in result.err, (scheme, result.err)
        assert PASSWORD not in result.out + result.err
        assert elapsed < 10.5, f"{scheme} gave up after {elapsed:.1f} s"


SILENT_SCHEMES = ("postgresql+psycopg", "mysql+pymysql")


def _status_on_a_silent_server(scheme: str, folder: Path):
    """(result, seconds from typing to the answer) of ``lockgate status`` against a port that never answers."""
    with silent_server() as port:
        started = time.monotonic()
        result = run_process([console_script("lockgate"), "--url", f"{scheme}://deploy:{PASSWORD}@127.0.0.1:{port}/app",
                              "--directory", folder, "status"], timeout=60, fresh=True)
        return result, time.monotonic() - started


# -- check --json, plural agreement -------------------------------------------------------


def test_check_json_lists_pending_scripts_as_objects(capsys, db_url, make_scripts):
    folder = make_scripts({**ONE, "2_orders.sql": "CREATE TABLE orders (id INTEGER);\n"})
    run(capsys, db_url, folder, "upgrade", "--to", "1")

    result = run(capsys, db_url, folder, "check", "--json")

    assert result.code == 1
    (pending,) = result.json()["pending"]
    assert (pending["version"], pending["title"], pending["kind"]) == ("2", "orders", "sql")
    assert Path(pending["file"]).name == "2_orders.sql"


def test_marking_one_script_says_one_script(capsys, db_url, make_scripts):
    folder = make_scripts(ONE)

    result = run(capsys, db_url, folder, "setup", "--mark-applied")

    assert result.code == 0 and "Marked 1 script applied without running it." in result.out, str(result)


# -- add_script says once that nothing was added to version control ---------------------


def test_the_no_vcs_note_comes_with_the_first_script_only(capsys, tmp_path):
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "notes.md").write_text("scripts of the app\n", encoding="utf-8")

    first = cli(capsys, "--directory", str(folder), "add_script", "create users")
    second = cli(capsys, "--directory", str(folder), "add_script", "add email")

    assert first.code == second.code == 0
    assert "Not added to version control: no `vcs` is configured" in first.out
    assert "version control" not in second.out, second.out
    assert second.out.strip().endswith(".sql")


# -- reading commands leave no files beside a SQLite database ---------------------------


def test_reading_commands_leave_no_files_beside_a_sqlite_database(capsys, tmp_path, make_scripts):
    folder = make_scripts({**ONE, "2_orders.sql": "CREATE TABLE orders (id INTEGER);\n"})
    data = tmp_path / "data"
    data.mkdir()
    url = f"sqlite:///{data / 'app.db'}"
    reading = [["status"], ["status", "-v"], ["history"], ["verify"], ["next_version"], ["check"],
               ["upgrade", "--dry-run"], ["downgrade", "--dry-run"]]
    for command in reading:  # no database file yet: none is made
        run(capsys, url, folder, *command)
    assert sorted(os.listdir(data)) == []

    with engine_for(url) as engine, engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE unrelated (id INTEGER)")  # the file exists
    for command in reading:
        run(capsys, url, folder, *command)
    assert sorted(os.listdir(data)) == ["app.db"]

    assert run(capsys, url, folder, "upgrade", "--to", "1").code == 0  # a writer takes the lock file
    (data / "app.db-lockgate_versions.lock").unlink()
    for command in reading:
        run(capsys, url, folder, *command)
    assert sorted(os.listdir(data)) == ["app.db"]


# -- files in a scripts folder that are not scripts ------------------------------------


STRAYS = {**ONE, "create_h.sql": "CREATE TABLE h (id INTEGER);\n", "customers.csv": "id\n1\n",
          "README.md": "notes\n", "__init__.py": "", "1_customers.sql~": ""}


def test_discovery_returns_files_it_never_runs_as_one_warning(make_scripts):
    source = ScriptSource(directory=make_scripts(STRAYS))

    found = source.find()

    assert [s.version for s in found] == ["1"]
    (warning,) = found.warnings
    assert source.warnings == found.warnings
    assert "2 files in directory" in warning and "are not scripts, so lockgate never runs them" in warning
    assert "create_h.sql, customers.csv." in warning
    assert "README" not in warning and "__init__" not in warning and "~" not in warning


def test_a_tidy_folder_has_no_warning(make_scripts):
    tidy = {k: v for k, v in STRAYS.items() if k not in ("create_h.sql", "customers.csv")}
    assert ScriptSource(directory=make_scripts(tidy)).find().warnings == []


def test_library_callers_get_the_warning_from_the_migrator(sqlite_url, make_scripts):
    migrator = DBMigrator(sqlite_url, directory=make_scripts(STRAYS))
    try:
        migrator.status()
        assert "create_h.sql" in migrator.source.warnings[0]
        assert "create_h.sql" in migrator.scripts().warnings[0]
    finally:
        migrator.engine.dispose()


def test_a_crowded_folder_gets_one_line(make_scripts):
    (warning,) = ScriptSource(directory=make_scripts({f"data{i:02}.csv": "" for i in range(25)})).find().warnings
    assert "25 files" in warning and "data09.csv and 15 more." in warning and "\n" not in warning


def test_the_cli_names_the_files_once_on_stderr(capsys, sqlite_url, make_scripts):
    folder = make_scripts(STRAYS)
    for command in (["upgrade"], ["status"], ["status", "-v"], ["upgrade"], ["status", "--json"], ["verify"]):
        result = run(capsys, sqlite_url, folder, *command)
        assert result.code == 0, str(result)
        warnings = [line for line in result.err.splitlines() if line.startswith("warning:")]
        assert len(warnings) == 1 and "create_h.sql, customers.csv" in warnings[0], (command, result.err)
        assert "create_h.sql" not in result.out
    quiet = run(capsys, sqlite_url, folder, "-q", "status")
    assert "warning" not in quiet.err


def test_a_data_file_a_python_script_runs_is_no_stray(capsys, db_url, make_scripts):
    """run_sql_file(connection, "seed.sql") runs a versionless SQL file: it belongs there."""
    folder = make_scripts({
        **ONE,
        "2_seed.py": (
            "from lockgate import run_sql_file\n\n\n"
            "def upgrade(connection):\n"
            "    run_sql_file(connection, 'customer_rows.sql')\n"
        ),
        "customer_rows.sql": "INSERT INTO customers (id) VALUES (1);\nINSERT INTO customers (id) VALUES (2);\n",
        "helpers.py": "",
        "3_more.py": "def upgrade(connection):\n    pass  # shares its queries with the helpers module\n",
    })

    result = run(capsys, db_url, folder, "upgrade")

    assert result.code == 0 and "warning" not in result.err, str(result)
    with engine_for(db_url) as engine, engine.connect() as connection:
        assert connection.execute(sa.text("SELECT COUNT(*) FROM customers")).scalar() == 2
