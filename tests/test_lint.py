"""``lockgate lint``: each rule fires on the dangerous form and stays quiet on its safe rewrite.

SQL files are linted without a database (``--dialect``); Python scripts run on
a real scratch database beside a fresh one (see test_lint_python.py).
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from clihelpers import EXAMPLE_INI, assert_clean_error, cli
from lockgate.config import Settings
from lockgate.lint import RULES, lint_files

REPO = Path(__file__).resolve().parent.parent
TIMEOUT = "SET lock_timeout = '5s';\n"


def lint_sql(tmp_path: Path, sql: str, dialect: str = "postgresql", name: str = "1_step.sql",
             **settings) -> list[str]:
    """The rule ids lint reports for one SQL file, in order."""
    path = tmp_path / name
    path.write_text(textwrap.dedent(sql).lstrip("\n"), encoding="utf-8")
    report = lint_files([str(path)], Settings(**settings), dialect=dialect)
    return [finding.rule for finding in report.findings]


#: rule -> (dangerous SQL, its safe rewrite), for PostgreSQL. `users` exists before every script.
POSTGRESQL_CASES = {
    "index-without-concurrently": [
        (TIMEOUT + "CREATE INDEX users_email ON users (email);",
         "-- lockgate: no-transaction\n" + TIMEOUT + "CREATE INDEX CONCURRENTLY users_email ON users (email);"),
        (TIMEOUT + "DROP INDEX users_email;",
         "-- lockgate: no-transaction\n" + TIMEOUT + "DROP INDEX CONCURRENTLY users_email;"),
        (TIMEOUT + "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);",
         "-- lockgate: no-transaction\n" + TIMEOUT + "CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users "
         "(email);\nALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_key;"),
        # a table the script creates is new: nothing uses it yet
        (TIMEOUT + "CREATE INDEX users_email ON users (email);",
         "CREATE TABLE notes (id int, body text);\nCREATE INDEX notes_body ON notes (body);\n"
         "DROP INDEX notes_body;"),
    ],
    "not-null-column-without-default": [
        (TIMEOUT + "ALTER TABLE users ADD COLUMN age int NOT NULL;",
         TIMEOUT + "ALTER TABLE users ADD COLUMN age int NOT NULL DEFAULT 0;"),
    ],
    "volatile-default": [
        (TIMEOUT + "ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();",
         TIMEOUT + "ALTER TABLE users ADD COLUMN token uuid;\n"
         "ALTER TABLE users ALTER COLUMN token SET DEFAULT gen_random_uuid();"),
        (TIMEOUT + "ALTER TABLE users ADD COLUMN n bigserial;",
         TIMEOUT + "ALTER TABLE users ADD COLUMN created timestamptz DEFAULT now();"),
    ],
    "column-type-rewrite": [
        (TIMEOUT + "ALTER TABLE users ALTER COLUMN id TYPE bigint;",
         TIMEOUT + "ALTER TABLE users ALTER COLUMN email TYPE text;"),
        (TIMEOUT + "ALTER TABLE users ALTER COLUMN email TYPE text USING lower(email);",
         TIMEOUT + "ALTER TABLE users ALTER COLUMN email TYPE varchar(500);"),
    ],
    "constraint-without-not-valid": [
        (TIMEOUT + "ALTER TABLE users ADD CONSTRAINT users_team FOREIGN KEY (team_id) REFERENCES teams (id);",
         TIMEOUT + "ALTER TABLE users ADD CONSTRAINT users_team FOREIGN KEY (team_id) REFERENCES teams (id) "
         "NOT VALID;\nALTER TABLE users VALIDATE CONSTRAINT users_team;"),
        (TIMEOUT + "ALTER TABLE users ADD CONSTRAINT users_age CHECK (age >= 0);",
         TIMEOUT + "ALTER TABLE users ADD CONSTRAINT users_age CHECK (age >= 0) NOT VALID;"),
    ],
    "set-not-null-without-check": [
        (TIMEOUT + "ALTER TABLE users ALTER COLUMN email SET NOT NULL;",
         TIMEOUT + "ALTER TABLE users ADD CONSTRAINT email_nn CHECK (email IS NOT NULL) NOT VALID;\n"
         "ALTER TABLE users VALIDATE CONSTRAINT email_nn;\n"
         "ALTER TABLE users ALTER COLUMN email SET NOT NULL;"),
    ],
    "rename": [
        (TIMEOUT + "ALTER TABLE users RENAME COLUMN email TO mail;",
         TIMEOUT + "ALTER TABLE users ADD COLUMN mail text;"),
        (TIMEOUT + "ALTER TABLE users RENAME TO people;",
         "CREATE TABLE drafts (id int);\nALTER TABLE drafts RENAME TO notes;"),
    ],
    "drop": [
        (TIMEOUT + "ALTER TABLE users DROP COLUMN email;",
         TIMEOUT + "ALTER TABLE users ALTER COLUMN email DROP NOT NULL;"),
        (TIMEOUT + "DROP TABLE users;", "CREATE TABLE scratch (id int);\nDROP TABLE scratch;"),
    ],
    "missing-lock-timeout": [
        ("ALTER TABLE users ADD COLUMN note text;", TIMEOUT + "ALTER TABLE users ADD COLUMN note text;"),
        ("SET lock_timeout = 0;\nALTER TABLE users ADD COLUMN note text;",
         "CREATE TABLE notes (id int PRIMARY KEY, body text);"),
        ("CREATE TABLE notes (id int, user_id int REFERENCES users (id));",
         "SET LOCAL lock_timeout = '2s';\nCREATE TABLE notes (id int, user_id int REFERENCES users (id));"),
    ],
    "ddl-with-large-dml": [
        (TIMEOUT + "ALTER TABLE users ADD COLUMN active bool;\nUPDATE users SET active = true;",
         TIMEOUT + "ALTER TABLE users ADD COLUMN active bool;\nUPDATE users SET active = true WHERE id = 1;"),
        (TIMEOUT + "ALTER TABLE users ADD COLUMN n int;\nINSERT INTO archive SELECT * FROM users;",
         "-- lockgate: no-transaction\n" + TIMEOUT + "ALTER TABLE users ADD COLUMN n int;\n"
         "DELETE FROM sessions;"),
    ],
    "concurrently-in-transaction": [
        (TIMEOUT + "CREATE INDEX CONCURRENTLY users_email ON users (email);",
         "-- lockgate: no-transaction\n" + TIMEOUT + "CREATE INDEX CONCURRENTLY users_email ON users (email);"),
        ("REINDEX INDEX CONCURRENTLY users_email;",
         "-- lockgate: no-transaction\nREINDEX INDEX CONCURRENTLY users_email;"),
    ],
}
CASES = [pytest.param(rule, bad, good, id=f"{rule}-{number}")
         for rule, pairs in POSTGRESQL_CASES.items() for number, (bad, good) in enumerate(pairs, 1)]


@pytest.mark.parametrize("rule, bad, good", CASES)
def test_postgresql_rule_fires_on_the_danger_and_not_on_the_safe_form(tmp_path, rule, bad, good):
    assert rule in lint_sql(tmp_path, bad)
    assert rule not in lint_sql(tmp_path, good)


def test_the_safe_rewrites_have_no_findings_at_all(tmp_path):
    """The safe forms are clean on every rule, not just the one they fix."""
    for rule, pairs in POSTGRESQL_CASES.items():
        for _, good in pairs:
            if rule not in ("missing-lock-timeout",):
                assert lint_sql(tmp_path, good) == [], good


def test_every_rule_has_a_test_and_a_docs_section():
    page = (REPO / "docs" / "howto" / "zero-downtime.md").read_text(encoding="utf-8")
    tested = set(POSTGRESQL_CASES) | set(MYSQL_CASES) | {"allow-without-reason"}
    assert tested == set(RULES)
    for rule in RULES.values():
        assert f"\n## {rule.id}\n" in page, f"docs/howto/zero-downtime.md has no section `## {rule.id}`"
        assert rule.docs == f"docs/howto/zero-downtime.md#{rule.id}"


def test_a_configured_ddl_lock_timeout_counts_as_a_lock_timeout(tmp_path):
    sql = "ALTER TABLE users ADD COLUMN note text;"
    assert lint_sql(tmp_path, sql) == ["missing-lock-timeout"]
    assert lint_sql(tmp_path, sql, ddl_lock_timeout=5.0) == []


def test_a_not_null_check_validated_by_an_earlier_script_proves_set_not_null(tmp_path):
    first = tmp_path / "1_check.sql"
    first.write_text(TIMEOUT + "ALTER TABLE users ADD CONSTRAINT email_nn CHECK (email IS NOT NULL) NOT VALID;\n"
                     "ALTER TABLE users VALIDATE CONSTRAINT email_nn;\n", encoding="utf-8")
    second = tmp_path / "2_not_null.sql"
    second.write_text(TIMEOUT + "ALTER TABLE users ALTER COLUMN email SET NOT NULL;\n", encoding="utf-8")
    assert lint_files([str(first), str(second)], Settings(), dialect="postgresql").findings == []
    assert [f.rule for f in lint_files([str(second)], Settings(), dialect="postgresql").findings] == [
        "set-not-null-without-check"]


#: rule -> (dangerous SQL, its safe rewrite), for MariaDB/MySQL.
MYSQL_CASES = {
    "alter-without-online-algorithm": [
        ("ALTER TABLE users MODIFY email varchar(500) NOT NULL;",
         "ALTER TABLE users MODIFY email varchar(500) NOT NULL, ALGORITHM=INPLACE, LOCK=NONE;"),
        ("ALTER TABLE users ADD CONSTRAINT fk_team FOREIGN KEY (team_id) REFERENCES teams (id);",
         "ALTER TABLE users ADD COLUMN note text, ALGORITHM=INSTANT;"),
        ("/*!40101 ALTER TABLE users ENGINE=InnoDB */;",
         "CREATE TABLE notes (id int);\nALTER TABLE notes MODIFY id bigint;"),
    ],
    "rename": [
        ("ALTER TABLE `users` CHANGE `email` `mail` varchar(255);",
         "ALTER TABLE users CHANGE email email varchar(255), ALGORITHM=INPLACE, LOCK=NONE;"),
        ("RENAME TABLE users TO people;", "CREATE TABLE drafts (id int);\nRENAME TABLE drafts TO notes;"),
        ("ALTER TABLE users RENAME COLUMN email TO mail;", "ALTER TABLE users ADD COLUMN mail text;"),
    ],
    "drop": [
        ("ALTER TABLE users DROP COLUMN email;", "ALTER TABLE users DROP INDEX users_email;"),
        ("DROP TABLE IF EXISTS users;", "CREATE TABLE tmp (id int);\nDROP TABLE tmp;"),
    ],
}


@pytest.mark.parametrize("rule, bad, good", [
    pytest.param(rule, bad, good, id=f"{rule}-{number}")
    for rule, pairs in MYSQL_CASES.items() for number, (bad, good) in enumerate(pairs, 1)])
@pytest.mark.parametrize("dialect", ["mysql", "mariadb"])
def test_mysql_rule_fires_on_the_danger_and_not_on_the_safe_form(tmp_path, dialect, rule, bad, good):
    assert rule in lint_sql(tmp_path, bad, dialect)
    assert lint_sql(tmp_path, good, dialect) == []


REBUILD = """
    CREATE TABLE _users_new (id INTEGER PRIMARY KEY, email TEXT NOT NULL);
    INSERT INTO _users_new (id, email) SELECT id, email FROM users;
    DROP TABLE users;
    ALTER TABLE _users_new RENAME TO users;
    """


@pytest.mark.parametrize("dialect", ["sqlite", "mariadb", "postgresql"])
def test_a_table_rebuilt_under_its_name_is_no_drop(tmp_path, dialect):
    """SQLite's way to alter a table (and Alembic's batch mode): copy, drop, rename the copy."""
    assert "drop" not in lint_sql(tmp_path, REBUILD, dialect)
    assert "drop" in lint_sql(tmp_path, REBUILD.replace("RENAME TO users", "RENAME TO people"), dialect)


def test_a_lock_timeout_set_through_set_config_counts(tmp_path):
    sql = "SELECT set_config('lock_timeout', '5s', false);\nALTER TABLE users ADD COLUMN note text;"
    assert lint_sql(tmp_path, sql) == []
    assert lint_sql(tmp_path, sql.replace("'5s'", "'0'")) == ["missing-lock-timeout"]


def test_renaming_an_index_is_no_rename_of_a_table(tmp_path):
    assert lint_sql(tmp_path, "ALTER TABLE users RENAME INDEX a TO b, ALGORITHM=INPLACE, LOCK=NONE;",
                    "mariadb") == []


def test_sqlite_has_only_the_rules_every_database_shares(tmp_path):
    sql = "CREATE INDEX users_email ON users (email);\nALTER TABLE users RENAME COLUMN email TO mail;\n" \
          "ALTER TABLE users DROP COLUMN age;\nALTER TABLE users ADD COLUMN n int NOT NULL DEFAULT 0;\n"
    assert lint_sql(tmp_path, sql, "sqlite") == ["rename", "drop"]


# -- allow comments and settings -------------------------------------------------------------


def test_an_allow_comment_with_a_reason_silences_one_statement(tmp_path):
    sql = """
        SET lock_timeout = '5s';
        -- lockgate: allow rename because the column is read by nothing yet
        ALTER TABLE users RENAME COLUMN email TO mail;
        ALTER TABLE users RENAME COLUMN name TO full_name;
        ALTER TABLE users DROP COLUMN age;  -- lockgate: allow drop because unused since v2
        """
    path = tmp_path / "1_a.sql"
    path.write_text(textwrap.dedent(sql), encoding="utf-8")
    report = lint_files([str(path)], Settings(), dialect="postgresql")
    assert [(f.rule, f.line) for f in report.findings] == [("rename", 5)]
    assert report.silenced == 2


@pytest.mark.parametrize("comment, says", [
    ("-- lockgate: allow rename", "gives no reason"),
    ("-- lockgate: allow renames because typo", "no known rule (renames)"),
    ("-- lockgate: allow because no rule named", "names no rule"),
    ("-- lockgate: allow allow-without-reason because nice try", "no known rule"),
])
def test_an_allow_comment_without_reason_or_known_rule_is_a_finding(tmp_path, comment, says):
    path = tmp_path / "1_a.sql"
    path.write_text(f"{TIMEOUT}{comment}\nALTER TABLE users RENAME COLUMN email TO mail;\n", encoding="utf-8")
    report = lint_files([str(path)], Settings(), dialect="postgresql")
    assert sorted(f.rule for f in report.findings) == ["allow-without-reason", "rename"]
    bad = next(f for f in report.findings if f.rule == "allow-without-reason")
    assert bad.line == 2 and says in bad.message


def test_rules_silenced_for_the_project_in_config_and_flags(tmp_path, capsys):
    script = tmp_path / "migrations" / "1_a.sql"
    script.parent.mkdir()
    script.write_text(TIMEOUT + "ALTER TABLE users RENAME COLUMN email TO mail;\nDROP TABLE old;\n",
                      encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text('[tool.lockgate]\ndirectory = "migrations"\n'
                                             'lint_allow = ["rename"]\n', encoding="utf-8")
    config = tmp_path / "pyproject.toml"
    found = cli(capsys, "-c", config, "lint", "--dialect", "postgresql", "--json")
    assert found.code == 1, found
    assert [f["rule"] for f in found.json()["findings"]] == ["drop"]
    assert found.json()["silenced"] == 1
    assert cli(capsys, "-c", config, "lint", "--dialect", "postgresql", "--allow", "drop").code == 0
    (tmp_path / "pyproject.toml").write_text('[tool.lockgate]\ndirectory = "migrations"\n'
                                             'lint_allow = "rename, dorp"\n', encoding="utf-8")
    assert_clean_error(cli(capsys, "-c", config, "lint", "--dialect", "postgresql"), 2,
                       "lint_allow setting names unknown lint rule(s): dorp")


# -- the command line ------------------------------------------------------------------------


def test_exit_codes_text_and_json(tmp_path, capsys):
    bad = tmp_path / "1_bad.sql"
    bad.write_text(TIMEOUT + "CREATE INDEX users_email ON users (email);\n", encoding="utf-8")
    good = tmp_path / "2_good.sql"
    good.write_text("CREATE TABLE notes (id int);\n", encoding="utf-8")
    found = cli(capsys, "lint", "--dialect", "postgresql", bad, good)
    assert found.code == 1, found
    assert f"{bad}:2: index-without-concurrently: CREATE INDEX on users blocks writes" in found.out
    assert "instead: CREATE INDEX CONCURRENTLY" in found.out
    assert "see docs/howto/zero-downtime.md#index-without-concurrently" in found.out
    assert found.out.rstrip().endswith("1 finding in 2 scripts (rules for PostgreSQL).")
    clean = cli(capsys, "lint", "--dialect", "postgresql", good)
    assert (clean.code, clean.out) == (0, "no findings in 1 script (rules for PostgreSQL).\n")
    data = cli(capsys, "lint", "--dialect", "postgresql", "--json", bad).json()
    assert data["ok"] is False and data["scripts"] == 1
    assert data["findings"] == [{
        "rule": "index-without-concurrently", "path": str(bad), "line": 2,
        "message": "CREATE INDEX on users blocks writes to it until the index is built.",
        "statement": "CREATE INDEX users_email ON users (email)",
        "alternative": RULES["index-without-concurrently"].alternative,
        "docs": "docs/howto/zero-downtime.md#index-without-concurrently"}]


def test_sarif_for_code_scanning(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    script = tmp_path / "migrations" / "1_rename.sql"
    script.parent.mkdir()
    script.write_text(TIMEOUT + "\nALTER TABLE users RENAME COLUMN email TO mail;\n", encoding="utf-8")
    found = cli(capsys, "lint", "--dialect", "postgresql", "--sarif", "migrations/1_rename.sql")
    assert found.code == 1, found
    log = json.loads(found.out)
    assert log["version"] == "2.1.0" and "sarif-2.1.0" in log["$schema"]
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == list(RULES)
    assert all(rule["helpUri"].endswith(f"zero-downtime.md#{rule['id']}") for rule in rules)
    assert all(rule["shortDescription"]["text"] and rule["help"]["text"] for rule in rules)
    [result] = run["results"]
    assert result["ruleId"] == "rename" and rules[result["ruleIndex"]]["id"] == "rename"
    location = result["locations"][0]["physicalLocation"]
    assert location == {"artifactLocation": {"uri": "migrations/1_rename.sql", "uriBaseId": "SRCROOT"},
                        "region": {"startLine": 3}}
    assert run["originalUriBaseIds"]["SRCROOT"]["uri"] == tmp_path.resolve().as_uri() + "/"


def test_bad_input_is_a_clean_error_with_exit_2(tmp_path, capsys):
    assert_clean_error(cli(capsys, "lint", "--dialect", "postgresql", tmp_path / "missing.sql"), 2,
                       "missing.sql is not a .sql or .py file")
    script = tmp_path / "1_a.sql"
    script.write_text("ALTER TABLE users DROP COLUMN a;\n", encoding="utf-8")
    assert_clean_error(cli(capsys, "--url", "", "lint", script), 2, "pass --dialect")
    script.write_bytes(b"SELECT '\xff';\n")
    assert_clean_error(cli(capsys, "lint", "--dialect", "postgresql", script), 2, "not UTF-8")
    not_a_script = tmp_path / "helper.py"
    not_a_script.write_text("x = 1\n", encoding="utf-8")
    assert_clean_error(cli(capsys, "lint", "--dialect", "postgresql", not_a_script), 2,
                       "helper.py is not a migration script")
    assert cli(capsys, "lint", "--dialect", "oracle", script).code == 2
    assert_clean_error(cli(capsys, "lint", "--dialect", "postgresql", "--pending", script), 2,
                       "cannot be combined with named files")


def test_unparsable_statements_are_noted_not_judged(tmp_path, capsys):
    script = tmp_path / "1_a.sql"
    script.write_text("ALTER TABLE users ADD COLUMN;\nSET lock_timeout = '1s';\nDROP TABLE t;\n", encoding="utf-8")
    found = cli(capsys, "lint", "--dialect", "postgresql", script)
    assert found.code == 1 and "drop" in found.out
    assert f"note: {script}, line 1: not linted, PostgreSQL's parser cannot read it" in found.err


def test_the_rules_come_from_the_configured_urls_adapter(tmp_path, capsys):
    """No connection is needed to lint SQL files: the URL only names the database."""
    script = tmp_path / "1_a.sql"
    script.write_text("ALTER TABLE users MODIFY email varchar(500);\nCREATE INDEX i ON users (email);\n",
                      encoding="utf-8")
    mysql = cli(capsys, "--url", "mysql+pymysql://nobody@127.0.0.1:1/none", "lint", "--json", script)
    assert [f["rule"] for f in mysql.json()["findings"]] == ["alter-without-online-algorithm"]
    assert mysql.json()["dialect"] == "MySQL/MariaDB"
    sqlite = cli(capsys, "--url", f"sqlite:///{tmp_path}/app.db", "lint", "--json", script)
    assert sqlite.json() == {**sqlite.json(), "ok": True, "dialect": "SQLite"}


# -- the project's own SQL -------------------------------------------------------------------


def test_the_example_project(capsys, monkeypatch):
    """On SQLite nothing; for PostgreSQL only the true finding that no lock timeout is set."""
    monkeypatch.chdir(EXAMPLE_INI.parent)
    on_sqlite = cli(capsys, "-c", EXAMPLE_INI, "lint")
    assert on_sqlite.code == 0, on_sqlite
    assert "no findings in 3 scripts (rules for SQLite)" in on_sqlite.out
    for_postgresql = cli(capsys, "-c", EXAMPLE_INI, "lint", "--dialect", "postgresql", "--json")
    found = [(Path(f["path"]).name, f["line"], f["rule"]) for f in for_postgresql.json()["findings"]]
    assert found == [("201007011200_add_tasks.py", 19, "missing-lock-timeout"),
                     ("201008151030_tags_and_names.py", 9, "missing-lock-timeout")]
    with_timeout = cli(capsys, "-c", EXAMPLE_INI, "--ddl-lock-timeout", "5s", "lint", "--dialect", "postgresql")
    assert with_timeout.code == 0, with_timeout
    for_mariadb = cli(capsys, "-c", EXAMPLE_INI, "lint", "--dialect", "mariadb")
    assert for_mariadb.code == 0, for_mariadb


def test_the_split_corpus(capsys):
    """Reviewed by hand: both findings are DDL on a table the file did not create, with no lock timeout."""
    corpus = REPO / "tests" / "split_corpus"
    found = cli(capsys, "lint", "--dialect", "postgresql", "--json", *sorted((corpus / "postgresql").glob("*.sql")))
    assert found.err == ""
    assert [(Path(f["path"]).name, f["line"], f["rule"]) for f in found.json()["findings"]] == [
        ("handwritten-routines.sql", 74, "missing-lock-timeout"),  # CREATE TRIGGER ... ON items
        ("pg15-system_constraints.sql", 2, "missing-lock-timeout"),  # ALTER TABLE pg_proc ADD PRIMARY KEY
    ]
    for dialect, folder in (("mariadb", "mariadb"), ("sqlite", "sqlite")):
        result = cli(capsys, "lint", "--dialect", dialect, *sorted((corpus / folder).glob("*.sql")))
        assert result.code == 0, result
