"""The statement journal: how far a SQL script got on MariaDB/MySQL, and where the next run resumes.

MariaDB and MySQL commit the open transaction before every DDL statement
(``CREATE``, ``ALTER``, ``DROP``, ...), so a script that is stopped half way
keeps its statements up to the last such commit. The journal records that
point in the script's tracking row, in the same transaction as the
statements it describes:

* just before a statement that commits implicitly, the row's ``journal``
  becomes ``at N DIGEST`` (N: that statement's number, DIGEST: a hash of the
  statements 1..N). The statement's own implicit commit commits the update
  together with the statements before it, so no commit is added;
* the statements between two DDL statements share the transaction of the
  next update (or of the final row), so they commit with it or not at all.

After a stop, ``at N`` means statements 1..N-1 are in place and statement N,
a DDL statement, was running: whether it took effect is read off the catalog
(:meth:`~lockgate.dialects.base.DialectAdapter.ddl_in_effect`). The next run
skips what is in place and runs the rest; a script whose statements 1..N
changed on disk since is refused, and so is statement N when the catalog
cannot tell.

A statement that *failed* (the server refused it) leaves ``failed F DONE
DIGEST``: statement F failed when statements 1..DONE had committed (DIGEST:
their hash). The next run in the same direction continues at statement
DONE+1 as the file now has it, so a fix to the failing statement (or to any
later one) is what runs, provided statements 1..DONE are unchanged; a row
without DIGEST (written by an older version) stops for a person.

A script with no DDL statement writes no journal at all: its row is written
with it at the end, in one transaction.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Callable

from ..errors import HalfMigratedError, LockgateError
from ..records import REVERTING, STARTED
from ..scripts import KIND_SQL
from ..sqlsplit import iter_statements
from ..tracking import TrackingWrites, Write
from .txcontrol import TransactionControlCheck

AT, FAILED = "at", "failed"
#: Hex digits of the digest kept in the row (160 bits).
DIGEST_LENGTH = 40


class Effects:
    """Whether statements a rollback cannot undo have run (MySQL's implicit commits)."""

    def __init__(self, adapter):
        self.adapter = adapter
        self.ran_any = False
        self.committed = False
        #: Whether the open transaction (and a journal row in it) has been committed.
        self.journal_committed = False

    def before(self, statement: str) -> None:
        if self.adapter.implicit_commit(statement):
            self.journal_committed = True
            if self.ran_any:
                self.committed = True  # MySQL commits what came before, even if this one fails

    def after(self, statement: str) -> None:
        self.ran_any = True
        if self.adapter.implicit_commit(statement):
            self.committed = True


@dataclass(frozen=True)
class Mark:
    """A parsed ``journal`` value: ``at`` statement ``number`` (with ``digest``), or ``failed`` there."""

    kind: str
    number: int
    digest: str = ""
    done: int = 0

    def __str__(self) -> str:
        if self.kind == AT:
            return f"{AT} {self.number} {self.digest}"
        return f"{FAILED} {self.number} {self.done}" + (f" {self.digest}" if self.digest else "")


def parse(value: str | None) -> Mark | None:
    """The journal of a row, or None when it has none (or one this version cannot read)."""
    parts = (value or "").split()
    try:
        if len(parts) == 3 and parts[0] == AT:
            return Mark(AT, int(parts[1]), parts[2])
        if len(parts) in (3, 4) and parts[0] == FAILED:
            return Mark(FAILED, int(parts[1]), parts[3] if len(parts) == 4 else "", done=int(parts[2]))
    except ValueError:
        pass
    return None


def _first(count: int) -> str:
    """The first ``count`` statements in words: statements 1-3, statement 1, none of its statements."""
    return ("none of its statements" if count < 1 else "statement 1" if count == 1
            else f"statements 1-{count}")


def _normal(text: str) -> bytes:
    """A statement as the digest sees it: whitespace runs are one space, so re-splitting agrees."""
    return " ".join(text.split()).encode() + b"\0"


class StatementJournal:
    """Keeps one SQL script's journal as it runs in journaled mode, and resumes an earlier run's.

    :param resume: the unfinished row's journal when an earlier run stopped inside this script.
    :param warn: called with the sentence saying where a resumed script continues.
    """

    def __init__(self, writes: TrackingWrites, sink, adapter, script, state: str, *,
                 revision: str | None, resume: Mark | None, warn: Callable[[str], None]):
        self.writes, self.sink, self.adapter = writes, sink, adapter
        self.script, self.state, self.revision = script, state, revision
        self.resume, self.warn = resume, warn
        self.hash = hashlib.sha256()
        #: The number of the statement being run (or skipped).
        self.number = 0
        #: The number of the last statement the journal was written for (0: none yet), and the
        #: digests of the statements up to it and up to the one before it.
        self.mark = (resume.done if resume.kind == FAILED else resume.number) if resume else 0
        self._at_mark = resume.digest if resume else ""
        self._before_mark = ""
        #: Whether this run knows which statements are in place (a resumed one: once it has
        #: checked them); until then a failure leaves the earlier run's journal as it was.
        self._settled = resume is None
        #: Whether the unfinished row exists (in the database, or in this transaction).
        self.row = resume is not None
        self._announce: str | None = None

    def admit(self, statement) -> bool:
        """Whether to run ``statement``; writes the journal first when it commits implicitly.

        :raises HalfMigratedError: when resuming is not safe (changed file, undecidable statement).
        """
        self.number += 1
        resume = self.resume
        if resume is not None and resume.kind == FAILED and self.number == resume.done + 1:
            self._continue_after_failure(statement.line)
        commits = self.adapter.implicit_commit(statement.text)
        before = self._digest() if commits else ""
        self.hash.update(_normal(statement.text))
        if resume is not None and resume.kind == FAILED:
            if self.number <= resume.done:
                return False  # committed by the earlier run
        elif resume is not None and self.number <= resume.number:
            if self.number < resume.number:
                return False  # committed by the earlier run
            self._check_digest(statement)
            self._before_mark = before
            self.sink.write(self.writes.take_over(self.script.version, self.state, str(resume)))
            in_effect = self.adapter.ddl_in_effect(self.sink, statement.text)
            if in_effect is None:
                raise self._undecidable(statement)
            self._settled = True
            self._announce = (f"statement {self.number} (line {statement.line}), which was running "
                              f"when it stopped, {'had' if in_effect else 'had not'} taken effect "
                              "(the catalog shows it)")
            if in_effect:
                return False
        if self._announce is not None:
            self._say_where(f"continuing at statement {self.number}, line {statement.line}")
        if commits:
            self._write(self.number, before)
        return True

    def close(self, elapsed: int) -> Write:
        """The script's last tracking write, after its statements: applied (or gone, for a revert)."""
        resume = self.resume
        if resume is not None and self.number < (resume.done if resume.kind == FAILED else resume.number):
            raise self._changed(f"it now has {self.number} statement(s)")
        if resume is not None and resume.kind == FAILED and self.number == resume.done:
            self._continue_after_failure(None)  # the failing statement and all after it were removed
        if self._announce is not None:
            self._say_where("all of its statements were in place; recording it")
        version = self.script.version
        if self.state == STARTED:
            return (self.writes.finish(self.script, elapsed) if self.row
                    else self.writes.insert(self.script, elapsed, vcs_revision=self.revision))
        return self.writes.remove(version, self.state) if self.row else self.writes.remove(version)

    def failed(self) -> Write:
        """The write that records a statement's failure, for the next run to continue after a fix.

        Statements up to the last journal mark are in place, except the mark
        itself when it is the statement that failed (a failed DDL statement
        is taken to have had no effect: MariaDB and MySQL 8 run each one
        atomically). The digest of the statements in place lets the next run
        check them.
        """
        if not self._settled:
            assert self.resume is not None
            return self.writes.set_journal(self.script.version, self.state, str(self.resume))
        if self.number == self.mark:
            done, digest = self.mark - 1, self._before_mark
        else:
            done, digest = self.mark, self._at_mark
        return self.writes.set_journal(self.script.version, self.state,
                                       str(Mark(FAILED, self.number, digest, done=max(done, 0))))

    def _digest(self) -> str:
        return self.hash.hexdigest()[:DIGEST_LENGTH]

    def _write(self, number: int, before: str) -> None:
        self._before_mark, self._at_mark = before, self._digest()
        mark = str(Mark(AT, number, self._at_mark))
        version = self.script.version
        if self.row:
            self.sink.write(self.writes.note(version, self.state, mark))
        elif self.state == STARTED:
            self.sink.write(self.writes.insert(self.script, None, state=STARTED, vcs_revision=self.revision,
                                               journal=mark))
        else:
            self.sink.write(self.writes.start_revert(version, mark))
        self.row, self.mark = True, number

    def _say_where(self, where: str) -> None:
        announce, self._announce = self._announce, None
        script = self.script
        self.warn(f"an earlier run stopped inside script {script.version} ({script.title}) when "
                  f"{_first(self.resume.number - 1 if self.resume else 0)} had committed; "
                  f"{announce}; {where}.")

    def _continue_after_failure(self, line: int | None) -> None:
        """Check the statements a failed run left in place, take its row over, and say where this one goes on.

        :param line: where the next statement starts (None: the file now ends there).
        """
        resume = self.resume
        assert resume is not None
        if self._digest() != resume.digest:
            raise self._changed(f"{_first(resume.done)} differ from what that run ran")
        self.sink.write(self.writes.take_over(self.script.version, self.state, str(resume)))
        self._settled = True
        script = self.script
        where = (f"continuing at statement {resume.done + 1}, line {line}" if line is not None
                 else "the file now ends there; recording it")
        self.warn(f"an earlier run stopped inside script {script.version} ({script.title}) when its "
                  f"statement {resume.number} failed and {_first(resume.done)} had committed; {where}.")

    def _check_digest(self, statement) -> None:
        assert self.resume is not None
        if self._digest() != self.resume.digest:
            raise self._changed(f"{_first(self.resume.number)} differ from what that run ran")

    def _changed(self, how: str) -> HalfMigratedError:
        assert self.resume is not None
        resume, version = self.resume, self.script.version
        if resume.kind == FAILED:
            done = _first(resume.done)
            return HalfMigratedError(
                f"An earlier run of script {version} ({self.script.title}) failed at its statement "
                f"{resume.number} when {done} had committed (this database commits DDL as it goes), "
                f"but {done} of the file changed since ({how}), so lockgate cannot tell where to "
                f"continue. Nothing was run. Put {done} back as they were when that run started "
                f"(e.g. from version control), keeping any fix to statement {resume.done + 1} or later, "
                f"and run the command again: it continues at statement {resume.done + 1}. A change "
                f"meant for {done} belongs in a new script. Or check the schema, finish or undo the "
                f"script's changes by hand and run `lockgate resolve {version} --applied` (all of its "
                "changes are in place) or `--reverted` (none are).")
        n = resume.number
        return HalfMigratedError(
            f"An earlier run stopped inside script {version} ({self.script.title}) "
            f"while its statement {n} was running, when {_first(n - 1)} had committed, but the "
            f"file changed since ({how}), so lockgate cannot tell where to continue. Nothing was run. "
            "Restore the file as it was when that run started (e.g. from version control) and run "
            "the command again to continue it; or check the schema, finish or undo the script's "
            f"changes by hand and run `lockgate resolve {version} --applied` (all of its "
            "changes are in place) or `--reverted` (none are).")

    def _undecidable(self, statement) -> HalfMigratedError:
        n = self.number
        first = " ".join(statement.text.split())
        first = first if len(first) <= 80 else first[:77] + "..."
        return HalfMigratedError(
            f"An earlier run stopped inside script {self.script.version} ({self.script.title}) "
            f"while its statement {n} (line {statement.line}: {first}) was running; {_first(n - 1)} "
            f"had committed and the rest had not. Whether statement {n} took effect "
            "cannot be read from the catalog, so nothing was run. Check whether it did; then "
            f"finish or undo the script's changes by hand and run `lockgate resolve "
            f"{self.script.version} --applied` (all of its changes are in place) or `--reverted` "
            "(none are).")


def unfinished_error(row, mark: Mark | None, line: int | None, *, wrong_command: str | None = None):
    """The error for a row an earlier run left unfinished, naming its statement where it is known."""
    doing = "applying" if row.state == STARTED else "reverting"
    when = f" on {row.applied_at:%Y-%m-%d %H:%M:%S} UTC" if row.applied_at else ""
    where = f" (line {line})" if line else ""
    settle = ("finish or undo the script's changes by hand, then run "
              f"`lockgate resolve {row.version} --applied` (all of its changes are in place) or "
              f"`lockgate resolve {row.version} --reverted` (none are), and run the command again.")
    head = (f"An earlier run stopped while {doing} script {row.version} ({row.title}){when}, started "
            f"by {row.applied_by or 'an unknown user'}.")
    if wrong_command is not None:
        return HalfMigratedError(
            f"{head} Its statements up to where it stopped are in place; "
            f"`lockgate {wrong_command}` continues it from there. Nothing was run.")
    if mark is not None and mark.kind == FAILED:
        return HalfMigratedError(
            f"{head} Its statement {mark.number}{where} failed; {_first(mark.done)} "
            f"{'is' if mark.done == 1 else 'are'} in place (this database commits DDL as it goes) and "
            "the rest are not. Nothing was run. "
            f"Check the schema, {settle}")
    return HalfMigratedError(
        f"{head} This database commits DDL as it goes, so it may be half-migrated: part of that "
        f"script may be in place. Nothing was run. Check the schema, {settle}")


def resumable(row, mark: Mark | None, script, direction_state: str) -> bool:
    """Whether the next run can continue the row's script where it stopped (a SQL script's own journal)."""
    return (mark is not None and (mark.kind == AT or bool(mark.digest)) and row.state == direction_state
            and script is not None and script.kind == KIND_SQL)


def statement_line(item, number: int, dialect: str) -> int | None:
    """The line where statement ``number`` of a SQL file starts, counted as the runner counts them."""
    check = TransactionControlCheck(dialect, str(item))
    seen = 0
    try:
        with item.open("r", encoding="utf-8-sig", newline="") as stream:
            for statement in iter_statements(stream, dialect):
                if check.admit(statement):
                    seen += 1
                    if seen == number:
                        return statement.line
    except (OSError, UnicodeDecodeError, LockgateError):
        return None
    return None


def to_continue(scripts, stuck: list, journals: dict, upgrading: bool, dialect: str):
    """The script an earlier run stopped inside and its journal, when this run can continue it.

    :param stuck: the unfinished rows, lowest version first; ``journals`` has the first one's.
    :raises HalfMigratedError: when a person must settle the row (naming the statement where known).
    """
    if not stuck:
        return None
    row = stuck[0]
    mark = parse(journals.get(row.version))
    script = next((s for s in scripts if s.version == row.version), None)
    if len(stuck) == 1 and resumable(row, mark, script, STARTED if upgrading else REVERTING):
        return script, mark
    if len(stuck) == 1 and resumable(row, mark, script, row.state):
        raise unfinished_error(row, mark, None,
                               wrong_command="upgrade" if row.state == STARTED else "downgrade")
    line = None
    if mark is not None and mark.kind == FAILED and script is not None:
        item = script.main_file if row.state == STARTED else script.sql_files.get("downgrade")
        line = statement_line(item, mark.number, dialect) if item else None
    raise unfinished_error(row, mark, line)
