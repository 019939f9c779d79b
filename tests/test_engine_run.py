"""Running scripts: upgrade, downgrade and failures, on SQLite, PostgreSQL and MariaDB.

Every test checks the database itself (tables, rows, the tracking table), not
only what the migrator returns.
"""

from __future__ import annotations

import textwrap

import pytest
import sqlalchemy as sa

from helpers import (
    applied_versions,
    engine,  # noqa: F401  (fixture)
    engine_for,
    journal_states,
    line_of,
    make_package,  # noqa: F401  (fixture)
    migrator,
    query,
    run_versions,
    scalar,
    tables,
    tracking_rows,
    user_tables,
)
from lockgate import (
    DBMigrator,
    HalfMigratedError,
    IrreversibleScriptError,
    ScriptFailedError,
    ScriptLayoutError,
    ScriptLoadError,
    UnknownVersionError,
)

# -- one script of each kind --------------------------------------------------

UPGRADE_SQL = """
    CREATE TABLE t5 (id INTEGER);
    INSERT INTO t5 (id) VALUES (1);
"""
DOWNGRADE_SQL = "DROP TABLE t5;\n"
# DML only, so that the rollback of the first statement shows on MariaDB too.
FAILING_UPGRADE_SQL = """
    -- the first statement works, the second fails
    INSERT INTO base (id) VALUES (5);

    INSERT INTO no_such_table (id) VALUES (1);
"""
FAILING_DOWNGRADE_SQL = """
    DELETE FROM t5;
    INSERT INTO no_such_table (id) VALUES (1);
"""
PY_HEAD = "import sqlalchemy as sa\n\n\n"
PY_UPGRADE = """
    def upgrade(connection):
        connection.execute(sa.text("CREATE TABLE t5 (id INTEGER)"))
        connection.execute(sa.text("INSERT INTO t5 (id) VALUES (1)"))
"""
PY_DOWNGRADE = """

    def downgrade(connection):
        connection.execute(sa.text("DROP TABLE t5"))
"""
PY_FAILING_UPGRADE = """
    def upgrade(connection):
        connection.execute(sa.text("INSERT INTO base (id) VALUES (5)"))
        raise RuntimeError("upgrade broke on purpose")
"""
PY_FAILING_DOWNGRADE = """

    def downgrade(connection):
        connection.execute(sa.text("DELETE FROM t5"))
        raise RuntimeError("downgrade broke on purpose")
"""
MIXED_PY = """
    from lockgate import run_sql_file


    def upgrade(connection):
        run_sql_file(connection)
"""
MIXED_PY_DOWNGRADE = """

    def downgrade(connection):
        run_sql_file(connection, "downgrade")
"""

#: A script of each kind, with and without a downgrade.
KINDS = ["sql", "sql-irreversible", "py", "py-irreversible", "mixed", "mixed-irreversible"]


def dedent(text: str) -> str:
    text = textwrap.dedent(text)
    return text[1:] if text.startswith("\n") else text


def kind_files(kind: str, *, upgrade_fails=False, downgrade_fails=False) -> dict[str, str]:
    """Version 5 as a script of ``kind``; it makes table t5 with one row, or fails as asked.

    A failing upgrade inserts into table ``base`` (made by ``1_base.sql``) before failing.
    """
    base, _, irreversible = kind.partition("-")
    up_sql = FAILING_UPGRADE_SQL if upgrade_fails else UPGRADE_SQL
    down_sql = FAILING_DOWNGRADE_SQL if downgrade_fails else DOWNGRADE_SQL
    if base == "sql":
        files = {"5_make_t5.sql": up_sql}
        if not irreversible:
            files["5_downgrade.sql"] = down_sql
    elif base == "py":
        source = PY_HEAD + dedent(PY_FAILING_UPGRADE if upgrade_fails else PY_UPGRADE)
        if not irreversible:
            source += dedent(PY_FAILING_DOWNGRADE if downgrade_fails else PY_DOWNGRADE)
        files = {"5_make_t5.py": source}
    else:
        source = dedent(MIXED_PY) + ("" if irreversible else dedent(MIXED_PY_DOWNGRADE))
        files = {"5_make_t5.py": source, "5_upgrade.sql": up_sql}
        if not irreversible:
            files["5_downgrade.sql"] = down_sql
    return {"1_base.sql": "CREATE TABLE base (id INTEGER);\n", **files}


