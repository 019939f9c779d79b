"""lockgate: database schema migrations for SQLAlchemy, one tracked script at a time."""

from .engine import DBMigrator, RunResult, ScriptRun
from .planning import ScriptState, Status, Verification
from .errors import (
    AuthoringError,
    ConfigError,
    DatabaseUnreachableError,
    DriftError,
    HalfMigratedError,
    IrreversibleScriptError,
    LockgateError,
    LockTimeoutError,
    ScriptFailedError,
    ScriptLayoutError,
    ScriptLoadError,
    UnknownVersionError,
)
from .execution import run_sql_file
from .setups import MetaDataSetUp, SQLFileSetUp
from .tracking import AppliedScript

__version__ = "0.1.0"

__all__ = [
    "DBMigrator", "MetaDataSetUp", "SQLFileSetUp", "run_sql_file",
    "Status", "ScriptState", "Verification", "RunResult", "ScriptRun", "AppliedScript",
    "LockgateError", "ConfigError", "ScriptLayoutError", "UnknownVersionError",
    "ScriptLoadError", "DatabaseUnreachableError", "IrreversibleScriptError",
    "ScriptFailedError", "LockTimeoutError", "HalfMigratedError", "DriftError", "AuthoringError",
]
