"""The command line: the seed's ``migrate CONFIG ACTION [VERSION]``, the flag form,
output, JSON, exit codes, and the example project end to end.

Most runs call ``lockgate.cli.main`` in-process; a few start the real console
scripts to prove the entry points, the exit codes and a traceback-free stderr.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import sys
import time

import pytest
import sqlalchemy as sa

from clihelpers import (
    ABC_SCRIPTS,
    BUSY_TABLES,
    BUSY_VERSIONS,
    EXAMPLE,
    EXAMPLE_INI,
    EXAMPLE_SCHEMA,
    app_tables,
    assert_clean_error,
    cli,
    closed_port,
    console_script,
    engine_for,
    isolated_cli,  # noqa: F401  (autouse fixture)
    migrate,
    python_m_lockgate,
    run_process,
    scalar,
    snapshot,
    table_names,
    tracked,
    write_ini,
)
from lockgate.cli import EXIT_CODES

V1, V2, V3 = BUSY_VERSIONS


def rows(text: str) -> list[list[str]]:
    """A printed table as lists of cells (cells are separated by two or more spaces)."""
    return [re.split(r"\s{2,}", line.strip()) for line in text.strip().splitlines()]


def row_for(text: str, version: str) -> list[str]:
    found = [r for r in rows(text) if r[0] == version]
    assert len(found) == 1, text
    return found[0]


@pytest.fixture
def dev_ini(tmp_path, db_url):
    """A copy of examples/busy/development.ini pointing at this test's database."""
    return write_ini(tmp_path / "dev.ini", db_url)


# -- the seed's form, verbatim, on every backend ------------------------------


def test_seed_setup_runs_every_script_once(dev_ini, db_url, capsys):
    r = migrate(capsys, dev_ini, "setup")
    assert r.code == 0, r
    assert f"Applying {V1} create_users ... done in" in r.out
    assert f"Applying {V3} tags_and_names ... done in" in r.out
    assert "Set up the database by running every script." in r.out
    assert r.err == ""
    assert app_tables(db_url) == BUSY_TABLES
    applied = tracked(db_url)
    assert list(applied) == BUSY_VERSIONS
    assert all(ms is not None for ms in applied.values())  # run, not marked

    before = snapshot(db_url)
    r = migrate(capsys, dev_ini, "setup")
    assert r.code == 0, r
    assert "already set up" in r.out and "nothing done" in r.out
    r = migrate(capsys, dev_ini, "upgrade")
    assert r.code == 0, r
    assert "The database is up to date; nothing to do." in r.out
    assert snapshot(db_url) == before


def test_seed_upgrade_and_downgrade_exact_versions(dev_ini, db_url, capsys):
    r = migrate(capsys, dev_ini, "upgrade", V1)
    assert r.code == 0, r
    assert list(tracked(db_url)) == [V1]
    assert app_tables(db_url) == {"users"}

    r = migrate(capsys, dev_ini, "next_version")
    assert (r.code, r.out, r.err) == (0, f"{V2}\n", "")

    r = migrate(capsys, dev_ini, "upgrade")
    assert r.code == 0, r
    assert "Applied 2 scripts in" in r.out
    assert list(tracked(db_url)) == BUSY_VERSIONS
    assert scalar(db_url, "SELECT name FROM users WHERE id = 1") == "admin"  # the mixed script's data step

    # Without a version: the most recently applied script, not the oldest (a seed defect).
    r = migrate(capsys, dev_ini, "downgrade")
    assert r.code == 0, r
    assert f"Reverting {V3} tags_and_names ... done" in r.out
    assert "Reverted 1 script in" in r.out
    assert app_tables(db_url) == {"users", "tasks"}

    r = migrate(capsys, dev_ini, "upgrade", V3)
    assert r.code == 0, r
    assert f"Applying {V3} tags_and_names" in r.out
    r = migrate(capsys, dev_ini, "upgrade", V3)
    assert r.code == 0, r
    assert f"Script {V3} is already applied; nothing to do." in r.out

    # tasks references users: revert the dependants first, newest first.
    r = migrate(capsys, dev_ini, "downgrade", "--to", V1)
    assert r.code == 0, r
    assert r.out.index(f"Reverting {V3}") < r.out.index(f"Reverting {V2}")
    assert "Reverted 2 scripts" in r.out
    r = migrate(capsys, dev_ini, "downgrade", V1)
    assert r.code == 0, r
    assert tracked(db_url) == {}
    assert app_tables(db_url) == set()

    r = migrate(capsys, dev_ini, "next_version")
    assert (r.code, r.out) == (0, f"{V1}\n")
    r = migrate(capsys, dev_ini, "downgrade", V1)
    assert r.code == 0, r
    assert "Nothing to revert." in r.out