@pytest.mark.parametrize("kind", KINDS)
def test_upgrade_runs_each_kind_of_script(engine, make_scripts, kind):
    scripts = make_scripts(kind_files(kind))

    result = migrator(engine, scripts).upgrade()

    assert run_versions(result) == ["1", "5"]
    assert user_tables(engine) == {"base", "t5"}
    assert query(engine, "SELECT id FROM t5") == [(1,)]
    row = tracking_rows(engine)[1]
    assert (row["version"], row["title"], row["kind"]) == ("5", "make_t5", kind.partition("-")[0])


@pytest.mark.parametrize("kind", ["sql", "py", "mixed"])
def test_downgrade_reverts_each_kind_of_script(engine, make_scripts, kind):
    scripts = make_scripts(kind_files(kind))
    m = migrator(engine, scripts)
    m.upgrade()

    result = m.downgrade()

    assert run_versions(result) == ["5"]
    assert result.runs[0].direction == "downgrade"
    assert user_tables(engine) == {"base"}
    assert applied_versions(engine) == ["1"]


@pytest.mark.parametrize("kind", ["sql-irreversible", "py-irreversible", "mixed-irreversible"])
def test_downgrade_of_a_script_without_downgrade_is_refused(engine, make_scripts, kind):
    scripts = make_scripts(kind_files(kind))
    m = migrator(engine, scripts)
    m.upgrade()
    rows_before = tracking_rows(engine)

    with pytest.raises(IrreversibleScriptError) as info:
        m.downgrade()

    assert "5_make_t5" in str(info.value)
    assert user_tables(engine) == {"base", "t5"}
    assert query(engine, "SELECT id FROM t5") == [(1,)]
    assert tracking_rows(engine) == rows_before


@pytest.mark.parametrize("kind", ["sql", "py", "mixed"])
def test_failing_upgrade_of_each_kind_is_rolled_back(engine, make_scripts, kind):
    files = kind_files(kind, upgrade_fails=True)
    scripts = make_scripts(files)

    with pytest.raises(ScriptFailedError) as info:
        migrator(engine, scripts).upgrade()

    error = info.value
    failing_file = {"sql": "5_make_t5.sql", "py": "5_make_t5.py", "mixed": "5_upgrade.sql"}[kind]
    needle = "raise RuntimeError" if kind == "py" else "no_such_table"
    assert error.version == "5"
    assert error.path == str(scripts / failing_file)
    assert error.line == line_of(dedent(files[failing_file]), needle)
    assert f"{scripts / failing_file}, line {error.line}" in str(error)
    assert ("upgrade broke on purpose" if kind == "py" else "no_such_table") in str(error)
    # The script's first change (a row in base) is gone, on every backend.
    assert query(engine, "SELECT id FROM base") == []
    assert user_tables(engine) == {"base"}
    assert applied_versions(engine) == ["1"]
    assert run_versions(error.completed) == ["1"]


@pytest.mark.parametrize("kind", ["sql", "py", "mixed"])
def test_failing_downgrade_of_each_kind_is_rolled_back(engine, make_scripts, kind):
    scripts = make_scripts(kind_files(kind, downgrade_fails=True))
    m = migrator(engine, scripts)
    m.upgrade()

    with pytest.raises(ScriptFailedError) as info:
        m.downgrade()

    failing_file = {"sql": "5_downgrade.sql", "py": "5_make_t5.py", "mixed": "5_downgrade.sql"}[kind]
    assert info.value.path == str(scripts / failing_file)
    assert info.value.line is not None
    assert query(engine, "SELECT id FROM t5") == [(1,)]  # the DELETE was rolled back
    assert applied_versions(engine) == ["1", "5"]


# -- what upgrade runs ----------------------------------------------------------

CHAIN = {
    # Each script needs the one before it, so running them out of numeric
    # order (10 and 100 sort before 2 and 9 as text) fails.
    "2_first.sql": "CREATE TABLE a (id INTEGER);\n",
    "9_second.sql": "CREATE TABLE b (id INTEGER);\nINSERT INTO a (id) VALUES (9);\n",
    "10_third.sql": "CREATE TABLE c (id INTEGER);\nINSERT INTO b (id) VALUES (10);\n",
    "100_fourth.sql": "INSERT INTO c (id) VALUES (100);\n",
}


def test_upgrade_runs_everything_in_numeric_version_order(engine, make_scripts):
    m = migrator(engine, make_scripts(CHAIN))

    result = m.upgrade()

    assert run_versions(result) == ["2", "9", "10", "100"]
    assert [run.direction for run in result.runs] == ["upgrade"] * 4
    assert [a.version for a in m.history()] == ["2", "9", "10", "100"]
    assert applied_versions(engine) == ["2", "9", "10", "100"]
    assert query(engine, "SELECT id FROM c") == [(100,)]
    assert m.status().pending == []
    assert m.next_version() is None


