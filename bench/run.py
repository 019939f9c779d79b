"""Side-by-side benchmark: lockgate vs Alembic vs yoyo vs the raw floors (issue 6).

    python bench/run.py [--quick] [--n 100,1000] [--db sqlite,postgresql,mariadb]
                        [--runs R] [--runs-large R] [--timeout S] [--budget S]
                        [--tools lockgate,floor,alembic,yoyo,split] [--split-mb 10]
                        [--load-mb 20] [--memory-mb 1024] [--memory-db sqlite]
                        [--fleet-databases 100] [--fleet-memory 1000]
                        [--json results.json]

Peers are optional and never installed by this script; for the full table:

    pip install alembic yoyo-migrations sqlparse pglast

Every tool runs as a separate subprocess (its CLI), every apply measurement
gets a fresh database, and each row is the median of R runs.  See
docs/benchmarks.md for what each row means.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import dataload
import fleetbench
import proc
import stairbench
import targets

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
PY = sys.executable
PG_ADMIN = "host=127.0.0.1 port=5432 user=root dbname=postgres"
MY_HOST, MY_PORT = "127.0.0.1", 3306
ALL_TOOLS = ("floor", "lockgate", "alembic", "alembic-1tx", "yoyo", "split")
LARGE_N = 10000  # from this N on, --runs-large applies


def has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


# --------------------------------------------------------------------------- databases


class Database:
    """A fresh, empty database per call to new(); dropped again by drop()."""

    def __init__(self, kind: str, tmp: Path):
        self.kind, self.tmp, self.made = kind, tmp, []

    def new(self) -> dict:
        name = "bench_" + secrets.token_hex(5)
        if self.kind == "sqlite":
            path = self.tmp / f"{name}.db"
            db = {"name": name, "path": str(path), "sa": f"sqlite:///{path}", "yoyo": f"sqlite:///{path}",
                  "floor": str(path)}
        elif self.kind == "postgresql":
            import psycopg

            with psycopg.connect(PG_ADMIN, autocommit=True) as c:
                c.execute(f'CREATE DATABASE "{name}"')
            db = {"name": name, "sa": f"postgresql+psycopg://root@127.0.0.1:5432/{name}",
                  "yoyo": f"postgresql+psycopg://root@127.0.0.1:5432/{name}",
                  "floor": f"host=127.0.0.1 port=5432 user=root dbname={name}"}
        elif self.kind == "mariadb":
            import pymysql

            c = pymysql.connect(host=MY_HOST, port=MY_PORT, user="root", password="", autocommit=True)
            c.cursor().execute(f"CREATE DATABASE `{name}`")
            c.close()
            db = {"name": name, "sa": f"mysql+pymysql://root@{MY_HOST}:{MY_PORT}/{name}",
                  "yoyo": f"mysql://root@{MY_HOST}:{MY_PORT}/{name}",
                  "floor": f"{MY_HOST}:{MY_PORT}/{name}"}
        else:
            raise ValueError(f"unknown database {self.kind!r}")
        self.made.append(db)
        return db

    def drop(self, db: dict) -> None:
        if self.kind == "sqlite":
            Path(db["path"]).unlink(missing_ok=True)
        elif self.kind == "postgresql":
            import psycopg

            with psycopg.connect(PG_ADMIN, autocommit=True) as c:
                c.execute(f'DROP DATABASE IF EXISTS "{db["name"]}" WITH (FORCE)')
        else:
            import pymysql

            c = pymysql.connect(host=MY_HOST, port=MY_PORT, user="root", password="", autocommit=True)
            c.cursor().execute(f"DROP DATABASE IF EXISTS `{db['name']}`")
            c.close()

    def count(self, db: dict, table: str) -> int:
        """The number of rows in table: a check that a load really loaded."""
        if self.kind == "sqlite":
            import sqlite3

            conn = sqlite3.connect(db["path"])
        elif self.kind == "postgresql":
            import psycopg

            conn = psycopg.connect(db["floor"])
        else:
            import pymysql

            conn = pymysql.connect(host=MY_HOST, port=MY_PORT, user="root", password="", database=db["name"])
        try:
            cur = conn.cursor()
            cur.execute(f"SELECT COUNT(*) FROM {table}")
            return cur.fetchone()[0]
        finally:
            conn.close()

    def reachable(self) -> str | None:
        try:
            self.drop(self.new())
        except Exception as e:  # noqa: BLE001 -- any failure means: skip this database
            return f"{type(e).__name__}: {str(e).strip().splitlines()[0] if str(e).strip() else ''}"
        return None


# --------------------------------------------------------------------------- workloads


def sql_for(i: int) -> str:
    return f"CREATE TABLE t_{i} (id INTEGER)"


_WORKLOADS: dict = {}


def make_workloads(root: Path, n: int, tools: set[str]) -> dict:
    """The N-script folders of every tool, generated once per N and shared by every database."""
    if n in _WORKLOADS:
        return _WORKLOADS[n]
    w: dict[str, Path] = {}
    _WORKLOADS[n] = w
    lg = root / f"lockgate_{n}"
    lg.mkdir()
    for i in range(1, n + 1):
        (lg / f"{i}_t.sql").write_text(sql_for(i) + ";\n")
    w["lockgate"] = w["floor"] = lg
    if tools & {"alembic", "alembic-1tx"}:
        al = root / f"alembic_{n}"
        (al / "versions").mkdir(parents=True)
        (al / "env.py").write_text(ALEMBIC_ENV)
        width = len(str(n))
        prev = None
        for i in range(1, n + 1):
            rev = f"r{i:0{width}d}"
            (al / "versions" / f"{rev}_t.py").write_text(
                f'"""t_{i}"""\nfrom alembic import op\n\nrevision = {rev!r}\ndown_revision = {prev!r}\n'
                f"branch_labels = None\ndepends_on = None\n\n\ndef upgrade():\n"
                f"    op.execute({sql_for(i)!r})\n\n\ndef downgrade():\n    op.execute('DROP TABLE t_{i}')\n"
            )
            prev = rev
        w["alembic"] = al
    if "yoyo" in tools:
        yo = root / f"yoyo_{n}"
        yo.mkdir()
        width = len(str(n))
        for i in range(1, n + 1):
            (yo / f"{i:0{width}d}_t.sql").write_text(sql_for(i) + ";\n")
        w["yoyo"] = yo
    return w


ALEMBIC_ENV = '''\
from alembic import context
from sqlalchemy import create_engine, pool

config = context.config
engine = create_engine(config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
per_migration = config.get_main_option("bench_transaction_per_migration") == "true"
with engine.connect() as connection:
    context.configure(connection=connection, transaction_per_migration=per_migration)
    with context.begin_transaction():
        context.run_migrations()
'''


def alembic_ini(tmp: Path, script_dir: Path, url: str, per_migration: bool) -> Path:
    ini = tmp / f"alembic_{secrets.token_hex(4)}.ini"
    ini.write_text(
        "[alembic]\n"
        f"script_location = {script_dir}\n"
        f"sqlalchemy.url = {url.replace('%', '%%')}\n"
        f"bench_transaction_per_migration = {'true' if per_migration else 'false'}\n"
    )
    return ini


# --------------------------------------------------------------------------- commands


def commands(tool: str, action: str, db: dict, w: dict, tmp: Path, kind: str) -> list[str] | None:
    """The CLI invocation of tool for action (apply / noop / status / history), or None."""
    if tool == "floor":
        if action == "apply":
            return [PY, str(HERE / "floor.py"), "apply", kind, db["floor"], str(w["floor"])]
        if action in ("noop", "status"):
            return [PY, str(HERE / "floor.py"), "read", kind, db["floor"]]
        return None
    if tool == "lockgate":
        base = [str(BIN / "lockgate"), "--url", db["sa"], "--directory", str(w["lockgate"]), "-q"]
        return base + [{"apply": "upgrade", "noop": "upgrade", "status": "status", "history": "history"}[action]]
    if tool in ("alembic", "alembic-1tx"):
        if tool == "alembic-1tx" and action != "apply":
            return None
        ini = db.setdefault(f"ini-{tool}", str(alembic_ini(tmp, w["alembic"], db["sa"], tool == "alembic")))
        sub = {"apply": ["upgrade", "head"], "noop": ["upgrade", "head"], "status": ["current"],
               "history": ["history"]}[action]
        return [str(BIN / "alembic"), "-c", ini, *sub]
    if tool == "yoyo":
        if action in ("apply", "noop"):
            return [str(BIN / "yoyo"), "apply", "--no-config-file", "--batch", "--database", db["yoyo"], str(w["yoyo"])]
        if action == "status":
            return [str(BIN / "yoyo"), "list", "--no-config-file", "--batch", "--database", db["yoyo"], str(w["yoyo"])]
        return None
    raise ValueError(tool)


def timed(cmd: list[str], cwd: Path, timeout: float | None = None) -> float:
    """Wall seconds of one run of cmd; raises proc.Failed (one line) on failure or timeout."""
    return proc.run(cmd, cwd, timeout)[0]


# --------------------------------------------------------------------------- measurements


class Results:
    def __init__(self):
        self.rows: list[dict] = []
        self.notes: list[str] = []

    def add(self, workload: str, db: str, n, tool: str, times: list[float], unit: str = "s", **extra):
        row = {"workload": workload, "db": db, "n": n, "tool": tool, "unit": unit, "runs": times,
               "median": statistics.median(times), **extra}
        self.rows.append(row)
        shown = f"{row['median']:.3f} {unit}" if unit == "s" else f"{row['median']:.2f} {unit}"
        if "peak_mb" in extra:
            shown += f", peak RSS {extra['peak_mb']:.1f} MB"
        print(f"  {workload:<8} {db:<10} {str(n):>6} {tool:<14} {shown}", file=sys.stderr, flush=True)

    def add_failed(self, workload: str, db: str, n, tool: str, times: list[float], why: str):
        """A row for a run that failed or timed out: no median, the reason in one line."""
        self.rows.append({"workload": workload, "db": db, "n": n, "tool": tool, "unit": "s", "runs": times,
                          "median": None, "failed": why})
        print(f"  {workload:<8} {db:<10} {str(n):>6} {tool:<14} failed: {why}", file=sys.stderr, flush=True)

    def note(self, text: str):
        self.notes.append(text)
        print(f"  note: {text}", file=sys.stderr, flush=True)


def bench_db(kind: str, n: int, tools: list[str], runs: int, env: dict, res: Results) -> None:
    """Apply rows first, interleaved, then the read-only rows on each tool's last database.

    The apply runs take turns (run 1 of every tool, then run 2 of every tool,
    ...) so that drift in the server's state during the row (background
    writes of the databases just dropped, checkpoints, autovacuum of the
    catalog) falls on every tool alike instead of on whichever runs last.
    """
    tmp = env["tmp"]
    database = Database(kind, tmp)
    w = make_workloads(tmp, n, set(tools))
    applying = [t for t in tools if t != "split"]
    kept = bench_apply(kind, n, applying, runs, database, w, env, res)
    for tool in applying:
        applied = kept.get(tool)
        if applied is None:
            continue
        # nothing to do, then status / history: read-only, on the database just applied
        for action in ("noop", "status", "history"):
            cmd = commands(tool, action, applied, w, tmp, kind)
            if cmd is not None:
                measure(res, (action, kind, n, tool), lambda: timed(cmd, tmp, env["timeout"]), runs, env["budget"])
        database.drop(applied)


def bench_apply(kind: str, n: int, tools: list[str], runs: int, database, w: dict, env: dict,
                res: Results) -> dict:
    """The apply row of every tool, runs taken in turns; returns each tool's last database."""
    kept: dict[str, dict] = {}
    times: dict[str, list[float]] = {t: [] for t in tools}
    active = list(tools)
    for _ in range(runs):
        for tool in list(active):
            db = database.new()
            try:
                seconds = timed(commands(tool, "apply", db, w, env["tmp"], kind), env["tmp"], env["timeout"])
            except proc.Failed as e:
                database.drop(db)
                res.add_failed("apply", kind, n, tool, times[tool], str(e))
                active.remove(tool)
                continue
            if tool in kept:
                database.drop(kept[tool])
            kept[tool] = db
            times[tool].append(seconds)
            if sum(times[tool]) >= env["budget"] and len(times[tool]) < runs:
                res.note(f"{tool} apply N={n} on {kind}: {len(times[tool])} of {runs} runs "
                         f"(budget {env['budget']:g} s)")
                active.remove(tool)
                res.add("apply", kind, n, tool, times[tool])
    for tool in tools:
        if tool in active:
            res.add("apply", kind, n, tool, times[tool])
    return kept


