"""A newcomer's runs that went wrong, answered precisely: an existing schema, a failed
revert, an unfinished script counted as applied."""

from __future__ import annotations

import sqlalchemy as sa

from clihelpers import assert_clean_error, cli, engine_for

SCRIPTS = {"1_customers.sql": "CREATE TABLE customers (id INTEGER);",
           "1_downgrade.sql": "DROP TABLE customers;",
           "2_orders.sql": "CREATE TABLE orders (id INTEGER);",
           "2_downgrade.sql": "DROP TABLE no_such_table;"}


def run(capsys, url, folder, *command):
    return cli(capsys, "--url", url, "--directory", str(folder), *command)


def test_a_first_upgrade_on_an_existing_schema_points_to_setup_mark_applied(capsys, db_url, make_scripts):
    folder = make_scripts(SCRIPTS)
    with engine_for(db_url) as engine, engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE customers (id INTEGER)")
        connection.exec_driver_sql("CREATE TABLE orders (id INTEGER)")
    failed = run(capsys, db_url, folder, "upgrade")
    assert_clean_error(failed, 1, "already exists", "setup --mark-applied")
    marked = run(capsys, db_url, folder, "setup", "--mark-applied")
    assert marked.code == 0 and "Marked 2 scripts applied" in marked.out, str(marked)
    status = run(capsys, db_url, folder, "status", "--json")
    assert status.json()["applied"] == 2 and status.json()["pending"] == 0


def test_a_failed_downgrade_says_the_script_is_still_applied(capsys, db_url, db_backend, make_scripts):
    folder = make_scripts(SCRIPTS)
    assert run(capsys, db_url, folder, "upgrade").code == 0
    failed = run(capsys, db_url, folder, "downgrade")
    err = assert_clean_error(failed, 1, "2_downgrade.sql", "no_such_table")
    assert "still recorded as applied" in err and "not recorded as applied" not in err, err
    status = run(capsys, db_url, folder, "status", "--json")
    assert status.json()["applied"] == 2


def test_an_unfinished_script_is_not_counted_as_applied(capsys, db_url, make_scripts):
    folder = make_scripts(SCRIPTS)
    assert run(capsys, db_url, folder, "upgrade").code == 0
    with engine_for(db_url) as engine, engine.begin() as connection:
        connection.execute(sa.text("UPDATE lockgate_versions SET state = 'started' WHERE version = '2'"))
    status = run(capsys, db_url, folder, "status")
    assert "1 applied" in status.out and "1 left unfinished" in status.out, str(status)
    summary = run(capsys, db_url, folder, "status", "--json").json()
    assert (summary["applied"], summary["unfinished"]) == (1, 1)


ABC = {"1_a.sql": "CREATE TABLE a (id INTEGER);", "1_downgrade.sql": "DROP TABLE a;",
       "2_b.sql": "CREATE TABLE b (id INTEGER);", "2_downgrade.sql": "DROP TABLE b;",
       "3_c.sql": "CREATE TABLE c (id INTEGER);", "3_downgrade.sql": "DROP TABLE c;"}


def test_upgrading_one_script_ahead_of_older_pending_ones_warns(capsys, sqlite_url, make_scripts):
    folder = make_scripts(ABC)
    result = run(capsys, sqlite_url, folder, "upgrade", "3")
    assert result.code == 0, str(result)
    assert "warning: Applying 3 alone: 1, 2 are older and still pending" in result.err
    assert "upgrade --to 3" in result.err
    quiet = run(capsys, sqlite_url, folder, "upgrade", "1")  # nothing older is pending
    assert quiet.code == 0 and "warning" not in quiet.err, str(quiet)


def test_reverting_one_script_under_newer_ones_warns(capsys, db_url, make_scripts):
    folder = make_scripts(ABC)
    assert run(capsys, db_url, folder, "upgrade").code == 0
    result = run(capsys, db_url, folder, "downgrade", "2")
    assert result.code == 0, str(result)
    assert "warning: Reverting 2 alone: 3 was applied after it and stays applied" in result.err
    assert "downgrade --to 1" in result.err
    assert "warning" not in run(capsys, db_url, folder, "downgrade", "3").err  # the newest: in order


def test_a_dry_run_fails_where_the_upgrade_would(capsys, sqlite_url, make_scripts):
    folder = make_scripts({"1_a.sql": "CREATE TABLE a (id INTEGER);",
                           "2_broken.py": "def upgrade(connection)\n    pass\n"})
    dry = run(capsys, sqlite_url, folder, "upgrade", "--dry-run")
    real = run(capsys, sqlite_url, folder, "upgrade")
    assert dry.code == real.code == 2, (str(dry), str(real))
    assert "2_broken.py" in dry.err and "2_broken.py" in real.err
    committing = make_scripts({"1_a.sql": "CREATE TABLE a (id INTEGER);\nCOMMIT;\nSELECT 1;"})
    assert_clean_error(run(capsys, sqlite_url, committing, "upgrade", "--dry-run"), 2, "1_a.sql, line 2")


def test_downgrade_dry_run_shows_what_it_would_revert_and_changes_nothing(capsys, db_url, make_scripts):
    folder = make_scripts(ABC)
    assert run(capsys, db_url, folder, "upgrade").code == 0
    preview = run(capsys, db_url, folder, "downgrade", "--to", "1", "--dry-run")
    assert preview.code == 0, str(preview)
    assert "Would revert 2 scripts:" in preview.out
    assert preview.out.index("-- 3 c") < preview.out.index("-- 2 b")  # newest first
    assert "DROP TABLE c;" in preview.out and "CREATE TABLE" not in preview.out
    as_json = run(capsys, db_url, folder, "downgrade", "--all", "--dry-run", "--json").json()
    assert [s["version"] for s in as_json] == ["3", "2", "1"]
    assert run(capsys, db_url, folder, "status", "--json").json()["applied"] == 3  # nothing changed


def test_downgrade_dry_run_refuses_what_the_downgrade_would(capsys, sqlite_url, make_scripts):
    folder = make_scripts({"1_a.sql": "CREATE TABLE a (id INTEGER);"})
    assert run(capsys, sqlite_url, folder, "upgrade").code == 0
    assert_clean_error(run(capsys, sqlite_url, folder, "downgrade", "--dry-run"), 1, "irreversible")
