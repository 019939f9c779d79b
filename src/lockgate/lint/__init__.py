"""``lockgate lint``: the statements of scripts that would lock or break a live database.

Rules read PostgreSQL through its own parser (pglast, the ``lint`` extra) and
MariaDB/MySQL and SQLite token by token; Python scripts are judged by the SQL
they send, watched while they run on a scratch database. The library returns a
:class:`LintReport`; the command line renders it as text, JSON or SARIF.
"""

from __future__ import annotations

from .findings import Finding, LintReport
from .linter import lint_files, lint_project
from .rules import RULES, Rule

__all__ = ["Finding", "LintReport", "RULES", "Rule", "lint_files", "lint_project"]
