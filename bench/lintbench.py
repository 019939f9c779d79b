"""How long ``lockgate lint`` takes on N scripts (target: 1,000 scripts in under 2 s).

    python bench/lintbench.py [--n 1000] [--runs 3] [--dialect postgresql,mariadb]

Writes N SQL scripts of a growing schema (tables, columns, indexes,
constraints, backfills: about six statements each, some of them findings)
into a temporary folder and times the command line, as a user runs it, with
no database: ``lockgate lint --dialect D --directory DIR``. Each row is the
median wall time of R runs, process start and imports included.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent

POSTGRESQL = """\
SET lock_timeout = '5s';
CREATE TABLE t{i} (id bigint PRIMARY KEY, owner_id bigint, note text, created timestamptz DEFAULT now());
ALTER TABLE t{p} ADD COLUMN c{i} integer;
ALTER TABLE t{p} ADD CONSTRAINT t{p}_c{i}_check CHECK (c{i} > 0) NOT VALID;
ALTER TABLE t{p} VALIDATE CONSTRAINT t{p}_c{i}_check;
CREATE INDEX t{p}_c{i} ON t{p} (c{i});
UPDATE t{p} SET c{i} = 1 WHERE id < 1000;
"""
MARIADB = """\
CREATE TABLE t{i} (id bigint PRIMARY KEY, owner_id bigint, note text, created timestamp DEFAULT CURRENT_TIMESTAMP);
ALTER TABLE t{p} ADD COLUMN c{i} integer, ALGORITHM=INSTANT;
ALTER TABLE t{p} MODIFY note varchar(500);
CREATE INDEX t{p}_c{i} ON t{p} (c{i});
UPDATE t{p} SET c{i} = 1 WHERE id < 1000;
"""
TEMPLATES = {"postgresql": POSTGRESQL, "mariadb": MARIADB}


def write_scripts(folder: Path, n: int, template: str) -> None:
    for i in range(1, n + 1):
        (folder / f"{i:06d}_step_{i}.sql").write_text(template.format(i=i, p=max(i - 1, 1)), encoding="utf-8")


def time_lint(folder: Path, dialect: str, runs: int) -> tuple[float, float, int]:
    """Median wall and CPU (user + system) seconds of ``lockgate lint``, and its number of findings.

    The CPU time does not grow when other processes share the machine; the wall time does.
    """
    times, cpu, findings = [], [], 0
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run([str(BIN / "lockgate"), "--directory", str(folder), "lint", "--dialect", dialect,
                               "--json"], capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if done.returncode not in (0, 1):
            raise SystemExit(f"lockgate lint failed (exit {done.returncode}): {done.stderr}")
        findings = len(json.loads(done.stdout)["findings"])
    return statistics.median(times), statistics.median(cpu), findings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--dialect", default="postgresql,mariadb")
    args = parser.parse_args()
    print(f"| workload | scripts | statements | findings | wall (median of {args.runs}) | CPU |")
    print("|---|---|---|---|---|---|")
    for dialect in args.dialect.split(","):
        template = TEMPLATES[dialect]
        with tempfile.TemporaryDirectory(prefix="lintbench_") as tmp:
            folder = Path(tmp)
            write_scripts(folder, args.n, template)
            seconds, cpu, findings = time_lint(folder, dialect, args.runs)
        statements = args.n * template.count(";")
        print(f"| lint ({dialect}) | {args.n} | {statements} | {findings} | {seconds:.2f} s | {cpu:.2f} s |")


if __name__ == "__main__":
    main()
