"""Settings from flags, the environment, an ini file and pyproject.toml, merged once.

Precedence, highest first: command-line flags; ``LOCKGATE_URL`` then
``DATABASE_URL``; the ini file's ``[lockgate]`` section (``[nous.migration]``
and ``[migration]`` are read too, for projects coming from nous.migration),
with ``sqlalchemy.*`` taken from the section that ``app`` names; and
``[tool.lockgate]`` in the ``pyproject.toml`` beside the ini file (or in the
current folder), then the ``[lockgate]`` (or ``[nous.migration]``) section of
the ``setup.cfg`` there. Paths in a file are relative to that file. The ini file is read with PasteDeploy's own loader, so
``%(here)s``, ``set``/``get`` and ``use = config:other.ini`` mean what they
mean to the application.
"""

from __future__ import annotations

import configparser
import os
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

from .errors import ConfigError

MIGRATION_SECTIONS = ("lockgate", "nous.migration", "migration")
#: Sections of setup.cfg read; a bare [migration] there is too likely another tool's.
SETUP_CFG_SECTIONS = ("lockgate", "nous.migration")
#: The ini file the seed's ``migrate`` reads when none is named.
DEFAULT_CONFIG = "development.ini"
DEFAULT_TABLE = "lockgate_versions"
DEFAULT_LEGACY_TABLE = "versions"
URL_ENVIRONMENT = ("LOCKGATE_URL", "DATABASE_URL")
#: Seconds a migrator waits for another one to finish.
DEFAULT_LOCK_TIMEOUT = 300.0
#: ``package:resource`` (a file inside an installed package), not a path.
_RESOURCE = re.compile(r"^[A-Za-z_][\w.]*:[^/\\]")

#: Keys a user may set in the migration section or ``[tool.lockgate]``.
KEYS = (
    "url", "package", "directory", "table", "legacy_table", "vcs",
    "schema_diff_cmd", "models", "setup_sql", "setup_metadata", "app",
    "lock_timeout", "ddl_lock_timeout", "statement_timeout", "edit", "lint_allow",
)


@dataclass
class Settings:
    """Everything a command needs to know, whatever it was read from."""

    url: str | None = None
    engine_options: dict[str, str] = field(default_factory=dict)
    package: str | None = None
    directory: str | None = None
    table: str = DEFAULT_TABLE
    legacy_table: str = DEFAULT_LEGACY_TABLE
    vcs: str | None = None
    schema_diff_cmd: str | None = None
    models: str | None = None
    setup_sql: str | None = None
    setup_metadata: str | None = None
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT
    ddl_lock_timeout: float | None = None  # seconds
    statement_timeout: float | None = None  # seconds
    edit: bool = False
    #: Lint rules silenced for the whole project (checked against the rules when lint runs).
    lint_allow: tuple[str, ...] = ()
    config_file: Path | None = None
    here: Path = field(default_factory=Path.cwd)
    url_source: str | None = None
    #: The default ini file that was looked for and is not there (``migrate`` run
    #: without one): then a missing URL is really a missing file, and is told so.
    default_config_missing: Path | None = None

    def require_url(self) -> str:
        if not self.url and self.default_config_missing is not None:
            missing = self.default_config_missing
            raise ConfigError(
                f"No configuration file: `migrate` reads {missing.name} from the current folder by "
                f"default, and there is none in {missing.parent}. Pass the ini file: "
                f"`migrate path/to/{missing.name} upgrade`, or --url."
            )
        if not self.url:
            where = f" in {self.config_file}" if self.config_file else ""
            raise ConfigError(
                f"No database URL is configured{where}. Pass --url, set LOCKGATE_URL or "
                "DATABASE_URL, or put `sqlalchemy.url = ...` in the [lockgate] section "
                "(or in the app section that its `app` key names)."
            )
        if "://" not in self.url:
            raise ConfigError(not_a_url(self.url))
        return self.url


def not_a_url(text: str) -> str:
    """What to write instead of a database URL without its ``dialect://`` (``--url app.db``)."""
    from .urls import as_typed

    shown = as_typed(text)
    name = text.rpartition("/")[2]
    if any(c in text for c in "@: \t") or not name or ("/" in text and "." not in name):
        example = "postgresql+psycopg://user@host/database or mysql+pymysql://user@host/database"
    else:  # a file name: SQLite's URL has three slashes, four for an absolute path
        example = f"sqlite:///{text}" + (" (an absolute path keeps its own slash)" if text.startswith("/") else
                                         " (relative to the current folder, or to the config file it is in)")
    return (f"The database URL {shown!r} is not valid: it has no dialect:// part naming the "
            f"database. Write it as {example}.")


