"""Database URLs as they may be shown: passwords never leave this module.

URLs are rendered with the password hidden, and a driver message that
happens to quote it is scrubbed.
"""

from __future__ import annotations

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


def with_password_placeholder(url) -> str:
    """The URL with ``PASSWORD`` where its password goes: how to write one, never the real one."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url).set(password="PASSWORD")
    except Exception:
        return "dialect+driver://USER:PASSWORD@HOST:PORT/DATABASE"
    hidden = {key: "***" for key in parsed.query if key.lower() in _SECRET_QUERY_KEYS}
    return parsed.update_query_dict(hidden).render_as_string(hide_password=False).replace("%2A%2A%2A", "***")


def as_typed(text: str) -> str:
    """Text given as a URL that is none, shown as typed but for what could be a password.

    ``user:secret@host/db`` (a scheme forgotten) shows as ``user:***@host/db``.
    """
    userinfo, at, rest = text.rpartition("@")
    if not at:
        return text
    user, colon, _ = userinfo.partition(":")
    return f"{user}{':***' if colon else ''}@{rest}"
