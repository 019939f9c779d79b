"""Find the transaction control statements that would break a script's atomicity.

lockgate runs each transactional SQL script in one transaction together with
the row that records it, so that both commit or neither does.  A script with a
top-level ``COMMIT``, ``ROLLBACK`` or ``BEGIN`` of its own (or, on MySQL and
MariaDB, ``USE otherdb``, ``SET autocommit`` or ``XA``) would end or escape that
transaction halfway, so such statements are refused -- naming file and line --
before anything runs.  The one exception is a wrapper around the whole file
(``BEGIN`` first, ``COMMIT`` last), which is redundant and skipped, because
scripts written for psql often carry one.

Only a statement's leading keywords decide: ``COMMIT`` inside a routine body,
a ``DO`` block or a dollar-quoted function is not top-level (the splitter keeps
such a body in one statement that starts with ``CREATE`` or ``DO``), and words
further into a statement never make it control.

Every statement of every script passes through :func:`transaction_control`,
including multi-million-statement data loads, so the work is one match of a
compiled regular expression per statement, which fails at the first keyword
for ordinary statements; no Python code walks the text.  Known limits: nested
PostgreSQL block comments are understood four levels deep, and MySQL modifiers
carried over from an earlier assignment (``SET GLOBAL a = 1, autocommit = 0``)
are not tracked, so that statement is refused as if it set the session's
autocommit.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import NamedTuple

from ..errors import LockgateError, TransactionControlError
from ..sqlsplit import MYSQL, POSTGRESQL, STANDARD, Statement, TextSource, iter_statements, sql_kind

__all__ = [
    "KINDS",
    "TransactionControlCheck",
    "TransactionControlError",
    "check_script",
    "might_contain_control",
    "transaction_control",
]

#: What :func:`transaction_control` returns for a control statement.
KINDS = ("begin", "commit", "rollback", "prepare", "use", "autocommit")

# A word ends where no identifier character follows ("use_count" is no USE).
_END = r"(?![\w$])"
_DASH_COMMENT = r"--[^\n]*(?:\n|\Z)"
# MySQL needs whitespace or a control character after "--"; "--x" is minus minus x.
_MY_DASH_COMMENT = r"--(?=[\x00-\x20])[^\n]*(?:\n|\Z)"
_HASH_COMMENT = r"#[^\n]*(?:\n|\Z)"
_C_COMMENT_REST = r"[^*]*\*+(?:[^/*][^*]*\*+)*/"  # after the opening /*, written to run in linear time
_C_COMMENT = r"/\*" + _C_COMMENT_REST
# /*! ... */ and /*M! ... */ are run by the MySQL server: their content is SQL.
_MY_EXECUTABLE_OPENER = r"/\*M?!\d*"
# Quoted tokens may not be followed by their quote, so that '''' is read one way
# only: several readings would make a failing match backtrack exponentially.
_MY_SINGLE_QUOTED = r"'[^'\\]*(?:(?:''|\\.)[^'\\]*)*'(?!')"
_MY_DOUBLE_QUOTED = r'"[^"\\]*(?:(?:""|\\.)[^"\\]*)*"(?!")'
_BACKTICKED = r"`[^`]*(?:``[^`]*)*`(?!`)"

#: Words at least one of which every control statement starts with, per dialect.
_KEYWORDS = {
    "postgresql": ("BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT", "PREPARE"),
    "mysql": ("BEGIN", "START", "COMMIT", "ROLLBACK", "XA", "USE", "AUTOCOMMIT"),
    "sqlite": ("BEGIN", "COMMIT", "END", "ROLLBACK"),
}

_NO_TRANSACTION = (
    "Or, to run the script statement by statement outside a transaction, where such statements "
    "are allowed, start the file with the line `-- lockgate: no-transaction`."
)
_FIX = (
    "Remove it: each script already runs in its own transaction (a whole-file "
    f"BEGIN ... COMMIT wrapper is accepted). {_NO_TRANSACTION}"
)
_FIX_USE = (
    "Remove it, and name tables of other databases in full (`otherdb.table`) instead. "
    f"{_NO_TRANSACTION}"
)
_SAME_COMMIT = "so the script and its tracking row would no longer commit together"
_WHY = {
    "commit": f"would end the transaction lockgate runs this script in, {_SAME_COMMIT}",
    "rollback": ("would end the transaction lockgate runs this script in, undoing the statements "
                 f"before it, {_SAME_COMMIT}"),
    "begin": ("starts a transaction in the middle of a script that lockgate already runs, with its "
              "tracking row, in one transaction; a BEGIN is accepted only as the first statement of "
              "a whole-file BEGIN ... COMMIT wrapper"),
    "prepare": ("is two-phase commit, which would end or hand over the transaction lockgate runs "
                f"this script in, {_SAME_COMMIT}"),
    "use": ("would switch the session away from the database the tracking table lives in, so the "
            "script's tracking row would be written to the wrong database, or fail to be written"),
    "autocommit": ("would change when the session commits (turning autocommit on commits the open "
                   f"transaction at once), {_SAME_COMMIT}"),
}
# MySQL commits the open transaction before it starts a new one.
_WHY_MYSQL_BEGIN = (
    "would commit the transaction lockgate runs this script in (MySQL commits the open "
    f"transaction before it starts a new one), {_SAME_COMMIT}; a BEGIN is accepted only as the "
    "first statement of a whole-file BEGIN ... COMMIT wrapper"
)
_QUOTE_LIMIT = 40


class _Rules(NamedTuple):
    kind: str  # "postgresql", "mysql" or "sqlite"
    statement: re.Pattern[str]  # matches at the start of a control statement
    comment: re.Pattern[str]  # a comment, to drop from quoted keywords
    keywords: re.Pattern[str]  # any keyword a control statement can start with


def _kind(dialect: str) -> str:
    """The rule set for a dialect name; ``mariadb`` is MySQL, unknown names PostgreSQL-like."""
    kind = sql_kind(dialect)
    return POSTGRESQL if kind == STANDARD else kind


def _nested_comment(depth: int) -> str:
    """A PostgreSQL block comment with comments nested up to ``depth`` levels in all.

    Nesting cannot be matched by a regular expression in general, so the
    depth is bounded; each character is read one way only, so a comment that
    never closes fails in linear time.
    """
    inner = r"[^*/]|\*(?!/)|/(?!\*)"
    if depth > 1:
        inner += "|" + _nested_comment(depth - 1)
    return rf"/\*(?:{inner})*\*/"


def _comments(kind: str) -> tuple[str, ...]:
    if kind == MYSQL:
        return _MY_DASH_COMMENT, _HASH_COMMENT, r"/\*(?!M?!)" + _C_COMMENT_REST
    if kind == POSTGRESQL:
        return _DASH_COMMENT, _nested_comment(4)
    return _DASH_COMMENT, _C_COMMENT


def _gap(kind: str, *more: str) -> str:
    """Whitespace and comments (and ``more``), one character or one whole comment per step.

    ``\\s`` is not repeated inside the repetition: ``(?:\\s+)*`` would let a
    failing match try every way of cutting a run of blanks.
    """
    return "(?:" + "|".join((r"\s",) + _comments(kind) + more) + ")*"


def _form(name: str, pattern: str) -> str:
    """One statement form as a named group; the group's name is what the statement is."""
    return f"(?P<{name}>{pattern})"