def measure(res: Results, key: tuple, once, runs: int, budget: float) -> None:
    """Up to runs calls of once() into one row of res; fewer once budget seconds are spent.

    A failure or timeout ends the row as failed (no median), so that one slow
    or broken peer never stops the run.
    """
    times: list[float] = []
    for _ in range(runs):
        try:
            times.append(once())
        except proc.Failed as e:
            res.add_failed(*key, times, str(e))
            return
        if sum(times) >= budget and len(times) < runs:
            res.note(f"{key[3]} {key[0]} N={key[2]} on {key[1]}: {len(times)} of {runs} runs (budget {budget:g} s)")
            break
    res.add(*key, times)


def bench_startup(runs: int, tmp: Path, res: Results) -> None:
    for tool, code in (("python -c pass", "pass"), ("import sqlalchemy", "import sqlalchemy")):
        res.add("startup", "-", "-", tool, [timed([PY, "-c", code], tmp, 60) for _ in range(runs)])


def generate_pg_file(path: Path, mb: float) -> int:
    """An INSERT-heavy PostgreSQL data load with the shapes that trip splitters up."""
    target = int(mb * 1024 * 1024)
    parts = [
        "-- generated by bench/run.py\n",
        "CREATE TABLE load_t (id integer PRIMARY KEY, name text, note text, data jsonb);\n",
        "CREATE FUNCTION load_f(x integer) RETURNS integer LANGUAGE plpgsql AS $body$\n"
        "BEGIN\n  -- a ; inside a dollar quote\n  RETURN x + 1;\nEND;\n$body$;\n",
    ]
    size = sum(len(p) for p in parts)
    i = 0
    with path.open("w", encoding="utf-8") as f:
        f.writelines(parts)
        while size < target:
            rows = []
            for _ in range(50):
                i += 1
                rows.append(
                    f"({i}, 'name ''{i}''; not the end', E'line\\n{i}', "
                    f"'{{\"k\": {i}, \"s\": \"a;b\"}}')"
                )
            stmt = "/* batch */ INSERT INTO load_t (id, name, note, data) VALUES\n  " + ",\n  ".join(rows) + ";\n"
            f.write(stmt)
            size += len(stmt)
    return size


