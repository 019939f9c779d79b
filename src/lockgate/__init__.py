"""lockgate: database schema migrations for SQLAlchemy, one tracked script at a time."""

from .engine import DBMigrator, RunResult, ScriptRun, ScriptState, Status
from .errors import (
    ConfigError,
    DatabaseUnreachableError,
    IrreversibleScriptError,
    LockgateError,
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
    "Status", "ScriptState", "RunResult", "ScriptRun", "AppliedScript",
    "LockgateError", "ConfigError", "ScriptLayoutError", "UnknownVersionError",
    "ScriptLoadError", "DatabaseUnreachableError", "IrreversibleScriptError",
    "ScriptFailedError",
]
