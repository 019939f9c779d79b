"""Everyday mistakes: one paragraph saying what is wrong and how to fix it, and a documented exit code.

The database errors are real: a PostgreSQL role without CREATE, a MariaDB user
with only SELECT, SQLite files that cannot be written or are locked by another
connection, sessions ended by pg_terminate_backend and KILL. Each goes
through :func:`lockgate.failures.translate`. Discovery refuses versions too long
for the tracking table and script files that are not UTF-8; the tracking
table's name is checked against each database's limit.

The command-line tests run the same cases end to end: the engine translates
database errors, checks encodings and the table name before a run, and makes
SQLite wait as long as --lock-timeout says.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import sqlite3
import tempfile
import threading
import time
import zipfile
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from clihelpers import (
    PASSWORD,
    assert_clean_error,
    assert_no_password,
    cli,
    isolated_cli,  # noqa: F401  (autouse fixture)
    table_names,
    tracked,
)
from helpers import make_package  # noqa: F401  (fixture)
from lockgate import DBMigrator
from lockgate.config import check_table_name
from lockgate.urls import safe_url
from lockgate.errors import (
    ConfigError,
    ConnectionLostError,
    DatabaseBusyError,
    DatabaseUnreachableError,
    LockTimeoutError,
    PermissionDeniedError,
    ScriptEncodingError,
    ScriptLayoutError,
)
from lockgate.failures import translate
from lockgate.scripts import MAX_VERSION_DIGITS, ScriptSource, check_encoding, check_utf8, load_python_script

PG_DRIVERS = ["psycopg", "psycopg2"]


# -- helpers -------------------------------------------------------------------------


def failure(engine_or_url, *statements: str) -> sa.exc.DBAPIError:
    """The DBAPIError that running ``statements`` in one transaction raises (the test fails if none does)."""
    engine = sa.create_engine(engine_or_url, poolclass=NullPool) if isinstance(engine_or_url, str) \
        else engine_or_url
    try:
        with engine.begin() as connection:
            for sql in statements:
                connection.exec_driver_sql(sql)
    except sa.exc.DBAPIError as exc:
        return exc
    finally:
        if isinstance(engine_or_url, str):
            engine.dispose()
    raise AssertionError(f"{statements!r} did not fail")


def assert_one_paragraph(error, *fragments: str) -> str:
    """A message fit for the command line: one paragraph, no password, no word "unexpected"."""
    text = str(error)
    assert "\n" not in text, text
    assert "unexpected" not in text.lower(), text
    assert PASSWORD not in text, text
    assert "Traceback" not in text, text
    for fragment in fragments:
        assert fragment in text, f"{fragment!r} not in {text!r}"
    return text


def with_driver(url: str, driver: str, **changes) -> str:
    """``url`` on another driver (and user/password), password kept so it can connect."""
    parsed = make_url(url)
    parsed = parsed.set(drivername=f"{parsed.get_backend_name()}+{driver}", **changes)
    return parsed.render_as_string(hide_password=False)


def write_scripts(folder, files: dict[str, bytes | str]):
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        (folder / name).write_bytes(data)
    return folder


# -- PostgreSQL: a role that may not create tables -----------------------------------


@pytest.fixture
def pg_role(postgresql_url, db_servers):
    """(role, URL of the test database as that role): LOGIN, no CREATE on schema public."""
    server = db_servers.need("postgresql")
    role = "lg_role_" + secrets.token_hex(4)
    admin_url = make_url(postgresql_url)
    with server.engine.connect() as connection:
        connection.execute(sa.text(f"CREATE ROLE {role} LOGIN PASSWORD '{PASSWORD}'"))
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as connection:
        connection.execute(sa.text("REVOKE CREATE ON SCHEMA public FROM PUBLIC"))
    url = admin_url.set(username=role, password=PASSWORD).render_as_string(hide_password=False)
    yield role, url
    with admin.connect() as connection:
        connection.execute(sa.text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                   f"WHERE usename = '{role}'"))
        connection.execute(sa.text(f"DROP OWNED BY {role}"))
    admin.dispose()
    with server.engine.connect() as connection:
        connection.execute(sa.text(f"DROP ROLE {role}"))


def admin_execute(url: str, *statements: str) -> None:
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with engine.connect() as connection:
            for statement in statements:
                connection.exec_driver_sql(statement)
    finally:
        engine.dispose()


@pytest.mark.parametrize("driver", PG_DRIVERS)
def test_postgresql_role_without_create_on_schema_public(driver, pg_role):
    role, url = pg_role
    url = with_driver(url, driver)
    exc = failure(url, "CREATE TABLE lockgate_versions (version VARCHAR(40))")

    error = translate(exc, url)

    assert isinstance(error, PermissionDeniedError) and isinstance(error, ConfigError)
    assert error.exit_code == 2
    assert_one_paragraph(error, "permission denied for schema public", safe_url(url),
                         f"The role {role} lacks that privilege",
                         f"`GRANT USAGE, CREATE ON SCHEMA public TO {role}`")
    # The driver's own error, without SQLAlchemy's wrapping, says the same.
    assert str(translate(exc.orig, url)) == str(error)


def test_postgresql_permission_denied_for_a_table(pg_role, postgresql_url):
    role, url = pg_role
    admin_execute(postgresql_url, "CREATE TABLE accounts (id INTEGER)")

    error = translate(failure(url, "INSERT INTO accounts VALUES (1)"), url)

    assert isinstance(error, PermissionDeniedError)
    assert_one_paragraph(error, "permission denied for table accounts",
                         f"`GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE accounts TO {role}`")


def test_postgresql_must_be_owner(pg_role, postgresql_url):
    role, url = pg_role
    admin_execute(postgresql_url, "CREATE TABLE accounts (id INTEGER)",
                  f"GRANT ALL ON accounts TO {role}")

    error = translate(failure(url, "ALTER TABLE accounts ADD COLUMN name TEXT"), url)

    assert isinstance(error, PermissionDeniedError)
    assert_one_paragraph(error, "must be owner of table accounts",
                         f"`ALTER TABLE accounts OWNER TO {role}`")


def test_postgresql_role_not_in_the_url_is_explained(pg_role):
    """With no user in the URL the role is libpq's default: the message says how to find it."""
    _, url = pg_role
    exc = failure(url, "CREATE TABLE t (id INTEGER)")
    parsed = make_url(url)
    shown_url = sa.URL.create(parsed.drivername, host=parsed.host, port=parsed.port, database=parsed.database)

    error = translate(exc, shown_url)

    assert_one_paragraph(error, "`SELECT current_user` names it", "TO <role>`")