def generate_ddl_file(path: Path, mb: float) -> int:
    """DDL-heavy real SQL: the PostgreSQL files of tests/split_corpus (PostgreSQL's share/ and
    contrib install scripts, pgvector), repeated to the size asked for."""
    corpus = sorted((HERE.parent / "tests" / "split_corpus" / "postgresql").glob("*.sql"))
    one = "\n".join(f.read_text(encoding="utf-8") for f in corpus) + "\n"
    copies = max(1, round(mb * 1024 * 1024 / len(one)))
    path.write_text(one * copies, encoding="utf-8")
    return len(one) * copies


def bench_split(mb: float, runs: int, tools: list[str], tmp: Path, res: Results, budget: float) -> None:
    """The splitters side by side on the data load (workload split) and on real DDL (split-ddl)."""
    for workload, generate in (("split", generate_pg_file), ("split-ddl", generate_ddl_file)):
        path = tmp / f"{workload}.sql"
        size = generate(path, mb)
        _bench_splitters(workload, path.read_text(encoding="utf-8"), size / 1e6, runs, tools, res, budget)


def _bench_splitters(workload: str, sql: str, megabytes: float, runs: int, tools: list[str], res: Results,
                     budget: float) -> None:
    splitters = []
    if "lockgate" in tools:
        from lockgate.sqlsplit import split_sql

        splitters.append(("lockgate", lambda: len(split_sql(sql, "postgresql"))))
    if "split" in tools:
        if has("sqlparse"):
            import sqlparse

            splitters.append(("sqlparse", lambda: len(sqlparse.split(sql))))
        else:
            res.note("sqlparse not installed: its split row is skipped (pip install sqlparse)")
        if has("pglast"):
            import pglast

            # pglast.split cuts with PostgreSQL's parser; with_parser=False with its scanner alone.
            splitters.append(("pglast", lambda: len(pglast.split(sql))))
            splitters.append(("pglast-scanner", lambda: len(pglast.split(sql, with_parser=False))))
        else:
            res.note("pglast not installed: its split row is skipped (pip install pglast)")
    # Interleaved rounds, one run of each splitter per round, timed in CPU time of
    # this process (every splitter runs in it, on one core): on a shared machine a
    # burst of load then slows every splitter alike, and waits for a core count for none.
    times: dict[str, list[float]] = {name: [] for name, _ in splitters}
    counts: dict[str, int] = {}
    for _ in range(runs):
        for name, fn in splitters:
            if sum(times[name]) > budget:  # slow splitters (sqlparse) get fewer runs
                continue
            t = time.process_time()
            counts[name] = fn()
            times[name].append(time.process_time() - t)
    for name, _ in splitters:
        rates = [megabytes / t for t in times[name]]
        res.add(workload, "postgresql", f"{megabytes:.1f}MB", name, rates, unit="MB/s", statements=counts[name],
                seconds=statistics.median(times[name]))


