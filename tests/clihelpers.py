"""Helpers for the command-line, configuration and bad-input tests.

``cli(capsys, ...)`` runs ``lockgate.cli.main`` in-process (fast), ``migrate(...)``
the seed's ``migrate_main``; ``run_process(...)`` runs a real console script
when a test must prove entry points, exit codes or a clean stderr. The
database helpers look at a URL with a throwaway engine and always dispose it.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import textwrap
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

import forkserver
from helpers import engine_for  # noqa: F401  (re-exported to the CLI tests)
from lockgate import cli as lockgate_cli

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "busy"
EXAMPLE_INI = EXAMPLE / "development.ini"
EXAMPLE_SCHEMA = EXAMPLE / "src" / "busy" / "schema.sql"
BUSY_VERSIONS = ["201006231515", "201007011200", "201008151030"]
BUSY_TABLES = {"users", "tasks", "tags"}
PASSWORD = "s3cret"

#: Three reversible SQL scripts that run unchanged on SQLite, PostgreSQL and MariaDB.
ABC_SCRIPTS = {
    "1_create_a.sql": "CREATE TABLE a (id INTEGER NOT NULL PRIMARY KEY);\n",
    "1_downgrade.sql": "DROP TABLE a;\n",
    "2_create_b.sql": "CREATE TABLE b (id INTEGER NOT NULL PRIMARY KEY);\n",
    "2_downgrade.sql": "DROP TABLE b;\n",
    "3_create_c.sql": "CREATE TABLE c (id INTEGER NOT NULL PRIMARY KEY);\n",
    "3_downgrade.sql": "DROP TABLE c;\n",
}


@dataclass
class Result:
    """What one command run printed and returned."""

    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)

    def __str__(self) -> str:  # shown by pytest when an assertion about it fails
        return f"exit {self.code}\n--- stdout\n{self.out}--- stderr\n{self.err}"


def cli(capsys, *argv, prog: str = "lockgate") -> Result:
    """Run ``lockgate ARGV`` (or ``migrate ARGV`` with prog="migrate") in this process."""
    capsys.readouterr()  # drop anything printed before
    args = [str(a) for a in argv]
    try:
        code = lockgate_cli.migrate_main(args) if prog == "migrate" else lockgate_cli.main(args)
    except SystemExit as exc:  # argparse: --help, bad usage
        code = exc.code if isinstance(exc.code, int) else 1
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)


def migrate(capsys, *argv) -> Result:
    """Run the seed's ``migrate ARGV`` in this process."""
    return cli(capsys, *argv, prog="migrate")


def console_script(name: str) -> str:
    """Path of a console script installed beside this interpreter, or skip."""
    path = Path(sys.executable).parent / name
    if not path.exists():
        found = shutil.which(name)
        if not found:
            pytest.skip(f"the {name} console script is not installed beside {sys.executable}")
        return found
    return str(path)


def run_process(argv: list, *, cwd=None, env: dict | None = None, timeout: float = 60,
                fresh: bool = False) -> Result:
    """Run a real process (no shell) with LOCKGATE_URL/DATABASE_URL removed unless given.

    ``python ...`` and this interpreter's console scripts are forked from the
    warm server in forkserver.py (a process of their own, minus start-up);
    ``fresh=True`` starts a new interpreter, for tests that prove the start-up.
    """
    environ = {k: v for k, v in os.environ.items() if k not in ("LOCKGATE_URL", "DATABASE_URL")}
    environ.update(env or {})
    args = [str(a) for a in argv]
    if not fresh and forkserver.is_venv_python(args[0]):
        done = forkserver.run(args[1:], cwd=cwd, env=environ, timeout=timeout)
    elif not fresh and forkserver.runs_on_venv_python(args[0]):
        done = forkserver.run(args, cwd=cwd, env=environ, timeout=timeout)
    else:
        done = subprocess.run(args, cwd=cwd, env=environ, capture_output=True, text=True, timeout=timeout)
    return Result(done.returncode, done.stdout, done.stderr)


def python_m_lockgate(*argv) -> list[str]:
    return [sys.executable, "-m", "lockgate", *[str(a) for a in argv]]


