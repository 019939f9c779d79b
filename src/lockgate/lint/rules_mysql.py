"""MariaDB/MySQL rules, and the rules every database shares (SQLite gets only those).

No parser of MySQL's grammar is at hand, so each statement, as the project's
splitter cut it, is read as tokens: words, quoted names and strings,
punctuation. Only statements whose first words name them (ALTER TABLE, RENAME
TABLE, DROP TABLE, CREATE TABLE) are judged, and only by their clauses' first
words, which the SQL alone decides.
"""

from __future__ import annotations

import re

from .findings import ScriptSQL
from .rules_postgresql import Raw

_TOKEN = re.compile(r"""
    (?P<skip>\s+|--[^\n]*|\#[^\n]*|/\*M?!\d*|\*/|/\*.*?\*/)
  | (?P<word>[A-Za-z_$][\w$]*|\d[\w.]*)
  | (?P<quoted>`(?:[^`]|``)*`|"(?:[^"\\]|\\.|"")*"|'(?:[^'\\]|\\.|'')*'|\[[^\]]*\])
  | (?P<other>.)
""", re.VERBOSE | re.DOTALL)

#: First words of ALTER TABLE clauses that may make the server copy the table.
_COPYING = ("MODIFY", "CHANGE", "CONVERT", "ENGINE", "FORCE", "ORDER", "PARTITION", "REMOVE")
_ONLINE_ALGORITHMS = ("INPLACE", "NOCOPY")


def tokens(text: str) -> list[str]:
    """Words upper-cased, names unquoted (keeping their case), other characters as they are.

    MySQL's executable comments (``/*!40101 ... */``) are read as SQL, as the server does.
    """
    found = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind == "word":
            found.append(match.group().upper())
        elif kind == "quoted":
            value = match.group()
            found.append(value if value[0] == "'" else "\0" + value[1:-1])  # \0 marks a quoted name
        elif kind == "other":
            found.append(match.group())
    return found


def _name(token: str) -> str:
    return token.lstrip("\0").lower()


def _table_after(words: list[str], start: int) -> tuple[str, int]:
    """The table name at ``start`` (schema.table read as table), and the index after it."""
    i = start
    while i < len(words) and words[i] in ("IF", "NOT", "EXISTS", "ONLY"):
        i += 1
    if i >= len(words):
        return "", i
    name, i = words[i], i + 1
    while i + 1 < len(words) and words[i] == ".":
        name, i = words[i + 1], i + 2
    return _name(name), i


def _clauses(words: list[str]) -> list[list[str]]:
    """An ALTER TABLE's clauses: its words after the table name, cut at top-level commas."""
    clauses: list[list[str]] = []
    current: list[str] = []
    depth = 0
    for word in words:
        depth += (word == "(") - (word == ")")
        if word == "," and depth == 0:
            clauses.append(current)
            current = []
        else:
            current.append(word)
    return clauses + [current] if current else clauses


