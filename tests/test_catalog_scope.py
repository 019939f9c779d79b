"""A snapshot reads the target database only, and a scratch database is made for throwing away.

MariaDB's catalog is one ``information_schema`` for the whole server: a
snapshot whose queries joined it by name alone would mix in another
database's tables of the same name. Here a second database holds tables,
views, keys and indexes named as the target's but shaped otherwise, and the
target's snapshot must not move.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

import dbservers
from helpers import execute
from lockgate.dialects import adapter_for
from lockgate.dialects.catalog_mysql import read_catalog
from lockgate.schema.scratch import scratch_database
from lockgate.schema.snapshot import take_snapshot

OURS = [
    "CREATE TABLE parent (id INTEGER NOT NULL PRIMARY KEY, code VARCHAR(20) NOT NULL, "
    "state VARCHAR(10) DEFAULT 'new', CONSTRAINT id_positive CHECK (id > 0))",
    "CREATE UNIQUE INDEX ux_code ON parent (code)",
    "CREATE INDEX ix_state ON parent (state)",
    "CREATE TABLE child (id INTEGER NOT NULL PRIMARY KEY, parent_id INTEGER, "
    "label VARCHAR(20) COLLATE utf8mb4_bin, "
    "CONSTRAINT fk_child_parent FOREIGN KEY (parent_id) REFERENCES parent (id) ON DELETE CASCADE)",
    "CREATE INDEX ix_label ON child (label)",
    "CREATE TABLE other (id INTEGER NOT NULL PRIMARY KEY, note VARCHAR(50))",
    "CREATE VIEW v_parent AS SELECT id, code FROM parent",
]

#: The same names in another database: other columns, types, defaults, keys, rules and view texts;
#: ``other`` a view there, and a table and a view that exist only there.
THEIRS = [
    "CREATE TABLE parent (id BIGINT NOT NULL, code TEXT, extra INTEGER, state INTEGER DEFAULT 7, "
    "PRIMARY KEY (id, extra), CONSTRAINT id_positive CHECK (extra < 5))",
    "CREATE INDEX ux_code ON parent (extra)",
    "CREATE UNIQUE INDEX ix_state ON parent (state, extra)",
    "CREATE TABLE child (id BIGINT NOT NULL PRIMARY KEY, parent_id BIGINT, parent_extra INTEGER, "
    "label INTEGER DEFAULT 1, CONSTRAINT fk_child_parent FOREIGN KEY (parent_id, parent_extra) "
    "REFERENCES parent (id, extra) ON DELETE SET NULL ON UPDATE CASCADE)",
    "CREATE INDEX ix_label ON child (parent_extra, label)",
    "CREATE TABLE only_there (id INTEGER NOT NULL PRIMARY KEY, child_id BIGINT, "
    "CONSTRAINT fk_only_child FOREIGN KEY (child_id) REFERENCES child (id))",
    "CREATE VIEW other AS SELECT id FROM only_there",
    "CREATE VIEW v_parent AS SELECT extra, state FROM parent WHERE extra > 1",
]


def _catalogs(engine):
    """The catalog as MariaDB's queries read it, and as MySQL's (which MariaDB answers too)."""
    with engine.connect() as connection:
        return [vars(read_catalog(connection, mariadb)) for mariadb in (True, False)]


@pytest.mark.mariadb
def test_a_snapshot_is_unmoved_by_another_database_with_the_same_names(mariadb_url, db_servers, tmp_path):
    ours = sa.create_engine(mariadb_url)
    execute(ours, *OURS)
    snapshot, catalogs = take_snapshot(ours), _catalogs(ours)
    assert set(snapshot.tables) == {"parent", "child", "other"} and set(snapshot.views) == {"v_parent"}
    assert catalogs[0] == catalogs[1] and catalogs[0]["tables"]["parent"].check_constraints

    others = dbservers.DatabaseFactory("mariadb", db_servers, tmp_path)
    theirs = sa.create_engine(others())
    try:
        execute(theirs, *THEIRS)
        their_snapshot = take_snapshot(theirs)
        assert set(their_snapshot.tables) == {"parent", "child", "only_there"}
        assert set(their_snapshot.views) == {"other", "v_parent"}
        assert all(their_snapshot.tables[name] != snapshot.tables[name] for name in ("parent", "child"))
        assert their_snapshot.views["v_parent"] != snapshot.views["v_parent"]

        assert take_snapshot(ours) == snapshot
        assert take_snapshot(ours).lines() == snapshot.lines()
        assert _catalogs(ours) == catalogs
    finally:
        theirs.dispose()
        ours.dispose()
        others.drop_all()


def test_a_scratch_database_on_postgresql_commits_without_waiting_for_the_disk(db_url, db_backend):
    target = sa.create_engine(db_url)
    with scratch_database(db_url) as url:
        scratch = sa.create_engine(url)
        try:
            execute(scratch, "CREATE TABLE t (id INTEGER NOT NULL PRIMARY KEY)", "INSERT INTO t VALUES (1)")
            with scratch.connect() as connection:
                assert connection.exec_driver_sql("SELECT id FROM t").scalar() == 1
                if db_backend == "postgresql":
                    assert connection.exec_driver_sql("SHOW synchronous_commit").scalar() == "off"
                    # Set on the scratch database itself, whatever the server's default.
                    assert "synchronous_commit=off" in connection.exec_driver_sql(
                        "SELECT s.setconfig FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase "
                        "WHERE d.datname = current_database() AND s.setrole = 0").scalar()
        finally:
            scratch.dispose()
    try:
        if db_backend != "postgresql":
            assert adapter_for(target.dialect).scratch_database_settings_sql("lockgate_scratch_x") == []
    finally:
        target.dispose()
