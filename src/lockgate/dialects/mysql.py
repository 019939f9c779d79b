"""MySQL and MariaDB through PyMySQL or mysqlclient."""

from __future__ import annotations

from .base import DialectAdapter


class MySQLAdapter(DialectAdapter):
    """MySQL commits every DDL statement implicitly, ending the open transaction.

    A script that fails after a ``CREATE``/``ALTER`` has already changed the
    schema; the engine reports such failures as possibly partial.
    """

    name = "mysql"
    transactional_ddl = False
    split_dialect = "mysql"
    connect_timeout_args = {"pymysql": "connect_timeout", "mysqldb": "connect_timeout",
                            "mariadbconnector": "connect_timeout"}


class MariaDBAdapter(MySQLAdapter):
    """MariaDB behaves as MySQL for everything lockgate does today."""

    name = "mariadb"
