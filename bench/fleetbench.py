"""The `fleet` rows and their targets: many databases migrated by one command.

fleet (time): D PostgreSQL databases x S scripts. `lockgate fleet upgrade
  --jobs J` (one process, J targets at a time) beside a shell loop running
  one `lockgate upgrade` process per database, one after the other, on
  fresh databases in the same run. Target: the fleet takes at most 0.35x the
  loop's time.
fleet (memory): `lockgate fleet upgrade --jobs 8` over 1,000 SQLite files:
  the process's peak RSS. Target: under 200 MB.

    python bench/fleetbench.py [--databases 100] [--scripts 20] [--jobs 8] [--runs 1]
                               [--memory-targets 1000] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import proc
import targets

BIN = Path(sys.executable).parent
PG_ADMIN = "host=127.0.0.1 port=5432 user=root dbname=postgres"
#: A fixed shell program looping over its arguments; the URLs are arguments, never pasted into it.
LOOP = 'lockgate="$1"; scripts="$2"; shift 2; for url do "$lockgate" -q --url "$url" --directory "$scripts" upgrade || exit 1; done'


def write_scripts(folder: Path, count: int) -> Path:
    """``count`` tiny SQL scripts: a table each, and a row in it."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(1, count + 1):
        (folder / f"{i:04}_step_{i}.sql").write_text(
            f"CREATE TABLE t_{i} (id INTEGER PRIMARY KEY, name VARCHAR(40));\n"
            f"INSERT INTO t_{i} (id, name) VALUES (1, 'row {i}');\n", encoding="utf-8")
    return folder


def _pg(statement: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
        connection.execute(statement)


def make_databases(count: int) -> list[str]:
    names = ["bench_fleet_" + secrets.token_hex(5) for _ in range(count)]
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda name: _pg(f'CREATE DATABASE "{name}"'), names))
    return names


def drop_databases(names: list[str]) -> None:
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda name: _pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'), names))


def url(name: str) -> str:
    return f"postgresql+psycopg://root@127.0.0.1:5432/{name}"


def bench_fleet(databases: int, scripts: int, jobs: int, runs: int, tmp: Path, res) -> None:
    """One `fleet` row for the shell loop and one for `lockgate fleet`, taking turns in each run."""
    folder = write_scripts(tmp / f"fleet_scripts_{scripts}", scripts)
    times: dict[str, list[float]] = {"shell loop": [], "lockgate fleet": []}
    for _ in range(runs):
        for tool in times:
            names = make_databases(databases)
            try:
                if tool == "shell loop":
                    cmd = ["sh", "-c", LOOP, "sh", str(BIN / "lockgate"), str(folder), *map(url, names)]
                else:
                    listing = tmp / "fleet_targets.txt"
                    listing.write_text("\n".join(map(url, names)) + "\n", encoding="utf-8")
                    cmd = [str(BIN / "lockgate"), "-q", "fleet", "upgrade", "--targets", str(listing),
                           "--directory", str(folder), "--jobs", str(jobs)]
                seconds, _ = proc.run(cmd, tmp, timeout=1800)
                times[tool].append(seconds)
            except proc.Failed as exc:
                res.add_failed("fleet", "postgresql", databases, tool, times[tool], str(exc))
                return
            finally:
                drop_databases(names)
    for tool, measured in times.items():
        res.add("fleet", "postgresql", databases, tool, measured, scripts=scripts, jobs=jobs)


