"""The splitter's lexicon: what a string, a comment, a word and a statement's head are, per dialect.

Everything here is a compiled regular expression, so that the bulk of a file is
consumed in C. Every repetition is possessive (``*+``) and every quoted token
is written as an "unrolled loop": a match never backtracks into what it has
consumed, so scanning stays linear even on a half-written string or comment,
and a multi-megabyte statement is one call.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

#: The splitter's SQL dialects: each has its own quoting, comments and blocks.
POSTGRESQL, MYSQL, SQLITE, STANDARD = "postgresql", "mysql", "sqlite", "standard"


#: A character past Latin-1: rare in SQL outside strings and comments.
NON_LATIN = r"[^\x00-\xff]"


def latin_other_than(chars: str) -> str:
    """A class of the Latin-1 characters but chars, written as positive ranges.

    The regex engine tests a negated class of several characters (``[^...]``)
    some three times slower per character, and this is the loop most of a
    file goes through; a positive class reaching past U+00FF would cost tens
    of milliseconds to compile, hence ``NON_LATIN`` beside it.
    """
    ranges, low = [], 0
    for c in sorted(set(map(ord, chars))):
        if c > low:
            ranges.append((low, c - 1))
        low = c + 1
    if low <= 0xFF:
        ranges.append((low, 0xFF))
    return "[" + "".join(rf"\x{a:02x}" if a == b else rf"\x{a:02x}-\x{b:02x}" for a, b in ranges) + "]"


def caseless(pattern: str) -> str:
    """pattern with each capital letter matching either case: like ``(?i:...)``, without its cost.

    Under IGNORECASE the engine widens every character class by case
    folding, and a class of Latin-1 letters then reaches past U+00FF and
    takes tens of milliseconds to compile. Escapes in pattern are lower case.
    """
    return re.sub("[A-Z]", lambda m: f"[{m[0]}{m[0].lower()}]", pattern)


# Characters that may start a PostgreSQL token: the plain text of a statement runs over all others.
SPECIALS = "'\"-/$;"
# Complete quoted tokens.
_SQ = r"'[^']*+(?:''[^']*+)*+'"
_SQ_BACKSLASH = r"'[^'\\]*+(?:(?:''|\\.)[^'\\]*+)*+'"
_DQ = r'"[^"]*+(?:""[^"]*+)*+"'
_DQ_BACKSLASH = r'"[^"\\]*+(?:(?:""|\\.)[^"\\]*+)*+"'
_BACKTICK = r"`[^`]*+(?:``[^`]*+)*+`"
_BRACKET = r"\[[^\]]*+\]"
# PostgreSQL E'...' strings honour backslashes; a plain '...' never does.
# Each alternative starts with its literal character, so the regex engine
# rejects a branch on the first character before any look-behind runs.
# The plain string, the common one, is tried first.
_PG_SQ = r"'(?:(?<!\b[eE]')" + _SQ[1:] + r"|(?<=\b[eE]')" + _SQ_BACKSLASH[1:] + ")"
# A block comment that does not nest (MySQL, SQLite), after its opening "/*".
_C_COMMENT_REST = r"[^*]*+\*++(?:[^/*][^*]*+\*++)*+/"
_C_COMMENT = r"/\*" + _C_COMMENT_REST
# PostgreSQL's comments nest: the regex takes only comments without an inner
# "/*" and leaves the others to Python, which counts depth.
_PG_FLAT_COMMENT = r"/\*(?:[^*/]++|\*(?!/)|/(?!\*))*+\*/"
# What follows the "--" of a break marker. The scanning regexes refuse to jump
# over a marker, so Python sees it; a file without markers pays nothing.
BREAK_REST = r"[ \t]*(?i:lockgate:[ \t]*break)[ \t]*\r?(?:\n|\Z)"
# PostgreSQL ends a "--" comment at CR as well as LF; MySQL and SQLite at LF only.
_PG_DASH_COMMENT = rf"--(?!{BREAK_REST})[^\n\r]*+"
_DASH_COMMENT = rf"--(?!{BREAK_REST})[^\n]*+"
# MySQL needs whitespace or a control character after "--"; "--x" is minus minus x.
_MY_DASH_COMMENT = rf"--(?=[\x00-\x20])(?!{BREAK_REST})[^\n]*+"
_HASH_COMMENT = r"#[^\n]*+"
# MySQL's /*! ... */ and /*M! ... */ are executed by the server: content, not comment.
_MY_HIDDEN_COMMENT = r"/\*(?!M?!)" + _C_COMMENT_REST
# A dollar quote: "$" inside an identifier (a$b) or without a closing "$" of its
# tag (a $1 parameter) starts none.
# Its body is read as runs of non-"$" text, the engine's fastest loop, up to "$tag$".
_DOLLAR_QUOTE = r"\$(?<![\w$]\$)(?P<tag>(?:[^\W\d]\w*+)?)\$[^$]*+(?:\$(?!(?P=tag)\$)[^$]*+)*+\$(?P=tag)\$"
_PG_LONE_DOLLAR = r"\$(?:(?<=[\w$]\$)|(?!(?:[^\W\d]\w*+)?\$))"
DOLLAR_OPEN = re.compile(r"(?<![\w$])\$(?:[^\W\d]\w*+)?\$")

WORD = re.compile(r"\w[\w$]*+")
PG_COMMENT_TOKEN = re.compile(r"/\*|\*/")
BREAK = re.compile("--" + BREAK_REST)
BREAK_LINE = re.compile(r"^[ \t]*--" + BREAK_REST, re.M)

# Heads of statements that may hold a body with inner delimiters. Between two
# words of a head stands any run of blanks and comments (GAP, per dialect).
_MY_USER = r"(?:'[^']*'|`[^`]*`|\"[^\"]*\"|[\w.%$-]+)"
_HEADS = {
    POSTGRESQL: r"CREATE\b_(?:OR_REPLACE_)?(?:FUNCTION|PROCEDURE|RULE)\b",
    MYSQL: (
        r"(?:CREATE\b_(?:OR_REPLACE_)?"
        rf"(?:DEFINER_?=_?{_MY_USER}(?:_?@_?{_MY_USER})?(?:_?\(_?\))?_)?"
        r"(?:AGGREGATE_)?(?:TRIGGER|PROCEDURE|FUNCTION|EVENT)|BEGIN_NOT_ATOMIC)\b"
    ),
    SQLITE: r"CREATE_(?:TEMP(?:ORARY)?_)?TRIGGER\b",
    STANDARD: r"CREATE_(?:OR_REPLACE_)?(?:TEMP(?:ORARY)?_)?(?:TRIGGER|FUNCTION|PROCEDURE)\b",
}


class Rules(NamedTuple):
    """One dialect's lexicon, compiled."""

    kind: str  # POSTGRESQL, MYSQL, SQLITE or STANDARD
    quotes: dict[str, re.Pattern[str]]  # opening character -> complete quoted token
    alternatives: tuple[str, ...]  # complete tokens a scan may jump over
    lone: tuple[str, ...]  # special characters that start nothing
    specials: str  # characters that may start a token
    lead: re.Pattern[str]  # blanks and comments that may precede a token
    lead_source: str
    head: re.Pattern[str]  # statements whose body must be tracked
    head_starts: str  # first characters of a head, both cases


