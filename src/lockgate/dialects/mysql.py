"""MySQL and MariaDB through PyMySQL or mysqlclient."""

from __future__ import annotations

import hashlib
import re
import time
from contextlib import contextmanager

from sqlalchemy import text

from .base import DialectAdapter, RunLock, lock_lost_error, lock_timeout_error


class MySQLAdapter(DialectAdapter):
    """MySQL commits every DDL statement implicitly, ending the open transaction.

    A script that fails after a ``CREATE``/``ALTER`` has already changed the
    schema; the engine journals each script there (a row marked started before
    it runs, finished after) and reports such failures as possibly partial.

    The run lock is ``GET_LOCK`` on a connection of its own; the server frees
    it when that connection ends, including when the process is killed.
    """

    name = "mysql"
    transactional_ddl = False
    display_name = "MySQL/MariaDB"
    split_dialect = "mysql"
    lint_rules = "mysql"
    indexes_foreign_keys = True
    scratch = "server"
    connect_timeout_args = {"pymysql": "connect_timeout", "mysqldb": "connect_timeout",
                            "mariadbconnector": "connect_timeout"}

    def connect_args(self, driver: str, seconds: int, url=None) -> dict:
        args = super().connect_args(driver, seconds, url)
        if _bounds_handshake(driver, url):
            args["read_timeout"] = seconds
        return args

    def prepare_engine(self, engine, driver: str, url) -> None:
        from sqlalchemy import event

        if _bounds_handshake(driver, url):
            event.listen(engine, "connect", _unbound_reads)
        if driver == "pymysql":
            from .pymysql_tls import connect

            event.listen(engine, "do_connect", connect)

    def table_name_limit(self, dialect) -> tuple[int | None, str]:
        """64 characters (SQLAlchemy says 255, the limit of other identifiers)."""
        return 64, "characters"

    def timestamp_type(self):
        """DATETIME(6): MySQL's DATETIME keeps whole seconds."""
        from sqlalchemy.dialects.mysql import DATETIME

        return DATETIME(fsp=6)

    def database_copier(self, connection, template: str):
        from .catalog_clone_mysql import copier

        return copier(connection, template)

    def schema_catalog(self, connection, tables=None):
        from .catalog_mysql import read_catalog

        return read_catalog(connection, getattr(connection.dialect, "is_mariadb", False), tables)

    def reachability_hint(self, url) -> str:
        return self.server_hint(f"`mysqladmin -h {url.host or 'localhost'} -P {url.port or 3306} ping`")

    @contextmanager
    def session(self, connection):
        """Note the connection's id, for :meth:`cancel` to name from a second connection."""
        connection.info["lockgate_connection_id"] = connection.exec_driver_sql(
            "SELECT CONNECTION_ID()").scalar()
        connection.rollback()  # end the transaction that reading began
        yield connection

    def cancel(self, connection) -> bool:
        """``KILL QUERY`` from a second connection: the server would finish the statement otherwise."""
        from sqlalchemy.exc import DBAPIError

        from ..errors import DatabaseUnreachableError

        query = connection.info.get("lockgate_connection_id")
        if query is None:
            return True
        try:
            with self.connect(connection.engine) as other:
                other.exec_driver_sql(f"KILL QUERY {int(query)}")
        except (DBAPIError, DatabaseUnreachableError):
            pass  # the server is gone or the query ended: nothing left to stop
        return True  # the killed statement's answer is still unread on this connection

    def tracking_schema(self, connection, table: str) -> str | None:
        from ..errors import ConfigError

        database = connection.execute(text("SELECT DATABASE()")).scalar()
        if database is None:
            raise ConfigError(
                "The database URL names no database, so there is nowhere to keep the tracking "
                "table: add it to the URL (mysql+pymysql://user@host/DATABASE).")
        return database

    def implicit_commit(self, statement: str) -> bool:
        return _IMPLICIT_COMMIT.match(statement) is not None

    def ddl_in_effect(self, sink, statement: str) -> bool | None:
        """Read off ``information_schema``: CREATE/DROP TABLE, CREATE/DROP INDEX, ALTER TABLE ADD/DROP.

        An ALTER TABLE with several clauses took effect when every one of them
        shows (MariaDB and MySQL 8 run each DDL statement atomically); when
        only some show, or a clause has no visible trace, the answer is None.
        """
        facts = catalog_facts(statement)
        if not facts:
            return None
        seen = []
        for kind, schema, table, name, present in facts:
            sql, params = _CATALOG[kind], (schema, table) + ((name,) if name else ())
            row = sink.query(sql, params)
            seen.append(bool(row and row[0]) == present)
        return True if all(seen) else False if not any(seen) else None

    @contextmanager
    def run_lock(self, engine, name: str, timeout: float, on_wait=None):
        with self.connect(engine) as connection:
            lock = _lock_name(connection, name)
            got = connection.execute(text("SELECT GET_LOCK(:n, 0)"), {"n": lock}).scalar()
            if got != 1:
                if on_wait:
                    on_wait(self._holder(connection, lock))
                started = time.monotonic()
                got = connection.execute(text("SELECT GET_LOCK(:n, :t)"),
                                         {"n": lock, "t": max(timeout, 0)}).scalar()
                if got != 1:
                    raise lock_timeout_error(time.monotonic() - started, self._holder(connection, lock))
            # The lock's connection idles for the whole run: the server's wait_timeout
            # must not end it, and the lock with it.
            connection.exec_driver_sql(f"SET SESSION wait_timeout = {_LONGEST_WAIT}")
            holder = connection.execute(text("SELECT CONNECTION_ID()")).scalar()
            connection.commit()
            try:
                yield MySQLRunLock(lock, int(holder), timeout)
            finally:
                _release_quietly(connection, lock)

    def _holder(self, connection, lock: str) -> str:
        row = connection.execute(text(
            "SELECT p.ID, p.USER, p.HOST, p.TIME FROM information_schema.PROCESSLIST p "
            "WHERE p.ID = IS_USED_LOCK(:n)"), {"n": lock}).first()
        if row is None:
            return "another connection (the server did not say which)"
        return f"connection {row[0]} (user {row[1]} from {row[2]}, connected {row[3]} s ago)"


