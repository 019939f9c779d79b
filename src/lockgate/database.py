"""Turning a URL into an engine, and connection failures into plain words.

Passwords never leave this module: URLs are rendered with the password
hidden, and a driver message that happens to quote it is scrubbed.
"""

from __future__ import annotations

import importlib.util
import os
import weakref
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
_BOOLEAN_OPTIONS = ("sqlalchemy.pool_pre_ping", "sqlalchemy.pool_use_lifo", "sqlalchemy.hide_parameters")
_INSTALL_HINTS = {
    "psycopg2": 'pip install psycopg2-binary (or use postgresql+psycopg:// with pip install "psycopg[binary]")',
    "psycopg": 'pip install "psycopg[binary]"',
    "pymysql": "pip install PyMySQL",
    "MySQLdb": "pip install mysqlclient (or use mysql+pymysql:// with pip install PyMySQL)",
    "asyncpg": "lockgate needs a synchronous driver: use postgresql+psycopg://",
}


#: Query parameters that drivers take as a password (libpq, the MySQL drivers, ODBC).
_SECRET_QUERY_KEYS = {"password", "passwd", "pwd"}


def safe_url(url) -> str:
    """The URL as text with its password (also one given as ?password=) replaced by ***."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
        hidden = {key: "***" for key in parsed.query if key.lower() in _SECRET_QUERY_KEYS}
        text = parsed.update_query_dict(hidden).render_as_string(hide_password=True)
        return text.replace("%2A%2A%2A", "***")
    except Exception:
        return "<unparseable URL>"


def scrub(message: str, url) -> str:
    """Remove the URL's passwords from a message, wherever a driver put them."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:
        return message
    secrets = [parsed.password] if parsed.password else []
    for key, value in parsed.query.items():
        if key.lower() in _SECRET_QUERY_KEYS:
            secrets.extend([value] if isinstance(value, str) else value)
    for secret in secrets:
        if secret:
            message = message.replace(str(secret), "***")
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
        adapter = ADAPTERS.get(parsed.get_backend_name(), DialectAdapter)()
        driver = parsed.get_driver_name()  # loads the dialect: NoSuchModuleError when unknown
        connect_args = dict(adapter.connect_args(driver, CONNECT_TIMEOUT_SECONDS))
        bound_handshake = driver == "pymysql" and "read_timeout" not in parsed.query
        if bound_handshake:
            connect_args["read_timeout"] = CONNECT_TIMEOUT_SECONDS
        if connect_args:
            kwargs["connect_args"] = connect_args
        engine = engine_from_config(config, prefix="sqlalchemy.", **kwargs)
        if bound_handshake:
            from sqlalchemy import event

            event.listen(engine, "connect", _unbound_reads)
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


def _reachability_hint(url) -> str:
    """What to check, and a command that checks it, for the kind of database."""
    backend = url.get_backend_name()
    if backend == "sqlite":
        folder = os.path.dirname(os.path.abspath(url.database or "")) or "."
        return (f"Check that the folder {folder} exists and is writable (SQLite creates the file "
                "itself), and that the path in the URL is right: sqlite:///relative.db or "
                "sqlite:////absolute/path.db.")
    host, port = url.host or "localhost", url.port
    if backend == "postgresql":
        check = f"`pg_isready -h {host} -p {port or 5432}`"
    elif backend in ("mysql", "mariadb"):
        check = f"`mysqladmin -h {host} -P {port or 3306} ping`"
    else:
        return "Check that the server is running and that the URL (host, port, database, user) is right."
    return (f"Check that the server is running ({check} tells) and that the URL (host, port, "
            "database, user) is right.")


def _unbound_reads(dbapi_connection, connection_record) -> None:
    """Lift PyMySQL's read timeout once connected: it only bounded the handshake.

    PyMySQL's ``connect_timeout`` ends when TCP connects, so a server that
    accepts and never answers (a MySQL URL aimed at PostgreSQL's port) would
    hang the handshake for ever. Statements, which may rightly take long
    (an ALTER TABLE on a big table), must not be cut off by that bound.
    """
    if hasattr(dbapi_connection, "_read_timeout"):
        dbapi_connection._read_timeout = None


