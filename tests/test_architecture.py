"""The shape the house rules promise, checked on the source (STYLE.md §6 and §8)."""

import ast
from pathlib import Path

from portal.config import ROOT

PORTAL = ROOT / "portal"


def _imports(path: Path) -> set[str]:
    """Modules a file imports, as dotted names under `portal`."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    if path.name == "__init__.py":
        package = package.rsplit(".", 1)[0]
    parent = package if path.name == "__init__.py" else package.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = parent.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found |= {f"{base}.{a.name}" for a in node.names}
    return {name for name in found if name.startswith("portal")}


def _modules() -> dict[str, set[str]]:
    graph = {}
    for path in PORTAL.rglob("*.py"):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        graph[name.removesuffix(".__init__")] = _imports(path)
    return graph


def test_only_the_app_factory_imports_the_api():
    offenders = [
        m
        for m, imports in _modules().items()
        if m != "portal"
        and any(i == "portal.api" or i.startswith("portal.api.") for i in imports)
        and not m.startswith("portal.api")
    ]
    assert offenders == []


def test_no_two_modules_of_a_package_import_each_other():
    graph = _modules()
    packages = {"portal"} | {
        ".".join(p.relative_to(ROOT).parts) for p in PORTAL.rglob("*") if p.is_dir()
    }
    graph = {m: i - packages for m, i in graph.items() if m not in packages}
    pairs = sorted(
        (a, b)
        for a, imports in graph.items()
        for b in imports
        if b in graph and a < b and a in graph[b] and a.rsplit(".", 1)[0] == b.rsplit(".", 1)[0]
    )
    assert pairs == []
