"""Turning a URL into an engine, and connection failures into plain words.

Passwords never leave this module: URLs are rendered with the password
hidden, and a driver message that happens to quote it is scrubbed.
"""

from __future__ import annotations

import importlib.util
from contextlib import contextmanager

from .errors import ConfigError, DatabaseUnreachableError

CONNECT_TIMEOUT_SECONDS = 10

#: A driver-less URL picks SQLAlchemy's default driver; when that one is not
#: installed but another good one is, use it rather than fail.
_DRIVER_FALLBACKS = {
    "postgresql": [("psycopg2", "psycopg2"), ("psycopg", "psycopg")],
    "mysql": [("mysqldb", "MySQLdb"), ("pymysql", "pymysql")],
    "mariadb": [("mysqldb", "MySQLdb"), ("pymysql", "pymysql")],
}
_INSTALL_HINTS = {
    "psycopg2": 'pip install psycopg2-binary (or use postgresql+psycopg:// with pip install "psycopg[binary]")',
    "psycopg": 'pip install "psycopg[binary]"',
    "pymysql": "pip install PyMySQL",
    "MySQLdb": "pip install mysqlclient (or use mysql+pymysql:// with pip install PyMySQL)",
    "asyncpg": "lockgate needs a synchronous driver: use postgresql+psycopg://",
}


def safe_url(url) -> str:
    """The URL as text with its password replaced by ***."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparseable URL>"


def scrub(message: str, url) -> str:
    """Remove the URL's password from a message, wherever a driver put it."""
    from sqlalchemy.engine import make_url

    try:
        password = make_url(url).password
    except Exception:
        return message
    if password:
        message = message.replace(str(password), "***")
    return message


def choose_driver(url):
    """Keep an explicit driver; for a bare scheme fall back to an installed one."""
    if url.drivername not in _DRIVER_FALLBACKS:
        return url
    candidates = _DRIVER_FALLBACKS[url.drivername]
    for driver, module in candidates:
        if importlib.util.find_spec(module) is not None:
            return url.set(drivername=f"{url.drivername}+{driver}")
    return url


def create_engine_from_settings(url: str, options: dict[str, str] | None = None):
    """An engine with a connect timeout, built as ``engine_from_config`` would.

    :raises ConfigError: for a malformed URL or a driver that is not installed.
    """
    from sqlalchemy import engine_from_config
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    from .dialects import ADAPTERS, DialectAdapter

    try:
        parsed = choose_driver(make_url(url))
    except ArgumentError as exc:
        raise ConfigError(
            f"The database URL {safe_url(url)} is not valid ({exc}). It looks like "
            "dialect+driver://user:password@host:port/database, e.g. sqlite:///app.sqlite."
        ) from None
    config = dict(options or {})
    config["sqlalchemy.url"] = parsed
    adapter = ADAPTERS.get(parsed.get_backend_name(), DialectAdapter)()
    kwargs = {}
    connect_args = adapter.connect_args(parsed.get_driver_name(), CONNECT_TIMEOUT_SECONDS)
    if connect_args:
        kwargs["connect_args"] = connect_args
    try:
        return engine_from_config(config, prefix="sqlalchemy.", **kwargs)
    except NoSuchModuleError:
        raise ConfigError(
            f"SQLAlchemy does not know the database in {safe_url(url)}. Check the part "
            "before :// (sqlite, postgresql+psycopg, mysql+pymysql, ...)."
        ) from None
    except ModuleNotFoundError as exc:
        hint = _INSTALL_HINTS.get(exc.name or "", f"pip install {exc.name}")
        raise ConfigError(
            f"The database driver {exc.name} for {safe_url(url)} is not installed: {hint}"
        ) from None
    except TypeError as exc:
        raise ConfigError(f"An sqlalchemy.* option is not valid for {safe_url(url)}: {exc}") from None


@contextmanager
def connect(engine):
    """A connection, or :class:`DatabaseUnreachableError` in plain words."""
    from sqlalchemy.exc import DBAPIError

    try:
        connection = engine.connect()
    except DBAPIError as exc:
        detail = scrub(str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc), engine.url)
        raise DatabaseUnreachableError(
            f"Cannot connect to {safe_url(engine.url)}: {detail}. Check that the server is "
            "running and that the URL (host, port, database, user) is right."
        ) from None
    with connection:
        yield connection
