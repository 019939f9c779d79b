"""A script the splitter refuses is refused before anything of the run is applied.

MariaDB's DDL commits implicitly, so a refusal that came as the file streamed
past would leave the statements before it, and earlier scripts, applied. The
run splits such files first (see ``precheck``); these tests run on MariaDB.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from helpers import migrator, tracking_rows, user_tables
from lockgate.errors import LockgateError

ROUTINE = """\
CREATE TABLE b (id INT);
DELIMITER //
CREATE PROCEDURE p() BEGIN SELECT 1; END
DELIMITER ;
CALL p();
"""


@pytest.fixture
def mariadb(mariadb_url):
    engine = sa.create_engine(mariadb_url)
    yield engine
    engine.dispose()


def _tracking_rows(engine) -> list[dict]:
    return tracking_rows(engine) if "lockgate_versions" in sa.inspect(engine).get_table_names() else []


@pytest.mark.parametrize("directive", ["", "-- lockgate: no-transaction\n"])
def test_a_swallowed_delimiter_line_refuses_the_run_before_anything_runs(mariadb, make_scripts, directive):
    scripts = make_scripts({"0001_a.sql": "CREATE TABLE a (id INT);\n",
                            "0002_routine.sql": directive + ROUTINE})
    line = 3 + directive.count("\n")
    with pytest.raises(LockgateError) as refused:
        migrator(mariadb, scripts).upgrade()
    message = str(refused.value)
    assert "0002_routine.sql, line " + str(line) + ": the statement that starts here has no terminator" in message
    assert f"DELIMITER line at line {line + 1}" in message and "End the statement with // " in message
    assert user_tables(mariadb) == set()
    assert _tracking_rows(mariadb) == []
    with mariadb.connect() as connection:
        assert connection.exec_driver_sql("SHOW PROCEDURE STATUS WHERE Db = DATABASE()").fetchall() == []


def test_the_script_runs_once_the_statement_is_terminated(mariadb, make_scripts):
    fixed = ROUTINE.replace("END\n", "END//\n")
    scripts = make_scripts({"0001_a.sql": "CREATE TABLE a (id INT);\n", "0002_routine.sql": fixed})
    migrator(mariadb, scripts).upgrade()
    assert user_tables(mariadb) == {"a", "b"}
    assert [r["version"] for r in _tracking_rows(mariadb)] == ["1", "2"]
    with mariadb.connect() as connection:
        assert connection.exec_driver_sql("CALL p()").scalar() == 1
