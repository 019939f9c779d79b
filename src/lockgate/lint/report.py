"""A lint report as lines for people: each finding with its file, line, rule, fix and docs."""

from __future__ import annotations

from .findings import LintReport
from .rules import RULES


def format_report(report: LintReport) -> str:
    """Findings grouped by file, then one summary line."""
    lines = []
    for finding in report.findings:
        rule = RULES[finding.rule]
        lines += [f"{finding.path}:{finding.line}: {finding.rule}: {finding.message}",
                  f"    {finding.statement}",
                  f"    instead: {rule.alternative}",
                  f"    see {rule.docs}"]
    lines.append(summary(report))
    return "\n".join(lines)


def summary(report: LintReport) -> str:
    scripts = len(report.scripts)
    count = len(report.findings)
    silenced = f", {report.silenced} silenced by allow comments or settings" if report.silenced else ""
    found = f"{count} finding{'s' if count != 1 else ''}" if count else "no findings"
    return (f"{found} in {scripts} script{'s' if scripts != 1 else ''} "
            f"(rules for {report.dialect}{silenced}).")
