"""Where a statement with a body ends: a token reader and each dialect's block grammar.

Only statements whose head says they may hold a body (``CREATE FUNCTION``,
``CREATE TRIGGER``, ...) come here; everything else is cut by the regex scan.
The reader yields significant tokens only -- blanks and comments between them
are transparent everywhere -- and a keyword counts as a block keyword only
where the dialect's grammar puts a keyword, so that a column named ``end`` or
``begin`` inside a routine body is an identifier, as the server reads it.
"""

from __future__ import annotations

import re

from .lexicon import (BREAK, DOLLAR_OPEN, MYSQL, PG_COMMENT_TOKEN, POSTGRESQL, SQLITE, WORD, Rules, block_skip,
                      inert_run, token_scanner)

#: Token kinds beside upper-cased words and single punctuation characters.
QUOTED, DELIMITER, BREAK_HERE, END_OF_TEXT = "'", ";", "\x00break", "\x00end"


def comment_end(sql: str, pos: int, nested: bool) -> int:
    """End of the block comment opening at pos, or -1 if it never closes."""
    if not nested:
        end = sql.find("*/", pos + 2)
        return -1 if end < 0 else end + 2
    depth = 0
    for m in PG_COMMENT_TOKEN.finditer(sql, pos):
        depth += 1 if m.group() == "/*" else -1
        if not depth:
            return m.end()
    return -1


def skip_lead(sql: str, pos: int, rules: Rules) -> int:
    """Skip blanks and comments; stops at content or an unterminated comment."""
    while True:
        m = rules.lead.match(sql, pos)
        assert m is not None  # the pattern matches the empty string: never None
        end = m.end()
        if rules.kind == POSTGRESQL and sql.startswith("/*", end):
            after = comment_end(sql, end, True)
            if after > 0:
                pos = after
                continue
        return end


def starts_line(sql: str, pos: int) -> bool:
    """Whether only blanks stand between the start of pos's line and pos."""
    line_start = sql.rfind("\n", 0, pos) + 1
    return not sql[line_start:pos].strip(" \t")


class TokenReader:
    """The significant tokens of a statement, from pos on, comments skipped."""

    def __init__(self, sql: str, pos: int, rules: Rules, delimiter: str = ";"):
        self.sql, self.pos, self.rules, self.delimiter = sql, pos, rules, delimiter
        self.start = pos  # where the last token read starts
        self.after = pos  # where the text after a delimiter or marker resumes
        self.token = token_scanner(rules.kind, delimiter).match

    def next(self) -> str:
        """The next token: an upper-cased word, a punctuation character, or a token kind."""
        m = self.token(self.sql, self.pos)
        if m is None:
            return self._next()
        group = m.lastindex
        assert group is not None  # one of the groups took part
        self.start, self.pos = m.start(group), m.end()
        if group == 2:
            return m.group(2).upper()
        if group == 1:
            self.after = self.pos
            return DELIMITER
        return QUOTED if group == 3 else m.group(4)

    def _next(self) -> str:
        """next where token_scanner does not match: a dash, slash, dollar, unclosed token, or the end."""
        sql, rules = self.sql, self.rules
        pos = skip_lead(sql, self.pos, rules)
        self.start = pos
        if pos >= len(sql):
            self.pos = len(sql)
            return END_OF_TEXT
        c = sql[pos]
        if sql.startswith(self.delimiter, pos):
            self.pos = self.after = pos + len(self.delimiter)
            return DELIMITER
        if c == "-" and (marker := BREAK.match(sql, pos)):
            self.pos = self.after = marker.end()
            return BREAK_HERE if starts_line(sql, pos) else self.next()
        end = self._quoted_end(c, pos)
        if end is not None:
            if end < 0:  # unterminated: the server will complain about the rest
                self.pos = len(sql)
                return END_OF_TEXT
            self.pos = end
            return QUOTED
        m = WORD.match(sql, pos)
        if m is not None:
            self.pos = m.end()
            return m.group().upper()
        self.pos = pos + 1
        return c

    def skip(self, inert: re.Pattern[str], prev: str) -> str:
        """Jump over the tokens inert matches (see ``inert_run``); the last of them, or prev if none."""
        m = inert.match(self.sql, self.pos)
        assert m is not None  # the pattern matches the empty string: never None
        end = m.end()
        if end == self.pos:
            return prev
        self.pos = end
        if m.end(1) == end:
            return m.group(1).upper()
        return QUOTED if m.end(2) == end else m.group(3)

    def peek(self) -> str:
        """The next token, left unread."""
        pos, start, after = self.pos, self.start, self.after
        token = self.next()
        self.pos, self.start, self.after = pos, start, after
        return token

    def _quoted_end(self, c: str, pos: int) -> int | None:
        """End of a string, quoted name, unclosed comment or dollar quote at pos; None if none starts."""
        sql, rules = self.sql, self.rules
        if c in rules.quotes:
            m = rules.quotes[c].match(sql, pos)
            return -1 if m is None else m.end()
        if c == "/" and sql.startswith("/*", pos):  # only an unclosed one is left by skip_lead
            return comment_end(sql, pos, rules.kind == POSTGRESQL)
        if c == "$" and rules.kind == POSTGRESQL:
            m = DOLLAR_OPEN.match(sql, pos)
            if m is not None:
                end = sql.find(m.group(), m.end())
                return -1 if end < 0 else end + len(m.group())
        return None


