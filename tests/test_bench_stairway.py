"""A seconds-long run of the stairway and fixtures rows of bench/run.py: they run and report, nothing timed."""

from __future__ import annotations

import json
import os
from pathlib import Path

import forkserver

ROOT = Path(__file__).resolve().parent.parent
RUN = ROOT / "bench" / "run.py"


def without_hypothesis() -> dict[str, str]:
    """The environment, but for hypothesis's pytest plugin: the fixtures row runs pytest in a
    project of its own, twice, which never uses it, and it was two of the three seconds of
    CPU each of those took to start."""
    return {**os.environ, "PYTEST_ADDOPTS": "-p no:hypothesispytest"}


def test_stairway_and_fixtures_rows_on_sqlite(tmp_path):
    out = tmp_path / "results.json"
    p = forkserver.run(
        [str(RUN), "--quick", "--n", "3", "--db", "sqlite", "--tools", "lockgate",
         "--split-mb", "0.01", "--load-mb", "0", "--memory-mb", "0", "--stairway-n", "4,6",
         "--fixtures-n", "5", "--fixtures-tests", "2", "--json", str(out)],
        cwd=tmp_path, env=without_hypothesis(), timeout=300,
    )
    assert p.returncode == 0, p.stderr
    data = json.loads(out.read_text())
    rows = {(r["workload"], r["n"], r["tool"]): r for r in data["rows"] if r["workload"] in ("stairway", "fixtures")}
    assert set(rows) == {("stairway", 4, "lockgate"), ("stairway", 6, "lockgate"),
                         ("fixtures", 5, "lockgate"), ("fixtures", 5, "shared database")}
    for key, row in rows.items():
        assert row["median"] > 0, (key, row)
    assert rows[("fixtures", 5, "shared database")]["lockgate_vs_peer"] > 0
    names = {t["target"] for t in data["targets"]}
    assert "stairway of 200 scripts on sqlite: lockgate / Alembic's classic stairway" in names
    assert "fixtures on sqlite: tests on a fresh migrated database each / on one shared database" in names
