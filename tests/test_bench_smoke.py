"""A seconds-long smoke run of the benchmark harness (bench/run.py).

It proves the harness runs end to end and reports the rows it should.  It never
asserts on speed: the numbers come from the benchmark, never from timed tests.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUN = ROOT / "bench" / "run.py"


def test_bench_quick_sqlite(tmp_path):
    out = tmp_path / "results.json"
    p = subprocess.run(
        [sys.executable, str(RUN), "--quick", "--n", "5", "--db", "sqlite", "--runs", "1",
         "--tools", "floor,lockgate", "--split-mb", "0.05", "--json", str(out)],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
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
        ("split", "postgresql", "lockgate"),
    }
    assert set(rows) == expected  # peers were not asked for, so none appear
    for key, r in rows.items():
        assert r["median"] > 0, key
        assert r["runs"] and all(t > 0 for t in r["runs"]), key
        if key[1] == "sqlite":
            assert r["n"] == 5
    assert rows[("apply", "sqlite", "lockgate")]["x_floor"] > 0
    assert rows[("split", "postgresql", "lockgate")]["statements"] > 1

    # the printed table has a line per row
    table = [line for line in p.stdout.splitlines() if line.startswith("| ")]
    assert len(table) == 1 + len(expected)
    for workload, db, tool in expected:
        assert any(f"| {tool} " in line and f"| {workload} " in line for line in table), (workload, tool)


def test_bench_unreachable_database_is_skipped_with_a_note(tmp_path):
    """An unreachable database is skipped with a note, not a crash."""
    out = tmp_path / "results.json"
    p = subprocess.run(
        [sys.executable, str(RUN), "--quick", "--n", "2", "--db", "nosuchdb", "--tools", "floor",
         "--json", str(out)],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert p.returncode == 0, p.stderr
    data = json.loads(out.read_text())
    assert any("nosuchdb skipped" in n for n in data["notes"])
    assert {r["workload"] for r in data["rows"]} == {"startup"}
