"""The database Alembic revisions are rendered for, with the dialect a live connection would have.

Revisions branch on what they see: ``op.get_bind().engine.name``,
``with_variant(..., "mysql")``, and Alembic itself writes ``DROP CHECK`` for
MySQL 8 but ``DROP CONSTRAINT`` for MariaDB. A MariaDB server reached through
``mysql+pymysql://`` reports the dialect name ``mysql`` and is told apart by
its version string, so rendering builds that same dialect: the URL scheme a
connection would use, with the server's version parsed the way SQLAlchemy
parses it on connect.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

#: server -> (URL scheme a connection to it uses, version assumed when none is given).
SERVERS: dict[str, tuple[str, str | None]] = {
    "postgresql": ("postgresql", None),
    "mysql": ("mysql+pymysql", None),
    "mariadb": ("mysql+pymysql", "10.11"),
    "sqlite": ("sqlite", None),
}
#: Servers whose version (and, behind mysql://, whose kind) only a connection tells; a
#: SQLite file is never opened (connecting would create it).
_ASK_THE_SERVER = {"postgresql": True, "mysql": True, "mariadb": True, "sqlite": False}
#: How a server spells its version to the driver, where the spelling tells servers apart.
_VERSION_TEXT = {"mariadb": "{}-MariaDB"}
_SPEC = re.compile(r"^(?P<server>[a-z]+)(?:-(?P<version>\d+(?:\.\d+){0,2}))?$")


@dataclass(frozen=True)
class RenderTarget:
    """One database server to render for.

    :param server: ``postgresql``, ``mysql``, ``mariadb`` or ``sqlite``.
    :param version: the server's version (``"10.11"``), or None for the newest.
    :param drivername: the URL's ``dialect+driver`` when one is configured.
    :param live_dialect: the dialect of a real connection, when one was made.
    :param note: what the user should know about how the target was chosen.
    """

    server: str
    version: str | None = None
    drivername: str | None = None
    live_dialect: Any = field(default=None, compare=False)
    note: str | None = None

    def describe(self) -> str:
        version = self.version or SERVERS[self.server][1]
        return f"{self.server} {version}" if version else self.server

    def dialect(self):
        """A SQLAlchemy dialect as a live connection to this server would set it up."""
        if self.live_dialect is not None:
            return self.live_dialect
        from sqlalchemy.engine import make_url

        scheme, default_version = SERVERS[self.server]
        dialect = make_url(f"{self.drivername or scheme}://").get_dialect()()
        version = self.version or default_version
        if version:
            _set_version(dialect, _VERSION_TEXT.get(self.server, "{}").format(version))
        return dialect


def _set_version(dialect, text: str) -> None:
    """Set the version (and MariaDB's flags) as connecting would, without connecting."""
    parse = getattr(dialect, "_parse_server_version", None)  # MySQL's: it also tells MariaDB apart
    if parse is None:
        dialect.server_version_info = tuple(int(part) for part in text.split("."))
        return
    parse(text)
    # What MySQLDialect.initialize sets from the version after connecting; none of it reads
    # the connection, which is None here.
    by_vendor = getattr(dialect, "_dispatch_for_vendor", None)
    if by_vendor is not None:
        by_vendor(dialect._initialize_mysql, dialect._initialize_mariadb, None)


def parse_target(text: str) -> RenderTarget:
    """``--dialect``'s value: a server, optionally with its version (``mariadb-10.11``).

    :raises ValueError: with a sentence saying what is accepted.
    """
    match = _SPEC.match(text.strip().lower())
    if not match or match["server"] not in SERVERS:
        raise ValueError(
            f"{text!r} is not a database lockgate renders Alembic revisions for. Give one of "
            f"{', '.join(SERVERS)}, optionally with the server's version: mariadb-10.11, "
            "mysql-8.0, postgresql-15.")
    return RenderTarget(match["server"], match["version"])


@dataclass(frozen=True)
class ConfiguredDatabase:
    """The configured URL as a target, resolved (and connected to) only when revisions are rendered."""

    url: str

    def resolve(self) -> RenderTarget:
        return target_for_url(self.url)


def target_for_url(url: str) -> RenderTarget:
    """The configured database's server and version, read from a connection when one can be made.

    The URL alone cannot tell MariaDB from MySQL (both use ``mysql://``), nor a
    server's version; when the server cannot be reached the URL's name is used
    and the target's note says so. SQLite files are never opened.
    """
    from sqlalchemy.engine import make_url

    from ..database import choose_driver, create_engine_from_settings
    from ..dialects import adapter_class_for_url, adapter_for
    from ..urls import safe_url

    parsed = choose_driver(make_url(url))
    named = adapter_class_for_url(parsed).name
    if named not in SERVERS:
        return RenderTarget("postgresql", note=f"the URL names {parsed.get_backend_name()}, which "
                            "lockgate does not render for; rendered for postgresql")
    if not _ASK_THE_SERVER[named]:
        return RenderTarget(named, drivername=parsed.drivername)
    try:
        engine = create_engine_from_settings(url)
        try:
            with engine.connect():
                dialect = engine.dialect
        finally:
            engine.dispose()
    except Exception as exc:
        return RenderTarget(named, drivername=parsed.drivername, note=(
            f"could not connect to {safe_url(url)} to read the server's version "
            f"({type(exc).__name__}); rendered for {named} as the URL names it. Pass --dialect "
            "with the server and version (mariadb-10.11, mysql-8.0) to be exact"))
    version = ".".join(str(part) for part in (dialect.server_version_info or ())[:3]) or None
    return RenderTarget(adapter_for(dialect).name, version, parsed.drivername, live_dialect=dialect)
