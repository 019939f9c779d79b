"""Drift detection, version-control provenance, non-transactional scripts, timeouts, rehearsals."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time

import pytest
import sqlalchemy as sa

from clihelpers import cli
from helpers import engine  # noqa: F401  (a fixture)
from lockgate import DBMigrator, DriftError, LockgateError, ScriptFailedError

THREE = {
    "1_one.sql": "CREATE TABLE one (id INTEGER);\n",
    "1_downgrade.sql": "DROP TABLE one;\n",
    "2_two.sql": "CREATE TABLE two (id INTEGER);\n",
    "3_three.sql": "CREATE TABLE three (id INTEGER);\n",
}


def catalog(engine) -> dict:
    """Every table with its columns, and every tracking row: what must not change."""
    inspector = sa.inspect(engine)
    tables = {name: [(c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(name)]
              for name in sorted(inspector.get_table_names())}
    rows = []
    if "lockgate_versions" in tables:
        with engine.connect() as connection:
            rows = [tuple(r) for r in connection.execute(sa.text(
                "SELECT version, checksum, applied_at, state FROM lockgate_versions ORDER BY version"))]
    return {"tables": tables, "rows": rows}


def test_verify_catches_an_edited_a_deleted_and_an_out_of_order_script(engine, db_url, make_scripts, capsys):
    scripts = make_scripts(THREE)
    (scripts / "2_two.sql").rename(scripts / "2_two.sql.later")
    DBMigrator(engine, directory=scripts).upgrade()
    assert cli(capsys, "--url", db_url, "--directory", scripts, "verify").code == 0

    (scripts / "2_two.sql.later").rename(scripts / "2_two.sql")           # arrives late
    (scripts / "3_three.sql").write_text("CREATE TABLE three (id BIGINT);\n")  # edited
    (scripts / "1_one.sql").unlink()                                        # deleted
    (scripts / "1_downgrade.sql").unlink()

    found = DBMigrator(engine, directory=scripts).verify()
    assert ([s.version for s in found.changed], [s.version for s in found.missing],
            [s.version for s in found.out_of_order]) == (["3"], ["1"], ["2"])
    r = cli(capsys, "--url", db_url, "--directory", scripts, "verify", "--json")
    assert r.code == 1
    assert json.loads(r.out) == {"ok": False, "changed": ["3"], "missing": ["1"],
                                 "out_of_order": ["2"], "unfinished": []}
    text = cli(capsys, "--url", db_url, "--directory", scripts, "verify")
    assert text.code == 1 and "changed       3 three" in text.out and "missing       1 one" in text.out


def test_line_endings_and_trailing_whitespace_are_not_drift(engine, make_scripts):
    scripts = make_scripts(THREE)
    DBMigrator(engine, directory=scripts).upgrade()
    (scripts / "2_two.sql").write_bytes(b"CREATE TABLE two (id INTEGER);   \r\n\r\n\r\n")
    assert DBMigrator(engine, directory=scripts).verify().ok


def test_upgrade_warns_about_drift_and_refuses_with_strict(engine, db_url, make_scripts, capsys):
    scripts = make_scripts({"1_one.sql": THREE["1_one.sql"]})
    DBMigrator(engine, directory=scripts).upgrade()
    make_scripts({"1_one.sql": "CREATE TABLE one (id BIGINT);\n", "2_two.sql": THREE["2_two.sql"]},
                 root=scripts)

    with pytest.raises(DriftError, match="1_one.sql"):
        DBMigrator(engine, directory=scripts).upgrade(strict=True)
    assert "two" not in sa.inspect(engine).get_table_names()
    r = cli(capsys, "--url", db_url, "--directory", scripts, "upgrade", "--strict")
    assert r.code == 1 and "--strict" in r.err

    r = cli(capsys, "--url", db_url, "--directory", scripts, "upgrade")
    assert r.code == 0 and "warning: 1 (1_one.sql) changed since it was applied" in r.err
    assert "two" in sa.inspect(engine).get_table_names()


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_history_records_the_commit_the_scripts_came_from(db_url, tmp_path, capsys):
    repo = tmp_path / "repo"
    scripts = repo / "migrations"
    scripts.mkdir(parents=True)
    (scripts / "1_one.sql").write_text(THREE["1_one.sql"])
    git = ["git", "-C", str(repo), "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run(git[:3] + ["init", "-q"], check=True)
    subprocess.run(git + ["add", "."], check=True)
    subprocess.run(git + ["commit", "-qm", "one"], check=True)
    head = subprocess.run(git[:3] + ["rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    (scripts / "2_two.sql").write_text(THREE["2_two.sql"])  # not committed yet

    assert cli(capsys, "--url", db_url, "--directory", scripts, "upgrade").code == 0
    r = cli(capsys, "--url", db_url, "--directory", scripts, "history", "--json")
    revisions = {row["version"]: row["vcs_revision"] for row in json.loads(r.out)}
    assert revisions == {"1": head, "2": f"{head}-dirty"}
    table = cli(capsys, "--url", db_url, "--directory", scripts, "history").out
    assert head[:12] in table and f"{head[:12]}-dirty" in table


def test_a_directory_outside_version_control_records_no_commit(engine, make_scripts, tmp_path):
    scripts = make_scripts(THREE)
    DBMigrator(engine, directory=scripts).upgrade()
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT vcs_revision FROM lockgate_versions")).scalars().all() \
            == [None, None, None] or shutil.which("git") is None


def test_create_index_concurrently_runs_outside_a_transaction(postgresql_url, make_scripts, capsys):
    scripts = make_scripts({
        "1_table.sql": "CREATE TABLE big (id INTEGER, label TEXT);\n",
        "2_index.sql": """
            -- lockgate: no-transaction
            CREATE INDEX CONCURRENTLY big_label ON big (label);
        """,
        "2_downgrade.sql": "-- lockgate: no-transaction\nDROP INDEX CONCURRENTLY big_label;\n",
    })
    # A statement timeout turns a regression (CIC waiting on the lock's transaction) into a failure.
    assert cli(capsys, "--url", postgresql_url, "--directory", scripts, "--statement-timeout", "60s",
               "upgrade").code == 0
    engine = sa.create_engine(postgresql_url)
    try:
        assert [i["name"] for i in sa.inspect(engine).get_indexes("big")] == ["big_label"]
        assert cli(capsys, "--url", postgresql_url, "--directory", scripts, "downgrade").code == 0
        assert sa.inspect(engine).get_indexes("big") == []
        assert cli(capsys, "--url", postgresql_url, "--directory", scripts, "upgrade").code == 0
    finally:
        engine.dispose()


def test_a_python_script_can_ask_to_run_outside_a_transaction(postgresql_url, make_scripts):
    scripts = make_scripts({
        "1_table.sql": "CREATE TABLE big (id INTEGER);\n",
        "2_index.py": """
            transaction = False

            def upgrade(connection):
                connection.exec_driver_sql("CREATE INDEX CONCURRENTLY big_id ON big (id)")
        """,
    })
    engine = sa.create_engine(postgresql_url)
    try:
        DBMigrator(engine, directory=scripts).upgrade()
        assert [i["name"] for i in sa.inspect(engine).get_indexes("big")] == ["big_id"]
    finally:
        engine.dispose()


def test_a_failing_non_transactional_script_is_reported_as_possibly_partial(db_url, make_scripts):
    scripts = make_scripts({"1_two_steps.sql": """
        -- lockgate: no-transaction
        CREATE TABLE kept (id INTEGER);
        INSERT INTO missing_table (id) VALUES (1);
    """})
    engine = sa.create_engine(db_url)
    try:
        with pytest.raises(ScriptFailedError, match="outside a transaction") as caught:
            DBMigrator(engine, directory=scripts).upgrade()
        assert caught.value.partial is True
        assert "kept" in sa.inspect(engine).get_table_names()
        with engine.connect() as connection:
            assert connection.execute(sa.text("SELECT COUNT(*) FROM lockgate_versions")).scalar() == 0
    finally:
        engine.dispose()


def test_ddl_lock_timeout_fails_fast_behind_a_long_transaction(postgresql_url, make_scripts, capsys):
    scripts = make_scripts({"1_table.sql": "CREATE TABLE busy (id INTEGER);\n",
                            "2_alter.sql": "ALTER TABLE busy ADD COLUMN note TEXT;\n"})
    assert cli(capsys, "--url", postgresql_url, "--directory", scripts, "upgrade", "1").code == 0
    engine = sa.create_engine(postgresql_url)
    blocker = engine.connect()
    try:
        blocker.execute(sa.text("SELECT * FROM busy"))  # an open transaction holds a share lock
        started = time.monotonic()
        r = cli(capsys, "--url", postgresql_url, "--directory", scripts, "--ddl-lock-timeout", "1s", "upgrade")
        assert time.monotonic() - started < 20
        assert r.code == 1 and "lock timeout" in r.err.lower()
    finally:
        blocker.rollback()
        blocker.close()
        engine.dispose()
    assert cli(capsys, "--url", postgresql_url, "--directory", scripts, "upgrade").code == 0


def test_dry_run_prints_the_plan_and_sql_and_touches_nothing(engine, db_url, make_scripts, capsys):
    scripts = make_scripts(THREE)
    before = catalog(engine)
    r = cli(capsys, "--url", db_url, "--directory", scripts, "upgrade", "--dry-run")
    assert r.code == 0
    assert "Would apply 3 scripts" in r.out and "CREATE TABLE three (id INTEGER);" in r.out
    assert catalog(engine) == before


@pytest.mark.parametrize("applied_first", [False, True])
def test_rehearse_leaves_everything_as_it_was(engine, db_url, db_backend, make_scripts, capsys, applied_first):
    scripts = make_scripts(THREE)
    if applied_first:
        DBMigrator(engine, directory=scripts).upgrade("1")
    before = catalog(engine)
    r = cli(capsys, "--url", db_url, "--directory", scripts, "upgrade", "--rehearse")
    if db_backend == "mariadb":
        assert r.code == 1 and "commits DDL statements implicitly" in r.err
    else:
        assert r.code == 0, r.err
        assert "Rehearsed (and rolled back)" in r.out
    assert catalog(engine) == before


def test_rehearse_fails_when_a_pending_script_would_fail(engine, db_url, db_backend, make_scripts, capsys):
    scripts = make_scripts({**THREE, "4_broken.sql": "INSERT INTO nowhere (id) VALUES (1);\n"})
    before = catalog(engine)
    r = cli(capsys, "--url", db_url, "--directory", scripts, "upgrade", "--rehearse")
    expected = "commits DDL statements implicitly" if db_backend == "mariadb" else "4_broken.sql, line 1"
    assert r.code == 1 and expected in r.err
    assert catalog(engine) == before


def test_a_lock_waiter_is_told_who_holds_the_lock(db_url, make_scripts, capsys, tmp_path):
    marker = tmp_path / "running"
    scripts = make_scripts({"1_slow.py": f"""
        import time
        from pathlib import Path

        def upgrade(connection):
            Path({str(marker)!r}).touch()
            time.sleep(1.5)
    """})
    engine = sa.create_engine(db_url)
    first = threading.Thread(target=lambda: DBMigrator(engine, directory=scripts).upgrade())
    first.start()
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():  # the first run holds the lock and is inside its script
            assert time.monotonic() < deadline and first.is_alive()
            time.sleep(0.02)
        r = cli(capsys, "--url", db_url, "--directory", scripts, "upgrade")
    finally:
        first.join()
        engine.dispose()
    assert r.code == 0 and "Waiting for the migration lock, held by" in r.err
    assert "up to date" in r.out


def test_rehearse_refuses_a_non_transactional_script(postgresql_url, make_scripts, capsys):
    scripts = make_scripts({"1_table.sql": "CREATE TABLE big (id INTEGER);\n",
                            "2_index.sql": "-- lockgate: no-transaction\nCREATE INDEX CONCURRENTLY i ON big (id);\n"})
    r = cli(capsys, "--url", postgresql_url, "--directory", scripts, "upgrade", "--rehearse")
    assert r.code == 1 and "2_index.sql runs outside a transaction" in r.err
    engine = sa.create_engine(postgresql_url)
    try:
        assert sa.inspect(engine).get_table_names() == []
    finally:
        engine.dispose()


def test_rehearsal_is_refused_with_a_reason_on_mariadb(mariadb_url, make_scripts):
    engine = sa.create_engine(mariadb_url)
    try:
        with pytest.raises(LockgateError, match="implicitly"):
            DBMigrator(engine, directory=make_scripts(THREE)).rehearse()
    finally:
        engine.dispose()


def test_create_index_concurrently_under_the_lock_with_psycopg2(postgresql_url, make_scripts, capsys):
    """The lock's idle transaction must not pin an xmin with either driver, or CIC waits forever."""
    url = postgresql_url.replace("postgresql+psycopg://", "postgresql+psycopg2://", 1)
    scripts = make_scripts({
        "1_table.sql": "CREATE TABLE big (id INTEGER);\n",
        "2_index.sql": "-- lockgate: no-transaction\nCREATE INDEX CONCURRENTLY big_id ON big (id);\n",
    })
    r = cli(capsys, "--url", url, "--directory", scripts, "--statement-timeout", "60s", "upgrade")
    assert r.code == 0, r.err
    engine = sa.create_engine(url)
    try:
        assert [i["name"] for i in sa.inspect(engine).get_indexes("big")] == ["big_id"]
    finally:
        engine.dispose()
