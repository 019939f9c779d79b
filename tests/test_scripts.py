"""Finding scripts in a folder or a package: naming rules, ignored files, checksums. No database."""

from __future__ import annotations

import sys

import pytest

from helpers import make_package  # noqa: F401  (fixture)
from lockgate import ConfigError, LockgateError, ScriptLayoutError, ScriptLoadError, run_sql_file
from lockgate.scripts import ScriptSource, load_python_script, normalise_text


def find(root) -> list:
    return ScriptSource(directory=root).find()


def described(scripts) -> list[tuple]:
    return [(s.version, s.title, s.kind, sorted(s.file_names)) for s in scripts]


def layout_problems(root) -> list[str]:
    with pytest.raises(ScriptLayoutError) as info:
        find(root)
    return info.value.problems


# -- naming ------------------------------------------------------------------------

def test_scripts_are_found_in_numeric_order_with_title_and_kind(make_scripts):
    root = make_scripts({
        "10_b.sql": "", "9_a.sql": "", "9_downgrade.sql": "",
        "201006231515_create_users.sql": "",
        "0100_padded.py": "",
        "3_mixed.py": "", "3_upgrade.sql": "", "3_downgrade.sql": "",
        "4_py_with_downgrade_sql.py": "", "4_downgrade.sql": "",
        "201106200106_foo_upgrade.sql": "",  # a title ending in _upgrade: a script of its own
        "5_title.with.dots.sql": "",
    })

    assert described(find(root)) == [
        ("3", "mixed", "mixed", ["3_downgrade.sql", "3_mixed.py", "3_upgrade.sql"]),
        ("4", "py_with_downgrade_sql", "mixed", ["4_downgrade.sql", "4_py_with_downgrade_sql.py"]),
        ("5", "title.with.dots", "sql", ["5_title.with.dots.sql"]),
        ("9", "a", "sql", ["9_a.sql", "9_downgrade.sql"]),
        ("10", "b", "sql", ["10_b.sql"]),
        ("100", "padded", "py", ["0100_padded.py"]),
        ("201006231515", "create_users", "sql", ["201006231515_create_users.sql"]),
        ("201106200106", "foo_upgrade", "sql", ["201106200106_foo_upgrade.sql"]),
    ]


def test_a_script_knows_its_files_and_downgrade(make_scripts):
    root = make_scripts({
        "1_a.sql": "", "1_downgrade.sql": "", "2_b.sql": "",
        "3_c.py": "def upgrade(connection):\n    pass\n\n\ndef downgrade(connection):\n    pass\n",
        "4_d.py": "def upgrade(connection):\n    pass\n# def downgrade(connection):\n",
    })
    scripts = {s.version: s for s in find(root)}

    assert {v: s.has_downgrade for v, s in scripts.items()} == {"1": True, "2": False, "3": True, "4": False}
    assert scripts["1"].sql_files["downgrade"].name == "1_downgrade.sql"
    assert scripts["1"].main_file == root / "1_a.sql"
    assert scripts["3"].number == 3 and scripts["3"].describe() == "3 (3_c.py)"


def test_discovery_does_not_import_python_scripts(make_scripts):
    root = make_scripts({"1_broken.py": "def upgrade(connection)\n", "2_raises.py": "raise SystemExit(3)\n"})

    assert described(find(root)) == [("1", "broken", "py", ["1_broken.py"]),
                                      ("2", "raises", "py", ["2_raises.py"])]


def test_editor_backups_readmes_and_other_files_are_ignored(make_scripts):
    root = make_scripts({
        "1_real.sql": "", "2_real.py": "",
        "__init__.py": "", "README.md": "# 1_fake.sql\n", "README": "", "notes.txt": "",
        "1_real.sql~": "", "2_real.py~": "", "1_real.sql.bak": "", "1_real.sql.orig": "",
        "1_real.sql.rej": "", "1_real.sql.tmp": "", "2_real.pyc": "", "2_real.pyo": "",
        ".1_real.sql.swp": "", ".#1_real.sql": "", "#1_real.sql#": "", ".DS_Store": "",
        "_3_draft.sql": "", "3_draft.txt": "", "4_draft.SQL.bak": "",
        "__pycache__/2_real.cpython-311.pyc": "",
        "5_folder.sql/6_inside.sql": "",  # a folder, not a script, and nothing under it counts
        "sub/7_nested.sql": "",
    })

    assert described(find(root)) == [("1", "real", "sql", ["1_real.sql"]),
                                      ("2", "real", "py", ["2_real.py"])]


def test_an_empty_folder_has_no_scripts(make_scripts):
    assert find(make_scripts({"__init__.py": "", "README.md": ""})) == []


