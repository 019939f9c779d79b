"""Ready-made ``init_migration`` objects for ``set_up_migration``.

The seed describes two ways to set up a new database: run every script, or
install a canonical schema at once and mark every script applied. These
objects are the second way: pass one as ``init_migration``.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

from ..dialects import adapter_for
from ..errors import ConfigError
from ..run.statements import execute_sql

if TYPE_CHECKING:
    from sqlalchemy import MetaData
    from sqlalchemy.engine import Connection


class InitMigration(Protocol):
    """What ``set_up_migration(init_migration=...)`` takes: installs the whole schema at once."""

    def upgrade(self, connection: Connection) -> None: ...


class HasMetaData(Protocol):
    """A declarative base (or anything else) carrying a ``MetaData`` as ``.metadata``."""

    @property
    def metadata(self) -> MetaData: ...


class MetaDataSetUp:
    """Creates every table of a SQLAlchemy ``MetaData`` (or a declarative base's)."""

    def __init__(self, metadata: MetaData | HasMetaData) -> None:
        # a declarative base carries its MetaData as .metadata; a MetaData has no such attribute
        self.metadata = cast("MetaData", getattr(metadata, "metadata", metadata))

    def upgrade(self, connection: Connection) -> None:
        self.metadata.create_all(connection)


class SQLFileSetUp:
    """Runs a canonical ``schema.sql``, statement by statement, in the setup transaction.

    :param path: a file path, or a ``package:resource`` pair such as
        ``busy:schema.sql`` for a file shipped inside a package.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = path

    def _read(self) -> tuple[str, str]:
        text = str(self.path)
        if ":" in text and not Path(text).exists() and not Path(text).drive:
            package, _, resource = text.partition(":")
            import importlib.resources

            item = importlib.resources.files(package) / resource
            return item.read_bytes().decode("utf-8-sig"), str(item)
        try:
            return Path(text).read_bytes().decode("utf-8-sig"), text
        except OSError as exc:
            raise ConfigError(
                f"The canonical schema {text} cannot be read ({exc.strerror}). Point "
                "`setup_sql` at your schema.sql, or run the scripts instead (setup --run-scripts)."
            ) from None

    def upgrade(self, connection: Connection) -> None:
        text, name = self._read()
        execute_sql(connection, text, adapter_for(connection.dialect), version="setup", path=name)


def object_from_reference(reference: str) -> Any:
    """Import ``package.module:attribute``; used for ``setup_metadata`` and ``models``."""
    module_name, _, attribute = reference.partition(":")
    try:
        target = importlib.import_module(module_name)
        for part in filter(None, attribute.split(".")):
            target = getattr(target, part)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(
            f"{reference} cannot be imported ({exc}). Write it as package.module:attribute, "
            "and make sure the package is installed."
        ) from exc
    return target
