"""An Alembic project as Alembic itself would see it: its folder, its config, what its env.py sets.

:func:`open_project` finds the script folder from what the user gives (the
folder holding ``alembic.ini``, the ini file, the script folder with
``env.py`` and ``versions/``, or a project root with one such folder below).
A relative ``script_location`` is tried where Alembic looks (the working
folder) and then beside the ini, so the import works from anywhere.

:func:`read_env` runs the project's ``env.py`` in offline mode and stops it at
its ``context.configure(...)`` call, before it could migrate anything: what
it passes there (``target_metadata`` with its naming convention, a custom
version table) is what revisions see under Alembic. An env.py that cannot run
here (it needs the application, or settings only production has) leaves the
defaults, and the import says so.
"""

from __future__ import annotations

import logging.config
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError

DEFAULT_VERSION_TABLE = "alembic_version"
#: Options that tell Alembic where files are, meaningless to a script run later (and
#: often absolute paths of the machine that imported).
_ALEMBIC_OWN = {"here", "script_location", "version_locations", "prepend_sys_path", "path_separator",
                "version_path_separator", "recursive_version_locations", "file_template",
                "truncate_slug_length", "revision_environment", "sourceless", "output_encoding",
                "timezone"}


@dataclass
class AlembicProject:
    """Alembic's config and script directory for one project, and the folder it came from."""

    config: Any
    scripts: Any
    root: Path
    #: The ini's main-section options, for ``op.get_context().config`` when scripts run later.
    options: dict[str, str] = field(default_factory=dict)
    #: What the user should know about how the project was found.
    notes: list[str] = field(default_factory=list)


@dataclass
class EnvSettings:
    """What the project's env.py gives ``context.configure``, as far as revisions depend on it."""

    target_metadata: Any = None
    version_table: str = DEFAULT_VERSION_TABLE
    version_table_schema: str | None = None
    notes: list[str] = field(default_factory=list)

    def naming_convention(self) -> dict | None:
        """The convention Alembic's operations name constraints by (none for a list of MetaData,
        which Alembic's operations do not read one from)."""
        convention = getattr(self.target_metadata, "naming_convention", None)
        return dict(convention) if convention is not None else None


def open_project(given: Path) -> AlembicProject:
    """The Alembic project at ``given``.

    :raises ConfigError: nothing Alembic could read is there, or Alembic refuses it.
    """
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    folder = given.parent if given.is_file() else given
    if not folder.is_dir():
        raise ConfigError(f"The Alembic folder {given} does not exist. Give the folder holding "
                          "alembic.ini, or Alembic's script folder (with env.py and versions/).")
    notes: list[str] = []
    config = _config(given, folder, Config, notes)
    if config is None:
        below = _script_folders_below(folder)
        if _is_script_folder(folder) or len(below) != 1:
            config = _config_for_script_folder(folder, Config)
        else:
            folder = below[0]
            config = _config(folder, folder, Config, notes) or _config_for_script_folder(folder, Config)
    options = {key: value for key, value in config.get_section(config.config_ini_section, {}).items()
               if "url" not in key and key not in _ALEMBIC_OWN}  # a URL may carry a password
    try:
        scripts = ScriptDirectory.from_config(config)
    except CommandError as exc:
        raise ConfigError(f"Alembic cannot read the revisions in {given}: {str(exc).rstrip('.')}. Fix the "
                          "Alembic project (`alembic history` must work) and import again.") from exc
    return AlembicProject(config, scripts, folder, options, notes)


def _is_script_folder(folder: Path) -> bool:
    return (folder / "env.py").is_file() or (folder / "versions").is_dir()


def _script_folders_below(folder: Path) -> list[Path]:
    return [p.parent for p in sorted(folder.glob("*/env.py")) if (p.parent / "versions").is_dir()]


