"""`lockgate fleet`: where targets come from, shards, canaries, stops, commands, output, bad input."""

from __future__ import annotations

import io
import json
import shlex
import sys

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

import forkserver

from clihelpers import cli
from lockgate import ConfigError, Fleet
from lockgate.cli.fleet_display import FleetDisplay
from lockgate.fleet.report import TargetResult
from lockgate.fleet.targets import (Target, read_targets_file, shard_of, take_shard, targets_from_command,
                                    targets_from_query)
from test_fleet import SCRIPTS, execute, versions

PASSWORD = "hunter2-never-shown"


@pytest.fixture
def scripts(make_scripts):
    return make_scripts(SCRIPTS)


def sqlite_urls(tmp_path, count: int, prefix: str = "t") -> list[str]:
    return [f"sqlite:///{tmp_path / f'{prefix}{i:03}.sqlite'}" for i in range(count)]


def write_lines(tmp_path, lines: list[str], name: str = "targets.txt"):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_shards_cover_every_target_exactly_once_whatever_the_order():
    names = [f"tenant-{i}" for i in range(500)]
    targets = [Target(name, url=f"sqlite:///{name}.db") for name in names]
    for count in (1, 2, 3, 8):
        shares = [take_shard(targets, index, count) for index in range(1, count + 1)]
        taken = [t.name for share in shares for t in share]
        assert sorted(taken) == sorted(names)  # each exactly once
        assert [take_shard(list(reversed(targets)), i, count)[::-1] for i in range(1, count + 1)] == shares
    assert min(len(take_shard(targets, i, 4)) for i in range(1, 5)) > 80  # roughly even
    assert shard_of("tenant-7", 4) == shard_of("tenant-7", 4)


def test_shard_runs_on_the_command_line_migrate_disjoint_shares_that_add_up(capsys, tmp_path, scripts):
    urls = sqlite_urls(tmp_path, 30)
    targets = write_lines(tmp_path, urls)
    seen: list[str] = []
    for index in (1, 2, 3):
        result = cli(capsys, "fleet", "upgrade", "--targets", targets, "--directory", scripts,
                     "--shard", f"{index}/3", "--json")
        assert result.code == 0, result
        seen += [t["name"] for t in result.json()["targets"]]
    assert sorted(seen) == sorted(u.removeprefix("sqlite:///") for u in urls)
    assert all(versions(u) == ["1", "2"] for u in urls)


@pytest.mark.parametrize("shard", ["0/3", "4/3", "2", "a/b", "1/0"])
def test_a_bad_shard_is_a_usage_error(capsys, tmp_path, scripts, shard):
    targets = write_lines(tmp_path, sqlite_urls(tmp_path, 2))
    result = cli(capsys, "fleet", "upgrade", "--targets", targets, "--directory", scripts, "--shard", shard)
    assert result.code == 2 and "is not I/N" in result.err and "Traceback" not in result.err
    assert not list(tmp_path.glob("*.sqlite"))


def test_toml_ini_and_line_files_give_the_same_kind_of_targets(tmp_path, scripts):
    toml = tmp_path / "fleet.toml"
    toml.write_text(f"""
[defaults]
lock_timeout = 30

[[targets]]
name = "acme"
url = "sqlite:///{tmp_path / 'acme.sqlite'}"
table = "acme_versions"

[[targets]]
url = "postgresql+psycopg://app@db.example/shared"
schema = "tenant_7"
password_env = "TENANT_PASSWORD"
""", encoding="utf-8")
    ini = tmp_path / "fleet.ini"
    ini.write_text(f"""
[DEFAULT]
lock_timeout = 30

[target:acme]
url = sqlite:///{tmp_path / 'acme.sqlite'}
table = acme_versions

[globex]
url = postgresql+psycopg://app:p%40ss@db.example/shared
schema = tenant_8
""", encoding="utf-8")
    lines = write_lines(tmp_path, [f"sqlite:///{tmp_path / 'acme.sqlite'} name=acme table=acme_versions "
                                   "lock_timeout=30", "# a comment", "",
                                   "postgresql+psycopg://app@db.example/shared schema=tenant_9"])
    from_toml, from_ini, from_lines = (read_targets_file(p) for p in (toml, ini, lines))

    for found in (from_toml, from_ini, from_lines):
        assert found[0].name == "acme" and dict(found[0].settings) == {"lock_timeout": "30",
                                                                        "table": "acme_versions"}
        assert found[1].kind == "schema"
    assert [t.name for t in from_toml + from_ini + from_lines] == [
        "acme", "shared.tenant_7", "acme", "globex", "acme", "shared.tenant_9"]
    assert from_toml[1].password_env == "TENANT_PASSWORD"
    assert "p%40ss" not in from_ini[1].shown() and "p@ss" not in from_ini[1].shown()
    result = Fleet(from_toml[:1], directory=str(scripts)).upgrade()
    assert result.ok
    assert versions(f"sqlite:///{tmp_path / 'acme.sqlite'}") == []  # not in lockgate_versions...
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'acme.sqlite'}", poolclass=NullPool)
    with engine.connect() as connection:  # ...but in the table its entry names
        assert connection.exec_driver_sql("SELECT count(*) FROM acme_versions").scalar() == 2
    engine.dispose()


