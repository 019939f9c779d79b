"""The documentation works as written: every code block of docs/*.md and docs/howto/*.md runs.

Each page runs in a fresh temporary folder, its blocks in order (the
convention is described in docblocks.py: ```console blocks are commands with
loosely matched output, blocks with title="PATH" are files, ```python blocks
run).

URL substitution: pages write PostgreSQL URLs as
``postgresql+psycopg://root@127.0.0.1/NAME`` (any NAME; another user, a
password, ``:5432`` and another driver are allowed, the host must be
127.0.0.1). Before a block runs, each such URL is replaced by the URL of a
fresh empty database on the test server (conftest.py's servers), one database
per NAME and page, dropped afterwards: user and password become the test
server's. Without a PostgreSQL server
the page runs up to its first PostgreSQL block and then skips, saying why.

``pip install`` lines are not run: the virtualenv already holds lockgate.
Each requirement they name must be lockgate with extras that pyproject.toml
defines, or a package one of pyproject.toml's requirement lists names.

docs/reference.md is generated from the code; the last test fails when it
is out of date and prints the command that regenerates it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import dbservers
import forkserver
from docblocks import PageRunner, forked_args, parse_blocks, parse_console, output_pattern

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = sorted(p.relative_to(ROOT).as_posix() for p in [*DOCS.glob("*.md"), *DOCS.glob("howto/*.md")])
REQUIREMENT = re.compile(r"^(?P<name>[A-Za-z0-9_.-]+)(?:\[(?P<extras>[^\]]*)\])?")


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def check_requirement(requirement: str) -> None:
    """A requirement of a page's ``pip install`` line exists in pyproject.toml.

    lockgate is not on PyPI yet, so pages install it from a clone: a path
    whose last folder is ``lockgate`` (``./lockgate``, ``'../lockgate[postgresql]'``)
    stands for the project itself, with its extras checked. A bare ``lockgate``
    would not install today, and is refused.
    """
    project = _pyproject()["project"]
    path, bracket, extras = requirement.partition("[")
    if path.startswith((".", "/", "~")):
        assert Path(path).name == project["name"], f"pip install {requirement}: not a path to a clone of lockgate"
        requirement = project["name"] + bracket + extras
    elif REQUIREMENT.match(requirement)["name"].lower() == project["name"]:
        raise AssertionError(f"pip install {requirement}: lockgate is not on PyPI yet; install it from a "
                             "clone (pip install ./lockgate)")
    found = REQUIREMENT.match(requirement)
    assert found, f"cannot read the requirement {requirement!r}"
    name, extras = found["name"].lower(), found["extras"]
    optional = project.get("optional-dependencies", {})
    if name == project["name"]:
        for extra in filter(None, (e.strip() for e in (extras or "").split(","))):
            assert extra in optional, f"pip install {requirement}: pyproject.toml has no extra {extra!r}"
        return
    named = {REQUIREMENT.match(r)["name"].lower() for r in project["dependencies"]}
    named |= {REQUIREMENT.match(r)["name"].lower() for rs in optional.values() for r in rs}
    assert name in named, f"pip install {requirement}: pyproject.toml names no such package"


@pytest.mark.parametrize("page", PAGES)
def test_page_runs_as_written(page, db_servers, tmp_path):
    factories = []

    def fresh_postgresql_url(name: str) -> str:
        if not factories:
            factories.append(dbservers.DatabaseFactory("postgresql", db_servers, tmp_path))
        return factories[0]()

    folder = tmp_path / "page"
    folder.mkdir()
    runner = PageRunner(page, folder, fresh_postgresql_url=fresh_postgresql_url,
                        check_requirement=check_requirement)
    try:
        runner.run((ROOT / page).read_text(encoding="utf-8"))
    finally:
        for factory in factories:
            factory.drop_all()


def test_every_page_is_listed_in_the_index():
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    for page in PAGES:
        relative = Path(page).relative_to("docs").as_posix()
        if relative != "index.md":
            assert f"({relative})" in index, f"docs/index.md does not link to {relative}"


def test_links_between_pages_resolve():
    for page in PAGES:
        text = (ROOT / page).read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)#:]+\.md)(?:#[^)]*)?\)", text):
            assert ((ROOT / page).parent / target).is_file(), f"{page} links to missing {target}"


def test_reference_is_generated_from_the_code():
    from lockgate.reference import build_reference

    written = (DOCS / "reference.md").read_text(encoding="utf-8")
    assert written == build_reference(), (
        "docs/reference.md is out of date with the code; regenerate it with:\n"
        "  .venv/bin/python -m lockgate.reference > docs/reference.md")


# -- the runner itself ---------------------------------------------------------


def test_blocks_and_console_commands_are_parsed():
    page = ('Text\n\n```console\n$ lockgate status \\\n    --json\n[\n$ lockgate check  # exits 1\n```\n\n'
            '  ```sql title="m/1_a.sql"\n  SELECT 1;\n  ```\n')
    console, sql = parse_blocks(page)
    assert (console.language, sql.title, sql.text) == ("console", "m/1_a.sql", "SELECT 1;\n")
    first, second = parse_console(console)
    assert (first.line, first.expected_output, first.expected_exit) == ("lockgate status  --json", ["["], 0)
    assert second.expected_exit == 1


def test_shown_output_is_matched_loosely():
    assert output_pattern("1  create_notes  sql  applied  ...").search("1 create_notes   sql applied 2026-01-01")
    assert not output_pattern("2 applied, 0 pending.").search("1 applied, 1 pending.")


def test_page_urls_are_replaced_with_fresh_databases(tmp_path):
    made = []
    runner = PageRunner("p", tmp_path, fresh_postgresql_url=lambda name: made.append(name) or f"x://h/{name}_1",
                        check_requirement=lambda r: None)
    text = runner.substitute("postgresql+psycopg://root@127.0.0.1/tutorial and "
                             "postgresql://app:s3cret@127.0.0.1:5432/tutorial, postgresql://127.0.0.1/other")
    assert text == "postgresql+psycopg://h/tutorial_1 and postgresql://h/tutorial_1, postgresql://h/other_1"
    assert made == ["tutorial", "other"]


def test_pip_lines_are_checked_against_pyproject():
    check_requirement("./lockgate")
    check_requirement("../lockgate[postgresql]")
    check_requirement("psycopg[binary]")
    for wrong in ("./lockgate[oracle]", "./elsewhere", "no-such-package"):
        with pytest.raises(AssertionError):
            check_requirement(wrong)


def test_pages_install_lockgate_the_way_that_works_today():
    """Not on PyPI yet: `pip install lockgate` would fail for a reader who copies it."""
    with pytest.raises(AssertionError, match="not on PyPI yet"):
        check_requirement("lockgate[postgresql]")
    for page in ["README.md", "examples/busy/README.md", *PAGES]:
        text = (ROOT / page).read_text(encoding="utf-8")
        commands = re.findall(r"^(?:\$ | {4}).*$", text, re.MULTILINE)  # console lines, indented code
        wrong = [line for line in commands if re.search(r"pip install (?:-\S+ )*['\"]?lockgate\b", line)]
        assert not wrong, f"{page} installs lockgate from PyPI: {wrong}"


def test_every_configuration_key_is_described():
    from lockgate.config import KEYS
    from lockgate.reference import KEY_HELP

    assert set(KEY_HELP) == set(KEYS), "lockgate.reference.KEY_HELP must describe exactly config.KEYS"


def test_forked_console_scripts_behave_as_their_launchers(tmp_path):
    """The docs' Python commands run forked from a warm server: same output, exit code, folder."""
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "1_a.sql").write_text("CREATE TABLE a (id INTEGER);\n")
    env = {**os.environ, "LOCKGATE_URL": f"sqlite:///{tmp_path / 'app.db'}", "NO_COLOR": "1"}
    bin_folder = Path(sys.executable).parent
    commands = [("lockgate", ["--directory", "migrations", "status"]),
                ("lockgate", ["--directory", "missing", "status"]),
                ("migrate", ["missing.ini", "upgrade"]),
                ("lockgate", ["--version"]),
                ("python", ["-c", "import os, sys; print(os.getcwd(), sys.argv, sys.path[0]); sys.exit(3)"])]
    launchers = [subprocess.Popen([str(bin_folder / name), *args], cwd=tmp_path, env=env, text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
                 for name, args in commands]  # side by side: only their answers matter here
    answers = [(launcher.communicate(), launcher.returncode) for launcher in launchers]
    for (name, args), ((out, err), code) in zip(commands, answers):
        forked = forkserver.run(forked_args(str(bin_folder / name), args), cwd=tmp_path, env=env)
        assert (forked.returncode, forked.stdout, forked.stderr) == (code, out, err), (name, args)
    upgrade = forkserver.run(forked_args(str(bin_folder / "lockgate"), ["--directory", "migrations", "upgrade"]),
                             cwd=tmp_path, env=env)
    assert upgrade.returncode == 0, upgrade.stderr
    assert (tmp_path / "app.db").exists()  # ran in the folder given, with the environment given


def test_only_the_virtualenvs_python_programs_are_forked(tmp_path):
    bin_folder = Path(sys.executable).parent
    assert forked_args(str(bin_folder / "python"), ["-m", "lockgate", "status"]) == ["-m", "lockgate", "status"]
    assert forked_args(str(bin_folder / "python"), ["-W", "error", "x.py"]) is None  # options the server lacks
    assert forked_args(str(bin_folder / "python"), ["-m", "pytest", "-q"])[0] == "-c"  # lockgate imported afresh
    assert forked_args(str(bin_folder / "pytest"), ["-q"]) is None
    assert forked_args("/usr/bin/touch", ["x"]) is None
