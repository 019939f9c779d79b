"""``add_script``: new script files, version control, schema_diff_cmd, editor, bad input.

No database is needed here except where a created script is run on SQLite to
prove the templates are valid scripts.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from clihelpers import assert_clean_error, cli, console_script, isolated_cli, migrate, run_process  # noqa: F401
from helpers import make_package  # noqa: F401  (fixture)
from lockgate import DBMigrator
from lockgate.authoring.new_script import INSTALLED_HINT, _write_all, add_script, slugify
from lockgate.config import Settings
from lockgate.errors import AuthoringError

NOW = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)


@pytest.fixture
def project(tmp_path):
    """An ini file beside an empty script folder, on SQLite; returns the ini path."""
    (tmp_path / "scripts").mkdir()
    ini = tmp_path / "development.ini"
    ini.write_text("[lockgate]\nurl = sqlite:///%(here)s/app.db\ndirectory = scripts\n", encoding="utf-8")
    return ini


def files_in(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def git(*args, cwd):
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout


@pytest.mark.parametrize("title, slug", [
    ("Add users", "add_users"),
    ("add users; rm -rf /", "add_users_rm_rf"),
    ("$(touch pwned) `id`", "touch_pwned_id"),
    ("  Créer   l'index -- vite!  ", "creer_l_index_vite"),
    ("x" * 100, "x" * 60),
])
def test_slug_is_safe_lowercase_and_short(title, slug):
    assert slugify(title) == slug


@pytest.mark.parametrize("kind, names", [
    ("sql", ["20260102030405_add_users.sql", "20260102030405_downgrade.sql"]),
    ("py", ["20260102030405_add_users.py"]),
    ("mixed", ["20260102030405_add_users.py", "20260102030405_downgrade.sql", "20260102030405_upgrade.sql"]),
])
def test_each_type_creates_scripts_that_run_both_ways(tmp_path, kind, names):
    folder = tmp_path / "scripts"
    folder.mkdir()
    url = f"sqlite:///{tmp_path / 'app.db'}"
    created = add_script(Settings(url=url, directory=str(folder)), "Add users", kind=kind, now=NOW)
    assert sorted(p.name for p in created.paths) == names == files_in(folder)
    assert created.version == "20260102030405"
    assert any("no `vcs` is configured" in note for note in created.notes)
    text = "".join(p.read_text() for p in created.paths)
    assert "CREATE TABLE example (id INTEGER PRIMARY KEY" in text  # the SQLite example
    migrator = DBMigrator(url, directory=folder)
    try:
        assert [s.kind for s in migrator.scripts()] == [kind]
        assert [r.version for r in migrator.upgrade().runs] == ["20260102030405"]
        assert [r.version for r in migrator.downgrade().runs] == ["20260102030405"]
    finally:
        migrator.engine.dispose()


def test_examples_follow_the_dialect(tmp_path):
    folder = tmp_path / "scripts"
    folder.mkdir()
    created = add_script(Settings(url="postgresql://u@h/db", directory=str(folder)), "t", now=NOW)
    assert "BIGSERIAL" in created.paths[0].read_text()
    created = add_script(Settings(url="mysql+pymysql://u@h/db", directory=str(folder)), "t", now=NOW)
    assert "AUTO_INCREMENT" in created.paths[0].read_text()


def test_taken_version_moves_to_the_next_free_second(tmp_path):
    folder = tmp_path / "scripts"
    folder.mkdir()
    settings = Settings(directory=str(folder))
    versions = [add_script(settings, f"s{i}", now=NOW).version for i in range(3)]
    assert versions == ["20260102030405", "20260102030406", "20260102030407"]


def test_two_cli_calls_within_one_second_give_two_versions(capsys, project):
    first = cli(capsys, "-c", project, "add_script", "one")
    second = cli(capsys, "-c", project, "add_script", "two")
    assert first.code == second.code == 0, str(second)
    paths = first.out.split() + second.out.split()
    versions = {os.path.basename(p).split("_")[0] for p in paths if p.endswith(".sql")}
    assert len(versions) == 2
    assert all(os.path.isfile(p) for p in paths if p.startswith("/"))


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_title_with_shell_characters_is_just_a_title_in_git(capsys, tmp_path, project):
    git("init", "-q", cwd=tmp_path)
    project.write_text(project.read_text() + "vcs = git\n", encoding="utf-8")
    result = migrate(capsys, project, "add_script", "add users; rm -rf / $(touch pwned) `touch pwned2`")
    assert result.code == 0, str(result)
    assert "Added to git." in result.out
    names = files_in(tmp_path / "scripts")
    assert len(names) == 2 and names[0].endswith("_add_users_rm_rf_touch_pwned_touch_pwned2.sql")
    status = git("status", "--porcelain", cwd=tmp_path).splitlines()
    assert sorted(line for line in status if line.startswith("A ")) == [f"A  scripts/{n}" for n in names]
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "scripts" / "pwned").exists()
    assert not (tmp_path / "pwned2").exists()


def test_outside_a_repository_the_files_are_still_created(capsys, tmp_path, project):
    project.write_text(project.read_text() + "vcs = git\n", encoding="utf-8")
    if shutil.which("git") and subprocess.run(["git", "-C", str(tmp_path), "rev-parse"],
                                              capture_output=True).returncode == 0:
        pytest.skip("tmp_path is inside a git repository")
    result = cli(capsys, "-c", project, "add_script", "loose")
    assert result.code == 0, str(result)
    assert "Not added to git" in result.out
    assert len(files_in(tmp_path / "scripts")) == 2


def test_schema_diff_cmd_output_becomes_comments_run_from_the_ini_folder(capsys, tmp_path, project):
    command = f"{sys.executable} -c \"import os; print('ALTER TABLE x; -- in', os.getcwd())\""
    project.write_text(project.read_text() + f"schema_diff_cmd = {command}\n", encoding="utf-8")
    result = cli(capsys, "-c", project, "add_script", "diffed")
    assert result.code == 0, str(result)
    upgrade = next(p for p in result.out.split() if p.endswith("_diffed.sql"))
    text = Path(upgrade).read_text()
    assert f"-- ALTER TABLE x; -- in {tmp_path}\n" in text


def test_failing_schema_diff_cmd_is_reported_and_the_script_created(capsys, tmp_path, project):
    command = f"{sys.executable} -c \"import sys; sys.exit('no diff tool here')\""
    project.write_text(project.read_text() + f"schema_diff_cmd = {command}\n", encoding="utf-8")
    result = cli(capsys, "-c", project, "add_script", "diffed")
    assert result.code == 0, str(result)
    assert "warning: schema_diff_cmd exited with 1: no diff tool here" in result.err
    assert len(files_in(tmp_path / "scripts")) == 2


def test_editor_never_opens_without_a_terminal(capsys, tmp_path, project, monkeypatch):
    marker = tmp_path / "edited"
    monkeypatch.setenv("EDITOR", f"{sys.executable} -c \"open('{marker}', 'w')\"")
    project.write_text(project.read_text() + "edit = true\n", encoding="utf-8")
    result = cli(capsys, "-c", project, "add_script", "quiet", "--edit")
    assert result.code == 0, str(result)
    assert "standard input is not a terminal" in result.out
    assert not marker.exists()


def test_seed_console_script_add_migration_script(tmp_path, project):
    result = run_process([console_script("add_migration_script"), "from the seed", project], cwd=tmp_path)
    assert result.code == 0, str(result)
    assert any(name.endswith("_from_the_seed.sql") for name in files_in(tmp_path / "scripts"))


# -- bad input ---------------------------------------------------------------


@pytest.mark.parametrize("title, fragment", [("", "The title is empty"), ("   ", "The title is empty"),
                                             ("--- !!! ---", "has no letters or digits")])
def test_bad_titles_are_refused_and_leave_nothing(capsys, tmp_path, project, title, fragment):
    result = cli(capsys, "-c", project, "add_script", "--", title)
    assert_clean_error(result, 2, fragment)
    assert files_in(tmp_path / "scripts") == []


def test_unknown_type_is_a_usage_error(capsys, tmp_path, project):
    result = cli(capsys, "-c", project, "add_script", "t", "--type", "yaml")
    assert result.code == 2
    assert "invalid choice: 'yaml'" in result.err
    assert files_in(tmp_path / "scripts") == []


def test_zipped_package_cannot_be_written(capsys, make_package):
    make_package("zipped_app.migration", {"1_a.sql": "SELECT 1;\n"}, zipped=True)
    result = cli(capsys, "--package", "zipped_app.migration", "add_script", "new")
    assert_clean_error(result, 2, INSTALLED_HINT)


def test_site_packages_package_cannot_be_written(capsys, tmp_path, monkeypatch):
    root = tmp_path / "lib" / "site-packages"
    (root / "installed_app" / "migration").mkdir(parents=True)
    (root / "installed_app" / "__init__.py").write_text("")
    (root / "installed_app" / "migration" / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(root))
    try:
        with pytest.raises(AuthoringError, match=INSTALLED_HINT):
            add_script(Settings(package="installed_app.migration"), "new")
    finally:
        for name in [m for m in sys.modules if m.startswith("installed_app")]:
            del sys.modules[name]
    # __pycache__ is Python's own, from importing the package, where writing bytecode is on.
    written = (root / "installed_app" / "migration").iterdir()
    assert sorted(p.name for p in written if p.name != "__pycache__") == ["__init__.py"]


def test_package_in_a_folder_is_written(tmp_path, make_package):
    root = make_package("editable_app.migration", {})
    created = add_script(Settings(package="editable_app.migration"), "new", now=NOW)
    assert created.paths[0].parent == root / "editable_app" / "migration"


def test_unwritable_folder_is_refused(capsys, tmp_path, project):
    folder = tmp_path / "scripts"
    folder.chmod(0o555)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("running as root: permissions do not stop writes (see the write-failure test)")
        result = cli(capsys, "-c", project, "add_script", "nope")
        assert_clean_error(result, 2, "not writable")
        assert files_in(folder) == []
    finally:
        folder.chmod(0o755)


def test_a_failed_write_removes_the_files_already_written(tmp_path):
    with pytest.raises(AuthoringError, match="nothing was left behind"):
        _write_all(tmp_path, {"1_a.sql": "SELECT 1;\n", "missing/1_downgrade.sql": "SELECT 2;\n"})
    assert files_in(tmp_path) == []


def test_models_that_do_not_import_are_refused_and_leave_nothing(capsys, tmp_path, project):
    project.write_text(project.read_text() + "models = no_such_models_pkg.models:Base\n", encoding="utf-8")
    result = cli(capsys, "-c", project, "add_script", "synced")
    assert_clean_error(result, 2, "no_such_models_pkg.models:Base cannot be imported")
    assert files_in(tmp_path / "scripts") == []


def test_models_module_that_raises_is_refused(capsys, tmp_path, project, monkeypatch):
    (tmp_path / "broken_models_mod.py").write_text("raise RuntimeError('boom')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    project.write_text(project.read_text() + "models = broken_models_mod:Base\n", encoding="utf-8")
    result = cli(capsys, "-c", project, "add_script", "synced")
    assert_clean_error(result, 2, "RuntimeError: boom")
    assert files_in(tmp_path / "scripts") == []