def _whole(pattern: str, g: str) -> str:
    """``pattern`` only when nothing but blanks and comments follow it.

    For ``END``, which in any other statement (``END IF``, the rest of a
    routine cut in the wrong place) is no transaction control.
    """
    return rf"{pattern}(?={g}\Z)"


def _postgresql(g: str) -> list[str]:
    """PostgreSQL's statement forms; the first that matches decides."""
    tx = rf"(?:{g}(?:WORK|TRANSACTION){_END})?"
    chain = rf"(?:{g}AND{_END}{g}(?:NO{_END}{g})?CHAIN{_END})?"
    return [
        _form("prepare", rf"PREPARE{_END}{g}TRANSACTION{_END}|(?:COMMIT|ROLLBACK){_END}{g}PREPARED{_END}"),
        _form("savepoint", rf"ROLLBACK{_END}{tx}{g}TO{_END}"),
        # BEGIN ATOMIC opens an SQL-standard function body, not a transaction.
        _form("begin", rf"BEGIN{_END}(?!{g}ATOMIC{_END}){tx}|START{_END}{g}TRANSACTION{_END}"),
        _form("commit", rf"COMMIT{_END}{tx}|{_whole(rf'END{_END}{tx}{chain}', g)}"),
        _form("rollback", rf"(?:ROLLBACK|ABORT){_END}{tx}"),
    ]