@lru_cache(maxsize=None)
def rules(kind: str) -> Rules:
    """The lexicon of one of the splitter's dialects."""
    comments: tuple[str, ...]
    lead_comments: tuple[str, ...]
    alternatives: tuple[str, ...]
    lone: tuple[str, ...]
    if kind == POSTGRESQL:
        quotes = {"'": _PG_SQ, '"': _DQ}
        comments = lead_comments = (_PG_DASH_COMMENT, _PG_FLAT_COMMENT)
        alternatives = (_DOLLAR_QUOTE,)
        lone = (r"-(?!-)", r"/(?!\*)", _PG_LONE_DOLLAR)
    elif kind == MYSQL:
        quotes = {"'": _SQ_BACKSLASH, '"': _DQ_BACKSLASH, "`": _BACKTICK}
        comments = (_MY_DASH_COMMENT, _HASH_COMMENT, _C_COMMENT)
        lead_comments = (_MY_DASH_COMMENT, _HASH_COMMENT, _MY_HIDDEN_COMMENT)
        alternatives = ()
        lone = (rf"-(?!-{BREAK_REST})", r"/(?!\*)")
    else:
        quotes = {"'": _SQ, '"': _DQ}
        if kind == SQLITE:
            quotes.update({"`": _BACKTICK, "[": _BRACKET})
        comments = lead_comments = (_DASH_COMMENT, _C_COMMENT)
        alternatives = ()
        lone = (r"-(?!-)", r"/(?!\*)")
    specials = "".join(quotes) + "-/" + {MYSQL: "#", POSTGRESQL: "$"}.get(kind, "")
    lead = "(?:" + "|".join((r"\s++",) + lead_comments) + ")*+"
    gap = "(?:" + "|".join((r"\s++",) + lead_comments) + ")"
    head = caseless(_HEADS[kind]).replace("_?", gap + "*+").replace("_", gap + "++")
    return Rules(
        kind=kind,
        quotes={c: re.compile(p, re.S) for c, p in quotes.items()},
        alternatives=tuple(quotes.values()) + comments + alternatives,
        lone=lone,
        specials=specials,
        lead=re.compile(lead, re.S),
        lead_source=lead,
        head=re.compile(head, re.S),
        head_starts="CcBb" if kind == MYSQL else "Cc",
    )


