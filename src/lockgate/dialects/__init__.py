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


def adapter_class_for_url(url) -> type[DialectAdapter]:
    """The adapter class for a URL, without connecting (a MariaDB server behind mysql:// gets MySQL's)."""
    return ADAPTERS.get(url.get_backend_name(), DialectAdapter)


def sql_dialect_for_url(url) -> str:
    """The SQL dialect of a URL's database, for the splitter and script templates; "" for none."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url) if url else None
    except Exception:  # text that is no URL: treated as none
        return ""
    if parsed is None:
        return ""
    backend = parsed.get_backend_name()
    return ADAPTERS[backend].split_dialect if backend in ADAPTERS else backend


__all__ = ["AdapterOptions", "DialectAdapter", "adapter_class_for_url", "adapter_for",
           "sql_dialect_for_url", "ADAPTERS"]