def three_tables(make_scripts, **extra):
    files = {f"{n}_make_t{n}.sql": f"CREATE TABLE t{n} (id INTEGER);\n" for n in (1, 2, 3)}
    files.update({f"{n}_downgrade.sql": f"DROP TABLE t{n};\n" for n in (1, 2, 3)})
    files.update(extra)
    return make_scripts(files)


@pytest.mark.parametrize("version", ["2", 2, " 02 "])
def test_upgrade_version_runs_exactly_that_script(engine, make_scripts, version):
    m = migrator(engine, three_tables(make_scripts))

    result = m.upgrade(version)

    assert run_versions(result) == ["2"]
    assert user_tables(engine) == {"t2"}
    assert applied_versions(engine) == ["2"]
    assert [s.version for s in m.pending()] == ["1", "3"]


def test_upgrade_to_runs_every_pending_script_up_to_that_version(engine, make_scripts):
    m = migrator(engine, three_tables(make_scripts))

    result = m.upgrade(to="2")

    assert run_versions(result) == ["1", "2"]
    assert user_tables(engine) == {"t1", "t2"}
    assert applied_versions(engine) == ["1", "2"]


def test_upgrade_to_an_applied_version_runs_the_older_pending_ones(engine, make_scripts):
    m = migrator(engine, three_tables(make_scripts))
    m.upgrade("2")

    assert run_versions(m.upgrade(to="2")) == ["1"]
    assert applied_versions(engine) == ["1", "2"]


def test_upgrade_of_an_applied_version_does_nothing_and_says_so(engine, make_scripts):
    m = migrator(engine, three_tables(make_scripts))
    m.upgrade("2")
    rows = tracking_rows(engine)

    result = m.upgrade("2")

    assert result.runs == []
    assert "already applied" in result.message and "2" in result.message
    assert tracking_rows(engine) == rows
    assert user_tables(engine) == {"t2"}


def test_upgrade_when_up_to_date_does_nothing_and_says_so(engine, make_scripts):
    m = migrator(engine, three_tables(make_scripts))
    m.upgrade()
    rows = tracking_rows(engine)

    result = m.upgrade()

    assert result.runs == [] and "up to date" in result.message
    assert tracking_rows(engine) == rows


@pytest.mark.parametrize("call", [
    pytest.param(lambda m: m.upgrade("4"), id="version"),
    pytest.param(lambda m: m.upgrade(to="4"), id="to"),
    pytest.param(lambda m: m.upgrade("latest"), id="not-a-number"),
    pytest.param(lambda m: m.downgrade("4"), id="downgrade"),
    pytest.param(lambda m: m.downgrade(to="4"), id="downgrade-to"),
])
def test_unknown_version_is_refused_and_nothing_runs(engine, make_scripts, call):
    m = migrator(engine, three_tables(make_scripts))

    with pytest.raises(UnknownVersionError) as info:
        call(m)

    assert "4" in str(info.value) or "latest" in str(info.value)
    assert user_tables(engine) == set()
    assert "lockgate_versions" not in tables(engine) or applied_versions(engine) == []


def test_unknown_version_error_names_the_nearest_versions(engine, make_scripts):
    m = migrator(engine, three_tables(make_scripts))
    with pytest.raises(UnknownVersionError, match=r"Nearest versions: 1, 2, 3"):
        m.upgrade("4")


def test_a_late_script_is_out_of_order_and_upgrade_runs_it(engine, make_scripts):
    scripts = make_scripts({"1_one.sql": "CREATE TABLE t1 (id INTEGER);\n",
                            "3_three.sql": "CREATE TABLE t3 (id INTEGER);\n"})
    m = migrator(engine, scripts)
    m.upgrade()
    make_scripts({"2_two.sql": "CREATE TABLE t2 (id INTEGER);\n"}, root=scripts)  # a merged branch

    states = {s.version: s for s in m.status().scripts}
    assert (states["2"].state, states["2"].out_of_order) == ("pending", True)
    assert [(states[v].state, states[v].out_of_order) for v in ("1", "3")] == [("applied", False)] * 2
    assert m.status().as_dict()["scripts"][1]["out_of_order"] is True
    assert m.next_version() == "2"

    result = m.upgrade()

    assert [(r.version, r.out_of_order) for r in result.runs] == [("2", True)]
    assert user_tables(engine) == {"t1", "t2", "t3"}
    assert applied_versions(engine) == ["1", "2", "3"]
    assert not any(s.out_of_order for s in m.status().scripts)


def test_scripts_in_order_are_not_out_of_order(engine, make_scripts):
    m = migrator(engine, three_tables(make_scripts))
    m.upgrade("1")
    assert not any(s.out_of_order for s in m.status().scripts)
    assert [(r.version, r.out_of_order) for r in m.upgrade().runs] == [("2", False), ("3", False)]


