"""The code's shape: dependencies point one way, and only the CLI reaches the commands."""

from __future__ import annotations

import ast
from pathlib import Path

import bootstrap

PACKAGE = Path(bootstrap.__file__).parent
#: Modules that hold a command: reached from the CLI only (by name, when the command runs).
COMMANDS = {
    "bootstrap.commands",
    "bootstrap.init",
    "bootstrap.update",
    "bootstrap.build",
    "bootstrap.doctor",
    "bootstrap.completion",
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        if "template" in path.relative_to(PACKAGE).parts:
            continue
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _imports(path: Path, modules: set[str]) -> set[str]:
    """The bootstrap modules ``path`` imports, at any depth (functions too), TYPE_CHECKING aside."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(n) for child in node.body for n in ast.walk(child)}
    out: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            out |= {alias.name for alias in node.names if alias.name in modules}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module in modules:
                out.add(node.module)
            out |= {f"{node.module}.{a.name}" for a in node.names} & modules
    return out


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    names = set(modules)
    return {name: _imports(path, names) - {name} for name, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_graph_sees_imports_inside_functions() -> None:
    graph = _graph()
    assert "bootstrap.pipeline" in graph["bootstrap.commands"]  # imported inside new_command
    assert "bootstrap.answers" in graph["bootstrap.inputs"]


def test_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycle_among_modules() -> None:
    assert _cycles(_graph()) == []


def test_only_the_cli_reaches_a_command_module() -> None:
    offenders = {
        f"{name} imports {target}"
        for name, targets in _graph().items()
        for target in targets & COMMANDS
        if name != "bootstrap.cli"
    }
    assert offenders == set()


def test_the_pipeline_and_its_stages_import_no_command() -> None:
    graph = _graph()
    reached: set[str] = set()
    todo = ["bootstrap.pipeline"]
    while todo:
        name = todo.pop()
        for other in graph[name] - reached:
            reached.add(other)
            todo.append(other)
    assert reached & COMMANDS == set()


def test_imports_inside_functions_say_they_are_for_start_up() -> None:
    """An import belongs at the top of its module; one kept inside a function (to keep a
    command's start-up light) says so on its line or the line above."""
    unexplained = []
    for name, path in _modules().items():
        lines = path.read_text(encoding="utf-8").splitlines()
        for node in ast.walk(ast.parse("\n".join(lines))):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for inner in ast.walk(node):
                if isinstance(inner, (ast.Import, ast.ImportFrom)):
                    near = " ".join(lines[max(0, inner.lineno - 3) : inner.lineno]).lower()
                    if not any(
                        word in near for word in ("lazy", "start-up", "only when", "only for")
                    ):
                        unexplained.append(f"{name}:{inner.lineno}: {ast.unparse(inner)}")
    assert unexplained == [], "\n".join(sorted(set(unexplained)))