def _mysql(g: str) -> list[str]:
    """MySQL's and MariaDB's statement forms; the first that matches decides."""
    work = rf"(?:{g}WORK{_END})?"
    return [
        _form("savepoint", rf"ROLLBACK{_END}{work}{g}TO{_END}"),
        # BEGIN NOT ATOMIC is MariaDB's anonymous compound statement.
        _form("begin", rf"BEGIN{_END}(?!{g}NOT{_END}{g}ATOMIC{_END}){work}|START{_END}{g}TRANSACTION{_END}"),
        _form("commit", rf"COMMIT{_END}{work}"),
        _form("rollback", rf"ROLLBACK{_END}{work}"),
        _form("prepare", rf"XA{_END}(?:{g}[A-Za-z]+{_END})?"),
        _form("use", rf"USE{_END}(?:{g}(?:{_BACKTICKED}|[\w$]+))?"),
        _my_set_autocommit(g),
    ]


def _my_set_autocommit(g: str) -> str:
    """``SET`` with ``autocommit`` (session, not global) as the target of any of its assignments.

    The assignments before it are skipped token by token up to each top-level
    comma: strings, quoted names and comments may hold commas or the word
    autocommit without counting.  Commas inside function calls are not told
    apart, which only matters for nonsense such as ``IF(a, autocommit = 1, 0)``.
    """
    token = "|".join((
        r"[^'\"`,#/\-]",
        r"-(?!-[\x00-\x20])",
        r"/(?!\*)",
        _MY_SINGLE_QUOTED,
        _MY_DOUBLE_QUOTED,
        _BACKTICKED,
        _MY_DASH_COMMENT,
        _HASH_COMMENT,
        _C_COMMENT,
    ))
    target = rf"(?:@@(?:SESSION|LOCAL)\.|@@|(?:SESSION|LOCAL){_END}{g})?`?AUTOCOMMIT`?{_END}"
    assignments = rf"(?:(?:{token})*,)*"
    return rf"(?P<autocommit>SET{_END})(?P<assignments>{assignments}){g}(?P<target>{target}){g}:?="


def _sqlite(g: str) -> list[str]:
    """SQLite's statement forms; the first that matches decides."""
    tx = rf"(?:{g}TRANSACTION{_END})?"
    named_tx = rf"(?:{g}TRANSACTION{_END}(?:{g}[\w$]+)?)?"  # a name after it is allowed, and ignored
    return [
        _form("savepoint", rf"ROLLBACK{_END}{named_tx}{g}TO{_END}"),
        _form("begin", rf"BEGIN{_END}(?:{g}(?:DEFERRED|IMMEDIATE|EXCLUSIVE){_END})?{tx}"),
        _form("commit", rf"COMMIT{_END}{tx}|{_whole(rf'END{_END}{named_tx}', g)}"),
        _form("rollback", rf"ROLLBACK{_END}{tx}"),
    ]


