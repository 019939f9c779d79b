"""PostgreSQL rules, read from PostgreSQL's own syntax tree (pglast).

Each statement is parsed on its own, as the splitter cut it, so every finding
has its line. A table created earlier in the same script is new: nothing
reads it yet, so locking it is safe and its statements are not judged.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

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


def parse(text: str, emitted: bool):
    """pglast's statements of one text; SQL a driver was sent may hold placeholders.

    :raises pglast.parser.ParseError: when PostgreSQL could not parse it either.
    """
    from pglast import parse_sql
    from pglast.parser import ParseError

    try:
        return [raw.stmt for raw in parse_sql(text)]
    except ParseError:
        if not emitted:
            raise
        return [raw.stmt for raw in parse_sql(_PLACEHOLDER.sub("NULL", text))]


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

    def existing(self, relation) -> bool:
        return relation is not None and relation.relname not in self.created

    def flag(self, rule: str, index: int, message: str) -> None:
        self.found.append((rule, index, message))

    def lock(self, index: int, what: str) -> None:
        if not self.timeout and not self.locking:
            self.flag("missing-lock-timeout", index,
                      f"{what} takes a lock on a table in use, and no lock timeout is set for it.")
        self.locking.append((index, what))


def check(script: ScriptSQL, run: RunState, notes: list[str]) -> list[Raw]:
    """Every rule's findings in one script, as (rule id, statement index, message)."""
    from pglast import ast
    from pglast.parser import ParseError

    walk = _Script(script, run)
    for index, statement in enumerate(script.statements):
        try:
            nodes = parse(statement.text, script.emitted)
        except ParseError as exc:
            notes.append(f"{script.path}, line {statement.line}: not linted, PostgreSQL's parser "
                         f"cannot read it ({exc}).")
            continue
        for node in nodes:
            handler = _HANDLERS.get(type(node).__name__)
            if handler is not None:
                handler(walk, index, node, ast)
    if script.transactional and walk.locking and walk.large_dml:
        (ddl_index, ddl), (dml_index, dml) = walk.locking[0], walk.large_dml[0]
        ddl_line = script.statements[ddl_index].line
        walk.flag("ddl-with-large-dml", dml_index,
                  f"{dml} runs in the same transaction as {ddl} (line {ddl_line}), whose lock it "
                  "keeps until it ends.")
    return walk.found


def _name(relation) -> str:
    return f"{relation.schemaname}.{relation.relname}" if relation.schemaname else relation.relname


def _create_table(walk: _Script, index: int, node, ast) -> None:
    walk.created.add(node.relation.relname)
    for element in node.tableElts or ():
        constraints = [element] if isinstance(element, ast.Constraint) else list(
            getattr(element, "constraints", None) or ())
        for constraint in constraints:
            if constraint.contype.name == "CONSTR_FOREIGN" and walk.existing(constraint.pktable):
                walk.lock(index, f"CREATE TABLE {_name(node.relation)} referencing {_name(constraint.pktable)}")


def _create_table_as(walk: _Script, index: int, node, ast) -> None:
    walk.created.add(node.into.rel.relname)


def _index(walk: _Script, index: int, node, ast) -> None:
    if node.idxname:
        walk.created_indexes.add(node.idxname)
    if node.concurrent:
        _concurrently(walk, index, f"CREATE INDEX CONCURRENTLY {node.idxname or ''}".rstrip())
    elif walk.existing(node.relation):
        walk.flag("index-without-concurrently", index,
                  f"CREATE INDEX on {_name(node.relation)} blocks writes to it until the index is built.")
        walk.lock(index, f"CREATE INDEX on {_name(node.relation)}")


def _concurrently(walk: _Script, index: int, what: str) -> None:
    if walk.script.transactional:
        walk.flag("concurrently-in-transaction", index,
                  f"{what} cannot run in the transaction this script runs in; the script would fail.")


def _drop(walk: _Script, index: int, node, ast) -> None:
    kind = node.removeType.name
    names = [".".join(part.sval for part in obj) for obj in node.objects or ()]
    if kind == "OBJECT_INDEX":
        if node.concurrent:
            _concurrently(walk, index, "DROP INDEX CONCURRENTLY")
        elif any(name.rpartition(".")[2] not in walk.created_indexes for name in names):
            walk.flag("index-without-concurrently", index,
                      f"DROP INDEX {', '.join(names)} blocks reads and writes of its table until it ends.")
            walk.lock(index, f"DROP INDEX {', '.join(names)}")
    elif kind == "OBJECT_TABLE":
        old = [name for name in names if name.rpartition(".")[2] not in walk.created]
        if old:
            walk.flag("drop", index, f"DROP TABLE {', '.join(old)}: code still running may read it.")
            walk.lock(index, f"DROP TABLE {', '.join(old)}")


def _rename(walk: _Script, index: int, node, ast) -> None:
    kind = node.renameType.name
    if kind not in ("OBJECT_COLUMN", "OBJECT_TABLE") or not walk.existing(node.relation):
        return
    what = (f"column {node.subname} of {_name(node.relation)}" if kind == "OBJECT_COLUMN"
            else f"table {_name(node.relation)}")
    walk.flag("rename", index, f"Renaming {what} to {node.newname} breaks code that uses the old name.")
    walk.lock(index, f"RENAME of {what}")


def _set(walk: _Script, index: int, node, ast) -> None:
    if (node.name or "").lower() != "lock_timeout":
        return
    values = [getattr(arg.val, "sval", None) or getattr(arg.val, "ival", None) for arg in node.args or ()]
    walk.timeout = any(str(v).strip() not in ("0", "", "None") for v in values)