def bench_memory(count: int, jobs: int, scripts: int, tmp: Path, res) -> None:
    """Peak RSS of one `lockgate fleet upgrade` over ``count`` SQLite files."""
    folder = write_scripts(tmp / f"fleet_memory_scripts_{scripts}", scripts)
    files = tmp / "fleet_memory"
    files.mkdir(exist_ok=True)
    listing = tmp / "fleet_memory_targets.txt"
    listing.write_text("".join(f"sqlite:///{files / f'tenant{i:04}.sqlite'}\n" for i in range(count)),
                       encoding="utf-8")
    cmd = [str(BIN / "lockgate"), "-q", "fleet", "upgrade", "--targets", str(listing),
           "--directory", str(folder), "--jobs", str(jobs)]
    try:
        seconds, peak = proc.run(cmd, tmp, timeout=1800)
    except proc.Failed as exc:
        res.add_failed("fleet-mem", "sqlite", count, "lockgate fleet", [], str(exc))
        return
    res.add("fleet-mem", "sqlite", count, "lockgate fleet", [seconds], peak_mb=peak, jobs=jobs)


def check(rows: list[dict]) -> list[dict]:
    """The fleet targets from this run's rows."""
    out = []
    fleet = next((r for r in rows if r["workload"] == "fleet" and r["tool"] == "lockgate fleet"), None)
    loop = next((r for r in rows if r["workload"] == "fleet" and r["tool"] == "shell loop"), None)
    both = targets._ok(fleet) and targets._ok(loop)
    n = fleet["n"] if fleet else 100
    out.append(targets.target(
        f"fleet upgrade of {n} PostgreSQL databases: lockgate fleet --jobs 8 / a shell loop of lockgate upgrade",
        "<=", 0.35, "x", fleet["median"] / loop["median"] if both else None,
        f"{fleet['median']:.2f} s vs {loop['median']:.2f} s" if both else "",
        why_missing=targets._missing(fleet, loop)))
    memory = next((r for r in rows if r["workload"] == "fleet-mem"), None)
    if memory is not None:
        out.append(targets.target(
            f"fleet upgrade of {memory['n']:,} SQLite files, --jobs 8: peak RSS (MB)", "<=", 200, "MB",
            memory.get("peak_mb"), why_missing=targets._missing(memory)))
    return out


class _Results:
    """Rows as bench/run.py's Results keeps them, for running this file on its own."""

    def __init__(self) -> None:
        self.rows: list[dict] = []

    def add(self, workload, db, n, tool, times, unit="s", **extra):
        self.rows.append({"workload": workload, "db": db, "n": n, "tool": tool, "unit": unit, "runs": times,
                          "median": statistics.median(times), **extra})
        print(f"  {workload:<9} {db:<10} {n:>6} {tool:<14} {statistics.median(times):.3f} s"
              + (f", peak RSS {extra['peak_mb']:.1f} MB" if "peak_mb" in extra else ""), file=sys.stderr)

    def add_failed(self, workload, db, n, tool, times, why):
        self.rows.append({"workload": workload, "db": db, "n": n, "tool": tool, "unit": "s", "runs": times,
                          "median": None, "failed": why})
        print(f"  {workload:<9} {db:<10} {n:>6} {tool:<14} failed: {why}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--databases", type=int, default=100)
    ap.add_argument("--scripts", type=int, default=20)
    ap.add_argument("--jobs", type=int, default=8)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--memory-targets", type=int, default=1000, help="0 skips the memory row")
    ap.add_argument("--json", metavar="FILE")
    a = ap.parse_args(argv)
    res = _Results()
    with tempfile.TemporaryDirectory(prefix="fleetbench_") as folder:
        tmp = Path(folder)
        if a.databases:
            bench_fleet(a.databases, a.scripts, a.jobs, a.runs, tmp, res)
        if a.memory_targets:
            bench_memory(a.memory_targets, a.jobs, 2, tmp, res)
    checked = check(res.rows)
    for t in checked:
        print(f"{t['target']}: {t['measured']:.3f} ({t['detail']}) -> {t['verdict']}" if t["measured"] is not None
              else f"{t['target']}: {t['verdict']}")
    if a.json:
        Path(a.json).write_text(json.dumps({"rows": res.rows, "targets": checked}, indent=1) + "\n")
    return 0 if all(t["met"] for t in checked) else 1


if __name__ == "__main__":
    sys.exit(main())