# -- what downgrade reverts -----------------------------------------------------

def test_downgrade_reverts_the_most_recently_applied_script(engine, make_scripts):
    m = migrator(engine, three_tables(make_scripts))
    m.upgrade("1")
    m.upgrade("3")
    m.upgrade("2")  # applied last, though neither the oldest nor the highest version

    assert run_versions(m.downgrade()) == ["2"]
    assert user_tables(engine) == {"t1", "t3"}
    assert applied_versions(engine) == ["1", "3"]

    assert run_versions(m.downgrade()) == ["3"]
    assert run_versions(m.downgrade()) == ["1"]
    assert user_tables(engine) == set() and applied_versions(engine) == []

    result = m.downgrade()
    assert result.runs == [] and result.message == "Nothing to revert."


def test_downgrade_version_reverts_exactly_that_script(engine, make_scripts):
    m = migrator(engine, three_tables(make_scripts))
    m.upgrade()

    assert run_versions(m.downgrade("2")) == ["2"]
    assert user_tables(engine) == {"t1", "t3"}
    assert applied_versions(engine) == ["1", "3"]

    result = m.downgrade("2")  # a known script that is not applied
    assert result.runs == [] and result.message
    assert applied_versions(engine) == ["1", "3"]


def test_downgrade_to_reverts_everything_applied_after_it_newest_first(engine, make_scripts):
    scripts = three_tables(make_scripts, **{"4_make_t4.sql": "CREATE TABLE t4 (id INTEGER);\n",
                                            "4_downgrade.sql": "DROP TABLE t4;\n"})
    m = migrator(engine, scripts)
    m.upgrade()

    result = m.downgrade(to="2")

    assert run_versions(result) == ["4", "3"]
    assert user_tables(engine) == {"t1", "t2"}
    assert applied_versions(engine) == ["1", "2"]


def test_downgrade_all_reverts_every_applied_script_newest_first(engine, make_scripts):
    m = migrator(engine, three_tables(make_scripts))
    m.upgrade()

    result = m.downgrade(all=True)

    assert run_versions(result) == ["3", "2", "1"]
    assert user_tables(engine) == set()
    assert "lockgate_versions" in tables(engine)
    assert applied_versions(engine) == []
    assert [s.version for s in m.pending()] == ["1", "2", "3"]


@pytest.mark.parametrize("call, named", [
    pytest.param(lambda m: m.downgrade(all=True), ["2_make_t2.sql", "4_make_t4.py"], id="all"),
    pytest.param(lambda m: m.downgrade(to="1"), ["2_make_t2.sql", "4_make_t4.py"], id="to"),
    pytest.param(lambda m: m.downgrade("2"), ["2_make_t2.sql"], id="version"),
    pytest.param(lambda m: m.downgrade(), ["4_make_t4.py"], id="newest"),
])
def test_an_irreversible_script_among_the_targets_stops_everything(engine, make_scripts, call, named):
    scripts = three_tables(make_scripts, **{
        "4_make_t4.py": PY_HEAD + dedent("""
            def upgrade(connection):
                connection.execute(sa.text("CREATE TABLE t4 (id INTEGER)"))
        """),
    })
    (scripts / "2_downgrade.sql").unlink()
    m = migrator(engine, scripts)
    m.upgrade()
    rows = tracking_rows(engine)

    with pytest.raises(IrreversibleScriptError) as info:
        call(m)

    message = str(info.value)
    assert message.startswith("Nothing was reverted")
    assert [name for name in ("2_make_t2.sql", "4_make_t4.py") if name in message] == named
    assert "1_make_t1" not in message and "3_make_t3" not in message
    assert user_tables(engine) == {"t1", "t2", "t3", "t4"}
    assert tracking_rows(engine) == rows


def test_irreversible_error_names_every_irreversible_target(engine, make_scripts):
    scripts = three_tables(make_scripts, **{
        "4_make_t4.py": PY_HEAD + dedent("""
            def upgrade(connection):
                connection.execute(sa.text("CREATE TABLE t4 (id INTEGER)"))
        """),
    })
    (scripts / "2_downgrade.sql").unlink()
    m = migrator(engine, scripts)
    m.upgrade()

    with pytest.raises(IrreversibleScriptError) as info:
        m.downgrade(all=True)

    assert "2_make_t2.sql has no 2_downgrade.sql" in str(info.value)
    assert "4_make_t4.py has no downgrade() function" in str(info.value)
    assert "1_make_t1" not in str(info.value) and "3_make_t3" not in str(info.value)
    assert applied_versions(engine) == ["1", "2", "3", "4"]


