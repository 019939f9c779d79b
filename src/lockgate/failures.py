"""Database errors that everyday mistakes cause, turned into lockgate's own errors.

A role without rights, a read-only SQLite folder, a database locked by
another process, a server that went away: each gets a one-paragraph message
and its own exit code instead of reaching the command line as a bug.

Only errors about the session itself are translated. A script's own mistake
(a syntax error, a missing column, a cancelled statement) returns None and
stays a script failure, with its file and line.

Errors are recognised by their SQLSTATE or driver error number where the
driver gives one, and by the driver's message only where it gives none
(psycopg's client-side errors, sqlite3). The drivers are never imported here:
an error's class tells which one raised it.
"""

from __future__ import annotations

import os
import re
import sqlite3
from urllib.parse import unquote

from .urls import safe_url, scrub
from .errors import ConnectionLostError, DatabaseBusyError, LockgateError, PermissionDeniedError

POSTGRESQL, MYSQL, SQLITE = "postgresql", "mysql", "sqlite"

#: SQLSTATEs of a session the server ended: admin_shutdown (pg_terminate_backend,
#: a fast shutdown), crash_shutdown, cannot_connect_now; class 08 is connection_exception.
_PG_LOST_STATES = ("57P01", "57P02", "57P03")
_PG_INSUFFICIENT_PRIVILEGE = "42501"
#: libpq's and psycopg's own words for a connection that is gone (they carry no SQLSTATE).
_PG_LOST_WORDS = re.compile(
    r"server closed the connection|connection is closed|connection already closed|"
    r"terminating connection|consuming input failed|sending query failed|"
    r"could not (?:receive|send) data (?:from|to) server|SSL connection has been closed|"
    r"no connection to the server|connection to server .* lost", re.IGNORECASE)
#: 2006 gone away, 2013 lost during a query, 2055 lost at a system call, 1927 killed
#: (MariaDB), 4031 disconnected for inactivity (MySQL 8), 1053 shutdown in progress.
_MYSQL_LOST = {2006, 2013, 2055, 1927, 4031, 1053}
#: 1044 database, 1045 login, 1142 table, 1143 column, 1227 global privilege, 1370 routine.
_MYSQL_DENIED = {1044, 1045, 1142, 1143, 1227, 1370}
_SQLITE_BUSY = ("database is locked", "database table is locked")
_SQLITE_READONLY = "attempt to write a readonly database"
_SQLITE_CANTOPEN = "unable to open database file"


def translate(exc: BaseException, url, *, lock_timeout: float | None = None) -> LockgateError | None:
    """The :class:`LockgateError` for a driver or SQLAlchemy error, or None when it is not a known kind.

    :param exc: a SQLAlchemy ``DBAPIError`` or a driver's own error (psycopg 3,
        psycopg2, PyMySQL, MySQLdb, sqlite3); an object carrying the driver's
        error as ``.error`` (lockgate's ``StatementFailed``) is unwrapped too.
    :param url: the database URL (for the message; its password is never shown).
    :param lock_timeout: seconds SQLite waited for its lock, named in a busy message.
    """
    error, invalidated = _unwrap(exc)
    family = _family(error)
    if invalidated or _connection_lost(error, family):
        return ConnectionLostError(_lost_message(error, family, url))
    if family == SQLITE and _sqlite_busy(error):
        return DatabaseBusyError(_busy_message(error, url, lock_timeout))
    if family == SQLITE:
        return _sqlite_denied(error, url)
    if family == POSTGRESQL and _sqlstate(error) == _PG_INSUFFICIENT_PRIVILEGE:
        return PermissionDeniedError(_postgresql_denied(error, url))
    if family == MYSQL and _mysql_code(error) in _MYSQL_DENIED:
        return PermissionDeniedError(_mysql_denied(error, url))
    return None


# -- what was raised -----------------------------------------------------------


def _unwrap(exc: BaseException) -> tuple[BaseException, bool]:
    """The driver's error, and whether SQLAlchemy saw the connection die with it."""
    invalidated = bool(getattr(exc, "connection_invalidated", False))
    orig = getattr(exc, "orig", None)
    if isinstance(orig, BaseException):
        return orig, invalidated
    inner = getattr(exc, "error", None)
    if isinstance(inner, BaseException):
        return _unwrap(inner)[0], invalidated
    return exc, invalidated


