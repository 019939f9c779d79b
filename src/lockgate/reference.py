"""docs/reference.md, built from the code so the two cannot drift apart.

Commands and options come from :func:`lockgate.cli.build_parser`, settings
keys from :data:`lockgate.config.KEYS` (described in :data:`KEY_HELP`), exit
codes from the error classes in :mod:`lockgate.errors`, fixtures and options
from :mod:`lockgate.pytest_plugin`, the Python API from ``lockgate.__all__``.
Regenerate with::

    python -m lockgate.reference > docs/reference.md
"""

from __future__ import annotations

import argparse
import inspect
from typing import Any

REGENERATE = "python -m lockgate.reference > docs/reference.md"

#: What each key of ``[lockgate]`` / ``[tool.lockgate]`` means; every key of config.KEYS needs one.
KEY_HELP = {
    "url": "database URL (in an ini file also `sqlalchemy.url`)",
    "package": "dotted name of the package holding the scripts (read through importlib.resources)",
    "directory": "folder holding the scripts, relative to the file that names it",
    "table": "name of the tracking table (default `lockgate_versions`); the run lock is keyed on it",
    "legacy_table": "nous.migration's table to adopt when lockgate's is missing (default `versions`)",
    "vcs": "`git` or `hg`: `add_script` adds the new files to version control",
    "schema_diff_cmd": "command whose output `add_script` pastes into a new SQL script as comments",
    "models": "`module:Base` (declarative base or MetaData) that `check`, `test` and `add_script` "
              "compare the scripts with; needs the `models` extra",
    "setup_sql": "canonical schema that `setup` installs (a path, or `package:resource`)",
    "setup_metadata": "`module:Base` whose tables `setup` creates, instead of `setup_sql`",
    "app": "ini files only: the section (`app:main`) holding `sqlalchemy.url` and other `sqlalchemy.*` options",
    "lock_timeout": "seconds to wait for another migration to finish (default 300)",
    "ddl_lock_timeout": "PostgreSQL `lock_timeout` for each script (e.g. `5s`); off by default",
    "statement_timeout": "PostgreSQL `statement_timeout` for each script (e.g. `10min`); off by default",
    "edit": "`true`: `add_script` opens `$VISUAL`/`$EDITOR` (only on a terminal)",
    "lint_allow": "lint rule ids `lint` never reports for this project, e.g. `rename, drop` "
                  "(see docs/howto/zero-downtime.md)",
}


def _cell(text) -> str:
    return str(text or "").replace("|", "\\|").replace("\n", " ")


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, tuple[argparse.ArgumentParser, str, list[str]]]:
    """name -> (parser, help, aliases), in the order the CLI lists them."""
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {choice.dest: choice.help for choice in action._choices_actions}
    found: dict[str, tuple] = {}
    for name, sub in action.choices.items():
        canonical = next((n for n, (p, _, _) in found.items() if p is sub), None)
        if canonical:
            found[canonical][2].append(name)
        else:
            found[name] = (sub, helps.get(name, ""), [])
    return found


def _own_actions(sub: argparse.ArgumentParser, common: set[str]) -> list[argparse.Action]:
    return [a for a in sub._actions
            if a.dest not in common and a.help != argparse.SUPPRESS and not isinstance(a, argparse._HelpAction)]


def _placeholder(action: argparse.Action) -> str:
    if isinstance(action.metavar, tuple):  # one name per argument (nargs > 1), as argparse shows them
        return " ".join(action.metavar)
    if action.metavar:
        return action.metavar
    return "{" + ",".join(action.choices) + "}" if action.choices else action.dest.upper()


def _synopsis(action: argparse.Action) -> str:
    if not action.option_strings:
        return _placeholder(action)
    flag = max(action.option_strings, key=len)
    return flag if action.nargs == 0 else f"{flag} {_placeholder(action)}"


def _usage(name: str, sub: argparse.ArgumentParser, actions: list[argparse.Action]) -> str:
    words: list[str] = []
    done: set[int] = set()
    groups = {id(a): g for g in sub._mutually_exclusive_groups for a in g._group_actions}
    for action in sorted(actions, key=lambda a: not a.option_strings):
        if id(action) in done:
            continue
        group = groups.get(id(action))
        members = [a for a in group._group_actions if a in actions] if group else [action]
        done.update(id(a) for a in members)
        text = " | ".join(_synopsis(a) for a in members)
        required = group.required if group else (action.required or (not action.option_strings
                                                                      and action.nargs is None))
        words.append(text if required and len(members) == 1 else
                     f"({text})" if required else f"[{text}]")
    return f"lockgate [OPTIONS] {name} {' '.join(words)}".rstrip()


def _options_table(actions: list[argparse.Action]) -> list[str]:
    lines = ["| option | meaning |", "|---|---|"]
    for action in actions:
        names = ", ".join(f"`{s}`" for s in action.option_strings) or f"`{_placeholder(action)}`"
        if action.option_strings and action.nargs != 0:
            names += f" `{_placeholder(action)}`"
        meaning = _cell(action.help)
        if not action.option_strings and action.nargs == "?":
            meaning += " (optional)"
        lines.append(f"| {names} | {meaning} |")
    return lines


def _commands_section() -> list[str]:
    from .cli import build_parser

    parser = build_parser()
    common = {a.dest for a in parser._actions}
    global_actions = [a for a in parser._actions
                      if not isinstance(a, (argparse._HelpAction, argparse._SubParsersAction))]
    lines = ["## Commands", "",
             "    lockgate [OPTIONS] COMMAND [ARGUMENTS]", "",
             "Options go before or after the command (`lockgate --url URL status` or "
             "`lockgate status --url URL`). `-h`/`--help` works everywhere.", "",
             "### Options of every command", "", *_options_table(global_actions), ""]
    for name, (sub, text, aliases) in _subcommands(parser).items():
        actions = _own_actions(sub, common)
        lines += [f"### `{name}`", "", _cell(text)[:1].upper() + _cell(text)[1:] + ".", "",
                  f"    {_usage(name, sub, actions)}", ""]
        if aliases:
            lines += [f"Also spelled {', '.join(f'`{a}`' for a in aliases)}.", ""]
        if actions:
            lines += [*_options_table(actions), ""]
    return lines