# --------------------------------------------------------------------------- table


def with_ratios(rows: list[dict]) -> None:
    floor = {}
    for r in rows:
        if r["tool"] == "floor":
            floor[(r["workload"], r["db"], r["n"])] = r["median"]
        if r["tool"] == "import sqlalchemy":
            floor["import sqlalchemy"] = r["median"]
    lock = {(r["workload"], r["db"], r["n"]): r["median"] for r in rows if r["tool"] == "lockgate" and r["median"]}
    for r in rows:
        key = (r["workload"], r["db"], r["n"])
        if r["median"] is None:  # failed or timed out: no ratios
            r["x_floor"] = r["lockgate_vs_peer"] = None
            continue
        f = floor.get(key) if r["workload"] != "history" else floor.get(("status", r["db"], r["n"]))
        if r["workload"] in ("split", "split-ddl"):
            pg = next((x["median"] for x in rows if x["workload"] == r["workload"] and x["tool"] == "pglast"), None)
            r["x_floor"] = pg / r["median"] if pg else None  # how many times slower than pglast
            # as elsewhere, lockgate's time over the peer's (below 1: lockgate is faster)
            r["lockgate_vs_peer"] = r["median"] / lock[key] if key in lock and r["tool"] != "lockgate" else None
            continue
        r["x_floor"] = r["median"] / f if f and r["tool"] != "floor" else None
        r["lockgate_vs_peer"] = (
            lock[key] / r["median"] if key in lock and r["tool"] not in ("lockgate", "floor") else None
        )
        if r["workload"] in ("noop", "status", "history") and "import sqlalchemy" in floor:
            r["above_import_sqlalchemy"] = r["median"] - floor["import sqlalchemy"]


