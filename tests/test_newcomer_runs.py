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
