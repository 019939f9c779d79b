"""The ``-- lockgate: ...`` directives in a SQL file's leading comment lines.

Read before a script runs (``no-transaction``) and before it is split
(``split-at-markers``), so this reads only the file's first lines.
"""

from __future__ import annotations

import re

_DIRECTIVE = re.compile(r"^--\s*lockgate:\s*(?P<words>[\w ,-]+?)\s*$", re.IGNORECASE)


def sql_directives(text) -> set[str]:
    """Directives in the leading comment lines of a SQL file, e.g. ``-- lockgate: no-transaction``.

    ``text`` is the file's text or an open text stream, of which only the
    leading comment lines are read.
    """
    found: set[str] = set()
    lines = text.splitlines() if isinstance(text, str) else text
    for line in lines:
        line = line.strip().lstrip("\ufeff")
        if not line:
            continue
        if not line.startswith("--"):
            break
        match = _DIRECTIVE.match(line)
        if match:
            found.update(word.strip().lower() for word in match["words"].split(","))
    return found