def table(rows: list[dict]) -> str:
    head = ("workload", "db", "N", "tool", "runs", "median", "x floor", "lockgate/peer", "peak RSS")
    lines = [head]
    for r in rows:
        if r["median"] is None:
            med = f"failed: {r['failed']}"
        else:
            med = f"{r['median']:.3f} s" if r["unit"] == "s" else f"{r['median']:.2f} MB/s"
        xf = f"{r['x_floor']:.2f}x" if r.get("x_floor") else ""
        lp = f"{r['lockgate_vs_peer']:.2f}" if r.get("lockgate_vs_peer") else ""
        peak = f"{r['peak_mb']:.1f} MB" if r.get("peak_mb") else ""
        lines.append((r["workload"], r["db"], str(r["n"]), r["tool"], str(len(r["runs"])), med, xf, lp, peak))
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    out = ["| " + " | ".join(c.ljust(widths[i]) for i, c in enumerate(line)) + " |" for line in lines]
    out.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(out)


# --------------------------------------------------------------------------- main


def versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for dist in ("lockgate", "sqlalchemy", "alembic", "yoyo-migrations", "psycopg", "pymysql", "sqlparse", "pglast"):
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            out[dist] = None
    return out


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true",
                    help="seconds-long smoke run: N=10, 1 run, tiny split/load/memory files, short time limits")
    ap.add_argument("--n", help="comma-separated script counts (default 100,1000; --quick: 10)")
    ap.add_argument("--db", default="sqlite,postgresql,mariadb", help="comma-separated databases")
    ap.add_argument("--runs", type=int, help="runs per median (default 5; --quick: 1)")
    ap.add_argument("--runs-large", type=int, help=f"runs per median for N >= {LARGE_N:,} (default 3; --quick: 1)")
    ap.add_argument("--timeout", type=float,
                    help="seconds one command may take before it is killed and its row marked failed "
                         "(default 1200; --quick: 60; the memory run gets 3x)")
    ap.add_argument("--budget", type=float,
                    help="seconds one row may spend in total; once spent, the row stops with fewer runs "
                         "(default 600; --quick: 30)")
    ap.add_argument("--tools", default=",".join(ALL_TOOLS),
                    help="subset of: floor,lockgate,alembic,alembic-1tx,yoyo,split (split = sqlparse/pglast rows)")
    ap.add_argument("--split-mb", type=float, help="size of the generated splitter file; 0 skips the split rows (default 10; --quick: 0.2)")
    ap.add_argument("--load-mb", type=float,
                    help="size of the data-load file of the load workload; 0 skips it (default 20; --quick: 0.2)")
    ap.add_argument("--memory-mb", type=float,
                    help="size of the file of the memory workload; 0 skips it (default 1024; --quick: 5)")
    ap.add_argument("--memory-db", default="sqlite",
                    help="databases (among --db) the memory workload runs on (default sqlite)")
    ap.add_argument("--stairway-n", help="script counts of the stairway rows; empty skips them "
                                         "(default 50,100,200; --quick: none)")
    ap.add_argument("--fixtures-n", type=int, help="scripts of the fixtures row; 0 skips it (default 200; --quick: 0)")
    ap.add_argument("--fixtures-tests", type=int, default=100, help="tests of the fixtures row (default 100)")
    ap.add_argument("--stairway-runs", type=int, default=1, help="runs per median of the stairway and "
                                                                 "fixtures rows (default 1)")
    ap.add_argument("--fleet-databases", type=int,
                    help="PostgreSQL databases of the fleet row (`lockgate fleet upgrade` against a shell loop "
                         "of `lockgate upgrade`); 0 skips it (default 100; --quick: 0)")
    ap.add_argument("--fleet-scripts", type=int, default=20, help="scripts per database of the fleet row")
    ap.add_argument("--fleet-memory", type=int,
                    help="SQLite files of the fleet memory row (peak RSS, --jobs 8); 0 skips it "
                         "(default 1000; --quick: 0)")
    ap.add_argument("--json", help="write the results as JSON to this file")
    a = ap.parse_args(argv)
    defaults = {"runs": (1, 5), "runs_large": (1, 3), "timeout": (60, 1200), "budget": (30, 600),
                "split_mb": (0.2, 10), "load_mb": (0.2, 20), "memory_mb": (5, 1024)}
    for name, (quick, full) in defaults.items():
        if getattr(a, name) is None:
            setattr(a, name, quick if a.quick else full)
    a.n = [int(x) for x in (a.n or ("10" if a.quick else "100,1000")).split(",")]
    if a.stairway_n is None:
        a.stairway_n = "" if a.quick else "50,100,200"
    a.stairway_n = [int(x) for x in a.stairway_n.split(",") if x.strip()]
    if a.fixtures_n is None:
        a.fixtures_n = 0 if a.quick else 200
    if a.fleet_databases is None:
        a.fleet_databases = 0 if a.quick else 100
    if a.fleet_memory is None:
        a.fleet_memory = 0 if a.quick else 1000
    a.db = [x.strip() for x in a.db.split(",") if x.strip()]
    a.memory_db = [x.strip() for x in a.memory_db.split(",") if x.strip()]
    a.tools = [t.strip() for t in a.tools.split(",") if t.strip()]
    for t in a.tools:
        if t not in ALL_TOOLS:
            ap.error(f"unknown tool {t!r}")
    return a


