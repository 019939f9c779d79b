"""Migrated databases in milliseconds: each version's schema built once, then copied for every test.

A :class:`MigratedTemplates` belongs to one test session (one process: each
pytest-xdist worker has its own, under names of its own). The first test that
asks for version V (None: every script) pays for running the scripts into a
template database; every test after it gets a copy: a file copy on SQLite,
``CREATE DATABASE ... TEMPLATE`` on PostgreSQL, a replay of the template's
catalog and rows on MariaDB/MySQL (the adapter's ``database_copier``).

On PostgreSQL a copy a test is done with is not dropped when the test only
added rows: it is emptied back to the template's state (the adapter's
``database_resetter``, far quicker than a new copy on a server that syncs to
disk) and handed to the next test that asks for the same version.

Templates are keyed by the scripts' checksums: when a script changes (its
files' sizes or times say so, then its checksum), the session's templates are
dropped and built again on next use. Copies and templates are dropped when
the test, and the session, end.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .scratch import SCRATCH_PREFIX, _admin_engine, _execute_admin, _url_of

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

    from ..config import Settings


class MigratedTemplates:
    """Templates of migrated databases on the server of ``url``, copied on demand.

    :param url: a URL whose server (or, for SQLite, any file) hosts the databases.
    :param settings: where the scripts are, and the tracking table's name.
    """

    def __init__(self, url: str | URL, settings: Settings):
        from ..dialects import adapter_class_for_url

        self.url = _url_of(url)
        self.settings = settings
        self.adapter = adapter_class_for_url(self.url)()
        if self.adapter.scratch not in ("file", "server"):
            from ..errors import ScratchDatabaseError

            raise ScratchDatabaseError(
                f"lockgate cannot make test databases on {self.url.get_backend_name()}, only on SQLite, "
                "PostgreSQL and MariaDB/MySQL: give --lockgate-url (or LOCKGATE_TEST_URL) of one of those.")
        self.token = secrets.token_hex(4)  # this process's names: parallel workers never share one
        self.counter = 0
        self.templates: dict[str | None, Any] = {}
        self.copiers: dict[str | None, Any] = {}
        self.resetter = self.adapter.database_resetter()
        self.baselines: dict[str | None, Any] = {}      # version -> the template's state, copied with it
        self.spares: dict[str | None, list[tuple[URL, Any]]] = {}  # version -> reset copies and their states
        self.issued: dict[str, tuple[str | None, Any]] = {}        # copy -> its version and state when handed out
        self.engines: dict[str, Any] = {}  # copy -> its engine, kept with it: made and set up once
        self.keepers: dict[str, Any] = {}  # copy -> the connection that resets it, warm from one test to the next
        self.signature: tuple | None = None
        self.checksum = ""
        self.folder = tempfile.mkdtemp(prefix=SCRATCH_PREFIX) if self.adapter.scratch == "file" else None
        self._admin = None
        self._dropper: _Dropper | None = None
        self._watch: _FolderWatch | None = None

    # -- what a fixture uses ---------------------------------------------------

    def new_url(self) -> URL:
        """The URL of a database no one has made yet, unique to this process."""
        self.counter += 1
        return self._url(f"{SCRATCH_PREFIX}{self.token}_{self.counter}")

    def checkout(self, version: str | None) -> URL:
        """A database that is a copy of the template at ``version``: a reset spare, or a new copy."""
        template = self.template(version)  # first: a changed script drops the spares with the templates
        spares = self.spares.get(version)
        if spares:
            url, state = spares.pop()
            self.issued[str(url.database)] = (version, state)
            return url
        url = self.new_url()
        self._copy(url, version, template)
        return url

    def give_back(self, url: URL) -> None:
        """The test using ``url`` is over: keep the copy for the next test if it can be reset, else drop it."""
        version, state = self.issued.pop(str(url.database), (None, None))
        if state is not None and (fresh := self._reset(url, state)) is not None:
            self.spares.setdefault(version, []).append((url, fresh))
        else:
            self.drop_later(url)

    def engine_for(self, url: URL):
        """The engine of the copy at ``url``, which stays with the copy while it is reused."""
        engine = self.engines.get(str(url.database))
        if engine is None:
            from ..database import create_engine_from_settings

            engine = self.engines[str(url.database)] = create_engine_from_settings(
                url.render_as_string(hide_password=False), self.settings.engine_options)
        return engine

    def _reset(self, url: URL, state: Any) -> Any:
        """The copy's new state once reset; None: drop it.

        The reset runs on a connection of its own that stays open, idle, beside
        the tests: a new server session would spend most of a reset loading the
        catalog it reads. The connections the test used stay in its engine's
        pool, made as new by the reset, so the next test starts on a warm one.
        """
        from sqlalchemy import create_engine
        from sqlalchemy.exc import SQLAlchemyError
        from sqlalchemy.pool import NullPool

        name = str(url.database)
        idle: list[Any] = []
        try:
            idle = self._idle_connections(name)
            if name not in self.keepers:
                self.keepers[name] = create_engine(url, poolclass=NullPool).connect()
            keeper = self.keepers[name]
            with keeper.begin() as transaction:
                fresh = self.resetter.reset(keeper, state, [held.driver_connection for held in idle])
                if fresh is None:
                    transaction.rollback()
        except SQLAlchemyError:  # held by a connection the test left open, or the like: a new copy will do
            fresh = None
        finally:
            for held in idle:
                held.close()
        if fresh is None:
            self._close_keeper(name)
            if name in self.engines:
                self.engines[name].dispose()
        return fresh

    def _idle_connections(self, name: str) -> list[Any]:
        """Every connection in the pool of the copy's engine, checked out for the reset; none (and the
        pool emptied) when the test left one checked out or the pool keeps no connections."""
        engine = self.engines.get(name)
        if engine is None:
            return []
        pool = engine.pool
        if not hasattr(pool, "checkedin") or pool.checkedout():
            engine.dispose()  # whatever the test left in the pool, with its session's temporary tables
            return []
        return [pool.connect() for _ in range(pool.checkedin())]

    def _close_keeper(self, name: str) -> None:
        keeper = self.keepers.pop(name, None)
        if keeper is not None:
            engine = keeper.engine
            try:
                keeper.close()
            except Exception:  # noqa: BLE001 -- already ended by the server: nothing to close
                pass
            engine.dispose()

    def copy_to(self, url: URL, version: str | None) -> None:
        """Make the database of ``url`` (which must not exist) a copy of the template at ``version``."""
        self._copy(url, version, self.template(version))

    def _copy(self, url: URL, version: str | None, template: URL) -> None:
        if self.resetter is not None and self.baselines.get(version) is not None:
            self.issued[str(url.database)] = (version, self.baselines[version])
        if self.folder is not None:
            shutil.copyfile(str(template.database), str(url.database))
            return
        from sqlalchemy.exc import DBAPIError

        from ..errors import ScratchDatabaseError
        from ..urls import safe_url, scrub

        try:
            copy = self.copiers.get(version)
            if copy is None:
                with self.admin().connect() as connection:
                    copy = self.copiers[version] = self.adapter.database_copier(connection, str(template.database))
            with self.admin().connect() as connection:
                copy(connection, url.database)
        except DBAPIError as exc:
            self.drop(url)  # a copy that stopped half-way
            detail = scrub(str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc), url)
            raise ScratchDatabaseError(
                f"Could not copy the migrated template database on the server of {safe_url(url)}: "
                f"{detail}. Give the user the right to create and drop databases (CREATEDB on "
                "PostgreSQL, CREATE, DROP and SHOW VIEW on MariaDB).") from None

    def create_empty(self, url: URL) -> None:
        """Make the database of ``url`` empty (SQLite makes its file on the first connection)."""
        if self.folder is None:
            _execute_admin(self.admin(), url, f"CREATE DATABASE {url.database}", "create")

    def drop(self, url: URL) -> None:
        """Drop the database of ``url`` if it exists."""
        engine = self.engines.pop(str(url.database), None)
        if engine is not None:
            engine.dispose()
        self._close_keeper(str(url.database))
        if self.folder is not None:
            for suffix in ("", "-journal", "-wal", "-shm"):
                Path(f"{url.database}{suffix}").unlink(missing_ok=True)
            return
        _execute_admin(self.admin(), url, self.adapter.drop_database_sql(str(url.database)), "drop")

    def drop_later(self, url: URL) -> None:
        """Drop the database of ``url`` while the tests go on (a server drop waits for a checkpoint).

        Every such drop is done, or its failure raised, by :meth:`close`.
        """
        if self.folder is not None:
            self.drop(url)
            return
        if self._dropper is None:
            self._dropper = _Dropper(self.drop)
        self._dropper.put(url)

    def close(self) -> None:
        """Finish the drops under way and drop every template; the session is over."""
        try:
            left = list(self.templates.values()) + [url for spares in self.spares.values() for url, _ in spares]
            if self.folder is None and len(left) > 1:
                # Each server drop waits for the disk: side by side they wait once, not once each.
                from concurrent.futures import ThreadPoolExecutor

                self.admin()  # made once, before the threads share it
                with ThreadPoolExecutor(len(left)) as pool:
                    done = [pool.submit(self.drop, url) for url in left]
                    if self._dropper is not None:
                        self._dropper.finish()
                for future in done:
                    future.result()
            else:
                if self._dropper is not None:
                    self._dropper.finish()
                for url in left:
                    self.drop(url)
        finally:
            if self._watch is not None:
                self._watch.close()
            self.spares.clear()
            self.templates.clear()
            if self._admin is not None:
                self._admin.dispose()
            if self.folder is not None:
                shutil.rmtree(self.folder, ignore_errors=True)

    # -- templates ---------------------------------------------------------------

    def template(self, version: str | None) -> URL:
        """The template at ``version`` (None: every script), built on first use or after a script changed."""
        self._invalidate_if_changed()
        template = self.templates.get(version)
        if template is None:
            self.counter += 1
            template = self._url(f"{SCRATCH_PREFIX}tpl_{self.token}_{self.counter}")
            self.create_empty(template)
            try:
                self._migrate(template, version)
                self.baselines[version] = self._state(template)
            except BaseException:
                self.drop(template)  # never a half-migrated template
                raise
            self.templates[version] = template
        return template

    def _migrate(self, url: URL, version: str | None) -> None:
        from ..database import create_engine_from_settings
        from ..engine import DBMigrator

        engine = create_engine_from_settings(url.render_as_string(hide_password=False),
                                             self.settings.engine_options)
        try:
            migrator = DBMigrator.from_settings(self.settings, engine=engine)
            migrator.upgrade() if version is None else migrator.upgrade(to=version)
        finally:
            engine.dispose()  # PostgreSQL copies a template only while no one is connected to it

    def _state(self, url: URL) -> Any:
        """The template's state, which every copy of it starts from (None: copies are never reset)."""
        if self.resetter is None:
            return None
        from sqlalchemy import create_engine
        from sqlalchemy.pool import NullPool

        engine = create_engine(url, poolclass=NullPool)  # closed before any copy: the server insists
        try:
            with engine.connect() as connection:
                state = self.resetter.take_state(connection)
        finally:
            engine.dispose()
        return state if state.reusable else None

    def _invalidate_if_changed(self) -> None:
        told = self._watch is not None and self._watch.fd >= 0
        if told and not self._watch.changed():  # type: ignore[union-attr]
            return  # nothing under the scripts' folders was written since they were last read
        signature = self._file_signature()
        if signature is not None and signature == self.signature and not told:
            return  # (a write the watch told of is read even where sizes and times say nothing)
        checksum = self._scripts_checksum()
        self.signature = signature
        if checksum != self.checksum:
            self.checksum = checksum
            stale, self.templates, self.copiers = list(self.templates.values()), {}, {}
            stale += [url for spares in self.spares.values() for url, _ in spares]
            self.spares, self.baselines = {}, {}
            for template in stale:
                self.drop(template)

    def _file_signature(self) -> tuple | None:
        """Names, sizes and times of the scripts folder's files; None when the scripts are no files.

        The folders are watched (:class:`_FolderWatch`) before their files are
        read, so a write after the reading is told by the watch.
        """
        from ..scripts import ScriptSource

        root = ScriptSource(self.settings.package, self.settings.directory).root()
        if self._watch is not None:
            self._watch.close()
            self._watch = None
        if not isinstance(root, Path):
            return None
        folders = [folder for folder, _, _ in os.walk(root)]
        watch = _FolderWatch(folders)
        entries = []
        for folder, _, names in os.walk(root):
            entries.append((folder, "", -1, -1))
            for name in names:
                stat = os.stat(os.path.join(folder, name))
                entries.append((folder, name, stat.st_size, stat.st_mtime_ns))
        if [entry[0] for entry in entries if entry[2] == -1] == folders:
            self._watch = watch
        else:  # a folder came or went while watching began: read every file next time too
            watch.close()
        return tuple(sorted(entries))

    def _scripts_checksum(self) -> str:
        from ..scripts import ScriptSource

        digest = hashlib.sha256()
        for script in ScriptSource(self.settings.package, self.settings.directory).find():
            digest.update(f"{script.version}:{script.checksum}\n".encode())
        return digest.hexdigest()

    # -- helpers -----------------------------------------------------------------

    def _url(self, name: str) -> URL:
        if self.folder is not None:
            return self.url.set(database=os.path.join(self.folder, f"{name}.sqlite"))
        return self.url.set(database=name)

    def admin(self):
        if self._admin is None:
            self._admin = _admin_engine(self.url)
        return self._admin