def test_every_layout_problem_is_reported_at_once(make_scripts):
    root = make_scripts({
        "1_fine.sql": "",
        "2_a.sql": "", "02_b.sql": "",                 # one version, two scripts
        "3_a.sql": "", "3_b.py": "",                   # ... one of them Python
        "4_downgrade.sql": "",                         # a downgrade with no script
        "5.sql": "", "6_.py": "", "7__.sql": "",       # no title
        "8_a.sql": "", "8_upgrade.sql": "",            # _upgrade.sql belongs to a .py script
        "9_upgrade.sql": "", "09_upgrade.sql": "", "9_b.py": "",  # two upgrades for version 9
    })

    problems = layout_problems(root)

    assert len(problems) == 8, problems
    text = "\n".join(problems)
    assert "version 2 has 2 scripts: 02_b.sql, 2_a.sql" in text
    assert "version 3 has 2 scripts: 3_a.sql, 3_b.py (a Python script that runs SQL files" in text
    assert "4_downgrade.sql: no script with version 4 to belong to" in text
    for name in ("5.sql", "6_.py", "7__.sql"):
        assert f"{name}: a script needs a title after the version" in text
    assert "8_upgrade.sql: an _upgrade.sql file belongs to a Python script" in text
    assert "9_upgrade.sql and 09_upgrade.sql are both the upgrade of version 9" in text
    assert "1_fine" not in text


def test_the_layout_error_message_lists_the_problems_and_says_nothing_ran(make_scripts):
    root = make_scripts({"1_a.sql": "", "01_b.sql": "", "2_downgrade.sql": ""})

    with pytest.raises(ScriptLayoutError) as info:
        find(root)

    message = str(info.value)
    assert f"directory {root}" in message and "nothing was run" in message
    assert message.count("\n  - ") == 2
    assert info.value.exit_code == 2


# -- checksums -----------------------------------------------------------------------

SQL = "CREATE TABLE users (\n    id INTEGER\n);\n\nINSERT INTO users VALUES (1);\n"


def checksum(make_scripts, files) -> str:
    (script,) = find(make_scripts(files))
    return script.checksum


@pytest.mark.parametrize("variant", [
    pytest.param(SQL.replace("\n", "\r\n").encode(), id="crlf"),
    pytest.param(SQL.replace("\n", "\r").encode(), id="cr"),
    pytest.param(SQL.replace("\n", "  \t\n").encode(), id="trailing-blanks"),
    pytest.param((SQL + "\n\n  \n").encode(), id="trailing-lines"),
    pytest.param(SQL.rstrip("\n").encode(), id="no-final-newline"),
])
def test_checksum_is_blind_to_line_endings_and_trailing_whitespace(make_scripts, variant):
    assert checksum(make_scripts, {"1_a.sql": variant}) == checksum(make_scripts, {"1_a.sql": SQL})


@pytest.mark.parametrize("variant", [
    pytest.param(SQL.replace("(1)", "(2)"), id="value"),
    pytest.param(SQL.replace("    id", "  id"), id="indentation"),
    pytest.param(SQL.replace(");\n\n", ");\n"), id="blank-line-inside"),
    pytest.param("-- a comment\n" + SQL, id="comment"),
])
def test_checksum_sees_real_changes(make_scripts, variant):
    assert checksum(make_scripts, {"1_a.sql": variant}) != checksum(make_scripts, {"1_a.sql": SQL})


def test_checksum_covers_every_file_of_a_script(make_scripts):
    plain = checksum(make_scripts, {"1_a.sql": SQL})
    with_down = checksum(make_scripts, {"1_a.sql": SQL, "1_downgrade.sql": "DROP TABLE users;\n"})
    other_down = checksum(make_scripts, {"1_a.sql": SQL, "1_downgrade.sql": "DROP TABLE users2;\n"})
    mixed = {"1_a.py": "def upgrade(c):\n    pass\n", "1_upgrade.sql": SQL}
    mixed_changed = {**mixed, "1_upgrade.sql": SQL.replace("(1)", "(2)")}

    assert len({plain, with_down, other_down}) == 3
    assert checksum(make_scripts, mixed) != checksum(make_scripts, mixed_changed)
    assert len(plain) == 64 and int(plain, 16) >= 0


def test_normalise_text():
    assert normalise_text(b"a  \r\nb\t\rc\n\n \n") == b"a\nb\nc"
    assert normalise_text(b"") == b""


# -- scripts in a package ----------------------------------------------------------------

PACKAGE_FILES = {
    "1_users.sql": SQL, "1_downgrade.sql": "DROP TABLE users;\n",
    "2_tasks.py": "def upgrade(connection):\n    return 'ran'\n",
    "3_tags.py": "def upgrade(connection):\n    pass\n", "3_upgrade.sql": "SELECT 1;\n",
    "README.md": "not a script\n",
}