@pytest.mark.parametrize("driver", PG_DRIVERS)
def test_postgresql_mistakes_in_a_script_stay_script_failures(driver, postgresql_url):
    url = with_driver(postgresql_url, driver)
    for statements in (["CREATE TABLE ("], ["SELECT * FROM no_such_table"], ["SELECT 1 / 0"],
                       ["SET LOCAL statement_timeout = 50", "SELECT pg_sleep(2)"]):
        exc = failure(url, *statements)
        assert translate(exc, url) is None, (statements, exc)
        assert translate(exc.orig, url) is None, statements


# -- PostgreSQL: the session is ended -------------------------------------------------


def terminate(admin_url: str, pid: int) -> None:
    admin_execute(admin_url, f"SELECT pg_terminate_backend({int(pid)})")


@pytest.mark.parametrize("driver", PG_DRIVERS)
def test_postgresql_terminated_session_is_connection_lost(driver, postgresql_url):
    url = with_driver(postgresql_url, driver)
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            terminate(postgresql_url, connection.exec_driver_sql("SELECT pg_backend_pid()").scalar())
            with pytest.raises(sa.exc.DBAPIError) as raised:
                connection.exec_driver_sql("CREATE TABLE t (id INTEGER)")
    finally:
        engine.dispose()

    error = translate(raised.value, url)

    assert isinstance(error, ConnectionLostError) and isinstance(error, DatabaseUnreachableError)
    assert error.exit_code == 3
    said = "terminating connection due to administrator command" if driver == "psycopg" \
        else "server closed the connection"
    assert_one_paragraph(error, f"The connection to {safe_url(url)} was lost", said,
                         "rolled back the statement in progress", "pg_terminate_backend",
                         "connection poolers")
    # Without SQLAlchemy's connection_invalidated flag, the driver's error alone is enough.
    assert isinstance(translate(raised.value.orig, url), ConnectionLostError)


def libpq_arguments(parsed) -> dict:
    """Connection arguments for a raw driver connection; a socket folder may sit in ?host=."""
    host = parsed.query.get("host") or parsed.host
    return {"host": host, "port": parsed.port, "dbname": parsed.database, "user": parsed.username}


@pytest.mark.parametrize("driver", PG_DRIVERS)
def test_postgresql_closed_connection_used_again_is_connection_lost(driver, postgresql_url):
    """The second error on a dead raw connection ("the connection is closed") is still a loss."""
    dbapi = pytest.importorskip(driver)
    parsed = make_url(postgresql_url)
    raw = dbapi.connect(**libpq_arguments(parsed))
    try:
        cursor = raw.cursor()
        cursor.execute("SELECT pg_backend_pid()")
        terminate(postgresql_url, cursor.fetchone()[0])
        errors = []
        for _ in range(2):
            try:
                raw.cursor().execute("SELECT 1")
            except dbapi.Error as exc:
                errors.append(exc)
    finally:
        raw.close()

    assert len(errors) == 2
    for exc in errors:
        assert isinstance(translate(exc, postgresql_url), ConnectionLostError), exc


def test_postgresql_pipeline_terminated_is_connection_lost(postgresql_url):
    """SQL scripts run in psycopg's pipeline mode, where the loss surfaces at a sync."""
    psycopg = pytest.importorskip("psycopg")
    parsed = make_url(postgresql_url)
    raw = psycopg.connect(**libpq_arguments(parsed))
    pid = raw.execute("SELECT pg_backend_pid()").fetchone()[0]
    try:
        with pytest.raises(psycopg.Error) as raised:
            with raw.pipeline() as pipeline:
                raw.cursor().execute("CREATE TABLE a (id INTEGER)")
                pipeline.sync()
                terminate(postgresql_url, pid)
                raw.cursor().execute("CREATE TABLE b (id INTEGER)")
                raw.commit()
    finally:
        raw.close()

    assert isinstance(translate(raised.value, postgresql_url), ConnectionLostError), raised.value


