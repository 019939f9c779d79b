"""The layout shows the design: no import cycles, adapters at the bottom, names asked of adapters.

Read from the source with the ast module, so a lazy import inside a function
counts as much as one at the top of a module.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "lockgate"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_imports() -> dict[str, set[str]]:
    """Each lockgate module and the lockgate modules it imports (anywhere in it)."""
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[: len(base) - node.level + 1]
                    stem = ".".join(base + ([node.module] if node.module else []))
                else:
                    stem = node.module or ""
                candidates = [stem] + [f"{stem}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                candidates = [alias.name for alias in node.names]
            else:
                continue
            for candidate in candidates:
                while candidate and candidate not in modules:
                    candidate = candidate.rpartition(".")[0]
                if candidate and candidate != name and candidate.startswith("lockgate"):
                    targets.add(candidate)
        graph[name] = targets
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of two or more modules (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles():
    assert cycles(project_imports()) == []


#: What the adapters may build on: the error tree, the splitter, the run's sink and rows.
ADAPTER_MAY_IMPORT = {"lockgate.errors", "lockgate.sqlsplit", "lockgate.batch", "lockgate.tracking",
                      "lockgate.records", "lockgate.urls"}


def test_adapters_do_not_import_the_layers_above_them():
    graph = project_imports()
    upward = {(module, target) for module, targets in graph.items() if module.startswith("lockgate.dialects")
              for target in targets if not target.startswith("lockgate.dialects")
              and target not in ADAPTER_MAY_IMPORT}
    assert upward == set()


#: A comparison of a database or driver name, the thing callers must ask an adapter about instead.
NAME_COMPARISON = re.compile(
    r"""(==|!=|[^\w]in)\s*\(?\s*["'](postgresql|postgres|mysql|mariadb|sqlite|psycopg2?|pymysql|mysqldb)["']"""
    r"""|["'](postgresql|mysql|mariadb|sqlite)["']\s*(==|!=)"""
    r"""|dialect\.name\s*(==|!=|in\b)|drivername\s*(==|!=|in\b)|is_mariadb""")


def test_no_database_name_is_compared_outside_the_adapters():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if "dialects" in path.relative_to(PACKAGE).parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if NAME_COMPARISON.search(line):
                offenders.append(f"{path.relative_to(PACKAGE)}:{number}: {line.strip()}")
    assert offenders == []


def test_no_module_is_over_500_lines():
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 500}
    assert long == {}


def test_the_architecture_page_names_every_module():
    page = (PACKAGE.parent.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    unnamed = sorted(str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
                     if p.name not in ("__init__.py", "__main__.py")
                     and str(p.relative_to(PACKAGE)) not in page and f"`{p.name}`" not in page)
    assert unnamed == []
    named = set(re.findall(r"`((?:[a-z_]+/)?[a-z_]+\.py)`", page))
    missing = sorted(name for name in named if not name.startswith("tests/")
                     and not (PACKAGE / name).exists() and not list(PACKAGE.rglob(name)))
    assert missing == []