def body_end(sql: str, start: int, rules: Rules) -> tuple[int, int]:
    """(end of the statement text, start of what follows) for a statement with a body at start."""
    reader = TokenReader(sql, start, rules)
    grammar = {POSTGRESQL: _postgresql, MYSQL: _mysql, SQLITE: _sqlite}.get(rules.kind, _standard)
    token = grammar(reader)
    if token == DELIMITER or token == BREAK_HERE:
        return reader.start, reader.after
    return len(sql), len(sql)


def _postgresql(reader: TokenReader) -> str:
    """BEGIN ATOMIC ... END (with CASE ... END inside), and a rule's DO (...; ...) action list."""
    depth = 0  # open BEGIN ATOMIC, CASE and parentheses
    prev = ""
    skip = block_skip().match
    while True:
        if prev != ".":  # a word after "." is read by the reader: never a keyword
            end = skip(reader.sql, reader.pos).end()  # type: ignore[union-attr]  # matches the empty string
            if end > reader.pos:
                reader.pos, prev = end, ""
        token = reader.next()
        if token in (END_OF_TEXT, BREAK_HERE) or (token == DELIMITER and not depth):
            return token
        if prev == ".":  # a qualified name: never a keyword
            pass
        elif token == "(" or token == "CASE" or (token == "BEGIN" and reader.peek() == "ATOMIC"):
            depth += 1
        elif (token == ")" or token == "END") and depth:
            depth -= 1
        prev = token


def _sqlite(reader: TokenReader) -> str:
    """CREATE TRIGGER ... BEGIN stmt; ... END: the body opens at BEGIN before a statement, ends at END after ";"."""
    state, prev, depth = "head", "", 0
    inert = {state: inert_run(SQLITE, words, stops) for state, words, stops in _SQLITE_DECISIONS}
    while True:
        prev = reader.skip(inert[state], prev)
        token = reader.next()
        if token in (END_OF_TEXT, BREAK_HERE) or (token == DELIMITER and state != "body"):
            return token
        if token == "(":
            depth += 1
        elif token == ")":
            depth = max(0, depth - 1)
        elif state == "head" and token == "BEGIN" and not depth and prev != "." and reader.peek() in _SQLITE_BODY:
            state = "body"
        elif state == "body" and token == "END" and prev == DELIMITER:
            state = "done"
        prev = token


