"""The words people type: mistyped commands, other tools' commands, abbreviations, --version, help.

Each answer is one line on stderr naming what to type instead, exit 2, and no
usage block; the seed's ``migrate CONFIG ACTION`` form keeps working for a
leading word that is a file or is named like one.
"""

from __future__ import annotations

import argparse
from importlib import metadata

import pytest

from clihelpers import (ABC_SCRIPTS, assert_clean_error, cli, console_script, isolated_cli,  # noqa: F401
                        migrate, run_process, tracked, write_ini)
from lockgate.cli import build_parser
from lockgate.cli.parser import FOREIGN


@pytest.fixture
def empty_cwd(tmp_path, monkeypatch):
    """A folder without development.ini, so no config is picked up by default."""
    folder = tmp_path / "cwd"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


def assert_one_line_error(result, code: int, line: str) -> None:
    assert result.code == code, str(result)
    assert result.out == "", str(result)
    assert result.err == line + "\n", str(result)


# -- 1. a mistyped command -----------------------------------------------------------------


def test_mistyped_leading_command_suggests_the_command(empty_cwd, capsys):
    assert_one_line_error(cli(capsys, "statsu"), 2,
                          "lockgate: error: unknown command 'statsu'; did you mean 'status'?")


def test_mistyped_seed_action_suggests_the_command(empty_cwd, capsys):
    assert_one_line_error(migrate(capsys, "stauts"), 2,
                          "migrate: error: unknown command 'stauts'; did you mean 'status'?")


def test_mistyped_command_after_options_suggests_too(empty_cwd, capsys):
    r = cli(capsys, "--url", "sqlite://", "upgarde")
    assert_one_line_error(r, 2, "lockgate: error: unknown command 'upgarde'; did you mean 'upgrade'?")


def test_mistyped_alias_is_matched_against_aliases(empty_cwd, capsys):
    r = cli(capsys, "next-versoin")
    assert r.code == 2 and "did you mean 'next-version'?" in r.err


def test_word_without_close_match_keeps_the_list_of_commands(empty_cwd, capsys):
    r = cli(capsys, "frobnicate")
    assert r.code == 2 and "invalid choice: 'frobnicate'" in r.err and "Traceback" not in r.err


def test_console_script_mistyped_command(tmp_path):
    r = run_process([console_script("lockgate"), "statsu"], cwd=tmp_path)
    assert_one_line_error(r, 2, "lockgate: error: unknown command 'statsu'; did you mean 'status'?")


def test_seed_form_with_an_ini_file_still_runs(tmp_path, sqlite_url, make_scripts, monkeypatch, capsys):
    scripts = make_scripts(ABC_SCRIPTS)
    write_ini(tmp_path / "development.ini", sqlite_url, package=None, directory=scripts)
    monkeypatch.chdir(tmp_path)
    assert migrate(capsys, "development.ini", "upgrade", "1").code == 0
    assert migrate(capsys, "development.ini").code == 0  # ACTION defaults to upgrade
    assert set(tracked(sqlite_url)) == {"1", "2", "3"}


def test_leading_existing_file_without_suffix_is_the_config(tmp_path, sqlite_url, make_scripts, monkeypatch,
                                                            capsys):
    scripts = make_scripts(ABC_SCRIPTS)
    write_ini(tmp_path / "settings", sqlite_url, package=None, directory=scripts)
    monkeypatch.chdir(tmp_path)
    assert migrate(capsys, "settings", "upgrade").code == 0
    assert set(tracked(sqlite_url)) == {"1", "2", "3"}


@pytest.mark.parametrize("name", ["some/path.ini", "prod.toml", "setup.cfg"])
def test_leading_config_name_that_does_not_exist_is_still_a_config(empty_cwd, capsys, name):
    r = migrate(capsys, name)
    assert_clean_error(r, 2, f"{name} does not exist", prog="migrate")
    assert "unknown command" not in r.err


# -- 2. other tools' commands --------------------------------------------------------------

EQUIVALENTS = {
    "current": ("Alembic", "lockgate status"), "heads": ("Alembic", "lockgate next_version"),
    "stamp": ("Alembic", "lockgate resolve VERSION --applied"), "revision": ("Alembic", "lockgate add_script TITLE"),
    "show": ("Alembic", "lockgate history"),
    "apply": ("yoyo", "lockgate upgrade"), "rollback": ("yoyo", "lockgate downgrade"),
    "new": ("yoyo", "lockgate add_script"), "list": ("yoyo", "lockgate status"),
    "mark": ("yoyo", "--applied"), "unmark": ("yoyo", "--reverted"),
    "migrate": ("Flyway", "lockgate upgrade"), "info": ("Flyway", "lockgate status"),
    "validate": ("Flyway", "lockgate verify"), "baseline": ("Flyway", "lockgate setup --mark-applied"),
    "repair": ("Flyway", "lockgate resolve"),
    "up": ("dbmate", "lockgate upgrade"), "down": ("dbmate", "lockgate downgrade"),
}


