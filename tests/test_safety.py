"""Safe deploys, for real: concurrent runs, killed runs, lock timeouts, PgBouncer."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

import forkserver
from clihelpers import table_names

from lockgate.database import create_engine_from_settings
from lockgate.dialects import adapter_for

SCRIPTS = 200
PROCESSES = 8


def lockgate(*args, env=None, **kwargs) -> subprocess.CompletedProcess:
    return forkserver.run(["-m", "lockgate", *args], timeout=180, env=env, **kwargs)


def many_scripts(folder: Path, count: int = SCRIPTS) -> Path:
    """Script 1 creates a log; every other script creates a table and logs itself once."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "1_log.sql").write_text("CREATE TABLE applied_log (v INTEGER NOT NULL);\n")
    for n in range(2, count + 1):
        (folder / f"{n}_table_{n}.sql").write_text(
            f"CREATE TABLE t_{n} (id INTEGER);\nINSERT INTO applied_log (v) VALUES ({n});\n")
    return folder


def run_at_once(url: str, folder: Path, processes: int = PROCESSES):
    command = ["-m", "lockgate", "--url", url, "--directory", str(folder), "-q", "upgrade"]
    started = [forkserver.popen(command) for _ in range(processes)]
    results = []
    for process in started:
        out, err = process.communicate(timeout=300)
        results.append((process.returncode, out, err))
    return results


def assert_applied_exactly_once(url: str, count: int = SCRIPTS) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            logged = connection.execute(sa.text("SELECT v FROM applied_log")).scalars().all()
            versions = connection.execute(sa.text("SELECT version FROM lockgate_versions")).scalars().all()
        assert sorted(logged) == list(range(2, count + 1))
        assert sorted(int(v) for v in versions) == list(range(1, count + 1))
    finally:
        engine.dispose()


def test_concurrent_upgrades_apply_every_script_exactly_once(db_url, tmp_path):
    folder = many_scripts(tmp_path / "scripts")
    results = run_at_once(db_url, folder)
    assert [code for code, _, _ in results] == [0] * PROCESSES, [err for _, _, err in results]
    assert_applied_exactly_once(db_url)


HANGING_SCRIPT = """
import os, time
from pathlib import Path

def upgrade(connection):
    connection.exec_driver_sql("CREATE TABLE half (id INTEGER)")
    marker = os.environ.get("LOCKGATE_TEST_HANG")
    if marker:
        Path(marker).touch()
        time.sleep(120)

def downgrade(connection):
    connection.exec_driver_sql("DROP TABLE half")
"""


def _kill_inside_script(url: str, folder: Path, marker: Path) -> None:
    env = dict(os.environ, LOCKGATE_TEST_HANG=str(marker))
    process = forkserver.popen(["-m", "lockgate", "--url", url, "--directory", str(folder), "-q", "upgrade"],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert process.poll() is None, "the run ended before reaching the script"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(10)


def _versions(url: str) -> list[str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return sorted(connection.execute(sa.text("SELECT version FROM lockgate_versions")).scalars())
    finally:
        engine.dispose()


def test_sigkill_inside_a_script(db_url, db_backend, make_scripts, tmp_path):
    folder = make_scripts({"1_first.sql": "CREATE TABLE first (id INTEGER);",
                           "2_slow.py": HANGING_SCRIPT})
    _kill_inside_script(db_url, folder, tmp_path / "inside")
    assert _versions(db_url) in (["1"], ["1", "2"])
    if db_backend != "mariadb":
        # Transactional DDL: nothing of the killed script remains, nothing recorded.
        assert "half" not in table_names(db_url)
        assert _versions(db_url) == ["1"]
        rerun = lockgate("--url", db_url, "--directory", str(folder), "upgrade")
        assert rerun.returncode == 0, rerun.stderr
        assert "half" in table_names(db_url) and _versions(db_url) == ["1", "2"]
        return
    # MariaDB committed the CREATE TABLE: the next run must stop and say so.
    assert "half" in table_names(db_url)
    stopped = lockgate("--url", db_url, "--directory", str(folder), "upgrade")
    assert stopped.returncode == 5, stopped.stderr
    assert "2" in stopped.stderr and "half" in stopped.stderr.lower() and "resolve" in stopped.stderr
    assert "Traceback" not in stopped.stderr
    status = lockgate("--url", db_url, "--directory", str(folder), "status")
    assert "started" in status.stdout
    # The operator looks, undoes the half-applied change, and tells lockgate.
    engine = sa.create_engine(db_url)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE half")
    engine.dispose()
    resolved = lockgate("--url", db_url, "--directory", str(folder), "resolve", "2", "--reverted")
    assert resolved.returncode == 0, resolved.stderr
    rerun = lockgate("--url", db_url, "--directory", str(folder), "upgrade")
    assert rerun.returncode == 0, rerun.stderr
    assert "half" in table_names(db_url) and _versions(db_url) == ["1", "2"]


def test_resolve_applied_marks_a_half_run_script_done_on_mariadb(mariadb_url, make_scripts, tmp_path):
    folder = make_scripts({"1_first.sql": "CREATE TABLE first (id INTEGER);", "2_slow.py": HANGING_SCRIPT})
    _kill_inside_script(mariadb_url, folder, tmp_path / "inside")
    resolved = lockgate("--url", mariadb_url, "--directory", str(folder), "resolve", "2", "--applied")
    assert resolved.returncode == 0, resolved.stderr
    status = lockgate("--url", mariadb_url, "--directory", str(folder), "status", "--json")
    assert '"started"' not in status.stdout and status.returncode == 0
    assert lockgate("--url", mariadb_url, "--directory", str(folder), "upgrade").returncode == 0
    assert _versions(mariadb_url) == ["1", "2"]


def test_a_waiting_run_times_out_naming_the_holder(db_url, make_scripts):
    folder = make_scripts({"1_first.sql": "CREATE TABLE first (id INTEGER);"})
    engine = create_engine_from_settings(db_url)
    try:
        with adapter_for(engine.dialect).run_lock(engine, "lockgate_versions", 5):
            started = time.monotonic()
            result = lockgate("--url", db_url, "--directory", str(folder), "--lock-timeout", "1", "upgrade")
            assert time.monotonic() - started < 30
    finally:
        engine.dispose()
    assert result.returncode == 4, result.stderr
    assert "lock" in result.stderr and "--lock-timeout" in result.stderr
    assert "Traceback" not in result.stderr
    assert "first" not in table_names(db_url)


@pytest.fixture(scope="module")
def pgbouncer(request):
    if shutil.which("pgbouncer") is None and not Path("/usr/sbin/pgbouncer").exists():
        if os.environ.get("LOCKGATE_TEST_REQUIRE_SERVERS") == "1":
            pytest.fail("pgbouncer is not installed (apt-get install pgbouncer)")
        pytest.skip("pgbouncer is not installed (apt-get install pgbouncer)")
    from pgbouncer import PgBouncer

    servers = request.getfixturevalue("db_servers")
    bouncer = PgBouncer(servers.need("postgresql").url_for("postgres"))
    yield bouncer
    bouncer.stop()


def test_exactly_once_through_pgbouncer_in_transaction_mode(postgresql_url, pgbouncer, tmp_path):
    folder = many_scripts(tmp_path / "scripts")
    through_pooler = pgbouncer.url_for(postgresql_url)
    results = run_at_once(through_pooler, folder)
    assert [code for code, _, _ in results] == [0] * PROCESSES, [err for _, _, err in results]
    assert_applied_exactly_once(postgresql_url)
