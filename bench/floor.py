"""The raw floors: what the DBAPI driver alone costs, run as its own process.

    python bench/floor.py apply DB URL DIRECTORY   # each script: execute, tracking INSERT, COMMIT
    python bench/floor.py read DB URL              # one SELECT of the tracking table
    python bench/floor.py load sqlite PATH FILE    # executescript(FILE): the load floor
                                                   # when no sqlite3 shell is installed

DB is sqlite, postgresql or mariadb; URL is the plain driver target: a file
path for sqlite, a libpq conninfo string for psycopg, host:port/dbname for
pymysql (user root, empty password).  Only the driver is imported, never
SQLAlchemy or lockgate.
"""

from __future__ import annotations

import os
import sys

TRACKING = "bench_floor_tracking"


def connect(db: str, url: str):
    if db == "sqlite":
        import sqlite3

        # isolation_level=None plus explicit BEGIN: one transaction per script, like the tools.
        return sqlite3.connect(url, isolation_level=None), "?"
    if db == "postgresql":
        import psycopg

        return psycopg.connect(url), "%s"
    if db == "mariadb":
        import pymysql

        hostport, dbname = url.split("/", 1)
        host, port = hostport.split(":")
        return pymysql.connect(host=host, port=int(port), user="root", password="", database=dbname), "%s"
    raise SystemExit(f"unknown db {db!r}")


def apply(db: str, url: str, directory: str) -> None:
    conn, ph = connect(db, url)
    cur = conn.cursor()
    cur.execute(f"CREATE TABLE {TRACKING} (version BIGINT PRIMARY KEY, name VARCHAR(255))")
    if db != "sqlite":
        conn.commit()
    names = sorted(os.listdir(directory), key=lambda n: int(n.split("_", 1)[0]))
    insert = f"INSERT INTO {TRACKING} (version, name) VALUES ({ph}, {ph})"
    for name in names:
        with open(os.path.join(directory, name), encoding="utf-8") as f:
            sql = f.read()
        if db == "sqlite":
            cur.execute("BEGIN")
        cur.execute(sql)
        cur.execute(insert, (int(name.split("_", 1)[0]), name))
        if db == "sqlite":
            cur.execute("COMMIT")
        else:
            conn.commit()
    conn.close()


def read(db: str, url: str) -> None:
    conn, _ = connect(db, url)
    cur = conn.cursor()
    cur.execute(f"SELECT version, name FROM {TRACKING} ORDER BY version")
    rows = cur.fetchall()
    conn.close()
    sys.stdout.write(f"{len(rows)}\n")


def load(db: str, url: str, path: str) -> None:
    if db != "sqlite":
        raise SystemExit("load: only sqlite (the other floors are the database's own client)")
    conn, _ = connect(db, url)
    with open(path, encoding="utf-8") as f:
        conn.executescript(f.read())  # the file carries its own BEGIN/COMMIT
    conn.close()


if __name__ == "__main__":
    mode, db, url, *rest = sys.argv[1:]
    if mode == "apply":
        apply(db, url, rest[0])
    elif mode == "read":
        read(db, url)
    elif mode == "load":
        load(db, url, rest[0])
    else:
        raise SystemExit(f"unknown mode {mode!r}")