def missing_default_config(folder: Path | None = None) -> Path | None:
    """``development.ini`` in ``folder`` (the current one) when it is not there, else None.

    For the CLI to set :attr:`Settings.default_config_missing` when ``migrate``
    falls back to the default file, so a missing URL names the missing file.
    """
    path = (folder or Path.cwd()) / DEFAULT_CONFIG
    return None if path.is_file() else path.absolute()


def check_table_name(name: str, dialect, *, companions: Iterable[str] = ()) -> None:
    """Refuse a tracking table name the database cannot hold, before anything is created.

    Too long a name fails deep inside SQLAlchemy (PostgreSQL) or the server
    (MySQL) with a message about an identifier, or is cut short by PostgreSQL
    so that the table is never found again under the name asked for.

    :param dialect: a SQLAlchemy dialect (``engine.dialect``).
    :param companions: suffixes of other tables named after the tracking table
        (e.g. ``("_meta",)`` for a ``<table>_meta``), whose names must fit too.
    :raises ConfigError: naming the limit, the length and how to choose another name.
    """
    if not name:
        raise ConfigError("The tracking table name is empty. Give one with --table or `table = ...` "
                          "in the [lockgate] section, or leave it out for lockgate_versions.")
    from .dialects import adapter_for

    adapter = adapter_for(dialect)
    limit, unit = adapter.table_name_limit(dialect)
    if limit is None:
        return
    suffix = max(companions, key=len, default="")
    size = _name_size(name + suffix, unit)
    if size <= limit:
        return
    database = adapter.display_name or dialect.name
    beside = (f", and the table lockgate keeps beside it ({name}{suffix}) takes {size} {unit}"
              if suffix else "")
    raise ConfigError(
        f"The tracking table name {name!r} is too long for {database}: it is {_name_size(name, unit)} "
        f"{unit} long{beside}, but {database} allows {limit} {unit} per name. Choose a name of at "
        f"most {limit - _name_size(suffix, unit)} {unit} with --table or `table = ...` in the "
        "[lockgate] section (or [tool.lockgate] in pyproject.toml).")


def _name_size(name: str, unit: str) -> int:
    return len(name.encode("utf-8")) if unit == "bytes" else len(name)


def load_settings(config_file: str | os.PathLike | None = None, *, flags: dict | None = None,
                  environ: Mapping[str, str] | None = None) -> Settings:
    """Merge every source into one :class:`Settings`.

    :param config_file: an ini (PasteDeploy) or ``pyproject.toml`` file, or None.
    :param flags: values given on the command line; ``None`` values are unset.
    :raises ConfigError: when a named file or section does not exist.
    """
    environment: Mapping[str, str] = os.environ if environ is None else environ
    settings = Settings()
    ini_path = Path(config_file).resolve() if config_file else None
    if ini_path is not None and not ini_path.is_file():
        raise ConfigError(
            f"The configuration file {config_file} does not exist. Give the path of your "
            "ini file (e.g. `migrate development.ini upgrade`), or use --url and --package."
        )
    _apply_project_files(settings, ini_path.parent if ini_path else Path.cwd(), ini_path)
    if ini_path is not None and ini_path.name != "pyproject.toml":
        _apply(settings, _read_ini(ini_path), ini_path.parent, str(ini_path.name))
    if ini_path is not None:
        settings.config_file = ini_path
        settings.here = ini_path.parent
    for name in URL_ENVIRONMENT:
        if environment.get(name):
            settings.url, settings.url_source = environment[name], name
            break
    _apply(settings, {k: v for k, v in (flags or {}).items() if v is not None}, Path.cwd(), "command line")
    if settings.url:
        settings.url = normalise_url(settings.url)
    return settings


#: A duration: seconds as a number, or a number with ms, s, min or h.
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|sec|min|h)?\s*$", re.IGNORECASE)
_UNIT_MS = {None: 1000, "ms": 1, "s": 1000, "sec": 1000, "min": 60_000, "h": 3_600_000}


def parse_duration(value, key: str) -> int | None:
    """Milliseconds from ``5``, ``2.5``, ``500ms``, ``5s``, ``2min`` or ``1h``; None for unset or 0.

    :raises ConfigError: naming the setting, for anything else.
    """
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number, unit = float(value), None
    else:
        match = _DURATION.match(str(value))
        if match is None:
            flag = "--" + key.replace("_", "-")
            raise ConfigError(
                f"{key} = {value!r} is not a duration. Use seconds (5, 2.5) or a number with a unit: "
                f"500ms, 5s, 2min, 1h ({flag} on the command line, `{key}` in the configuration).")
        number, unit = float(match.group(1)), (match.group(2) or "").lower() or None
    if number < 0:
        raise ConfigError(f"{key} must not be negative, not {value!r}.")
    milliseconds = round(number * _UNIT_MS[unit])
    return milliseconds or None