def _config(given: Path, folder: Path, Config, notes: list[str]):
    """The project's Config with script_location made absolute, or None without an ini/toml."""
    ini = given if given.is_file() and given.suffix == ".ini" else folder / "alembic.ini"
    toml = folder / "pyproject.toml"
    in_toml = toml.is_file() and "[tool.alembic]" in toml.read_text(encoding="utf-8", errors="replace")
    if not ini.is_file() and not in_toml:
        return None
    # [tool.alembic] needs Alembic 1.16; an alembic.ini alone works with older ones too.
    config = (Config(str(ini) if ini.is_file() else None, toml_file=str(toml)) if in_toml
              else Config(str(ini)))
    location = getattr(config, "get_alembic_option", config.get_main_option)("script_location")
    if not location:
        if _is_script_folder(folder):  # Flask-Migrate keeps alembic.ini beside env.py
            config.set_main_option("script_location", str(folder))
            return config
        raise ConfigError(f"{ini if ini.is_file() else toml} has no script_location, so its "
                          "revisions cannot be found. Add `script_location = %(here)s/alembic` "
                          "(where env.py is) or give that folder instead.")
    if ":" in location and not Path(location).is_absolute() and not Path(location).exists():
        return config  # package:folder, resolved by Alembic through the package
    found = _resolve(location, folder)
    if found is None and _is_script_folder(folder):
        found = folder
    below = _script_folders_below(folder)
    if found is None and len(below) == 1:  # e.g. a template ini: script_location = {alembic_dir}
        found = below[0]
        notes.append(f"{ini.name} says script_location = {location}, which is no folder here; "
                     f"the one script folder beside it, {found}, was read")
    if found is None:
        raise ConfigError(
            f"{ini if ini.is_file() else toml} says script_location = {location}, but there is no "
            f"such folder in the working folder ({Path.cwd()}) or beside it ({folder}). Fix "
            "script_location (`%(here)s/alembic` is relative to the ini), or give the folder with "
            "env.py and versions/ instead.")
    config.set_main_option("script_location", str(found))
    return config


def _resolve(location: str, beside: Path) -> Path | None:
    path = Path(location)
    candidates = [path] if path.is_absolute() else [Path.cwd() / path, beside / path]
    return next((c.resolve() for c in candidates if c.is_dir()), None)


def _config_for_script_folder(folder: Path, Config):
    """A script folder given directly: the ini above it when it points here, else a bare Config."""
    if not _is_script_folder(folder):
        raise ConfigError(
            f"{folder} is not an Alembic folder: it has no alembic.ini, [tool.alembic] in a "
            "pyproject.toml, env.py or versions/ folder. Give the folder holding alembic.ini, "
            "or Alembic's script folder.")
    ini = folder.parent / "alembic.ini"
    config = Config(str(ini)) if ini.is_file() else Config()
    config.set_main_option("script_location", str(folder.resolve()))
    return config


class _Configured(BaseException):
    """Raised in env.py's ``context.configure``: everything needed is known, nothing may run.

    A BaseException, so an env.py catching ``Exception`` around its migrations lets it through.
    """


def read_env(project: AlembicProject, url: str) -> EnvSettings:
    """What env.py passes ``context.configure``, read in offline mode without migrating anything.

    :param url: a URL of the target's kind without a host, given to env.py as
        ``sqlalchemy.url`` when the ini has none, so that env.py's offline branch can run.
    """
    from alembic.runtime.environment import EnvironmentContext

    env_py = Path(project.scripts.dir) / "env.py"
    if not env_py.is_file():
        return EnvSettings()
    seen: dict[str, Any] = {}

    def configure(**kw: Any) -> None:
        seen.update(kw)
        raise _Configured

    # Alembic's `context` proxy is registered for EnvironmentContext itself, not subclasses:
    # the instance's own attribute is what the proxy hands env.py.
    environment = EnvironmentContext(project.config, project.scripts, as_sql=True, fn=lambda *a: [])
    environment.configure = configure  # type: ignore[method-assign, assignment]

    if not project.config.get_main_option("sqlalchemy.url"):
        project.config.set_main_option("sqlalchemy.url", url)
    namespace: dict[str, Any] = {"__name__": "env_py", "__file__": str(env_py)}
    problem = None
    file_config, logging.config.fileConfig = logging.config.fileConfig, _no_logging_setup
    path_before = list(sys.path)
    if not (project.root / "__init__.py").is_file():  # inside a package it would shadow modules
        sys.path.insert(0, str(project.root))  # Alembic's `prepend_sys_path = .`, run from the project
    try:
        with environment:
            exec(compile(env_py.read_text(encoding="utf-8"), str(env_py), "exec"), namespace)
    except _Configured:
        pass
    except Exception as exc:
        problem = f"{type(exc).__name__}: {exc}"
    finally:
        logging.config.fileConfig = file_config
        sys.path[:] = path_before
    settings = EnvSettings(
        target_metadata=seen.get("target_metadata", namespace.get("target_metadata")),
        version_table=seen.get("version_table") or DEFAULT_VERSION_TABLE,
        version_table_schema=seen.get("version_table_schema"))
    if problem and "target_metadata" not in seen and "target_metadata" not in namespace:
        settings.notes.append(
            f"{env_py} could not be run here ({_short(problem)}), so its target_metadata (naming "
            "conventions) and version table are not known: Alembic's defaults are used")
    return settings


def _no_logging_setup(*args: Any, **kwargs: Any) -> None:
    """env.py's ``fileConfig(...)`` would replace lockgate's logging for the rest of the run."""


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 3] + "..."
