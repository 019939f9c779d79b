"""Snapshots read from each database's catalog, and the stairway's snapshots that re-read only what changed.

The stairway compares two snapshots per script; each is read with a few
catalog queries, and a series of them re-reads only the tables whose
fingerprint changed. These tests hold both to the promise that matters: a
snapshot re-read in part is the snapshot read whole, after every kind of
change a script can make, on every database; and a wrong downgrade far from
where its table was made is still caught.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from helpers import execute
from lockgate.schema.snapshot import SnapshotReader, diff_snapshots, take_snapshot
from lockgate.testing import FAILED, OK, stairway

BASE = [
    "CREATE TABLE parent (id INTEGER NOT NULL PRIMARY KEY, code VARCHAR(20) NOT NULL, "
    "state VARCHAR(10) DEFAULT 'new', CHECK (id > 0))",
    "CREATE TABLE child (id INTEGER NOT NULL PRIMARY KEY, parent_id INTEGER "
    "REFERENCES parent (id) ON DELETE CASCADE, label VARCHAR(20))",
    "CREATE TABLE other (id INTEGER NOT NULL PRIMARY KEY, note VARCHAR(50))",
]

#: Changes every database can make, each a separate step; (description, statements by backend).
CHANGES = [
    ("an index", {"*": ["CREATE INDEX ix_parent_state ON parent (state)"]}),
    ("a unique index", {"*": ["CREATE UNIQUE INDEX ux_parent_code ON parent (code)"]}),
    ("a dropped index", {"*": ["DROP INDEX ix_parent_state"],
                         "mariadb": ["DROP INDEX ix_parent_state ON parent"]}),
    ("a column with a default", {"*": ["ALTER TABLE other ADD COLUMN size INTEGER DEFAULT 3"]}),
    ("a view", {"*": ["CREATE VIEW v_parent AS SELECT id, code FROM parent"]}),
    ("a renamed column", {"*": ["ALTER TABLE other RENAME COLUMN note TO remark"]}),
    ("a composite index", {"*": ["CREATE INDEX ix_child_both ON child (parent_id, label)"]}),
    ("a changed default", {"*": ["ALTER TABLE parent ALTER COLUMN state SET DEFAULT 'old'"],
                           "sqlite": None}),
    ("a column made NOT NULL", {"postgresql": ["ALTER TABLE other ALTER COLUMN remark SET NOT NULL"],
                                "mariadb": ["ALTER TABLE other MODIFY remark VARCHAR(50) NOT NULL"],
                                "sqlite": None}),
    ("a check constraint", {"*": ["ALTER TABLE other ADD CONSTRAINT size_positive CHECK (size > 0)"],
                            "sqlite": None}),
    ("a foreign key", {"*": ["ALTER TABLE other ADD COLUMN parent_id INTEGER",
                             "ALTER TABLE other ADD CONSTRAINT fk_other_parent FOREIGN KEY (parent_id) "
                             "REFERENCES parent (id) ON DELETE SET NULL"],
                       "sqlite": ["ALTER TABLE other ADD COLUMN parent_id INTEGER REFERENCES parent (id) "
                                  "ON DELETE SET NULL"]}),
    ("a renamed parent table", {"*": ["ALTER TABLE parent RENAME TO elder"]}),
    ("a dropped view and table", {"*": ["DROP VIEW v_parent", "DROP TABLE child"]}),
    # Changes that only delete catalog rows of a table that is kept, and write none of its own.
    ("a dropped foreign key", {"*": ["ALTER TABLE other DROP CONSTRAINT fk_other_parent"],
                               "mariadb": ["ALTER TABLE other DROP FOREIGN KEY fk_other_parent"],
                               "sqlite": None}),
    ("a dropped check constraint", {"*": ["ALTER TABLE other DROP CONSTRAINT size_positive"],
                                    "mariadb": ["ALTER TABLE other DROP CONSTRAINT size_positive"],
                                    "sqlite": None}),
    ("a dropped default", {"*": ["ALTER TABLE elder ALTER COLUMN state DROP DEFAULT"], "sqlite": None}),
    ("a dropped column", {"*": ["ALTER TABLE other DROP COLUMN size"]}),
    ("an index dropped on an unchanged table", {"*": ["DROP INDEX ux_parent_code"],
                                                "mariadb": ["DROP INDEX ux_parent_code ON elder"]}),
]


@pytest.fixture
def engine(db_url):
    engine = sa.create_engine(db_url)
    yield engine
    engine.dispose()


def test_a_snapshot_read_in_part_is_the_snapshot_read_whole(engine, db_backend):
    execute(engine, *BASE)
    reader = SnapshotReader()
    with engine.connect() as connection:
        previous = reader.take(connection)
    assert previous == take_snapshot(engine) and set(previous.tables) == {"parent", "child", "other"}
    assert "check (id>0)" in previous.tables["parent"]
    for what, statements in CHANGES:
        sql = statements[db_backend] if db_backend in statements else statements["*"]
        if sql is None:
            continue  # the database cannot make this change
        execute(engine, *sql)
        with engine.connect() as connection:
            now = reader.take(connection)
        whole = take_snapshot(engine)
        assert diff_snapshots(whole, now) == [], what
        assert diff_snapshots(previous, now), f"{what} went unseen"
        previous = now


def test_each_kind_of_object_is_in_the_snapshot(engine, db_backend):
    execute(engine, *BASE, "CREATE UNIQUE INDEX ux_parent_code ON parent (code)",
            "CREATE VIEW v_parent AS SELECT id, code FROM parent")
    snapshot = take_snapshot(engine)
    parent, child = snapshot.tables["parent"], snapshot.tables["child"]
    assert parent["primary key"] == "(id)"
    assert parent["column state"].endswith("NULL DEFAULT new")
    assert "NOT NULL" in parent["column code"]
    assert "check (id>0)" in parent
    assert "unique (code)" in parent or parent.get("index ux_parent_code") == "UNIQUE (code)"
    assert child["foreign key (parent_id)"] == "REFERENCES parent (id) ON DELETE CASCADE"
    assert "select" in snapshot.views["v_parent"] and "code" in snapshot.views["v_parent"]


def _far_scripts(make_scripts, db_backend):
    """151 scripts: the first makes a table, the last indexes it and its downgrade forgets the index.

    Each script between changes the schema. Where snapshots are read in part
    (SQLite, PostgreSQL) each makes a table, so the reader carries 150 tables
    past the early one. MariaDB reads the whole schema at every snapshot, so
    there each renames one table onward instead: a table still vanishes and
    another appears at every step, and the snapshots stay two tables small
    (150 accumulated tables made its 302 snapshots most of a minute).
    """
    files = {"1_early.sql": "CREATE TABLE early (id INTEGER NOT NULL PRIMARY KEY, kind VARCHAR(10));\n",
             "1_downgrade.sql": "DROP TABLE early;\n"}
    for number in range(2, 151):
        if db_backend == "mariadb" and number > 2:
            files[f"{number}_t.sql"] = f"ALTER TABLE t_{number - 1} RENAME TO t_{number};\n"
            files[f"{number}_downgrade.sql"] = f"ALTER TABLE t_{number} RENAME TO t_{number - 1};\n"
        else:
            files[f"{number}_t.sql"] = f"CREATE TABLE t_{number} (id INTEGER NOT NULL PRIMARY KEY);\n"
            files[f"{number}_downgrade.sql"] = f"DROP TABLE t_{number};\n"
    files["151_index_early.sql"] = "CREATE INDEX ix_early_kind ON early (kind);\n"
    files["151_downgrade.sql"] = "SELECT 1;\n"  # forgot DROP INDEX
    return make_scripts(files)


def test_a_downgrade_forgetting_an_index_on_a_table_made_150_scripts_earlier_is_caught(
        db_url, db_backend, make_scripts):
    report = stairway(db_url, directory=_far_scripts(make_scripts, db_backend))
    assert not report.ok
    assert [step.outcome for step in report.steps[:150]] == [OK] * 150
    failure = report.steps[150]
    assert failure.outcome == FAILED and failure.name.startswith("151 (151_index_early.sql)")
    assert failure.differences == ["table early: index ix_early_kind unexpected"], report.format()
