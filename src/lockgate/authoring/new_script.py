"""Creating a new script: ``lockgate add_script TITLE``.

The seed's ``add_migration_script`` built shell commands by string formatting,
so a title with ``;`` ran. Here every outside program (version control,
``schema_diff_cmd``, the editor) is run as an argument list, never through a
shell, and the files are written all or nothing: when anything fails, the files
already written are removed.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shlex
import shutil
import subprocess
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import AuthoringError

TYPES = ("sql", "py", "mixed")
SLUG_LENGTH = 60
VERSION_FORMAT = "%Y%m%d%H%M%S"
INSTALLED_HINT = "cannot write into an installed package; use --directory or install in editable mode"

#: Short examples per dialect, commented out in new SQL files.
EXAMPLES = {
    "postgresql": (["CREATE TABLE example (id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL);",
                    "ALTER TABLE example ADD COLUMN created_at TIMESTAMPTZ NOT NULL DEFAULT now();",
                    "CREATE INDEX ix_example_name ON example (name);"],
                   ["DROP INDEX ix_example_name;", "DROP TABLE example;"]),
    "mysql": (["CREATE TABLE example (id BIGINT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) NOT NULL) ENGINE=InnoDB;",
               "ALTER TABLE example ADD COLUMN created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP;",
               "CREATE INDEX ix_example_name ON example (name);"],
              ["DROP INDEX ix_example_name ON example;", "DROP TABLE example;"]),
    "sqlite": (["CREATE TABLE example (id INTEGER PRIMARY KEY, name TEXT NOT NULL);",
                "ALTER TABLE example ADD COLUMN created_at TEXT;",
                "CREATE INDEX ix_example_name ON example (name);"],
               ["DROP INDEX ix_example_name;", "DROP TABLE example;"]),
    "": (["CREATE TABLE example (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(100) NOT NULL);",
          "CREATE INDEX ix_example_name ON example (name);"],
         ["DROP INDEX ix_example_name;", "DROP TABLE example;"]),
}

TEMPLATES = {
    "sql_upgrade": "-- {title}\n-- Upgrade: statements end with \";\". Examples ({dialect}):\n{examples}\n{body}",
    "sql_downgrade": "-- Downgrade of {name}: undo the upgrade, newest change first. Examples:\n{examples}\n{body}",
    "py": ('{docstring}\n\nfrom sqlalchemy import text\n\n\n'
           'def upgrade(connection):\n'
           '    # connection is a SQLAlchemy Connection in the script\'s transaction, e.g.\n'
           '    # connection.execute(text("{example_up}"))\n{body}    pass\n\n\n'
           'def downgrade(connection):\n'
           '    # connection.execute(text("{example_down}"))\n    pass\n'),
    "mixed": ('{docstring}\n\nfrom lockgate import run_sql_file\n\n\n'
              'def upgrade(connection):\n    # runs {version}_upgrade.sql\n    run_sql_file(connection)\n\n\n'
              'def downgrade(connection):\n    # runs {version}_downgrade.sql\n'
              '    run_sql_file(connection, "downgrade")\n'),
}


@dataclass
class NewScript:
    """The files ``add_script`` created, and what happened around them."""

    version: str
    paths: list[Path]
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def slugify(title: str) -> str:
    """``"Add users; rm -rf /"`` -> ``"add_users_rm_rf"``: safe in a file name on any system.

    :raises AuthoringError: for an empty title, or one with no letters or digits.
    """
    if not title or not title.strip():
        raise AuthoringError("The title is empty. Give the script a title, e.g. "
                             "`lockgate add_script \"add users table\"`.")
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "_", ascii_title.lower()).strip("_")
    slug = slug[:SLUG_LENGTH].rstrip("_")
    if not slug:
        raise AuthoringError(f"The title {title!r} has no letters or digits to name the file "
                             "after. Use a title with some, e.g. \"add users table\".")
    return slug


def script_folder(settings) -> Path:
    """The folder on disk where new scripts go; refuses installed (zipped or site-packages) packages."""
    from ..scripts import ScriptSource

    source = ScriptSource(settings.package, settings.directory)
    root = source.root()
    if not isinstance(root, Path):
        raise AuthoringError(f"The script package {settings.package} is read from {root}, not from "
                             f"a folder: {INSTALLED_HINT}.")
    if {"site-packages", "dist-packages"} & set(root.parts):
        raise AuthoringError(f"The script package {settings.package} is installed in {root}: "
                             f"{INSTALLED_HINT}.")
    return root


def dialect_name(settings, shadow_url=None) -> str:
    """The dialect the templates are for (``""`` when no database is configured)."""
    from ..dialects import sql_dialect_for_url

    return sql_dialect_for_url(shadow_url or settings.url)


def add_script(settings, title: str, *, kind: str = "sql", shadow_url=None, edit: bool = False,
               now: dt.datetime | None = None) -> NewScript:
    """Create a new script in the configured package or directory.

    The schema delta (``models``) and the output of ``schema_diff_cmd`` are
    gathered before anything is written, so a failure there leaves no files.

    :param kind: ``sql``, ``py`` or ``mixed``.
    :raises AuthoringError: bad title or type, unwritable or installed folder.
    """
    if kind not in TYPES:
        raise AuthoringError(f"Unknown script type {kind!r}: use one of {', '.join(TYPES)}.")
    slug = slugify(title)
    folder = script_folder(settings)
    if not os.access(folder, os.W_OK):
        raise AuthoringError(f"The script folder {folder} is not writable. Fix its permissions, "
                             "or use --directory with a folder you can write to.")
    result = NewScript("", [])
    body_up, body_down = _gather_delta(settings, shadow_url, result)
    version = (now or dt.datetime.now(dt.timezone.utc)).strftime(VERSION_FORMAT)
    dialect = dialect_name(settings, shadow_url)
    while True:
        version = _next_free(folder, version)
        files = _render(kind, version, slug, title, dialect, body_up, body_down)
        try:
            written = _write_all(folder, files)
            break
        except FileExistsError:  # another add_script took this version meanwhile
            version = _bump(version)
    result.version, result.paths = version, written
    if edit or settings.edit:
        result.notes.append(open_editor(written))
    if settings.vcs or _first_script(folder, written):
        # Without `vcs` the note is news once, not on every script of the project.
        result.notes.append(vcs_add(settings.vcs, folder, written))
    return result


def _first_script(folder: Path, written: list[Path]) -> bool:
    """Whether the folder held no script before the files just written."""
    from ..scripts import SCRIPT_NAME

    new = {path.name for path in written}
    return not any(SCRIPT_NAME.match(name) for name in os.listdir(folder) if name not in new)


def _gather_delta(settings, shadow_url, result: NewScript) -> tuple[str, str]:
    """SQL for the new script's upgrade and downgrade: the models' delta and the diff command's output."""
    up, down = "", ""
    if settings.models:
        from ..schema.modeldiff import schema_delta

        delta = schema_delta(settings, shadow_url=shadow_url)
        if delta.empty:
            result.notes.append("The models match the schema the scripts produce: no delta to add.")
        else:
            n = len(delta.differences)
            result.notes.append(f"Added the models' delta ({n} change{'s' if n != 1 else ''}); review it.")
            up = "-- Delta from the models (" + settings.models + "):\n" + delta.upgrade_sql
            down = "-- Reverses the delta from the models:\n" + delta.downgrade_sql
    if settings.schema_diff_cmd:
        output = run_schema_diff(settings.schema_diff_cmd, settings.here, result.warnings)
        if output:
            lines = "".join(f"-- {line}\n" for line in output.splitlines())
            up += f"-- Output of schema_diff_cmd; turn it into statements:\n{lines}"
    return up, down


