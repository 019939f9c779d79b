"""Helpers for the engine tests: a migrator on a real database, and what is really in it.

Import the ``engine`` fixture into a test module (``from helpers import engine``)
to get ``create_engine(db_url)``, disposed after the test.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from lockgate import DBMigrator

TRACKING = "lockgate_versions"
TRACKING_COLUMNS = ["version", "title", "kind", "checksum", "applied_at", "execution_ms", "applied_by",
                    "vcs_revision", "state"]
_TRACKING_TYPES = {"applied_at": sa.DateTime(), "execution_ms": sa.Integer()}


@pytest.fixture
def engine(db_url):
    """An engine on this test's fresh database (every backend in turn)."""
    engine = sa.create_engine(db_url)
    yield engine
    engine.dispose()


@contextmanager
def engine_for(url):
    """An engine on another database (``fresh_db()``), disposed on exit; no pooled leftovers."""
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        yield engine
    finally:
        engine.dispose()


def migrator(engine, scripts, **options) -> DBMigrator:
    """A migrator for a folder of scripts (``make_scripts``) on ``engine``."""
    return DBMigrator(engine, directory=scripts, **options)


def tables(engine) -> set[str]:
    """Every table in the database, the tracking table included."""
    return set(sa.inspect(engine).get_table_names())


def user_tables(engine, tracking: str = TRACKING) -> set[str]:
    """The tables the scripts made: every table but the tracking table."""
    return tables(engine) - {tracking}


def columns(engine, table: str) -> list[str]:
    return [c["name"] for c in sa.inspect(engine).get_columns(table)]


def schema(engine, tracking: str = TRACKING) -> dict[str, list[str]]:
    """``{table: [column, ...]}`` of every table but the tracking table, columns sorted."""
    inspector = sa.inspect(engine)
    return {name: sorted(c["name"].lower() for c in inspector.get_columns(name))
            for name in sorted(user_tables(engine, tracking))}


def tracking_rows(engine, table: str = TRACKING) -> list[dict]:
    """Rows of the tracking table as dicts, in numeric version order."""
    tracking = sa.table(table, *(sa.column(c, _TRACKING_TYPES.get(c, sa.String())) for c in TRACKING_COLUMNS))
    with engine.connect() as connection:
        rows = [dict(r._mapping) for r in connection.execute(sa.select(tracking))]
    return sorted(rows, key=lambda r: int(r["version"]))


def applied_versions(engine, table: str = TRACKING) -> list[str]:
    """Versions recorded as applied in the tracking table, in numeric order."""
    return [r["version"] for r in tracking_rows(engine, table) if r.get("state", "applied") == "applied"]


def journal_states(engine, table: str = TRACKING) -> dict[str, str]:
    """version -> state of rows not (yet) applied: a run stopped inside them."""
    return {r["version"]: r["state"] for r in tracking_rows(engine, table) if r["state"] != "applied"}


def query(engine, sql: str, **params) -> list[tuple]:
    """Rows of a query, as tuples, in the order the query gives them."""
    with engine.connect() as connection:
        return [tuple(r) for r in connection.execute(sa.text(sql), params)]


def scalar(engine, sql: str, **params):
    with engine.connect() as connection:
        return connection.execute(sa.text(sql), params).scalar()


def execute(engine, *statements: str) -> None:
    """Run statements in one committed transaction (setting up a database by hand)."""
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(sa.text(statement))


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def run_versions(result) -> list[str]:
    """Versions a ``RunResult`` says were run, in the order they ran."""
    return [run.version for run in result.runs]


def line_of(text: str, needle: str) -> int:
    """1-based number of the first line of ``text`` containing ``needle``."""
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in the text")


@pytest.fixture
def make_package(monkeypatch, tmp_path):
    """``make_package("app_x.migration", files, zipped=False) -> Path``: an importable package.

    The package holding ``files`` is built under tmp_path and put on sys.path, as
    a folder or, with ``zipped``, as a zip file (the way a zipped install is
    imported). Its modules are dropped from sys.modules after the test.
    """
    import sys
    import textwrap
    import zipfile

    tops: list[str] = []

    def make(dotted: str, files: dict[str, str], *, zipped: bool = False):
        parts = dotted.split(".")
        entries: dict[str, str] = {}
        for depth in range(1, len(parts) + 1):
            entries["/".join(parts[:depth]) + "/__init__.py"] = ""
        for name, content in files.items():
            text = textwrap.dedent(content)
            entries["/".join(parts) + "/" + name] = text[1:] if text.startswith("\n") else text
        if zipped:
            entry = tmp_path / f"{parts[0]}.zip"
            with zipfile.ZipFile(entry, "w") as archive:
                for name, text in entries.items():
                    archive.writestr(name, text)
        else:
            entry = tmp_path / f"{parts[0]}_root"
            for name, text in entries.items():
                path = entry / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
        tops.append(parts[0])
        monkeypatch.syspath_prepend(str(entry))
        return entry

    yield make
    for module in [m for m in sys.modules if m.split(".")[0] in tops]:
        del sys.modules[module]


@pytest.fixture
def scratch_made(monkeypatch):
    """The names of the scratch databases this test made, recorded as lockgate creates them.

    A check that scratch databases are dropped looks at these names only, so
    it cannot fail because of what other tests or tools do on the same server.
    """
    import lockgate.schema.scratch

    made: list[str] = []
    original = lockgate.schema.scratch._execute_admin

    def recording(admin, url, statement, verb):
        if verb == "create":
            made.append(statement.split()[-1])
        return original(admin, url, statement, verb)

    monkeypatch.setattr(lockgate.schema.scratch, "_execute_admin", recording)
    return made
