"""MariaDB/MySQL over PyMySQL: one default TLS context per process, not one per connection.

Run in a child process, so that the test suite's own engines (which share the
context too, see conftest.py) cannot make the check pass.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.mariadb

CHECK = r'''
import json, ssl, sys, time
import sqlalchemy as sa
from sqlalchemy.pool import NullPool
from lockgate.database import create_engine_from_settings

url = sys.argv[1]
report = {}
for name, engine in [("lockgate", create_engine_from_settings(url)),
                     ("plain", sa.create_engine(url, poolclass=NullPool))]:
    engine.pool = NullPool(engine.pool._creator)
    with engine.connect() as first, engine.connect() as second:
        a, b = first.connection.dbapi_connection, second.connection.dbapi_connection
        report[name] = {"shared": a.ctx is b.ctx, "verify": a.ctx.verify_mode == ssl.CERT_NONE,
                        "hostname": a.ctx.check_hostname}
    started = time.process_time()
    for _ in range(10):
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    report[name]["cpu"] = (time.process_time() - started) / 10
own = create_engine_from_settings(url + ("&" if "?" in url else "?") + "ssl_disabled=true")
with own.connect() as connection:
    report["own settings"] = type(connection.connection.dbapi_connection).__name__
print(json.dumps(report))
'''


def test_lockgate_engines_share_one_default_tls_context(mariadb_url):
    done = subprocess.run([sys.executable, "-c", CHECK, mariadb_url], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    # PyMySQL's own engines build a context per connection; lockgate's build it once, with PyMySQL's settings.
    assert report["plain"]["shared"] is False
    assert report["lockgate"]["shared"] is True
    assert report["lockgate"]["verify"] and report["lockgate"]["hostname"] is False
    assert report["lockgate"]["cpu"] < report["plain"]["cpu"]
    # A URL that says anything about TLS gets PyMySQL's connection unchanged.
    assert report["own settings"] == "Connection"


def test_tls_is_what_pymysql_makes_it(mariadb_url):
    """Preferred TLS is used when the server offers it; a URL requiring TLS of a server without it fails."""
    import sqlalchemy as sa

    from lockgate.database import create_engine_from_settings

    engine = create_engine_from_settings(mariadb_url)
    try:
        with engine.connect() as connection:
            offered = connection.exec_driver_sql("SHOW VARIABLES LIKE 'have_ssl'").fetchall()[0][1] == "YES"
            cipher = connection.exec_driver_sql("SHOW SESSION STATUS LIKE 'Ssl_cipher'").fetchall()[0][1]
    finally:
        engine.dispose()
    assert bool(cipher) == offered
    required = create_engine_from_settings(mariadb_url + "?ssl_verify_cert=false&ssl_ca=")
    try:
        if offered:
            with required.connect() as connection:
                assert connection.exec_driver_sql("SHOW SESSION STATUS LIKE 'Ssl_cipher'").fetchall()[0][1]
        else:
            with pytest.raises(sa.exc.OperationalError, match="SSL is required"):
                required.connect()
    finally:
        required.dispose()


def test_a_pymysql_imported_afresh_still_has_its_errors_wrapped(mariadb_url, monkeypatch):
    """pytester and plugin reloaders drop modules: a new PyMySQL gets a subclass of its own Connection,
    so that its errors are the ones SQLAlchemy's dialect knows (and wraps)."""
    import sqlalchemy as sa

    from lockgate.database import create_engine_from_settings

    first = create_engine_from_settings(mariadb_url)
    with first.connect():
        pass
    first.dispose()
    for name in [m for m in sys.modules if m == "pymysql" or m.startswith("pymysql.")]:
        monkeypatch.delitem(sys.modules, name)  # restored after the test
    wrong = sa.make_url(mariadb_url).set(password="not-the-password")
    engine = create_engine_from_settings(wrong.render_as_string(hide_password=False))
    try:
        with pytest.raises(sa.exc.OperationalError):
            engine.connect()
    finally:
        engine.dispose()
