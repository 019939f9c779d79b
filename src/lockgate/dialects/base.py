"""The contract between the engine and one database.

Each database gets a small subclass in its own module that overrides only what
differs; the engine never asks ``dialect.name`` itself.
"""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy.engine import Connection


class DialectAdapter:
    """Defaults fit a database with transactional DDL and a well-behaved driver."""

    #: SQLAlchemy dialect name this adapter serves.
    name = "default"
    #: Whether DDL inside a transaction is rolled back with it. Where it is not,
    #: a failed script may leave part of its changes behind, and we say so.
    transactional_ddl = True
    #: Dialect name given to the SQL splitter.
    split_dialect = "default"
    #: The keyword argument a driver takes for a connection timeout, by driver name.
    connect_timeout_args: dict[str, str] = {}

    def connect_args(self, driver: str, seconds: int) -> dict:
        """Arguments that make an unreachable server fail fast instead of hanging."""
        key = self.connect_timeout_args.get(driver)
        return {key: seconds} if key else {}

    @contextmanager
    def session(self, connection: Connection):
        """Prepare a connection for a run and restore it afterwards."""
        yield connection

    def begin_script(self, connection: Connection) -> None:
        """Called right after a script's transaction has begun."""
