"""What lint reads (a script's statements and allow comments) and what it returns (findings).

A rule is silenced for one statement by a comment in the script,
``-- lockgate: allow RULE_ID because <reason>`` (``# lockgate: ...`` in a
Python script): on its own line it covers the statement that follows (or the
one it sits inside), behind code it covers the statement on that line. An
allow without a reason, or naming no known rule, is itself a finding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

from ..sqlsplit import Statement
from .rules import RULES, UNSILENCEABLE

_ALLOW = re.compile(r"(?:--|#)[ \t]*lockgate:[ \t]*allow\b(?P<rest>[^\n]*)", re.IGNORECASE)
_BECAUSE = re.compile(r"^(?P<ids>.*?)(?:\bbecause\b(?P<reason>.*))?$", re.IGNORECASE)


class Finding(NamedTuple):
    """One statement that breaks one rule, with the file and line to look at."""

    rule: str
    path: str
    line: int
    message: str  # the rule's reason, said of this statement
    statement: str  # the statement, shortened to one line

    def as_dict(self) -> dict:
        rule = RULES[self.rule]
        return {"rule": self.rule, "path": self.path, "line": self.line, "message": self.message,
                "statement": self.statement, "alternative": rule.alternative, "docs": rule.docs}


@dataclass
class LintReport:
    """Findings in file and line order, with what was linted and what could not be."""

    dialect: str = ""
    findings: list[Finding] = field(default_factory=list)
    scripts: list[str] = field(default_factory=list)
    silenced: int = 0
    #: Statements or scripts the rules could not read (unparsable, no database to run a Python script).
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def as_dict(self) -> dict:
        return {"ok": self.ok, "dialect": self.dialect, "scripts": len(self.scripts),
                "silenced": self.silenced, "findings": [f.as_dict() for f in self.findings],
                "notes": self.notes}


@dataclass
class ScriptSQL:
    """The statements of one script as the rules see them.

    ``emitted`` is True for SQL a Python script sent (then each statement's
    line is the line of the Python code that sent it).
    """

    path: str
    statements: list[Statement]
    transactional: bool = True
    emitted: bool = False
    #: statement index -> rule ids allowed there (with a reason).
    allowed: dict[int, set[str]] = field(default_factory=dict)
    #: Findings about the allow comments themselves.
    bad_allows: list[Finding] = field(default_factory=list)


class Allow(NamedTuple):
    line: int
    own_line: bool  # nothing but blanks before the comment on its line
    ids: tuple[str, ...]
    reason: str
    text: str


def find_allows(source: str) -> list[Allow]:
    """Every ``lockgate: allow`` comment of a file (cheap: one search when there is none)."""
    if "allow" not in source:
        return []
    found = []
    for match in _ALLOW.finditer(source):
        start = source.rfind("\n", 0, match.start()) + 1
        head = _BECAUSE.match(match["rest"].strip())
        assert head is not None  # the pattern matches any line
        ids = tuple(i for i in re.split(r"[\s,]+", head["ids"].strip()) if i)
        found.append(Allow(source.count("\n", 0, match.start()) + 1, not source[start:match.start()].strip(),
                           ids, (head["reason"] or "").strip(), match.group(0).strip()))
    return found


def attach_allows(script: ScriptSQL, allows: list[Allow], *, python: bool = False) -> None:
    """Give each allow comment to the statement it covers; judge the comment itself."""
    statements = script.statements
    for allow in allows:
        problem = _allow_problem(allow)
        if problem:
            script.bad_allows.append(Finding("allow-without-reason", script.path, allow.line, problem, allow.text))
            continue
        for index in _covered(statements, allow, python):
            script.allowed.setdefault(index, set()).update(allow.ids)


def _allow_problem(allow: Allow) -> str | None:
    if not allow.ids:
        return "This allow comment names no rule; write `lockgate: allow RULE_ID because <reason>`."
    unknown = [i for i in allow.ids if i not in RULES or i in UNSILENCEABLE]
    if unknown:
        return (f"This allow comment names no known rule ({', '.join(unknown)}); the rules are "
                f"{', '.join(r for r in RULES if r not in UNSILENCEABLE)}.")
    if not allow.reason:
        return (f"This allow comment for {', '.join(allow.ids)} gives no reason; add `because <why it "
                "is safe here>` so a reviewer can judge it.")
    return None


def _covered(statements: list[Statement], allow: Allow, python: bool) -> list[int]:
    if python:  # on the line that sends the SQL, or the line above it
        return [i for i, s in enumerate(statements) if s.line in (allow.line, allow.line + 1)]
    for index, statement in enumerate(statements):
        last = statement.line + statement.text.count("\n")
        if statement.line <= allow.line <= last:
            return [index]
        if allow.own_line and statement.line > allow.line:
            return [index]
    return []