def test_seed_status_history_and_next_version(dev_ini, db_url, capsys):
    r = migrate(capsys, dev_ini, "status")
    assert r.code == 0, r
    assert [row[:4] for row in rows(r.out)[1:4]] == [
        [V1, "create_users", "sql", "pending"],
        [V2, "add_tasks", "py", "pending"],
        [V3, "tags_and_names", "mixed", "pending"],
    ]
    assert "0 applied, 3 pending; the tracking table does not exist yet" in r.out
    assert tracked(db_url) == {} and table_names(db_url) == set()  # status changes nothing

    r = migrate(capsys, dev_ini, "history")
    assert (r.code, r.out) == (0, "No scripts have been applied.\n")

    assert migrate(capsys, dev_ini, "upgrade", "--to", V2).code == 0
    r = migrate(capsys, dev_ini, "status")
    assert r.code == 0, r
    assert rows(r.out)[0] == ["VERSION", "TITLE", "KIND", "STATE", "APPLIED AT (UTC)"]
    applied_at = row_for(r.out, V1)[4]
    dt.datetime.strptime(applied_at, "%Y-%m-%d %H:%M:%S")
    assert row_for(r.out, V2)[3] == "applied"
    assert row_for(r.out, V3)[3:] == ["pending", "-"]
    assert r.out.rstrip().endswith("2 applied, 1 pending.")

    r = migrate(capsys, dev_ini, "history")
    assert r.code == 0, r
    assert rows(r.out)[0] == ["VERSION", "TITLE", "APPLIED AT (UTC)", "TOOK", "BY", "COMMIT"]
    history = rows(r.out)[1:]
    assert [h[0] for h in history] == [V1, V2]
    assert all(re.fullmatch(r"\d+ ms", h[3]) for h in history), r.out
    assert all("@" in h[4] for h in history), r.out

    r = migrate(capsys, dev_ini, "next_version")
    assert (r.code, r.out) == (0, f"{V3}\n")
    assert migrate(capsys, dev_ini, "upgrade").code == 0
    r = migrate(capsys, dev_ini, "next_version")
    assert (r.code, r.out) == (0, "")
    assert "No pending scripts." in r.err
    r = migrate(capsys, dev_ini, "-q", "next_version")
    assert (r.code, r.out, r.err) == (0, "", "")


def test_migrate_without_arguments_upgrades_development_ini(tmp_path, db_url, monkeypatch, capsys):
    write_ini(tmp_path / "development.ini", db_url)
    monkeypatch.chdir(tmp_path)
    r = migrate(capsys)
    assert r.code == 0, r
    assert "Applied 3 scripts" in r.out
    assert list(tracked(db_url)) == BUSY_VERSIONS

    # An action without CONFIG reads development.ini too.
    r = migrate(capsys, "status", "--json")
    assert r.code == 0, r
    assert r.json()["applied"] == 3
    r = migrate(capsys, "downgrade")
    assert r.code == 0, r
    assert list(tracked(db_url)) == [V1, V2]


