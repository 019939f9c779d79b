"""Paths a newcomer takes: misnamed scripts, setup.cfg, SQLite files beside the ini, no ini at all.

Each of these used to go wrong without a word: a script named the Flyway way
(or with an upper-case extension) never ran, ``[lockgate]`` in setup.cfg was
not read, and ``migrate`` in a folder without development.ini blamed a URL.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from clihelpers import (
    assert_clean_error,
    cli,
    isolated_cli,  # noqa: F401  (autouse fixture)
    migrate,
    tracked,
    write_ini,
)
from helpers import make_package  # noqa: F401  (fixture)
from lockgate.config import Settings, load_settings, missing_default_config, sqlite_url_beside
from lockgate.errors import ConfigError, ScriptLayoutError
from lockgate.scripts import ScriptSource

# -- every file in a script folder is a script, belongs to one, or may be there ---------------


def layout_problems(root: Path) -> list[str]:
    with pytest.raises(ScriptLayoutError) as caught:
        ScriptSource(directory=root).find()
    return caught.value.problems


def test_files_meant_as_scripts_are_reported_with_their_new_names(make_scripts):
    root = make_scripts({
        "1_fine.sql": "", "create_h.sql": "", "7_Title.SQL": "", "8_tool.PY": "",
        "V9__flyway.sql": "", "U9__flyway.sql": "", "R__views.sql": "", "V1.2__dotted.sql": "",
    })

    problems = layout_problems(root)

    assert len(problems) == 6, problems
    text = "\n".join(problems)
    assert "create_h.sql" not in text  # a data file for run_sql_file(), not a script
    assert "7_Title.SQL: the extension must be lower-case: rename it 7_Title.sql" in text
    assert "rename it 8_tool.py" in text
    assert "V9__flyway.sql looks like a Flyway migration: rename it 9_flyway.sql" in text
    assert "U9__flyway.sql looks like a Flyway undo migration: rename it 9_downgrade.sql" in text
    assert "R__views.sql looks like a Flyway repeatable migration" in text
    assert "V1.2__dotted.sql" in text and "whole numbers" in text


@pytest.mark.parametrize("name", ["1_a\nb.sql", "1_a.sql\n", "2_tab\there.py"], ids=["inside", "at-end", "tab"])
def test_a_file_name_holding_a_control_character_is_reported(make_scripts, name):
    root = make_scripts({name: ""})

    (problem,) = layout_problems(root)

    assert repr(name) in problem and "control character" in problem


def test_files_beside_the_scripts_may_stay(make_scripts):
    """A versionless .sql file is what a mixed script runs with run_sql_file(); other files are notes."""
    root = make_scripts({"1_a.sql": "", "seed.sql": "", "schema.json": "{}", "Makefile": ""})

    assert [s.version for s in ScriptSource(directory=root).find()] == ["1"]  # no problem raised


def test_readmes_notes_backups_and_caches_may_stay(make_scripts):
    root = make_scripts({
        "1_a.sql": "", "1_downgrade.sql": "", "2_b.py": "", "2_upgrade.sql": "",
        "__init__.py": "", "README": "", "README.rst": "", "CHANGES.md": "", "notes.TXT": "",
        ".gitkeep": "", ".DS_Store": "", "Thumbs.db": "", "1_a.sql~": "", "2_b.py.bak": "",
        "2_b.pyc": "", "#1_a.sql#": "", "__pycache__/2_b.cpython-311.pyc": "", "archive/old.json": "",
    })

    assert [s.version for s in ScriptSource(directory=root).find()] == ["1", "2"]


def test_the_cli_lists_every_problem_and_what_a_script_name_looks_like(capsys, make_scripts, sqlite_url):
    root = make_scripts({"1_a.sql": "SELECT 1;\n", "V9__flyway.sql": "", "create_h.sql": "",
                         "7_Title.SQL": ""})

    result = cli(capsys, "--url", sqlite_url, "--directory", root, "status")

    err = assert_clean_error(result, 2, "V9__flyway.sql looks like a Flyway migration: rename it 9_flyway.sql",
                             "7_Title.SQL: the extension must be lower-case",
                             "a script is <version>_<title>.sql or .py")
    assert "No scripts found" not in result.out + err


def test_the_cli_no_longer_says_no_scripts_for_a_name_with_a_newline(capsys, make_scripts, sqlite_url):
    root = make_scripts({"1_create\nusers.sql": "CREATE TABLE users (id INTEGER);\n"})

    result = cli(capsys, "--url", sqlite_url, "--directory", root, "status")

    assert_clean_error(result, 2, "'1_create\\nusers.sql'", "control character")


def test_a_misnamed_file_in_a_package_is_reported(make_package):
    make_package("lg_newcomer_app.migration", {"1_a.sql": "", "V2__b.sql": ""}, zipped=True)

    with pytest.raises(ScriptLayoutError) as caught:
        ScriptSource(package="lg_newcomer_app.migration").find()

    assert caught.value.problems == ["V2__b.sql looks like a Flyway migration: rename it 2_b.sql"]


# -- setup.cfg is read like pyproject.toml ----------------------------------------------------


def write_setup_cfg(folder: Path, body: str, section: str = "lockgate") -> Path:
    path = folder / "setup.cfg"
    path.write_text(f"[metadata]\nname = app\n\n[{section}]\n{body}\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("section", ["lockgate", "nous.migration"])
def test_setup_cfg_beside_the_ini_fills_in_what_the_ini_lacks(tmp_path, section):
    ini = write_ini(tmp_path / "development.ini", "sqlite:///app.sqlite", package="app.migration")
    write_setup_cfg(tmp_path, "vcs = git\nschema_diff_cmd = diff -u\ntable = from_setup_cfg", section)

    settings = load_settings(ini, environ={})

    assert (settings.vcs, settings.schema_diff_cmd, settings.table) == ("git", "diff -u", "from_setup_cfg")
    assert settings.package == "app.migration"


def test_the_ini_then_pyproject_win_over_setup_cfg(tmp_path):
    ini = write_ini(tmp_path / "development.ini", "sqlite:///app.sqlite", extra="table = from_ini")
    write_setup_cfg(tmp_path, "table = from_setup_cfg\nvcs = hg\nschema_diff_cmd = from-setup-cfg\n"
                              "lock_timeout = 7")
    (tmp_path / "pyproject.toml").write_text('[tool.lockgate]\nvcs = "git"\n', encoding="utf-8")

    settings = load_settings(ini, environ={})

    assert settings.table == "from_ini"
    assert settings.vcs == "git"
    assert (settings.schema_diff_cmd, settings.lock_timeout) == ("from-setup-cfg", 7.0)


def test_setup_cfg_in_the_current_folder_without_an_ini(tmp_path, monkeypatch):
    write_setup_cfg(tmp_path, "directory = db/scripts\nschema_diff_cmd = diff -u %s")
    monkeypatch.chdir(tmp_path)

    settings = load_settings(None, environ={}, flags={"url": "sqlite://"})

    assert settings.directory == str((tmp_path / "db" / "scripts").resolve())
    assert settings.schema_diff_cmd == "diff -u %s"  # read raw, as setuptools does


def test_setup_cfg_without_a_lockgate_section_is_no_source(tmp_path):
    ini = write_ini(tmp_path / "development.ini", "sqlite:///app.sqlite")
    (tmp_path / "setup.cfg").write_text("[metadata]\nname = app\n", encoding="utf-8")

    assert load_settings(ini, environ={}).vcs is None


def test_a_broken_setup_cfg_is_named(tmp_path):
    ini = write_ini(tmp_path / "development.ini", "sqlite:///app.sqlite")
    (tmp_path / "setup.cfg").write_text("no section header\n", encoding="utf-8")

    with pytest.raises(ConfigError, match="setup.cfg cannot be read as an ini file"):
        load_settings(ini, environ={})


# -- a relative SQLite file in a config file is beside that file ------------------------------


@pytest.mark.parametrize(("url", "expected"), [
    ("sqlite:///app.db", "sqlite:///{base}/app.db"),
    ("sqlite+pysqlite:///data/app.db?timeout=5", "sqlite+pysqlite:///{base}/data/app.db?timeout=5"),
    ("sqlite:///:memory:", "sqlite:///:memory:"),
    ("sqlite://", "sqlite://"),
    ("sqlite:////abs/app.db", "sqlite:////abs/app.db"),
    ("sqlite:///file:app.db?mode=ro&uri=true", "sqlite:///file:app.db?mode=ro&uri=true"),
    ("postgresql://u:p@host/app.db", "postgresql://u:p@host/app.db"),
])
def test_sqlite_url_beside(tmp_path, url, expected):
    assert sqlite_url_beside(url, tmp_path) == expected.format(base=tmp_path.resolve())


def test_a_relative_sqlite_url_in_the_ini_is_beside_it_from_another_folder(capsys, tmp_path, monkeypatch,
                                                                             make_scripts):
    root = make_scripts({"1_a.sql": "CREATE TABLE a (id INTEGER);\n"})
    ini = write_ini(tmp_path / "project" / "development.ini", "sqlite:///app.db", package=None,
                    directory=root)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)

    assert cli(capsys, "-c", ini, "upgrade").code == 0
    assert tracked(f"sqlite:///{ini.parent / 'app.db'}").keys() == {"1"}
    assert not (elsewhere / "app.db").exists()
    # From the command line a relative path stays relative to the current folder.
    assert cli(capsys, "--url", "sqlite:///here.db", "--directory", root, "upgrade").code == 0
    assert (elsewhere / "here.db").exists()


# -- migrate without development.ini names the missing file -----------------------------------


def test_require_url_names_the_missing_default_config(tmp_path):
    settings = Settings(default_config_missing=tmp_path / "development.ini")

    with pytest.raises(ConfigError) as caught:
        settings.require_url()

    assert str(caught.value) == (
        "No configuration file: `migrate` reads development.ini from the current folder by default, "
        f"and there is none in {tmp_path}. Pass the ini file: `migrate path/to/development.ini upgrade`, "
        "or --url.")


def test_a_url_wins_over_the_missing_default_config(tmp_path):
    settings = Settings(url="sqlite://", default_config_missing=tmp_path / "development.ini")

    assert settings.require_url() == "sqlite://"


def test_missing_default_config(tmp_path):
    assert missing_default_config(tmp_path) == tmp_path / "development.ini"
    (tmp_path / "development.ini").write_text("", encoding="utf-8")
    assert missing_default_config(tmp_path) is None


def test_migrate_in_a_folder_without_development_ini(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    result = migrate(capsys)

    assert_clean_error(result, 2, "No configuration file: `migrate` reads development.ini from the current "
                                  f"folder by default, and there is none in {os.getcwd()}.",
                       "`migrate path/to/development.ini upgrade`, or --url.", prog="migrate")
