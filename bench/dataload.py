"""The `load` and `memory` workloads: one large SQL file run as one lockgate script.

`load` runs a generated data-load file as the single script ``1_load.sql`` of
a folder, against each database's own client as the floor: ``psql -f`` with
``-1``, the ``sqlite3`` shell, the ``mariadb`` (or ``mysql``) client, each in
one transaction as lockgate does.  `memory` runs a much larger file (1 GB by
default) through lockgate alone and reports the peak RSS of its process.
Files reach the clients as argument lists or as their standard input, never
through a shell command line.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import loadgen
import proc

FLOOR_PY = Path(__file__).resolve().parent / "floor.py"


def floor_command(kind: str, db: dict, script: Path, wrapped: Path, py: str) -> tuple[list[str], Path | None, str]:
    """(argv, stdin file, label) of the floor client that runs the load file on kind."""
    if kind == "postgresql":
        # -1: one transaction, as lockgate runs the script; -X: no ~/.psqlrc
        argv = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-1", "-f", str(script), "-d", db["floor"]]
        return argv, None, "psql -X -q -v ON_ERROR_STOP=1 -1 -f FILE (one transaction)"
    if kind == "sqlite":
        if shutil.which("sqlite3"):
            return ["sqlite3", "-bail", db["path"]], wrapped, "sqlite3 -bail DB < FILE (in BEGIN/COMMIT)"
        return ([py, str(FLOOR_PY), "load", "sqlite", db["path"], str(wrapped)], None,
                "python sqlite3 executescript (no sqlite3 shell installed; in BEGIN/COMMIT)")
    if kind == "mariadb":
        client = shutil.which("mariadb") or shutil.which("mysql")
        if client is None:
            raise proc.Failed("no mariadb or mysql client installed")
        host, port = db["floor"].split("/", 1)[0].split(":")
        argv = [client, "--no-defaults", "-h", host, "-P", port, "-u", "root", "--batch", db["name"]]
        label = f"{Path(client).name} --batch DB < FILE (autocommit off, one COMMIT; DDL commits implicitly)"
        return argv, wrapped, label
    raise ValueError(kind)


_GENERATED: dict[Path, tuple[int, int]] = {}


def generate(folder: Path, megabytes: float) -> tuple[Path, int, int]:
    """folder/1_load.sql, generated once per run and shared by every database: (path, bytes, rows)."""
    script = folder / "1_load.sql"
    if script not in _GENERATED:
        folder.mkdir(exist_ok=True)
        _GENERATED[script] = loadgen.write_load_sql(script, megabytes)
    return (script, *_GENERATED[script])


def bench_load(kind: str, database, env: dict, megabytes: float, runs: int, tools: list[str], res) -> None:
    """Median time of the load file per tool on kind, a fresh database per run."""
    tmp, timeout = env["tmp"], env["timeout"]
    script, size, rows = generate(tmp / "load", megabytes)
    folder = script.parent
    wrapped = tmp / f"load_{kind}_floor.sql"
    if not wrapped.exists() and not loadgen.wrap_for_floor(script, wrapped, kind):
        wrapped = script
    label = f"{size / 1e6:.1f}MB"
    for tool in [t for t in ("floor", "lockgate") if t in tools]:
        times, peaks, extra = [], [], {"bytes": size, "rows_loaded": rows}
        try:
            for _ in range(runs):
                db = database.new()
                try:
                    if tool == "floor":
                        argv, stdin, extra["command"] = floor_command(kind, db, script, wrapped, env["py"])
                    else:
                        argv, stdin = env["lockgate"] + ["--url", db["sa"], "--directory", str(folder), "-q",
                                                         "upgrade"], None
                        extra["command"] = "lockgate --url URL --directory D -q upgrade (one transaction)"
                    seconds, peak = proc.run(argv, tmp, timeout, stdin=stdin)
                    found = database.count(db, loadgen.TABLE)
                    if found != rows:
                        raise proc.Failed(f"loaded {found} rows, expected {rows}")
                finally:
                    database.drop(db)
                times.append(seconds)
                peaks.append(peak)
        except proc.Failed as e:
            res.add_failed("load", kind, label, tool, times, str(e))
            continue
        res.add("load", kind, label, tool, times, peak_mb=max(peaks), peak_mb_runs=peaks,
                mb_per_s=size / 1e6 / sorted(times)[len(times) // 2], **extra)


def bench_memory(kind: str, database, env: dict, megabytes: float, res) -> None:
    """One lockgate run of a megabytes-sized file on kind: elapsed and peak RSS."""
    tmp = env["tmp"]
    need = int(megabytes * 1024 * 1024) * 4  # the file, the database, its WAL, and slack
    free = shutil.disk_usage(tmp).free
    if free < need:
        res.note(f"memory on {kind} skipped: {free / 1e9:.1f} GB free in {tmp}, needs about {need / 1e9:.1f} GB")
        return
    script, size, _ = generate(tmp / "memory", megabytes)
    folder = script.parent
    label = f"{size / 1e6:.0f}MB" if size >= 1e7 else f"{size / 1e6:.1f}MB"
    db = database.new()
    try:
        argv = env["lockgate"] + ["--url", db["sa"], "--directory", str(folder), "-q", "upgrade"]
        seconds, peak = proc.run(argv, tmp, env["memory_timeout"])
    except proc.Failed as e:
        res.add_failed("memory", kind, label, "lockgate", [], str(e))
        return
    finally:
        database.drop(db)
    res.add("memory", kind, label, "lockgate", [seconds], peak_mb=peak, bytes=size,
            mb_per_s=size / 1e6 / seconds, command="lockgate --url URL --directory D -q upgrade")
