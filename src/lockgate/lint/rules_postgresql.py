"""PostgreSQL rules, read from PostgreSQL's own syntax tree (pglast).

Each statement is parsed on its own, as the splitter cut it, so every finding
has its line. A table created earlier in the same script is new: nothing
reads it yet, so locking it is safe and its statements are not judged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from .findings import ScriptSQL

#: Functions whose value differs per row: as a column default they make PostgreSQL rewrite the table.
VOLATILE = frozenset({"random", "gen_random_uuid", "uuid_generate_v1", "uuid_generate_v1mc", "uuid_generate_v4",
                      "clock_timestamp", "timeofday", "nextval", "random_normal", "uuidv4", "uuidv7"})
SERIAL_TYPES = frozenset({"serial", "bigserial", "smallserial", "serial4", "serial8", "serial2"})
#: Target types that an ALTER COLUMN TYPE can reach without a rewrite (from varchar).
FREE_TYPES = frozenset({"text", "varchar", "citext"})
# Driver placeholders in SQL a Python script sent: psycopg's %(name)s / %s, SQLite's ? and :name.
_PLACEHOLDER = re.compile(r"%\(\w+\)s|%s|\?|(?<![:\w]):\w+")

Raw = tuple[str, int, str]  # rule id, statement index, message


@dataclass
class RunState:
    """What earlier scripts of one lint run proved: NOT NULL checks validated, by (table, column)."""

    lock_timeout: bool = False  # set for the whole run (ddl_lock_timeout)
    proven: set[tuple[str, str]] = field(default_factory=set)
    unvalidated: dict[str, tuple[str, str]] = field(default_factory=dict)  # NOT VALID check -> (table, column)


def parse(text: str, emitted: bool) -> list[dict]:
    """PostgreSQL's syntax tree of one text, as pglast's JSON (plain dicts: many times faster than its objects).

    SQL that a driver was sent may hold placeholders, read as NULL.

    :raises pglast.parser.ParseError: when PostgreSQL could not parse it either.
    """
    from pglast.parser import ParseError, parse_sql_json

    try:
        tree = json.loads(parse_sql_json(text))
    except ParseError:
        if not emitted:
            raise
        tree = json.loads(parse_sql_json(_PLACEHOLDER.sub("NULL", text)))
    return [raw["stmt"] for raw in tree.get("stmts", ())]


def _node(wrapped: dict | None) -> tuple[str, dict]:
    """(node type, its fields) of one ``{"Type": {...}}`` dict."""
    if not wrapped:
        return "", {}
    return next(iter(wrapped.items()))


class _Script:
    """One script's walk: what it created, set, locked and changed so far."""

    def __init__(self, script: ScriptSQL, run: RunState):
        self.script, self.run = script, run
        self.created: set[str] = set()
        self.created_indexes: set[str] = set()
        self.timeout = run.lock_timeout
        self.locking: list[tuple[int, str]] = []  # (statement index, what) of DDL on existing tables
        self.large_dml: list[tuple[int, str]] = []
        self.found: list[Raw] = []
        self.dropped: list[tuple[int, list[str]]] = []  # DROP TABLE, judged once the script is read
        self.renamed_to: set[str] = set()

    def existing(self, relation: dict | None) -> bool:
        return bool(relation) and relation["relname"] not in self.created  # type: ignore[index]

    def flag(self, rule: str, index: int, message: str) -> None:
        self.found.append((rule, index, message))

    def lock(self, index: int, what: str) -> None:
        if not self.timeout and not self.locking:
            self.flag("missing-lock-timeout", index,
                      f"{what} takes a lock on a table in use, and no lock timeout is set for it.")
        self.locking.append((index, what))


