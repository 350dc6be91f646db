"""The package's layout: no import cycles between its modules, and no private name imported across modules.

Static analysis of every ``import`` statement in ``sora_widgets`` with ``ast`` — including those inside
functions (a deferred import is still a dependency; deferring it only hides the cycle) — with relative
imports resolved to module names. Imports under ``if TYPE_CHECKING:`` are left out: they never run.
An edge goes to the module named (``from .store import Store`` -> ``sora_widgets.store``, the package's
``__init__``; ``from . import media`` -> ``sora_widgets.media``); the parent packages Python also imports
on the way are not counted, as import linters do.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import sora_widgets

ROOT = Path(sora_widgets.__file__).parent
PACKAGE = "sora_widgets"


def _module_name(path: Path) -> str:
    parts = (PACKAGE, *path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES: dict[str, Path] = {_module_name(p): p for p in ROOT.rglob("*.py")}


def _is_package(module: str) -> bool:
    return MODULES[module].name == "__init__.py"


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node, skipping the bodies of ``if TYPE_CHECKING:`` (type-only imports never run)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                stack.extend(child.orelse)
                continue
            stack.append(child)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _resolve(module: str, node: ast.ImportFrom) -> str:
    """The absolute module a ``from ... import`` reads from."""
    if node.level == 0:
        return node.module or ""
    base = module.split(".") if _is_package(module) else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports(module: str) -> list[tuple[str, str | None, int]]:
    """(imported module, name taken from it or None, line) for every runtime import in ``module``,
    restricted to modules of the package."""
    tree = ast.parse(MODULES[module].read_text(), filename=str(MODULES[module]))
    out = []
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.Import):
            out.extend((a.name, None, node.lineno) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            source = _resolve(module, node)
            for alias in node.names:
                sub = f"{source}.{alias.name}"
                # ``from pkg import sub`` imports the module pkg.sub; ``from mod import name`` reads mod
                out.append((sub, None, node.lineno) if sub in MODULES else (source, alias.name, node.lineno))
    return [(m, name, line) for m, name, line in out if m in MODULES]


GRAPH: dict[str, set[str]] = {m: {t for t, _n, _l in imports(m) if t != m} for m in MODULES}


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm (iterative): the components of mutually reachable modules."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    comps: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    m = stack.pop()
                    on_stack.discard(m)
                    comp.append(m)
                    if m == node:
                        break
                comps.append(sorted(comp))
    return comps


def a_cycle(graph: dict[str, set[str]], comp: list[str]) -> list[str]:
    """One cycle inside a strongly connected component, as a -> b -> ... -> a (shortest from its first module)."""
    members, start = set(comp), comp[0]
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        nxt = []
        for node in frontier:
            for child in sorted(graph[node] & members):
                if child == start:
                    return paths[node] + [start]
                if child not in paths:
                    paths[child] = paths[node] + [child]
                    nxt.append(child)
        frontier = nxt
    raise AssertionError("not a cycle")  # pragma: no cover


def _where(a: str, b: str) -> str:
    lines = sorted({line for t, _n, line in imports(a) if t == b})
    return f"{MODULES[a].relative_to(ROOT.parent)}:{','.join(map(str, lines))}"


def test_the_analysis_sees_deferred_relative_and_type_only_imports(tmp_path):
    # the reader itself, on known code: a function-level relative import counts, TYPE_CHECKING does not
    assert "sora_widgets.engines.base" in GRAPH["sora_widgets.engines.options"]
    assert "sora_widgets.media" in GRAPH["sora_widgets.engines.base"]
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    comps = [c for c in strongly_connected(graph) if len(c) > 1]
    assert comps == [["a", "b", "c"]] and a_cycle(graph, comps[0]) == ["a", "b", "c", "a"]
    src = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .x import Y\ndef f():\n    from ..z import w\n"
    nodes = [n for n in _runtime_nodes(ast.parse(src)) if isinstance(n, ast.ImportFrom)]
    assert [(n.module, n.level) for n in nodes] == [("z", 2), ("typing", 0)] or \
        sorted((n.module, n.level) for n in nodes) == [("typing", 0), ("z", 2)]


def test_no_import_cycles():
    cycles = []
    for comp in strongly_connected(GRAPH):
        if len(comp) > 1:
            cyc = a_cycle(GRAPH, comp)
            steps = "\n      ".join(f"{a} -> {b}   ({_where(a, b)})" for a, b in zip(cyc, cyc[1:], strict=False))
            cycles.append(f"{' -> '.join(cyc)}\n      {steps}")
    assert not cycles, "import cycles in the package:\n  " + "\n  ".join(cycles)


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def test_no_private_name_imported_across_modules():
    """``from .media import _resize`` couples a module to another's internals: make the name public.
    A package's ``__init__`` may re-export a private name of its own submodules."""
    offenders = []
    for module in MODULES:
        for source, name, line in imports(module):
            if name is None or not _private(name):
                continue
            if _is_package(module) and source.startswith(module + "."):
                continue
            offenders.append(f"{MODULES[module].relative_to(ROOT.parent)}:{line} imports {name} from {source}")
    assert not offenders, "private names imported across modules:\n  " + "\n  ".join(offenders)


def test_the_product_never_imports_the_testing_helpers():
    """``sora_widgets.testing`` (random-weight pipelines) is for tests and benchmarks only."""
    users = [m for m in MODULES if not m.startswith(f"{PACKAGE}.testing")
             for t, _n, _l in imports(m) if t.startswith(f"{PACKAGE}.testing")]
    assert users == []
    assert not (ROOT / "engines" / "tiny_pipelines.py").exists()