#: The database each driver's errors come from, by the driver's top module.
_DRIVER_FAMILIES = {"psycopg": POSTGRESQL, "psycopg2": POSTGRESQL, "pymysql": MYSQL, "MySQLdb": MYSQL}


def _family(error: BaseException) -> str | None:
    """Which database raised it, told by the driver's module (no driver is imported)."""
    if isinstance(error, sqlite3.Error):
        return SQLITE
    return _DRIVER_FAMILIES.get(type(error).__module__.split(".")[0])


def _sqlstate(error: BaseException) -> str | None:
    """psycopg 3 calls it ``sqlstate``, psycopg2 ``pgcode``."""
    return getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)


def _mysql_code(error: BaseException) -> int | None:
    args = getattr(error, "args", ())
    return args[0] if args and isinstance(args[0], int) else None


def _driver_line(error: BaseException, url) -> str:
    """The driver's first line, password scrubbed.

    "unexpectedly" is dropped (libpq says the server closed the connection
    "unexpectedly"): on lockgate's command line that word marks a bug to report.
    """
    args: tuple = getattr(error, "args", ())
    if _family(error) == MYSQL and len(args) > 1:
        text = f"{args[1]} (error {args[0]})"
    else:
        text = str(error)
    lines = text.strip().splitlines()
    line = re.sub(r"\s*\bunexpected(?:ly)?\b", "", lines[0] if lines else type(error).__name__)
    return scrub(line.strip(), url) if url is not None else line.strip()