@lru_cache(maxsize=64)
def scanner(kind: str, delimiter: str, lead: bool) -> re.Pattern[str]:
    """Regex jumping over everything that cannot end the statement.

    With ``lead``, group 1 is the blanks and comments before the statement,
    and group 2, with the ";" delimiter, a head that may open a body: one call
    finds where a statement starts, whether it needs its blocks read, and
    where its scan stops.
    """
    r = rules(kind)
    if delimiter[0] > "\xff":  # rare: a class that leaves the delimiter out
        text = [f"[^{re.escape(r.specials + delimiter[0])}]++"]
    else:
        text = [f"{latin_other_than(r.specials + delimiter[0])}++", f"{NON_LATIN}++"]
    body = _body(r, delimiter, text)
    if not lead:
        return re.compile(body, re.S)
    head = f"({r.head.pattern})?" if delimiter == ";" else "((?!))?"  # a group that never takes part
    return re.compile(f"({r.lead_source}){head}{body}", re.S)


@lru_cache(maxsize=None)
def begin_scanner() -> re.Pattern[str]:
    """PostgreSQL: a scan that also stops at the word BEGIN, for a function's head and body."""
    r = rules(POSTGRESQL)
    text = [f"{latin_other_than(r.specials + ';bB')}++", f"{NON_LATIN}++", r"(?<=[\w$])[bB]", r"[bB](?!(?i:egin)\b)"]
    return re.compile(_body(r, ";", text), re.S)


def _body(r: Rules, delimiter: str, text: list[str]) -> str:
    """Possessive repetition of plain text, complete tokens and lone special characters."""
    alternatives = [*text, *r.alternatives, *r.lone]
    guard = ""
    if delimiter != ";":
        # The delimiter's first character may also be ordinary text ("$" in "$$").
        guard = f"(?!{re.escape(delimiter)})"
        if delimiter[0] not in r.specials:
            alternatives.append(re.escape(delimiter[0]))
    return f"(?:{guard}(?:{'|'.join(alternatives)}))*+"