def test_migrate_without_arguments_or_development_ini_is_a_clean_error(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    r = migrate(capsys)
    assert_clean_error(r, 2, "reads development.ini from the current folder", str(tmp_path), prog="migrate")


def test_seed_form_accepts_nous_migration_section(tmp_path, db_url, capsys):
    """An unchanged nous.migration ini file: [nous.migration] with app = <section name>."""
    ini = write_ini(tmp_path / "old.ini", db_url, section="nous.migration", app="busy",
                    app_section="app:busy", extra="vcs = git")
    r = migrate(capsys, ini, "upgrade", V1)
    assert r.code == 0, r
    assert list(tracked(db_url)) == [V1]


# -- the flag form ------------------------------------------------------------


def test_flags_override_the_ini_file(tmp_path, db_url, make_scripts, capsys):
    never = tmp_path / "never.sqlite"
    ini = write_ini(tmp_path / "other.ini", f"sqlite:///{never}", extra="table = from_ini")
    scripts = make_scripts(ABC_SCRIPTS)
    flags = ["-c", ini, "--url", db_url, "--directory", scripts, "--table", "deploy_log"]

    r = cli(capsys, *flags, "status")
    assert r.code == 0, r
    assert [row[0] for row in rows(r.out)[1:4]] == ["1", "2", "3"]

    r = cli(capsys, *flags, "upgrade")
    assert r.code == 0, r
    assert table_names(db_url) == {"a", "b", "c", "deploy_log"}
    assert list(tracked(db_url, "deploy_log")) == ["1", "2", "3"]
    assert not never.exists()

    r = cli(capsys, *flags, "status", "--json")
    assert r.json()["applied"] == 3
    # The ini file's own table (no --table) has nothing in it.
    r = cli(capsys, "-c", ini, "--url", db_url, "--directory", scripts, "status", "--json")
    assert r.code == 0, r
    assert (r.json()["tracking_table_exists"], r.json()["applied"]) == (False, 0)


def test_options_after_the_command(db_url, make_scripts, capsys):
    scripts = make_scripts(ABC_SCRIPTS)
    r = cli(capsys, "status", "--url", db_url, "--directory", scripts)
    assert r.code == 0, r
    assert "0 applied, 3 pending" in r.out

    # Before and after the command at once; -q after it silences progress.
    r = cli(capsys, "--url", db_url, "upgrade", "--directory", scripts, "-q", "--to", "2")
    assert (r.code, r.out, r.err) == (0, "", "")
    assert list(tracked(db_url)) == ["1", "2"]

    r = cli(capsys, "--directory", scripts, "next_version", "--url", db_url)
    assert (r.code, r.out) == (0, "3\n")


def test_status_json(db_url, make_scripts, capsys):
    scripts = make_scripts(ABC_SCRIPTS)
    common = ["--url", db_url, "--directory", scripts]

    r = cli(capsys, *common, "status", "--json")
    assert r.code == 0, r
    data = r.json()
    assert data["tracking_table_exists"] is False
    assert (data["applied"], data["pending"]) == (0, 3)
    assert [s["state"] for s in data["scripts"]] == ["pending"] * 3

    assert cli(capsys, *common, "upgrade", "2").code == 0
    r = cli(capsys, *common, "status", "--json")
    data = r.json()
    assert data["tracking_table_exists"] is True
    assert (data["applied"], data["pending"]) == (1, 2)
    by_version = {s["version"]: s for s in data["scripts"]}
    assert by_version["1"]["state"] == "pending" and by_version["1"]["out_of_order"] is True
    assert by_version["2"]["state"] == "applied" and by_version["2"]["out_of_order"] is False
    assert by_version["3"]["state"] == "pending" and by_version["3"]["out_of_order"] is False
    two = by_version["2"]
    assert (two["title"], two["kind"]) == ("create_b", "sql")
    assert two["applied_at"].endswith("Z")
    dt.datetime.fromisoformat(two["applied_at"][:-1])
    assert isinstance(two["execution_ms"], int) and "@" in two["applied_by"]
    assert by_version["1"]["applied_at"] is None

    # The human form says the same, and the run says which scripts are late.
    r = cli(capsys, *common, "status")
    assert row_for(r.out, "1")[3] == "pending (out of order)"
    assert "(1 older than the newest applied script: they will run out of order)" in r.out
    r = cli(capsys, *common, "upgrade")
    assert r.code == 0, r
    assert "Applying 1 create_a (out of order) ... done" in r.out
    assert "Applying 3 create_c ... done" in r.out


def test_history_json_in_the_order_scripts_were_applied(db_url, make_scripts, capsys):
    scripts = make_scripts(ABC_SCRIPTS)
    common = ["--url", db_url, "--directory", scripts]
    r = cli(capsys, *common, "history", "--json")
    assert (r.code, r.json()) == (0, [])

    assert cli(capsys, *common, "upgrade", "3").code == 0
    assert cli(capsys, *common, "upgrade", "1").code == 0
    r = cli(capsys, *common, "history", "--json")
    assert r.code == 0, r
    history = r.json()
    assert [h["version"] for h in history] == ["3", "1"]
    for h in history:
        assert set(h) >= {"version", "title", "kind", "checksum", "applied_at", "execution_ms", "applied_by"}
        assert re.fullmatch(r"[0-9a-f]{64}", h["checksum"])
        assert h["applied_at"].endswith("Z") and isinstance(h["execution_ms"], int)
    assert history[0]["applied_at"] < history[1]["applied_at"]

    # `downgrade` reverts the most recently applied script: 1, not 3.
    r = cli(capsys, *common, "downgrade")
    assert r.code == 0, r
    assert "Reverting 1 create_a" in r.out
    assert list(tracked(db_url)) == ["3"]


def test_upgrade_to_downgrade_to_and_all(db_url, make_scripts, capsys):
    scripts = make_scripts(ABC_SCRIPTS)
    common = ["--url", db_url, "--directory", scripts]

    r = cli(capsys, *common, "upgrade", "--to", "2")
    assert r.code == 0, r
    assert "Applied 2 scripts" in r.out
    assert app_tables(db_url) == {"a", "b"}
    r = cli(capsys, *common, "upgrade", "--to", "2")
    assert r.code == 0 and "Every script up to 2 is applied; nothing to do (1 later script pending)." in r.out

    assert cli(capsys, *common, "upgrade").code == 0
    r = cli(capsys, *common, "downgrade", "--to", "1")
    assert r.code == 0, r
    assert r.out.index("Reverting 3") < r.out.index("Reverting 2")
    assert list(tracked(db_url)) == ["1"]

    assert cli(capsys, *common, "upgrade").code == 0
    r = cli(capsys, *common, "downgrade", "--all")
    assert r.code == 0, r
    assert "Reverted 3 scripts" in r.out
    assert re.findall(r"^\[\d/3\] Reverting (\d)", r.out, re.M) == ["3", "2", "1"]
    assert tracked(db_url) == {} and app_tables(db_url) == set()

    r = cli(capsys, *common, "downgrade", "--all")
    assert (r.code, r.out) == (0, "Nothing to revert.\n")


def test_setup_with_setup_sql_marks_scripts_applied(tmp_path, fresh_db, capsys):
    shutil.copy(EXAMPLE_SCHEMA, tmp_path / "schema.sql")
    first, second = fresh_db(), fresh_db()
    ini = write_ini(tmp_path / "dev.ini", first, extra="setup_sql = %(here)s/schema.sql")

    r = migrate(capsys, ini, "setup")
    assert r.code == 0, r
    assert "Installed the canonical schema and marked 3 scripts applied." in r.out
    assert "Applying" not in r.out
    assert app_tables(first) == BUSY_TABLES
    assert tracked(first) == dict.fromkeys(BUSY_VERSIONS)  # marked: no execution time
    r = migrate(capsys, ini, "history")
    assert [row[3] for row in rows(r.out)[1:]] == ["marked applied"] * 3

    # The canonical schema is what the scripts build: they revert cleanly from it.
    r = migrate(capsys, ini, "downgrade", "--all")
    assert r.code == 0, r
    assert app_tables(first) == set()

    # --run-scripts ignores setup_sql and runs every script.
    r = migrate(capsys, ini, "setup", "--run-scripts", "--url", second)
    assert r.code == 0, r
    assert "Set up the database by running every script." in r.out
    assert f"Applying {V2} add_tasks" in r.out
    assert all(ms is not None for ms in tracked(second).values())
    assert list(tracked(second)) == BUSY_VERSIONS


def test_setup_with_setup_metadata(tmp_path, db_url, capsys):
    ini = write_ini(tmp_path / "dev.ini", db_url, extra="setup_metadata = busy.models:Base")
    r = migrate(capsys, ini, "setup")
    assert r.code == 0, r
    assert "marked 3 scripts applied" in r.out
    assert app_tables(db_url) == BUSY_TABLES
    assert tracked(db_url) == dict.fromkeys(BUSY_VERSIONS)


def test_next_version_alias(dev_ini, db_url, capsys):
    for argv in (["-c", dev_ini, "next-version"], ["next-version", "-c", dev_ini]):
        r = cli(capsys, *argv)
        assert (r.code, r.out) == (0, f"{V1}\n"), r
    r = migrate(capsys, dev_ini, "next-version")
    assert (r.code, r.out) == (0, f"{V1}\n"), r


# -- exit codes ---------------------------------------------------------------


def test_help_documents_commands_and_exit_codes(capsys):
    r = cli(capsys, "--help")
    assert r.code == 0
    for command in ("status", "upgrade", "downgrade", "setup", "next_version", "history"):
        assert command in r.out
    assert EXIT_CODES.strip() in r.out
    r = cli(capsys, "upgrade", "--help")
    assert r.code == 0 and "--to VERSION" in r.out


def test_no_command_prints_usage_and_exits_2(capsys):
    r = cli(capsys)
    assert r.code == 2
    assert r.out == "" and "usage: lockgate" in r.err


def test_exit_codes(sqlite_url, make_scripts, capsys):
    """0 success, 1 a script failed or was refused, 2 bad usage, 3 unreachable (cli.EXIT_CODES)."""
    good = make_scripts({"1_ok.sql": "CREATE TABLE ok (id INTEGER);\n"})
    bad = make_scripts({"1_bad.sql": "CREATE TABLE nope (id INTEGER REFERENCES;\n"})
    irreversible = make_scripts({"1_ok.sql": "CREATE TABLE ok (id INTEGER);\n"})

    assert cli(capsys, "--url", sqlite_url, "--directory", good, "upgrade").code == 0
    assert cli(capsys, "--url", sqlite_url, "--directory", good, "upgrade").code == 0  # nothing to do
    assert_clean_error(cli(capsys, "--url", sqlite_url, "--directory", irreversible, "downgrade"), 1,
                       "1_ok.sql has no 1_downgrade.sql", "Nothing was reverted")
    assert_clean_error(cli(capsys, "--url", sqlite_url, "--directory", good, "upgrade", "7"), 2,
                       "No script has version 7")
    unknown = cli(capsys, "--url", sqlite_url, "--directory", good, "frobnicate")
    assert unknown.code == 2 and "invalid choice: 'frobnicate'" in unknown.err

    other = sqlite_url.replace("db.sqlite", "other.sqlite")
    assert_clean_error(cli(capsys, "--url", other, "--directory", bad, "upgrade"), 1, "1_bad.sql, line 1")
    url = f"postgresql+psycopg://someone@127.0.0.1:{closed_port()}/db"
    assert_clean_error(cli(capsys, "--url", url, "--directory", good, "status"), 3, "Cannot connect")


# -- real processes -------------------------------------------------------------


def test_python_m_lockgate(sqlite_url, make_scripts):
    scripts = make_scripts(ABC_SCRIPTS)
    r = run_process(python_m_lockgate("--url", sqlite_url, "--directory", scripts, "upgrade", "--to", "2"),
                    fresh=True)
    assert r.code == 0, r
    assert "Applying 1 create_a ... done in" in r.out and "Applied 2 scripts" in r.out
    assert r.err == ""
    r = run_process(python_m_lockgate("status", "--json", "--url", sqlite_url, "--directory", scripts))
    assert r.code == 0, r
    assert [s["state"] for s in r.json()["scripts"]] == ["applied", "applied", "pending"]


def test_console_scripts_seed_form(dev_ini, db_url, tmp_path):
    migrate_exe = console_script("migrate")
    r = run_process([migrate_exe, dev_ini, "upgrade", V1])
    assert r.code == 0, r
    assert f"Applying {V1} create_users" in r.out
    r = run_process([migrate_exe, dev_ini, "next_version"])
    assert (r.code, r.out) == (0, f"{V2}\n"), r

    # No arguments: development.ini in the current folder, action upgrade.
    shutil.copy(dev_ini, tmp_path / "development.ini")
    r = run_process([migrate_exe], cwd=tmp_path)
    assert r.code == 0, r
    assert "Applied 2 scripts" in r.out
    assert list(tracked(db_url)) == BUSY_VERSIONS

    r = run_process([console_script("lockgate"), "-c", dev_ini, "history", "--json"])
    assert r.code == 0, r
    assert [h["version"] for h in r.json()] == BUSY_VERSIONS


def test_console_script_errors_have_exit_codes_and_no_traceback(sqlite_url, tmp_path):
    dev_ini = write_ini(tmp_path / "dev.ini", sqlite_url)
    lockgate_exe = console_script("lockgate")
    r = run_process([lockgate_exe, "-c", dev_ini, "upgrade", "999"])
    assert_clean_error(r, 2, "No script has version 999")
    assert r.out == "" and len(r.err.strip().splitlines()) == 1

    r = run_process([lockgate_exe, "-c", dev_ini, "frobnicate"])
    assert r.code == 2 and "invalid choice" in r.err and "Traceback" not in r.err

    r = run_process([console_script("migrate"), tmp_path / "missing.ini", "upgrade"])
    assert_clean_error(r, 2, "missing.ini does not exist", prog="migrate")

    started = time.monotonic()
    r = run_process([lockgate_exe, "-c", dev_ini, "--url",
                     f"mysql+pymysql://u:s3cret@127.0.0.1:{closed_port()}/db", "status"])
    assert_clean_error(r, 3, "Cannot connect to mysql+pymysql://u:***@127.0.0.1")
    assert "s3cret" not in r.err + r.out
    assert time.monotonic() - started < 15


# -- acceptance: the example project, as the README shows it --------------------


@pytest.fixture
def example_database_untouched():
    """The example's own busy.sqlite must not be created or changed by the tests."""
    path = EXAMPLE / "busy.sqlite"

    def state():
        return path.stat().st_mtime_ns if path.exists() else None

    before = state()
    yield
    assert state() == before, f"{path} was touched"


def test_acceptance_example_ini(db_url, db_backend, monkeypatch, capsys, example_database_untouched):
    """`migrate examples/busy/development.ini setup|upgrade|downgrade V|status|history`:
    on SQLite with LOCKGATE_URL (the ini's own database is left alone), on the
    servers with --url."""
    if db_backend == "sqlite":
        monkeypatch.setenv("LOCKGATE_URL", db_url)
        url = []
    else:
        url = ["--url", db_url]

    r = migrate(capsys, EXAMPLE_INI, "setup", *url)
    assert r.code == 0, r
    assert "Installed the canonical schema and marked 3 scripts applied." in r.out
    assert app_tables(db_url) == BUSY_TABLES
    assert tracked(db_url) == dict.fromkeys(BUSY_VERSIONS)

    r = migrate(capsys, EXAMPLE_INI, "upgrade", *url)
    assert r.code == 0 and "up to date" in r.out, r

    r = migrate(capsys, EXAMPLE_INI, "downgrade", V3, *url)
    assert r.code == 0, r
    assert f"Reverting {V3} tags_and_names ... done" in r.out
    assert app_tables(db_url) == {"users", "tasks"}

    r = migrate(capsys, EXAMPLE_INI, "status", *url)
    assert r.code == 0, r
    assert row_for(r.out, V3)[3] == "pending"
    assert "2 applied, 1 pending." in r.out

    r = migrate(capsys, EXAMPLE_INI, "history", *url)
    assert r.code == 0, r
    assert [row[0] for row in rows(r.out)[1:]] == [V1, V2]

    r = migrate(capsys, EXAMPLE_INI, "upgrade", *url)
    assert r.code == 0, r
    assert f"Applying {V3} tags_and_names ... done" in r.out
    assert app_tables(db_url) == BUSY_TABLES

    r = migrate(capsys, EXAMPLE_INI, "downgrade", "--all", *url)
    assert r.code == 0, r
    assert app_tables(db_url) == set()


def test_acceptance_example_ini_console_script(sqlite_url, example_database_untouched):
    migrate_exe = console_script("migrate")
    env = {"LOCKGATE_URL": sqlite_url}
    r = run_process([migrate_exe, EXAMPLE_INI, "setup"], env=env, fresh=True)
    assert r.code == 0, r
    r = run_process([migrate_exe, EXAMPLE_INI, "status"], env=env)
    assert r.code == 0, r
    assert "3 applied, 0 pending." in r.out


# -- more output ------------------------------------------------------------------


@pytest.mark.parametrize("url_flag", ["--url", "--url="])
def test_migrate_with_url_flag_ignores_development_ini(url_flag, tmp_path, sqlite_url, monkeypatch, capsys):
    """CONFIG defaults to development.ini only when nothing else says where the database is."""
    (tmp_path / "development.ini").write_text("[app:main]\nsqlalchemy.url = sqlite://\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    argv = [url_flag + sqlite_url] if url_flag.endswith("=") else [url_flag, sqlite_url]
    r = migrate(capsys, *argv, "--package", "busy.migration", "upgrade", V1)
    assert r.code == 0, r
    assert list(tracked(sqlite_url)) == [V1]


def test_status_of_scripts_missing_on_disk(db_url, make_scripts, capsys):
    scripts = make_scripts(ABC_SCRIPTS)
    common = ["--url", db_url, "--directory", scripts]
    assert cli(capsys, *common, "upgrade").code == 0
    (scripts / "3_create_c.sql").unlink()
    (scripts / "3_downgrade.sql").unlink()

    r = cli(capsys, *common, "status")
    assert r.code == 0, r
    assert row_for(r.out, "3")[:4] == ["3", "create_c", "sql", "missing"]
    assert "3 applied, 0 pending, 1 applied but missing on disk." in r.out
    r = cli(capsys, *common, "status", "--json")
    assert [s["state"] for s in r.json()["scripts"]] == ["applied", "applied", "missing"]

    before = snapshot(db_url)
    r = cli(capsys, *common, "downgrade")
    assert_clean_error(r, 2, "Cannot revert 3", "Restore the file")
    assert snapshot(db_url) == before


def test_status_without_scripts(db_url, make_scripts, capsys):
    r = cli(capsys, "--url", db_url, "--directory", make_scripts({}), "status")
    assert r.code == 0, r
    assert r.out.startswith("No scripts found.\n0 applied, 0 pending; the tracking table does not exist yet")
    r = cli(capsys, "--url", db_url, "--directory", make_scripts({}), "upgrade")
    assert (r.code, r.out) == (0, "The database is up to date; nothing to do.\n")


def test_quiet_failure_prints_only_the_error(sqlite_url, make_scripts, capsys):
    scripts = make_scripts({"1_ok.sql": "CREATE TABLE ok (id INTEGER);\n",
                            "2_bad.sql": "INSERT INTO nowhere VALUES (1);\n"})
    r = cli(capsys, "-q", "--url", sqlite_url, "--directory", scripts, "upgrade")
    assert r.out == ""
    assert_clean_error(r, 1, "script 2 failed", "2_bad.sql, line 1",
                       "The 1 script before it in this run stay")


def test_adopting_a_nous_migration_database(dev_ini, db_url, capsys):
    """A database nous.migration migrated: its `versions` rows count as applied."""
    with engine_for(db_url) as engine, engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE versions (version BIGINT NOT NULL)"))
        conn.execute(sa.text(f"INSERT INTO versions (version) VALUES ({V1})"))
        conn.execute(sa.text("CREATE TABLE users (id INTEGER NOT NULL PRIMARY KEY, "
                             "email VARCHAR(255) NOT NULL UNIQUE)"))
        conn.execute(sa.text("INSERT INTO users (id, email) VALUES (1, 'old@busy.example')"))

    r = migrate(capsys, dev_ini, "status")
    assert r.code == 0, r
    assert row_for(r.out, V1)[3] == "applied"
    assert "1 applied, 2 pending; the applied scripts are read from nous.migration's `versions` table" in r.out
    assert "lockgate_versions" not in table_names(db_url)  # reading changes nothing

    r = migrate(capsys, dev_ini, "upgrade")
    assert r.code == 0, r
    assert "Adopted 1 applied script from nous.migration's table." in r.out
    assert f"Applying {V2} add_tasks" in r.out and f"Applying {V1}" not in r.out
    assert list(tracked(db_url)) == BUSY_VERSIONS
    assert scalar(db_url, "SELECT name FROM users WHERE id = 1") == "old"
    assert scalar(db_url, "SELECT COUNT(*) FROM versions") == 1  # left as it was

    r = migrate(capsys, dev_ini, "history", "--json")
    assert r.json()[0]["version"] == V1 and r.json()[0]["applied_by"] == "nous.migration"


def test_setup_on_a_nous_migration_database_says_it_adopted_it(dev_ini, db_url, capsys):
    with engine_for(db_url) as engine, engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE versions (version BIGINT NOT NULL)"))
        conn.execute(sa.text(f"INSERT INTO versions (version) VALUES ({V1}), ({V2})"))

    r = migrate(capsys, dev_ini, "setup")

    assert r.code == 0, r
    assert r.out.startswith("Adopted 2 scripts applied by nous.migration")
    assert list(tracked(db_url)) == [V1, V2]


def test_setup_mark_applied_records_every_script_and_runs_none(db_url, make_scripts, capsys):
    scripts = make_scripts(ABC_SCRIPTS)

    r = cli(capsys, "--url", db_url, "--directory", scripts, "setup", "--mark-applied")

    assert r.code == 0, r
    assert "Marked 3 scripts applied without running them." in r.out
    assert tracked(db_url) == {"1": None, "2": None, "3": None}
    assert app_tables(db_url) == set()


def test_resolve_applied_of_an_applied_script_changes_nothing_and_says_so(db_url, make_scripts, capsys):
    scripts = make_scripts(ABC_SCRIPTS)
    cli(capsys, "--url", db_url, "--directory", scripts, "upgrade", "1")
    before = tracked(db_url)

    r = cli(capsys, "--url", db_url, "--directory", scripts, "resolve", "1", "--applied")

    assert r.code == 0 and "already recorded as applied; nothing changed" in r.out, r
    assert tracked(db_url) == before


def test_reading_commands_do_not_create_a_missing_sqlite_file(tmp_path, make_scripts, capsys):
    scripts = make_scripts(ABC_SCRIPTS)
    url = f"sqlite:///{tmp_path}/not_yet.db"
    for command in (["status"], ["history"], ["verify"], ["next_version"], ["upgrade", "--dry-run"]):
        r = cli(capsys, "--url", url, "--directory", scripts, *command)
        assert r.code == 0, r
    assert "0 applied, 3 pending" in cli(capsys, "--url", url, "--directory", scripts, "status").out
    assert not (tmp_path / "not_yet.db").exists()


def test_models_beside_the_config_file_are_found_with_a_scripts_directory(tmp_path, capsys, monkeypatch):
    project = tmp_path / "project"
    (project / "migrations").mkdir(parents=True)
    (project / "migrations" / "1_notes.sql").write_text(
        "CREATE TABLE notes (id INTEGER NOT NULL PRIMARY KEY, body VARCHAR(100));\n")
    (project / "notes_models.py").write_text(
        "import sqlalchemy as sa\nfrom sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column\n\n\n"
        "class Base(DeclarativeBase):\n    pass\n\n\n"
        "class Note(Base):\n    __tablename__ = 'notes'\n"
        "    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)\n"
        "    body: Mapped[str | None] = mapped_column(sa.String(100))\n")
    (project / "pyproject.toml").write_text(
        f'[tool.lockgate]\nurl = "sqlite:///{project}/app.db"\ndirectory = "migrations"\n'
        'models = "notes_models:Base"\n')
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))

    assert cli(capsys, "-c", project / "pyproject.toml", "upgrade").code == 0
    r = cli(capsys, "-c", project / "pyproject.toml", "check")

    assert r.code == 0, r
    assert "the models match the scripts" in r.out


def test_verbose_logging_ends_with_its_command(tmp_path, capsys, caplog):
    """``-v`` logs the SQL of one command; a later command in the same process is quiet again."""
    import logging

    url = f"sqlite:///{tmp_path / 'v.sqlite'}"
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (scripts / "1_a.sql").write_text("CREATE TABLE a (id INTEGER PRIMARY KEY);\n", encoding="utf-8")
    (scripts / "1_downgrade.sql").write_text("DROP TABLE a;\n", encoding="utf-8")
    levels = {name: logging.getLogger(name).level for name in ("sqlalchemy.engine", "lockgate.sql")}
    assert cli(capsys, "--url", url, "--directory", scripts, "-v", "upgrade").code == 0
    assert any("CREATE TABLE a" in record.getMessage() for record in caplog.records)
    assert {name: logging.getLogger(name).level for name in levels} == levels
    caplog.clear()
    assert cli(capsys, "--url", url, "--directory", scripts, "--verbose", "status").code == 0
    assert cli(capsys, "--url", url, "--directory", scripts, "downgrade").code == 0
    assert not [r for r in caplog.records if r.name.startswith(("sqlalchemy", "lockgate.sql"))
                and "DROP" in r.getMessage()]