def test_targets_from_a_command_run_without_a_shell(capsys, tmp_path, scripts):
    urls = sqlite_urls(tmp_path, 3)
    program = "import sys; print('\\n'.join(sys.argv[1:]))"
    command = shlex.join([sys.executable, "-c", program, *urls, "; touch pwned"])
    with pytest.raises(ConfigError, match="is not key=value"):  # one argument, printed, not run
        targets_from_command(command)
    assert not (tmp_path / "pwned").exists()
    command = shlex.join([sys.executable, "-c", program, *urls])
    assert [t.url for t in targets_from_command(command)] == urls
    result = cli(capsys, "fleet", "upgrade", "--targets-from-command", command, "--directory", scripts)
    assert result.code == 0, result
    assert all(versions(u) == ["1", "2"] for u in urls)

    failing = shlex.join([sys.executable, "-c", "import sys; sys.exit('no tenants today')"])
    result = cli(capsys, "fleet", "status", "--targets-from-command", failing, "--directory", scripts)
    assert result.code == 2 and "exit code 1: no tenants today" in result.err


def test_targets_from_a_catalog_query(capsys, tmp_path, scripts):
    urls = sqlite_urls(tmp_path, 4)
    catalog = f"sqlite:///{tmp_path / 'catalog.sqlite'}"
    execute(catalog, "CREATE TABLE tenants (slug TEXT, dsn TEXT, active INTEGER)")
    for number, url in enumerate(urls):
        execute(catalog, f"INSERT INTO tenants VALUES ('t{number}', '{url}', {number % 2})")
    found = targets_from_query(catalog, "SELECT slug AS name, dsn AS url FROM tenants WHERE active = 1")
    assert [(t.name, t.url) for t in found] == [("t1", urls[1]), ("t3", urls[3])]
    result = cli(capsys, "fleet", "upgrade", "--catalog", catalog, "--targets-query",
                 "SELECT dsn FROM tenants WHERE active = 0", "--directory", scripts)
    assert result.code == 0, result
    assert [len(versions(u)) for u in urls] == [2, 0, 2, 0]
    result = cli(capsys, "fleet", "status", "--catalog", catalog, "--targets-query",
                 "SELECT slug, active FROM tenants", "--directory", scripts)
    assert result.code == 2 and "needs a url or a schema column" in result.err


@pytest.mark.postgresql
def test_schemas_from_a_catalog_query_on_postgresql(capsys, postgresql_url, scripts):
    execute(postgresql_url, "CREATE SCHEMA tenant_a; CREATE SCHEMA tenant_b; CREATE SCHEMA other")
    result = cli(capsys, "fleet", "upgrade", "--catalog", postgresql_url, "--targets-query",
                 "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tenant%' ORDER BY 1",
                 "--directory", scripts, "--json")
    assert result.code == 0, result
    assert [(t["kind"], t["versions"]) for t in result.json()["targets"]] == [("schema", ["1", "2"])] * 2
    assert versions(postgresql_url, "tenant_a") == versions(postgresql_url, "tenant_b") == ["1", "2"]
    assert versions(postgresql_url, "other") == versions(postgresql_url) == []


