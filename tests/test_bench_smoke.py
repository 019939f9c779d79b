"""A seconds-long smoke run of the benchmark harness (bench/run.py).

It proves the harness runs end to end and reports the rows it should.  It never
asserts on speed: the numbers come from the benchmark, never from timed tests.
"""

from __future__ import annotations

import json
from pathlib import Path

import forkserver

ROOT = Path(__file__).resolve().parent.parent
RUN = ROOT / "bench" / "run.py"


def test_bench_quick_sqlite(tmp_path):
    out = tmp_path / "results.json"
    p = forkserver.run(
        [str(RUN), "--quick", "--n", "5", "--db", "sqlite", "--runs", "1",
         "--tools", "floor,lockgate", "--split-mb", "0.05", "--load-mb", "0.05", "--memory-mb", "0.2",
         "--json", str(out)],
        cwd=tmp_path, timeout=120,
    )
    assert p.returncode == 0, p.stderr
    data = json.loads(out.read_text())
    rows = {(r["workload"], r["db"], r["tool"]): r for r in data["rows"]}

    expected = {
        ("startup", "-", "python -c pass"),
        ("startup", "-", "import sqlalchemy"),
        ("apply", "sqlite", "floor"),
        ("noop", "sqlite", "floor"),
        ("status", "sqlite", "floor"),
        ("apply", "sqlite", "lockgate"),
        ("noop", "sqlite", "lockgate"),
        ("status", "sqlite", "lockgate"),
        ("history", "sqlite", "lockgate"),
        ("load", "sqlite", "floor"),
        ("load", "sqlite", "lockgate"),
        ("split", "postgresql", "lockgate"),
        ("split-ddl", "postgresql", "lockgate"),
        ("memory", "sqlite", "lockgate"),
    }
    assert set(rows) == expected  # peers were not asked for, so none appear
    for key, r in rows.items():
        assert r["median"] > 0, key
        assert r["runs"] and all(t > 0 for t in r["runs"]), key
        if key[0] in ("apply", "noop", "status", "history"):
            assert r["n"] == 5
    assert rows[("apply", "sqlite", "lockgate")]["x_floor"] > 0
    assert rows[("split", "postgresql", "lockgate")]["statements"] > 1
    for key in (("load", "sqlite", "floor"), ("load", "sqlite", "lockgate"), ("memory", "sqlite", "lockgate")):
        assert rows[key]["peak_mb"] > 0, key
    assert rows[("load", "sqlite", "lockgate")]["rows_loaded"] > 0
    assert rows[("load", "sqlite", "lockgate")]["x_floor"] > 0

    # every target is reported; the ones this run measured carry a value and a verdict
    targets = {t["target"]: t for t in data["targets"]}
    assert any(name.startswith("apply 1,000 scripts on postgresql") for name in targets)
    for t in data["targets"]:
        assert t["verdict"].startswith(("met", "missed", "not measured")), t
        assert (t["measured"] is None) == (t["met"] is None), t
    memory = next(t for name, t in targets.items() if name.startswith("memory on sqlite"))
    assert memory["measured"] == rows[("memory", "sqlite", "lockgate")]["peak_mb"]

    # the printed rows table has a line per row, then comes the targets table
    rows_part, targets_part = p.stdout.split("Targets", 1)
    table = [line for line in rows_part.splitlines() if line.startswith("| ")]
    assert len(table) == 1 + len(expected)
    assert len([line for line in targets_part.splitlines() if line.startswith("| ")]) == 1 + len(targets)
    for workload, db, tool in expected:
        assert any(f"| {tool} " in line and f"| {workload} " in line for line in table), (workload, tool)


def test_bench_unreachable_database_is_skipped_with_a_note(tmp_path):
    """An unreachable database is skipped with a note, not a crash."""
    out = tmp_path / "results.json"
    p = forkserver.run(
        [str(RUN), "--quick", "--n", "2", "--db", "nosuchdb", "--tools", "floor",
         "--json", str(out)],
        cwd=tmp_path, timeout=120,
    )
    assert p.returncode == 0, p.stderr
    data = json.loads(out.read_text())
    assert any("nosuchdb skipped" in n for n in data["notes"])
    assert {r["workload"] for r in data["rows"]} == {"startup"}


def test_bench_timeout_is_a_failed_row_not_a_crash(tmp_path):
    """A command past --timeout is killed and its row says so; the run still finishes."""
    out = tmp_path / "results.json"
    p = forkserver.run(
        [str(RUN), "--quick", "--n", "2", "--db", "sqlite", "--tools", "lockgate",
         "--timeout", "0.01", "--split-mb", "0.01", "--load-mb", "0", "--memory-mb", "0", "--json", str(out)],
        cwd=tmp_path, timeout=120,
    )
    assert p.returncode == 0, p.stderr
    data = json.loads(out.read_text())
    apply = next(r for r in data["rows"] if r["workload"] == "apply")
    assert apply["median"] is None and apply["failed"].startswith("timed out"), apply
    assert not [r for r in data["rows"] if r["workload"] in ("noop", "status", "history", "load", "memory")]
    assert "failed: timed out" in p.stdout
