"""The architecture as a test: imports flow one way, no circles, small modules.

`caliper_pipeline → ingest, consumers → validators`, never back; nothing imports
`tests`; `benchmarks` import the product, not the tests. Imports are read with `ast`,
so a function-level import counts as much as a top-level one.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import pytest

from tests.conftest import REPO_ROOT

PACKAGES: Final = ("caliper_pipeline", "ingest", "consumers", "validators", "benchmarks", "tests")
# What each top-level package may import from the others (itself always).
ALLOWED: Final = {
    "validators": set(),
    "ingest": {"validators"},
    "consumers": {"validators"},
    "caliper_pipeline": {"ingest", "consumers", "validators"},
    "benchmarks": {"caliper_pipeline", "ingest", "consumers", "validators"},
    "tests": {"caliper_pipeline", "ingest", "consumers", "validators", "benchmarks"},
}
MAX_MODULE_LINES: Final = 300


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for package in PACKAGES
        for path in sorted((REPO_ROOT / package).rglob("*.py"))
    }


def imported(path: Path, known: dict[str, Path]) -> Iterator[str]:
    """Project modules `path` imports; `from pkg import name` counts `pkg.name` when
    that is a module, else `pkg`."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [
                f"{node.module}.{alias.name}"
                if f"{node.module}.{alias.name}" in known
                else node.module
                for alias in node.names
            ]
        else:
            continue
        yield from (name for name in names if name.split(".")[0] in ALLOWED)


GRAPH: Final = {name: set(imported(path, modules())) for name, path in modules().items()}


def test_the_reader_sees_the_real_imports() -> None:
    # A guard against a rule that passes because the reader reads nothing.
    assert "validators" in GRAPH["ingest.http.routes"]
    assert "consumers.aggregator.service" in GRAPH["caliper_pipeline.commands.aggregate"]
    assert "ingest.http.app" in GRAPH["caliper_pipeline.dev.issuer_routes"]


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_imports_flow_one_way(module: str) -> None:
    top = module.split(".")[0]
    against = sorted(
        name
        for name in GRAPH[module]
        if (target := name.split(".")[0]) != top and target not in ALLOWED[top]
    )
    assert not against, f"{module} imports against the layout: {against}"


def test_no_import_circles() -> None:
    """Tarjan's strongly connected components over the module graph."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in GRAPH.get(node, set()) & GRAPH.keys():
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for node in sorted(GRAPH):
        if node not in index:
            visit(node)
    assert not circles, f"import circles: {circles}"


def test_no_module_over_the_size_that_means_two_concepts() -> None:
    big = {
        name: lines
        for name, path in modules().items()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert not big, f"modules over {MAX_MODULE_LINES} lines: {big}"
