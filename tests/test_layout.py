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


#: The layers, top to bottom, as docs/architecture.md draws them: a module imports
#: only from its own layer or the layers below it.
LAYERS = [
    ("command line", ["lockgate", "lockgate.__main__", "lockgate.cli", "lockgate.output", "lockgate.terminal",
                      "lockgate.reference"]),
    ("tools", ["lockgate.authoring", "lockgate.importers", "lockgate.schema", "lockgate.testing",
               "lockgate.pytest_plugin", "lockgate.fleet", "lockgate.lockreport",
               "lockgate.lint"]),
    ("library", ["lockgate.engine", "lockgate.quickread"]),
    ("run path", ["lockgate.run"]),
    ("settings and databases", ["lockgate.config", "lockgate.failures", "lockgate.database", "lockgate.dialects"]),
    ("scripts and rows", ["lockgate.directives", "lockgate.scripts", "lockgate.sqlsplit", "lockgate.tracking", "lockgate.vcs"]),
    ("bottom", ["lockgate.errors", "lockgate.records", "lockgate.urls"]),
]


def layer_of(module: str) -> int:
    """The index in LAYERS of the longest prefix that names ``module`` (its package or itself)."""
    best, depth = -1, -1
    for number, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and prefix.count(".") > depth:
                best, depth = number, prefix.count(".")
    return best


def test_every_module_has_a_layer():
    assert sorted(m for m in project_imports() if layer_of(m) < 0) == []


def test_imports_point_down_the_layers():
    upward = sorted(f"{module} ({LAYERS[layer_of(module)][0]}) imports {target} ({LAYERS[layer_of(target)][0]})"
                    for module, targets in project_imports().items() for target in targets
                    if layer_of(target) < layer_of(module))
    assert upward == []


def test_adapters_import_nothing_beside_them():
    """Settings and failures are built from adapters, never the other way round."""
    beside = sorted(f"{module} imports {target}" for module, targets in project_imports().items()
                    if module.startswith("lockgate.dialects") for target in targets
                    if not target.startswith("lockgate.dialects") and layer_of(target) <= layer_of(module))
    assert beside == []


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
