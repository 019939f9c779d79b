"""Finding migration scripts in a package or a folder, and reading them.

A script is ``<version>_<title>.sql`` (with an optional ``<version>_downgrade.sql``)
or ``<version>_<title>.py``; a ``.py`` script beside ``<version>_upgrade.sql`` /
``<version>_downgrade.sql`` is a *mixed* script that runs those files itself.
Discovery only lists and classifies files: nothing is imported or hashed until
the engine needs it, so reading the status of a large folder stays cheap.
"""

from __future__ import annotations

import codecs
import hashlib
import importlib
import importlib.resources
import os
import re
import sys
import tokenize
import types
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
if sys.version_info >= (3, 11):
    from importlib.resources.abc import Traversable
else:  # Python 3.10
    from importlib.abc import Traversable
from pathlib import Path

from .errors import ConfigError, ScriptEncodingError, ScriptLayoutError, ScriptLoadError

#: The tracking table's version column is VARCHAR(40): a longer version (leading
#: zeros aside, as versions are numbers) could never be recorded.
MAX_VERSION_DIGITS = 40
#: One regex decides what looks like a script: leading digits, then the rest.
SCRIPT_NAME = re.compile(r"^(?P<version>\d+)(?P<rest>.*)\.(?P<ext>sql|py)\Z")
_TITLE = re.compile(r"^_(?P<title>.+)$")
NO_TRANSACTION = "no-transaction"
_IGNORED_SUFFIXES = ("~", ".pyc", ".pyo", ".bak", ".orig", ".swp", ".rej", ".tmp")
#: Notes for people may sit beside the scripts: READMEs and text files are never scripts.
_DOCUMENT_SUFFIXES = (".md", ".txt", ".rst")
#: Files an operating system or a packaging tool leaves in any folder.
_IGNORED_NAMES = frozenset({"Thumbs.db", "desktop.ini", "py.typed"})
#: A file meant as a script whatever the case of its extension.
#: Flyway's naming: V<version>__<title> (U for undo, R for repeatable, no version).
_FLYWAY = re.compile(r"^(?P<kind>[VUR])(?P<version>[\d._]*)__(?P<title>.+)\.(?P<ext>sql|py)\Z", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
#: What a script name looks like, for messages about one that does not.
SCRIPT_EXAMPLE = "<version>_<title>.sql or .py, e.g. 20240131120000_add_users.sql"

KIND_SQL = "sql"
KIND_PY = "py"
KIND_MIXED = "mixed"


@dataclass
class Script:
    """One migration script: its version, title, kind and the files behind it."""

    version: str
    title: str
    kind: str
    main_file: Traversable
    sql_files: dict[str, Traversable] = field(default_factory=dict)

    @property
    def number(self) -> int:
        return int(self.version)

    @property
    def file_names(self) -> list[str]:
        return [self.main_file.name] + [f.name for f in self.sql_files.values()]

    @cached_property
    def checksum(self) -> str:
        """SHA-256 of the script's files, blind to line endings and trailing blanks.

        Changing CRLF to LF or trimming trailing whitespace must not look like
        an edited script, so each file is normalised before hashing.
        """
        digest = hashlib.sha256()
        for role, item in [("main", self.main_file)] + sorted(self.sql_files.items()):
            digest.update(role.encode() + b"\0")
            with item.open("rb") as stream:  # streamed: a data load may be gigabytes
                for piece in normalised_pieces(stream, _chunk_for(item)):
                    digest.update(piece)
            digest.update(b"\0")
        return digest.hexdigest()

    @property
    def has_downgrade(self) -> bool:
        """Whether a downgrade exists, judged without importing Python scripts."""
        if self.kind == KIND_SQL:
            return "downgrade" in self.sql_files
        source = self.main_file.read_bytes().decode("utf-8", errors="replace")
        return re.search(r"^def downgrade\s*\(", source, re.MULTILINE) is not None

    @property
    def folder(self) -> Path | None:
        """The folder on disk holding the script, when it is on disk (for version control)."""
        return self.main_file.parent if isinstance(self.main_file, Path) else None

    def describe(self) -> str:
        return f"{self.version} ({self.main_file.name})"


class ScriptList(list):
    """Scripts in version order, and what discovery noticed without refusing it.

    :attr:`warnings` holds sentences for people (the command line prints them
    as warnings): files that are neither a script, nor a file of one, nor a
    note, and that no Python script names. Data for callers, never printed here.
    """

    def __init__(self, scripts: Iterable[Script] = (), warnings: Iterable[str] = ()) -> None:
        super().__init__(scripts)
        self.warnings: list[str] = list(warnings)


def _chunk_for(item, largest: int = 1 << 20) -> int:
    """A read size fit for the file: small files in one read of their own size."""
    try:
        return max(1, min(largest, os.path.getsize(item) + 1))
    except (OSError, TypeError):  # a resource inside a zip file
        return largest


def normalised_pieces(stream, chunk_size: int = 1 << 20):
    """:func:`normalise_text` of a binary stream, in pieces, holding one chunk at a time."""
    tail, blanks, first = b"", 0, True
    while True:
        chunk = stream.read(chunk_size)
        data = tail + chunk
        if not data:
            return
        lines = data.splitlines(keepends=True)
        # The last line may continue in the next chunk (or be a CR whose LF follows).
        tail = lines.pop() if chunk and not lines[-1].endswith(b"\n") else b""
        for line in lines:
            line = line.rstrip()
            if not line:
                blanks += 1
                continue
            yield (b"" if first else b"\n") + b"\n" * blanks + line
            first, blanks = False, 0
        if not chunk:
            return


def normalise_text(data: bytes) -> bytes:
    """Line endings to LF, trailing whitespace and trailing blank lines dropped."""
    lines = [line.rstrip() for line in data.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return b"\n".join(lines)


class ScriptSource:
    """Where scripts live: a package (read through importlib.resources) or a folder."""

    def __init__(self, package: str | None = None, directory: str | Path | None = None):
        if bool(package) == bool(directory):
            raise ConfigError(
                "Scripts need exactly one home: set `package = your.migration` "
                "(a Python package) or `directory = path/to/scripts`, not both and not neither."
            )
        self.package = package
        self.directory = Path(directory) if directory else None
        #: The discovery warnings of the latest :meth:`find` (see :class:`ScriptList`).
        self.warnings: list[str] = []

    def __str__(self) -> str:
        return f"package {self.package}" if self.package else f"directory {self.directory}"

    def root(self) -> Traversable:
        if self.directory is not None:
            if not self.directory.is_dir():
                raise ConfigError(
                    f"The script directory {self.directory} does not exist. Create it, "
                    "or point `directory` (or --directory) at the folder that holds your scripts."
                )
            return self.directory
        package = str(self.package)  # __init__ made sure one of the two is set
        try:
            module = importlib.import_module(package)
        except ImportError as exc:
            raise ConfigError(
                f"The script package {self.package} cannot be imported ({exc}). Install the "
                "application that contains it (e.g. `pip install -e .`), or use `directory = "
                "path/to/scripts` instead of `package`."
            ) from exc
        if not hasattr(module, "__path__"):
            raise ConfigError(
                f"{self.package} is a module, not a package: scripts live in a package "
                "folder with an __init__.py."
            )
        return importlib.resources.files(package)

    def find(self) -> ScriptList:
        """Every script in version order; all naming problems raised together.

        Files that are no script but may rightly be there are kept in
        :attr:`warnings` (and on the returned list) rather than refused.
        """
        root = self.root()
        if isinstance(root, Path):
            # scandir knows each entry's type without a stat call per file.
            with os.scandir(root) as entries:
                found = classify(list(entries), str(self))
        else:
            found = classify(root.iterdir(), str(self))
        self.warnings = found.warnings
        return found


def is_ignored(name: str) -> bool:
    """Files that may sit among the scripts without being one: backups, dotfiles, READMEs, notes.

    Everything else in a script folder must be a script or belong to one, so
    that a misnamed script is reported instead of silently never running.
    """
    return (name.startswith((".", "_", "#")) or name.endswith(_IGNORED_SUFFIXES)
            or name.lower().endswith(_DOCUMENT_SUFFIXES) or name.upper().startswith("README")
            or name in _IGNORED_NAMES)


def misnamed(name: str) -> str | None:
    """Why a file that was surely meant as a script is not one, and the rename that fixes it.

    Such a file would never run, and nobody would notice. None for a file that
    may rightly sit beside the scripts.
    """
    if _CONTROL.search(name):
        return (f"{name!r}: the file name holds a line break or another control character; "
                f"rename it to a plain script name ({SCRIPT_EXAMPLE})")
    flyway = _FLYWAY.match(name)
    if flyway:
        return _flyway_advice(name, flyway)
    stem, _, ext = name.rpartition(".")
    if ext.lower() in ("sql", "py") and ext != ext.lower() and SCRIPT_NAME.match(f"{stem}.{ext.lower()}"):
        return f"{name}: the extension must be lower-case: rename it {stem}.{ext.lower()}"
    # Anything else may stay: a .sql file without a version is a file a mixed
    # script runs with run_sql_file(), and notes of any kind are no scripts.
    return None


def _flyway_advice(name: str, match: re.Match) -> str:
    """The lockgate name for a file named the Flyway way (V1__init.sql)."""
    kind, version, title, ext = match["kind"].upper(), match["version"], match["title"], match["ext"].lower()
    if kind == "R" or not version.isdigit():
        what = "repeatable migration, which lockgate does not have" if kind == "R" else "migration"
        return (f"{name} looks like a Flyway {what}: lockgate versions are whole numbers, so give it "
                f"one, e.g. 20240131120000_{title}.{ext}")
    if kind == "U":
        return (f"{name} looks like a Flyway undo migration: rename it {version}_downgrade.sql "
                f"(the downgrade of {version}_<title>.sql)")
    return f"{name} looks like a Flyway migration: rename it {version}_{title}.{ext}"


def classify(items, where: str) -> ScriptList:
    """Group files into scripts; collect every rule broken before raising.

    A file that was surely meant as a script but breaks the naming rules (see
    :func:`misnamed`) is a problem, since it would otherwise never run without
    a word. Names alone decide: nothing is read, and a folder listing needs no
    stat per file. Other files that are neither scripts nor notes become one
    warning, unless a Python script names them (see :func:`stray_warnings`).
    """
    problems: list[str] = []
    strays: list[str] = []
    mains: dict[int, list[tuple[str, str, Traversable]]] = {}
    extras: dict[int, dict[str, Traversable]] = {}
    for item in sorted(items, key=lambda i: i.name):
        name = item.name
        if is_ignored(name) or not item.is_file():
            continue
        match = None if _CONTROL.search(name) else SCRIPT_NAME.match(name)
        if not match:
            problem = misnamed(name)
            if problem:
                problems.append(problem)
            else:
                strays.append(name)
            continue
        digits = match["version"].lstrip("0") or "0"
        if len(digits) > MAX_VERSION_DIGITS:
            # Checked before int(), which refuses more than 4300 digits (a zip file's names may have them).
            problems.append(f"{name}: its version has {len(digits)} digits, but the tracking table holds "
                            f"at most {MAX_VERSION_DIGITS}; use a shorter one, such as a timestamp "
                            "like 20240131120000")
            continue
        number, rest, ext = int(digits), match["rest"], match["ext"]
        if isinstance(item, os.DirEntry):
            item = Path(item.path)
        if ext == "sql" and rest in ("_upgrade", "_downgrade"):
            role = rest[1:]
            if role in extras.get(number, {}):
                problems.append(f"{name} and {extras[number][role].name} are both the {role} of version {number}")
            extras.setdefault(number, {})[role] = item
            continue
        titled = _TITLE.match(rest)
        if not titled or not titled["title"].strip("_"):
            problems.append(f"{name}: a script needs a title after the version, like {match['version']}_add_users.{ext}")
            continue
        mains.setdefault(number, []).append((titled["title"], ext, item))

    scripts = []
    for number in sorted(set(mains) | set(extras)):
        found = mains.get(number, [])
        sql_files = extras.get(number, {})
        if len(found) > 1:
            names = ", ".join(item.name for _, _, item in found)
            hint = " (a Python script that runs SQL files names them <version>_upgrade.sql / <version>_downgrade.sql)"
            problems.append(f"version {number} has {len(found)} scripts: {names}{hint if any(e == 'py' for _, e, _ in found) else ''}")
            continue
        if not found:
            names = ", ".join(f.name for f in sql_files.values())
            problems.append(f"{names}: no script with version {number} to belong to")
            continue
        title, ext, item = found[0]
        if ext == "sql" and "upgrade" in sql_files:
            problems.append(
                f"{sql_files['upgrade'].name}: an _upgrade.sql file belongs to a Python script, "
                f"but version {number} is the SQL script {item.name}"
            )
            continue
        kind = KIND_SQL if ext == "sql" else (KIND_MIXED if sql_files else KIND_PY)
        scripts.append(Script(str(number), title, kind, item, sql_files))
    if problems:
        raise ScriptLayoutError(problems, where)
    return ScriptList(scripts, stray_warnings(strays, scripts, where))


#: A warning names this many stray files at most: one line, even for a crowded folder.
_STRAYS_NAMED = 10


def stray_warnings(strays: list[str], scripts: list[Script], where: str) -> list[str]:
    """One warning naming the files that lockgate never runs and no Python script names.

    A versionless ``.sql`` file may be data that a mixed script runs with
    ``run_sql_file(connection, "seed.sql")``, and a CSV file one a script
    reads: such a file is fine when a Python script's source names it. Python
    scripts are read only when there are such files, so a tidy folder costs
    nothing.
    """
    if not strays:
        return []
    sources = [s.main_file.read_bytes().decode("utf-8", errors="replace")
               for s in scripts if s.kind != KIND_SQL]
    unnamed = [name for name in strays if not _named_in(name, sources)]
    if not unnamed:
        return []
    n, shown = len(unnamed), ", ".join(unnamed[:_STRAYS_NAMED])
    if n > _STRAYS_NAMED:
        shown += f" and {n - _STRAYS_NAMED} more"
    return [f"{n} file{'s' if n != 1 else ''} in {where} {'are' if n != 1 else 'is'} not "
            f"{'scripts' if n != 1 else 'a script'}, so lockgate never runs {'them' if n != 1 else 'it'}: "
            f"{shown}. A script is named {SCRIPT_EXAMPLE}. A data file may stay; files "
            "that a Python script names (run_sql_file(connection, \"seed.sql\")) are not listed here."]


def _named_in(name: str, sources: list[str]) -> bool:
    """Whether a Python script's source names the file (or imports it, for a .py helper)."""
    stem, _, ext = name.rpartition(".")
    helper = re.compile(rf"\b{re.escape(stem)}\b") if ext == "py" and stem.isidentifier() else None
    return any(name in source or (helper is not None and helper.search(source)) for source in sources)


#: Bytes read at a time when checking a file's encoding: bounded memory for a data load.
_ENCODING_CHUNK = 1 << 20


def check_encoding(script: Script) -> None:
    """Refuse a script any of whose files cannot be decoded, before anything runs.

    SQL files are read as UTF-8 while they run, so a Latin-1 byte in a data
    load would otherwise stop the run in the middle, after earlier scripts
    committed. A Python file is checked in the encoding its coding line
    declares, as Python will read it.

    :raises ScriptEncodingError: naming the file, line and byte offset.
    """
    items = [script.main_file] + [script.sql_files[role] for role in sorted(script.sql_files)]
    for item in items:
        check_utf8(item, _declared_encoding(item) if item.name.endswith(".py") else "utf-8")


def check_utf8(item: Traversable, encoding: str = "utf-8") -> None:
    """Decode a file in chunks, holding one at a time; raise where the first bad byte is.

    ASCII chunks, the bulk of most SQL, are skipped without decoding. A UTF-8
    byte order mark is valid UTF-8, so files saved with one pass.

    :raises ScriptEncodingError: naming the file, line and byte offset.
    """
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0  # bytes handed to the decoder so far
    with item.open("rb") as stream:
        while True:
            chunk = stream.read(_ENCODING_CHUNK)
            pending = decoder.getstate()[0]  # an unfinished character from the previous chunk
            if chunk and not pending and chunk.isascii():
                offset += len(chunk)
                continue
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                raise _encoding_error(item, offset - len(pending) + exc.start, exc, encoding) from None
            if not chunk:
                return
            offset += len(chunk)


def _declared_encoding(item: Traversable) -> str:
    """The encoding Python reads a source file in: its coding line's, else UTF-8."""
    with item.open("rb") as stream:
        try:
            encoding, _ = tokenize.detect_encoding(stream.readline)
        except SyntaxError:  # an unknown codec or bad bytes in the first lines: check as UTF-8
            return "utf-8"
    return "utf-8" if encoding == "utf-8-sig" else encoding


def _encoding_error(item: Traversable, offset: int, exc: UnicodeDecodeError, encoding: str) -> ScriptEncodingError:
    """Where the bad byte is, as a person finds it: line, column and the text before it."""
    with item.open("rb") as stream:
        before = stream.read(offset)
        bad = stream.read(1)
    line = before.count(b"\n") + 1
    start = before.rfind(b"\n") + 1
    column = offset - start + 1
    context = before[start:][-40:].decode(encoding, errors="replace").strip()
    near = f" after {context!r}" if context else " at the start of the line"
    declared = "UTF-8" if encoding == "utf-8" else f"{encoding}, as its coding line declares"
    return ScriptEncodingError(
        f"{item}, line {line}, column {column}: byte 0x{bad.hex().upper()} at offset {offset}{near} "
        f"is not valid {declared} ({exc.reason}). lockgate reads scripts as UTF-8; the file was "
        "probably saved as Latin-1 or Windows-1252. Re-save it as UTF-8 (in the editor, or with "
        f"`iconv -f latin1 -t utf-8`), then run the command again; nothing was run.",
        path=str(item), offset=offset, line=line)


def load_python_script(script: Script) -> types.ModuleType:
    """Import a ``.py`` script by its source, so scripts inside wheels work too."""
    item = script.main_file
    filename = str(item)
    try:
        # Bytes, as an import reads them: a UTF-8 BOM or a coding declaration is honoured.
        code = compile(item.read_bytes(), filename, "exec")
        module = types.ModuleType(f"lockgate_script_{script.version}")
        module.__file__ = filename
        # Registered while it runs, as an import would: dataclasses and SQLAlchemy's
        # declarative look the module up in sys.modules to resolve string annotations.
        previous = sys.modules.get(module.__name__)
        sys.modules[module.__name__] = module
        try:
            exec(code, module.__dict__)
        finally:
            if previous is None:
                sys.modules.pop(module.__name__, None)
            else:
                sys.modules[module.__name__] = previous
    except SyntaxError as exc:
        raise ScriptLoadError(
            f"{filename}, line {exc.lineno}: the script is not valid Python ({exc.msg}). "
            "Fix it and run the command again; nothing was run."
        ) from exc
    except Exception as exc:
        raise ScriptLoadError(
            f"{filename}: importing the script failed with {type(exc).__name__}: {exc}. "
            "Fix it and run the command again; nothing was run."
        ) from exc
    if not callable(getattr(module, "upgrade", None)):
        raise ScriptLoadError(
            f"{filename} has no upgrade function. A Python script defines "
            "`def upgrade(connection): ...` and, to be reversible, `def downgrade(connection): ...`."
        )
    return module