# -- expectations ------------------------------------------------------------


def assert_clean_error(result: Result, code: int, *fragments: str, prog: str = "lockgate") -> str:
    """A failure with the right exit code: one message on stderr, no traceback."""
    assert result.code == code, str(result)
    assert "Traceback" not in result.err, str(result)
    assert "Traceback" not in result.out, str(result)
    assert f"{prog}: error:" in result.err, str(result)
    assert "unexpected error" not in result.err, str(result)
    for fragment in fragments:
        assert fragment in result.err, f"{fragment!r} not in stderr\n{result}"
    return result.err


def assert_no_password(result: Result, password: str = PASSWORD) -> None:
    assert password not in result.out, str(result)
    assert password not in result.err, str(result)


# -- files -------------------------------------------------------------------


def ini_escape(value: str) -> str:
    """A value as an ini file (configparser interpolation) reads it back."""
    return value.replace("%", "%%")


def write_ini(path: Path, url: str | None, *, package: str | None = "busy.migration",
              directory: str | Path | None = None, section: str = "lockgate",
              app: str | None = "app:main", app_section: str = "app:main",
              extra: str = "", app_extra: str = "") -> Path:
    """An ini file with the database in ``[app_section]`` and a migration section naming it."""
    lines = []
    if app_section:
        lines.append(f"[{app_section}]")
        if url is not None:
            lines.append(f"sqlalchemy.url = {ini_escape(url)}")
        lines.extend(textwrap.dedent(app_extra).strip().splitlines())
        lines.append("")
    lines.append(f"[{section}]")
    if app:
        lines.append(f"app = {app}")
    if package:
        lines.append(f"package = {package}")
    if directory:
        lines.append(f"directory = {directory}")
    lines.extend(textwrap.dedent(extra).strip().splitlines())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# -- looking at a database ---------------------------------------------------


def table_names(url: str) -> set[str]:
    with engine_for(url) as engine:
        return {name.lower() for name in sa.inspect(engine).get_table_names()}


def app_tables(url: str) -> set[str]:
    """Tables other than lockgate's own."""
    return {t for t in table_names(url) if t not in ("lockgate_versions",)}


def tracked(url: str, table: str = "lockgate_versions") -> dict[str, int | None]:
    """version -> execution_ms of every row in the tracking table ({} when it does not exist)."""
    with engine_for(url) as engine:
        if not sa.inspect(engine).has_table(table):
            return {}
        with engine.connect() as conn:
            name = engine.dialect.identifier_preparer.quote(table)
            rows = conn.execute(sa.text(f"SELECT version, execution_ms FROM {name}")).all()
    return {version: ms for version, ms in sorted(rows, key=lambda r: int(r[0]))}


def states(url: str, table: str = "lockgate_versions") -> dict[str, str]:
    """version -> state (applied, or started/reverting when a run stopped inside a script)."""
    with engine_for(url) as engine:
        with engine.connect() as conn:
            rows = conn.execute(sa.text(f"SELECT version, state FROM {table}")).all()
    return dict(rows)


def scalar(url: str, sql: str):
    with engine_for(url) as engine, engine.connect() as conn:
        return conn.execute(sa.text(sql)).scalar()


def snapshot(url: str) -> tuple:
    """Tables and tracking rows: equal snapshots mean nothing visible changed."""
    return (table_names(url), tracked(url))


# -- servers that do not answer ----------------------------------------------


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def silent_server():
    """A port that accepts TCP connections (the kernel's backlog) but never says a word."""
    sock = socket.socket()
    try:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield sock.getsockname()[1]
    finally:
        sock.close()


# -- isolation ----------------------------------------------------------------


@pytest.fixture(autouse=True)
def isolated_cli(monkeypatch):
    """No URL from the developer's environment; sys.path and SQL logging restored afterwards.

    ``make_migrator`` appends the ini file's folder to sys.path and ``-v`` turns
    on SQLAlchemy's logging; neither may leak into the next test.
    """
    monkeypatch.delenv("LOCKGATE_URL", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setattr(sys, "path", list(sys.path))
    logger = logging.getLogger("sqlalchemy.engine")
    level = logger.level
    yield
    logger.setLevel(level)
