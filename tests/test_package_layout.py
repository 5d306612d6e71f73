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


# messages.py imports wrapup.py at its end so that wrap-up requests register with the others.
KNOWN_MODULE_CYCLES = [{"agentdesk.lcm.messages", "agentdesk.lcm.wrapup"}]


def _module_graph() -> dict[str, set[str]]:
    modules: dict[str, Path] = {}
    for path in ROOT.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        parts = ("agentdesk", *path.relative_to(ROOT).with_suffix("").parts)
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = path
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                base = package.split(".")[: len(package.split(".")) - max(node.level - 1, 0)]
                source = ".".join([*base, node.module] if node.module else base)
                if not node.level:
                    source = node.module or ""
                for candidate in [*(f"{source}.{a.name}" for a in node.names), source]:
                    if candidate in modules and candidate != name:
                        graph[name].add(candidate)
                        break
            elif isinstance(node, ast.Import):
                graph[name] |= {a.name for a in node.names if a.name in modules} - {name}
    return graph


def test_no_import_cycle_between_modules():
    """Also imports inside functions count: a cycle hidden in a function is still one (the
    CSV import's runner and its job-runner task used to import each other that way)."""
    graph = _module_graph()
    cycles: list[set[str]] = []
    for start in sorted(graph):
        seen: set[str] = set()
        todo = list(graph[start])
        while todo:
            module = todo.pop()
            if module == start:
                cycles.append({start})
                break
            if module not in seen:
                seen.add(module)
                todo.extend(graph.get(module, ()))
    members = set().union(*cycles) if cycles else set()
    known = set().union(*KNOWN_MODULE_CYCLES)
    assert members <= known, f"modules importing each other: {sorted(members - known)}"