def _update_or_delete(walk: _Script, index: int, node, ast) -> None:
    if node.whereClause is None and walk.existing(node.relation):
        verb = "UPDATE" if isinstance(node, ast.UpdateStmt) else "DELETE"
        walk.large_dml.append((index, f"{verb} of every row of {_name(node.relation)}"))


def _insert(walk: _Script, index: int, node, ast) -> None:
    select = node.selectStmt
    if select is not None and getattr(select, "fromClause", None):
        walk.large_dml.append((index, f"INSERT INTO {_name(node.relation)} ... SELECT"))


def _trigger(walk: _Script, index: int, node, ast) -> None:
    if walk.existing(node.relation):
        walk.lock(index, f"CREATE TRIGGER on {_name(node.relation)}")


def _alter_table(walk: _Script, index: int, node, ast) -> None:
    if node.objtype.name != "OBJECT_TABLE" or not walk.existing(node.relation):
        return
    table = _name(node.relation)
    walk.lock(index, f"ALTER TABLE {table}")
    for cmd in node.cmds or ():
        for rule, message in _alter_command(walk, node.relation.relname, table, cmd):
            walk.flag(rule, index, message)


def _alter_command(walk: _Script, relname: str, table: str, cmd) -> Iterator[tuple[str, str]]:
    kind = cmd.subtype.name
    if kind == "AT_AddColumn":
        yield from _add_column(table, cmd.def_)
    elif kind == "AT_AlterColumnType":
        target = cmd.def_.typeName.names[-1].sval
        if cmd.def_.raw_default is not None or target not in FREE_TYPES:
            yield ("column-type-rewrite",
                   f"Changing {table}.{cmd.name} to {target} rewrites the table and its indexes.")
    elif kind == "AT_AddConstraint":
        yield from _add_constraint(walk, relname, table, cmd.def_)
    elif kind == "AT_ValidateConstraint" and cmd.name in walk.run.unvalidated:
        walk.run.proven.add(walk.run.unvalidated.pop(cmd.name))
    elif kind == "AT_SetNotNull" and (relname, cmd.name) not in walk.run.proven:
        yield ("set-not-null-without-check",
               f"SET NOT NULL on {table}.{cmd.name} scans the table under an ACCESS EXCLUSIVE lock.")
    elif kind == "AT_DropColumn":
        yield "drop", f"Dropping {table}.{cmd.name}: code still running may read it."


def _add_column(table: str, column) -> Iterator[tuple[str, str]]:
    constraints = {c.contype.name: c for c in column.constraints or ()}
    type_name = column.typeName.names[-1].sval
    default = constraints.get("CONSTR_DEFAULT")
    generated = constraints.get("CONSTR_GENERATED")
    if type_name in SERIAL_TYPES or "CONSTR_IDENTITY" in constraints or generated is not None:
        yield ("volatile-default",
               f"Adding {table}.{column.colname} as {type_name}, identity or generated column fills every "
               "row, rewriting the table.")
    elif default is not None and _volatile(default.raw_expr):
        yield ("volatile-default",
               f"The default of {table}.{column.colname} differs per row, so every row is rewritten.")
    elif default is None and (column.is_not_null or "CONSTR_NOTNULL" in constraints
                              or "CONSTR_PRIMARY" in constraints):
        yield ("not-null-column-without-default",
               f"{table}.{column.colname} is NOT NULL without a default: it fails on a table with rows.")


def _volatile(expression) -> bool:
    """Whether an expression calls a function whose value differs per row."""
    from pglast.visitors import Visitor

    found = []

    class _Calls(Visitor):
        def visit_FuncCall(self, ancestors, node):
            if node.funcname[-1].sval.lower() in VOLATILE:
                found.append(node)

    if expression is not None:
        _Calls()(expression)
    return bool(found)


def _add_constraint(walk: _Script, relname: str, table: str, constraint) -> Iterator[tuple[str, str]]:
    kind = constraint.contype.name
    if kind in ("CONSTR_FOREIGN", "CONSTR_CHECK"):
        column = _not_null_check(constraint)
        if constraint.skip_validation:
            if column and constraint.conname:
                walk.run.unvalidated[constraint.conname] = (relname, column)
            return
        if column:
            walk.run.proven.add((relname, column))
        what = "FOREIGN KEY" if kind == "CONSTR_FOREIGN" else "CHECK"
        yield ("constraint-without-not-valid",
               f"ADD {what} {constraint.conname or ''} checks every row of {table} while blocking writes."
               .replace("  ", " "))
    elif kind in ("CONSTR_PRIMARY", "CONSTR_UNIQUE") and not constraint.indexname:
        yield ("index-without-concurrently",
               f"ADD {kind[7:]} KEY on {table} builds its index while blocking writes."
               .replace("UNIQUE KEY", "UNIQUE"))


def _not_null_check(constraint) -> str | None:
    """The column of a ``CHECK (column IS NOT NULL)``, else None."""
    expression: Any = getattr(constraint, "raw_expr", None)
    if type(expression).__name__ != "NullTest" or expression.nulltesttype.name != "IS_NOT_NULL":
        return None
    fields = getattr(expression.arg, "fields", None) or ()
    return getattr(fields[-1], "sval", None) if fields else None


def _reindex(walk: _Script, index: int, node, ast) -> None:
    if any(param.defname == "concurrently" for param in node.params or ()):
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