@lru_cache(maxsize=None)
def _rules(kind: str) -> _Rules:
    """The compiled patterns of one dialect, built once per process."""
    g = _gap(kind)
    forms = {"postgresql": _postgresql, "mysql": _mysql, "sqlite": _sqlite}[kind](g)
    alternatives = "|".join(forms)
    lead = _gap(kind, _MY_EXECUTABLE_OPENER) if kind == MYSQL else g
    # Lookahead plus backreference makes the leading gap atomic: a statement
    # that is no control fails once instead of once per leading blank.
    statement = rf"(?=(?P<lead>{lead}))(?P=lead)(?:{alternatives})"
    words = "|".join(_KEYWORDS[kind]).lower()
    return _Rules(
        kind=kind,
        statement=re.compile(statement, re.I | re.S),
        comment=re.compile("|".join(_comments(kind)), re.S),
        # Searched in lowered text: a case-blind search is several times slower.
        # Any character but a letter, "_" or "$" may stand before a keyword
        # (digits too: /*!40101COMMIT*/ runs a COMMIT). Starting with that
        # character, rather than a look-behind, lets the search skip ahead fast.
        keywords=re.compile(rf"[^a-z_$](?:{words}){_END}"),
    )


def _quote(rules: _Rules, written: str) -> str:
    """Keywords as written, comments dropped and blanks collapsed, cut to a short quote."""
    words = " ".join(rules.comment.sub(" ", written).split())
    if len(words) > _QUOTE_LIMIT:
        words = words[: _QUOTE_LIMIT - 3].rstrip() + "..."
    return words


def _classify(text: str, rules: _Rules) -> tuple[str, str] | None:
    """(kind, leading keywords as written) of a control statement, else None."""
    m = rules.statement.match(text)
    if m is None:
        return None
    found = {name: value for name, value in m.groupdict().items() if value is not None}
    kind = next((name for name in KINDS if name in found), None)
    if kind is None:  # ROLLBACK TO SAVEPOINT: stays inside the transaction
        return None
    if kind == "autocommit":
        between = " ... " if found["assignments"] else " "
        return kind, _quote(rules, found["autocommit"]) + between + _quote(rules, found["target"])
    return kind, _quote(rules, found[kind])


def transaction_control(text: str, dialect: str) -> str | None:
    """What transaction control one statement is, judged by its leading keywords.

    :param text: one statement without its delimiter; leading comments may remain.
    :param dialect: ``postgresql``, ``mysql``/``mariadb``, ``sqlite``; other
        names (``default``) are read like PostgreSQL; a ``+driver`` suffix is ignored.
    :returns: ``"begin"``, ``"commit"``, ``"rollback"``, ``"prepare"`` (two-phase
        commit, MySQL's XA), ``"use"`` or ``"autocommit"`` (MySQL), or None for
        any other statement, savepoints included.
    """
    found = _classify(text, _rules(_kind(dialect)))
    return None if found is None else found[0]


def might_contain_control(text: str, dialect: str) -> bool:
    """Whether a script may hold transaction control, by one search for the keywords.

    False is a guarantee (every control statement starts with one of the
    words searched for), so callers can skip splitting such files; True only
    means the full check is needed.
    """
    return _rules(_kind(dialect)).keywords.search(" " + text.lower()) is not None


