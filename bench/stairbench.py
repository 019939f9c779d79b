"""The `stairway` and `fixtures` rows (issue 15), and their targets.

stairway: N scripts of an evolving schema with downgrades (bench/evolving.py),
  `lockgate test --only stairway` (which compares the schema around every
  revert) beside Alembic's classic stairway (upgrade, downgrade one, upgrade
  again per revision, comparing nothing) on the same steps, each in a
  process of its own, on a fresh database.
fixtures: a generated pytest project of T tests over N scripts, each test
  writing and reading a few rows; `lockgate` gives every test a freshly
  migrated database (the plugin's `migrated_engine`), `shared database`
  migrates one database for the session and hands it to every test.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import evolving
import proc
import targets

PY = sys.executable
BIN = Path(sys.executable).parent


def bench_stairway(kind: str, ns: list[int], tools: list[str], runs: int, database, env: dict, res) -> None:
    """One `stairway` row per tool and N; tools take turns within each run."""
    tmp = env["tmp"]
    for n in ns:
        scripts = evolving.write_lockgate(tmp / f"stair_{kind}_{n}", n, kind)
        commands = {"lockgate": lambda url: [str(BIN / "lockgate"), "--url", url, "--directory", str(scripts),
                                             "-q", "test", "--only", "stairway"]}
        if "alembic" in tools:
            folder = evolving.write_alembic(tmp / f"stair_alembic_{kind}_{n}", n, kind)
            runner = tmp / "alembic_stairway.py"
            runner.write_text(evolving.ALEMBIC_STAIRWAY, encoding="utf-8")
            commands["alembic"] = lambda url: [PY, str(runner), str(folder), url]
        times: dict[str, list[float]] = {tool: [] for tool in commands}
        failed: dict[str, str] = {}
        for _ in range(runs):
            for tool, command in commands.items():
                if tool in failed:
                    continue
                db = database.new()
                try:
                    times[tool].append(proc.run(command(db["sa"]), tmp, env["timeout"])[0])
                except proc.Failed as e:
                    failed[tool] = str(e)
                finally:
                    database.drop(db)
        for tool in commands:
            if tool in failed:
                res.add_failed("stairway", kind, n, tool, times[tool], failed[tool])
            else:
                res.add("stairway", kind, n, tool, times[tool], per_step_ms=1000 * min(times[tool]) / n)


CONFTEST = '''
import os

import pytest
import sqlalchemy as sa


@pytest.fixture(scope="session")
def shared_engine():
    from lockgate import DBMigrator

    engine = sa.create_engine(os.environ["SHARED_URL"])
    DBMigrator(engine, directory=os.environ["SCRIPTS"]).upgrade()
    yield engine
    engine.dispose()
'''

TEST = '''
import pytest
import sqlalchemy as sa


@pytest.mark.parametrize("number", range(1, {tests} + 1))
def test_rows({fixture}, number):
    with {fixture}.begin() as connection:
        connection.execute(sa.text("INSERT INTO t_1 (id, name) VALUES (:i, :n)"), {{"i": number, "n": f"n{{number}}"}})
        connection.execute(sa.text("INSERT INTO c_1 (id, parent_id) VALUES (:i, :i)"), {{"i": number}})
    with {fixture}.connect() as connection:
        assert connection.execute(sa.text("SELECT name FROM t_1 WHERE id = :i"), {{"i": number}}).scalar() == f"n{{number}}"
'''


def bench_fixtures(kind: str, n: int, tests: int, runs: int, database, env: dict, res) -> None:
    """The `fixtures` row: T tests, each on a fresh migrated database, then all on one shared database."""
    tmp = env["tmp"]
    project = tmp / f"fixtures_{kind}"
    project.mkdir(exist_ok=True)
    scripts = evolving.write_lockgate(project / "migrations", n, kind)
    (project / "conftest.py").write_text(CONFTEST, encoding="utf-8")
    for tool, fixture in (("lockgate", "migrated_engine"), ("shared database", "shared_engine")):
        (project / f"test_{fixture}.py").write_text(TEST.format(tests=tests, fixture=fixture), encoding="utf-8")
    times: dict[str, list[float]] = {"lockgate": [], "shared database": []}
    failed: dict[str, str] = {}
    for _ in range(runs):
        for tool, fixture in (("lockgate", "migrated_engine"), ("shared database", "shared_engine")):
            if tool in failed:
                continue
            db = database.new()
            command = [PY, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"test_{fixture}.py",
                       "--lockgate-directory=migrations", f"--lockgate-url={db['sa']}"]
            os.environ.update(SHARED_URL=db["sa"], SCRIPTS=str(scripts))
            try:
                times[tool].append(proc.run(command, project, env["timeout"])[0])
            except proc.Failed as e:
                failed[tool] = str(e)
            finally:
                database.drop(db)
    for tool in times:
        if tool in failed:
            res.add_failed("fixtures", kind, n, tool, times[tool], failed[tool])
        else:
            res.add("fixtures", kind, n, tool, times[tool], tests=tests)


def check(rows: list[dict]) -> list[dict]:
    """Issue 15's targets from this run's rows."""
    out = []
    for db in ("postgresql", "sqlite"):
        lock, peer = targets.find(rows, "stairway", db, "lockgate", 200), targets.find(rows, "stairway", db, "alembic", 200)
        name = f"stairway of 200 scripts on {db}: lockgate / Alembic's classic stairway"
        both = targets._ok(lock) and targets._ok(peer)
        out.append(targets.target(name, "<=", 0.10, "x", lock["median"] / peer["median"] if both else None,
                                  f"{lock['median']:.2f} s vs {peer['median']:.2f} s" if both else "",
                                  why_missing=targets._missing(lock, peer)))
    for db in ("postgresql", "sqlite", "mariadb"):
        small, large = targets.find(rows, "stairway", db, "lockgate", 50), targets.find(rows, "stairway", db, "lockgate", 200)
        if not (targets._ok(small) or targets._ok(large)):
            continue
        both = targets._ok(small) and targets._ok(large)
        out.append(targets.target(
            f"stairway time per step on {db}: at N=200 / at N=50", "<=", 1.5, "x",
            (large["median"] / 200) / (small["median"] / 50) if both else None,
            f"{large['median'] / 200 * 1000:.1f} ms vs {small['median'] / 50 * 1000:.1f} ms" if both else "",
            why_missing=targets._missing(small, large)))
    for db in ("postgresql", "sqlite"):
        fresh, shared = targets.find(rows, "fixtures", db, "lockgate"), targets.find(rows, "fixtures", db, "shared database")
        both = targets._ok(fresh) and targets._ok(shared)
        out.append(targets.target(
            f"fixtures on {db}: tests on a fresh migrated database each / on one shared database", "<=", 2.0,
            "x", fresh["median"] / shared["median"] if both else None,
            f"{fresh['median']:.2f} s vs {shared['median']:.2f} s" if both else "",
            why_missing=targets._missing(fresh, shared)))
    return out
