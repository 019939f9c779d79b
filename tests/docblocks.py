"""Run the code blocks of a Markdown page, in order, in a folder of its own.

The convention the pages under docs/ follow (test_docs.py runs every page):

* ```` ```console ````: a shell session. A line starting with ``$ `` is a
  command (a trailing ``\\`` continues it on the next line); the lines after
  it, up to the next command, are output it must print. Output is matched
  loosely: each shown line must occur somewhere in stdout or stderr, runs of
  spaces match any whitespace (tables may be re-aligned) and ``...`` matches
  anything (timestamps, durations, generated versions). A command must exit 0,
  unless its line ends with a comment such as ``# exits 1``.
  Commands run with an argument list from :func:`shlex.split`, never
  through a shell, with the virtualenv's ``bin`` first on PATH. The
  virtualenv's Python programs (``python ...`` and console scripts such as
  ``lockgate``, ``migrate`` or ``alembic``, whose launcher names that
  Python) run forked from tests/forkserver.py's server, which has imported
  lockgate and SQLAlchemy once (see :func:`forked_args`): the same code in a
  process of its own, without paying Python's start-up for each of a page's
  commands; every other program is a real :func:`subprocess.run`. Pages'
  ``pytest`` runs leave out Hypothesis's plugin, which this virtualenv has
  for lockgate's own tests and the pages never install (importing it is most
  of a small run). The runner itself handles ``cd DIR`` and ``export NAME=VALUE``;
  it skips ``createdb``/``dropdb`` (the test supplies a fresh database) and
  ``pip install`` / ``python -m pip install`` (the virtualenv already has
  lockgate; the packages and extras named are checked against pyproject.toml
  instead).
* A block whose info string has ``title="PATH"`` is a file: its text is
  written to PATH (folders are created) before the blocks after it run, for
  any language (python, sql, ini, toml...). A ``*`` in PATH stands for a name
  the page cannot know in advance (``migrations/*_downgrade.sql`` after
  ``add_script``): among the files that commands made (not the page's own
  titled blocks), exactly one must match, and it is overwritten.
* ```` ```python ```` without a title is run with the virtualenv's Python
  (``python -c``) in the page's folder and must exit 0.
* ```` ```text ```` is an illustration (a folder layout) and is not run. Any
  other block without a title is an error, so nothing on a page goes untested.

PostgreSQL URLs of the form ``postgresql[+driver]://[USER[:PASSWORD]@]127.0.0.1[:5432]/NAME``
are replaced, in every block, by the URL of a fresh database made for the
test (user and password included), one per NAME (see :class:`PageRunner`).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import forkserver

FENCE = re.compile(r"^(?P<indent> *)(?P<fence>```+)(?P<info>.*)$")
ATTRIBUTE = re.compile(r'(\w+)="([^"]*)"')
PAGE_POSTGRESQL_URL = re.compile(
    r"(?P<scheme>postgresql(?:\+\w+)?)://(?:[\w.-]+(?::[^@/\s]*)?@)?127\.0\.0\.1(?::5432)?/(?P<name>\w+)")
EXPECTED_EXIT = re.compile(r"#\s*exits?\s+(\d+)\s*$")
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
SKIPPED_PROGRAMS = ("createdb", "dropdb")
HIDDEN_ENVIRONMENT = ("LOCKGATE_URL", "DATABASE_URL", "LOCKGATE_TEST_URL", "PYTEST_ADDOPTS",
                      "VISUAL", "EDITOR")
TIMEOUT = 300
VENV_BIN = forkserver.VENV_BIN
#: Hypothesis's pytest plugin is in this virtualenv for lockgate's own tests; the
#: pages install no Hypothesis, and importing it costs most of a page's pytest run.
PYTEST_ADDOPTS = "-p no:hypothesispytest"


@dataclass
class Block:
    """One fenced block: language, attributes from the info string, text, first line."""

    language: str
    attributes: dict[str, str]
    text: str
    line: int

    @property
    def title(self) -> str | None:
        return self.attributes.get("title")


@dataclass
class Command:
    """One ``$`` line of a console block, with the output shown under it."""

    line: str
    number: int
    expected_output: list[str] = field(default_factory=list)

    @property
    def expected_exit(self) -> int:
        found = EXPECTED_EXIT.search(self.line)
        return int(found.group(1)) if found else 0


def parse_blocks(markdown: str) -> list[Block]:
    """Every fenced block of a page, in order; indented fences (in lists) are dedented."""
    blocks, lines, index = [], markdown.splitlines(), 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        index += 1
        if not opening:
            continue
        indent, fence, info = len(opening["indent"]), opening["fence"], opening["info"].strip()
        body, start = [], index + 1
        while index < len(lines) and lines[index].strip() != fence:
            body.append(lines[index][indent:] if lines[index][:indent].isspace() else lines[index])
            index += 1
        if index == len(lines):
            raise ValueError(f"line {start - 1}: the block opened here is never closed")
        index += 1
        language = info.split()[0] if info else ""
        blocks.append(Block(language, dict(ATTRIBUTE.findall(info)), "\n".join(body) + "\n", start))
    return blocks


def parse_console(block: Block) -> list[Command]:
    """The commands of a console block with the output lines shown after each."""
    commands: list[Command] = []
    lines = block.text.splitlines()
    index = 0
    while index < len(lines):
        line, number = lines[index], block.line + index
        index += 1
        if line.startswith("$ "):
            command = line[2:]
            while command.endswith("\\") and index < len(lines):
                command, index = command[:-1] + " " + lines[index].strip(), index + 1
            commands.append(Command(command, number))
        elif line.strip():
            if not commands:
                raise ValueError(f"line {number}: output before any `$ ` command")
            commands[-1].expected_output.append(line)
    return commands


def output_pattern(shown: str) -> re.Pattern:
    """A shown output line as a loose pattern: flexible whitespace, ``...`` for anything."""
    parts = [r"\s+".join(re.escape(word) for word in part.split()) for part in shown.strip().split("...")]
    return re.compile(r".*?".join(parts))


def pip_requirements(argv: list[str]) -> list[str] | None:
    """The requirements of a ``pip install`` command line, None for any other command."""
    if argv[:2] == ["pip", "install"]:
        rest = argv[2:]
    elif argv[:4] == ["python", "-m", "pip", "install"]:
        rest = argv[4:]
    else:
        return None
    return [word for word in rest if not word.startswith("-")]


class PageRunner:
    """Runs one page's blocks in ``folder``.

    :param fresh_postgresql_url: called once per database NAME the page's
        PostgreSQL URLs use; returns the URL of a new empty database (or skips
        the test when there is no server). Called only when a block needing it
        is reached, so a page's SQLite part runs even without PostgreSQL.
    :param check_requirement: called with each requirement of a skipped
        ``pip install`` line.
    """

    def __init__(self, page: str, folder: Path, *, fresh_postgresql_url: Callable[[str], str],
                 check_requirement: Callable[[str], None]):
        self.page = page
        self.folder = folder
        self.cwd = folder
        self.fresh_postgresql_url = fresh_postgresql_url
        self.check_requirement = check_requirement
        self.urls: dict[str, str] = {}
        self.written: set[Path] = set()  # files the page's titled blocks wrote
        self.env = {k: v for k, v in os.environ.items() if k not in HIDDEN_ENVIRONMENT}
        self.env.update(PATH=str(VENV_BIN) + os.pathsep + os.environ.get("PATH", ""), NO_COLOR="1",
                        PYTEST_ADDOPTS=PYTEST_ADDOPTS)

    def run(self, markdown: str) -> int:
        """Run every block; returns how many commands and files it ran or wrote."""
        count = 0
        for block in parse_blocks(markdown):
            count += self.run_block(block)
        return count

    def run_block(self, block: Block) -> int:
        where = f"{self.page}:{block.line}"
        if block.title:
            self.write_file(block, where)
            return 1
        if block.language == "console":
            commands = parse_console(block)
            for command in commands:
                self.run_command(command)
            return len(commands)
        if block.language == "python":
            argv = ["python", "-c", self.substitute(block.text)]
            self.check_run(argv, f"{where} (python block)", 0, [])
            return 1
        if block.language == "text":
            return 0
        raise AssertionError(f"{where}: a ```{block.language} block without title=\"PATH\" cannot be "
                             "tested; give it a title, or make it console, python or text.")

    def substitute(self, text: str) -> str:
        """Page URLs of PostgreSQL databases become fresh databases' URLs."""

        def fresh(match: re.Match) -> str:
            name = match["name"]
            if name not in self.urls:
                self.urls[name] = self.fresh_postgresql_url(name)
            return match["scheme"] + "://" + self.urls[name].split("://", 1)[1]

        return PAGE_POSTGRESQL_URL.sub(fresh, text)

    def write_file(self, block: Block, where: str) -> None:
        title = block.title
        if "*" in title:
            matches = sorted(p for p in self.cwd.glob(title) if p.resolve() not in self.written)
            assert len(matches) == 1, f"{where}: {title} should match exactly one file a command made, not {matches}"
            path = matches[0]
        else:
            path = self.cwd / title
            self.written.add(path.resolve())
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.substitute(block.text), encoding="utf-8")

    def run_command(self, command: Command) -> None:
        where = f"{self.page}:{command.number}"
        argv = shlex.split(self.substitute(command.line), comments=True)
        if not argv:
            return
        if argv[0] == "cd":
            self.cwd = (self.cwd / argv[1]).resolve()
            assert self.cwd.is_dir(), f"{where}: cd {argv[1]}: no such folder"
            return
        if argv[0] == "export":
            for assignment in argv[1:]:
                name, _, value = assignment.partition("=")
                self.env[name] = value
            return
        if argv[0] in SKIPPED_PROGRAMS:
            return
        requirements = pip_requirements(argv)
        if requirements is not None:
            for requirement in requirements:
                self.check_requirement(requirement)
            return
        self.check_run(argv, where, command.expected_exit, command.expected_output)

    def check_run(self, argv: list[str], where: str, expected_exit: int, expected: list[str]) -> None:
        program = shutil.which(argv[0], path=self.env["PATH"])
        assert program, f"{where}: {argv[0]} is not installed"
        forked = forked_args(program, argv[1:])
        if forked is not None:
            done = forkserver.run(forked, cwd=self.cwd, env=self.env, timeout=TIMEOUT)
        else:
            done = subprocess.run([program, *argv[1:]], cwd=self.cwd, env=self.env, capture_output=True,
                                  text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL)
        output = ANSI.sub("", done.stdout + done.stderr)
        shown = shlex.join(argv) if argv[:2] != ["python", "-c"] else "python -c <block>"
        report = f"{where}: `{shown}` exited {done.returncode}\n--- output:\n{output}"
        assert done.returncode == expected_exit, f"expected exit {expected_exit}; {report}"
        for line in expected:
            assert output_pattern(line).search(output), f"output lacks {line.strip()!r}; {report}"


def forked_args(program: str, args: list[str]) -> list[str] | None:
    """What follows ``python`` for tests/forkserver.py to run this command, None to run it as a program.

    The virtualenv's ``python`` with ``-c``, ``-m`` or a script, and the
    virtualenv's console-script launchers (run as ``python LAUNCHER ARGS``,
    which is what their ``#!`` line does) are forked; ``python -m pytest``
    goes through :func:`forkserver.pytest_args`.
    """
    if Path(os.path.abspath(program)).parent != VENV_BIN:
        return None
    if forkserver.is_venv_python(program):
        if args[:2] == ["-m", "pytest"]:
            return forkserver.pytest_args(*args[2:])
        return args if args and (args[0] in ("-c", "-m") or not args[0].startswith("-")) else None
    if Path(program).name not in ("pytest", "py.test") and forkserver.runs_on_venv_python(program):
        return [program, *args]
    return None
