"""Splitting a stream gives what splitting the whole text gives, in bounded memory.

A stream is read in chunks, so a chunk boundary can fall anywhere: inside a
string, a comment, a dollar quote, a delimiter, a ``DELIMITER`` line or a
break marker. The tests feed text a few characters at a time to put a
boundary at every position, and a lazily generated 100 MB script to bound memory.
"""

from __future__ import annotations

import io
import random
import tracemalloc
from pathlib import Path

import pytest

import test_sqlsplit as cases
from lockgate.errors import LockgateError
from lockgate.sqlsplit import iter_statements, split_sql

CORPUS = Path(__file__).parent / "split_corpus"
DIALECTS = ["postgresql", "mysql", "sqlite", "oracle"]


class Trickle:
    """A text stream whose reads return 1 to ``most`` characters, like a slow pipe."""

    def __init__(self, text: str, seed: int, most: int = 7):
        self.text, self.pos, self.most = text, 0, most
        self.random = random.Random(seed)

    def read(self, size: int) -> str:
        size = min(size, self.random.randint(1, self.most))
        piece = self.text[self.pos:self.pos + size]
        self.pos += len(piece)
        return piece


HARD_SHAPES = [
    cases.SQLITE_TRIGGER + ";\nSELECT 2;",
    cases.MYSQL_PROCEDURE + ";\r\nSTART TRANSACTION;\r\nCALL fill(3);",
    "DELIMITER //\nCREATE PROCEDURE p()\nBEGIN\n  SELECT '//';\n  SELECT 1;\nEND //\n"
    "CREATE FUNCTION g() RETURNS INT RETURN 1//\ndelimiter $$\nSELECT 1$$ SELECT '$$' $$\nDELIMITER ;\nCALL p();\n",
    "SELECT $$\n;\n$$;\n/* /*\n*/ ; */\nSELECT 2;\nSELECT E'\\'\n'; SELECT $fn$ $$ ; $fn$; SELECT a$b, $1;",
    "SELECT 'it''s; fine', \"a;b\" -- x;\n/* ; */ FROM t;\n\n-- c\nSELECT `q;`, [r;s], 'a\\';b'; SELECT 5--1;",
    "CREATE FUNCTION f() LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN a THEN 'x;' END; END;\n"
    "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); DELETE FROM b); SELECT 3",
    "SELECT 1;\n-- lockgate: break\nSELECT 2\n  -- LOCKGATE: Break  \r\n"
    "SELECT 3 -- lockgate: break\n+ 1; SELECT '\n-- lockgate: break\n'",
    "-- header\n-- lockgate: split-at-markers\nSELECT 1; SELECT 2;\n-- lockgate: break\n/* c */ SELECT 3;\n",
    "SELECT 1 /* never closed; SELECT 2",
    "SELECT 'never closed; SELECT 2",
]


def _samples() -> list[str]:
    files = sorted(CORPUS.glob("*/handwritten*.sql"))
    return HARD_SHAPES + [path.read_text(encoding="utf-8") for path in files]


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("sample", range(len(_samples())))
def test_stream_with_tiny_reads_splits_like_text(dialect, sample):
    sql = _samples()[sample]
    expected = split_sql(sql, dialect)
    for seed in range(25):
        assert list(iter_statements(Trickle(sql, seed), dialect, chunk_size=1)) == expected, seed


@pytest.mark.parametrize("dialect", DIALECTS)
def test_random_round_trip_scripts_stream_like_text(dialect):
    # The generated scripts of test_sqlsplit, read in random small pieces.
    rnd = random.Random(dialect)
    fragments = cases.FRAGMENTS[dialect] + ["'x\n-- lockgate: break\n'", "\n-- lockgate: break\n"]
    for _ in range(200):
        parts = rnd.choices(fragments + cases.BLOCKS[dialect] + cases.SEPARATORS, k=rnd.randint(1, 25))
        sql = "SELECT " + " ".join(parts)
        expected = split_sql(sql, dialect)
        stream = Trickle(sql, rnd.randrange(1 << 30), most=rnd.choice([1, 3, 7, 64]))
        assert list(iter_statements(stream, dialect, chunk_size=rnd.choice([1, 2, 5]))) == expected, sql


@pytest.mark.parametrize("dialect", DIALECTS)
def test_lone_cr_and_crlf_count_lines_in_a_stream_as_in_text(dialect):
    # A read may end between the CR and the LF of a CR LF, and the splitter may
    # drop the text before the LF (after a break marker): still one line end.
    rnd = random.Random(dialect)
    ends = ["\r", "\n", "\r\n", "\r\r\n", " ", "\r\n-- lockgate: break\r\n"]
    sql = "".join(f"SELECT {i}" + rnd.choice(["", ";"]) + rnd.choice(ends) for i in range(300)) + ";"
    expected = split_sql(sql, dialect)
    before = sql[:sql.rindex(expected[-1].text)]
    assert expected[-1].line == before.count("\n") + before.count("\r") - before.count("\r\n") + 1
    for seed in range(5):
        assert list(iter_statements(Trickle(sql, seed, most=3), dialect, chunk_size=1)) == expected, seed


