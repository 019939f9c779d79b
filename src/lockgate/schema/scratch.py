"""Throwaway databases beside a target one, for comparisons that must not touch it.

Used by ``check``/``add_script`` (the shadow database the scripts are applied
to) and by ``lockgate test`` and the pytest plugin. SQLite gets a file in a
temporary folder; PostgreSQL and MariaDB/MySQL a database ``<prefix><hex>``
created on the target's server and dropped afterwards.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from contextlib import contextmanager

from ..errors import ScratchDatabaseError

SCRATCH_PREFIX = "lockgate_scratch_"


def _url_of(url_or_engine):
    from sqlalchemy.engine import make_url

    from ..database import choose_driver

    return choose_driver(make_url(getattr(url_or_engine, "url", url_or_engine)))


@contextmanager
def scratch_database(url_or_engine, prefix: str = SCRATCH_PREFIX):
    """Yield the URL of a new empty database beside ``url_or_engine``'s; drop it on exit.

    :raises ScratchDatabaseError: when the server refuses to create it.
    """
    from ..dialects import adapter_class_for_url

    url = _url_of(url_or_engine)
    adapter = adapter_class_for_url(url)()
    if adapter.scratch == "file":
        folder = tempfile.mkdtemp(prefix=prefix)
        try:
            yield url.set(database=os.path.join(folder, "scratch.sqlite"))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    if adapter.scratch != "server":
        raise ScratchDatabaseError(
            f"lockgate cannot make scratch databases on {url.get_backend_name()}, only on SQLite, "
            "PostgreSQL and MariaDB/MySQL. Give a URL of one of those (for add_script and check: "
            "--shadow-url with an empty database).")
    name = f"{prefix}{secrets.token_hex(6)}"
    admin = _admin_engine(url)
    try:
        _execute_admin(admin, url, f"CREATE DATABASE {name}", "create")
        try:
            for statement in adapter.scratch_database_settings_sql(name):
                _execute_admin(admin, url, statement, "create")
            yield url.set(database=name)
        finally:
            _execute_admin(admin, url, adapter.drop_database_sql(name), "drop")
    finally:
        admin.dispose()


@contextmanager
def scratch_engine(url_or_engine, *, given_url=None, engine_options=None, prefix: str = SCRATCH_PREFIX):
    """An engine on a scratch database (or on ``given_url``, used as it is and kept)."""
    from ..database import create_engine_from_settings

    if given_url:
        engine = create_engine_from_settings(given_url, engine_options)
        try:
            yield engine
        finally:
            engine.dispose()
        return
    from ..dialects import adapter_for

    with scratch_database(url_or_engine, prefix) as url:
        engine = create_engine_from_settings(url, engine_options)
        adapter_for(engine.dialect).prepare_scratch_engine(engine)
        try:
            yield engine
        finally:
            engine.dispose()


def _admin_engine(url):
    from ..database import create_engine_from_settings

    engine = create_engine_from_settings(url)
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def _execute_admin(admin, url, statement: str, verb: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from ..dialects import adapter_for
    from ..urls import safe_url, scrub

    try:
        with adapter_for(admin.dialect).connect(admin) as connection:
            connection.execute(text(statement))
    except DBAPIError as exc:
        detail = scrub(str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc), url)
        raise ScratchDatabaseError(
            f"Could not {verb} a scratch database on the server of {safe_url(url)}: {detail}. "
            "Give the user the right to create and drop databases (CREATEDB on PostgreSQL, "
            "CREATE and DROP on MariaDB), or for add_script and check pass --shadow-url with "
            "the URL of an empty database to use instead."
        ) from None


def replay(migrator, versions: list[str]) -> None:
    """Apply exactly ``versions``, in that order, to the (scratch) database of ``migrator``.

    Brings a scratch database to a target's history: the order the target
    applied its scripts in, a merged branch's late script included. Where the
    history is every script up to its newest, in version order, it is one run.

    :raises ConfigError: naming versions that have no script any more.
    """
    from ..errors import ConfigError

    on_disk = [s.version for s in migrator.scripts()]
    missing = [v for v in versions if v not in on_disk]
    if missing:
        raise ConfigError(
            f"Script {', '.join(missing[:5])} {'is' if len(missing) == 1 else 'are'} applied on the "
            "database but no longer among the scripts, so a scratch copy of its schema cannot be "
            "built. Restore the file(s) (e.g. from version control).")
    if on_disk[:len(versions)] == list(versions):
        if versions:
            migrator.upgrade(to=versions[-1])
        return
    for version in versions:
        migrator.upgrade(version)