def test_a_script_with_no_statements_is_recorded(engine, make_scripts):
    scripts = make_scripts({"1_nothing.sql": "-- nothing to do here; really\n/* ; */\n",
                            "2_empty.sql": ""})

    assert run_versions(migrator(engine, scripts).upgrade()) == ["1", "2"]
    assert applied_versions(engine) == ["1", "2"]
    assert user_tables(engine) == set()


def test_a_mixed_script_runs_other_sql_files_and_data_steps_in_between(engine, make_scripts):
    scripts = make_scripts({
        "1_users.py": PY_HEAD + dedent("""
            from lockgate import run_sql_file


            def upgrade(connection):
                assert run_sql_file(connection) == 2
                names = [n for (n,) in connection.execute(sa.text("SELECT name FROM users"))]
                connection.execute(sa.text("UPDATE users SET name = :n"), {"n": names[0].upper()})
                run_sql_file(connection, "seed.sql")


            def downgrade(connection):
                run_sql_file(connection, "downgrade")
        """),
        "1_upgrade.sql": "CREATE TABLE users (id INTEGER, name VARCHAR(20));\n"
                         "INSERT INTO users (id, name) VALUES (1, 'ada');\n",
        "1_downgrade.sql": "DROP TABLE users;\n",
        "seed.sql": "INSERT INTO users (id, name) VALUES (2, 'bob');\n",  # no version: not a script
    })
    m = migrator(engine, scripts)

    m.upgrade()
    assert query(engine, "SELECT id, name FROM users ORDER BY id") == [(1, "ADA"), (2, "bob")]
    m.downgrade()
    assert user_tables(engine) == set()


def test_run_sql_file_of_a_missing_file_fails_the_script(engine, make_scripts):
    scripts = make_scripts({
        "1_users.py": "from lockgate import run_sql_file\n\n\ndef upgrade(connection):\n"
                      "    run_sql_file(connection, 'nope.sql')\n",
    })

    with pytest.raises(ScriptFailedError) as info:
        migrator(engine, scripts).upgrade()

    assert "asked to run 'nope.sql', but there is no such file" in str(info.value)
    assert info.value.line == 5
    assert applied_versions(engine) == []


def test_progress_is_reported_around_each_script(engine, make_scripts):
    events = []
    m = DBMigrator(engine, directory=three_tables(make_scripts),
                   progress=lambda event, script, **info: events.append((event, script.version, info)))

    m.upgrade(to="2")
    m.downgrade()

    assert [(e, v, i.get("direction")) for e, v, i in events] == [
        ("start", "1", "upgrade"), ("done", "1", "upgrade"),
        ("start", "2", "upgrade"), ("done", "2", "upgrade"),
        ("start", "2", "downgrade"), ("done", "2", "downgrade"),
    ]
    assert all(isinstance(i["execution_ms"], int) for e, _, i in events if e == "done")


def windows_file(text: str) -> bytes:
    """What a Windows editor saves: a UTF-8 byte order mark and CRLF line ends."""
    return b"\xef\xbb\xbf" + dedent(text).replace("\n", "\r\n").encode("utf-8")


def test_scripts_saved_by_a_windows_editor_run(engine, make_scripts):
    scripts = make_scripts({
        "1_users.sql": windows_file("CREATE TABLE users (id INTEGER, name VARCHAR(20));\n"),
        "1_downgrade.sql": windows_file("DROP TABLE users;\n"),
        "2_names.py": windows_file("""
            import sqlalchemy as sa
            from lockgate import run_sql_file


            def upgrade(connection):
                run_sql_file(connection)
                connection.execute(sa.text("INSERT INTO users (id, name) VALUES (2, 'Zoë')"))


            def downgrade(connection):
                run_sql_file(connection, "downgrade")
        """),
        "2_upgrade.sql": windows_file("INSERT INTO users (id, name) VALUES (1, 'Åsa');\n"),
        "2_downgrade.sql": windows_file("DELETE FROM users;\n"),
    })
    m = migrator(engine, scripts)

    m.upgrade()
    assert query(engine, "SELECT id, name FROM users ORDER BY id") == [(1, "Åsa"), (2, "Zoë")]
    m.downgrade(all=True)
    assert user_tables(engine) == set()


# -- failures -------------------------------------------------------------------

BROKEN_RUN = {
    "1_first.sql": "CREATE TABLE first (id INTEGER);\n",
    "2_broken.sql": """
        -- creates a table, then fails
        CREATE TABLE half (id INTEGER);

        INSERT INTO no_such_table (id)
        VALUES (1);
    """,
    "3_later.sql": "CREATE TABLE later (id INTEGER);\n",
}


