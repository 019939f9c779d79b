"""Which scripts to lint, for which database, and which findings stand after the allow comments.

:func:`lint_project` lints the configured package or folder (all scripts, or
the pending ones); :func:`lint_files` lints files named on the command line.
SQL files are read as they are; Python scripts by the SQL they send on a
scratch database (:mod:`.capture`). The rule set is the database adapter's
``lint_rules``: the configured URL's, or the one ``dialect`` names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path

from ..config import Settings
from ..directives import sql_directives
from ..errors import ConfigError, LockgateError
from ..run.statements import shorten
from ..scripts import KIND_SQL, NO_TRANSACTION, Script, ScriptSource, load_python_script
from ..sqlsplit import iter_statements
from .findings import Finding, LintReport, ScriptSQL, attach_allows, find_allows
from .rules import check_allowed

Checker = Callable[[ScriptSQL, list[str]], list]


def lint_project(settings: Settings, *, dialect: str | None = None, pending: bool = False,
                 allow: Iterable[str] = ()) -> LintReport:
    """Lint the configured scripts (with ``pending``, only those the database has not applied).

    :param dialect: a database name (``postgresql``, ``mysql``, ``mariadb``, ``sqlite``) to lint
        for instead of the configured URL's.
    :param allow: rule ids silenced for this run, beside the ``lint_allow`` setting.
    :raises ConfigError: for an unknown dialect or rule, or no way to know the database.
    """
    linter = _Linter(settings, dialect, allow)
    scripts = list(ScriptSource(settings.package, settings.directory).find())
    if pending:
        from ..engine import DBMigrator

        migrator = DBMigrator.from_settings(settings)
        try:
            versions = {script.version for script in migrator.pending()}
        finally:
            migrator.engine.dispose()
        scripts = [script for script in scripts if script.version in versions]
    return linter.lint(scripts, settings)


def lint_files(paths: Iterable[str], settings: Settings, *, dialect: str | None = None,
               allow: Iterable[str] = ()) -> LintReport:
    """Lint the named ``.sql`` and ``.py`` files; a Python script runs after the scripts before it in its folder.

    :raises ConfigError: for a missing file or one that is no script.
    """
    linter = _Linter(settings, dialect, allow)
    groups: dict[Path, list[Path]] = {}
    for name in paths:
        path = Path(name)
        if not path.is_file() or path.suffix.lower() not in (".sql", ".py"):
            raise ConfigError(f"{name} is not a .sql or .py file. Give the paths of migration scripts, "
                              "or no path to lint the configured package or folder.")
        groups.setdefault(path.resolve().parent, []).append(path)
    for folder, files in groups.items():
        python = [f.resolve() for f in files if f.suffix.lower() == ".py"]
        scripts = _scripts_in(folder, python) if python else []
        sql = [_sql_file(f) for f in files if f.suffix.lower() == ".sql"]  # named as given
        linter.lint(scripts, replace(settings, package=None, directory=str(folder)), extra=sql)
    linter.report.findings.sort(key=lambda f: (f.path, f.line))
    return linter.report


def _scripts_in(folder: Path, files: list[Path]) -> list[Script]:
    found = {Path(str(s.main_file)).resolve(): s for s in ScriptSource(directory=folder).find()}
    missing = [f.name for f in files if f not in found]
    if missing:
        raise ConfigError(f"{', '.join(missing)} is not a migration script of {folder} (a script is "
                          "named <version>_<title>.py). Rename it, or give the .sql files it runs.")
    return [found[f] for f in files]


def _sql_file(path: Path) -> tuple[str, str]:
    try:
        return str(path), path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"Cannot read {path}: it is not UTF-8 text ({exc.reason}). Save it as UTF-8.") from exc


class _Linter:
    """One lint run: the rule set, the silenced rules and the report being filled."""

    def __init__(self, settings: Settings, dialect: str | None, allow: Iterable[str]):
        adapter = _adapter_class(settings, dialect)
        self.split_dialect = adapter.split_dialect
        self.allowed = check_allowed(settings.lint_allow, "The lint_allow setting") | check_allowed(
            allow, "--allow")
        self.report = LintReport(dialect=adapter.display_name or adapter.name)
        self.check = _checker(adapter.lint_rules, settings)

    def lint(self, scripts: list[Script], settings: Settings, extra: Iterable[tuple[str, str]] = ()) -> LintReport:
        python = [s for s in scripts if s.kind != KIND_SQL]
        emitted = self._emitted(python, settings)
        units = [self._sql(str(s.main_file), s.main_file.read_bytes().decode("utf-8-sig"))
                 if s.kind == KIND_SQL else self._python(s, emitted) for s in scripts]
        units += [self._sql(path, text) for path, text in extra]
        for unit in units:
            if unit is not None:
                self._judge(unit)
        return self.report

    def _emitted(self, python: list[Script], settings: Settings) -> dict:
        if not python:
            return {}
        if not settings.url:
            self.report.notes += [f"{s.main_file}: not linted: a Python script is linted by the SQL it "
                                  "sends on a scratch database, and no database URL is configured."
                                  for s in python]
            return {}
        from .capture import emitted_sql

        return emitted_sql(settings, python)

    def _sql(self, path: str, text: str) -> ScriptSQL | None:
        try:
            statements = list(iter_statements(text, self.split_dialect))
        except LockgateError as exc:
            self.report.notes.append(f"{path}: not linted: {exc}")
            return None
        unit = ScriptSQL(path, statements, transactional=NO_TRANSACTION not in sql_directives(text))
        attach_allows(unit, find_allows(text))
        return unit

    def _python(self, script: Script, emitted: dict) -> ScriptSQL | None:
        if script.version not in emitted:
            return None
        module = load_python_script(script)
        unit = ScriptSQL(str(script.main_file), emitted[script.version], emitted=True,
                         transactional=getattr(module, "transaction", True) is not False)
        attach_allows(unit, find_allows(script.main_file.read_bytes().decode("utf-8-sig")), python=True)
        return unit

    def _judge(self, unit: ScriptSQL) -> None:
        self.report.scripts.append(unit.path)
        for rule, index, message in self.check(unit, self.report.notes):
            if rule in self.allowed or rule in unit.allowed.get(index, ()):
                self.report.silenced += 1
                continue
            statement = unit.statements[index]
            self.report.findings.append(Finding(rule, unit.path, statement.line, message,
                                                shorten(statement.text, 120)))
        self.report.findings.extend(unit.bad_allows)


def _adapter_class(settings: Settings, dialect: str | None):
    from ..dialects import ADAPTERS, adapter_class_for_url

    if dialect:
        if dialect.lower() not in ADAPTERS:
            raise ConfigError(f"lint knows no database {dialect!r}; name one of {', '.join(ADAPTERS)}.")
        return ADAPTERS[dialect.lower()]
    if not settings.url:
        raise ConfigError("lint needs to know which database the scripts are for: pass --dialect "
                          f"({', '.join(ADAPTERS)}), or configure the database URL (--url, LOCKGATE_URL, "
                          "or `sqlalchemy.url` in the ini file).")
    from sqlalchemy.engine import make_url

    return adapter_class_for_url(make_url(settings.require_url()))


def _checker(kind: str, settings: Settings) -> Checker:
    """The rules of one rule set, as one function over a script."""
    from .rules_mysql import check

    if kind not in _RULE_SETS:
        return lambda unit, notes: check(unit, mysql=False)
    return _RULE_SETS[kind](settings)


def _postgresql(settings: Settings) -> Checker:
    try:
        import pglast  # noqa: F401
    except ImportError:
        raise ConfigError("The PostgreSQL rules read SQL with PostgreSQL's own parser, pglast, which is "
                          "not installed: pip install 'lockgate[lint]'.") from None
    from .rules_postgresql import RunState, check

    state = RunState(lock_timeout=settings.ddl_lock_timeout is not None)
    return lambda unit, notes: check(unit, state, notes)


def _mysql(settings: Settings) -> Checker:
    from .rules_mysql import check

    return lambda unit, notes: check(unit, mysql=True)


#: The adapters' ``lint_rules`` -> the rule set; any other value ("shared") gets the rules every database shares.
_RULE_SETS: dict[str, Callable[[Settings], Checker]] = {"postgresql": _postgresql, "mysql": _mysql}