def _parsed(url):
    """The URL as SQLAlchemy's ``URL``, or None when there is none or it cannot be read."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url)
    except Exception:  # None, or text that is no URL: the message does without it
        return None


def _backend(url, family: str | None) -> str | None:
    """The URL's SQL dialect (MariaDB's is MySQL's), else the driver's family."""
    from .dialects import sql_dialect_for_url

    return sql_dialect_for_url(url) or family


def _username(url) -> str | None:
    parsed = _parsed(url)
    return parsed.username or None if parsed is not None else None


# -- the connection was lost ---------------------------------------------------


def _connection_lost(error: BaseException, family: str | None) -> bool:
    if family == POSTGRESQL:
        state = _sqlstate(error)
        if state:
            return state in _PG_LOST_STATES or state.startswith("08")
        lost_kinds = ("OperationalError", "InterfaceError")
        return type(error).__name__ in lost_kinds and bool(_PG_LOST_WORDS.search(str(error)))
    if family == MYSQL:
        code = _mysql_code(error)
        # PyMySQL raises InterfaceError(0, '') for a connection it already knows is closed.
        return code in _MYSQL_LOST or (code == 0 and type(error).__name__ == "InterfaceError")
    return False


def _lost_message(error: BaseException, family: str | None, url) -> str:
    backend = _backend(url, family)
    if backend == MYSQL:
        ended = "KILL, wait_timeout"
        ddl = (" DDL statements that had already run stay committed on MariaDB/MySQL; a script "
               "left unfinished is named by the next run.")
    else:
        ended = "pg_terminate_backend, idle_in_transaction_session_timeout" if backend == POSTGRESQL \
            else "a session ended by an administrator"
        ddl = ""
    return (f"The connection to {safe_url(url)} was lost ({_driver_line(error, url)}); the database "
            f"rolled back the statement in progress and its transaction.{ddl} Check whether the "
            f"server restarted, whether someone ended the session ({ended}), and the network, "
            "proxies or connection poolers in between (idle timeouts).")


# -- SQLite: locked, read-only, cannot open ------------------------------------


def _sqlite_busy(error: BaseException) -> bool:
    name = getattr(error, "sqlite_errorname", "")  # Python 3.11+
    return name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or str(error).strip() in _SQLITE_BUSY


def _busy_message(error: BaseException, url, lock_timeout: float | None) -> str:
    path = _sqlite_file(url)
    where = path or safe_url(url)
    waited = f" (waited {lock_timeout:g} s)" if lock_timeout is not None else ""
    find = f"`fuser {path}` or `lsof {path}` names it; " if path else ""
    return (f"The SQLite database {where} stayed locked ({_driver_line(error, url)}): another process "
            f"held a write lock on it for longer than the lock timeout{waited}. Wait for that "
            f"process to finish ({find}a long transaction or an open database browser is the "
            "usual cause), or raise --lock-timeout (or `lock_timeout`).")


def _sqlite_denied(error: BaseException, url) -> PermissionDeniedError | None:
    said = str(error).strip()
    if said not in (_SQLITE_READONLY, _SQLITE_CANTOPEN):
        return None
    path = _sqlite_file(url)
    where = path or safe_url(url)
    if path is None:
        fix = "Check the path in the URL: sqlite:///relative.db or sqlite:////absolute/path.db."
    elif _read_only_uri(url):
        fix = "The URL opens the file read-only (mode=ro): remove mode=ro to migrate it."
    else:
        fix = _sqlite_path_fix(path, said == _SQLITE_CANTOPEN)
    cannot = "open" if said == _SQLITE_CANTOPEN else "write to"
    return PermissionDeniedError(f"SQLite cannot {cannot} {where}: {said}. {fix}")


def _sqlite_path_fix(path: str, cannot_open: bool) -> str:
    """What to do about the file or its folder, judged from what exists and what is writable."""
    folder = os.path.dirname(os.path.abspath(path)) or "."
    if not os.path.isdir(folder):
        return (f"The folder {folder} does not exist: create it (SQLite creates the file, not "
                "the folder), or fix the path in the URL (sqlite:////absolute/path.db).")
    if os.path.exists(path) and not os.access(path, os.W_OK):
        return f"The file is read-only for this user: make it writable (`chmod u+w {path}`)."
    if not os.access(folder, os.W_OK) or cannot_open:
        return (f"SQLite needs to write in the folder {folder} too (the database file, and a "
                "journal beside it during every transaction): make that folder writable for the "
                "user lockgate runs as, or check the path in the URL.")
    return ("The file or its folder is read-only (a read-only mount, or another user's file): "
            f"make {path} and {folder} writable for the user lockgate runs as.")


def _sqlite_file(url) -> str | None:
    """The file of a SQLite URL (plain or ``file:`` URI form), or None for memory and non-file URLs."""
    parsed = _parsed(url)
    database = parsed.database if parsed is not None else None
    if not database or database == ":memory:":
        return None
    if database.startswith("file:"):
        path = unquote(database[len("file:"):].split("?", 1)[0])
        if path.startswith("//"):  # file://host/path names the host first (empty or localhost)
            path = "/" + path[2:].partition("/")[2]
        return path if path and path != ":memory:" else None
    return database


def _read_only_uri(url) -> bool:
    """Whether a ``file:`` URL asks SQLite to open the file read-only (``mode=ro``)."""
    parsed = _parsed(url)
    if parsed is None:
        return False
    return parsed.query.get("mode") == "ro" or "mode=ro" in (parsed.database or "")


# -- PostgreSQL: insufficient privilege ----------------------------------------

_PG_DENIED_FOR = re.compile(r"permission denied for (?P<kind>[a-z ]+?) (?P<name>\S+)$")
_PG_OWNER_OF = re.compile(r"must be owner of (?P<kind>[a-z ]+?) (?P<name>\S+)$")
#: What to grant for each kind of object PostgreSQL names.
_PG_GRANTS = {
    "schema": "USAGE, CREATE ON SCHEMA {name}",
    "database": "CREATE ON DATABASE {name}",
    "table": "SELECT, INSERT, UPDATE, DELETE ON TABLE {name}",
    "relation": "SELECT, INSERT, UPDATE, DELETE ON TABLE {name}",
    "view": "SELECT ON TABLE {name}",
    "materialized view": "SELECT ON TABLE {name}",
    "sequence": "USAGE, SELECT, UPDATE ON SEQUENCE {name}",
    "function": "EXECUTE ON FUNCTION {name}",
    "procedure": "EXECUTE ON PROCEDURE {name}",
}


def _postgresql_denied(error: BaseException, url) -> str:
    said = _driver_line(error, url)
    user = _username(url)
    role = _pg_ident(user) if user else "<role>"
    who = f"The role {user}" if user else "The role lockgate connects as (`SELECT current_user` names it)"
    return f"PostgreSQL refused lockgate on {safe_url(url)}: {said}. {_pg_fix(said, role, who)}"


def _pg_fix(said: str, role: str, who: str) -> str:
    """Who lacks what, and the statement that grants it, for the kinds of object PostgreSQL names."""
    denied = _PG_DENIED_FOR.search(said)
    if denied and denied["kind"] in _PG_GRANTS:
        grant = _PG_GRANTS[denied["kind"]].format(name=denied["name"])
        return (f"{who} lacks that privilege: have the owner of {denied['kind']} {denied['name']} "
                f"(or a superuser) run `GRANT {grant} TO {role}`, or connect as a role that may "
                "create and change tables there.")
    owner = _PG_OWNER_OF.search(said)
    if owner:
        kind, name = owner["kind"].upper(), owner["name"]
        return (f"{who} is not its owner, and only the owner may change it: connect as the role "
                f"that owns {owner['kind']} {name}, or have it run `ALTER {kind} {name} OWNER TO {role}`.")
    return (f"{who} lacks that right: connect as a role that has it (the database's owner, or "
            "one it was granted to), or have a superuser grant it.")


def _pg_ident(name: str) -> str:
    """A role name as SQL needs it: bare when plain lower case, else double-quoted."""
    if re.fullmatch(r"[a-z_][a-z0-9_$]*", name):
        return name
    return '"' + name.replace('"', '""') + '"'


# -- MariaDB / MySQL: access denied --------------------------------------------

_MYSQL_COMMAND = re.compile(
    r"^(?P<command>[A-Z][A-Z ,]*?) command denied to user '(?P<user>[^']*)'@'(?P<host>[^']*)'"
    r" for (?:column .+ in )?(?:table|routine) (?P<object>.+)$")
_MYSQL_DATABASE = re.compile(r"^Access denied for user '(?P<user>[^']*)'@'(?P<host>[^']*)' to database '(?P<db>[^']*)'")
_MYSQL_PRIVILEGE = re.compile(r"need \(at least one of\) the (?P<privilege>.+?) privilege")


def _mysql_denied(error: BaseException, url) -> str:
    said = _driver_line(error, url)
    return f"MariaDB/MySQL refused lockgate on {safe_url(url)}: {said}. {_mysql_fix(error, url)}"


def _mysql_fix(error: BaseException, url) -> str:
    """The grant that would have let the statement run, for the account the server named.

    Error 1044 names the account itself ('user'@'%'); the others name the
    client's host, which may not be the account's, so the host is left to fill in.
    """
    code = _mysql_code(error)
    text = str(error.args[1]) if len(error.args) > 1 else ""
    user = _username(url) or "<user>"
    host_note = " (<host>: the account's host, which `SELECT CURRENT_USER()` shows when connected as it)"
    if code == 1045:
        return ("Check the user name and password in the URL, and that the account may connect "
                "from this host.")
    command = _MYSQL_COMMAND.match(text) if code in (1142, 1143, 1370) else None
    if command:
        database = _mysql_database(command["object"], url)
        return (f"An administrator can grant it: `GRANT {command['command']} ON {database}.* TO "
                f"'{command['user']}'@'<host>'`{host_note}, or connect as a user that may create and "
                "change tables in that database (migrations usually need ALL PRIVILEGES on it).")
    denied = _MYSQL_DATABASE.match(text) if code == 1044 else None
    if denied:
        return (f"An administrator can grant it: `GRANT ALL PRIVILEGES ON {_mysql_ident(denied['db'])}.* "
                f"TO '{denied['user']}'@'{denied['host']}'`, or check the database name in the URL.")
    needed = _MYSQL_PRIVILEGE.search(text) if code == 1227 else None
    if needed:
        privilege = needed["privilege"]
        return (f"Connect as a user that has the {privilege} privilege, or have an administrator grant "
                f"it: `GRANT {privilege.split(',')[0].strip()} ON *.* TO '{user}'@'<host>'`{host_note}.")
    return "Connect as a user that has this privilege, or have an administrator grant it (`SHOW GRANTS` lists what it has)."


def _mysql_ident(name: str) -> str:
    """A database name as SQL needs it: bare when plain, else in backticks."""
    if re.fullmatch(r"[A-Za-z0-9_$]+", name) and not name.isdigit():
        return name
    return "`" + name.replace("`", "``") + "`"


def _mysql_database(quoted_object: str, url) -> str:
    """The database of "`db`.`table`" (MariaDB names both), else the URL's."""
    parts = re.findall(r"`((?:[^`]|``)*)`|'([^']*)'", quoted_object)
    names = [a.replace("``", "`") or b for a, b in parts]
    if len(names) >= 2:
        return _mysql_ident(names[0])
    parsed = _parsed(url)
    database = parsed.database if parsed is not None else None
    return _mysql_ident(database) if database else "<database>"
