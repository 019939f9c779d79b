"""The contract between the engine and one database.

Each database gets a small subclass in its own module that overrides only what
differs; the engine never asks ``dialect.name`` itself.

The run lock
------------
``run_lock(engine, name, timeout, on_wait)`` is held around every command that
writes: taken before the tracking table is read, released on every exit path.
It must be held by something the database (or the operating system) frees
when the process dies, so a killed deploy never leaves a stale lock behind.
``on_wait(holder)`` is called once when the lock is busy; ``holder`` describes
who has it, as far as the database can tell. After ``timeout`` seconds it
raises :class:`~lockgate.errors.LockTimeoutError`.

It yields a :class:`RunLock`, which keeps the lock honest for the whole run:

* :meth:`RunLock.barrier` runs first in the run's first transaction, before the
  tracking table is read: it waits until nothing an earlier, dead runner sent
  is still running on the server (a pipelined script can commit after its
  client was killed).
* :meth:`RunLock.fence` runs first in every script's transaction: when this
  run has lost the lock (the lock's session was terminated, timed out, or its
  file replaced) that transaction fails, so a runner that lost the lock never
  commits another script or tracking row.
"""

from __future__ import annotations

import hashlib
import os
from contextlib import contextmanager
from dataclasses import dataclass

from typing import TYPE_CHECKING

from sqlalchemy.engine import Connection

if TYPE_CHECKING:
    from ..sqlsplit import Statement


def lock_identity() -> str:
    """How this process names itself to other migrators waiting for the lock."""
    from ..tracking import current_user

    return f"lockgate pid {os.getpid()} {current_user()}"


def lock_timeout_error(waited: float, holder: str):
    """The one message every adapter gives when the lock stayed taken too long."""
    from ..errors import LockTimeoutError

    return LockTimeoutError(
        f"Waited {waited:.1f} s for the migration lock, held by {holder}. Another migration "
        "is still running; wait for it, or raise --lock-timeout (or `lock_timeout`).")


def lock_key(name: str) -> int:
    """A stable signed 64-bit number for a lock name (PostgreSQL advisory locks take one)."""
    return int.from_bytes(hashlib.sha256(f"lockgate:{name}".encode()).digest()[:8], "big", signed=True)


class RunLock:
    """The held run lock; the defaults fence nothing (a database without an adapter)."""

    #: The statement that a fenced script transaction sends first, when the fence
    #: is a statement (PostgreSQL); its failure means the lock was lost.
    fence_statement: Statement | None = None

    def barrier(self, connection: Connection) -> None:
        """Wait until no script transaction of an earlier run is still open on the server."""

    def fence(self, sink) -> None:
        """Make the script transaction open on ``sink`` fail when this run lost the lock.

        :raises LockLostError: when the loss is known at once.
        """

    def release(self, connection: Connection) -> None:
        """Give up what :meth:`barrier` took on the script connection."""


NO_LOCK = RunLock()


def lock_lost_error(how: str):
    """The one message for a run that found its lock gone."""
    from ..errors import LockLostError

    return LockLostError(
        f"This run lost the migration lock ({how}), so it stopped before committing anything "
        "more: another migration may be running now. The script it was starting was rolled "
        "back. Run the command again; it waits for any other migration and applies what is "
        "still pending. If the lock's connection was ended by a timeout or a pooler, check "
        "idle_in_transaction_session_timeout / wait_timeout and the pooler's idle limits.")


@dataclass(frozen=True)
class AdapterOptions:
    """What an adapter applies to every script, validated with the settings before any connection."""

    #: How long a script's statement may wait for a table lock (PostgreSQL ``lock_timeout``), in ms.
    ddl_lock_timeout_ms: int | None = None
    #: How long one statement may run (PostgreSQL ``statement_timeout``), in ms.
    statement_timeout_ms: int | None = None
    #: How long to wait for another process's lock on the database itself (SQLite), in seconds.
    busy_timeout_s: float | None = None


