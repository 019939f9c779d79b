"""``lockgate import yoyo``: yoyo migrations become lockgate scripts with the same effect.

The same folder (SQL with rollback files, a Python migration of SQL strings, one
with Python callables, ``-- depends:``) is applied by yoyo's own API on one
database and by lockgate after the import on another; the schemas must match.
"""

from __future__ import annotations

import pytest

import peerprojects as peers
from clihelpers import assert_clean_error, cli, isolated_cli, scalar, tracked

# No database URL from the environment; sys.path and logging restored after each test.
pytestmark = pytest.mark.usefixtures(isolated_cli.__name__)


@pytest.fixture
def yoyo_folder(db_backend, make_scripts):
    return make_scripts(peers.yoyo_files("mysql" if db_backend == "mariadb" else db_backend))


def imported(capsys, url, folder, into, *extra):
    into.mkdir(exist_ok=True)
    return cli(capsys, "--url", url, "import", "yoyo", folder, "--into", into, *extra)


def test_yoyo_and_the_imported_scripts_build_the_same_schema(fresh_db, yoyo_folder, tmp_path, capsys):
    by_yoyo, by_lockgate = fresh_db(), fresh_db()
    peers.yoyo_apply(yoyo_folder, by_yoyo)
    into = tmp_path / "migrations"
    result = imported(capsys, by_lockgate, yoyo_folder, into)
    assert result.code == 0, str(result)
    assert [line.split("(yoyo migration ")[1].split(")")[0] for line in result.out.splitlines()] == [
        "0001.create-authors", "0002.create-books", "0003.shelves", "0004.book-year"]

    upgrade = cli(capsys, "--url", by_lockgate, "--directory", into, "upgrade")
    assert upgrade.code == 0, str(upgrade)
    assert peers.schema(by_lockgate) == peers.schema(by_yoyo)
    assert set(peers.schema(by_lockgate)) == {"authors", "books", "shelves"}
    assert scalar(by_lockgate, "SELECT label FROM shelves") == "new"  # the callable step ran

    downgrade = cli(capsys, "--url", by_lockgate, "--directory", into, "downgrade", "--all")
    assert downgrade.code == 1 and "0004" not in str(tracked(by_lockgate))  # 0004 has no rollback
    assert "has no" in downgrade.err and "downgrade" in downgrade.err


def test_the_kinds_of_migration_become_the_right_kinds_of_script(sqlite_url, make_scripts, tmp_path, capsys):
    folder = make_scripts(peers.yoyo_files("sqlite"))
    result = imported(capsys, sqlite_url, folder, tmp_path / "m")
    assert result.code == 0, str(result)
    names = sorted(p.name.split("_", 1)[1] for p in (tmp_path / "m").iterdir())
    assert names == ["0001_create_authors.sql", "0002_create_books.sql", "0003_shelves.py",
                     "0004_book_year.sql", "downgrade.sql", "downgrade.sql"]
    books = next((tmp_path / "m").glob("*_0002_create_books.sql")).read_text()
    assert books.startswith("-- imported from yoyo migration: 0002.create-books\n")
    assert "CREATE UNIQUE INDEX ux_books_title ON books (title, author_id);" in books
    shelves = next((tmp_path / "m").glob("*_0003_shelves.py")).read_text()
    assert shelves.startswith("# imported from yoyo migration: 0003.shelves\n")
    assert "def make_shelves(conn):" in shelves and "def downgrade(connection):" in shelves
    year = next((tmp_path / "m").glob("*_0004_book_year.sql")).read_text()
    assert "depends" not in year


def test_rollbacks_of_every_kind_run(fresh_db, yoyo_folder, tmp_path, capsys):
    url = fresh_db()
    (yoyo_folder / "0004.book-year.rollback.sql").write_text("ALTER TABLE books DROP COLUMN published;\n")
    into = tmp_path / "migrations"
    assert imported(capsys, url, yoyo_folder, into).code == 0
    assert cli(capsys, "--url", url, "--directory", into, "upgrade").code == 0
    result = cli(capsys, "--url", url, "--directory", into, "downgrade", "--all")
    assert result.code == 0, str(result)
    assert peers.schema(url) == {}


def test_mark_applied_reads_yoyo_migration_table(fresh_db, yoyo_folder, tmp_path, capsys):
    by_yoyo, adopted = fresh_db(), fresh_db()
    peers.yoyo_apply(yoyo_folder, by_yoyo)
    peers.yoyo_apply(yoyo_folder, adopted, count=2)
    into = tmp_path / "migrations"
    result = imported(capsys, adopted, yoyo_folder, into, "--mark-applied")
    assert result.code == 0, str(result)
    assert result.out.count("as applied without running it") == 2
    versions = sorted((p.name.split("_")[0] for p in into.iterdir() if "_downgrade" not in p.name), key=int)
    assert list(tracked(adopted)) == versions[:2]

    upgrade = cli(capsys, "--url", adopted, "--directory", into, "upgrade")
    assert upgrade.code == 0, str(upgrade)
    assert upgrade.out.count("Applying") == 2
    assert peers.schema(adopted) == peers.schema(by_yoyo)
    assert scalar(adopted, "SELECT COUNT(*) FROM _yoyo_migration") == 2  # yoyo's table is only read