def _standard(reader: TokenReader) -> str:
    """Any other SQL: BEGIN and CASE open a block, END closes one."""
    depth, prev = 0, ""
    while True:
        token = reader.next()
        if token in (END_OF_TEXT, BREAK_HERE) or (token == DELIMITER and not depth):
            return token
        if prev != "." and token in ("BEGIN", "CASE"):
            depth += 1
        elif prev != "." and token == "END" and depth:
            depth -= 1
        prev = token


def _mysql(reader: TokenReader) -> str:
    """MySQL/MariaDB compound statements: BEGIN ... END, IF/CASE/LOOP/WHILE/REPEAT/FOR ... END x.

    BEGIN and END are not reserved words there, and IF, REPEAT, ... are also
    functions, so each counts as a block keyword only in statement position;
    elsewhere it is a name (``prev`` is then ``NAME``).
    """
    blocks: list[str] = []  # "BEGIN", "IF", ..., "case" (statement), "expr" (CASE expression), "UNTIL"
    prev = ""
    handler = False  # in DECLARE ... HANDLER FOR condition, before its statement
    inert = inert_run(MYSQL, _MY_DECISIONS, "")
    while True:
        prev = reader.skip(inert, prev)
        token = reader.next()
        if token in (END_OF_TEXT, BREAK_HERE) or (token == DELIMITER and not blocks):
            return token
        if token == DELIMITER:
            prev, handler = token, False
            continue
        top = blocks[-1] if blocks else ""
        statement_position = _my_statement_position(prev, top) or handler and _my_after_condition(prev)
        handler = handler or token == "HANDLER"
        if prev == "." or token[0] not in _MY_KEYWORD_STARTS or token == "END" and reader.peek() == ":":
            prev = _name(token, prev)
            continue
        if token == "BEGIN" and (statement_position or not blocks and _my_ends_head(prev)):
            blocks.append(token)
            handler = False
        elif token == "END" and blocks and _my_closes(top, prev):
            blocks.pop()
            if reader.peek() in _MY_END_SUFFIXES:
                reader.next()
        elif token == "CASE":
            blocks.append("case" if statement_position else "expr")
        elif token == "UNTIL" and top == "REPEAT" and prev == DELIMITER:
            blocks[-1] = "UNTIL"
        elif token in _MY_OPENERS and statement_position and (token != "FOR" or _my_for_loop(reader)):
            blocks.append(token)
        else:
            prev = _name(token, prev)
            continue
        prev = token


def _name(token: str, prev: str) -> str:
    """What a token read as a name leaves as ``prev``."""
    return NAME if token in _MY_BLOCK_WORDS else token


def _my_statement_position(prev: str, top: str) -> bool:
    """Whether a word after prev starts a statement inside the current block."""
    if top == "expr" or top == "UNTIL":
        return False  # CASE WHEN a THEN IF(b, 1, 2) END: an expression
    if prev in _MY_STATEMENT_START:
        return True
    # A routine's or trigger's single-statement body follows its head.
    return not top and prev in _MY_HEAD_ENDS


def _my_after_condition(prev: str) -> bool:
    """Whether prev ends a handler's condition (SQLEXCEPTION, NOT FOUND, SQLSTATE '...', a name)."""
    return prev in (QUOTED, NAME) or (bool(prev) and (prev[0].isalnum() or prev[0] == "_")
                                      and prev not in ("FOR", "HANDLER", "VALUE", "SQLSTATE", "NOT"))


def _my_ends_head(prev: str) -> bool:
    """Whether a routine's body may start after prev: after a name, type or characteristic, not an operator."""
    if prev in (")", QUOTED, NAME) or prev in _MY_STATEMENT_START:
        return True
    return bool(prev) and (prev[0].isalnum() or prev[0] == "_") and prev not in _MY_BEFORE_OPERAND