def bench_database(kind: str, a: argparse.Namespace, env: dict, res: Results) -> None:
    """Every workload of one reachable database, in order: scripts for each N, then load."""
    for n in a.n:
        bench_db(kind, n, a.tools, a.runs_large if n >= LARGE_N else a.runs, env, res)
    if a.load_mb > 0 and {"floor", "lockgate"} & set(a.tools):
        dataload.bench_load(kind, Database(kind, env["tmp"]), env, a.load_mb, a.runs, a.tools, res)
    if a.stairway_n and "lockgate" in a.tools:
        stairbench.bench_stairway(kind, a.stairway_n, a.tools, a.stairway_runs, Database(kind, env["tmp"]), env, res)
    if a.fixtures_n and "lockgate" in a.tools:
        stairbench.bench_fixtures(kind, a.fixtures_n, a.fixtures_tests, a.stairway_runs, Database(kind, env["tmp"]),
                                  env, res)
    if kind == "postgresql" and a.fleet_databases and "lockgate" in a.tools:
        fleetbench.bench_fleet(a.fleet_databases, a.fleet_scripts, 8, 1, env["tmp"], res)


def main(argv: list[str] | None = None) -> int:
    a = parse_args(argv)
    res = Results()
    for tool, module, pip in (("alembic", "alembic", "alembic"), ("alembic-1tx", "alembic", "alembic"),
                              ("yoyo", "yoyo", "yoyo-migrations")):
        if tool in a.tools and not (has(module) and (BIN / tool.split("-")[0]).exists()):
            res.note(f"{tool} skipped: not installed (pip install {pip})")
            a.tools.remove(tool)

    tmp = Path(tempfile.mkdtemp(prefix="lockgate-bench-"))
    env = {"tmp": tmp, "timeout": a.timeout, "budget": a.budget, "memory_timeout": 3 * a.timeout, "py": PY,
           "lockgate": [str(BIN / "lockgate")]}
    reachable = []
    try:
        bench_startup(a.runs, tmp, res)
        for kind in a.db:
            why = Database(kind, tmp).reachable()
            if why:
                res.note(f"{kind} skipped: not reachable ({why})")
                continue
            reachable.append(kind)
            guarded(res, kind, lambda: bench_database(kind, a, env, res))
        if a.split_mb > 0 and ("lockgate" in a.tools or "split" in a.tools):  # 0: no split rows
            bench_split(a.split_mb, a.runs, a.tools, tmp, res, budget=5 if a.quick else 30)
        if a.memory_mb > 0 and "lockgate" in a.tools:
            for kind in [k for k in a.memory_db if k in reachable]:
                guarded(res, f"memory on {kind}",
                        lambda: dataload.bench_memory(kind, Database(kind, tmp), env, a.memory_mb, res))
        if a.fleet_memory and "lockgate" in a.tools:
            guarded(res, "fleet memory", lambda: fleetbench.bench_memory(a.fleet_memory, 8, 2, tmp, res))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    with_ratios(res.rows)
    checked = targets.check(res.rows)
    if a.stairway_n or a.fixtures_n:
        checked += stairbench.check(res.rows)
    if a.fleet_databases or a.fleet_memory:
        checked += fleetbench.check(res.rows)
    print(table(res.rows))
    print("\nTargets (issue 6), from the rows above:\n")
    print(targets.table(checked))
    for note in res.notes:
        print(f"note: {note}")
    if a.json:
        settings = {k: getattr(a, k) for k in ("runs", "runs_large", "timeout", "budget", "split_mb", "load_mb",
                                                "memory_mb", "memory_db")}
        Path(a.json).write_text(json.dumps(
            {"machine": {"platform": platform.platform(), "cpus": os.cpu_count()}, "versions": versions(),
             **settings, "n": a.n, "databases": a.db, "rows": res.rows, "targets": checked, "notes": res.notes},
            indent=2))
    return 0


def guarded(res: Results, what: str, work) -> None:
    """Run work; an unexpected error becomes a note, so the rest of the run still reports."""
    try:
        work()
    except Exception as e:  # noqa: BLE001 -- the run must finish and print what it has
        first = str(e).strip().splitlines()[0] if str(e).strip() else ""
        res.note(f"{what} stopped early: {type(e).__name__}: {first}")


if __name__ == "__main__":
    sys.exit(main())