def test_ignore_errors_steps_run_in_a_savepoint(postgresql_url, make_scripts, tmp_path, capsys):
    folder = make_scripts({"0001.tolerant.py": '''
        from yoyo import step

        steps = [
            step("DROP TABLE no_such_table", ignore_errors="apply"),
            step("CREATE TABLE kept (id INTEGER PRIMARY KEY)", "DROP TABLE kept"),
        ]
        '''})
    into = tmp_path / "migrations"
    assert imported(capsys, postgresql_url, folder, into).code == 0
    assert next(into.glob("*_0001_tolerant.py"))
    result = cli(capsys, "--url", postgresql_url, "--directory", into, "upgrade")
    assert result.code == 0, str(result)
    assert set(peers.schema(postgresql_url)) == {"kept"}


# -- bad inputs ------------------------------------------------------------------


def test_a_missing_folder_is_a_clean_error(tmp_path, capsys):
    result = cli(capsys, "import", "yoyo", tmp_path / "nope", "--into", tmp_path)
    assert_clean_error(result, 2, "does not exist")


def test_a_folder_without_migrations_is_a_clean_error(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "README.txt").write_text("nothing here")
    result = cli(capsys, "import", "yoyo", tmp_path / "empty", "--into", tmp_path)
    assert_clean_error(result, 2, "is not a yoyo folder")


def test_files_that_would_be_overwritten_are_refused(make_scripts, tmp_path, capsys):
    folder = make_scripts(peers.yoyo_files("sqlite"))
    first = tmp_path / "first"
    first.mkdir()
    assert cli(capsys, "import", "yoyo", folder, "--into", first).code == 0
    into = tmp_path / "migrations"
    into.mkdir()
    name = sorted(p.name for p in first.iterdir())[-1]
    (into / name).write_text("SELECT 1;\n")
    result = cli(capsys, "import", "yoyo", folder, "--into", into)
    assert_clean_error(result, 2, "would overwrite or collide", "nothing was written")
    assert [p.name for p in into.iterdir()] == [name]


def test_mark_applied_needs_yoyo_migration_table(sqlite_url, make_scripts, tmp_path, capsys):
    folder = make_scripts(peers.yoyo_files("sqlite"))
    into = tmp_path / "migrations"
    result = imported(capsys, sqlite_url, folder, into, "--mark-applied")
    assert_clean_error(result, 2, "no _yoyo_migration table")
    assert list(into.iterdir()) == []


def test_a_migration_yoyo_cannot_load_is_a_clean_error(make_scripts, tmp_path, capsys):
    folder = make_scripts({"0001.broken.sql": "-- depends: 0000.missing\nCREATE TABLE t (id INTEGER);\n"})
    result = cli(capsys, "import", "yoyo", folder, "--into", tmp_path)
    assert_clean_error(result, 2, "yoyo cannot load")


def test_non_transactional_migrations_stay_non_transactional(make_scripts, tmp_path, capsys):
    folder = make_scripts({
        "0001.plain.sql": "-- transactional: false\nCREATE TABLE t (id INTEGER);\n",
        "0002.steps.py": 'from yoyo import step\n__transactional__ = False\n'
                         'steps = [step(lambda conn: None)]\n',
    })
    result = cli(capsys, "--directory", tmp_path, "import", "yoyo", folder)
    assert result.code == 0, str(result)
    plain = next(tmp_path.glob("*_0001_plain.sql")).read_text()
    assert "-- lockgate: no-transaction" in plain and "transactional:" not in plain
    steps = next(tmp_path.glob("*_0002_steps.py")).read_text()
    assert "\ntransaction = False\n" in steps and "def downgrade" not in steps


def test_imported_steps_run_without_yoyo_installed(monkeypatch):
    import sys

    from lockgate.importers.yoyo_steps import collect_steps

    monkeypatch.setitem(sys.modules, "yoyo", None)  # what `import yoyo` sees when it is not installed
    steps = collect_steps("from yoyo import step, group\n"
                          "group(step('CREATE TABLE a (id INTEGER)', 'DROP TABLE a'), step('SELECT 1'))\n"
                          "step(lambda conn: None)\n")
    assert len(steps) == 2 and [s.apply for s in steps[0].steps] == ["CREATE TABLE a (id INTEGER)", "SELECT 1"]
    assert sys.modules["yoyo"] is None


def test_a_python_migration_that_fails_to_load_is_a_clean_error(make_scripts, tmp_path, capsys):
    folder = make_scripts({"0001.broken.py": "from yoyo import step\nstep(\n"})
    result = cli(capsys, "import", "yoyo", folder, "--into", tmp_path)
    assert_clean_error(result, 2, "yoyo cannot load", "0001.broken.py")


def test_each_migration_says_how_it_was_imported_and_post_apply_hooks_are_named(tmp_path, capsys):
    folder = tmp_path / "yoyo"
    folder.mkdir()
    (folder / "0001.create.sql").write_text("CREATE TABLE t (id INTEGER PRIMARY KEY);\n")
    (folder / "0002.fill.py").write_text(
        "from yoyo import step\n__depends__ = {'0001.create'}\n\n"
        "def fill(conn):\n    conn.cursor().execute('INSERT INTO t (id) VALUES (1)')\n\n"
        "steps = [step(fill)]\n")
    (folder / "post-apply.sql").write_text("ANALYZE;\n")
    into = tmp_path / "m"
    into.mkdir()
    result = cli(capsys, "import", "yoyo", folder, "--into", into)
    assert result.code == 0, str(result)
    assert "(yoyo migration 0001.create) as SQL" in result.out
    assert "(yoyo migration 0002.fill) as Python" in result.out
    assert "post-apply hooks are not imported (post-apply.sql)" in result.out + result.err
    assert not any("post-apply" in p.name for p in into.iterdir())
