"""Scripts that do what scripts should not: end lockgate's transaction, switch schema or
database, call sys.exit(). Each is refused or failed with a clear message, and the
database holds no script without its row and no row without its script."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from clihelpers import app_tables, assert_clean_error, cli, engine_for

LOG = "1_log.sql"
LOG_SQL = "CREATE TABLE applied_log (v INTEGER NOT NULL);\n"


def run(capsys, url, folder, *command):
    return cli(capsys, "--url", url, "--directory", str(folder), *command)


def tracked(url) -> list[str]:
    with engine_for(url) as engine:
        if "lockgate_versions" not in sa.inspect(engine).get_table_names():
            return []
        with engine.connect() as connection:
            return sorted(connection.exec_driver_sql("SELECT version FROM lockgate_versions").scalars())


@pytest.mark.parametrize("statement", ["COMMIT", "ROLLBACK", "commit /* half */ work", "BEGIN",
                                       "START TRANSACTION"])
def test_transaction_control_inside_a_script_is_refused_before_anything_runs(
        capsys, db_url, db_backend, make_scripts, statement):
    if statement == "START TRANSACTION" and db_backend == "sqlite":
        pytest.skip("SQLite has no START TRANSACTION: it is a syntax error there, not transaction control")
    folder = make_scripts({LOG: LOG_SQL, "2_half.sql": (
        "CREATE TABLE first_half (id INTEGER);\n"
        f"{statement};\n"
        "CREATE TABLE second_half (id INTEGER);\n")})
    result = run(capsys, db_url, folder, "upgrade")
    assert_clean_error(result, 2, "2_half.sql, line 2", "no-transaction")
    assert app_tables(db_url) == set()  # not even the first script ran
    assert tracked(db_url) == []


def test_the_same_refusal_stops_a_rehearsal(capsys, db_url, db_backend, make_scripts):
    folder = make_scripts({LOG: LOG_SQL, "2_half.sql": "CREATE TABLE t (id INTEGER);\nCOMMIT;\n"
                                                       "CREATE TABLE u (id INTEGER);\n"})
    result = run(capsys, db_url, folder, "upgrade", "--rehearse")
    if db_backend == "mariadb":
        assert_clean_error(result, 1, "implicitly")
    else:
        assert_clean_error(result, 2, "2_half.sql, line 2")
    assert app_tables(db_url) == set() and tracked(db_url) == []


def test_a_whole_file_wrapper_is_accepted_and_stays_atomic(capsys, db_url, db_backend, make_scripts):
    folder = make_scripts({LOG: LOG_SQL,
                           "2_wrapped.sql": "BEGIN;\nINSERT INTO applied_log (v) VALUES (2);\nCOMMIT;\n",
                           "3_broken.sql": ("BEGIN;\nINSERT INTO applied_log (v) VALUES (3);\n"
                                            "INSERT INTO no_such_table VALUES (1);\nCOMMIT;\n")})
    result = run(capsys, db_url, folder, "upgrade")
    assert_clean_error(result, 1, "3_broken.sql, line 3")
    with engine_for(db_url) as engine, engine.connect() as connection:
        logged = sorted(connection.exec_driver_sql("SELECT v FROM applied_log").scalars())
    assert logged == [2]  # the wrapped script applied; the broken one left nothing
    assert tracked(db_url) == ["1", "2"]


def test_a_statement_after_the_wrapper_is_refused(capsys, db_url, make_scripts):
    folder = make_scripts({"1_w.sql": "BEGIN;\nCREATE TABLE a (id INTEGER);\nCOMMIT;\n"
                                      "CREATE TABLE b (id INTEGER);\n"})
    result = run(capsys, db_url, folder, "upgrade")
    assert_clean_error(result, 2, "1_w.sql, line 3")
    assert app_tables(db_url) == set() and tracked(db_url) == []


def test_transaction_control_is_allowed_in_a_no_transaction_script(capsys, db_url, make_scripts):
    folder = make_scripts({"1_nt.sql": "-- lockgate: no-transaction\nCREATE TABLE a (id INTEGER);\n"
                                       "BEGIN;\nINSERT INTO a VALUES (1);\nCOMMIT;\n"})
    result = run(capsys, db_url, folder, "upgrade")
    assert result.code == 0, str(result)
    assert tracked(db_url) == ["1"]


def test_use_of_another_database_is_refused_on_mariadb(capsys, mariadb_url, make_scripts):
    folder = make_scripts({LOG: LOG_SQL, "2_use.sql": "USE mysql;\nCREATE TABLE lost (id INTEGER);\n"})
    result = run(capsys, mariadb_url, folder, "upgrade")
    assert_clean_error(result, 2, "2_use.sql, line 1", "USE")
    assert app_tables(mariadb_url) == set() and tracked(mariadb_url) == []


def test_use_in_a_no_transaction_script_cannot_move_the_tracking_table(capsys, mariadb_url, make_scripts):
    database = sa.engine.make_url(mariadb_url).database
    folder = make_scripts({"1_use.sql": f"-- lockgate: no-transaction\nUSE information_schema;\nSELECT 1;\n",
                           "2_next.sql": f"CREATE TABLE `{database}`.two (id INTEGER);\n"})
    result = run(capsys, mariadb_url, folder, "upgrade")
    assert result.code == 0, str(result)
    assert tracked(mariadb_url) == ["1", "2"]


@pytest.mark.parametrize("change", ["SET search_path TO nowhere", "SELECT set_config('search_path', '', false)",
                                    "SET ROLE NONE"])
def test_session_changes_in_a_postgresql_script_end_with_it(capsys, postgresql_url, make_scripts, change):
    folder = make_scripts({
        "1_dump.sql": f"{change};\nCREATE TABLE public.dumped (id INTEGER);\n",
        "2_next.sql": "CREATE TABLE plain (id INTEGER);\n",
    })
    result = run(capsys, postgresql_url, folder, "upgrade")
    assert result.code == 0, str(result)
    assert tracked(postgresql_url) == ["1", "2"]
    with engine_for(postgresql_url) as engine:
        assert {"dumped", "plain"} <= set(sa.inspect(engine).get_table_names(schema="public"))


SYS_EXIT = """\
import sys


