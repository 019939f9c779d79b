"""The databases a fleet migrates: read from a file, a command's output or a catalog query.

A target is a database URL, or a PostgreSQL schema inside one (schema per
tenant), or an ini file that configures one, with optional settings of its own
(``table``, ``lock_timeout``...). Its URL may hold a password; only
:meth:`Target.shown` is ever printed. A password may instead come from the
environment (``password_env = NAME``), so a targets file can be committed.
"""

from __future__ import annotations

import configparser
import hashlib
import os
import shlex
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ConfigError
from ..urls import safe_url, scrub

#: Keys of a target entry that describe the target itself; every other key is a setting.
TARGET_KEYS = ("name", "url", "schema", "config", "password_env")


@dataclass(frozen=True)
class Target:
    """One database (or one schema of one) that a fleet migrates."""

    name: str
    url: str | None = None
    schema: str | None = None
    #: An ini file or pyproject.toml whose settings describe this target (instead of a URL).
    config: str | None = None
    #: The environment variable holding the password, when the URL has none.
    password_env: str | None = None
    #: Settings of this target only (``table``, ``lock_timeout``, ``sqlalchemy.*``...).
    settings: Mapping[str, str] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return "schema" if self.schema else "database"

    def shown(self) -> str:
        """Where the target is, as it may be printed: no password."""
        where = safe_url(self.url) if self.url else (self.config or "")
        return f"{where} (schema {self.schema})" if self.schema else where

    def connect_url(self, url: str, environ: Mapping[str, str] | None = None) -> str:
        """``url`` (the target's, or its config file's) with its password and schema applied.

        :raises ConfigError: when ``password_env`` names an unset variable, or the
            database has no schemas.
        """
        from sqlalchemy.engine import make_url

        from ..dialects import adapter_class_for_url

        environment = os.environ if environ is None else environ
        if not self.password_env and not self.schema:
            return url
        parsed = make_url(url)
        if self.password_env:
            if self.password_env not in environment:
                raise ConfigError(
                    f"Target {self.name}: the environment variable {self.password_env} (its "
                    "password_env) is not set. Export it with the password before the run.")
            parsed = parsed.set(password=environment[self.password_env])
        if self.schema:
            parsed = adapter_class_for_url(parsed).url_for_schema(parsed, self.schema)
        return parsed.render_as_string(hide_password=False)


def make_target(values: Mapping[str, str], source: str, base: Path | None = None) -> Target:
    """A target from one entry's keys; ``base`` resolves a relative ``config`` path.

    :raises ConfigError: when the entry has neither a URL nor a config file.
    """
    url, config = values.get("url") or None, values.get("config") or None
    if not url and not config:
        raise ConfigError(f"{source}: a target needs a url (or a config file). Add `url = ...`.")
    if url and "://" not in url:
        from ..config import not_a_url

        raise ConfigError(f"{source}: {not_a_url(url)}")
    if config and base is not None and not os.path.isabs(config):
        config = str((base / config).resolve())
    schema = values.get("schema") or None
    name = values.get("name") or default_name(url, config, schema)
    settings = {k: str(v) for k, v in values.items() if k not in TARGET_KEYS}
    return Target(name, url, schema, config, values.get("password_env") or None, settings)


def default_name(url: str | None, config: str | None, schema: str | None) -> str:
    """The database's name (a SQLite file's path), with ``.schema``; a config file's path."""
    if url is None:
        return config or ""
    from sqlalchemy.engine import make_url

    try:
        database = make_url(url).database or ""
    except Exception:
        database = ""
    base = database or safe_url(url)
    return f"{base}.{schema}" if schema else base


def parse_lines(lines: Iterable[str], source: str, base: Path | None = None) -> list[Target]:
    """One target a line: a URL or a config file, then optional ``key=value`` words.

    ``postgresql://host/app schema=tenant_7 name=acme``; blank lines and ``#`` comments are skipped.
    """
    targets = []
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        where = f"{source}, line {number}"
        try:
            words = shlex.split(line, comments=True)
        except ValueError as exc:
            raise ConfigError(f"{where}: {exc}. Quote values with spaces in matching quotes.") from None
        first, values = words[0], {}
        for word in words[1:]:
            key, equals, value = word.partition("=")
            if not equals:
                raise ConfigError(f"{where}: {word!r} is not key=value. After the URL (or config "
                                  "file) a line takes settings such as schema=tenant_7 or name=acme.")
            values[key] = value
        values["url" if "://" in first else "config"] = first
        targets.append(make_target(values, where, base))
    return checked(targets)


def read_targets_file(path: str | os.PathLike) -> list[Target]:
    """A targets file: TOML (``[[targets]]`` or ``[targets.NAME]``), INI (a section per target)
    or lines; ``[defaults]`` (TOML) or ``[DEFAULT]`` (INI) hold what every entry shares.

    :raises ConfigError: for a missing or unreadable file, or a bad entry.
    """
    file = Path(path)
    try:
        content = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Cannot read the targets file {file}: {getattr(exc, 'strerror', None) or exc}. "
                          "Give a file with one URL per line, or TOML/INI entries.") from None
    suffix = file.suffix.lower()
    if suffix == ".toml":
        return checked(_toml_targets(content, file))
    if suffix in (".ini", ".cfg"):
        return checked(_ini_targets(content, file))
    return parse_lines(content.splitlines(), str(file), file.parent)