@pytest.mark.postgresql
def test_passwords_are_never_printed(capsys, tmp_path, postgresql_url, scripts, monkeypatch):
    url = sa.make_url(postgresql_url)
    missing = url.set(database="lg_no_such_database", password=PASSWORD).render_as_string(hide_password=False)
    monkeypatch.setenv("FLEET_PASSWORD", PASSWORD)
    plain = url.set(password=None).render_as_string(hide_password=False)
    targets = write_lines(tmp_path, [missing, f"{plain} password_env=FLEET_PASSWORD name=good"])
    report = tmp_path / "report.json"
    for flags in ([], ["--json"]):
        result = cli(capsys, "fleet", "upgrade", "--targets", targets, "--directory", scripts,
                     "--report", report, *flags)
        assert result.code == 1, result
        assert PASSWORD not in result.out + result.err + report.read_text(encoding="utf-8")
    found = json.loads(report.read_text(encoding="utf-8"))["targets"]
    assert [t["state"] for t in found] == ["failed", "ok"]
    assert "lg_no_such_database" in found[0]["error"] and "***" in found[0]["where"]


def test_an_unset_password_variable_fails_before_anything_runs(capsys, tmp_path, scripts, monkeypatch):
    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)
    urls = sqlite_urls(tmp_path, 2)
    targets = write_lines(tmp_path, [urls[0], f"{urls[1]} password_env=NOT_SET_ANYWHERE"])
    result = cli(capsys, "fleet", "upgrade", "--targets", targets, "--directory", scripts)
    assert result.code == 2 and "NOT_SET_ANYWHERE" in result.err
    assert not list(tmp_path.glob("*.sqlite"))


def test_canary_stops_the_rest_when_one_of_the_first_fails(capsys, tmp_path, scripts):
    urls = sqlite_urls(tmp_path, 6)
    broken = f"sqlite:///{tmp_path / 'missing' / 'x.sqlite'}"
    targets = write_lines(tmp_path, [urls[0], broken, *urls[2:]])
    result = cli(capsys, "fleet", "upgrade", "--targets", targets, "--directory", scripts,
                 "--canary", 2, "--json")
    assert result.code == 1
    found = result.json()
    assert [t["state"] for t in found["targets"]] == ["ok", "failed", "skipped", "skipped", "skipped", "skipped"]
    assert "canary" in found["stopped"]
    assert [len(versions(u)) for u in urls[2:]] == [0, 0, 0, 0]

    targets = write_lines(tmp_path, urls)  # a healthy canary: then the rest runs
    result = cli(capsys, "fleet", "upgrade", "--targets", targets, "--directory", scripts, "--canary", 2)
    assert result.code == 0 and all(versions(u) == ["1", "2"] for u in urls)


def test_fail_fast_starts_no_more_targets_after_a_failure(capsys, tmp_path, scripts):
    urls = sqlite_urls(tmp_path, 5)
    broken = f"sqlite:///{tmp_path / 'missing' / 'x.sqlite'}"
    targets = write_lines(tmp_path, [urls[0], broken, *urls[2:]])
    result = cli(capsys, "fleet", "upgrade", "--targets", targets, "--directory", scripts,
                 "--jobs", 1, "--fail-fast", "--json")
    assert [t["state"] for t in result.json()["targets"]] == ["ok", "failed", "skipped", "skipped", "skipped"]
    result = cli(capsys, "fleet", "upgrade", "--targets", targets, "--directory", scripts, "--jobs", 1, "--json")
    assert [t["state"] for t in result.json()["targets"]] == ["ok", "failed", "ok", "ok", "ok"]
    assert result.code == 1


def test_status_check_verify_and_downgrade(capsys, tmp_path, scripts):
    urls = sqlite_urls(tmp_path, 3)
    targets = write_lines(tmp_path, urls)
    common = ["--targets", targets, "--directory", scripts, "--json"]
    status = cli(capsys, "fleet", "status", *common)
    assert status.code == 0 and [t["pending"] for t in status.json()["targets"]] == [["1", "2"]] * 3
    check = cli(capsys, "fleet", "check", *common)
    assert check.code == 1 and check.json()["targets"][0]["error"] == "pending: 1, 2."
    assert cli(capsys, "fleet", "upgrade", *common).code == 0
    assert cli(capsys, "fleet", "check", *common).code == 0
    (scripts / "1_create_a.sql").write_text("CREATE TABLE a (id INTEGER PRIMARY KEY, x INTEGER);\n")
    verify = cli(capsys, "fleet", "verify", *common)
    assert verify.code == 1 and verify.json()["targets"][2]["changed"] == ["1"]
    (scripts / "1_create_a.sql").write_text(SCRIPTS["1_create_a.sql"])

    no_to = cli(capsys, "fleet", "downgrade", *common)
    assert no_to.code == 2 and "--to VERSION" in no_to.err
    down = cli(capsys, "fleet", "downgrade", *common, "--to", "1")
    assert down.code == 0 and [t["versions"] for t in down.json()["targets"]] == [["2"]] * 3
    assert all(versions(u) == ["1"] for u in urls)


