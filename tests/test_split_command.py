"""``lockgate split FILE``: a preview of how a .sql file is cut, needing no database."""

from __future__ import annotations

import pytest

from clihelpers import assert_clean_error, cli, closed_port, write_ini

SCRIPT = """-- create and fill
CREATE TABLE t (a text DEFAULT 'x;y');

INSERT INTO t VALUES
  ('a'), ('b # c;');
SELECT $$;$$ # 1
"""


@pytest.fixture
def script(tmp_path):
    path = tmp_path / "1_create.sql"
    path.write_text(SCRIPT, encoding="utf-8")
    return path


def test_lists_statements_with_lines_and_count(capsys, script):
    result = cli(capsys, "split", script, "--dialect", "postgresql")
    assert result.code == 0, result
    assert result.out.splitlines() == [
        "   1  line 2      CREATE TABLE t (a text DEFAULT 'x;y')",
        "   2  line 4      INSERT INTO t VALUES ('a'), ('b # c;')",
        "   3  line 6      SELECT $$;$$ # 1",
        "3 statements (postgresql)",
    ]
    assert result.err == ""


def test_json(capsys, script):
    result = cli(capsys, "split", script, "--json", "--dialect", "postgresql")
    assert result.code == 0, result
    assert result.json() == [
        {"line": 2, "text": "CREATE TABLE t (a text DEFAULT 'x;y')"},
        {"line": 4, "text": "INSERT INTO t VALUES\n  ('a'), ('b # c;')"},
        {"line": 6, "text": "SELECT $$;$$ # 1"},
    ]


def test_json_of_a_file_without_statements(capsys, tmp_path):
    path = tmp_path / "empty.sql"
    path.write_text("-- nothing\n", encoding="utf-8")
    assert cli(capsys, "split", path, "--json", "--dialect", "sqlite").json() == []


def test_dialect_changes_the_cut(capsys, script):
    # In MySQL "$$" is plain text, so the semicolon between two of them ends a statement.
    result = cli(capsys, "split", script, "--json", "--dialect", "mysql")
    assert [s["text"] for s in result.json()][2:] == ["SELECT $$", "$$ # 1"]


def test_long_statements_are_shortened_unless_verbose(capsys, tmp_path):
    long = "SELECT " + ", ".join(f"column_{i}" for i in range(50))
    path = tmp_path / "long.sql"
    path.write_text(f"{long};\nSELECT\n  2;\n", encoding="utf-8")
    short = cli(capsys, "split", path, "--dialect", "sqlite").out.splitlines()
    assert len(short) == 3 and short[0].endswith("...") and len(short[0]) < 130
    assert short[1] == "   2  line 2      SELECT 2"
    verbose = cli(capsys, "split", path, "--dialect", "sqlite", "-v").out
    assert f"-- statement 1, line 1\n{long}\n" in verbose
    assert "-- statement 2, line 2\nSELECT\n  2\n" in verbose


def test_dialect_from_the_url_without_connecting(capsys, script):
    url = f"mysql+pymysql://root@127.0.0.1:{closed_port()}/nothing"  # nothing listens there
    result = cli(capsys, "--url", url, "split", script)
    assert result.code == 0, result
    assert result.out.splitlines()[-1] == "4 statements (mysql)"


def test_dialect_from_the_environment(capsys, script, monkeypatch):
    monkeypatch.setenv("LOCKGATE_URL", "sqlite:///nowhere/at/all.db")
    assert cli(capsys, "split", script).out.splitlines()[-1] == "4 statements (sqlite)"  # $$ is no quote


def test_dialect_from_an_ini_file(capsys, script, tmp_path):
    ini = write_ini(tmp_path / "development.ini", f"postgresql+psycopg://u@127.0.0.1:{closed_port()}/x")
    result = cli(capsys, "-c", ini, "split", script)
    assert result.out.splitlines()[-1] == "3 statements (postgresql)"
    assert result.err == ""


def test_flag_beats_the_configured_dialect(capsys, script):
    result = cli(capsys, "--url", "sqlite:///x.db", "split", script, "--dialect", "mysql")
    assert result.out.splitlines()[-1] == "4 statements (mysql)"


def test_without_any_configuration_postgresql_with_a_note(capsys, script, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli(capsys, "split", script)
    assert result.code == 0, result
    assert result.out.splitlines()[-1] == "3 statements (postgresql)"
    assert "split as PostgreSQL" in result.err and "--dialect" in result.err
    assert cli(capsys, "-q", "split", script).err == ""


def test_missing_file_is_a_clean_error(capsys, tmp_path):
    result = cli(capsys, "split", tmp_path / "nope.sql", "--dialect", "sqlite")
    assert_clean_error(result, 2, "nope.sql", "No such file")


def test_directory_is_a_clean_error(capsys, tmp_path):
    assert_clean_error(cli(capsys, "split", tmp_path, "--dialect", "sqlite"), 2, "Cannot read")


def test_file_that_is_not_utf8_is_a_clean_error(capsys, tmp_path):
    path = tmp_path / "latin1.sql"
    path.write_bytes("SELECT 'caf\xe9';".encode("latin-1"))
    assert_clean_error(cli(capsys, "split", path, "--dialect", "sqlite"), 2, "not UTF-8")


def test_copy_from_stdin_is_a_clean_error(capsys, tmp_path):
    path = tmp_path / "dump.sql"
    path.write_text("COPY t (a) FROM stdin;\n1\n\\.\n", encoding="utf-8")
    assert_clean_error(cli(capsys, "split", path, "--dialect", "postgresql"), 1, "line 1: COPY", "INSERT")


def test_markers_are_honoured(capsys, tmp_path):
    path = tmp_path / "manual.sql"
    path.write_text("-- lockgate: split-at-markers\nSELECT 1; SELECT 2;\n-- lockgate: break\nSELECT 3;\n",
                    encoding="utf-8")
    assert cli(capsys, "split", path, "--json", "--dialect", "sqlite").json() == [
        {"line": 2, "text": "SELECT 1; SELECT 2;"}, {"line": 4, "text": "SELECT 3;"},
    ]


def test_listed_in_help(capsys):
    result = cli(capsys, "--help")
    assert "split" in result.out
    assert "--dialect" in cli(capsys, "split", "--help").out
