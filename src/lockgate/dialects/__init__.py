"""One adapter per database, looked up by SQLAlchemy's dialect name."""

from __future__ import annotations

from .base import AdapterOptions, DialectAdapter
from .mysql import MariaDBAdapter, MySQLAdapter
from .postgresql import PostgreSQLAdapter
from .sqlite import SQLiteAdapter

ADAPTERS: dict[str, type[DialectAdapter]] = {
    "sqlite": SQLiteAdapter,
    "postgresql": PostgreSQLAdapter,
    "mysql": MySQLAdapter,
    "mariadb": MariaDBAdapter,
}


def adapter_for(dialect, options: AdapterOptions | None = None) -> DialectAdapter:
    """The adapter for a SQLAlchemy dialect, built with its options; unknown databases get the defaults."""
    name = dialect.name
    if name == "mysql" and getattr(dialect, "is_mariadb", False):
        name = "mariadb"
    return ADAPTERS.get(name, DialectAdapter)(options)


__all__ = ["AdapterOptions", "DialectAdapter", "adapter_for", "ADAPTERS"]