@pytest.mark.parametrize("line, words", [
    ("{url} colour=blue", "unknown setting(s) colour"),
    ("{url} schema=tenant_1", "needs a database with schemas"),
    ("{url} lock_timeout=soon", "lock_timeout must be a number of seconds"),
    ("{url} oops", "is not key=value"),
    ("app.sqlite", "does not exist"),
])
def test_bad_targets_are_usage_errors_before_anything_runs(capsys, tmp_path, scripts, line, words):
    url = sqlite_urls(tmp_path, 1)[0]
    targets = write_lines(tmp_path, [sqlite_urls(tmp_path, 1, "ok")[0], line.format(url=url)])
    result = cli(capsys, "fleet", "upgrade", "--targets", targets, "--directory", scripts)
    assert result.code == 2, result
    assert words in result.err and "Traceback" not in result.err
    assert not list(tmp_path.glob("*.sqlite"))


def test_two_targets_with_one_name_and_reports_that_are_none_are_refused(capsys, tmp_path, scripts):
    url = sqlite_urls(tmp_path, 1)[0]
    twice = write_lines(tmp_path, [url, url])
    result = cli(capsys, "fleet", "status", "--targets", twice, "--directory", scripts)
    assert result.code == 2 and "Give each a name of its own" in result.err
    once = write_lines(tmp_path, [url], "once.txt")
    write_lines(tmp_path, ['{"not": "a report"}'], "other.json")
    result = cli(capsys, "fleet", "upgrade", "--targets", once, "--directory", scripts,
                 "--only-failed", tmp_path / "other.json")
    assert result.code == 2 and "is not a fleet report" in result.err
    missing = cli(capsys, "fleet", "upgrade", "--targets", tmp_path / "nowhere.txt", "--directory", scripts)
    assert missing.code == 2 and "Cannot read the targets file" in missing.err


def test_a_log_gets_one_line_per_target_and_a_summary(capsys, tmp_path, scripts):
    urls = sqlite_urls(tmp_path, 3)
    targets = write_lines(tmp_path, urls)
    result = cli(capsys, "fleet", "upgrade", "--targets", targets, "--directory", scripts)
    lines = result.out.splitlines()
    assert sorted(line.split()[:3] for line in lines[:3]) == [["ok", u.removeprefix("sqlite:///"), "2/2"]
                                                              for u in urls]
    assert lines[3].startswith("fleet upgrade: 3 ok, 0 failed, 0 skipped of 3 targets in ")


def test_the_live_table_shows_running_targets_and_counts():
    stream = io.StringIO()
    results = [TargetResult(f"tenant-{i}", "database", "x", state="running" if i < 2 else "queued",
                            done=1, total=4) for i in range(5)]
    results[4].state, results[4].error = "failed", "script 2 failed: boom"
    display = FleetDisplay(stream, live=True)
    display.begin(lambda: results, [r.name for r in results])
    display.end()
    shown = stream.getvalue()
    assert "tenant-0" in shown and "tenant-1" in shown and "1/4" in shown and "boom" in shown
    assert "tenant-2" not in shown  # queued targets are counted, not listed
    assert "0 ok, 1 failed, 2 running, 2 queued of 5 targets" in shown


def test_the_python_api(tmp_path, scripts):
    import lockgate

    urls = sqlite_urls(tmp_path, 4)
    result = lockgate.Fleet(urls, directory=str(scripts), lock_timeout=10).upgrade(jobs=2)
    assert result.ok and result.exit_code == 0
    assert [(r.state, r.done, r.total) for r in result] == [("ok", 2, 2)] * 4
    assert json.loads(json.dumps(result.as_dict()))["counts"] == {"ok": 4, "failed": 0, "skipped": 0}
    with pytest.raises(lockgate.ConfigError, match="lock_timeout"):
        lockgate.Fleet(urls, directory=str(scripts), lock_timeout="soon")