def _seed_commands_section() -> list[str]:
    return ["## The nous.migration spellings", "",
            "    migrate [CONFIG] [ACTION] [VERSION] [OPTIONS]", "",
            "A first argument that is an existing file or ends in .ini, .toml or .cfg is the "
            "configuration file (`-c CONFIG`); "
            "without one, `development.ini` is used when it exists in the current folder. "
            "ACTION is any command above (default `upgrade`), with its arguments and options.", "",
            "    add_migration_script TITLE [CONFIG] [--type {sql,py,mixed}] [--edit]", "",
            "The same as `lockgate -c CONFIG add_script TITLE`; CONFIG defaults to `development.ini` "
            "when it exists.", ""]


def _keys_section() -> list[str]:
    from .config import KEYS, MIGRATION_SECTIONS, URL_ENVIRONMENT

    sections = ", ".join(f"`[{s}]`" for s in MIGRATION_SECTIONS)
    lines = ["## Configuration keys", "",
             f"In an ini file, in the first of the sections {sections} that exists; in "
             "`pyproject.toml`, under `[tool.lockgate]`. Precedence, highest first: command-line "
             f"flags, the environment ({', '.join(f'`{v}`' for v in URL_ENVIRONMENT)}, for the URL), "
             "the ini file, `pyproject.toml`.", "",
             "| key | meaning |", "|---|---|"]
    for key in KEYS:
        lines.append(f"| `{key}` | {_cell(KEY_HELP.get(key, 'NOT DESCRIBED: add it to lockgate.reference.KEY_HELP'))} |")
    lines += ["| `sqlalchemy.*` | ini files: passed to the engine as `engine_from_config` does "
              "(`sqlalchemy.pool_pre_ping`, ...) |", ""]
    return lines


def _exit_codes_section() -> list[str]:
    from . import errors

    classes = [c for _, c in inspect.getmembers(errors, inspect.isclass)
               if issubclass(c, errors.LockgateError) and c is not errors.LockgateError]
    rows = [(0, "", "success, including nothing to do")]
    # (getdoc falls back to a base class's docstring, so every error class has one)
    rows += [(e.exit_code, f"`{e.__name__}`", _cell((inspect.getdoc(e) or "").splitlines()[0]))
             for e in classes]
    rows += [(1, "", "`verify`, `check` or `test` found problems; or an unexpected error "
                     "(a bug: run again with `-v` and report it)"),
             (2, "", "bad command-line usage: unknown command or option, missing argument"),
             (130, "", "interrupted (Ctrl-C)")]
    lines = ["## Exit codes", "", "| code | error | when |", "|---|---|---|"]
    lines += [f"| `{code}` | {name} | {text} |" for code, name, text in sorted(rows, key=lambda r: (r[0], not r[1], r[1]))]
    lines += ["", f"Every error derives from `LockgateError` (`exit_code` "
              f"{errors.LockgateError.exit_code} unless a subclass says otherwise).", ""]
    return lines


class _OptionRecorder:
    """Stands in for pytest's parser to read the plugin's options."""

    def __init__(self) -> None:
        self.options: list[tuple[str, str]] = []

    def getgroup(self, name: str, description: str = "") -> _OptionRecorder:
        return self

    def addoption(self, *names: str, **attrs: Any) -> None:
        self.options.append((names[0], attrs.get("help", "")))


def _pytest_section() -> list[str]:
    from . import pytest_plugin

    recorder = _OptionRecorder()
    pytest_plugin.pytest_addoption(recorder)
    fixtures = [(name, inspect.getdoc(getattr(value, "__wrapped__", value)))
                for name, value in vars(pytest_plugin).items()
                if type(value).__name__ == "FixtureFunctionDefinition" or hasattr(value, "_pytestfixturefunction")]
    lines = ["## pytest plugin", "", "| option | meaning |", "|---|---|"]
    lines += [f"| `{name}` | {_cell(text.replace('$', ''))} |" for name, text in recorder.options]
    lines += ["", "| fixture | what it gives |", "|---|---|"]
    lines += [f"| `{name}` | {_cell((doc or '').splitlines()[0] if doc else '')} |" for name, doc in fixtures]
    return lines + [""]


def _api_section() -> list[str]:
    import lockgate

    lines = ["## Python API", "", "Importable from `lockgate`:", "", "| name | what it is |", "|---|---|"]
    for name in lockgate.__all__:
        doc = inspect.getdoc(getattr(lockgate, name)) or ""
        lines.append(f"| `{name}` | {_cell(doc.splitlines()[0] if doc else '')} |")
    return lines + [""]


def build_reference() -> str:
    """The whole of docs/reference.md."""
    lines = ["# Reference", "",
             f"<!-- Generated from the code by `{REGENERATE}`; do not edit by hand. -->", "",
             "Every command, option, configuration key and exit code of lockgate. For a first "
             "walk through them, see the [tutorial](tutorial.md).", "",
             *_commands_section(), *_seed_commands_section(), *_keys_section(),
             *_exit_codes_section(), *_pytest_section(), *_api_section()]
    return "\n".join(lines).rstrip("\n").replace("``", "`") + "\n"


if __name__ == "__main__":
    print(build_reference(), end="")
