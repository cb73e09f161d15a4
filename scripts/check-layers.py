#!/usr/bin/env python3
"""Fail on import cycles between the runtime crate's modules and on imports
that point up the layer order (docs/ARCHITECTURE.md).

A module's dependencies are the `crate::a::b` paths its files name (in `use`
items and inline paths). Two checks:
  1. top-level modules: each may name only modules of lower layers (LAYERS,
     top first; modules on one line are one layer and must not form a cycle);
  2. every module, at any depth: no cycle among modules, where an edge from a
     module to its own ancestor or descendant does not count (a parent
     re-exporting its children is not a cycle).
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "runtime" / "src"

# Top first. A module may import modules on lower lines only (or its own).
LAYERS = [
    ["main"],
    ["cli", "inspect"],
    ["server"],
    ["transport"],
    ["mcp"],
    ["call"],
    ["auth", "tenant", "cache", "audit"],
    ["sandbox"],
    ["host"],
    ["kube"],
    ["policy"],
    ["telemetry"],
    ["config"],
    ["error"],
]

PATH = re.compile(r"\bcrate::((?:[a-z_][a-z0-9_]*)(?:::[a-z_][a-z0-9_]*)*)")
SUPER = re.compile(r"\bsuper::((?:[a-z_][a-z0-9_]*)(?:::[a-z_][a-z0-9_]*)*)")
USE_GROUP = re.compile(r"\buse\s+crate::(\{[^;]*\});", re.S)
COMMENT = re.compile(r"//[^\n]*")


def module_of(path: Path) -> tuple[str, ...]:
    rel = path.relative_to(SRC).with_suffix("")
    parts = rel.parts
    if parts[-1] == "mod":
        parts = parts[:-1]
    if parts in (("lib",),):
        return ()
    return tuple(parts)


def known_modules() -> set[tuple[str, ...]]:
    mods = set()
    for f in SRC.rglob("*.rs"):
        m = module_of(f)
        if m and m != ("main",):
            mods.add(m)
    return mods


def resolve(parts: tuple[str, ...], modules: set[tuple[str, ...]]) -> tuple[str, ...] | None:
    """The longest module prefix of a `crate::` path."""
    for n in range(len(parts), 0, -1):
        if parts[:n] in modules:
            return parts[:n]
    return None


def group_paths(body: str) -> list[str]:
    """`{a::b, c::{d, e}}` -> ["a::b", "c::d", "c::e"] (enough for module prefixes)."""
    out, stack, token = [], [""], ""
    for ch in body:
        if ch == "{":
            stack.append(stack[-1] + token.strip())
            token = ""
        elif ch in ",}":
            if token.strip():
                out.append(stack[-1] + token.strip())
            token = ""
            if ch == "}":
                stack.pop()
        else:
            token += ch
    return [p.split(" as ")[0].strip() for p in out]


def edges(modules: set[tuple[str, ...]]) -> dict[tuple[str, ...], set[tuple[str, ...]]]:
    graph: dict[tuple[str, ...], set[tuple[str, ...]]] = {}
    for f in sorted(SRC.rglob("*.rs")):
        me = module_of(f) or ("lib",)
        text = COMMENT.sub("", f.read_text())
        names = [m.group(1) for m in PATH.finditer(text)]
        for g in USE_GROUP.finditer(text):
            names += group_paths(g.group(1))
        # `super::x` inside `a::b` (outside tests) is `crate::a::x`.
        body = text.split("#[cfg(test)]")[0]
        names += ["::".join(me[:-1] + (m.group(1),)) for m in SUPER.finditer(body) if len(me) > 1]
        for name in names:
            target = resolve(tuple(p for p in name.split("::") if p), modules)
            if target and target != me:
                graph.setdefault(me, set()).add(target)
    return graph


def related(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    return a[: len(b)] == b or b[: len(a)] == a


def find_cycle(graph: dict) -> list | None:
    state: dict = {}
    stack: list = []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def main() -> int:
    modules = known_modules()
    graph = edges(modules)
    rank = {m: i for i, layer in enumerate(LAYERS) for m in layer}
    problems = []
    tops = sorted({m[0] for m in modules} | {"main"})
    for top in tops:
        if top not in rank:
            problems.append(f"module `{top}` has no layer in scripts/check-layers.py")
    top_graph: dict = {}
    for src, targets in graph.items():
        for dst in targets:
            a, b = src[0], dst[0]
            if a == b or a == "lib":
                continue
            top_graph.setdefault(a, set()).add(b)
            if a in rank and b in rank and rank[b] < rank[a]:
                problems.append(f"`{'::'.join(src)}` (layer of `{a}`) imports `{'::'.join(dst)}` from the layer above")
    cycle = find_cycle(top_graph)
    if cycle:
        problems.append("cycle between top-level modules: " + " -> ".join(cycle))
    fine = {s: {d for d in ds if not related(s, d)} for s, ds in graph.items()}
    cycle = find_cycle(fine)
    if cycle:
        problems.append("cycle between modules: " + " -> ".join("::".join(m) for m in cycle))
    for p in sorted(set(problems)):
        print(p, file=sys.stderr)
    if problems:
        return 1
    print(f"layers ok: {len(modules)} modules, {sum(len(v) for v in graph.values())} imports")
    return 0


if __name__ == "__main__":
    sys.exit(main())