def upgrade(connection):
    connection.exec_driver_sql("CREATE TABLE before_exit (id INTEGER)")
    sys.exit(0)
"""

COMMITS = """\
def upgrade(connection):
    connection.exec_driver_sql("INSERT INTO applied_log (v) VALUES (2)")
    connection.commit()
    connection.exec_driver_sql("INSERT INTO applied_log (v) VALUES (22)")
"""

RAW_COMMIT = """\
def upgrade(connection):
    connection.exec_driver_sql("INSERT INTO applied_log (v) VALUES (2)")
    connection.connection.driver_connection.commit()
"""

COMMIT_STATEMENT = """\
def upgrade(connection):
    connection.exec_driver_sql("INSERT INTO applied_log (v) VALUES (2)")
    connection.exec_driver_sql("COMMIT")
"""


def test_sys_exit_in_a_python_script_fails_it(capsys, db_url, db_backend, make_scripts):
    folder = make_scripts({LOG: LOG_SQL, "2_exits.py": SYS_EXIT, "3_after.sql": "CREATE TABLE after (id INTEGER);"})
    result = run(capsys, db_url, folder, "upgrade")
    assert_clean_error(result, 1, "2_exits.py", "sys.exit(0)")
    assert "after" not in app_tables(db_url)
    if db_backend != "mariadb":
        assert "before_exit" not in app_tables(db_url)
        assert tracked(db_url) == ["1"]
        return
    # MariaDB committed the CREATE TABLE before sys.exit(): the journal says so, and the next run stops.
    assert "before_exit" in app_tables(db_url) and tracked(db_url) == ["1", "2"]
    again = run(capsys, db_url, folder, "upgrade")
    assert_clean_error(again, 5, "resolve 2")


def test_sys_exit_before_any_ddl_leaves_no_journal_row_on_mariadb(capsys, mariadb_url, make_scripts):
    folder = make_scripts({LOG: LOG_SQL, "2_exits.py": """\
        import sys


        def upgrade(connection):
            connection.exec_driver_sql("INSERT INTO applied_log (v) VALUES (2)")
            sys.exit("stop")
        """})
    result = run(capsys, mariadb_url, folder, "upgrade")
    assert_clean_error(result, 1, "2_exits.py", "sys.exit('stop')")
    assert tracked(mariadb_url) == ["1"]


@pytest.mark.parametrize("script", [COMMITS, COMMIT_STATEMENT, RAW_COMMIT], ids=["commit", "statement", "raw"])
def test_a_python_script_that_commits_fails_and_keeps_nothing(capsys, db_url, db_backend, make_scripts, script):
    if script is RAW_COMMIT and db_backend == "mariadb":
        pytest.skip("MySQL commits implicitly all the time; a raw commit cannot be told apart there")
    folder = make_scripts({LOG: LOG_SQL, "2_commits.py": script})
    result = run(capsys, db_url, folder, "upgrade")
    assert_clean_error(result, 1, "2_commits.py", "transaction")
    assert tracked(db_url) == ["1"]
    with engine_for(db_url) as engine, engine.connect() as connection:
        logged = sorted(connection.exec_driver_sql("SELECT v FROM applied_log").scalars())
    if script is not RAW_COMMIT:
        assert logged == []  # refused before the commit happened
    else:
        assert logged in ([], [2])  # the driver committed past SQLAlchemy; the script failed all the same


def test_a_savepoint_in_a_python_script_is_fine(capsys, db_url, make_scripts):
    folder = make_scripts({LOG: LOG_SQL, "2_nested.py": """\
        def upgrade(connection):
            with connection.begin_nested():
                connection.exec_driver_sql("INSERT INTO applied_log (v) VALUES (2)")
        """})
    result = run(capsys, db_url, folder, "upgrade")
    assert result.code == 0, str(result)
    assert tracked(db_url) == ["1", "2"]


def test_a_big_file_is_checked_as_it_runs_and_rolled_back(db_url, db_backend, make_scripts, monkeypatch):
    """Data loads over the pre-check size meet the same refusal when the statement comes up."""
    import lockgate.run.runner
    from lockgate import DBMigrator
    from lockgate.errors import ScriptFailedError

    monkeypatch.setattr(lockgate.run.runner, "PRECHECK_BYTES", 0)
    folder = make_scripts({LOG: LOG_SQL, "2_load.sql": "INSERT INTO applied_log (v) VALUES (2);\n"
                                                       "COMMIT;\nINSERT INTO applied_log (v) VALUES (3);\n"})
    with engine_for(db_url) as engine:
        with pytest.raises(ScriptFailedError) as raised:
            DBMigrator(engine, directory=folder).upgrade()
        with engine.connect() as connection:
            logged = list(connection.exec_driver_sql("SELECT v FROM applied_log").scalars())
    assert "2_load.sql, line 2" in str(raised.value) and "as the script ran" in str(raised.value)
    assert logged == [] and tracked(db_url) == ["1"]