@lru_cache(maxsize=None)
def block_skip() -> re.Pattern[str]:
    """PostgreSQL: text in a statement with a body that the block grammar passes over.

    Stops before ";", "(", ")", the words CASE, BEGIN and END, a "." not
    followed by a name, and anything the token reader must look at itself
    (a break marker, a nested or unclosed comment, an unclosed string), so
    that Python reads only the tokens the grammar decides on.
    """
    flat_lead = rf"(?:\s++|{_PG_DASH_COMMENT}|{_PG_FLAT_COMMENT})*+"
    tokens = rf"{_PG_SQ}|{_DQ}|{_PG_DASH_COMMENT}|{_PG_FLAT_COMMENT}|-(?!-)|/(?!\*)|{_DOLLAR_QUOTE}|{_PG_LONE_DOLLAR}"
    word = r"\w[\w$]*+"
    return re.compile(rf"(?:[^'\"\-/$;().\w]++|(?!(?i:CASE|BEGIN|END)\b){word}|\.{flat_lead}{word}|{tokens})*+", re.S)


@lru_cache(maxsize=None)
def run_scanner() -> re.Pattern[str]:
    """PostgreSQL: blanks and comments, then a statement's text (group 1) up to its ";".

    Real DDL is mostly statements that this one regex cuts right; matched back
    to back (``Pattern.scanner``), a run of them costs one regex pass and a few
    C loops. The match fails at a nested comment, a break marker, a token that
    does not end before the text does, a ``COPY``, a ``CREATE`` that may be a
    rule's (its actions may hold ";") or has a comment among its first words,
    and at the word BEGIN outside strings, comments and dollar quotes (a
    function's BEGIN ATOMIC body holds ";"; a transaction's BEGIN is rare
    enough to go the slow way). Telling functions from other statements
    would cost more.

    It is written for the regex engine's speed, and its cut is right only
    where the text it matched has no ``ESCAPED_QUOTE`` (it reads E'...'
    strings as plain ones, which end alike unless a backslash stands before
    a quote) and no CR without an LF after it (it ends "--" comments at LF
    only). Elsewhere ``head_run_scanner`` tells, about twice slower.
    """
    # Only at a C, so nearly free: the heads that head_run_scanner reads through comments.
    comment = r"\s*+(?:--|/\*)"
    refused = caseless(rf"(?!C(?:OPY\b|REATE(?:{comment}|\s++(?:OR(?:{comment}|\s++REPLACE(?:{comment}|\s++RULE\b))"
                       rf"|RULE\b))))")
    # A B in a word (xbegin) stops it too: rare, and one look-behind less per B.
    plain_b = f"{latin_other_than(SPECIALS + 'bB')}*+"
    body = rf"{plain_b}(?:(?:{_pg_tokens('tag', True)}|[bB](?!{caseless('EGIN')}\b)){plain_b})*+"
    return re.compile(rf"{_pg_lead(True)}({refused}{body});", re.S)


#: Where an E'...' string may end elsewhere than a plain '...' string: at a quote after a backslash.
ESCAPED_QUOTE = "\\'"


@lru_cache(maxsize=None)
def head_run_scanner() -> re.Pattern[str]:
    """``run_scanner`` right everywhere: it fails also at a head that may open a body, and at ``COPY``.

    That is at ``CREATE RULE``, at a function or procedure with the word BEGIN
    outside its strings, comments and dollar quotes, and at ``COPY``.
    """
    plain_b = f"{latin_other_than(SPECIALS + 'bB')}*+"
    no_begin = rf"{plain_b}(?:(?:(?<=[\w$])[bB]|[bB](?!(?i:egin)\b)|{_pg_tokens('tag_b', False)}){plain_b})*+"
    gap = rf"(?:\s++|{_PG_DASH_COMMENT}|{_PG_FLAT_COMMENT})++"
    head = caseless(_HEADS[POSTGRESQL]).replace("_", gap)
    function = caseless(_HEADS[POSTGRESQL].replace("|RULE", "")).replace("_", gap)
    not_head = rf"(?!{head}|{caseless('COPY')}\b)"
    return re.compile(rf"{_pg_lead(False)}((?:{not_head}{_pg_body('tag', False)}|(?={function}){no_begin}));", re.S)


def _pg_lead(fast: bool) -> str:
    dash = _FAST_DASH_COMMENT if fast else _PG_DASH_COMMENT
    return rf"(?:\s++|{dash}|{_PG_FLAT_COMMENT})*+"


