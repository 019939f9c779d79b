"""The issue's targets, checked against the rows of one benchmark run.

Each target becomes a dict with the measured value, the limit, and a verdict
("met" / "missed by ..." / "not measured"), so the JSON and the printed
section answer each target directly.  Nothing here measures anything.
"""

from __future__ import annotations

DBS = ("sqlite", "postgresql", "mariadb")


def find(rows: list[dict], workload: str, db: str, tool: str, n=None) -> dict | None:
    """The row of workload/db/tool (and N for the script workloads), or None."""
    for r in rows:
        if r["workload"] == workload and r["db"] == db and r["tool"] == tool and (n is None or r["n"] == n):
            return r
    return None


def _ok(row: dict | None) -> bool:
    return row is not None and row.get("median") is not None


def _missing(*rows: dict | None) -> str:
    failed = [r["failed"] for r in rows if r is not None and r.get("failed")]
    return f"not measured ({failed[0]})" if failed else "not measured"


def target(name: str, op: str, limit: float, unit: str, measured: float | None, detail: str = "",
           why_missing: str = "not measured") -> dict:
    """One target; op is "<=" (at most limit) or ">=" (at least limit)."""
    t = {"target": name, "op": op, "limit": limit, "unit": unit, "measured": measured, "detail": detail}
    if measured is None:
        t["met"], t["verdict"] = None, why_missing
        return t
    met = measured <= limit if op == "<=" else measured >= limit
    if unit == "s":  # an allowance in seconds: say by how many seconds
        gap = f"{abs(measured - limit):.3f} s"
    else:
        gap = f"{abs(measured / limit - 1) * 100:.1f}%"
    t["met"] = met
    t["verdict"] = f"met ({gap} to spare)" if met else f"missed by {gap}"
    return t


def _apply_ratio(rows, db: str, n: int, limit: float, label: str = "") -> dict:
    lock, floor = find(rows, "apply", db, "lockgate", n), find(rows, "apply", db, "floor", n)
    name = f"apply {n:,} scripts on {db}: lockgate / floor{label}"
    if not (_ok(lock) and _ok(floor)):
        return target(name, "<=", limit, "x", None, why_missing=_missing(lock, floor))
    return target(name, "<=", limit, "x", lock["median"] / floor["median"],
                  f"{lock['median']:.3f} s vs {floor['median']:.3f} s")


def _growth(rows, db: str) -> dict | None:
    small, large = find(rows, "apply", db, "lockgate", 1000), find(rows, "apply", db, "lockgate", 10000)
    if not (_ok(small) and _ok(large)):
        return None
    per_small, per_large = small["median"] / 1000, large["median"] / 10000
    return target(f"per-script growth 10k/1k on {db}: lockgate s/script at 10,000 / at 1,000", "<=", 1.2, "x",
                  per_large / per_small, f"{per_large * 1000:.3f} ms vs {per_small * 1000:.3f} ms per script")


def _read_path(rows, workload: str, db: str) -> dict:
    row = find(rows, workload, db, "lockgate", 1000)
    name = f"{workload} at 1,000 on {db}: lockgate minus `import sqlalchemy`"
    if not (_ok(row) and row.get("above_import_sqlalchemy") is not None):
        return target(name, "<=", 0.05, "s", None, why_missing=_missing(row))
    return target(name, "<=", 0.05, "s", row["above_import_sqlalchemy"],
                  f"{row['median']:.3f} s vs {row['median'] - row['above_import_sqlalchemy']:.3f} s")


def _split(rows) -> list[dict]:
    lock = find(rows, "split", "postgresql", "lockgate")
    pg, sp = find(rows, "split", "postgresql", "pglast"), find(rows, "split", "postgresql", "sqlparse")
    out = [target("split: lockgate MB/s", ">=", 40, "MB/s", lock["median"] if _ok(lock) else None)]
    both = _ok(lock) and _ok(pg)
    out.append(target("split: lockgate time / pglast time", "<=", 2.5, "x",
                      pg["median"] / lock["median"] if both else None,
                      f"{lock['median']:.1f} vs {pg['median']:.1f} MB/s" if both else ""))
    both = _ok(lock) and _ok(sp)
    out.append(target("split: lockgate MB/s / sqlparse MB/s", ">=", 50, "x",
                      lock["median"] / sp["median"] if both else None,
                      f"{lock['median']:.1f} vs {sp['median']:.2f} MB/s" if both else ""))
    return out


def _memory(rows) -> list[dict]:
    out = []
    for db in DBS:
        row = find(rows, "memory", db, "lockgate")
        if row is None and db != "sqlite":  # only SQLite is run by default
            continue
        name = f"memory on {db}: lockgate peak RSS running {row['n'] if row else 'a 1 GB'} file"
        measured = row.get("peak_mb") if _ok(row) else None
        out.append(target(name, "<=", 100, "MB", measured, f"in {row['median']:.1f} s" if _ok(row) else "",
                          why_missing=_missing(row)))
    return out


def _load(rows) -> dict:
    lock, floor = find(rows, "load", "postgresql", "lockgate"), find(rows, "load", "postgresql", "floor")
    name = f"load on postgresql ({lock['n'] if lock else 'data-load file'}): lockgate / psql -f"
    if not (_ok(lock) and _ok(floor)):
        return target(name, "<=", 1.3, "x", None, why_missing=_missing(lock, floor))
    return target(name, "<=", 1.3, "x", lock["median"] / floor["median"],
                  f"{lock['median']:.3f} s vs {floor['median']:.3f} s")


def check(rows: list[dict]) -> list[dict]:
    """Every target of the issue, in the issue's order, from this run's rows."""
    out = [_apply_ratio(rows, "postgresql", 1000, 1.0), _apply_ratio(rows, "postgresql", 1000, 0.85, " (stretch)"),
           _apply_ratio(rows, "sqlite", 1000, 1.10), _apply_ratio(rows, "mariadb", 1000, 1.10),
           _apply_ratio(rows, "postgresql", 10000, 1.15)]
    growth = {db: _growth(rows, db) for db in ("postgresql", "sqlite", "mariadb")}  # the first
    if growth["postgresql"] is None:
        growth["postgresql"] = target("per-script growth 10k/1k on postgresql: lockgate s/script at 10,000 / at 1,000",
                                      "<=", 1.2, "x", None)
    out += [g for g in growth.values() if g is not None]
    out += [_read_path(rows, w, db) for w in ("noop", "status") for db in DBS]
    out += _split(rows) + _memory(rows) + [_load(rows)]
    return out


def _value(v: float | None, unit: str) -> str:
    if v is None:
        return "-"
    if unit == "s":
        return f"+{v:.3f} s" if v >= 0 else f"{v:.3f} s"
    return f"{v:.2f}x" if unit == "x" else f"{v:.1f} {unit}"


def table(targets: list[dict]) -> str:
    """The targets as a Markdown table: target, measured, limit, verdict, detail."""
    lines = [("target", "measured", "limit", "verdict", "detail")]
    for t in targets:
        limit = f"{t['op']} {_value(t['limit'], t['unit'])}"
        lines.append((t["target"], _value(t["measured"], t["unit"]), limit, t["verdict"], t["detail"]))
    widths = [max(len(line[i]) for line in lines) for i in range(5)]
    out = ["| " + " | ".join(c.ljust(widths[i]) for i, c in enumerate(line)) + " |" for line in lines]
    out.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(out)