def _bounds_handshake(driver: str, url) -> bool:
    """PyMySQL's handshake is bounded by a read timeout unless the URL sets its own."""
    return driver == "pymysql" and (url is None or "read_timeout" not in url.query)


def _unbound_reads(dbapi_connection, connection_record) -> None:
    """Lift PyMySQL's read timeout once connected: it only bounded the handshake.

    PyMySQL's ``connect_timeout`` ends when TCP connects, so a server that
    accepts and never answers (a MySQL URL aimed at PostgreSQL's port) would
    hang the handshake for ever. Statements, which may rightly take long
    (an ALTER TABLE on a big table), must not be cut off by that bound.
    """
    if hasattr(dbapi_connection, "_read_timeout"):
        dbapi_connection._read_timeout = None


class MySQLRunLock(RunLock):
    """Fencing by asking the server who holds the run lock, first in every script's transaction.

    A script transaction goes on only when ``IS_USED_LOCK`` still names the
    connection that took the run lock (a killed or timed-out connection frees
    it). The script connection itself holds a second lock, the *script lock*,
    for the whole run: :meth:`barrier` takes it before the tracking table is
    read, so a new run waits while an earlier runner's script connection is
    still running a statement on the server.
    """

    def __init__(self, name: str, holder: int, timeout: float):
        self.name, self.holder, self.timeout = name, holder, timeout
        self.script_lock = _hashed(f"{name}:scripts")

    def barrier(self, connection) -> None:
        got = connection.execute(text("SELECT GET_LOCK(:n, :t)"),
                                 {"n": self.script_lock, "t": max(self.timeout, 0)}).scalar()
        if got != 1:
            raise lock_timeout_error(
                self.timeout, "the script connection of an earlier run that is still running a "
                "statement on the server (its client may have been killed; see SHOW PROCESSLIST)")
        connection.exec_driver_sql(f"SET SESSION wait_timeout = {_LONGEST_WAIT}")

    def fence(self, sink) -> None:
        row = sink.query("SELECT IS_USED_LOCK(%s)", (self.name,))
        if row is None or row[0] != self.holder:
            raise lock_lost_error(f"connection {self.holder}, which held it, was ended")

    def release(self, connection) -> None:
        _release_quietly(connection, self.script_lock)