def test_real_corpus_files_stream_like_text():
    for path in sorted((CORPUS / "postgresql").glob("*.sql"))[:12]:
        sql = path.read_text(encoding="utf-8")
        assert list(iter_statements(io.StringIO(sql), "postgresql", chunk_size=97)) == split_sql(sql, "postgresql")


def test_open_file_is_a_stream(tmp_path):
    path = tmp_path / "dump.sql"
    path.write_text("SELECT 1;\nSELECT 'a;\nb';\n", encoding="utf-8")
    with path.open(encoding="utf-8") as stream:
        assert [(s.text, s.line) for s in iter_statements(stream, "sqlite")] == [("SELECT 1", 1), ("SELECT 'a;\nb'", 2)]


def test_stream_is_read_lazily():
    reads = []

    class Recording(io.StringIO):
        def read(self, size=-1):
            reads.append(size)
            return super().read(size)

    statements = iter_statements(Recording("SELECT 1;\n" * 1000), "postgresql", chunk_size=100)
    assert next(statements).text == "SELECT 1"
    assert len(reads) == 1


def test_statement_longer_than_a_chunk_is_read_in_growing_pieces():
    reads = []

    class Recording(io.StringIO):
        def read(self, size=-1):
            reads.append(size)
            return super().read(size)

    sql = "INSERT INTO t VALUES " + ",".join(f"({i}, 'row; {i}')" for i in range(20000)) + ";\nSELECT 2"
    got = list(iter_statements(Recording(sql), "postgresql", chunk_size=1000))
    assert got == split_sql(sql, "postgresql")
    assert len(reads) < 20  # sizes double: the long statement is rescanned a few times, not hundreds


class GeneratedDump:
    """A PostgreSQL dump of ``size`` characters made up on demand: never held in memory."""

    def __init__(self, size: int):
        rows = ",\n  ".join(f"({i}, 'name {i}; it''s', E'tab\\t{i}', 'C:\\temp\\', NULL)" for i in range(200))
        self.block = f"INSERT INTO items VALUES\n  {rows};\n-- a comment; between\n"
        self.size, self.pos = size, 0

    @property
    def statements(self) -> int:
        return -(-self.size // len(self.block))

    def read(self, size: int) -> str:
        size = min(size, self.size - self.pos)
        if size <= 0:
            return ""
        start = self.pos % len(self.block)
        text = (self.block * (size // len(self.block) + 2))[start:start + size]
        self.pos += size
        return text


def test_large_stream_splits_in_bounded_memory():
    dump = GeneratedDump(100_000_000)
    dump.size -= dump.size % len(dump.block)  # end on a statement boundary
    lines_per_block = dump.block.count("\n")
    tracemalloc.start()
    try:
        count = 0
        for count, statement in enumerate(iter_statements(dump, "postgresql"), 1):
            if count % 50_000 == 1:
                assert statement.line == (count - 1) * lines_per_block + 1
                assert statement.text.startswith("INSERT INTO items VALUES") and statement.text.endswith("NULL)")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == dump.statements
    assert peak < 12_000_000, f"peak {peak / 1e6:.1f} MB"  # about 4 MB with 1 MiB chunks


# --- COPY ... FROM STDIN ------------------------------------------------------------


@pytest.mark.parametrize(
    "copy", ["COPY items (id, name) FROM stdin", "copy public.items from STDIN with (format csv)", "COPY t FROM STDIN"]
)
def test_copy_from_stdin_is_refused_with_advice(copy):
    sql = f"-- dump\nSET x = 1;\n\n{copy};\n1\tone\n2\ttwo\n\\.\nSELECT 1;\n"
    with pytest.raises(LockgateError) as raised:
        split_sql(sql, "postgresql")
    message = str(raised.value)
    assert message.startswith("line 4: COPY ... FROM STDIN")
    assert "INSERT" in message and "psql" in message and "\n" not in message
    with pytest.raises(LockgateError):
        list(iter_statements(Trickle(sql, 1), "postgresql", chunk_size=1))


@pytest.mark.parametrize(
    "sql",
    [
        "COPY items TO STDOUT",
        "COPY items FROM '/srv/items.csv'",
        "COPY (SELECT * FROM stdin_log) TO STDOUT",
        "SELECT 'COPY t FROM stdin'",
    ],
)
def test_other_copy_statements_are_fine(sql):
    assert [s.text for s in split_sql(f"{sql};\nSELECT 2", "postgresql")] == [sql, "SELECT 2"]


@pytest.mark.parametrize("dialect", ["mysql", "sqlite"])
def test_copy_from_stdin_is_only_checked_for_postgresql(dialect):
    assert len(split_sql("COPY t FROM stdin; SELECT 2", dialect)) == 2


def test_binary_stream_is_refused_with_a_hint():
    with pytest.raises(TypeError, match="text mode"):
        split_sql(io.BytesIO(b"SELECT 1;"), "sqlite")
