"""The schema delta between SQLAlchemy models and the schema the scripts produce.

The scripts are the truth about the schema and the models are what the code
expects. To compare the two without touching the target database, every script
is applied to a scratch ("shadow") database of the same dialect; Alembic's
autogenerate then compares it with the models and renders the difference as SQL
for that dialect. ``add_script`` writes that SQL into the new script and
``check`` fails while there is any difference (a forgotten script).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from ..dialects import adapter_for
from ..errors import ConfigError

INSTALL_HINT = 'pip install "lockgate[models]" (or pip install "alembic>=1.13")'


@dataclass
class SchemaDelta:
    """What the models have that the scripts do not, and the SQL to get there and back."""

    differences: list[str] = field(default_factory=list)
    upgrade_sql: str = ""
    downgrade_sql: str = ""

    @property
    def empty(self) -> bool:
        return not self.differences


@dataclass
class CheckResult:
    """``lockgate check``: pending scripts on the target and model differences."""

    pending: list[str] = field(default_factory=list)
    differences: list[str] = field(default_factory=list)
    models_checked: bool = False
    #: Pairs of a merged branch's script and an applied one that give different schemas by order.
    commute: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.pending and not self.differences and not self.commute


def _require_alembic() -> None:
    try:
        import alembic  # noqa: F401
    except ImportError:
        raise ConfigError(
            "Comparing `models` with the scripts needs Alembic, which is not installed. "
            f"Install it with: {INSTALL_HINT}"
        ) from None


def load_metadata(reference: str):
    """The ``MetaData`` behind ``models = pkg.module:Base`` (a declarative base or a MetaData)."""
    from sqlalchemy import MetaData

    from .setups import object_from_reference

    try:
        target = object_from_reference(reference)
    except ConfigError:
        raise
    except Exception as exc:  # the models module itself is broken
        raise ConfigError(
            f"models = {reference} cannot be imported: importing it raised "
            f"{type(exc).__name__}: {exc}. Fix the module, or point `models` at your declarative base."
        ) from exc
    metadata = getattr(target, "metadata", target)
    if not isinstance(metadata, MetaData):
        raise ConfigError(
            f"models = {reference} is a {type(target).__name__}, not a declarative base or a "
            "MetaData. Point it at your declarative base, e.g. `models = yourapp.models:Base`."
        )
    return metadata


def shadow_database(target_url, shadow_url=None, engine_options=None):
    """An engine on an empty database of the target's dialect to apply the scripts to.

    A ``shadow_url`` given by the user is used as it is and left in place.
    """
    from .scratch import scratch_engine

    return scratch_engine(target_url, given_url=shadow_url, engine_options=engine_options,
                          prefix="lockgate_shadow_")


def schema_delta(settings, *, shadow_url=None) -> SchemaDelta:
    """Apply every script to a shadow database and compare it with ``settings.models``.

    :raises ConfigError: when ``models`` is unset, does not import, or Alembic is missing.
    :raises ScriptFailedError: when a script fails on the shadow database.
    """
    _require_alembic()
    if not settings.models:
        raise ConfigError("No `models` is configured: set `models = yourapp.models:Base` in [lockgate].")
    metadata = load_metadata(settings.models)
    target = settings.url if settings.url else (None if shadow_url else settings.require_url())
    with shadow_database(target or shadow_url, shadow_url, settings.engine_options) as engine:
        from ..engine import DBMigrator

        migrator = DBMigrator.from_settings(settings, engine=engine)
        migrator.upgrade()
        exclude = {settings.table, settings.legacy_table}
        return compare_with_models(engine, metadata, exclude)


def compare_with_models(engine, metadata, exclude: set) -> SchemaDelta:
    """What the database behind ``engine`` lacks or has beyond ``metadata``: the one schema
    comparison of ``check``, ``add_script`` and ``lockgate test --only models``.

    :param exclude: tables to leave out (lockgate's own).
    """
    _require_alembic()
    from alembic.autogenerate import produce_migrations
    from alembic.migration import MigrationContext

    def include_name(name, type_, parent_names):
        return not (type_ == "table" and name in exclude)

    adapter = adapter_for(engine.dialect)
    with adapter.connect(engine) as connection:
        context = MigrationContext.configure(connection, opts={
            "compare_type": True, "compare_server_default": True,
            "include_name": include_name, "target_metadata": metadata})
        script = produce_migrations(context, metadata)
        assert script.upgrade_ops is not None  # produce_migrations always makes one UpgradeOps
        upgrade_ops = adapter.model_differences(connection, script.upgrade_ops)
    differences = [describe(diff) for diff in upgrade_ops.as_diffs()]
    if not differences:
        return SchemaDelta()
    return SchemaDelta(differences, render_sql(upgrade_ops.ops, engine.dialect),
                       render_sql(upgrade_ops.reverse().ops, engine.dialect))


def render_sql(operations, dialect) -> str:
    """SQL for Alembic operations in ``dialect``; an operation it cannot express becomes a TODO."""
    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    adapter = adapter_for(dialect)
    buffer = io.StringIO()
    context = MigrationContext.configure(dialect=dialect, opts={
        "as_sql": True, "output_buffer": buffer, "literal_binds": True})
    runner = Operations(context)
    for operation in _flatten(operations):
        start = buffer.tell()
        try:
            if not adapter.alters_columns and type(operation).__name__ == "AlterColumnOp":
                # Alembic would render ALTER COLUMN, which the database does not have.
                raise NotImplementedError(f"{dialect.name} cannot alter a column in place; rebuild the table")
            runner.invoke(operation)
        except Exception as exc:  # Alembic raises NotImplementedError and others per dialect
            buffer.seek(start)
            buffer.truncate()
            what = _describe_operation(operation)
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            buffer.write(f"-- TODO: {what}: cannot be written as {dialect.name} SQL here "
                         f"({reason}); write it by hand.\n\n")
    return buffer.getvalue()


def _flatten(operations):
    from alembic.operations import ops

    for operation in operations:
        inner = getattr(operation, "ops", None)
        if inner is not None:  # ModifyTableOps: the changes to one table
            yield from _flatten(inner)
        elif isinstance(operation, ops.AddColumnOp):
            yield ops.AddColumnOp(operation.table_name, _bare_column(operation.column),
                                  schema=operation.schema)
        else:
            yield operation


def _bare_column(column):
    """The column without its index and foreign keys: autogenerate lists those as their own
    operations, and Alembic would otherwise create them twice when adding the column."""
    from sqlalchemy import Column

    default = column.server_default
    return Column(column.name, column.type, nullable=column.nullable, comment=column.comment,
                  server_default=getattr(default, "arg", None) if default is not None else None)


def _describe_operation(operation) -> str:
    try:
        diff = operation.to_diff_tuple()
    except Exception:
        return type(operation).__name__
    if isinstance(diff, list):
        return "; ".join(describe(d) for d in diff)
    return describe(diff)


def describe(diff) -> str:
    """One line for one Alembic diff tuple: "add" means the models have it, the scripts not."""
    if isinstance(diff, list):  # several changes to one column
        return "; ".join(describe(d) for d in diff)
    kind = diff[0]
    verb, _, noun = kind.partition("_")
    where = "in the models but not in the scripts" if verb == "add" else "in the scripts but not in the models"
    if noun == "table":
        return f"table {diff[1].name} is {where}"
    if noun == "column":
        return f"column {diff[2]}.{diff[3].name} is {where}"
    if noun == "index":
        index = diff[1]
        columns = ", ".join(c.name for c in index.columns) or "expressions"
        unique = "unique index" if index.unique else "index"
        return f"{unique} {index.name} on {index.table.name} ({columns}) is {where}"
    if noun == "constraint":
        constraint = diff[1]
        columns = ", ".join(c.name for c in constraint.columns)
        return f"unique constraint {constraint.name or ''} on {constraint.table.name} ({columns}) is {where}".replace("  ", " ")
    if noun == "fk":
        fk = diff[1]
        columns = ", ".join(c.name for c in fk.columns)
        target = fk.elements[0].column.table.name if fk.elements else "?"
        refs = ", ".join(e.column.name for e in fk.elements)
        return f"foreign key {fk.table.name} ({columns}) -> {target} ({refs}) is {where}"
    if verb == "modify":
        _, _schema, table, column, _existing, old, new = diff
        return (f"column {table}.{column}: {noun} is {_show(old)} in the scripts "
                f"but {_show(new)} in the models")
    return f"{kind}: {diff[1:]!r}"


def _show(value) -> str:
    arg = getattr(value, "arg", None)  # a server default
    if arg is not None:
        value = getattr(arg, "text", arg)
    return repr(value) if isinstance(value, str) or value is None or isinstance(value, bool) else str(value)


def check(migrator, settings, *, shadow_url=None) -> CheckResult:
    """Pending scripts on the target database, differences between models and scripts, and
    out-of-order pending scripts whose order changes the schema (:mod:`lockgate.schema.commute`)."""
    from .commute import check_commute, format_pairs

    result = CheckResult()
    result.pending = [f"{s.version} ({s.title}) is not applied" for s in migrator.status().pending]
    result.commute = format_pairs(check_commute(migrator, settings))
    if settings.models:
        result.models_checked = True
        result.differences = schema_delta(settings, shadow_url=shadow_url).differences
    return result


def format_check(result: CheckResult) -> str:
    lines = []
    if result.pending:
        n = len(result.pending)
        lines.append(f"{n} script{'s' if n != 1 else ''} pending on the database (run `lockgate upgrade`):")
        lines += [f"  - {p}" for p in result.pending]
    if result.differences:
        n = len(result.differences)
        lines.append(f"The models differ from the schema the scripts produce in {n} "
                     f"way{'s' if n != 1 else ''} (run `lockgate add_script TITLE` to write the script):")
        lines += [f"  - {d}" for d in result.differences]
    if result.commute:
        lines.append("Scripts from a merged branch give a different schema depending on their order "
                     "(the target runs them after newer applied scripts; a new database in version "
                     "order):")
        lines += [f"  - {c}" for c in result.commute]
    if result.ok:
        lines.append("OK: no pending scripts" + (", and the models match the scripts." if result.models_checked
                                                 else "; no `models` configured, so models were not compared."))
    return "\n".join(lines)
