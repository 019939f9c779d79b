"""lockgate: database schema migrations for SQLAlchemy, one tracked script at a time.

Names are imported on first use, so ``import lockgate`` (as the pytest plugin
and the command line do) costs nothing until the engine is needed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"

_WHERE = {
    "DBMigrator": "engine", "RunResult": "engine", "ScriptRun": "engine",
    "Status": "run.planning", "ScriptState": "run.planning", "Verification": "run.planning",
    "run_sql_file": "run.statements", "MetaDataSetUp": "schema.setups", "SQLFileSetUp": "schema.setups",
    "AppliedScript": "records", "Fleet": "fleet", "Target": "fleet",
    **dict.fromkeys([
        "LockgateError", "ConfigError", "ScriptLayoutError", "UnknownVersionError",
        "ScriptLoadError", "DatabaseUnreachableError", "IrreversibleScriptError",
        "ScriptFailedError", "LockTimeoutError", "HalfMigratedError", "DriftError",
        "AuthoringError"], "errors"),
}

__all__ = list(_WHERE)


def __getattr__(name: str):
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'lockgate' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)


if TYPE_CHECKING:  # for type checkers and editors
    from .engine import DBMigrator, RunResult, ScriptRun  # noqa: F401
    from .errors import *  # noqa: F401,F403
    from .run.statements import run_sql_file  # noqa: F401
    from .run.planning import ScriptState, Status, Verification  # noqa: F401
    from .schema.setups import MetaDataSetUp, SQLFileSetUp  # noqa: F401
    from .records import AppliedScript  # noqa: F401
    from .fleet import Fleet, Target  # noqa: F401
