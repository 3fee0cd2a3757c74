"""The shape of the code: no import circles, and the forum never imports the CRM.

The import graph is read from the source with `ast` (no module is imported), counting imports inside
functions too: a lazy import hides a circle from Python, not from the reader.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("community", "crm_bridge")


def _modules() -> dict[str, tuple[Path, bool]]:
    """{dotted module name: (file, is a package)} for every module of the two packages."""
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


def _resolve(name: str, modules) -> str | None:
    """The most specific module of ours that a dotted name lies in (None for a third-party name)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def import_graph() -> dict[str, set[str]]:
    """{module: the modules of ours it imports}, imports inside functions included."""
    modules = _modules()
    graph = {}
    for name, (path, is_package) in modules.items():
        package = name if is_package else name.rpartition(".")[0]
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets.update(_resolve(alias.name, modules) for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[:len(package.split(".")) - (node.level - 1)]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module
                for alias in node.names:  # `from . import services` imports the submodule
                    submodule = f"{source}.{alias.name}"
                    targets.add(submodule if submodule in modules else _resolve(source, modules))
        graph[name] = {target for target in targets if target and target != name}
    return graph


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components (iterative)."""
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    found.append(sorted(component))
    return found


def test_the_cycle_finder_finds_a_circle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert sorted(map(sorted, strongly_connected(graph))) == [["a", "b", "c"], ["d"]]


def test_the_graph_counts_imports_inside_functions():
    graph = import_graph()
    # crm_bridge/__init__.py imports its areas only inside init_app
    assert "crm_bridge.timeline" in graph["crm_bridge"]
    assert "community.mail.delivery" in graph["community.mail.worker"]


def test_no_import_cycles_among_community_and_crm_bridge_modules():
    circles = [component for component in strongly_connected(import_graph()) if len(component) > 1]
    assert circles == []


def test_community_never_imports_crm_bridge():
    offenders = sorted(f"{module} -> {target}" for module, targets in import_graph().items()
                       if module.startswith("community") for target in targets if target.startswith("crm_bridge"))
    assert offenders == []


def test_community_templates_never_include_crm_bridge_templates():
    """A CRM partial shown on a forum page is registered by crm_bridge, not named by the forum's templates."""
    offenders = [str(path.relative_to(ROOT)) for path in sorted((ROOT / "templates" / "community").rglob("*.html"))
                 if "crm_bridge/" in path.read_text(encoding="utf-8")]
    assert offenders == []


# Private names still imported across modules, each with the work that removes it.
PRIVATE_IMPORTS_LEFT = {
    ("crm_bridge.webhook_views", "crm_bridge.views", "_paginate"),  # goes with the one pagination type (issue 14, item 3)
}


def test_no_module_imports_another_modules_private_names():
    modules = _modules()
    found = set()
    for name, (path, is_package) in modules.items():
        package = name if is_package else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[:len(package.split(".")) - (node.level - 1)]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                if not source.startswith(PACKAGES):
                    continue
                found.update((name, source, alias.name) for alias in node.names
                             if alias.name.startswith("_") and not alias.name.startswith("__"))
    assert found - PRIVATE_IMPORTS_LEFT == set()


def test_the_core_forum_imports_no_feature_area():
    """Trust, votes, moderation, polls, ideas... extend the forum through signals and the registry."""
    core = {"community.forum", "community.members", "community.site"}
    areas = {name for name, (_path, is_package) in _modules().items()
             if is_package and name.count(".") == 1 and name not in core}
    offenders = sorted(f"{module} -> {target}" for module, targets in import_graph().items()
                       if module.startswith("community.forum") for target in targets
                       if any(target == area or target.startswith(area + ".") for area in areas))
    assert offenders == []


def test_core_templates_include_only_slots_and_their_own_partials():
    """The forum's pages name no feature area's partial: areas add theirs to a slot through the registry."""
    templates = ROOT / "templates"
    core = [templates / "base.html", *sorted((templates / "_macros").glob("*.html"))]
    for folder in ("forum", "members", "site"):
        core += sorted((templates / "community" / folder).rglob("*.html"))
    allowed = ("community/_slots/", "community/forum/", "community/members/", "community/site/", "_macros/", "base.html")
    offenders = []
    for path in core:
        for name in re.findall(r"""\{%-?\s*(?:include|import|from|extends)\s+["']([^"']+)["']""",
                               path.read_text(encoding="utf-8")):
            if not name.startswith(allowed):
                offenders.append(f"{path.relative_to(templates)} -> {name}")
    assert offenders == []
