"""The layout of the test helpers: they live in the `support` package, whose
modules import one another without a cycle and never import conftest or a
test module; conftest and the test modules take helpers from `support` only.
Read from the sources (ast), so nothing is imported to check it."""

from __future__ import annotations

import ast
from pathlib import Path

HERE = Path(__file__).resolve().parent
PACKAGE = "support"


def sources() -> dict[str, str]:
    """Module name -> source of conftest, the test modules and the support package."""
    found = {p.stem: p.read_text() for p in HERE.glob("*.py")}
    for p in (HERE / PACKAGE).glob("*.py"):
        found[PACKAGE if p.stem == "__init__" else f"{PACKAGE}.{p.stem}"] = p.read_text()
    return found


def imports(module: str, source: str) -> set[str]:
    """Every module name `source` imports (and, for `from a import b`, `a.b`
    too, in case `b` is a module), relative imports resolved, nested ones included."""
    package = module if module == PACKAGE else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".") if package else []
                base = ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle in `graph` as a path that ends where it starts, or None."""
    state: dict[str, str] = {}

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt, path + [nxt])):
                return found
        state[node] = "done"
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start, [start])):
            return found
    return None


def problems(modules: dict[str, str]) -> list[str]:
    """What breaks the layout among `modules` (name -> source)."""
    local = {name.split(".")[0] for name in modules}
    found = []
    graph = {}
    for name, source in sorted(modules.items()):
        imported = imports(name, source)
        if name == PACKAGE or name.startswith(f"{PACKAGE}."):
            graph[name] = {m for m in imported if m in modules and m.split(".")[0] == PACKAGE and m != name}
            for bad in sorted({m.split(".")[0] for m in imported} & local - {PACKAGE}):
                found.append(f"{name} imports {bad}: support modules import only support modules")
        else:
            for bad in sorted(m for m in imported if m in local and m != PACKAGE):
                found.append(f"{name} imports {bad}: helpers come from {PACKAGE}")
    if path := cycle(graph):
        found.append("import cycle: " + " -> ".join(path))
    return found


def test_support_modules_import_no_cycle_and_no_test_code():
    modules = sources()
    assert {"conftest", PACKAGE, f"{PACKAGE}.mcp", f"{PACKAGE}.runtime"} <= set(modules)
    assert problems(modules) == []


def test_helpers_live_in_the_support_package():
    beside = sorted(p.name for p in HERE.glob("*.py") if p.name != "conftest.py" and not p.name.startswith("test_"))
    assert beside == [], f"helper modules beside the tests (move them to {PACKAGE}/): {beside}"


def test_the_check_sees_a_cycle():
    modules = {
        PACKAGE: "",
        f"{PACKAGE}.a": "from support.b import thing\n",
        f"{PACKAGE}.b": "def f():\n    from . import c\n",
        f"{PACKAGE}.c": "import support.a\n",
    }
    assert problems(modules) == ["import cycle: support.a -> support.b -> support.c -> support.a"]


def test_the_check_sees_conftest_or_a_test_module_in_support():
    modules = {
        "conftest": "from support.a import thing\n",
        "test_x": "from support import a\n",
        f"{PACKAGE}.a": "from conftest import ROOT\n",
        f"{PACKAGE}.b": "import test_x\n",
    }
    assert problems(modules) == [
        "support.a imports conftest: support modules import only support modules",
        "support.b imports test_x: support modules import only support modules",
    ]


def test_the_check_sees_a_test_module_taking_helpers_from_conftest():
    modules = {
        "conftest": "import os\n",
        "test_x": "def test():\n    from conftest import free_port\n",
        "test_y": "import test_x\n",
    }
    assert problems(modules) == [
        "test_x imports conftest: helpers come from support",
        "test_y imports test_x: helpers come from support",
    ]