def test_a_failing_sql_statement_stops_the_run(engine, db_backend, make_scripts):
    scripts = make_scripts(BROKEN_RUN)

    with pytest.raises(ScriptFailedError) as info:
        migrator(engine, scripts).upgrade()

    error = info.value
    assert (error.version, error.path, error.line) == ("2", str(scripts / "2_broken.sql"), 4)
    assert str(error).startswith(f"{scripts / '2_broken.sql'}, line 4: ")
    assert "no_such_table" in str(error)
    assert isinstance(error.__cause__, sa.exc.DBAPIError)
    # The script before it stays applied; the one after it never ran.
    assert applied_versions(engine) == ["1"]
    assert run_versions(error.completed) == ["1"]
    assert "later" not in tables(engine)
    if db_backend == "mariadb":
        # CREATE TABLE commits implicitly on MariaDB: the table is left, lockgate says so,
        # and the journal row tells the next run that script 2 is unfinished.
        assert error.partial is True
        assert user_tables(engine) == {"first", "half"}
        assert journal_states(engine) == {"2": "started"}
    else:
        assert error.partial is False
        assert user_tables(engine) == {"first"}
        assert journal_states(engine) == {}


def test_a_script_whose_first_statement_fails_changed_nothing(engine, make_scripts):
    scripts = make_scripts({"1_first.sql": "CREATE TABLE first (id INTEGER);\n",
                            "2_broken.sql": "CREATE TABLE first (id INTEGER);\nCREATE TABLE second (id INTEGER);\n"})

    with pytest.raises(ScriptFailedError) as info:
        migrator(engine, scripts).upgrade()

    assert (info.value.line, info.value.partial) == (1, False)  # on MariaDB too
    assert user_tables(engine) == {"first"}
    assert applied_versions(engine) == ["1"]


def test_the_run_continues_after_the_broken_script_is_fixed(engine, db_backend, make_scripts):
    scripts = make_scripts(BROKEN_RUN)
    m = migrator(engine, scripts)
    with pytest.raises(ScriptFailedError):
        m.upgrade()
    make_scripts({"2_broken.sql": "CREATE TABLE IF NOT EXISTS half (id INTEGER);\n"}, root=scripts)
    if db_backend == "mariadb":
        # Half of script 2 stayed: the next run refuses until someone settles it.
        with pytest.raises(HalfMigratedError, match="resolve 2 --applied"):
            m.upgrade()
        assert "later" not in tables(engine)
        m.resolve("2", applied=False)

    assert run_versions(m.upgrade()) == ["2", "3"]
    assert user_tables(engine) == {"first", "half", "later"}
    assert applied_versions(engine) == ["1", "2", "3"]


def test_a_python_script_that_raises_is_rolled_back(engine, make_scripts):
    source = PY_HEAD + dedent("""
        def upgrade(connection):
            connection.execute(sa.text("INSERT INTO first (id) VALUES (1)"))
            helper(connection)


        def helper(connection):
            connection.execute(sa.text("INSERT INTO first (id) VALUES (2)"))
            raise ValueError("no more ids")
    """)
    scripts = make_scripts({"1_first.sql": "CREATE TABLE first (id INTEGER);\n",
                            "2_fill.py": source, "3_later.sql": "CREATE TABLE later (id INTEGER);\n"})

    with pytest.raises(ScriptFailedError) as info:
        migrator(engine, scripts).upgrade()

    error = info.value
    assert (error.version, error.path) == ("2", str(scripts / "2_fill.py"))
    assert error.line == line_of(source, "raise ValueError")
    assert str(error).startswith(f"{scripts / '2_fill.py'}, line {error.line}: upgrade() failed: ")
    assert "ValueError: no more ids" in str(error)
    assert query(engine, "SELECT id FROM first") == []
    assert applied_versions(engine) == ["1"]
    assert user_tables(engine) == {"first"}


def test_a_database_error_in_a_python_script_names_its_line(engine, make_scripts):
    source = PY_HEAD + dedent("""
        def upgrade(connection):
            connection.execute(sa.text("INSERT INTO first (id) VALUES (1)"))
            connection.execute(sa.text("SELECT id FROM no_such_table"))
    """)
    scripts = make_scripts({"1_first.sql": "CREATE TABLE first (id INTEGER);\n", "2_bad.py": source})

    with pytest.raises(ScriptFailedError) as info:
        migrator(engine, scripts).upgrade()

    assert info.value.line == line_of(source, "no_such_table")
    assert "no_such_table" in str(info.value)
    assert query(engine, "SELECT id FROM first") == []
    assert applied_versions(engine) == ["1"]