# -- MariaDB: a user with only SELECT, and KILL ----------------------------------------


@pytest.fixture
def mariadb_reader(mariadb_url, db_servers):
    """(user, URL of the test database as a user that may only SELECT there)."""
    server = db_servers.need("mariadb")
    user = "lg_user_" + secrets.token_hex(4)
    database = make_url(mariadb_url).database
    with server.engine.connect() as connection:
        connection.execute(sa.text(f"CREATE USER '{user}'@'%' IDENTIFIED BY '{PASSWORD}'"))
        connection.execute(sa.text(f"GRANT SELECT ON `{database}`.* TO '{user}'@'%'"))
    url = make_url(mariadb_url).set(username=user, password=PASSWORD).render_as_string(hide_password=False)
    yield user, url
    with server.engine.connect() as connection:
        connection.execute(sa.text(f"DROP USER '{user}'@'%'"))


def test_mariadb_user_without_create(mariadb_reader, mariadb_url):
    user, url = mariadb_reader
    database = make_url(url).database
    exc = failure(url, "CREATE TABLE lockgate_versions (version VARCHAR(40))")

    error = translate(exc, url)

    assert isinstance(error, PermissionDeniedError) and error.exit_code == 2
    assert_one_paragraph(error, "CREATE command denied to user", user, safe_url(url), "(error 1142)",
                         f"`GRANT CREATE ON {database}.* TO '{user}'@'<host>'`", "SELECT CURRENT_USER()")
    assert str(translate(exc.orig, url)) == str(error)


def test_mariadb_user_without_insert(mariadb_reader, mariadb_url):
    user, url = mariadb_reader
    admin_execute(mariadb_url, "CREATE TABLE accounts (id INTEGER)")

    error = translate(failure(url, "INSERT INTO accounts VALUES (1)"), url)

    assert isinstance(error, PermissionDeniedError)
    assert_one_paragraph(error, "INSERT command denied", "GRANT INSERT ON")


def test_mariadb_access_denied_to_another_database(mariadb_reader):
    user, url = mariadb_reader

    error = translate(failure(url, "CREATE DATABASE lg_not_allowed"), url)

    assert isinstance(error, PermissionDeniedError)
    assert_one_paragraph(error, "Access denied for user", "(error 1044)",
                         f"`GRANT ALL PRIVILEGES ON lg_not_allowed.* TO '{user}'@'%'`")


def test_mariadb_global_privilege_missing(mariadb_reader):
    user, url = mariadb_reader

    error = translate(failure(url, "SET GLOBAL max_connections = 200"), url)

    assert isinstance(error, PermissionDeniedError)
    assert_one_paragraph(error, "(error 1227)", "Connect as a user that has the SUPER",
                         f"`GRANT SUPER ON *.* TO '{user}'@'<host>'`")


def test_mariadb_wrong_password_is_permission_denied(mariadb_reader):
    user, url = mariadb_reader
    wrong = make_url(url).set(password="not-" + PASSWORD)
    engine = sa.create_engine(wrong, poolclass=NullPool)
    with pytest.raises(sa.exc.DBAPIError) as raised:
        engine.connect()
    engine.dispose()

    error = translate(raised.value, wrong)

    assert isinstance(error, PermissionDeniedError)
    assert_one_paragraph(error, "(error 1045)", "Check the user name and password")


def connection_id(connection) -> int:
    return connection.exec_driver_sql("SELECT CONNECTION_ID()").scalar()


