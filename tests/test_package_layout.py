"""The package layout (README "Layout"): configuration at the root, apps and adapters in
packages, imports between them pointing one way only."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import agentdesk

ROOT = Path(agentdesk.__file__).parent
# Configuration only: settings, HTTP and websocket routes, the ASGI application.
ROOT_MODULES = {"__init__.py", "settings.py", "urls.py", "routing.py", "asgi.py"}


def _imported_packages(path: Path) -> set[str]:
    """The top-level agentdesk packages `path` imports, at module level or inside functions."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            parts = node.module.split(".")
            if parts[0] != "agentdesk":
                continue
            found.update(parts[1:2] or [alias.name for alias in node.names])
        elif isinstance(node, ast.Import):
            found.update(
                alias.name.split(".")[1]
                for alias in node.names
                if alias.name.startswith("agentdesk.")
            )
    return found


def _package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for path in ROOT.rglob("*.py"):
        own = path.relative_to(ROOT).parts[0].removesuffix(".py")
        graph[own] |= _imported_packages(path) - {own}
    return graph


def test_the_package_root_holds_configuration_only() -> None:
    loose = {p.name for p in ROOT.glob("*.py")} - ROOT_MODULES
    assert loose == set(), f"modules at the package root that belong in a package: {loose}"


def test_shared_helpers_import_nothing_else_of_agentdesk() -> None:
    assert _package_graph()["shared"] == set()


def test_no_import_cycle_between_packages() -> None:
    graph = _package_graph()
    done: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str, trail: list[str]) -> None:
        for target in sorted(graph.get(node, set())):
            if target in trail:
                cycles.append([*trail[trail.index(target) :], target])
            elif target not in done:
                visit(target, [*trail, target])
        done.add(node)

    for start in sorted(graph):
        if start not in done:
            visit(start, [start])
    assert cycles == [], f"packages importing each other: {cycles[:5]}"
