"""Exactly once under faults, on real servers: a lost lock, a killed runner, an idle timeout.

Each test runs lockgate in child processes as a deploy would, breaks something
on the server while a script is inside its transaction, and then checks the
database itself: every script applied once (a log row per script, and tables
that cannot be created twice), a tracking row for every applied script and
none for a script that is not applied.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from lockgate.dialects.base import lock_key

WAITING_SCRIPT = """\
import os
import time


def upgrade(connection):
    connection.exec_driver_sql("CREATE TABLE two (id INTEGER)")
    connection.exec_driver_sql("INSERT INTO applied_log (v) VALUES (2)")
    open(os.environ["LOCKGATE_TEST_INSIDE"], "w").close()
    deadline = time.time() + 60
    while not os.path.exists(os.environ["LOCKGATE_TEST_GO"]) and time.time() < deadline:
        time.sleep(0.05)
"""


def three_scripts(make_scripts, middle: str = WAITING_SCRIPT) -> Path:
    return make_scripts({
        "1_log.sql": "CREATE TABLE applied_log (v INTEGER NOT NULL);\nINSERT INTO applied_log (v) VALUES (1);",
        "2_two.py": middle,
        "3_three.sql": "CREATE TABLE three (id INTEGER);\nINSERT INTO applied_log (v) VALUES (3);",
    })


class Runner:
    """A ``lockgate upgrade`` in a child process, with the flag files its middle script waits on."""

    def __init__(self, url: str, folder: Path, flags: Path, *extra: str):
        flags.mkdir(parents=True, exist_ok=True)
        self.inside, self.go = flags / "inside", flags / "go"
        env = dict(os.environ, LOCKGATE_TEST_INSIDE=str(self.inside), LOCKGATE_TEST_GO=str(self.go))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "lockgate", "--url", url, "--directory", str(folder), *extra, "upgrade"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)

    def wait_inside(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not self.inside.exists():
            assert self.process.poll() is None, self.process.communicate()
            assert time.monotonic() < deadline, "the script never started"
            time.sleep(0.05)

    def release(self) -> None:
        self.go.touch()

    def finish(self, timeout: float = 90) -> tuple[int, str, str]:
        out, err = self.process.communicate(timeout=timeout)
        return self.process.returncode, out, err


def rows(url: str, sql: str) -> list:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(sa.text(sql)).scalars())
    finally:
        engine.dispose()


def execute(url: str, sql: str, **params) -> None:
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(sa.text(sql), params)
    finally:
        engine.dispose()


def assert_exactly_once(url: str, versions=(1, 2, 3)) -> None:
    assert sorted(rows(url, "SELECT v FROM applied_log")) == list(versions)
    assert sorted(int(v) for v in rows(url, "SELECT version FROM lockgate_versions")) == list(versions)
    assert set(rows(url, "SELECT state FROM lockgate_versions")) == {"applied"}


def assert_clean(stderr: str) -> None:
    assert "Traceback" not in stderr and "unexpected" not in stderr, stderr


def _wait_for(condition, timeout: float = 30, what: str = "the condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


# -- PostgreSQL ----------------------------------------------------------------


def _lock_backend(url: str) -> int:
    """The server process holding the run lock of lockgate_versions."""
    key = lock_key("lockgate_versions")
    classid, objid = (key >> 32) & 0xFFFFFFFF, key & 0xFFFFFFFF
    return _wait_for(lambda: (rows(url, (
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 "
        f"AND classid = {classid} AND objid = {objid} "
        "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")) or [None])[0],
        what="the lock holder")


def test_postgresql_lock_lost_by_termination_stops_the_run_and_a_second_runner_finishes(
        postgresql_url, make_scripts, tmp_path):
    folder = three_scripts(make_scripts)
    first = Runner(postgresql_url, folder, tmp_path / "a")
    first.wait_inside()
    execute(postgresql_url, "SELECT pg_terminate_backend(:pid)", pid=_lock_backend(postgresql_url))
    second = Runner(postgresql_url, folder, tmp_path / "b")
    time.sleep(0.5)  # the second runner has the lock and waits for the first one's open script
    assert second.process.poll() is None
    first.release()
    code, _, err = first.finish()
    assert code == 4, err
    assert "lost the migration lock" in err
    assert_clean(err)
    code, _, err = second.finish()
    assert code == 0, err
    assert_exactly_once(postgresql_url)


def test_postgresql_idle_in_transaction_timeout_does_not_end_the_lock(postgresql_url, make_scripts, tmp_path):
    database = sa.engine.make_url(postgresql_url).database
    execute(postgresql_url, f'ALTER DATABASE "{database}" SET idle_in_transaction_session_timeout = 300')
    folder = three_scripts(make_scripts)
    first = Runner(postgresql_url, folder, tmp_path / "a")
    first.wait_inside()
    second = Runner(postgresql_url, folder, tmp_path / "b")
    time.sleep(1.5)  # five timeouts long: the lock's session idles in its transaction all along
    first.release()
    code, _, err = first.finish()
    assert code == 0, err
    code, _, err = second.finish()
    assert code == 0, err
    assert_exactly_once(postgresql_url)


SLOW_SQL = ("CREATE TABLE applied_log (v INTEGER NOT NULL);\nSELECT pg_sleep(1.5);\n"
            "INSERT INTO applied_log (v) VALUES (1);")


def test_postgresql_killed_runner_whose_script_still_commits_is_waited_for(postgresql_url, make_scripts):
    folder = make_scripts({
        "1_slow.sql": SLOW_SQL,
        "2_two.sql": "CREATE TABLE two (id INTEGER);\nINSERT INTO applied_log (v) VALUES (2);",
        "3_three.sql": "CREATE TABLE three (id INTEGER);\nINSERT INTO applied_log (v) VALUES (3);",
    })
    command = [sys.executable, "-m", "lockgate", "--url", postgresql_url, "--directory", str(folder),
               "upgrade"]
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for(lambda: rows(postgresql_url, "SELECT count(*) FROM pg_stat_activity "
                                           "WHERE query LIKE '%pg_sleep(1.5)%' AND pid <> pg_backend_pid()")[0],
              what="the slow statement")
    first.send_signal(signal.SIGKILL)
    first.communicate()
    rerun = subprocess.run(command, capture_output=True, text=True, timeout=90)
    assert rerun.returncode == 0, rerun.stderr
    assert_clean(rerun.stderr)
    assert_exactly_once(postgresql_url)


# -- MariaDB -----------------------------------------------------------------------


def _lock_connection(url: str) -> int:
    database = sa.engine.make_url(url).database
    return _wait_for(lambda: rows(url, f"SELECT IS_USED_LOCK('lockgate:{database}:lockgate_versions')")[0],
                     what="the lock holder")


def test_mariadb_lock_lost_by_kill_stops_the_run_and_a_second_runner_finishes(
        mariadb_url, make_scripts, tmp_path):
    folder = three_scripts(make_scripts)
    first = Runner(mariadb_url, folder, tmp_path / "a")
    first.wait_inside()
    execute(mariadb_url, f"KILL {int(_lock_connection(mariadb_url))}")
    second = Runner(mariadb_url, folder, tmp_path / "b")
    time.sleep(0.5)
    assert second.process.poll() is None  # it waits for the first runner's script connection
    first.release()
    code, _, err = first.finish()
    assert code == 4, err
    assert "lost the migration lock" in err
    assert_clean(err)
    code, _, err = second.finish()
    assert code == 0, err
    assert_exactly_once(mariadb_url)


def test_mariadb_short_wait_timeout_does_not_end_the_lock(mariadb_url, make_scripts, tmp_path):
    url = str(sa.engine.make_url(mariadb_url).update_query_dict(
        {"init_command": "SET SESSION wait_timeout = 1"}))
    folder = three_scripts(make_scripts)
    first = Runner(url, folder, tmp_path / "a")
    first.wait_inside()
    second = Runner(url, folder, tmp_path / "b")
    time.sleep(2.5)  # longer than wait_timeout: both the lock's and the script's connections idle
    first.release()
    code, _, err = first.finish()
    assert code == 0, err
    code, _, err = second.finish()
    assert code == 0, err
    assert_exactly_once(mariadb_url)


# -- every database ------------------------------------------------------------


def test_a_tracking_row_of_another_run_is_never_taken_back(db_url, db_backend, make_scripts):
    """The clean-up after a failure removes only this run's own journal row."""
    from lockgate import DBMigrator
    from lockgate.errors import ScriptFailedError

    folder = make_scripts({"1_log.sql": "CREATE TABLE applied_log (v INTEGER NOT NULL);",
                           "2_bad.sql": "CREATE TABLE applied_log (v INTEGER);"})
    engine = sa.create_engine(db_url)
    try:
        migrator = DBMigrator(engine, directory=folder)
        with pytest.raises(ScriptFailedError):
            migrator.upgrade()
        assert rows(db_url, "SELECT version FROM lockgate_versions") == ["1"]
        assert all(len(r) == 32 for r in rows(db_url, "SELECT run_id FROM lockgate_versions"))
    finally:
        engine.dispose()