@pytest.mark.parametrize("word", sorted(EQUIVALENTS))
def test_other_tools_commands_name_the_lockgate_command(empty_cwd, capsys, word):
    tool, equivalent = EQUIVALENTS[word]
    r = cli(capsys, word)
    assert r.code == 2 and r.out == "" and r.err.count("\n") == 1, str(r)
    assert r.err.startswith(f"lockgate: error: '{word}' is {tool}"), str(r)
    assert f"in lockgate it is `{equivalent}" in r.err or equivalent in r.err, str(r)


def test_alembic_current_message_reads_in_full(empty_cwd, capsys):
    r = cli(capsys, "current")
    assert r.err.startswith("lockgate: error: 'current' is Alembic's command; in lockgate it is "
                            "`lockgate status` (every script, applied or pending)")


def test_dbmate_words_name_dbmate(empty_cwd, capsys):
    for word in ("new", "rollback"):
        assert "dbmate's" in cli(capsys, word).err


def test_other_tools_commands_after_options_and_in_the_seed_form(empty_cwd, capsys):
    r = cli(capsys, "--url", "sqlite://", "heads")
    assert r.code == 2 and "`lockgate next_version`" in r.err and "usage:" not in r.err
    r = migrate(capsys, "apply")
    assert r.code == 2 and r.err.startswith("migrate: error: 'apply' is yoyo's command") and "usage:" not in r.err


def test_every_foreign_word_is_not_a_lockgate_command():
    assert not set(FOREIGN) & set(_subparsers(build_parser()))


# -- 3. no abbreviated options -------------------------------------------------------------


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_every_parser_refuses_abbreviations():
    for prog in ("lockgate", "migrate"):
        parser = build_parser(prog)
        assert parser.allow_abbrev is False
        assert all(sub.allow_abbrev is False for sub in _subparsers(parser).values())


def test_abbreviated_option_is_an_error_naming_it(empty_cwd, capsys):
    r = cli(capsys, "--url", "sqlite://", "downgrade", "--a")
    assert r.code == 2 and "unrecognized arguments: --a" in r.err and "Traceback" not in r.err
    r = cli(capsys, "--ur", "sqlite://", "status")
    assert r.code == 2 and "--ur" in r.err


# -- 4. --version ----------------------------------------------------------------------------


@pytest.mark.parametrize("prog", ["lockgate", "migrate"])
def test_version(empty_cwd, capsys, prog):
    r = cli(capsys, "--version", prog=prog)
    assert r.code == 0 and r.out == f"lockgate {metadata.version('lockgate')}\n" and r.err == ""


def test_console_script_version(tmp_path):
    for name in ("lockgate", "migrate"):
        r = run_process([console_script(name), "--version"], cwd=tmp_path)
        assert (r.code, r.out, r.err) == (0, f"lockgate {metadata.version('lockgate')}\n", "")


# -- 5. help of the seed's spellings ----------------------------------------------------------


def test_migrate_help_shows_the_seed_form(empty_cwd, capsys):
    r = migrate(capsys, "--help")
    assert r.code == 0
    assert r.out.startswith("usage: migrate [CONFIG] [ACTION] [VERSION]")
    assert "development.ini" in r.out and "ACTION to upgrade" in r.out


def test_migrate_subcommand_usage_names_the_command(empty_cwd, capsys):
    r = migrate(capsys, "upgrade", "--help")
    assert r.code == 0 and r.out.startswith("usage: migrate upgrade ")


def test_add_migration_script_help(tmp_path):
    r = run_process([console_script("add_migration_script"), "--help"], cwd=tmp_path)
    assert r.code == 0 and r.err == "", str(r)
    lines = r.out.splitlines()
    assert lines[0] == "usage: add_migration_script TITLE [CONFIG] [--type sql|py|mixed] [--edit]"
    for word in ("TITLE", "CONFIG", "--type", "--edit"):
        assert any(line.lstrip().startswith(word) for line in lines), word


def test_add_migration_script_without_title_is_still_usage_and_2(tmp_path):
    r = run_process([console_script("add_migration_script")], cwd=tmp_path)
    assert r.code == 2 and r.out == "" and r.err.startswith("usage: add_migration_script TITLE")