@pytest.mark.postgresql
def test_each_schema_has_its_own_run_lock(postgresql_url, scripts):
    """A migration holding tenant_a's lock holds up tenant_a only; public keeps the key it always had."""
    from lockgate.dialects.base import lock_key

    execute(postgresql_url, "CREATE SCHEMA tenant_a; CREATE SCHEMA tenant_b")
    targets = [Target(f"tenant_{s}", url=postgresql_url, schema=f"tenant_{s}") for s in "ab"]
    holder = sa.create_engine(postgresql_url, poolclass=NullPool)
    with holder.connect() as connection:
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({lock_key('tenant_a.lockgate_versions')})")
        result = Fleet(targets, directory=str(scripts), lock_timeout=1).upgrade(jobs=2)
        connection.rollback()
    held, free = result.results
    assert (held.state, held.exit_code, free.state) == ("failed", 4, "ok")
    assert "Waited" in held.error and "migration lock" in held.error
    assert versions(postgresql_url, "tenant_a") == [] and versions(postgresql_url, "tenant_b") == ["1", "2"]

    with holder.connect() as connection:  # the public schema's lock is not the tenants'
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({lock_key('lockgate_versions')})")
        result = Fleet(targets[:1], directory=str(scripts), lock_timeout=1).upgrade()
        connection.rollback()
    holder.dispose()
    assert result.ok and versions(postgresql_url, "tenant_a") == ["1", "2"]


def test_an_interrupted_fleet_stops_between_scripts_and_still_writes_its_report(tmp_path, make_scripts):
    import os
    import signal
    import time

    marks = tmp_path / "marks"
    marks.mkdir()
    scripts = make_scripts({
        "1_slow.py": f"""
            import os, time, uuid

            def upgrade(connection):
                open(os.path.join({str(marks)!r}, uuid.uuid4().hex), "w").close()
                time.sleep(2)
            """,
        "2_create_b.sql": "CREATE TABLE b (id INTEGER);\n",
    })
    urls = sqlite_urls(tmp_path, 4)
    targets = write_lines(tmp_path, urls)
    report = tmp_path / "report.json"
    lockgate = os.path.join(os.path.dirname(sys.executable), "lockgate")
    process = forkserver.popen([lockgate, "fleet", "upgrade", "--targets", str(targets), "--directory",
                                str(scripts), "--jobs", "2", "--report", str(report)])
    deadline = time.monotonic() + 60
    while len(list(marks.iterdir())) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)

    assert process.returncode == 130, out + err
    found = json.loads(report.read_text(encoding="utf-8"))
    assert found["stopped"] == "interrupted"
    assert [t["state"] for t in found["targets"]] == ["failed", "failed", "skipped", "skipped"]
    assert "Interrupted before script 2" in found["targets"][0]["error"]
    assert [versions(u) for u in urls] == [["1"], ["1"], [], []]


def test_a_target_may_be_an_ini_file_with_its_own_url_and_scripts(capsys, tmp_path, scripts, make_scripts):
    other = make_scripts({"7_only_here.sql": "CREATE TABLE seven (id INTEGER);\n"})
    (tmp_path / "legacy").mkdir()
    (tmp_path / "legacy" / "app.ini").write_text(
        f"[lockgate]\nsqlalchemy.url = sqlite:///legacy.sqlite\ndirectory = {other}\n", encoding="utf-8")
    plain = sqlite_urls(tmp_path, 1)[0]
    targets = write_lines(tmp_path, [plain, "legacy/app.ini name=legacy"])
    result = cli(capsys, "fleet", "upgrade", "--targets", targets, "--directory", scripts, "--json")
    assert result.code == 0, result
    assert [(t["name"], t["versions"]) for t in result.json()["targets"]] == [
        (plain.removeprefix("sqlite:///"), ["1", "2"]), ("legacy", ["7"])]
    assert versions(f"sqlite:///{tmp_path / 'legacy' / 'legacy.sqlite'}") == ["7"]
