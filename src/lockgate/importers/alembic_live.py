"""Running an Alembic revision's own ``upgrade()``/``downgrade()`` inside a lockgate Python script.

A revision that reads the database while it runs (``op.get_bind()``, the
inspector, an ORM session, batch operations on SQLite that copy the live
table) has no offline SQL. The script imported from it keeps the revision's
source and calls :meth:`AlembicRevision.run`, which sets up what Alembic's
``env.py`` would: an environment whose ``context.is_offline_mode()`` is False
and whose ``op.get_context().config`` holds the project's ini options, and
operations (``op``) on the connection lockgate gives the script, inside
lockgate's transaction. Alembic must be installed where such scripts run.
"""

from __future__ import annotations

import os
import sys
import types
from dataclasses import dataclass, field
from typing import Any


@dataclass
class AlembicRevision:
    """One revision's source and the environment it expects.

    :param revision: the Alembic revision id.
    :param source: the revision file's text, run as a module.
    :param file: where the revision file was, relative to the script (its
        ``__file__``, for revisions that read files beside themselves).
    :param options: the ini's main-section options, for ``op.get_context().config``.
    :param naming_convention: the naming convention of env.py's ``target_metadata``.
    :param own_transaction: the script runs outside lockgate's transaction
        (``transaction = False``), so Alembic manages one, as ``autocommit_block()`` needs.
    """

    revision: str
    source: str
    file: str | None = None
    options: dict[str, str] = field(default_factory=dict)
    naming_convention: dict[str, str] | None = None
    own_transaction: bool = False

    def run(self, connection, direction: str, script_file: str) -> None:
        """Call the revision's ``direction`` (``"upgrade"`` or ``"downgrade"``) on ``connection``.

        :raises RuntimeError: Alembic is not installed where the script runs.
        """
        try:
            from alembic.operations import Operations
            from alembic.runtime.environment import EnvironmentContext
            from alembic.runtime.migration import MigrationContext
        except ImportError as exc:
            raise RuntimeError(
                f"this script runs Alembic revision {self.revision} through Alembic, which cannot be "
                f"imported here ({exc}). Install Alembic where lockgate runs (pip install alembic) "
                "and run the command again.") from exc

        module = self.load(script_file)
        opts: dict[str, Any] = {}
        if self.naming_convention is not None:
            import sqlalchemy as sa

            opts["target_metadata"] = sa.MetaData(naming_convention=self.naming_convention)
        environment = EnvironmentContext(self._config(), None, as_sql=False)  # type: ignore[arg-type]
        context = MigrationContext.configure(connection=connection, environment_context=environment,
                                             opts=opts)
        # context.get_context() and context.get_bind() in a revision read it from here.
        environment._migration_context = context
        context.impl.memo.update(named_types_memo(connection))
        if not self.own_transaction:
            with environment, Operations.context(context):
                getattr(module, direction)()
            return
        # autocommit_block() commits "the migration's transaction" and begins another after
        # it, as under env.py's context.begin_transaction(): a script run outside lockgate's
        # transaction (transaction = False) gives Alembic one of its own to manage.
        context._transaction = (connection.get_transaction() if connection.in_transaction()
                                else connection.begin())
        try:
            with environment, Operations.context(context):
                getattr(module, direction)()
        except BaseException:
            if context._transaction is not None and context._transaction.is_active:
                context._transaction.rollback()
            raise
        if context._transaction is not None and context._transaction.is_active:
            context._transaction.commit()

    def load(self, script_file: str) -> types.ModuleType:
        """The revision as a module, its ``__file__`` where the revision file was."""
        here = os.path.dirname(os.path.abspath(script_file))
        path = os.path.normpath(os.path.join(here, self.file)) if self.file else script_file
        name = f"lockgate_alembic_revision_{self.revision}"
        module = types.ModuleType(name)
        module.__file__ = path
        sys.modules[name] = module  # dataclasses and typing look the module up while it runs
        exec(compile(self.source, path, "exec"), module.__dict__)
        return module

    def _config(self):
        from alembic.config import Config

        config = Config()
        for key, value in self.options.items():
            config.set_main_option(key, value.replace("%", "%%"))
        return config


def named_types_memo(connection) -> dict[str, set]:
    """The database's named types (PostgreSQL's enums and domains), as Alembic remembers them.

    One ``alembic upgrade`` run remembers every named type a ``create_table``
    created and does not create it again in a later revision; revisions
    written against that (a second table using an existing enum) rely on it.
    Each script runs in its own context, so it is told the types that exist.
    """
    import sqlalchemy as sa

    inspector = sa.inspect(connection)
    memo: dict[str, set] = {}
    for kind, read in (("pg_enum", "get_enums"), ("pg_domain", "get_domains")):
        reader = getattr(inspector, read, None)  # only dialects with named types have them
        if reader is None:
            continue
        found = memo.setdefault(kind, set())
        for item in reader():
            found.update({(item.get("schema"), item["name"]), (None, item["name"])})
    return memo
