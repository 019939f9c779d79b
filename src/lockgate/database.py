"""Turning a URL into an engine: the driver, a connect timeout, the ``sqlalchemy.*`` options.

Connecting, and saying in plain words why it failed, is the adapter's job
(:meth:`lockgate.dialects.base.DialectAdapter.connect`).
"""

from __future__ import annotations

import importlib.util
import time

from .errors import ConfigError
from .urls import safe_url

CONNECT_TIMEOUT_SECONDS = 10
#: When set (``time.monotonic()``), the next engine's connect timeout counts from this
#: moment instead of from its connect: the command line sets its process's start, so that
#: "lockgate gives up after 10 seconds" holds from the moment the command was typed.
connect_deadline_from: float | None = None


def connect_timeout() -> int:
    """Whole seconds allowed for connecting (drivers take whole seconds; psycopg waits at least 2).

    Only the first engine after :data:`connect_deadline_from` was set counts from it; later
    ones (scratch databases of a long ``lockgate test``) get the whole timeout.
    """
    global connect_deadline_from
    started, connect_deadline_from = connect_deadline_from, None
    if started is None:
        return CONNECT_TIMEOUT_SECONDS
    # Three seconds are kept for what runs between here and the connect, and for saying why and
    # exiting: on a machine with load 5 on 2 cores those took up to 3 s (10.0 s in all with two kept).
    return max(2, int(CONNECT_TIMEOUT_SECONDS - 3 - (time.monotonic() - started)))

#: A driver-less URL picks SQLAlchemy's default driver; when that one is not
#: installed but another good one is, use it rather than fail.
_DRIVER_FALLBACKS = {
    "postgresql": [("psycopg2", "psycopg2"), ("psycopg", "psycopg")],
    "mysql": [("mysqldb", "MySQLdb"), ("pymysql", "pymysql")],
    "mariadb": [("mysqldb", "MySQLdb"), ("pymysql", "pymysql")],
}
_BOOLEAN_OPTIONS = ("sqlalchemy.pool_pre_ping", "sqlalchemy.pool_use_lifo", "sqlalchemy.hide_parameters")
_INSTALL_HINTS = {
    "psycopg2": 'pip install psycopg2-binary (or use postgresql+psycopg:// with pip install "psycopg[binary]")',
    "psycopg": 'pip install "psycopg[binary]"',
    "pymysql": "pip install PyMySQL",
    "MySQLdb": "pip install mysqlclient (or use mysql+pymysql:// with pip install PyMySQL)",
    "asyncpg": "lockgate needs a synchronous driver: use postgresql+psycopg://",
}


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

    from .dialects import adapter_class_for_url

    try:
        parsed = choose_driver(make_url(url))
    except (ArgumentError, ValueError) as exc:  # ValueError: a port that is not a number
        raise ConfigError(
            f"The database URL {safe_url(url)} is not valid ({exc}). It looks like "
            "dialect+driver://user:password@host:port/database, e.g. sqlite:///app.sqlite."
        ) from None
    config: dict[str, object] = dict(options or {})
    config["sqlalchemy.url"] = parsed
    # engine_from_config leaves pool_pre_ping a string, and "false" is truthy.
    for flag in _BOOLEAN_OPTIONS:
        value = config.get(flag)
        if isinstance(value, str):
            config[flag] = value.strip().lower() in ("true", "yes", "on", "1")
    kwargs = {}
    try:
        adapter = adapter_class_for_url(parsed)()
        driver = parsed.get_driver_name()  # loads the dialect: NoSuchModuleError when unknown
        connect_args = adapter.connect_args(driver, connect_timeout(), parsed)
        if connect_args:
            kwargs["connect_args"] = connect_args
        engine = engine_from_config(config, prefix="sqlalchemy.", **kwargs)
        adapter.prepare_engine(engine, driver, parsed)
        return engine
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
    except (TypeError, ValueError) as exc:  # an unknown option, or a value of the wrong type
        raise ConfigError(f"An sqlalchemy.* option is not valid for {safe_url(url)}: {exc}. Fix or "
                          "remove that option in the configuration (see the SQLAlchemy "
                          "create_engine documentation for the options it takes).") from None
