"""The README's first two commands, run as a newcomer would: in a fresh copy, fresh venvs.

The first command (install, then upgrade and status of the example on SQLite)
runs exactly as written. The second installs the test environment as written;
of its last step, ``python -m pytest -n 4``, this test runs a small part in one
xdist worker (running the whole suite from inside the suite would recurse),
which proves the environment it installed can run the tests.

Each ``&&``-joined step is run as an argument list (no shell), in order,
stopping at the first failure, as a shell would. Two environment settings
change what the steps cost, not what they install or run: pip leaves out
compiling all it installs to ``.pyc`` (``PIP_COMPILE=0``; note that pip reads
``PIP_NO_COMPILE=1`` as ``--no-compile`` set to true, which compiles), and
Python writes the bytecode of what the steps import, as it does for a
newcomer, even where this machine says PYTHONDONTWRITEBYTECODE. So what the
steps use is compiled once, not all of it by pip, nor again in every process.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
#: See the docstring.
STEP_ENVIRONMENT = {**{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}, "PIP_COMPILE": "0"}
SKIP = shutil.ignore_patterns(".venv*", ".git", "__pycache__", "*.egg-info", "build", "dist",
                              ".pytest_cache", "*.sqlite", "*.db")


def readme_commands() -> list[str]:
    """The indented command lines of the README's opening section, in order."""
    commands = []
    for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            break
        if line.startswith("    ") and line.strip():
            commands.append(line.strip())
    return commands


def run_steps(command: str, cwd: Path, replace_last=None) -> list[subprocess.CompletedProcess]:
    steps = [shlex.split(part) for part in command.split("&&")]
    if steps[0][0] == "python3":
        steps[0][0] = shutil.which("python3") or sys.executable
    if replace_last is not None:
        steps[-1] = replace_last
    done = []
    for argv in steps:
        result = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=900,
                                env=STEP_ENVIRONMENT)
        done.append(result)
        assert result.returncode == 0, f"{' '.join(argv)} failed:\n{result.stdout}\n{result.stderr}"
    return done


@pytest.fixture
def fresh_copy(tmp_path) -> Path:
    copy = tmp_path / "lockgate"
    shutil.copytree(ROOT, copy, ignore=SKIP)
    return copy


def test_the_readme_opens_with_the_two_commands():
    commands = readme_commands()
    assert len(commands) == 2, commands
    assert "migrate examples/busy/development.ini upgrade" in commands[0]
    assert commands[1].endswith("python -m pytest -n 4")


def test_first_command_installs_and_migrates_the_example_on_sqlite(fresh_copy):
    results = run_steps(readme_commands()[0], fresh_copy)

    upgrade, status = results[-2], results[-1]
    assert "Applied 3 scripts" in upgrade.stdout, upgrade.stdout
    assert "3 applied, 0 pending." in status.stdout, status.stdout

    # The README's next step: add_script writes into the example, installed editable.
    assert '`.venv/bin/migrate examples/busy/development.ini add_script "add notes"`' in README
    (added,) = run_steps('.venv/bin/migrate examples/busy/development.ini add_script "add notes"', fresh_copy)
    folder = fresh_copy / "examples" / "busy" / "src" / "busy" / "migration"
    new = sorted(p.name for p in folder.glob("*_add_notes.sql"))
    assert len(new) == 1 and new[0] in added.stdout, added.stdout
    assert "The models match the schema the scripts produce" in added.stdout, added.stdout


def test_second_command_installs_an_environment_that_runs_the_tests(fresh_copy):
    command = readme_commands()[1]
    python = ".venv/bin/python"
    assert command.split("&&")[-1].split() == [python, "-m", "pytest", "-n", "4"]

    results = run_steps(command, fresh_copy,
                        replace_last=[python, "-m", "pytest", "-n", "1", "-q", "-p", "no:cacheprovider",
                                      "tests/test_scripts.py", "tests/test_quickread.py"])

    assert " passed" in results[-1].stdout, results[-1].stdout