@pytest.mark.parametrize("zipped", [False, True], ids=["folder", "zip"])
def test_a_package_is_read_through_importlib_resources(make_scripts, make_package, zipped):
    make_package("lg_scripts_app.migration", PACKAGE_FILES, zipped=zipped)
    source = ScriptSource(package="lg_scripts_app.migration")

    scripts = source.find()

    assert str(source) == "package lg_scripts_app.migration"
    assert described(scripts) == [
        ("1", "users", "sql", ["1_downgrade.sql", "1_users.sql"]),
        ("2", "tasks", "py", ["2_tasks.py"]),
        ("3", "tags", "mixed", ["3_tags.py", "3_upgrade.sql"]),
    ]
    # The same files in a plain folder have the same checksums.
    assert [s.checksum for s in scripts] == [s.checksum for s in find(make_scripts(PACKAGE_FILES))]
    module = load_python_script(scripts[1])
    assert module.upgrade(None) == "ran"
    assert module.__file__.endswith("2_tasks.py")
    assert scripts[2].sql_files["upgrade"].read_text(encoding="utf-8") == "SELECT 1;\n"


def test_a_package_s_bytecode_cache_is_ignored(make_package):
    root = make_package("lg_cache_app.migration", {"1_a.sql": ""})
    (root / "lg_cache_app" / "migration" / "__pycache__").mkdir()
    (root / "lg_cache_app" / "migration" / "__pycache__" / "2_b.cpython-311.pyc").write_bytes(b"")

    assert described(ScriptSource(package="lg_cache_app.migration").find()) == [("1", "a", "sql", ["1_a.sql"])]


def test_a_package_that_cannot_be_imported(make_package):
    make_package("lg_there_app.migration", {})

    with pytest.raises(ConfigError, match=r"lg_there_app\.not_there cannot be imported .*pip install"):
        ScriptSource(package="lg_there_app.not_there").find()


def test_a_module_is_not_a_package(make_package):
    make_package("lg_module_app", {"scripts.py": "X = 1\n"})

    with pytest.raises(ConfigError, match="is a module, not a package"):
        ScriptSource(package="lg_module_app.scripts").find()


@pytest.mark.parametrize("package, directory", [(None, None), ("a.b", "migrations")])
def test_scripts_need_exactly_one_home(package, directory):
    with pytest.raises(ConfigError, match="exactly one home"):
        ScriptSource(package, directory)


def test_a_missing_directory(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        ScriptSource(directory=tmp_path / "nowhere").find()


def test_the_test_packages_are_gone_after_their_test():
    assert not [m for m in sys.modules if m.startswith(("lg_scripts_app", "lg_module_app", "lg_cache_app"))]


# -- loading Python scripts ------------------------------------------------------------

def load(make_scripts, source: str):
    (script,) = find(make_scripts({"7_script.py": source}))
    return script, load_python_script(script)


@pytest.mark.parametrize("source, problem", [
    ("def downgrade(connection):\n    pass\n", "has no upgrade function"),
    ("upgrade = 'not a function'\n", "has no upgrade function"),
    ("import os\n\ndef upgrade(connection)\n    pass\n", "line 3: the script is not valid Python"),
    ("import lg_no_such_module\n", "importing the script failed with ModuleNotFoundError"),
    ("raise RuntimeError('at import')\n", "importing the script failed with RuntimeError: at import"),
])
def test_a_python_script_that_cannot_be_used(make_scripts, source, problem):
    with pytest.raises(ScriptLoadError) as info:
        load(make_scripts, source)

    assert problem in str(info.value)
    assert "7_script.py" in str(info.value)
    assert info.value.exit_code == 2


def test_a_python_script_is_loaded_as_its_own_module(make_scripts):
    script, module = load(make_scripts, """
        from __future__ import annotations

        from dataclasses import dataclass


        @dataclass
        class Row:
            id: int
            name: str | None = None


        def upgrade(connection):
            return Row(1)
    """)

    assert module.upgrade(None) == module.Row(1, None)
    assert module.__file__ == str(script.main_file)
    assert module.__name__ not in sys.modules  # nothing left behind


@pytest.mark.parametrize("content", [
    pytest.param(b"\xef\xbb\xbfdef upgrade(connection):\r\n    return 'caf\xc3\xa9'\r\n", id="utf8-bom-crlf"),
    pytest.param(b"# -*- coding: latin-1 -*-\ndef upgrade(connection):\n    return 'caf\xe9'\n", id="latin-1"),
])
def test_a_python_script_is_decoded_as_python_decodes_it(make_scripts, content):
    script, module = load(make_scripts, content)

    assert module.upgrade(None) == "café"


def test_run_sql_file_works_only_inside_a_running_script():
    with pytest.raises(LockgateError, match="only inside a script"):
        run_sql_file(None)


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 7, 64, 1 << 20])
def test_streamed_checksum_normalises_exactly_as_the_whole_file_does(chunk_size):
    import io
    import random

    from lockgate.scripts import normalise_text, normalised_pieces

    rng = random.Random(chunk_size)
    pieces = [b"a", b"b;", b" ", b"\t", b"\r", b"\n", b"\r\n", b"\n\n", b"\xc3\xa9"]
    for _ in range(500):
        data = b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 60)))
        streamed = b"".join(normalised_pieces(io.BytesIO(data), chunk_size))
        assert streamed == normalise_text(data), data