class _Dropper:
    """One thread that drops databases in the order given; the first failure is raised by :meth:`finish`."""

    def __init__(self, drop):
        import queue
        import threading

        self.drop, self.failure = drop, None
        self.queue: queue.Queue = queue.Queue()
        self.thread = threading.Thread(target=self._run, name="lockgate-drop", daemon=True)
        self.thread.start()

    def put(self, url) -> None:
        self.queue.put(url)

    def _run(self) -> None:
        while True:
            url = self.queue.get()
            if url is None:
                return
            try:
                self.drop(url)
            except Exception as exc:  # kept for finish(): this thread has no one to tell
                self.failure = self.failure or exc

    def finish(self) -> None:
        self.queue.put(None)
        self.thread.join()
        if self.failure is not None:
            raise self.failure


class _FolderWatch:
    """Whether anything in some folders was written, made or removed since the last look.

    Told by Linux's inotify, for one ``read`` instead of a ``stat`` per script
    file at every checkout; where there is no inotify (or it fails) every look
    says "changed", and the files are read again as before.
    """

    #: modify, attributes, close after writing, moved from/to, create, delete, the folder deleted or moved
    MASK = 0x2 | 0x4 | 0x8 | 0x40 | 0x80 | 0x100 | 0x200 | 0x400 | 0x800

    def __init__(self, folders: list[str]):
        self.fd = -1
        try:
            import ctypes
            import ctypes.util

            libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
            fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        except (OSError, AttributeError, TypeError):  # no libc to load, or no inotify in it
            return
        if fd < 0:
            return
        if any(libc.inotify_add_watch(fd, os.fsencode(folder), self.MASK) < 0 for folder in folders):
            os.close(fd)
            return
        self.fd = fd

    def changed(self) -> bool:
        if self.fd < 0:
            return True
        seen = False
        while True:
            try:
                if not os.read(self.fd, 65536):
                    return True
            except BlockingIOError:
                return seen
            except OSError:
                return True
            seen = True

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