def check(script: ScriptSQL, run: RunState, notes: list[str]) -> list[Raw]:
    """Every rule's findings in one script, as (rule id, statement index, message)."""
    from pglast.parser import ParseError

    walk = _Script(script, run)
    for index, statement in enumerate(script.statements):
        if not _JUDGED.match(statement.text):
            if _SET_CONFIG.search(statement.text):
                walk.timeout = True
            continue
        try:
            nodes = parse(statement.text, script.emitted)
        except ParseError as exc:
            notes.append(f"{script.path}, line {statement.line}: not linted, PostgreSQL's parser "
                         f"cannot read it ({exc}).")
            continue
        for wrapped in nodes:
            kind, node = _node(wrapped)
            handler = _HANDLERS.get(kind)
            if handler is not None:
                handler(walk, index, node, kind)
    for index, names in walk.dropped:
        gone = [name for name in names if name.rpartition(".")[2] not in walk.created | walk.renamed_to]
        if gone:  # a table dropped and built again under its name (a rebuild) stays
            walk.flag("drop", index, f"DROP TABLE {', '.join(gone)}: code still running may read it.")
    if script.transactional and walk.locking and walk.large_dml:
        (ddl_index, ddl), (dml_index, dml) = walk.locking[0], walk.large_dml[0]
        ddl_line = script.statements[ddl_index].line
        walk.flag("ddl-with-large-dml", dml_index,
                  f"{dml} runs in the same transaction as {ddl} (line {ddl_line}), whose lock it "
                  "keeps until it ends.")
    return walk.found


# A lock timeout set through a function: SELECT set_config('lock_timeout', '5s', false).
_SET_CONFIG = re.compile(r"set_config\s*\(\s*'lock_timeout'\s*,\s*'(?!0')", re.IGNORECASE)
#: Statements any rule reads start with one of these words (after comments); others are not parsed.
_JUDGED = re.compile(r"(?:\s|--[^\n]*\n|/\*.*?\*/)*(?:ALTER|CREATE|DROP|SET|UPDATE|DELETE|INSERT|REINDEX|WITH)\b",
                     re.IGNORECASE | re.DOTALL)


def _name(relation: dict) -> str:
    schema = relation.get("schemaname")
    return f"{schema}.{relation['relname']}" if schema else relation["relname"]


def _strings(items) -> list[str]:
    return [_node(item)[1].get("sval", "") for item in items or ()]


def _type_name(type_name: dict) -> str:
    names = _strings(type_name.get("names"))
    return _TYPE_WORDS.get(names[-1], names[-1]) if names else ""


_TYPE_WORDS = {"int8": "bigint", "int4": "integer", "int2": "smallint", "bool": "boolean",
               "float8": "double precision", "float4": "real", "bpchar": "char"}


def _create_table(walk: _Script, index: int, node: dict, kind: str) -> None:
    walk.created.add(node["relation"]["relname"])
    for element in node.get("tableElts", ()):
        element_kind, body = _node(element)
        constraints = [body] if element_kind == "Constraint" else [
            _node(c)[1] for c in body.get("constraints", ())]
        for constraint in constraints:
            if constraint.get("contype") == "CONSTR_FOREIGN" and walk.existing(constraint.get("pktable")):
                walk.lock(index, f"CREATE TABLE {_name(node['relation'])} referencing "
                                 f"{_name(constraint['pktable'])}")


def _create_table_as(walk: _Script, index: int, node: dict, kind: str) -> None:
    walk.created.add(node["into"]["rel"]["relname"])


def _index(walk: _Script, index: int, node: dict, kind: str) -> None:
    name = node.get("idxname", "")
    if name:
        walk.created_indexes.add(name)
    if node.get("concurrent"):
        _concurrently(walk, index, f"CREATE INDEX CONCURRENTLY {name}".rstrip())
    elif walk.existing(node.get("relation")):
        table = _name(node["relation"])
        walk.flag("index-without-concurrently", index,
                  f"CREATE INDEX on {table} blocks writes to it until the index is built.")
        walk.lock(index, f"CREATE INDEX on {table}")


def _concurrently(walk: _Script, index: int, what: str) -> None:
    if walk.script.transactional:
        walk.flag("concurrently-in-transaction", index,
                  f"{what} cannot run in the transaction this script runs in; the script would fail.")


