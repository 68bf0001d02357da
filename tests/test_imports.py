"""The shape of the package, read from its source with `ast`: no module reaches back into one
that imports it (imports inside functions count: a lazy import is still a dependency), and the
terminal belongs to the CLI layer alone."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "monitor"
# The CLI layer: the parser, the command handlers and the entry point. Only these may see
# argparse or import the parser.
CLI_LAYER = {
    "monitor.cli",
    "monitor.handlers",
    "monitor.commands",
    "monitor.browse",
    "monitor.cmdargs",
    "monitor.__main__",
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


MODULES = _modules()


def _imported(name: str, path: Path) -> set[str]:
    """Every module of the package that `name` imports, anywhere in its source."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            # `from . import alerts` names a module; `from .model import Event` a name in one.
            for alias in node.names:
                sub = f"{module}.{alias.name}"
                out.add(sub if sub in MODULES else module)
    return {m for m in out if m in MODULES and m != name}


def _graph() -> dict[str, set[str]]:
    graph = {name: _imported(name, path) for name, path in MODULES.items()}
    for name, path in MODULES.items():
        if path.name == "__init__.py":
            # A package importing its own submodules registers them (profiles/); they import
            # it for the registry, and that is not a cycle of dependencies.
            graph[name] = {m for m in graph[name] if not m.startswith(name + ".")}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as the path around it (first module repeated), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """A cycle in each knot of the graph (its strongly connected parts larger than one), so a
    failure names every cycle at once."""
    reach = {node: _reachable(graph, node) for node in graph}
    knots = {frozenset(m for m in reach[n] if n in reach[m]) for n in graph}
    found = []
    for knot in sorted((k for k in knots if len(k) > 1), key=sorted):
        cycle = _cycle({n: graph[n] & knot for n in knot})
        assert cycle is not None
        found.append(cycle)
    return found


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = {start}, [start]
    while todo:
        for nxt in graph[todo.pop()] - seen:
            seen.add(nxt)
            todo.append(nxt)
    return seen


def test_the_graph_is_read_from_the_source() -> None:
    graph = _graph()
    assert "monitor.store" in graph["monitor.cycle"]  # a top-level import
    assert "monitor.service" in graph["monitor.commands"]  # an import inside a function
    assert "monitor.profiles" in graph["monitor.profiles.scio"]
    assert not any(m.startswith("monitor.profiles.") for m in graph["monitor.profiles"])


def test_the_cycle_finder_finds_a_cycle_and_names_it() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None
    two = {"a": {"b"}, "b": {"a"}, "c": {"d"}, "d": {"c", "a"}}
    assert _cycles(two) == [["a", "b", "a"], ["c", "d", "c"]]


def test_no_module_imports_one_that_imports_it() -> None:
    cycles = _cycles(_graph())
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_only_the_cli_layer_sees_argparse_or_the_parser() -> None:
    for name, path in MODULES.items():
        if name in CLI_LAYER:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        argparse = any(
            isinstance(n, ast.Import) and any(a.name == "argparse" for a in n.names)
            for n in ast.walk(tree)
        )
        assert not argparse, f"{name} imports argparse: take plain values from commands.py"
        assert not CLI_LAYER & _imported(name, path), f"{name} imports the CLI layer"
