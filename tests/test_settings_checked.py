"""Settings are checked once, when they load: a bad value is exit 2 before anything connects.

The database URLs here point at a port nobody listens on (or a folder that does
not exist): if lockgate tried to connect first, it would exit 3 instead.
"""

from __future__ import annotations

import pytest

from clihelpers import assert_clean_error, cli, closed_port, write_ini
from lockgate.config import parse_duration, parse_seconds
from lockgate.errors import ConfigError


def unreachable(backend: str, tmp_path) -> str:
    return {
        "sqlite": f"sqlite:///{tmp_path}/no/such/folder/app.db",
        "postgresql": f"postgresql+psycopg://root@127.0.0.1:{closed_port()}/app",
        "mariadb": f"mysql+pymysql://root@127.0.0.1:{closed_port()}/app",
    }[backend]


BACKENDS = ["sqlite", "postgresql", "mariadb"]
BAD_VALUES = [("--ddl-lock-timeout", "soon", "ddl_lock_timeout"),
              ("--statement-timeout", "5 fortnights", "statement_timeout"),
              ("--lock-timeout", "-3", "lock_timeout"),
              ("--lock-timeout", "forever", "lock_timeout")]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("flag, value, key", BAD_VALUES)
def test_a_bad_value_on_the_command_line_is_exit_2_before_connecting(
        capsys, tmp_path, make_scripts, backend, flag, value, key):
    folder = make_scripts({"1_a.sql": "CREATE TABLE a (id INTEGER);"})
    result = cli(capsys, "--url", unreachable(backend, tmp_path), "--directory", str(folder),
                 flag, value, "upgrade")
    assert_clean_error(result, 2, key, value)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("flag, value, key", BAD_VALUES[:3])
def test_a_bad_value_in_the_ini_file_is_exit_2_before_connecting(
        capsys, tmp_path, make_scripts, backend, flag, value, key):
    folder = make_scripts({"1_a.sql": "CREATE TABLE a (id INTEGER);"})
    ini = write_ini(tmp_path / "app.ini", unreachable(backend, tmp_path), package=None, directory=folder,
                    extra=f"{key} = {value}")
    result = cli(capsys, "-c", str(ini), "upgrade")
    assert_clean_error(result, 2, key, value)


@pytest.mark.parametrize("backend, limit", [("postgresql", 63), ("mariadb", 64)])
def test_a_too_long_table_name_is_exit_2_before_connecting(capsys, tmp_path, make_scripts, backend, limit,
                                                           monkeypatch):
    folder = make_scripts({"1_a.sql": "CREATE TABLE a (id INTEGER);"})
    monkeypatch.setenv("LOCKGATE_URL", unreachable(backend, tmp_path))
    result = cli(capsys, "--directory", str(folder), "--table", "t" * (limit + 1), "upgrade")
    assert_clean_error(result, 2, str(limit))


@pytest.mark.parametrize("text, milliseconds", [("5", 5000), ("2.5", 2500), ("500ms", 500), ("5s", 5000),
                                                ("5 s", 5000), ("2min", 120_000), ("1h", 3_600_000),
                                                (3, 3000), ("0", None), (None, None), ("", None)])
def test_durations(text, milliseconds):
    assert parse_duration(text, "statement_timeout") == milliseconds


@pytest.mark.parametrize("text", ["5x", "s", "-1", "1e3", "5;DROP TABLE x", "true"])
def test_what_is_not_a_duration(text):
    with pytest.raises(ConfigError, match="statement_timeout"):
        parse_duration(text, "statement_timeout")


def test_seconds():
    assert parse_seconds("0", "lock_timeout") == 0 and parse_seconds(2.5, "lock_timeout") == 2.5
    for bad in ("nan", "-1", "soon", None):
        with pytest.raises(ConfigError, match="lock_timeout"):
            parse_seconds(bad, "lock_timeout")


def test_a_duration_means_the_same_from_settings_and_from_python(tmp_path, make_scripts):
    """Settings keep seconds, which DBMigrator reads as seconds: 1s stays 1000 ms on the way."""
    from lockgate import DBMigrator
    from lockgate.config import load_settings

    folder = make_scripts({"1_a.sql": "CREATE TABLE a (id INTEGER);"})
    settings = load_settings(flags={"url": f"sqlite:///{tmp_path}/a.db", "directory": str(folder),
                                    "ddl_lock_timeout": "1s", "statement_timeout": "250ms"})
    from_settings = DBMigrator.from_settings(settings).adapter.options
    direct = DBMigrator(f"sqlite:///{tmp_path}/b.db", directory=folder, ddl_lock_timeout="1s",
                        statement_timeout=0.25).adapter.options
    assert (from_settings.ddl_lock_timeout_ms, from_settings.statement_timeout_ms) == (1000, 250)
    assert (direct.ddl_lock_timeout_ms, direct.statement_timeout_ms) == (1000, 250)