def _drop(walk: _Script, index: int, node: dict, kind: str) -> None:
    removing = node.get("removeType")
    if removing not in ("OBJECT_INDEX", "OBJECT_TABLE"):
        return
    names = [".".join(_strings(_node(obj)[1].get("items"))) for obj in node.get("objects", ())]
    if removing == "OBJECT_INDEX":
        if node.get("concurrent"):
            _concurrently(walk, index, "DROP INDEX CONCURRENTLY")
        elif any(name.rpartition(".")[2] not in walk.created_indexes for name in names):
            walk.flag("index-without-concurrently", index,
                      f"DROP INDEX {', '.join(names)} blocks reads and writes of its table until it ends.")
            walk.lock(index, f"DROP INDEX {', '.join(names)}")
        return
    old = [name for name in names if name.rpartition(".")[2] not in walk.created]
    if old:
        walk.dropped.append((index, old))
        walk.lock(index, f"DROP TABLE {', '.join(old)}")


def _rename(walk: _Script, index: int, node: dict, kind: str) -> None:
    renaming = node.get("renameType")
    if renaming == "OBJECT_TABLE":
        walk.renamed_to.add(node.get("newname", ""))
    if renaming not in ("OBJECT_COLUMN", "OBJECT_TABLE") or not walk.existing(node.get("relation")):
        return
    table = _name(node["relation"])
    what = f"column {node.get('subname')} of {table}" if renaming == "OBJECT_COLUMN" else f"table {table}"
    walk.flag("rename", index, f"Renaming {what} to {node.get('newname')} breaks code that uses the old name.")
    walk.lock(index, f"RENAME of {what}")


def _set(walk: _Script, index: int, node: dict, kind: str) -> None:
    if node.get("name", "").lower() != "lock_timeout":
        return
    values = []
    for arg in node.get("args", ()):
        const = _node(arg)[1]
        value = const.get("sval", const.get("ival", {}))
        values.append(_node(value)[1] if isinstance(value, dict) and value else value)
    walk.timeout = any(v not in ({}, 0, "0", "") for v in values)


def _update_or_delete(walk: _Script, index: int, node: dict, kind: str) -> None:
    if "whereClause" not in node and walk.existing(node.get("relation")):
        verb = "UPDATE" if kind == "UpdateStmt" else "DELETE"
        walk.large_dml.append((index, f"{verb} of every row of {_name(node['relation'])}"))


def _insert(walk: _Script, index: int, node: dict, kind: str) -> None:
    select = _node(node.get("selectStmt"))[1]
    if select.get("fromClause"):
        walk.large_dml.append((index, f"INSERT INTO {_name(node['relation'])} ... SELECT"))


def _trigger(walk: _Script, index: int, node: dict, kind: str) -> None:
    if walk.existing(node.get("relation")):
        walk.lock(index, f"CREATE TRIGGER on {_name(node['relation'])}")


def _alter_table(walk: _Script, index: int, node: dict, kind: str) -> None:
    if node.get("objtype") != "OBJECT_TABLE" or not walk.existing(node.get("relation")):
        return
    table = _name(node["relation"])
    walk.lock(index, f"ALTER TABLE {table}")
    for cmd in node.get("cmds", ()):
        for rule, message in _alter_command(walk, node["relation"]["relname"], table, _node(cmd)[1]):
            walk.flag(rule, index, message)


def _alter_command(walk: _Script, relname: str, table: str, cmd: dict) -> Iterator[tuple[str, str]]:
    kind, name, definition = cmd.get("subtype"), cmd.get("name", ""), _node(cmd.get("def"))[1]
    if kind == "AT_AddColumn":
        yield from _add_column(table, definition)
    elif kind == "AT_AlterColumnType":
        target = _type_name(definition.get("typeName", {}))
        if "raw_default" in definition or target not in FREE_TYPES:
            yield ("column-type-rewrite",
                   f"Changing {table}.{name} to {target} rewrites the table and its indexes.")
    elif kind == "AT_AddConstraint":
        yield from _add_constraint(walk, relname, table, definition)
    elif kind == "AT_ValidateConstraint" and name in walk.run.unvalidated:
        walk.run.proven.add(walk.run.unvalidated.pop(name))
    elif kind == "AT_SetNotNull" and (relname, name) not in walk.run.proven:
        yield ("set-not-null-without-check",
               f"SET NOT NULL on {table}.{name} scans the table under an ACCESS EXCLUSIVE lock.")
    elif kind == "AT_DropColumn":
        yield "drop", f"Dropping {table}.{name}: code still running may read it."