def _release_quietly(connection, lock: str) -> None:
    """Free a named lock; a connection already gone has freed it."""
    from sqlalchemy.exc import DBAPIError

    try:
        connection.execute(text("SELECT RELEASE_LOCK(:n)"), {"n": lock})
        connection.commit()
    except DBAPIError:
        pass


#: The longest wait_timeout every MySQL and MariaDB build accepts (about 24 days).
_LONGEST_WAIT = 2147483


def _hashed(full: str) -> str:
    """Lock names are server-wide and at most 64 characters."""
    if len(full) <= 64:
        return full
    return "lockgate:" + hashlib.sha256(full.encode()).hexdigest()[:55]


def _lock_name(connection, name: str) -> str:
    """Lock names are server-wide and at most 64 characters: include the database, hash if long."""
    database = connection.execute(text("SELECT DATABASE()")).scalar() or ""
    return _hashed(f"lockgate:{database}:{name}")


class MariaDBAdapter(MySQLAdapter):
    """MariaDB behaves as MySQL for everything lockgate does today."""

    name = "mariadb"
    display_name = "MariaDB"


#: Statements after which MySQL has committed, whatever the open transaction
#: (https://dev.mysql.com/doc/refman/8.0/en/implicit-commit.html).
_IMPLICIT_COMMIT = re.compile(
    r"^\s*(?:(?:--[^\n]*\n|#[^\n]*\n|/\*.*?\*/)\s*)*"
    r"(?:CREATE|ALTER|DROP|RENAME|TRUNCATE|GRANT|REVOKE|LOCK|UNLOCK|ANALYZE|OPTIMIZE|REPAIR|"
    r"INSTALL|UNINSTALL|FLUSH|BEGIN|START\s+TRANSACTION|COMMIT|SET\s+(?:@@|SESSION\s+|GLOBAL\s+)?"
    r"autocommit|SET\s+PASSWORD|CACHE\s+INDEX|LOAD\s+(?:INDEX|DATA))\b",
    re.IGNORECASE | re.DOTALL)


#: How each kind of fact is looked up: schema (NULL: the current database), table, name.
_CATALOG = {
    "table": "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = COALESCE(%s, "
             "DATABASE()) AND TABLE_NAME = %s",
    "column": "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = COALESCE(%s, "
              "DATABASE()) AND TABLE_NAME = %s AND COLUMN_NAME = %s",
    "index": "SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = COALESCE(%s, "
             "DATABASE()) AND TABLE_NAME = %s AND INDEX_NAME = %s",
}

#: A character of an unquoted name: ASCII letters, digits, ``_`` and ``$``, and U+0080 to U+FFFF
#: (MySQL's rule), written as what it leaves out: Python's compiler spends about 10 ms on a
#: 65,408-character range under re.I, once per use, on every import of this module.
_NAME_CHAR = r"[^\x00-\x23\x25-\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7f\U00010000-\U0010ffff]"
_NAME = rf"(?:`(?:[^`]|``)+`|\"(?:[^\"]|\"\")+\"|{_NAME_CHAR}+)"
_QUALIFIED = rf"({_NAME})(?:\s*\.\s*({_NAME}))?"
_COMMENT_OR_QUOTED = re.compile(r"/\*.*?\*/|--(?=\s)[^\n]*|#[^\n]*|'(?:[^'\\]|\\.|'')*'|\"(?:[^\"\\]|\\.)*\"|`[^`]*`",
                                re.DOTALL)
_CREATE_TABLE = re.compile(rf"CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?{_QUALIFIED}", re.I)
_DROP_TABLE = re.compile(rf"DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?{_QUALIFIED}\s*(?:RESTRICT|CASCADE)?\s*$", re.I)
_CREATE_INDEX = re.compile(rf"CREATE\s+(?:UNIQUE\s+|FULLTEXT\s+|SPATIAL\s+)?INDEX\s+(?:IF\s+NOT\s+EXISTS\s+)?"
                           rf"({_NAME})\s+(?:USING\s+\w+\s+)?ON\s+{_QUALIFIED}", re.I)