def parse_seconds(value, key: str) -> float:
    """Seconds (0 or more) from a number or its text, for ``lock_timeout``.

    :raises ConfigError: naming the setting, for anything else.
    """
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = -1
    if seconds < 0 or seconds != seconds:
        raise ConfigError(f"{key} must be a number of seconds (0 or more), not {value!r}: pass e.g. "
                          f"--{key.replace('_', '-')} 60, or `{key} = 60` in the configuration.")
    return seconds


def parse_flag(value, key: str) -> bool:
    """A yes/no setting: true, yes, on, 1 / false, no, off, 0."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "on", "1"):
        return True
    if text in ("false", "no", "off", "0", ""):
        return False
    raise ConfigError(f"{key} = {value!r} is not true or false (yes/no, on/off, 1/0 work too).")


def parse_names(value, key: str) -> tuple[str, ...]:
    """Names separated by commas or blanks (``a, b c``), as a tuple; a list from TOML works too."""
    if isinstance(value, (list, tuple)):
        value = ",".join(str(v) for v in value)
    names = tuple(n for n in re.split(r"[\s,]+", str(value).strip().strip("[]")) if n)
    return tuple(n.strip("'\"") for n in names)


def parse_duration_seconds(value, key: str) -> float | None:
    """Like :func:`parse_duration`, in seconds: what the settings keep and ``DBMigrator`` takes."""
    milliseconds = parse_duration(value, key)
    return None if milliseconds is None else milliseconds / 1000


#: How each checked setting is turned from text into its value.
_PARSERS = {"lock_timeout": parse_seconds, "ddl_lock_timeout": parse_duration_seconds,
            "statement_timeout": parse_duration_seconds, "edit": parse_flag, "lint_allow": parse_names}


def normalise_url(url: str) -> str:
    """Accept the ``postgres://`` scheme that hosting platforms hand out."""
    if url.startswith("postgres://"):
        return "postgresql://" + url[len("postgres://"):]
    return url


def _apply_project_files(settings: Settings, folder: Path, config_path: Path | None) -> None:
    """setup.cfg, then pyproject.toml (which wins), from the folder of the ini file.

    Both hold settings that are not about deployment, kept with the project
    rather than in each environment's ini file; a file named as the ini file
    itself is read as that, not twice.
    """
    setup_cfg = folder / "setup.cfg"
    if setup_cfg.is_file() and setup_cfg != config_path:
        _apply(settings, _read_setup_cfg(setup_cfg), folder, "setup.cfg")
    pyproject = folder / "pyproject.toml"
    if pyproject.is_file():
        _apply(settings, _read_pyproject(pyproject), folder, "pyproject.toml")


def sqlite_url_beside(url: str, base: Path) -> str:
    """A SQLite URL with a relative file made absolute from ``base``, the config file's folder.

    ``sqlite:///app.db`` in an ini file means the database beside that file:
    resolved from the current folder instead, running from elsewhere would
    silently create a new, empty database there. In-memory databases, absolute
    paths, ``file:`` URIs and every other database are left as they are.
    """
    if not url.startswith("sqlite"):
        return url  # only a file database has a path; no need to parse the others
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from .dialects import adapter_class_for_url

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return url  # reported as a bad URL where it is used
    beside = adapter_class_for_url(parsed).url_beside(parsed, base)
    return url if beside is parsed else beside.render_as_string(hide_password=False)


def with_overrides(settings: Settings, values: Mapping[str, object], base: Path, source: str) -> Settings:
    """A copy of ``settings`` with ``values`` applied and checked as any source's are.

    For one target of a fleet: its own URL, table or timeouts over the shared
    settings, each value validated where every other is.

    :raises ConfigError: for a bad value, naming the setting.
    """
    import copy

    unknown = sorted(k for k in values if k not in KEYS and k != "sqlalchemy.url"
                     and not k.startswith("sqlalchemy."))
    if unknown:
        raise ConfigError(f"{source}: unknown setting(s) {', '.join(unknown)}. Known settings: "
                          f"{', '.join(KEYS)} and sqlalchemy.* options.")
    copied = copy.deepcopy(settings)
    _apply(copied, dict(values), base, source)
    if copied.url:
        copied.url = normalise_url(copied.url)
    return copied