class _Walk:
    def __init__(self, script: ScriptSQL, mysql: bool):
        self.script, self.mysql = script, mysql
        self.created: set[str] = set()
        self.found: list[Raw] = []
        self.dropped: list[tuple[int, list[str]]] = []  # DROP TABLE, judged once the script is read
        self.renamed_to: set[str] = set()

    def finish(self) -> list[Raw]:
        """The findings, with the drops of tables the script did not build again (a rebuild)."""
        for index, names in self.dropped:
            gone = [name for name in names if name not in self.created | self.renamed_to]
            if gone:
                self.found.append(("drop", index, f"DROP TABLE {', '.join(gone)}: code still running may read it."))
        return self.found

    def statement(self, index: int, words: list[str]) -> None:
        head = [w for w in words[:3]]
        if head[:1] == ["CREATE"] and "TABLE" in words[1:3]:
            self.created.add(_table_after(words, words.index("TABLE") + 1)[0])
        elif head[:2] == ["DROP", "TABLE"] or head[:3] == ["DROP", "TEMPORARY", "TABLE"]:
            self._drop_tables(index, words)
        elif head[:2] == ["RENAME", "TABLE"]:
            table, after = _table_after(words, 2)
            self.renamed_to.add(_table_after(words, after + 1)[0])
            if table not in self.created:
                self.found.append(("rename", index, f"RENAME TABLE {table} breaks code that uses the old name."))
        elif head[:1] == ["ALTER"] and "TABLE" in words[1:3]:
            table, after = _table_after(words, words.index("TABLE") + 1)
            clauses = _clauses(words[after:])
            self.renamed_to.update(_name(c[-1]) for c in clauses if c[:1] == ["RENAME"] and c[1:2] in (["TO"], ["AS"]))
            if table and table not in self.created:
                self._alter(index, table, clauses)

    def _drop_tables(self, index: int, words: list[str]) -> None:
        start = words.index("TABLE") + 1
        names = [_name(w) for w in words[start:] if w not in ("IF", "EXISTS", ",", ".", "CASCADE", "RESTRICT")]
        old = [n for n in names if n not in self.created]
        if old:
            self.dropped.append((index, old))

    def _alter(self, index: int, table: str, clauses: list[list[str]]) -> None:
        options = {c[0]: c[-1] for c in clauses if len(c) >= 2 and c[0] in ("ALGORITHM", "LOCK")}
        copying = []
        for clause in clauses:
            rule = _shared_rule(table, clause)
            if rule:
                self.found.append((rule[0], index, rule[1]))
            if self.mysql and _copies(clause):
                copying.append(clause[0])
        online = options.get("ALGORITHM") == "INSTANT" or (
            options.get("ALGORITHM") in _ONLINE_ALGORITHMS and options.get("LOCK") == "NONE")
        if copying and not online:
            self.found.append(("alter-without-online-algorithm", index,
                               f"ALTER TABLE {table} ({', '.join(copying)}) may copy the table while "
                               "blocking writes; no ALGORITHM=INSTANT or INPLACE with LOCK=NONE says otherwise."))


def _shared_rule(table: str, clause: list[str]) -> tuple[str, str] | None:
    """``rename`` or ``drop`` for one ALTER TABLE clause, on any database."""
    words = clause + ["", "", ""]
    if words[0] == "RENAME" and words[1] not in ("INDEX", "KEY"):
        what = "column " + _name(words[2]) if words[1] == "COLUMN" else "table"
        return "rename", f"Renaming {what} of {table} breaks code that uses the old name."
    if words[0] == "CHANGE":
        first = 2 if words[1] == "COLUMN" else 1
        if _name(words[first]) != _name(words[first + 1]):
            return "rename", f"CHANGE renames {table}.{_name(words[first])}, breaking code that uses the old name."
    if words[0] == "DROP" and words[1] not in ("INDEX", "KEY", "PRIMARY", "FOREIGN", "CONSTRAINT", "CHECK",
                                               "PARTITION", "DEFAULT", "UNIQUE", "SYSTEM"):
        column = words[2] if words[1] == "COLUMN" else words[1]
        return "drop", f"Dropping {table}.{_name(column)}: code still running may read it."
    return None


def _copies(clause: list[str]) -> bool:
    """Whether an ALTER TABLE clause may need a copy of the table."""
    first = clause[0] if clause else ""
    if first in _COPYING or first == "ADD" and ("PRIMARY" in clause[:4] or "FOREIGN" in clause[:4]):
        return True
    return first == "DROP" and "PRIMARY" in clause[1:2]


def check(script: ScriptSQL, mysql: bool) -> list[Raw]:
    """The findings of one script: MySQL's rules with ``mysql``, else only those every database shares."""
    walk = _Walk(script, mysql)
    for index, statement in enumerate(script.statements):
        first = statement.text.lstrip()[:6].upper()
        if first.startswith(("ALTER", "DROP", "RENAM", "CREATE", "/*")):
            walk.statement(index, tokens(statement.text))
    return walk.finish()
