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
  through a shell, with the virtualenv's ``bin`` first on PATH. The console
  scripts ``lockgate`` and ``migrate`` run their entry-point function in a
  process forked from a server that imported lockgate once (see
  :func:`run_console_script`): the same code in a process of its own, without
  paying Python's and SQLAlchemy's start-up for each of a page's commands;
  every other program is a real :func:`subprocess.run`. The runner itself handles ``cd DIR`` and ``export NAME=VALUE``;
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

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Callable

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
#: Console scripts run by their entry point in a forked process (the rest run as programs).
FORKED_SCRIPTS = ("lockgate", "migrate")


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
        bin_folder = str(Path(sys.executable).parent)
        self.env = {k: v for k, v in os.environ.items() if k not in HIDDEN_ENVIRONMENT}
        self.env.update(PATH=bin_folder + os.pathsep + os.environ.get("PATH", ""), NO_COLOR="1")

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
        if argv[0] in FORKED_SCRIPTS and Path(program).parent == Path(sys.executable).parent:
            done = run_console_script(argv[0], argv[1:], self.cwd, self.env)
        else:
            done = subprocess.run([program, *argv[1:]], cwd=self.cwd, env=self.env, capture_output=True,
                                  text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL)
        output = ANSI.sub("", done.stdout + done.stderr)
        shown = shlex.join(argv) if argv[:2] != ["python", "-c"] else "python -c <block>"
        report = f"{where}: `{shown}` exited {done.returncode}\n--- output:\n{output}"
        assert done.returncode == expected_exit, f"expected exit {expected_exit}; {report}"
        for line in expected:
            assert output_pattern(line).search(output), f"output lacks {line.strip()!r}; {report}"


# -- console scripts in forked processes ------------------------------------------

#: A server with lockgate imported: per request line (JSON) it forks a child that
#: becomes the console script (folder, environment, streams, argv, module path)
#: and runs its entry point; it answers with the child's exit code.
FORK_SERVER = r"""
import importlib, json, os, signal, sys
import lockgate.cli, sqlalchemy

for line in sys.stdin:
    request = json.loads(line)
    pid = os.fork()
    if pid == 0:
        signal.alarm(request["timeout"])  # the default action ends the child
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        for fd, path in ((1, request["out"]), (2, request["err"])):
            os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), fd)
        sys.stdin = open(0, encoding="utf-8", closefd=False)
        sys.stdout = open(1, "w", encoding="utf-8", closefd=False)
        sys.stderr = open(2, "w", encoding="utf-8", closefd=False)
        sys.argv = [request["launcher"], *request["args"]]
        sys.path[0] = os.path.dirname(request["launcher"])  # what a launcher's interpreter puts first
        module, _, function = request["target"].partition(":")
        try:
            code = getattr(importlib.import_module(module), function)()
        except SystemExit as exit_:
            code = exit_.code
        if not isinstance(code, int):
            if code is not None:
                print(code, file=sys.stderr)
            code = 0 if code is None else 1
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    print(os.waitstatus_to_exitcode(status), flush=True)
"""
_server: subprocess.Popen | None = None


def console_entry_point(name: str) -> str:
    """``module:function`` of an installed console script, as its launcher in ``bin/`` calls it."""
    (found,) = [e for e in entry_points(group="console_scripts") if e.name == name]
    return found.value


def run_console_script(name: str, args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run an installed console script's entry point in a process forked from a warm server.

    What the launcher in ``bin/`` does, minus the interpreter's start-up: a
    process of its own (its own folder, environment, modules, exit code),
    forked from one single-threaded server per test process that has
    imported lockgate already.
    """
    global _server
    if _server is None or _server.poll() is not None:
        _server = subprocess.Popen([sys.executable, "-c", FORK_SERVER], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, text=True, cwd="/")
    with tempfile.TemporaryDirectory() as folder:
        out, err = Path(folder) / "out", Path(folder) / "err"
        request = {"target": console_entry_point(name), "launcher": str(Path(sys.executable).parent / name),
                   "args": args, "cwd": str(cwd), "env": env, "out": str(out), "err": str(err), "timeout": TIMEOUT}
        assert _server.stdin is not None and _server.stdout is not None
        _server.stdin.write(json.dumps(request) + "\n")
        _server.stdin.flush()
        answer = _server.stdout.readline()
        assert answer, "the fork server for console scripts stopped"
        return subprocess.CompletedProcess([name, *args], int(answer),
                                           out.read_text(encoding="utf-8", errors="replace"),
                                           err.read_text(encoding="utf-8", errors="replace"))