def _toml_targets(content: str, file: Path) -> list[Target]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # Python 3.10
        import tomli as tomllib
    try:
        data = tomllib.loads(content)
    except ValueError as exc:
        raise ConfigError(f"{file} is not valid TOML: {exc}. Fix the file and try again.") from None
    defaults = data.get("defaults", {})
    entries = data.get("targets", [])
    if isinstance(entries, dict):  # [targets.NAME] tables: the table's name is the target's
        entries = [{"name": name, **values} for name, values in entries.items()]
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ConfigError(f"{file}: `targets` must be [[targets]] entries or [targets.NAME] tables.")
    return [make_target({k: str(v) for k, v in {**defaults, **entry}.items()},
                        f"{file}, target {number}", file.parent)
            for number, entry in enumerate(entries, 1)]


def _ini_targets(content: str, file: Path) -> list[Target]:
    parser = configparser.RawConfigParser()  # raw: a % in a password is just a %
    try:
        parser.read_string(content, source=str(file))
    except configparser.Error as exc:
        raise ConfigError(f"{file} is not a readable ini file ({type(exc).__name__}). Fix it and "
                          "try again.") from None
    targets = []
    for section in parser.sections():
        name = section.removeprefix("target:")
        targets.append(make_target({"name": name, **dict(parser.items(section))},
                                   f"{file}, [{section}]", file.parent))
    return targets


def targets_from_command(command: str | Sequence[str], timeout: float = 300) -> list[Target]:
    """The targets a program prints, one a line, as in a targets file.

    The command is split like a shell would (``shlex``) and run without one.

    :raises ConfigError: when it cannot start or fails, with its last words.
    """
    argv = shlex.split(command) if isinstance(command, str) else list(command)
    shown = shlex.join(argv)
    if not argv:
        raise ConfigError("The targets command is empty. Give a program and its arguments.")
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ConfigError(f"The targets command `{shown}` could not run: {exc}. Check the program "
                          "name and that it is on PATH.") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(nothing on stderr)"])[-1]
        raise ConfigError(f"The targets command `{shown}` failed with exit code {done.returncode}: "
                          f"{last}. Run it by hand to see why.")
    return parse_lines(done.stdout.splitlines(), f"output of `{shown}`")


def targets_from_query(catalog_url: str, query: str) -> list[Target]:
    """The targets a SQL query on a catalog database returns, one a row.

    Columns are read by name (``url``, ``schema``, ``name``, ``password_env``, any
    setting); a row without a ``url`` is a schema of the catalog database itself.
    A query of one unnamed column gives URLs (with ``://``) or schema names.

    :raises ConfigError: when the query fails or returns neither URLs nor schemas.
    """
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from ..database import create_engine_from_settings

    engine = create_engine_from_settings(catalog_url)
    try:
        with engine.connect() as connection:
            result = connection.execute(text(query))
            columns = [str(c).lower() for c in result.keys()]
            rows = [dict(zip(columns, row)) for row in result]
    except DBAPIError as exc:
        message = scrub(str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc), catalog_url)
        raise ConfigError(f"The targets query failed on {safe_url(catalog_url)}: {message}. "
                          "Fix the query (it must return url and/or schema columns).") from None
    finally:
        engine.dispose()
    if len(columns) == 1 and columns[0] not in TARGET_KEYS:
        rows = [{"url" if "://" in str(v) else "schema": v for v in row.values()} for row in rows]
    elif not {"url", "schema"} & set(columns):
        raise ConfigError(f"The targets query returned columns {', '.join(columns)}, but a target "
                          "needs a url or a schema column. Name them with AS url / AS schema.")
    targets = []
    for number, row in enumerate(rows, 1):
        values = {k: str(v) for k, v in row.items() if v is not None}
        values.setdefault("url", catalog_url)
        targets.append(make_target(values, f"targets query, row {number}"))
    return checked(targets)


def checked(targets: list[Target]) -> list[Target]:
    """The targets, refusing two with one name: the name keys shards and reports."""
    seen: dict[str, int] = {}
    for target in targets:
        seen[target.name] = seen.get(target.name, 0) + 1
    twice = [name for name, count in seen.items() if count > 1]
    if twice:
        raise ConfigError(f"Two or more targets are named {', '.join(twice[:5])}. Give each a "
                          "name of its own (name=... on its line, or `name` in its entry).")
    return targets


def parse_shard(text: str) -> tuple[int, int]:
    """``I/N`` (1 <= I <= N) as two numbers.

    :raises ConfigError: for anything else.
    """
    index, slash, count = text.partition("/")
    try:
        i, n = int(index), int(count)
    except ValueError:
        i, n = 0, 0
    if not slash or n < 1 or not 1 <= i <= n:
        raise ConfigError(f"--shard {text!r} is not I/N with 1 <= I <= N, e.g. --shard 2/4 for the "
                          "second of four machines (a Kubernetes indexed Job: "
                          "$((JOB_COMPLETION_INDEX + 1))/N).")
    return i, n


def shard_of(name: str, count: int) -> int:
    """The shard (1..count) a target's name falls in: the same on every machine and every run."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def take_shard(targets: Sequence[Target], index: int, count: int) -> list[Target]:
    """The targets of shard ``index`` of ``count``; the shards of all indexes cover each once."""
    return [t for t in targets if shard_of(t.name, count) == index]