def test_mariadb_killed_connection_is_connection_lost(mariadb_url):
    engine = sa.create_engine(mariadb_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            admin_execute(mariadb_url, f"KILL {connection_id(connection)}")
            with pytest.raises(sa.exc.DBAPIError) as raised:
                connection.exec_driver_sql("CREATE TABLE t (id INTEGER)")
    finally:
        engine.dispose()

    error = translate(raised.value, mariadb_url)

    assert isinstance(error, ConnectionLostError) and error.exit_code == 3
    assert_one_paragraph(error, f"The connection to {safe_url(mariadb_url)} was lost",
                         "Lost connection to", "KILL", "DDL statements that had already run stay committed")
    assert isinstance(translate(raised.value.orig, mariadb_url), ConnectionLostError)


def test_mariadb_session_killing_itself_is_connection_lost(mariadb_url):
    """KILL of the running session answers 1927 "Connection was killed"; the next use 2013."""
    engine = sa.create_engine(mariadb_url, poolclass=NullPool)
    raw = engine.raw_connection()
    errors = []
    try:
        for sql in ("KILL CONNECTION_ID()", "SELECT 1"):
            try:
                raw.cursor().execute(sql)
            except engine.dialect.loaded_dbapi.Error as exc:
                errors.append(exc)
    finally:
        raw.invalidate()
        engine.dispose()

    assert [exc.args[0] for exc in errors][:1] == [1927], errors
    for exc in errors:
        assert isinstance(translate(exc, mariadb_url), ConnectionLostError), exc


def test_mariadb_mistakes_in_a_script_stay_script_failures(mariadb_url):
    admin_execute(mariadb_url, "CREATE TABLE accounts (id INTEGER)")
    for sql in ("CREATE TABLE (", "SELECT nope FROM accounts", "SELECT * FROM no_such_table",
                "INSERT INTO accounts VALUES ('x', 'y')"):
        exc = failure(mariadb_url, sql)
        assert translate(exc, mariadb_url) is None, (sql, exc)


def test_mariadb_cancelled_statement_stays_a_script_failure(mariadb_url):
    """KILL QUERY ends the statement, not the session: the script failed, the connection lives."""
    engine = sa.create_engine(mariadb_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            session = connection_id(connection)
            timer = threading.Timer(0.3, lambda: admin_execute(mariadb_url, f"KILL QUERY {session}"))
            timer.start()
            try:
                with pytest.raises(sa.exc.DBAPIError) as raised:
                    connection.exec_driver_sql("SELECT SLEEP(10)")
            finally:
                timer.join()
    finally:
        engine.dispose()

    assert raised.value.orig.args[0] == 1317, raised.value
    assert translate(raised.value, mariadb_url) is None


# -- SQLite: read-only, missing folder ---------------------------------------------------


def sqlite_file(url: str) -> str:
    return make_url(url).database


def test_sqlite_opened_read_only(sqlite_url):
    path = sqlite_file(sqlite_url)
    url = f"sqlite:///file:{path}?mode=ro&uri=true"

    error = translate(failure(url, "CREATE TABLE t (id INTEGER)"), url)

    assert isinstance(error, PermissionDeniedError) and error.exit_code == 2
    assert_one_paragraph(error, f"SQLite cannot write to {path}", "attempt to write a readonly database",
                         "mode=ro")


def test_sqlite_file_in_a_missing_folder(tmp_path):
    url = f"sqlite:///{tmp_path}/no/such/folder/app.sqlite"
    engine = sa.create_engine(url, poolclass=NullPool)
    with pytest.raises(sa.exc.DBAPIError) as raised:
        engine.connect()
    engine.dispose()

    error = translate(raised.value, url)

    assert isinstance(error, PermissionDeniedError)
    assert_one_paragraph(error, "unable to open database file", f"The folder {tmp_path}/no/such/folder "
                         "does not exist")


@contextmanager
def shared_folder():
    """A folder under /tmp that another user can reach (pytest's tmp_path is private to its user)."""
    folder = tempfile.mkdtemp(prefix="lockgate-ro-")
    os.chmod(folder, 0o755)
    try:
        yield folder
    finally:
        for root, dirs, _ in os.walk(folder):
            for name in dirs:
                os.chmod(os.path.join(root, name), 0o755)
        shutil.rmtree(folder)


def as_unprivileged_user(attempt):
    """Run ``attempt()`` where file permissions are enforced, returning what it returns.

    As root permissions are not enforced, so the attempt runs in a forked
    child that has become the user nobody; its JSON result comes back
    through a pipe.
    """
    if os.geteuid() != 0:
        return attempt()
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        status = 0
        try:
            os.close(reader)
            try:
                os.setgid(65534)
                os.setuid(65534)
            except OSError as exc:
                result = {"skip": f"cannot become the user nobody to test file permissions: {exc}"}
            else:
                result = attempt()
            os.write(writer, json.dumps(result).encode())
        except BaseException as exc:  # report, do not unwind into the parent's pytest
            os.write(writer, json.dumps({"crash": repr(exc)}).encode())
            status = 1
        finally:
            os._exit(status)
    os.close(writer)
    with os.fdopen(reader, "rb") as stream:
        data = stream.read()
    os.waitpid(pid, 0)
    result = json.loads(data)
    if "skip" in result:
        pytest.skip(result["skip"])
    assert "crash" not in result, result["crash"]
    return result


def attempt_write(path: str):
    """Try to create a table in ``path``; what translate() makes of the failure."""
    def attempt():
        url = f"sqlite:///{path}"
        try:
            connection = sqlite3.connect(path)
            try:
                connection.execute("CREATE TABLE lockgate_versions (version VARCHAR(40))")
                connection.commit()
            finally:
                connection.close()
        except sqlite3.Error as exc:
            error = translate(exc, url)
            return {"said": str(exc), "class": type(error).__name__, "exit": getattr(error, "exit_code", None),
                    "message": str(error)}
        return {"said": None}
    return attempt


@pytest.mark.parametrize("case", ["new file in read-only folder", "file in read-only folder",
                                  "read-only file"])
def test_sqlite_read_only_folder_or_file(case):
    with shared_folder() as base:
        folder = os.path.join(base, "data")
        os.mkdir(folder)
        path = os.path.join(folder, "app.sqlite")
        if case != "new file in read-only folder":
            sqlite3.connect(path).close()
            os.chmod(path, 0o444 if case == "read-only file" else 0o666)
        if case != "read-only file":
            os.chmod(folder, 0o555)
        else:
            os.chmod(folder, 0o777)

        result = as_unprivileged_user(attempt_write(path))

    assert result["said"] is not None, "the write succeeded: permissions were not enforced"
    assert result["class"] == "PermissionDeniedError" and result["exit"] == 2, result
    cannot = "open" if case == "new file in read-only folder" else "write to"
    assert_one_paragraph(result["message"], f"SQLite cannot {cannot} {path}: {result['said']}.")
    if case == "read-only file":
        assert f"`chmod u+w {path}`" in result["message"]
    else:
        assert f"make that folder writable" in result["message"] and folder in result["message"]


def test_sqlite_mistakes_in_a_script_stay_script_failures(sqlite_url):
    for sql in ("CREATE TABLE (", "SELECT * FROM no_such_table", "SELECT nope"):
        assert translate(failure(sqlite_url, sql), sqlite_url) is None, sql


# -- SQLite: locked by another connection ------------------------------------------------


@contextmanager
def exclusive_lock(path: str):
    """Another connection holding SQLite's write lock (BEGIN EXCLUSIVE) on ``path``."""
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE IF NOT EXISTS held (id INTEGER)")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        holder.rollback()
        holder.close()


def busy_timeout(engine) -> int:
    with engine.connect() as connection:
        return connection.exec_driver_sql("PRAGMA busy_timeout").scalar()


def sqlite_session(engine, seconds):
    """lockgate's session on an engine: manual transactions, the busy wait set to ``seconds``."""
    from lockgate.dialects import AdapterOptions, adapter_for

    return adapter_for(engine.dialect, AdapterOptions(busy_timeout_s=seconds))


def test_sqlite_locked_database_waits_the_lock_timeout_then_is_busy(sqlite_url):
    path = sqlite_file(sqlite_url)
    engine = sa.create_engine(sqlite_url)
    adapter = sqlite_session(engine, 0.5)
    try:
        with adapter.connect(engine) as connection, adapter.session(connection):
            with exclusive_lock(path):
                started = time.monotonic()
                with pytest.raises(sa.exc.OperationalError) as raised:
                    connection.exec_driver_sql("CREATE TABLE t (id INTEGER)")
                waited = time.monotonic() - started
            connection.rollback()
    finally:
        engine.dispose()

    assert 0.4 <= waited < 5, f"waited {waited:.1f} s for a 0.5 s timeout (sqlite3 alone waits 5 s)"
    error = translate(raised.value, sqlite_url, lock_timeout=0.5)
    assert isinstance(error, DatabaseBusyError) and isinstance(error, LockTimeoutError)
    assert error.exit_code == 4
    assert_one_paragraph(error, f"The SQLite database {path} stayed locked", "database is locked",
                         "(waited 0.5 s)", f"`fuser {path}`", "--lock-timeout")


def test_the_busy_wait_is_put_back_after_lockgates_session(sqlite_url):
    """On the application's own engine the wait changes for lockgate's session only."""
    engine = sa.create_engine(sqlite_url)
    adapter = sqlite_session(engine, 0.25)
    try:
        default = busy_timeout(engine)
        with adapter.connect(engine) as connection:
            with adapter.session(connection):
                assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 250 != default
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == default
    finally:
        engine.dispose()


def test_sqlite_table_locked_in_the_same_connection_is_busy(sqlite_url):
    """SQLite's other lock message ("database table is locked") is the same kind of wait."""
    connection = sqlite3.connect(sqlite_file(sqlite_url), isolation_level=None)
    try:
        connection.executescript("CREATE TABLE t (id INTEGER); INSERT INTO t VALUES (1), (2);")
        reading = connection.execute("SELECT * FROM t")
        reading.fetchone()
        with pytest.raises(sqlite3.OperationalError) as raised:
            connection.execute("DROP TABLE t")
    finally:
        connection.close()

    error = translate(raised.value, sqlite_url)

    assert isinstance(error, DatabaseBusyError)
    assert_one_paragraph(error, "database table is locked")


# -- discovery: versions too long for the tracking table ------------------------------------


def layout_problems(folder) -> list[str]:
    with pytest.raises(ScriptLayoutError) as raised:
        ScriptSource(directory=folder).find()
    return raised.value.problems


def test_a_version_longer_than_the_tracking_column_is_refused_with_the_others(tmp_path):
    too_long = "1" * (MAX_VERSION_DIGITS + 1)
    longest = "2" * MAX_VERSION_DIGITS
    folder = write_scripts(tmp_path / "scripts", {
        f"{too_long}_too_long.sql": "SELECT 1;",
        f"{too_long}_downgrade.sql": "SELECT 1;",
        f"{longest}_fits.sql": "SELECT 1;",
        f"0{longest[1:]}3_leading_zero_fits.sql": "SELECT 1;",
        "7.sql": "SELECT 1;",  # another problem, reported with them
    })

    problems = layout_problems(folder)

    assert len(problems) == 3, problems
    for name in (f"{too_long}_too_long.sql", f"{too_long}_downgrade.sql"):
        expected = (f"{name}: its version has {MAX_VERSION_DIGITS + 1} digits, but the tracking table "
                    f"holds at most {MAX_VERSION_DIGITS}")
        assert any(p.startswith(expected) for p in problems), problems
    assert any(p.startswith("7.sql: a script needs a title") for p in problems)


def test_a_version_of_thousands_of_digits_is_a_layout_problem_not_a_crash(make_package):
    """Python refuses int() of more than 4300 digits, and a zip file's names may be that long."""
    make_package("lg_long_versions.migration", {"9" * 5000 + "_x.sql": "SELECT 1;"}, zipped=True)

    with pytest.raises(ScriptLayoutError) as raised:
        ScriptSource(package="lg_long_versions.migration").find()

    assert len(raised.value.problems) == 1 and "its version has 5000 digits" in raised.value.problems[0]


def test_the_longest_version_is_recorded_exactly(db_url, tmp_path):
    """MAX_VERSION_DIGITS is what the real tracking column holds, on every database."""
    version = "9" * MAX_VERSION_DIGITS
    folder = write_scripts(tmp_path / "scripts", {f"{version}_longest.sql": "CREATE TABLE longest (id INTEGER);"})
    engine = sa.create_engine(db_url, poolclass=NullPool)
    try:
        DBMigrator(engine, directory=folder).upgrade()
    finally:
        engine.dispose()

    assert list(tracked(db_url)) == [version]


def test_cli_refuses_a_too_long_version_before_touching_the_database(sqlite_url, tmp_path, capsys):
    too_long = "1" * (MAX_VERSION_DIGITS + 1)
    folder = write_scripts(tmp_path / "scripts", {"1_a.sql": "CREATE TABLE a (id INTEGER);",
                                                  f"{too_long}_b.sql": "CREATE TABLE b (id INTEGER);"})

    r = cli(capsys, "--url", sqlite_url, "--directory", folder, "upgrade")

    assert_clean_error(r, 2, f"{too_long}_b.sql: its version has {MAX_VERSION_DIGITS + 1} digits",
                       "nothing was run")
    assert table_names(sqlite_url) == set()


# -- script files that are not UTF-8 ----------------------------------------------------------

LATIN1_SQL = "CREATE TABLE cities (name VARCHAR(40));\nINSERT INTO cities VALUES ('Besançon');\n".encode("latin-1")


def test_a_latin1_sql_script_is_refused_naming_file_line_and_offset(tmp_path):
    folder = write_scripts(tmp_path / "scripts", {"1_cities.sql": LATIN1_SQL})
    script, = ScriptSource(directory=folder).find()
    offset = LATIN1_SQL.index(b"\xe7")

    with pytest.raises(ScriptEncodingError) as raised:
        check_encoding(script)

    error = raised.value
    assert error.exit_code == 2
    assert (error.path, error.offset, error.line) == (str(folder / "1_cities.sql"), offset, 2)
    column = offset - LATIN1_SQL.rindex(b"\n", 0, offset)
    assert_one_paragraph(error, f"{folder / '1_cities.sql'}, line 2, column {column}: byte 0xE7 at "
                         f"offset {offset} after \"INSERT INTO cities VALUES ('Besan\"",
                         "is not valid UTF-8", "Re-save it as UTF-8", "nothing was run")


def test_the_bad_byte_is_found_across_chunks(tmp_path, monkeypatch):
    """Read in small chunks: a character split between chunks is fine, and offsets stay exact."""
    from lockgate import scripts

    monkeypatch.setattr(scripts, "_ENCODING_CHUNK", 7)
    text = ("-- ok: é ü 漢字 😀\n" * 20).encode("utf-8")
    good = tmp_path / "good.sql"
    good.write_bytes(text)
    check_utf8(good)

    for bad, at in [(text + b"SELECT '\xff';\n", len(text) + 8),
                    (text + b"SELECT '\xe6\xbc';\n", len(text) + 8),  # a character cut short
                    (text + b"\xc3", len(text))]:                    # ... at the very end
        path = tmp_path / "bad.sql"
        path.write_bytes(bad)
        with pytest.raises(ScriptEncodingError) as raised:
            check_utf8(path)
        assert (raised.value.offset, raised.value.line) == (at, 21), bad[-12:]


def test_utf8_with_a_byte_order_mark_passes(tmp_path):
    path = tmp_path / "1_bom.sql"
    path.write_bytes(b"\xef\xbb\xbfINSERT INTO t VALUES ('Besan\xc3\xa7on');\n")
    check_utf8(path)


def test_a_python_script_is_checked_in_its_declared_encoding(tmp_path):
    declared = b"# -*- coding: latin-1 -*-\nNAME = 'Besan\xe7on'\n\ndef upgrade(connection):\n    pass\n"
    undeclared = b"NAME = 'Besan\xe7on'\n\ndef upgrade(connection):\n    pass\n"
    folder = write_scripts(tmp_path / "scripts", {"1_declared.py": declared, "2_undeclared.py": undeclared})
    first, second = ScriptSource(directory=folder).find()

    check_encoding(first)  # Python reads it as Latin-1, as declared
    assert load_python_script(first).NAME == "Besançon"
    with pytest.raises(ScriptEncodingError) as raised:
        check_encoding(second)
    assert_one_paragraph(raised.value, "2_undeclared.py, line 1", "byte 0xE7")


def test_every_file_of_a_mixed_script_is_checked(tmp_path):
    folder = write_scripts(tmp_path / "scripts", {
        "1_cities.py": "from lockgate import run_sql_file\n\ndef upgrade(connection):\n    run_sql_file(connection)\n",
        "1_upgrade.sql": "CREATE TABLE cities (name VARCHAR(40));\n",
        "1_downgrade.sql": b"DELETE FROM cities WHERE name = 'Besan\xe7on';\n",
    })
    script, = ScriptSource(directory=folder).find()

    with pytest.raises(ScriptEncodingError) as raised:
        check_encoding(script)

    assert raised.value.path == str(folder / "1_downgrade.sql")


def test_a_script_inside_a_zip_file_is_checked(tmp_path):
    archive = tmp_path / "app.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("migration/1_cities.sql", LATIN1_SQL)
    item = zipfile.Path(archive, "migration/1_cities.sql")

    with pytest.raises(ScriptEncodingError) as raised:
        check_utf8(item)

    assert "1_cities.sql" in raised.value.path and raised.value.line == 2


# -- the tracking table's name --------------------------------------------------------------


def connected_dialect(url: str):
    """The dialect after connecting (PostgreSQL's limit is read from the server then)."""
    engine = sa.create_engine(url, poolclass=NullPool)
    with engine.connect():
        pass
    engine.dispose()
    return engine.dialect


def server_keeps_table_name(url: str, name: str) -> bool:
    """Whether the server itself creates a table of exactly this name (not refused, not cut short).

    The statement is written by hand: SQLAlchemy's own length check must not stand in for the server's.
    """
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        quoted = engine.dialect.identifier_preparer.quote_identifier(name)
        with engine.begin() as connection:
            connection.exec_driver_sql(f"CREATE TABLE {quoted} (id INTEGER)")
    except sa.exc.DBAPIError:
        return False
    finally:
        engine.dispose()
    return name in table_names(url)


SERVER_LIMITS = [pytest.param("postgresql", 63, "bytes", marks=pytest.mark.postgresql, id="postgresql"),
                 pytest.param("mariadb", 64, "characters", marks=pytest.mark.mariadb, id="mariadb")]


@pytest.mark.parametrize("backend, limit, unit", SERVER_LIMITS)
def test_table_name_limits_match_the_server(backend, limit, unit, db_servers, tmp_path):
    """The longest accepted name is created by the server as is; one more is not."""
    from dbservers import DatabaseFactory

    factory = DatabaseFactory(backend, db_servers, tmp_path)
    try:
        url = factory()
        dialect = connected_dialect(url)
        longest = "t" * limit
        check_table_name(longest, dialect)
        assert server_keeps_table_name(url, longest)
        with pytest.raises(ConfigError) as raised:
            check_table_name(longest + "t", dialect)
        assert not server_keeps_table_name(url, longest + "t")
    finally:
        factory.drop_all()

    assert_one_paragraph(raised.value, f"The tracking table name '{longest}t' is too long",
                         f"it is {limit + 1} {unit} long", f"allows {limit} {unit} per name",
                         f"at most {limit} {unit}", "--table", "`table = ...`")


@pytest.mark.parametrize("backend, limit, unit", SERVER_LIMITS)
def test_companion_tables_named_after_the_tracking_table_must_fit_too(backend, limit, unit, db_servers,
                                                                      tmp_path):
    from dbservers import DatabaseFactory

    factory = DatabaseFactory(backend, db_servers, tmp_path)
    try:
        url = factory()
        dialect = connected_dialect(url)
        fits = "t" * (limit - len("_meta"))
        check_table_name(fits, dialect, companions=("_x", "_meta"))
        assert server_keeps_table_name(url, fits + "_meta")
        with pytest.raises(ConfigError) as raised:
            check_table_name(fits + "t", dialect, companions=("_meta",))
        assert not server_keeps_table_name(url, fits + "t_meta")
    finally:
        factory.drop_all()

    assert_one_paragraph(raised.value, f"it is {limit - 4} {unit} long",
                         f"the table lockgate keeps beside it ({fits}t_meta) takes {limit + 1} {unit}",
                         f"at most {limit - 5} {unit}")


def test_postgresql_counts_bytes_not_characters(postgresql_url):
    dialect = connected_dialect(postgresql_url)
    fits = "é" * (63 // 2)  # two bytes each: 62 bytes

    check_table_name(fits, dialect)
    assert server_keeps_table_name(postgresql_url, fits)
    with pytest.raises(ConfigError, match="it is 64 bytes long"):
        check_table_name(fits + "é", dialect)  # 32 characters, 64 bytes
    assert not server_keeps_table_name(postgresql_url, fits + "é")


def test_sqlite_table_names_have_no_limit(sqlite_url):
    name = "t" * 1000
    dialect = connected_dialect(sqlite_url)

    check_table_name(name, dialect)
    assert server_keeps_table_name(sqlite_url, name)


def test_the_longest_table_name_works_end_to_end(db_url, tmp_path):
    """The engine's own tables and locks take the longest name the check lets through."""
    dialect = connected_dialect(db_url)
    limit = {"postgresql": 63, "sqlite": 200}.get(dialect.name, 64)
    name = "v" * limit
    check_table_name(name, dialect)
    folder = write_scripts(tmp_path / "scripts", {"1_a.sql": "CREATE TABLE a (id INTEGER);"})
    engine = sa.create_engine(db_url, poolclass=NullPool)
    try:
        DBMigrator(engine, directory=folder, table=name).upgrade()
        assert DBMigrator(engine, directory=folder, table=name).pending() == []
    finally:
        engine.dispose()

    assert list(tracked(db_url, name)) == ["1"]


def test_an_empty_table_name_is_refused(sqlite_url):
    with pytest.raises(ConfigError, match="tracking table name is empty"):
        check_table_name("", connected_dialect(sqlite_url))


# -- end to end through the command line (once the engine calls the checks) ----------------------

ABC = {"1_a.sql": "CREATE TABLE a (id INTEGER);\n", "2_b.sql": "CREATE TABLE b (id INTEGER);\n"}


def assert_stayed_applied(err: str, *versions: str) -> None:
    """The message names the scripts that stayed applied and says running again is safe."""
    after = err.split(" was lost ", 1)[1]  # the URL and the driver's words come before
    for version in versions:
        assert re.search(rf"\b{version}\b", after), err
    assert "applied" in after and "safe" in after, err


def test_cli_postgresql_role_without_create(pg_role, tmp_path, capsys):
    role, url = pg_role
    folder = write_scripts(tmp_path / "scripts", ABC)

    r = cli(capsys, "--url", url, "--directory", folder, "upgrade")

    assert_clean_error(r, 2, "permission denied for schema public",
                       f"GRANT USAGE, CREATE ON SCHEMA public TO {role}")
    assert_no_password(r)
    assert len(r.err.strip().splitlines()) == 1, r.err


def test_cli_mariadb_user_with_only_select(mariadb_reader, tmp_path, capsys):
    user, url = mariadb_reader
    folder = write_scripts(tmp_path / "scripts", ABC)

    r = cli(capsys, "--url", url, "--directory", folder, "upgrade")

    assert_clean_error(r, 2, "CREATE command denied", f"'{user}'@")
    assert_no_password(r)


def test_cli_sqlite_read_only(sqlite_url, tmp_path, capsys):
    folder = write_scripts(tmp_path / "scripts", ABC)
    url = f"sqlite:///file:{sqlite_file(sqlite_url)}?mode=ro&uri=true"

    r = cli(capsys, "--url", url, "--directory", folder, "upgrade")

    assert_clean_error(r, 2, "attempt to write a readonly database", "mode=ro")
    assert table_names(sqlite_url) == set()


def test_cli_sqlite_locked_by_another_process(sqlite_url, tmp_path, capsys):
    folder = write_scripts(tmp_path / "scripts", ABC)
    path = sqlite_file(sqlite_url)
    with exclusive_lock(path):
        started = time.monotonic()
        r = cli(capsys, "--url", sqlite_url, "--directory", folder, "--lock-timeout", "0.5", "upgrade")
        waited = time.monotonic() - started

    assert_clean_error(r, 4, "database is locked", f"fuser {path}", "--lock-timeout")
    assert waited < 5, f"took {waited:.1f} s with --lock-timeout 0.5"
    assert table_names(sqlite_url) == {"held"}


def test_cli_postgresql_session_terminated_mid_run(postgresql_url, tmp_path, capsys):
    folder = write_scripts(tmp_path / "scripts", {
        "1_a.sql": "CREATE TABLE a (id INTEGER);\n",
        "2_ended.sql": "CREATE TABLE b (id INTEGER);\nSELECT pg_terminate_backend(pg_backend_pid());\n",
        "3_c.sql": "CREATE TABLE c (id INTEGER);\n",
    })

    r = cli(capsys, "--url", postgresql_url, "--directory", folder, "upgrade")

    err = assert_clean_error(r, 3, f"The connection to {safe_url(postgresql_url)} was lost",
                             "pg_terminate_backend")
    assert_stayed_applied(err, "1")
    assert list(tracked(postgresql_url)) == ["1"]
    assert {"b", "c"}.isdisjoint(table_names(postgresql_url))


def test_cli_mariadb_session_killed_mid_run(mariadb_url, tmp_path, capsys):
    folder = write_scripts(tmp_path / "scripts", {
        "1_a.sql": "CREATE TABLE a (id INTEGER);\n",
        "2_killed.py": "def upgrade(connection):\n    connection.exec_driver_sql('KILL CONNECTION_ID()')\n",
    })

    r = cli(capsys, "--url", mariadb_url, "--directory", folder, "upgrade")

    err = assert_clean_error(r, 3, f"The connection to {safe_url(mariadb_url)} was lost", "KILL")
    assert_stayed_applied(err, "1")
    assert list(tracked(mariadb_url)) == ["1"]


def test_cli_latin1_script_is_refused_before_anything_runs(sqlite_url, tmp_path, capsys):
    folder = write_scripts(tmp_path / "scripts", {"1_a.sql": "CREATE TABLE a (id INTEGER);\n",
                                                  "2_cities.sql": LATIN1_SQL})

    r = cli(capsys, "--url", sqlite_url, "--directory", folder, "upgrade")

    assert_clean_error(r, 2, f"{folder / '2_cities.sql'}, line 2", "is not valid UTF-8", "Re-save it as UTF-8")
    assert tracked(sqlite_url) == {}
    assert "a" not in table_names(sqlite_url)


@pytest.mark.parametrize("backend, limit", [("postgresql", 63), ("mariadb", 64)])
def test_cli_refuses_a_too_long_table_name(backend, limit, db_servers, tmp_path, capsys):
    from dbservers import DatabaseFactory

    factory = DatabaseFactory(backend, db_servers, tmp_path)
    try:
        url = factory()
        folder = write_scripts(tmp_path / "scripts", ABC)
        name = "t" * (limit + 1)
        r = cli(capsys, "--url", url, "--directory", folder, "--table", name, "upgrade")
        assert_clean_error(r, 2, f"The tracking table name '{name}' is too long", f"allows {limit}", "--table")
        assert table_names(url) == set()
    finally:
        factory.drop_all()