def _my_closes(top: str, prev: str) -> bool:
    """Whether END after prev closes the block on top."""
    if top in ("expr", "UNTIL"):  # CASE ... END, REPEAT ... UNTIL cond END REPEAT: after an operand
        return prev in (")", QUOTED, NAME) or (
            bool(prev) and (prev[0].isalnum() or prev[0] == "_") and prev not in _MY_BEFORE_OPERAND)
    return prev in (DELIMITER, "BEGIN", "ATOMIC")  # the end of a statement list, possibly empty


def _my_for_loop(reader: TokenReader) -> bool:
    """MariaDB's FOR i IN ... DO loop, unlike FOR EACH ROW, FOR UPDATE, HANDLER FOR."""
    pos, start, after = reader.pos, reader.start, reader.after
    first, second = reader.next(), reader.next()
    reader.pos, reader.start, reader.after = pos, start, after
    return first not in ("EACH", "UPDATE", "SHARE") and second == "IN"


def copy_from_stdin(sql: str, start: int, end: int, rules: Rules) -> bool:
    """Whether the COPY statement in sql[start:end] reads FROM STDIN (tokens outside parentheses)."""
    reader = TokenReader(sql[start:end], 0, rules, delimiter="\x00")
    depth, prev = 0, ""
    while (token := reader.next()) not in (END_OF_TEXT, BREAK_HERE):
        if token == "(":
            depth += 1
        elif token == ")":
            depth -= 1
        elif token == "STDIN" and prev == "FROM" and not depth:
            return True
        prev = token
    return False


NAME = "\x00name"
_SQLITE_BODY = frozenset({"SELECT", "INSERT", "UPDATE", "DELETE", "REPLACE", "WITH", "VALUES"})
# Per state of _sqlite, the words and characters it decides at: parentheses count only before the body.
_SQLITE_DECISIONS: tuple[tuple[str, frozenset[str], str], ...] = (
    ("head", frozenset({"BEGIN"}), "()"), ("body", frozenset({"END"}), ""), ("done", frozenset(), ""))
_MY_OPENERS = frozenset({"IF", "LOOP", "WHILE", "REPEAT", "FOR"})
_MY_BLOCK_WORDS = _MY_OPENERS | {"BEGIN", "END", "CASE", "UNTIL"}
# The words at which _mysql decides something; any other word only becomes prev.
_MY_DECISIONS = _MY_BLOCK_WORDS | {"HANDLER"}
_MY_KEYWORD_STARTS = frozenset(w[0] for w in _MY_BLOCK_WORDS)
_MY_END_SUFFIXES = frozenset({"IF", "LOOP", "WHILE", "REPEAT", "CASE", "FOR"})
# Tokens after which a compound-statement keyword starts a statement.
_MY_STATEMENT_START = frozenset({"", DELIMITER, ":", "BEGIN", "THEN", "ELSE", "DO", "LOOP", "REPEAT", "ATOMIC"})
# The last word of a routine's or trigger's head, before a single-statement body.
_MY_HEAD_ENDS = frozenset({")", QUOTED, "ROW", "DETERMINISTIC", "SQL", "DATA", "DEFINER", "INVOKER"})
# Words after which a name or an operand follows, never a compound statement.
_MY_BEFORE_OPERAND = frozenset("""
    SELECT SET WHERE AND OR NOT XOR THEN ELSE WHEN CASE IS LIKE BETWEEN DIV MOD REGEXP RLIKE ESCAPE
    INTERVAL BINARY DISTINCT RETURN INTO FROM JOIN BY AS IN DECLARE CALL VALUES VALUE UPDATE TABLE
    UNTIL HAVING ON USING LIMIT OFFSET TRIGGER PROCEDURE FUNCTION EVENT FOLLOWS PRECEDES EXISTS ALL
    ANY SOME ELSEIF WHILE IF DEFAULT OF KEY INDEX COLUMN TO LEAVE ITERATE OPEN CLOSE FETCH CURSOR
    FOR EACH INSERT DELETE REPLACE IGNORE SIGNAL RESIGNAL SQLSTATE GROUP ORDER PARTITION OVER
    """.split())