_DROP_INDEX = re.compile(rf"DROP\s+INDEX\s+(?:IF\s+EXISTS\s+)?({_NAME})\s+ON\s+{_QUALIFIED}\s*$", re.I)
_ALTER_TABLE = re.compile(rf"ALTER\s+(?:ONLINE\s+|IGNORE\s+)*TABLE\s+{_QUALIFIED}\s+(.*)$", re.I | re.S)
_ADD_INDEX = re.compile(rf"ADD\s+(?:UNIQUE\s+(?:INDEX|KEY)?|FULLTEXT\s+(?:INDEX|KEY)?|SPATIAL\s+(?:INDEX|KEY)?|INDEX|KEY)"
                        rf"\s*(?:IF\s+NOT\s+EXISTS\s+)?({_NAME})\s*\(", re.I)
_DROP_INDEX_CLAUSE = re.compile(rf"DROP\s+(?:INDEX|KEY)\s+(?:IF\s+EXISTS\s+)?({_NAME})$", re.I)
_ADD_COLUMN = re.compile(rf"ADD\s+(?:COLUMN\s+)?(?:IF\s+NOT\s+EXISTS\s+)?({_NAME})\s+\w", re.I)
_DROP_COLUMN = re.compile(rf"DROP\s+(?:COLUMN\s+)?(?:IF\s+EXISTS\s+)?({_NAME})(?:\s+(?:RESTRICT|CASCADE))?$", re.I)
#: Words after ADD/DROP that name something other than a column.
_NOT_COLUMNS = {"index", "key", "unique", "fulltext", "spatial", "primary", "foreign", "constraint",
                "check", "partition", "period", "system", "column"}
#: ALTER TABLE clauses that change how the statement runs, not what it does.
_HOW = re.compile(r"(?:ALGORITHM|LOCK)\s*=?\s*\w+$", re.I)


def _without_comments(statement: str) -> str:
    """The statement with its comments as spaces (quoted text kept as it is)."""
    return _COMMENT_OR_QUOTED.sub(lambda m: m.group(0) if m.group(0)[0] in "'\"`" else " ", statement)


def _unquote(name: str | None) -> str | None:
    if name is None:
        return None
    if name[0] in "`\"" and name[-1] == name[0]:
        return name[1:-1].replace(name[0] * 2, name[0])
    return name


def _table(first: str, second: str | None) -> tuple[str | None, str]:
    """(schema, table) from ``a`` or ``a.b``."""
    return (_unquote(first), _unquote(second) or "") if second else (None, _unquote(first) or "")


def _clauses(text: str) -> list[str]:
    """An ALTER TABLE's clauses: split at commas outside parentheses and quotes."""
    parts, depth, quote, start = [], 0, "", 0
    for i, ch in enumerate(text):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"`":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return parts


def catalog_facts(statement: str) -> list[tuple[str, str | None, str, str | None, bool]]:
    """What the catalog shows once ``statement`` took effect: (kind, schema, table, name, present).

    Empty when the statement is not one whose effect the catalog shows (the
    caller then cannot tell whether it ran).
    """
    text = _without_comments(statement).strip().rstrip(";").strip()
    if m := _CREATE_TABLE.match(text):
        return [("table", *_table(m.group(1), m.group(2)), None, True)]
    if m := _DROP_TABLE.match(text):
        return [("table", *_table(m.group(1), m.group(2)), None, False)]
    if m := _CREATE_INDEX.match(text):
        return [("index", *_table(m.group(2), m.group(3)), _unquote(m.group(1)), True)]
    if m := _DROP_INDEX.match(text):
        return [("index", *_table(m.group(2), m.group(3)), _unquote(m.group(1)), False)]
    m = _ALTER_TABLE.match(text)
    if not m:
        return []
    schema, table = _table(m.group(1), m.group(2))
    facts: list[tuple[str, str | None, str, str | None, bool]] = []
    for clause in _clauses(m.group(3)):
        if _HOW.match(clause):
            continue
        if found := _ADD_INDEX.match(clause):
            facts.append(("index", schema, table, _unquote(found.group(1)), True))
        elif found := _DROP_INDEX_CLAUSE.match(clause):
            facts.append(("index", schema, table, _unquote(found.group(1)), False))
        elif (found := _ADD_COLUMN.match(clause)) and found.group(1).lower() not in _NOT_COLUMNS:
            facts.append(("column", schema, table, _unquote(found.group(1)), True))
        elif (found := _DROP_COLUMN.match(clause)) and found.group(1).lower() not in _NOT_COLUMNS:
            facts.append(("column", schema, table, _unquote(found.group(1)), False))
        else:
            return []
    return facts
