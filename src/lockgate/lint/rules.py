"""Every lint rule: its id, why it is dangerous, the safe alternative, and its docs anchor.

The ids are what ``-- lockgate: allow RULE_ID because ...`` and the
``lint_allow`` setting name; each anchor is a heading of
docs/howto/zero-downtime.md, which walks through the safe rewrite.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ConfigError

#: The page every rule's docs anchor points into, relative to the project's root.
DOCS_PAGE = "docs/howto/zero-downtime.md"


@dataclass(frozen=True)
class Rule:
    """One rule; ``reason`` and ``alternative`` are single sentences."""

    id: str
    reason: str
    alternative: str

    @property
    def docs(self) -> str:
        return f"{DOCS_PAGE}#{self.id}"


_ALL = (
    Rule("index-without-concurrently",
         "Building or dropping an index without CONCURRENTLY blocks every write to the table "
         "(and a drop every read) until it finishes.",
         "CREATE INDEX CONCURRENTLY / DROP INDEX CONCURRENTLY in a script marked "
         "`-- lockgate: no-transaction`; for a UNIQUE or PRIMARY KEY constraint, build the index "
         "concurrently first and add the constraint USING INDEX."),
    Rule("not-null-column-without-default",
         "ADD COLUMN ... NOT NULL without a default fails on a table with rows, and the code "
         "already deployed does not write the new column.",
         "Add the column nullable (or with a constant DEFAULT), backfill it in batches, then "
         "make it NOT NULL through a validated CHECK."),
    Rule("volatile-default",
         "ADD COLUMN with a volatile default (random(), clock_timestamp(), nextval(), a serial "
         "type) rewrites the whole table under an ACCESS EXCLUSIVE lock.",
         "Add the column without a default (or with a constant one), set the default in a "
         "second statement, and backfill existing rows in batches."),
    Rule("column-type-rewrite",
         "ALTER COLUMN ... TYPE rewrites the table and its indexes under an ACCESS EXCLUSIVE "
         "lock (only widening to text or a longer varchar is free).",
         "Add a new column of the new type, write both from the application, backfill in "
         "batches, then switch reads and drop the old column."),
    Rule("constraint-without-not-valid",
         "ADD FOREIGN KEY or CHECK validates every row while holding a lock that blocks writes "
         "(a foreign key locks the referenced table too).",
         "Add the constraint NOT VALID, then VALIDATE CONSTRAINT in a later statement or script: "
         "validation takes a lock that lets reads and writes go on."),
    Rule("set-not-null-without-check",
         "SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock unless a validated "
         "CHECK (column IS NOT NULL) already proves it.",
         "ADD CONSTRAINT ... CHECK (column IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT, then SET "
         "NOT NULL (PostgreSQL 12+ skips the scan) and drop the CHECK."),
    Rule("rename",
         "Renaming a column or table breaks the application code still running, which uses the "
         "old name, from the moment the script commits.",
         "Add the new column (or a view under the new name), deploy code that uses both, "
         "backfill, then drop the old name in a later release."),
    Rule("drop",
         "Dropping a column or table breaks the application code still running that reads it, "
         "and cannot be undone by a downgrade.",
         "First deploy code that no longer uses it, then drop it in a later script."),
    Rule("missing-lock-timeout",
         "DDL waits for its table lock behind any long query, and every query on that table "
         "queues behind it: without a lock timeout the application stalls.",
         "Set `ddl_lock_timeout` (--ddl-lock-timeout) for the run, or start the script with "
         "SET lock_timeout = '5s', and retry when it times out."),
    Rule("ddl-with-large-dml",
         "DDL and a large UPDATE/DELETE/INSERT ... SELECT in one transaction hold the DDL's lock "
         "until the data change ends.",
         "Put the DDL and the data change in separate scripts, and change data in batches."),
    Rule("concurrently-in-transaction",
         "CONCURRENTLY cannot run inside a transaction block: the script would fail.",
         "Start the SQL file with `-- lockgate: no-transaction` (in a Python script, set "
         "`transaction = False`), and keep the concurrent statement in a script of its own."),
    Rule("alter-without-online-algorithm",
         "This ALTER TABLE may copy the table, blocking writes for as long as the copy takes; "
         "without ALGORITHM and LOCK the server silently picks the copy.",
         "Add ALGORITHM=INSTANT, or ALGORITHM=INPLACE, LOCK=NONE, so the server refuses rather "
         "than locks; for a real copy use an online tool (gh-ost, pt-online-schema-change)."),
    Rule("allow-without-reason",
         "A `lockgate: allow` comment must name known rules and say why, so reviewers can judge it.",
         "Write `-- lockgate: allow RULE_ID because <why it is safe here>`."),
)

#: id -> rule, in the order the docs page walks through them.
RULES: dict[str, Rule] = {rule.id: rule for rule in _ALL}
#: Rules that no allow comment or setting can silence.
UNSILENCEABLE = frozenset({"allow-without-reason"})


def check_allowed(ids, where: str) -> frozenset[str]:
    """Rule ids a project silences, each checked against the rules.

    :raises ConfigError: naming an unknown id and listing the known ones.
    """
    wanted = frozenset(i for i in ids if i)
    unknown = sorted(i for i in wanted if i not in RULES or i in UNSILENCEABLE)
    if unknown:
        known = ", ".join(r for r in RULES if r not in UNSILENCEABLE)
        raise ConfigError(f"{where} names unknown lint rule(s): {', '.join(unknown)}. "
                          f"The rules are: {known}.")
    return wanted