def run_schema_diff(command: str, here, warnings: list[str]) -> str | None:
    """Run ``schema_diff_cmd`` as an argument list from the ini file's folder; None when it fails."""
    try:
        args = shlex.split(command)
        done = subprocess.run(args, cwd=str(here), capture_output=True, text=True, timeout=300, check=False)
    except (ValueError, OSError, subprocess.SubprocessError) as exc:
        warnings.append(f"schema_diff_cmd could not run ({exc}); the script was created without its output.")
        return None
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        warnings.append(f"schema_diff_cmd exited with {done.returncode}"
                        f"{': ' + detail[0] if detail else ''}; the script was created without its output.")
        return None
    return done.stdout


def _render(kind, version, slug, title, dialect, body_up, body_down) -> dict[str, str]:
    ups, downs = EXAMPLES.get(dialect, EXAMPLES[""])
    one_line = " ".join(title.split())
    main = f"{version}_{slug}"
    sql_up = TEMPLATES["sql_upgrade"].format(
        title=one_line, dialect=dialect or "generic SQL", examples=_commented(ups), body=body_up)
    sql_down = TEMPLATES["sql_downgrade"].format(name=main, examples=_commented(downs), body=body_down)
    if kind == "sql":
        return {f"{main}.sql": sql_up, f"{version}_downgrade.sql": sql_down}
    docstring = repr(one_line)
    if kind == "mixed":
        return {f"{main}.py": TEMPLATES["mixed"].format(docstring=docstring, version=version),
                f"{version}_upgrade.sql": sql_up, f"{version}_downgrade.sql": sql_down}
    body = "".join(f"    # {line}\n" for line in body_up.splitlines() if line.strip())
    if body:
        body = "    # The delta, as SQL (use --type sql or mixed to get it as a runnable file):\n" + body
    return {f"{main}.py": TEMPLATES["py"].format(
        docstring=docstring, example_up=ups[0].rstrip(";").replace('"', "'"),
        example_down=downs[-1].rstrip(";"), body=body)}


