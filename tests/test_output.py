"""What the command line prints: colour, CI quietness, progress counters, JSON everywhere.

Runs on every backend where a database is involved (the output must not
depend on it); colour and CI behaviour are driven by the environment
variables the conftest clears before each test.
"""

from __future__ import annotations

import json
import re

import pytest

import forkserver

from clihelpers import ABC_SCRIPTS, cli
from helpers import engine_for
from lockgate import DBMigrator
from lockgate.run.runner import _Progress

ANSI = re.compile(r"\033\[[0-9;]*m")


@pytest.fixture
def abc(make_scripts):
    return make_scripts(ABC_SCRIPTS)


def run(capsys, db_url, scripts, *argv):
    return cli(capsys, "--url", db_url, "--directory", scripts, *argv)


def test_status_is_plain_when_not_on_a_terminal(capsys, db_url, abc):
    run(capsys, db_url, abc, "upgrade", "--to", "2")
    out = run(capsys, db_url, abc, "status").out
    assert "\033[" not in out
    assert re.search(r"^3 +create_c +sql +pending +-$", out, re.M), out


def test_status_is_coloured_with_force_color_and_aligned_as_the_plain_one(capsys, monkeypatch, db_url, abc):
    run(capsys, db_url, abc, "upgrade", "--to", "2")
    plain = run(capsys, db_url, abc, "status").out
    monkeypatch.setenv("FORCE_COLOR", "1")
    coloured = run(capsys, db_url, abc, "status").out
    assert "\033[32mapplied\033[0m" in coloured
    assert "\033[33mpending\033[0m" in coloured
    assert ANSI.sub("", coloured) == plain


def test_no_color_wins_over_force_color(capsys, monkeypatch, db_url, abc):
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\033[" not in run(capsys, db_url, abc, "status").out


def test_runs_count_scripts_and_ci_logs_get_only_the_summary(capsys, monkeypatch, db_url, abc):
    r = run(capsys, db_url, abc, "upgrade", "--to", "2")
    assert "[1/2] Applying 1 create_a ... done in" in r.out
    assert "[2/2] Applying 2 create_b ... done in" in r.out

    monkeypatch.setenv("CI", "true")
    r = run(capsys, db_url, abc, "upgrade")
    assert "Applying" not in r.out
    assert r.out.startswith("Applied 1 script in ")

    r = run(capsys, db_url, abc, "-v", "downgrade")
    assert "Reverting 3 create_c ... done in" in r.out  # -v brings the lines back


def test_a_single_script_needs_no_counter(capsys, db_url, abc):
    r = run(capsys, db_url, abc, "upgrade", "1")
    assert r.out.startswith("Applying 1 create_a ... done in")


def test_upgrade_and_downgrade_json_is_the_whole_stdout(capsys, db_url, abc):
    data = json.loads(run(capsys, db_url, abc, "upgrade", "--json").out)
    assert [(r["version"], r["direction"]) for r in data["runs"]] == [
        ("1", "upgrade"), ("2", "upgrade"), ("3", "upgrade")]
    assert all(isinstance(r["execution_ms"], int) for r in data["runs"])

    again = json.loads(run(capsys, db_url, abc, "upgrade", "--json").out)
    assert again["runs"] == [] and "nothing to do" in again["message"]

    down = json.loads(run(capsys, db_url, abc, "downgrade", "--to", "1", "--json").out)
    assert [(r["version"], r["direction"]) for r in down["runs"]] == [("3", "downgrade"), ("2", "downgrade")]


def test_every_reading_command_speaks_json(capsys, db_url, abc):
    run(capsys, db_url, abc, "upgrade", "1")
    assert json.loads(run(capsys, db_url, abc, "next_version", "--json").out) == {"next_version": "2"}
    plan = json.loads(run(capsys, db_url, abc, "upgrade", "--dry-run", "--json").out)
    assert [(p["version"], p["title"], p["kind"]) for p in plan] == [("2", "create_b", "sql"), ("3", "create_c", "sql")]
    assert plan[0]["file"].endswith("2_create_b.sql")
    check = run(capsys, db_url, abc, "check", "--json")
    assert check.code == 1
    found = json.loads(check.out)
    assert (found["ok"], found["differences"], found["models_checked"]) == (False, [], False)
    assert [(p["version"], p["title"], p["kind"]) for p in found["pending"]] == [("2", "create_b", "sql"),
                                                                                 ("3", "create_c", "sql")]
    for command in ("status", "history", "verify"):
        json.loads(run(capsys, db_url, abc, command, "--json").out)


def test_long_sql_files_report_how_far_they_have_got(sqlite_url, make_scripts, monkeypatch):
    monkeypatch.setattr(_Progress, "first_after", 0.0)
    monkeypatch.setattr(_Progress, "every", 0.0)
    body = "CREATE TABLE big (id INTEGER);\n" + "".join(f"INSERT INTO big VALUES ({i});\n" for i in range(300))
    scripts = make_scripts({"1_big.sql": body})
    seen = []
    with engine_for(sqlite_url) as engine:
        DBMigrator(engine, directory=scripts,
                   progress=lambda event, script, **info: seen.append((event, info))).upgrade()

    positions = [info for event, info in seen if event == "position"]
    assert len(positions) >= 300
    assert all(p["total"] == len(body.encode()) for p in positions)
    done = [p["done"] for p in positions]
    assert done == sorted(done) and done[-1] == len(body)


def test_a_terminal_sees_a_long_file_advance_and_its_elapsed_time(sqlite_url, make_scripts):
    import os
    import pty

    # About 6 MB in 150,000 statements: several read chunks, and a few seconds of work.
    rows = "".join(f"INSERT INTO big VALUES ({i}, 'row {i}');\n" for i in range(150_000))
    scripts = make_scripts({"1_big.sql": "CREATE TABLE big (id INTEGER, body TEXT);\n" + rows})
    leader, follower = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "CI")}
    process = forkserver.popen(["-m", "lockgate", "--url", sqlite_url, "--directory", str(scripts), "upgrade"],
                               stdout=follower, stderr=follower, env=env)
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 4096)
        except OSError:  # the process closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    assert process.wait(timeout=120) == 0
    os.close(leader)
    shown = b"".join(chunks).decode()

    updates = re.findall(r"\rApplying 1 big \.\.\. (\d+)%, (\d+) s", shown)
    assert updates, shown
    percents = [int(p) for p, _ in updates]
    assert percents == sorted(percents) and percents[-1] < 100
    assert re.search(r"\rApplying 1 big \.\.\. done in \d+ ms", shown), shown