def test_a_failing_downgrade_keeps_the_scripts_reverted_before_it(engine, make_scripts):
    scripts = make_scripts({
        "1_one.sql": "CREATE TABLE t1 (id INTEGER);\nINSERT INTO t1 (id) VALUES (1);\n",
        "1_downgrade.sql": "DELETE FROM t1;\nINSERT INTO no_such_table (id) VALUES (1);\n",
        "2_two.sql": "CREATE TABLE t2 (id INTEGER);\n",
        "2_downgrade.sql": "DROP TABLE t2;\n",
    })
    m = migrator(engine, scripts)
    m.upgrade()

    with pytest.raises(ScriptFailedError) as info:
        m.downgrade(all=True)

    assert (info.value.path, info.value.line) == (str(scripts / "1_downgrade.sql"), 2)
    assert run_versions(info.value.completed) == ["2"]
    assert user_tables(engine) == {"t1"}
    assert query(engine, "SELECT id FROM t1") == [(1,)]
    assert applied_versions(engine) == ["1"]


@pytest.mark.parametrize("broken, problem", [
    ("def downgrade(connection):\n    pass\n", "has no upgrade function"),
    ("def upgrade(connection)\n    pass\n", "line 1: the script is not valid Python"),
    ("import no_such_module_for_lockgate\n\ndef upgrade(connection):\n    pass\n",
     "importing the script failed with ModuleNotFoundError"),
])
def test_a_broken_python_script_stops_the_run_before_anything_runs(engine, make_scripts, broken, problem):
    scripts = make_scripts({"1_first.sql": "CREATE TABLE first (id INTEGER);\n",
                            "2_fill.py": PY_HEAD + dedent(PY_UPGRADE),
                            "3_broken.py": broken})

    with pytest.raises(ScriptLoadError) as info:
        migrator(engine, scripts).upgrade()

    assert str(scripts / "3_broken.py") in str(info.value)
    assert problem in str(info.value)
    assert user_tables(engine) == set()
    assert applied_versions(engine) == []


def test_a_broken_python_script_outside_the_plan_does_not_stop_it(engine, make_scripts):
    scripts = make_scripts({"1_first.sql": "CREATE TABLE first (id INTEGER);\n",
                            "3_broken.py": "def upgrade(connection)\n"})

    assert run_versions(migrator(engine, scripts).upgrade("1")) == ["1"]
    assert user_tables(engine) == {"first"}


def test_badly_named_scripts_stop_the_run_before_the_database_is_touched(engine, make_scripts):
    scripts = make_scripts({"1_first.sql": "CREATE TABLE first (id INTEGER);\n",
                            "2_a.sql": "", "02_b.sql": "", "3_downgrade.sql": ""})

    with pytest.raises(ScriptLayoutError) as info:
        migrator(engine, scripts).upgrade()

    assert len(info.value.problems) == 2
    assert tables(engine) == set()


# -- SQL the splitter must get right, run for real ---------------------------------

def test_strings_comments_and_percent_signs_reach_the_database_intact(engine, db_backend, fresh_db,
                                                                       make_scripts):
    scripts = make_scripts({"1_notes.sql": """
        /* A block comment; with a semicolon and a 'quote */
        CREATE TABLE notes (id INTEGER NOT NULL PRIMARY KEY, body VARCHAR(100));
        -- a line comment; with a semicolon and a 'quote
        INSERT INTO notes (id, body) VALUES (1, 'one; two');  -- a trailing comment;
        INSERT INTO notes (id, body) VALUES (2, 'it''s; /* not a comment */ -- nor this');
        INSERT INTO notes (id, body) VALUES (3, 'apple'), (4, 'banana'), (5, '100%');
        DELETE FROM notes WHERE body LIKE 'b%';
        UPDATE notes SET body = 'a%s %b %% %(x)s' WHERE body LIKE 'app%';
        INSERT INTO notes (id, body) SELECT 6, body FROM notes WHERE body LIKE '%0%';
    """})
    expected = [(1, "one; two"), (2, "it's; /* not a comment */ -- nor this"),
                (3, "a%s %b %% %(x)s"), (5, "100%"), (6, "100%")]
    urls = [engine.url]
    if db_backend == "postgresql":  # both PostgreSQL drivers read '%' in their own way
        urls.append(sa.make_url(fresh_db()).set(drivername="postgresql+psycopg2"))
    for url in urls:
        with engine_for(url) as other:
            migrator(other, scripts).upgrade()
            assert query(other, "SELECT id, body FROM notes ORDER BY id") == expected, url.drivername


