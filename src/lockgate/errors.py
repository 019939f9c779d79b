"""Every error lockgate raises on purpose, under one root.

The command line turns these into a one-paragraph message and an exit code,
without a traceback; anything else reaching it is a bug.

    LockgateError                 exit 1 unless a subclass says otherwise
    ├── ConfigError               exit 2: settings missing or wrong
    │   └── PermissionDeniedError exit 2: the database refused a privilege (or SQLite a write)
    ├── ScriptLayoutError         exit 2: files that break the naming rules
    ├── ScriptEncodingError       exit 2: a script file that is not UTF-8
    ├── UnknownVersionError       exit 2: a version no script has
    ├── ScriptLoadError           exit 2: a Python script that cannot be used
    ├── TransactionControlError   exit 2: a SQL script would end its own transaction
    ├── AuthoringError            exit 2: add_script cannot create the new script
    ├── DatabaseUnreachableError  exit 3: cannot connect
    │   └── ConnectionLostError   exit 3: the server went away in the middle of a command
    ├── LockTimeoutError          exit 4: another run held the migration lock too long
    │   └── DatabaseBusyError     exit 4: another process held SQLite's write lock too long
    ├── LockLostError             exit 4: this run lost the migration lock and stopped
    ├── HalfMigratedError         exit 5: an earlier run stopped inside a script (MariaDB/MySQL)
    ├── IrreversibleScriptError   exit 1: a downgrade was asked of a script without one
    ├── DriftError                exit 1: applied scripts changed on disk (upgrade --strict)
    ├── ScriptFailedError         exit 1: a script raised or its SQL failed
    ├── TrackingConflictError     exit 1 (5 where DDL may have committed): a tracking row
    │                             was not in the state this run expected
    └── ScratchDatabaseError      exit 3: a check's throwaway database cannot be made
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .records import RunResult


class LockgateError(Exception):
    """Root of lockgate's errors; ``exit_code`` is what the command line exits with."""

    exit_code = 1
    #: What a run had done when it stopped on this error (set by the engine), else None.
    completed: RunResult | None = None


class ConfigError(LockgateError):
    """The configuration is missing something or names something that does not exist."""

    exit_code = 2


class ScriptLayoutError(LockgateError):
    """Files in the script folder break the naming rules; lists every problem at once."""

    exit_code = 2

    def __init__(self, problems: list[str], where: str):
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(
            f"The scripts in {where} break the naming rules, so nothing was run:\n"
            f"{lines}\n"
            "Rename or remove these files (a script is <version>_<title>.sql or .py, "
            "one script per version), then run the command again."
        )


class UnknownVersionError(LockgateError):
    """A version was asked for that no script has."""

    exit_code = 2


class ScriptLoadError(LockgateError):
    """A Python script could not be imported or lacks ``upgrade``."""

    exit_code = 2


class AuthoringError(LockgateError):
    """A new script cannot be created: bad title, unwritable folder, missing tool; nothing was left behind."""

    exit_code = 2


class DatabaseUnreachableError(LockgateError):
    """The database did not accept a connection."""

    exit_code = 3


class LockTimeoutError(LockgateError):
    """Another migrator held the lock for longer than the lock timeout."""

    exit_code = 4


class HalfMigratedError(LockgateError):
    """A script was started and never finished on a database without transactional DDL."""

    exit_code = 5


class IrreversibleScriptError(LockgateError):
    """A downgrade was asked of a script that has none."""


class DriftError(LockgateError):
    """Applied scripts differ from their files on disk, and strictness was asked for."""


class ScriptFailedError(LockgateError):
    """A script raised or one of its statements failed; its transaction was rolled back."""

    def __init__(self, message: str, *, version: str, path: str | None = None,
                 line: int | None = None, partial: bool = False):
        self.version = version
        self.path = path
        self.line = line
        self.partial = partial
        super().__init__(message)


class ScratchDatabaseError(LockgateError):
    """A throwaway database for ``lockgate test`` could not be created or dropped."""

    exit_code = 3


class LockLostError(LockgateError):
    """The run lock was lost during a run (its session ended); the run stopped at once."""

    exit_code = 4


class TrackingConflictError(LockgateError):
    """A tracking row was not in the state this run expected, so something else changed it."""

    def __init__(self, message: str, *, version: str = "", expected: str = "", partial: bool = False):
        self.version, self.expected, self.partial = version, expected, partial
        self.exit_code = 5 if partial else 1
        super().__init__(message)


class PermissionDeniedError(ConfigError):
    """The database refused lockgate a privilege (or SQLite a write): fixed by a grant or another role."""


class ScriptEncodingError(LockgateError):
    """A script file is not UTF-8 (or not the encoding its coding line declares); nothing was run."""

    exit_code = 2

    def __init__(self, message: str, *, path: str, offset: int, line: int):
        self.path, self.offset, self.line = path, offset, line
        super().__init__(message)


class ConnectionLostError(DatabaseUnreachableError):
    """The connection to the database was lost in the middle of a command; the statement in progress was rolled back.

    A run that meets it adds which of its scripts committed before the loss;
    ``partial`` is set when the unfinished script's journal row was already
    committed (MariaDB/MySQL), so the next run stops on it.
    """

    exit_code = 3
    partial = False


class DatabaseBusyError(LockTimeoutError):
    """Another process held a write lock on the SQLite database for longer than the lock timeout."""


class TransactionControlError(LockgateError):
    """A transactional script holds a statement that would end or escape its transaction.

    :ivar path: the script file, as given to the check.
    :ivar line: 1-based line of the offending statement.
    :ivar keyword: the statement's leading keyword(s) as written, shortened.
    """

    exit_code = 2

    def __init__(self, message: str, *, path: str, line: int, keyword: str):
        self.path = path
        self.line = line
        self.keyword = keyword
        super().__init__(message)
