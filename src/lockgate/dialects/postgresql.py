"""PostgreSQL through psycopg (3) or psycopg2."""

from __future__ import annotations

from .base import DialectAdapter


class PostgreSQLAdapter(DialectAdapter):
    """PostgreSQL runs DDL inside transactions, so the defaults hold."""

    name = "postgresql"
    split_dialect = "postgresql"
    connect_timeout_args = {"psycopg": "connect_timeout", "psycopg2": "connect_timeout",
                            "pg8000": "timeout"}