@pytest.mark.parametrize("db_backend", [pytest.param("postgresql", marks=pytest.mark.postgresql)])
def test_postgresql_dollar_quoted_function_bodies(engine, make_scripts):
    scripts = make_scripts({"1_functions.sql": """
        CREATE FUNCTION add_one(n integer) RETURNS integer AS $$
        BEGIN
            -- a semicolon in the body; and a 'quote
            RETURN n + 1;
        END;
        $$ LANGUAGE plpgsql;

        CREATE FUNCTION greet(name text) RETURNS text AS $body$
            SELECT 'hello; ' || name || ' $$';
        $body$ LANGUAGE sql;

        CREATE TABLE results (n integer, greeting text);
        INSERT INTO results VALUES (add_one(41), greet('you'));
    """})

    migrator(engine, scripts).upgrade()

    assert query(engine, "SELECT n, greeting FROM results") == [(42, "hello; you $$")]
    assert scalar(engine, "SELECT add_one(1)") == 2


@pytest.mark.parametrize("db_backend", [pytest.param("sqlite", marks=pytest.mark.sqlite)])
def test_sqlite_trigger_bodies(engine, make_scripts):
    scripts = make_scripts({"1_audit.sql": """
        CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT);
        CREATE TABLE audit (item_id INTEGER, note TEXT);
        CREATE TRIGGER items_audit AFTER INSERT ON items
        BEGIN
            INSERT INTO audit (item_id, note) VALUES (NEW.id, 'added; by trigger');
            UPDATE items SET name = upper(name) WHERE id = NEW.id;
        END;
        INSERT INTO items (id, name) VALUES (1, 'first');
    """})

    migrator(engine, scripts).upgrade()

    assert query(engine, "SELECT id, name FROM items") == [(1, "FIRST")]
    assert query(engine, "SELECT item_id, note FROM audit") == [(1, "added; by trigger")]
    assert applied_versions(engine) == ["1"]


@pytest.mark.parametrize("db_backend", [pytest.param("mariadb", marks=pytest.mark.mariadb)])
def test_mariadb_delimiter_procedures_and_triggers(engine, make_scripts):
    scripts = make_scripts({"1_audit.sql": """
        CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(50));
        CREATE TABLE audit (item_id INTEGER, note VARCHAR(100));

        DELIMITER //
        CREATE PROCEDURE add_item(IN item_id INTEGER, IN item_name VARCHAR(50))
        BEGIN
            INSERT INTO items (id, name) VALUES (item_id, item_name);
            INSERT INTO audit (item_id, note) VALUES (item_id, 'added; by procedure');
        END //
        CREATE TRIGGER items_upper BEFORE INSERT ON items
        FOR EACH ROW
        BEGIN
            IF NEW.name LIKE 'f%' THEN
                SET NEW.name = UPPER(NEW.name);
            END IF;
        END//
        DELIMITER ;

        CALL add_item(1, 'first');
        CALL add_item(2, 'second');
    """})

    migrator(engine, scripts).upgrade()

    assert query(engine, "SELECT id, name FROM items ORDER BY id") == [(1, "FIRST"), (2, "second")]
    assert query(engine, "SELECT item_id, note FROM audit ORDER BY item_id") == [
        (1, "added; by procedure"), (2, "added; by procedure")]
    assert applied_versions(engine) == ["1"]


# -- scripts in an installed package ----------------------------------------------

@pytest.mark.parametrize("zipped", [False, True], ids=["folder", "zip"])
def test_scripts_of_an_installed_package_run_and_revert(engine, make_package, zipped):
    files = {**kind_files("mixed"), "7_py.py": PY_HEAD + dedent("""
        def upgrade(connection):
            connection.execute(sa.text("INSERT INTO t5 (id) VALUES (7)"))


        def downgrade(connection):
            connection.execute(sa.text("DELETE FROM t5 WHERE id = 7"))
            raise RuntimeError("stop here")
    """)}
    make_package("lg_pkg_app.migration", files, zipped=zipped)
    m = DBMigrator(engine, "lg_pkg_app.migration")

    assert run_versions(m.upgrade()) == ["1", "5", "7"]
    assert query(engine, "SELECT id FROM t5 ORDER BY id") == [(1,), (7,)]
    assert [r["kind"] for r in tracking_rows(engine)] == ["sql", "mixed", "py"]
    with pytest.raises(ScriptFailedError) as info:
        m.downgrade()
    assert info.value.path.endswith("7_py.py")
    assert info.value.line is not None and "stop here" in str(info.value)
    assert run_versions(m.downgrade("5")) == ["5"]
    assert user_tables(engine) == {"base"}