class DialectAdapter:
    """Defaults fit a database with transactional DDL and a well-behaved driver.

    :param options: the per-script settings, already validated.
    """

    #: SQLAlchemy dialect name this adapter serves.
    name = "default"
    #: How messages name the database ("" : by SQLAlchemy's dialect name).
    display_name = ""
    #: Whether DDL inside a transaction is rolled back with it. Where it is not,
    #: a failed script may leave part of its changes behind, and we say so;
    #: the engine also journals each script (started, then finished) there.
    transactional_ddl = True
    #: Whether a run's scripts but the last commit without waiting for the disk
    #: (so a server crash mid-run may undo the most recent ones, whole).
    asynchronous_commits = False
    #: Dialect name given to the SQL splitter.
    split_dialect = "default"
    #: Which rules ``lockgate lint`` judges scripts by: "postgresql", "mysql", or any
    #: other value for only the rules every database shares (renames and drops).
    lint_rules = "shared"
    #: The keyword argument a driver takes for a connection timeout, by driver name.
    connect_timeout_args: dict[str, str] = {}

    def __init__(self, options: AdapterOptions | None = None):
        self.options = options or AdapterOptions()

    #: Whether the database can alter a column in place (SQLite rebuilds the table instead).
    alters_columns = True
    #: Whether the database adds an index of its own for each foreign key (InnoDB).
    indexes_foreign_keys = False

    def connect_args(self, driver: str, seconds: int, url=None) -> dict:
        """Arguments that make an unreachable server fail fast instead of hanging."""
        key = self.connect_timeout_args.get(driver)
        return {key: seconds} if key else {}

    def prepare_engine(self, engine, driver: str, url) -> None:
        """Called once on each engine lockgate makes, after :meth:`connect_args` were used."""

    @classmethod
    def url_beside(cls, url, base):
        """The URL with a relative file path made relative to ``base`` (a config file's folder)."""
        return url

    @classmethod
    def url_for_schema(cls, url, schema: str):
        """The URL of a session whose scripts and tracking table live in ``schema``.

        Overridden where a database has schemas inside one database (PostgreSQL's
        schema per tenant); elsewhere a schema target is a configuration error.
        """
        from ..errors import ConfigError

        raise ConfigError(
            f"A schema target ({schema!r}) needs a database with schemas inside one database "
            f"(PostgreSQL); {url.get_backend_name()} has none. Give each tenant its own "
            "database URL instead.")

    def table_name_limit(self, dialect) -> tuple[int | None, str]:
        """The most a table name may take, and whether it counts ``bytes`` or ``characters``."""
        return dialect.max_identifier_length, "characters"

    def timestamp_type(self):
        """The column type of the tracking table's ``applied_at`` (microseconds where possible)."""
        import sqlalchemy as sa

        return sa.DateTime()

    def unique_constraints(self, inspector, table: str) -> list[dict]:
        """A table's unique constraints, as the database really has them."""
        try:
            return inspector.get_unique_constraints(table)
        except NotImplementedError:
            return []

    def schema_catalog(self, connection, tables=None):
        """Every view, and every table (or only ``tables``), in a few catalog queries.

        Returns a :class:`.catalog_schema.SchemaCatalog`. Overridden by each
        adapter that can read its catalog in bulk, so that a snapshot does not
        cost a round of queries per table; None (the default) means: ask
        SQLAlchemy's inspector, table by table.
        """
        return None

    def schema_fingerprints(self, connection) -> dict[str, str] | None:
        """``{table: text}`` that changes whenever anything a snapshot shows of the table changes.

        Lets a series of snapshots (the stairway's) re-read only the tables a
        step touched. None (the default): no such text, read every table.
        """
        return None

    def lock_reader(self):
        """What reads the table locks a transaction holds, for ``upgrade --rehearse --locks``.

        Returns an object with ``held(cursor)`` (``{(relation id, mode)}``),
        ``relations(cursor, ids=None)`` (names by id), ``blocks(mode)``,
        ``blocked(mode)`` and ``strength(mode)``; None (the default): the database cannot tell, as
        SQLite (one lock on the whole file) and MariaDB/MySQL (whose DDL
        commits, so no rehearsal can hold its locks) cannot.
        """
        return None

    def model_differences(self, connection, upgrade_ops):
        """Alembic's comparison of models and schema, without what this database cannot express."""
        return upgrade_ops

    #: Where a throwaway database for checks lives: ``"file"`` (a temporary file),
    #: ``"server"`` (a database created and dropped on the target's server), or
    #: None (lockgate cannot make one).
    scratch: str | None = None

    def prepare_scratch_engine(self, engine) -> None:
        """Called on each engine lockgate makes on a scratch database, which nothing needs to outlive a crash."""

    def database_copier(self, connection, template: str):
        """How to copy the scratch database ``template`` (schema and rows) on its server.

        Returns ``copy(connection, name)``, which makes database ``name`` as a
        copy, given an autocommit connection to the server; prepared once per
        template, called for each copy. None (the default): no way to copy.
        """
        return None

    def database_resetter(self):
        """How a used copy of a scratch database is put back as it was copied, where that beats a new copy.

        Returns an object with ``take_state(connection)`` and ``reset(connection,
        state)`` (the new state, or None when only a new copy will do); None
        (the default): copies are dropped after each test.
        """
        return None

    def drop_database_sql(self, name: str) -> str:
        """How a scratch database is dropped, even while something is still connected."""
        return f"DROP DATABASE IF EXISTS {name}"

    def scratch_database_settings_sql(self, name: str) -> list[str]:
        """Statements run on the server once scratch database ``name`` is made: it is thrown away, never recovered."""
        return []

    @contextmanager
    def connect(self, engine):
        """A connection, or :class:`~lockgate.errors.DatabaseUnreachableError` in plain words."""
        from sqlalchemy.exc import DBAPIError

        from ..errors import DatabaseUnreachableError
        from ..urls import safe_url, scrub

        try:
            connection = engine.connect()
        except DBAPIError as exc:
            detail = scrub(str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc), engine.url)
            raise DatabaseUnreachableError(
                f"Cannot connect to {safe_url(engine.url)}: {detail}. {self.connect_failure_hint(exc.orig, engine.url)}"
            ) from None
        with connection:
            yield connection

    def reachability_hint(self, url) -> str:
        """What to check when connecting failed, with a command that checks it where there is one."""
        return "Check that the server is running and that the URL (host, port, database, user) is right."

    def connect_failure_hint(self, error, url) -> str:
        """What to do after connecting failed: the login, the database or the port when the
        server's answer (or silence) tells which, else :meth:`reachability_hint`."""
        from .connect_failures import explain

        return explain(error, url) or self.reachability_hint(url)

    def server_hint(self, command: str) -> str:
        """The hint for a server that a command-line tool can ping."""
        return (f"Check that the server is running ({command} tells) and that the URL (host, port, "
                "database, user) is right.")

    def cancel(self, connection: Connection) -> bool:
        """Stop the statement running on ``connection`` after an interrupt (Ctrl-C, SIGTERM).

        Returns whether the connection must be dropped rather than rolled back.
        The defaults rely on the driver (psycopg cancels on Ctrl-C; sqlite3
        runs in this process); a server that goes on running the statement
        for a client that left says how to stop it (MySQL's ``KILL QUERY``).
        """
        return False

    @contextmanager
    def session(self, connection: Connection):
        """Prepare a connection for a run and restore it afterwards."""
        yield connection

    def implicit_commit(self, statement: str) -> bool:
        """Whether the database commits the open transaction when running ``statement``."""
        return False

    def ddl_in_effect(self, sink, statement: str) -> bool | None:
        """Whether a DDL statement that was running when a run stopped took effect, read off the catalog.

        Asked to resume a script on a database whose DDL commits implicitly;
        ``sink.query(sql, params)`` runs a query. None: the catalog cannot tell.
        """
        return None

    def database_missing(self, engine) -> bool:
        """Whether the database does not exist yet and connecting would create it (SQLite)."""
        return False

    def script_preamble(self, last: bool = True, timeouts: bool = True) -> list[str]:
        """Statements that open a script's transaction.

        :param last: whether it is the run's final script.
        :param timeouts: whether the options' timeouts apply (not to lockgate's own work).
        """
        return []

    def script_epilogue(self, last: bool = True) -> list[str]:
        """Statements after a script's own, before its tracking row: undo its session changes."""
        return []

    def transaction_token(self, sink):
        """Something that changes when the driver's transaction ends; None: cannot tell.

        Asked before and after a Python script, to catch one that committed on
        the raw driver connection, past SQLAlchemy.
        """
        return None

    def tracking_schema(self, connection: Connection, table: str) -> str | None:
        """The schema (or database) holding the tracking table, or that would get it; None: unqualified."""
        return None

    def begin_script(self, connection: Connection, timeouts: bool = False) -> None:
        """Called right after a transaction of lockgate's own (or a rehearsal's) has begun."""
        for sql in self.script_preamble(timeouts=timeouts):
            connection.exec_driver_sql(sql)

    def driver_batch(self, connection):
        """How a SQL script's statements reach the driver (see :mod:`lockgate.dialects.sink`)."""
        from .sink import DriverBatch

        return DriverBatch(connection)

    def elapsed_sql(self):
        """A SQL expression for the time since the transaction began, in ms; None: measure here."""
        return None

    @contextmanager
    def run_lock(self, engine, name: str, timeout: float, on_wait=None):
        """No lock for databases lockgate has no adapter for; documented as such."""
        yield NO_LOCK

    @contextmanager
    def outside_transaction(self, connection: Connection):
        """Autocommit for the length of a script that must not run in a transaction."""
        connection.execution_options(isolation_level="AUTOCOMMIT")
        try:
            yield
        finally:
            if connection.in_transaction():
                connection.commit()
            connection.execution_options(isolation_level=connection.default_isolation_level)