class TransactionControlCheck:
    """Judges a script's statements in order: run, skip (a redundant wrapper) or refuse.

    A whole-file ``BEGIN ... COMMIT`` wrapper is skipped, since lockgate
    already runs the file in one transaction.  Statements stream past and the
    end of the file is not known in advance, so a BEGIN as the first statement
    opens the wrapper, the next COMMIT closes it, and whatever follows that
    COMMIT -- which would run in another transaction -- is refused, as is a
    wrapper that :meth:`finish` finds never closed.  Any other control
    statement is refused wherever it stands.
    """

    def __init__(self, dialect: str, path: str):
        self.path = path
        self._rules = _rules(_kind(dialect))
        self._seen_any = False
        self._opened: tuple[Statement, str] | None = None  # the wrapper's BEGIN and its quote
        self._closed: tuple[Statement, str] | None = None  # the COMMIT that closed it

    def admit(self, statement: Statement) -> bool:
        """True to run the statement, False to skip it (a wrapper's BEGIN or COMMIT).

        :raises TransactionControlError: for a statement the script's transaction cannot survive.
        """
        first, self._seen_any = not self._seen_any, True
        if self._closed is not None:
            raise self._after_wrapper(statement)
        found = _classify(statement.text, self._rules)
        if found is None:
            return True
        kind, keyword = found
        if kind == "begin" and first:
            self._opened = (statement, keyword)
            return False
        if kind == "commit" and self._opened is not None:
            self._closed = (statement, keyword)
            return False
        raise self._refusal(statement, kind, keyword)

    def finish(self) -> None:
        """Call after the last statement: refuses a wrapper's BEGIN that was never committed.

        :raises TransactionControlError: naming the BEGIN's line.
        """
        if self._opened is None or self._closed is not None:
            return
        begin, keyword = self._opened
        raise self._error(
            begin.line, keyword,
            f"`{keyword}` starts a transaction that the file never commits (psql would roll all "
            "of it back when the file ends), so it is unclear whether the script is meant to be "
            "kept. Nothing was run. Remove the BEGIN (each script already runs in its own "
            "transaction), or end the file with COMMIT to make a whole-file BEGIN ... COMMIT "
            f"wrapper, which is accepted. {_NO_TRANSACTION}",
        )

    def _refusal(self, statement: Statement, kind: str, keyword: str) -> TransactionControlError:
        why = _WHY_MYSQL_BEGIN if kind == "begin" and self._rules.kind == MYSQL else _WHY[kind]
        fix = _FIX_USE if kind == "use" else _FIX
        return self._error(statement.line, keyword, f"`{keyword}` {why}. Nothing was run. {fix}")

    def _after_wrapper(self, statement: Statement) -> TransactionControlError:
        assert self._opened is not None and self._closed is not None
        commit, keyword = self._closed
        return self._error(
            commit.line, keyword,
            f"`{keyword}` closes the BEGIN ... COMMIT wrapper opened on line "
            f"{self._opened[0].line}, but statements follow it (the next on line {statement.line}); "
            f"they would run in another transaction, {_SAME_COMMIT}. Nothing was run. Remove the "
            "BEGIN and the COMMIT (each script already runs in its own transaction), or make the "
            f"COMMIT the file's last statement. {_NO_TRANSACTION}",
        )

    def _error(self, line: int, keyword: str, text: str) -> TransactionControlError:
        return TransactionControlError(f"{self.path}, line {line}: {text}",
                                       path=self.path, line=line, keyword=keyword)


def check_script(source: str | TextSource, dialect: str, path: str) -> None:
    """Refuse a transactional script's transaction control before anything of it runs.

    Splits the whole script (text or stream) and executes nothing; callers
    skip scripts marked ``-- lockgate: no-transaction``, where control
    statements are allowed, and may skip those :func:`might_contain_control` clears.

    :raises TransactionControlError: naming the file and line.
    :raises LockgateError: when the script cannot be split (``COPY ... FROM STDIN``), naming the file.
    """
    check = TransactionControlCheck(dialect, path)
    for statement in _statements(source, dialect, path):
        check.admit(statement)
    check.finish()


def _statements(source: str | TextSource, dialect: str, path: str) -> Iterator[Statement]:
    """The script's statements; a splitting error gains the file name the splitter cannot know."""
    try:
        yield from iter_statements(source, dialect)
    except LockgateError as exc:
        raise LockgateError(f"{path}, {exc}") from exc
