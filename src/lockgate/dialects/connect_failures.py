"""Why connecting failed, where the driver's words leave a newcomer guessing.

"Is the server running?" is the wrong question when the server answered: it
refused the login (the user name or the password), it has no such database,
or something accepted the connection and then never said a word (a wrong
port, a stalled server). Each gets advice of its own, with the URL to write
and the command that fixes it. A password is never shown: where the advice
shows how to write one, the URL says ``PASSWORD``.

Errors are told by the driver's module and error number, and by the
driver's words only where it gives no number (libpq reports a refused login
without a SQLSTATE). No driver is imported.
"""

from __future__ import annotations

import re

from ..urls import with_password_placeholder

#: The database each driver's errors come from, by the driver's top module.
_FAMILIES = {"psycopg": "postgresql", "psycopg2": "postgresql", "pymysql": "mysql", "MySQLdb": "mysql"}
#: 1045: a wrong password, or none where one is needed; 1698: no such account may log in this way.
_MYSQL_LOGIN = (1045, 1698)
#: 2013 lost during the handshake, 2003 cannot connect: with "timed out", nothing answered.
_MYSQL_NO_ANSWER = (2003, 2013)
_USING_PASSWORD = re.compile(r"\(using password: (?P<used>YES|NO)\)")
_PG_WORDS = {
    "password": re.compile(r'password authentication failed for user "(?P<name>[^"]*)"'),
    "no-password": re.compile(r"no password supplied|fe_sendauth"),
    "role": re.compile(r'role "(?P<name>[^"]*)" does not exist'),
    "database": re.compile(r'database "(?P<name>[^"]*)" does not exist'),
    "silent": re.compile(r"timeout expired"),
}
SILENT = ("accepted the connection but did not answer in time: check the port (the server's own, "
          "not another service's) and that the server is not stalled; a firewall that drops "
          "packets looks the same")


def explain(error: BaseException | None, url) -> str | None:
    """Advice for a refused login, a missing database or a silent server; None for anything else."""
    if error is None:
        return None
    family = _FAMILIES.get(type(error).__module__.split(".")[0])
    if family == "mysql":
        return _mysql(error, url)
    if family == "postgresql":
        return _postgresql(str(error), url)
    return None


def _mysql(error: BaseException, url) -> str | None:
    args: tuple = getattr(error, "args", ())
    code = args[0] if args and isinstance(args[0], int) else None
    said = str(args[1]) if len(args) > 1 else ""
    user = getattr(url, "username", None) or "<user>"
    if code in _MYSQL_NO_ANSWER and "timed out" in said:
        return f"The server {SILENT} (MariaDB/MySQL listens on 3306 by default)."
    if code not in _MYSQL_LOGIN:
        return None
    used = _USING_PASSWORD.search(said)
    if code == 1045 and used and used["used"] == "YES":
        return (f"The server refused the login of {user!r} with the password the URL gives (not shown "
                "here): the password is wrong, or no such account may connect from this host (the "
                "server does not say which). Check the user name, and the password as written in "
                f"{with_password_placeholder(url)}, with @ : / % and spaces in it percent-encoded (%40 for @).")
    if code == 1045:
        return (f"The account {user!r} needs a password and the URL gives none: write it as "
                f"{with_password_placeholder(url)} (with @ : / % percent-encoded, %40 for @).")
    return (f"The server has no account {user!r} that may log in from this host with a password (an "
            "account that authenticates with unix_socket logs in only over the local socket, as the "
            "system user of the same name). Check the user name in the URL, or have an administrator "
            f"run CREATE USER '{user}'@'%' IDENTIFIED BY '...' and grant it the database, then write "
            f"the URL as {with_password_placeholder(url)}.")


def _postgresql(said: str, url) -> str | None:
    host = getattr(url, "host", None) or "localhost"
    port = getattr(url, "port", None) or 5432
    found = {kind: pattern.search(said) for kind, pattern in _PG_WORDS.items()}
    if found["silent"]:
        return f"The server {SILENT} (PostgreSQL listens on 5432 by default)."
    if found["password"]:
        return (f"The server refused the password the URL gives for {found['password']['name']!r} (not "
                f"shown here). Check it: it is written {with_password_placeholder(url)}, with @ : / % "
                "and spaces in it percent-encoded (%40 for @).")
    if found["no-password"]:
        return (f"The server asks for a password and the URL gives none: write it as "
                f"{with_password_placeholder(url)} (or keep it in ~/.pgpass).")
    if found["role"]:
        name = found["role"]["name"]
        return (f"The server has no role {name!r}: check the user name in the URL, or create the role "
                f"(`createuser -h {host} -p {port} {name}` as a superuser).")
    if found["database"]:
        name = found["database"]["name"]
        as_user = f" -U {url.username}" if url.username else ""
        return (f"The server has no database {name!r}: check its name in the URL, or create it "
                f"(`createdb -h {host} -p {port}{as_user} {name}`); lockgate creates tables, not databases.")
    return None