def _apply(settings: Settings, values: dict, base: Path, source: str) -> None:
    """Set ``values`` from ``source``; paths in a file are relative to ``base``, its folder."""
    known = {f.name for f in fields(Settings)}
    # Scripts have one home: a source that names one overrides the other from below.
    if values.get("package") and not values.get("directory"):
        settings.directory = None
    elif values.get("directory") and not values.get("package"):
        settings.package = None
    for key, value in values.items():
        if key == "sqlalchemy.url":
            key = "url"
        if key.startswith("sqlalchemy."):
            settings.engine_options[key] = value
            continue
        if key not in known or key == "app":
            continue
        if key == "url" and value and source != "command line":
            value = sqlite_url_beside(value, base)
        if key == "directory" and value:
            value = str((base / value).resolve()) if not os.path.isabs(value) else value
        if key == "setup_sql" and value and not os.path.isabs(value) and not _RESOURCE.match(value):
            value = str((base / value).resolve())
        if key in _PARSERS:
            value = _PARSERS[key](value, key)
        setattr(settings, key, value)
        if key == "url":
            settings.url_source = source


def _read_pyproject(path: Path) -> dict:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # Python 3.10
        import tomli as tomllib
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path} cannot be read as TOML: {exc}. Fix the file and try again.") from exc
    section = data.get("tool", {}).get("lockgate", {})
    return {k: str(v) for k, v in section.items()}


def _read_setup_cfg(path: Path) -> dict:
    """The ``[lockgate]`` (or ``[nous.migration]``) section of a setup.cfg, or nothing.

    Read raw, as setuptools reads the file: a ``%`` in it is just a ``%``.
    """
    parser = configparser.RawConfigParser()
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} cannot be read as an ini file ({type(exc).__name__}). "
                          "Fix the file and try again.") from None
    section = next((s for s in SETUP_CFG_SECTIONS if parser.has_section(s)), None)
    return dict(parser.items(section)) if section else {}


def _read_ini(path: Path) -> dict:
    """The migration section, plus ``sqlalchemy.*`` from the app section it names."""
    from plaster import parse_uri  # type: ignore[import-untyped]
    from plaster_pastedeploy import Loader  # type: ignore[import-untyped]

    loader = Loader(parse_uri(f"config:{path}"))
    try:
        sections = loader.get_sections()
    except Exception as exc:  # configparser raises several unrelated types
        raise ConfigError(f"{path} is not a readable ini file: {exc}") from exc
    section = next((s for s in MIGRATION_SECTIONS if s in sections), None)
    if section is None:
        raise ConfigError(
            f"{path} has no [lockgate] section (nor [nous.migration] or [migration]). Add one, "
            "for example:\n  [lockgate]\n  app = app:main\n  package = yourapp.migration"
        )
    values = _get_settings(loader, path, section)
    app = values.pop("app", None)
    if app:
        app_values = _read_app_section(loader, path, app, sections)
        merged = {k: v for k, v in app_values.items() if k.startswith("sqlalchemy.")}
        merged.update(values)  # the migration section wins over the app's settings
        values = merged
    return values


def _read_app_section(loader, path: Path, app: str, sections: list[str]) -> dict:
    section = app if ":" in app else f"app:{app}"
    if section not in sections:
        raise ConfigError(
            f"{path}: the migration section says `app = {app}`, but there is no [{section}] "
            f"section. Name the section that holds your sqlalchemy.url (sections: {', '.join(sections)})."
        )
    values = _get_settings(loader, path, section)
    if values.get("use", "").startswith("config:"):
        # Only PasteDeploy itself knows how to follow a chain of config files.
        from paste.deploy import appconfig  # type: ignore[import-untyped]

        name = section.split(":", 1)[1]
        try:
            values = dict(appconfig(f"config:{path}", name=name))
        except configparser.InterpolationError as exc:
            raise _interpolation_error(path, exc) from None
        except Exception as exc:
            raise ConfigError(f"{path}: [{section}] could not be loaded through `use`: {exc}") from exc
    return values


def _get_settings(loader, path: Path, section: str) -> dict:
    try:
        return dict(loader.get_settings(section))
    except configparser.InterpolationError as exc:
        raise _interpolation_error(path, exc) from None


def _interpolation_error(path, exc: configparser.InterpolationError) -> ConfigError:
    """Name the option, never its value: it may hold a password."""
    where = f"{path}: `{exc.option}` in [{exc.section}]"
    if isinstance(exc, configparser.InterpolationMissingOptionError):
        return ConfigError(
            f"{where} uses %({exc.reference})s, which is not defined. Define it in that section "
            "or in [DEFAULT] (`here` and `__file__` are always defined)."
        )
    if isinstance(exc, configparser.InterpolationSyntaxError):
        return ConfigError(
            f"{where} has a % that does not start a %(name)s reference. Write a literal % as %% "
            "(an encoded password such as p%40ss becomes p%%40ss)."
        )
    return ConfigError(f"{where} cannot be interpolated ({type(exc).__name__}). Check its %(name)s references.")
