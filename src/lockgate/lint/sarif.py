"""A lint report as SARIF 2.1.0, the format GitHub code scanning uploads.

Every rule is described once (id, reason, alternative, docs); each finding is
a result pointing at its file, relative to the current folder when it lies
inside it (the repository root, in CI), and its line.
"""

from __future__ import annotations

import os
from pathlib import Path

from .findings import Finding, LintReport
from .rules import RULES, Rule

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def to_sarif(report: LintReport, *, root: Path | None = None, docs_base: str = "") -> dict:
    """The SARIF log of one lint run.

    :param root: the folder paths are made relative to (default: the current one).
    :param docs_base: prefix of each rule's docs path in ``helpUri`` (a repository's URL ending
        in ``/``), so that the link resolves; without it the docs path stays relative.
    """
    rules = list(RULES.values())
    index = {rule.id: number for number, rule in enumerate(rules)}
    base = root or Path.cwd()
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "lockgate", "informationUri": docs_base + "docs/howto/zero-downtime.md",
                                "rules": [_rule(rule, docs_base) for rule in rules]}},
            "originalUriBaseIds": {"SRCROOT": {"uri": base.resolve().as_uri() + "/"}},
            "results": [_result(finding, index[finding.rule], base) for finding in report.findings],
        }],
    }


def _rule(rule: Rule, docs_base: str) -> dict:
    return {
        "id": rule.id,
        "name": "".join(part.capitalize() for part in rule.id.split("-")),
        "shortDescription": {"text": rule.reason},
        "fullDescription": {"text": f"{rule.reason} Instead: {rule.alternative}"},
        "help": {"text": f"Instead: {rule.alternative} See {rule.docs}.",
                 "markdown": f"**Instead:** {rule.alternative}\n\nSee [{rule.docs}]({docs_base}{rule.docs})."},
        "helpUri": docs_base + rule.docs,
        "defaultConfiguration": {"level": "error"},
    }


def _result(finding: Finding, rule_index: int, base: Path) -> dict:
    return {
        "ruleId": finding.rule,
        "ruleIndex": rule_index,
        "level": "error",
        "message": {"text": f"{finding.message} Instead: {RULES[finding.rule].alternative}"},
        "locations": [{"physicalLocation": {
            "artifactLocation": _artifact(finding.path, base),
            "region": {"startLine": max(finding.line, 1)},
        }}],
    }


def _artifact(path: str, base: Path) -> dict:
    absolute = Path(path).resolve()
    try:
        relative = os.path.relpath(absolute, base.resolve())
    except ValueError:  # another drive (Windows)
        relative = ".."
    if relative.startswith(".."):
        return {"uri": absolute.as_uri()}
    return {"uri": Path(relative).as_posix(), "uriBaseId": "SRCROOT"}