def _add_column(table: str, column: dict) -> Iterator[tuple[str, str]]:
    constraints = {c["contype"]: c for c in (_node(item)[1] for item in column.get("constraints", ()))}
    type_name, name = _type_name(column.get("typeName", {})), column.get("colname")
    default = constraints.get("CONSTR_DEFAULT")
    if type_name in SERIAL_TYPES or "CONSTR_IDENTITY" in constraints or "CONSTR_GENERATED" in constraints:
        yield ("volatile-default",
               f"Adding {table}.{name} as {type_name}, identity or generated column fills every row, "
               "rewriting the table.")
    elif default is not None and _volatile(default.get("raw_expr")):
        yield "volatile-default", f"The default of {table}.{name} differs per row, so every row is rewritten."
    elif default is None and (column.get("is_not_null") or "CONSTR_NOTNULL" in constraints
                              or "CONSTR_PRIMARY" in constraints):
        yield ("not-null-column-without-default",
               f"{table}.{name} is NOT NULL without a default: it fails on a table with rows.")


def _volatile(expression) -> bool:
    """Whether an expression calls a function whose value differs per row."""
    if isinstance(expression, dict):
        call = expression.get("FuncCall")
        if call is not None and (_strings(call.get("funcname")) or [""])[-1].lower() in VOLATILE:
            return True
        return any(_volatile(value) for value in expression.values())
    if isinstance(expression, list):
        return any(_volatile(value) for value in expression)
    return False


def _add_constraint(walk: _Script, relname: str, table: str, constraint: dict) -> Iterator[tuple[str, str]]:
    kind, name = constraint.get("contype"), constraint.get("conname", "")
    if kind in ("CONSTR_FOREIGN", "CONSTR_CHECK"):
        column = _not_null_check(constraint)
        if constraint.get("skip_validation"):
            if column and name:
                walk.run.unvalidated[name] = (relname, column)
            return
        if column:
            walk.run.proven.add((relname, column))
        what = "FOREIGN KEY" if kind == "CONSTR_FOREIGN" else "CHECK"
        yield ("constraint-without-not-valid",
               f"ADD {what} {name} checks every row of {table} while blocking writes.".replace("  ", " "))
    elif kind in ("CONSTR_PRIMARY", "CONSTR_UNIQUE") and "indexname" not in constraint:
        what = "PRIMARY KEY" if kind == "CONSTR_PRIMARY" else "UNIQUE"
        yield "index-without-concurrently", f"ADD {what} on {table} builds its index while blocking writes."


def _not_null_check(constraint: dict) -> str | None:
    """The column of a ``CHECK (column IS NOT NULL)``, else None."""
    kind, test = _node(constraint.get("raw_expr"))
    if kind != "NullTest" or test.get("nulltesttype") != "IS_NOT_NULL":
        return None
    fields = _strings(_node(test.get("arg"))[1].get("fields"))
    return fields[-1] if fields else None


def _reindex(walk: _Script, index: int, node: dict, kind: str) -> None:
    if any(_node(param)[1].get("defname") == "concurrently" for param in node.get("params", ())):
        _concurrently(walk, index, "REINDEX CONCURRENTLY")


_HANDLERS = {
    "CreateStmt": _create_table,
    "CreateTableAsStmt": _create_table_as,
    "IndexStmt": _index,
    "DropStmt": _drop,
    "RenameStmt": _rename,
    "VariableSetStmt": _set,
    "UpdateStmt": _update_or_delete,
    "DeleteStmt": _update_or_delete,
    "InsertStmt": _insert,
    "CreateTrigStmt": _trigger,
    "AlterTableStmt": _alter_table,
    "ReindexStmt": _reindex,
}