def _commented(lines: list[str]) -> str:
    return "".join(f"-- {line}\n" for line in lines)


def _next_free(folder: Path, version: str) -> str:
    """``version``, or the next second that no file in ``folder`` uses yet."""
    taken = {m.group(1) for m in (re.match(r"^(\d+)[_.]", n) for n in os.listdir(folder)) if m}
    while version in taken:
        version = _bump(version)
    return version


def _bump(version: str) -> str:
    moment = dt.datetime.strptime(version, VERSION_FORMAT) + dt.timedelta(seconds=1)
    return moment.strftime(VERSION_FORMAT)


def _write_all(folder: Path, files: dict[str, str]) -> list[Path]:
    """Create every file or none: exclusive creation, and removal of the written ones on failure."""
    written: list[Path] = []
    try:
        for name, content in files.items():
            path = folder / name
            with open(path, "x", encoding="utf-8", newline="\n") as handle:
                written.append(path)
                handle.write(content)
    except BaseException as exc:
        for path in written:
            path.unlink(missing_ok=True)
        if isinstance(exc, FileExistsError) or not isinstance(exc, OSError):
            raise
        raise AuthoringError(f"Cannot write the new script into {folder} ({exc.strerror}); nothing "
                             "was left behind. Fix the folder's permissions, or use --directory "
                             "with a folder you can write to.") from exc
    return written


def vcs_add(vcs: str | None, folder: Path, paths: list[Path]) -> str:
    """Add the new files to git or hg, as an argument list; say what happened either way."""
    if not vcs:
        return ("Not added to version control: no `vcs` is configured (set vcs = git or hg to have "
                "add_script add new scripts; said at a folder's first script only).")
    if vcs not in ("git", "hg"):
        return f"Not added to version control: vcs = {vcs} is not supported (use git or hg)."
    if shutil.which(vcs) is None:
        return f"Not added to version control: {vcs} is not installed."
    try:
        done = subprocess.run([vcs, "add", "--", *[str(p) for p in paths]], cwd=str(folder),
                              capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"Not added to {vcs}: {exc}."
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        return f"Not added to {vcs} (not in a repository?): {detail[0] if detail else done.returncode}."
    return f"Added to {vcs}."


def open_editor(paths: list[Path], environ=None) -> str:
    """Open ``$VISUAL``/``$EDITOR`` on the files, only when a person is at the terminal."""
    environ = os.environ if environ is None else environ
    if not sys.stdin or not sys.stdin.isatty():
        return "Not opening an editor: standard input is not a terminal."
    command = environ.get("VISUAL") or environ.get("EDITOR")
    if not command:
        return "Not opening an editor: set $VISUAL or $EDITOR."
    try:
        subprocess.run([*shlex.split(command), *[str(p) for p in paths]], check=False)
    except (ValueError, OSError) as exc:
        return f"The editor {command!r} could not be started: {exc}."
    return "Edited."