@contextmanager
def connect(engine):
    """A connection, or :class:`DatabaseUnreachableError` in plain words."""
    from sqlalchemy.exc import DBAPIError

    try:
        connection = engine.connect()
    except DBAPIError as exc:
        detail = scrub(str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc), engine.url)
        raise DatabaseUnreachableError(
            f"Cannot connect to {safe_url(engine.url)}: {detail}. {_reachability_hint(engine.url)}"
        ) from None
    with connection:
        yield connection


#: SQLite's busy timeout is a C int of milliseconds.
_MAX_BUSY_MS = 2**31 - 1
_BUSY_TIMEOUT_KEY = "lockgate_busy_timeout_ms"
_BUSY_TIMEOUTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # engine -> _BusyTimeout


def _busy_milliseconds(seconds: float) -> int:
    return max(0, min(_MAX_BUSY_MS, round(float(seconds) * 1000)))


def _set_busy_timeout(dbapi_connection, milliseconds: int) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {int(milliseconds)}")
    finally:
        cursor.close()


class _BusyTimeout:
    """Sets ``PRAGMA busy_timeout`` on an engine's sqlite3 connections, new and pooled alike.

    One instance per engine, so applying a second timeout changes the value
    instead of stacking listeners that would undo each other; each pooled
    connection remembers the value it has, so checkouts cost nothing after the first.
    """

    def __init__(self, milliseconds: int):
        self.milliseconds = milliseconds

    def connect(self, dbapi_connection, connection_record) -> None:
        self._apply(dbapi_connection, connection_record)

    def checkout(self, dbapi_connection, connection_record, connection_proxy) -> None:
        if connection_record.info.get(_BUSY_TIMEOUT_KEY) != self.milliseconds:
            self._apply(dbapi_connection, connection_record)

    def _apply(self, dbapi_connection, connection_record) -> None:
        _set_busy_timeout(dbapi_connection, self.milliseconds)
        connection_record.info[_BUSY_TIMEOUT_KEY] = self.milliseconds


def apply_busy_timeout(engine, seconds: float | None) -> None:
    """Make SQLite wait up to ``seconds`` for another process's lock, like lockgate's own lock.

    sqlite3 waits 5 s for a locked database and then fails with "database is
    locked", whatever ``--lock-timeout`` says. With this, every connection of
    ``engine`` (made before or after the call) waits as long as the run lock
    would. Meant for engines lockgate makes from a URL; around a session on
    the application's own engine use :func:`sqlite_busy_timeout`. A no-op for
    other databases and for ``seconds=None``.
    """
    if engine.dialect.name != "sqlite" or seconds is None:
        return
    from sqlalchemy import event

    milliseconds = _busy_milliseconds(seconds)
    listener = _BUSY_TIMEOUTS.get(engine)
    if listener is not None:
        listener.milliseconds = milliseconds
        return
    listener = _BusyTimeout(milliseconds)
    event.listen(engine, "connect", listener.connect)
    event.listen(engine, "checkout", listener.checkout)
    _BUSY_TIMEOUTS[engine] = listener


@contextmanager
def sqlite_busy_timeout(connection, seconds: float | None):
    """SQLite waits up to ``seconds`` for a lock on this connection, then as it did before.

    For an engine that belongs to the application (``DBMigrator(engine)`` at
    start-up), where :func:`apply_busy_timeout` would change how long every
    later query of the application waits. A no-op for other databases and for
    ``seconds=None``.
    """
    if connection.dialect.name != "sqlite" or seconds is None:
        yield connection
        return
    raw = connection.connection.driver_connection
    cursor = raw.cursor()
    try:
        previous = cursor.execute("PRAGMA busy_timeout").fetchone()[0]
    finally:
        cursor.close()
    _set_busy_timeout(raw, _busy_milliseconds(seconds))
    try:
        yield connection
    finally:
        try:
            _set_busy_timeout(raw, previous)
        except Exception:  # the connection died meanwhile: nothing left to restore
            pass