# run_scanner's string and "--" comment: see there when they are right.
_FAST_DASH_COMMENT = rf"--(?!{BREAK_REST})[^\n]*+"


def _pg_tokens(tag: str, fast: bool) -> str:
    """PostgreSQL's tokens that may hold a ";", its dollar quote's tag group named tag (a name is used once)."""
    quote, dash = (_SQ, _FAST_DASH_COMMENT) if fast else (_PG_SQ, _PG_DASH_COMMENT)
    tokens = (rf"{quote}|{_DQ}|{dash}|{_PG_FLAT_COMMENT}|-(?!-)|/(?!\*)|{_DOLLAR_QUOTE}|{_PG_LONE_DOLLAR}"
              rf"|{NON_LATIN}++")
    return tokens.replace("P<tag>", f"P<{tag}>").replace("P=tag)", f"P={tag})")


def _pg_body(tag: str, fast: bool) -> str:
    plain = f"{latin_other_than(SPECIALS)}*+"
    return rf"{plain}(?:(?:{_pg_tokens(tag, fast)}){plain})*+"


@lru_cache(maxsize=None)
def inert_run(kind: str, words: frozenset[str], punctuation: str) -> re.Pattern[str]:
    """MySQL, SQLite: tokens a block grammar passes over, each with the blanks and comments before it.

    A grammar state decides only at its keywords (words), at ";" and at a
    few characters (punctuation); one call jumps over the tokens between,
    so that Python reads only those. Group 1 is a word, 2 a quoted token, 3
    any other character: the group ending where the match ends is the last
    token. A word counts only if it is ASCII, whose upper case is plain; a
    dash, slash, dollar, unclosed token or ";" stops the run, for the token
    reader to read. The repetition is greedy, not possessive: Python 3.11's
    engine fails on groups inside a possessive one, and nothing follows it
    to backtrack for.
    """
    r = rules(kind)
    keywords = caseless("|".join(sorted(words))) if words else "(?!)"
    word = rf"(?!(?:{keywords})(?![\w$]))[0-9A-Za-z_][0-9A-Za-z_$]*+(?![\w$])"
    quoted = "|".join(p.pattern for p in r.quotes.values())
    other = "[^" + re.escape("".join(r.quotes) + "-/#$;" + punctuation) + r"\w\s]"
    return re.compile(rf"(?:{r.lead_source}(?:({word})|({quoted})|({other})))*", re.S)


@lru_cache(maxsize=None)
def token_scanner(kind: str, delimiter: str) -> re.Pattern[str]:
    """The blanks and comments before a token, and the common tokens, in one call.

    Group 1 is the delimiter, 2 a word, 3 a complete quoted token, 4 a
    character that starts no token of its own. The match fails where the
    token reader must look itself: at a dash, slash or dollar, an unclosed
    quote, a nested comment, or the end of the text.
    """
    r = rules(kind)
    quoted = "|".join(p.pattern for p in r.quotes.values())
    other = "[^" + re.escape("".join(r.quotes) + "-/$") + r"\w\s]"
    return re.compile(rf"{r.lead_source}(?:({re.escape(delimiter)})|(\w[\w$]*+)|({quoted})|({other}))", re.S)


@lru_cache(maxsize=None)
def plain_scanner(kind: str) -> re.Pattern[str]:
    """MySQL, SQLite under ";": blanks and comments, then a statement's text (group 1) up to its ";".

    Matched back to back (``Pattern.scanner``), it cuts a run of plain
    statements exactly as the general scan does, and fails where that scan
    decides more: at a head that may open a body, a DELIMITER command, a
    break marker, or a token that does not end before the text does.
    """
    r = rules(kind)
    text = [f"{latin_other_than(r.specials + ';')}++", f"{NON_LATIN}++"]
    command = f"|{caseless('DELIMITER')}[ \\t]" if kind == MYSQL else ""
    return re.compile(f"{r.lead_source}((?!{r.head.pattern}{command}){_body(r, ';', text)});", re.S)
