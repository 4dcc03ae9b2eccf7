"""The layers of architecture.md, checked on the imports themselves: data flows one way (views →
flows → operations → rules), so no flow, operation, rule or query imports a view module, and no
blueprint's views import another blueprint's views (shared pieces live in presenters, queries,
operations or rules)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PORTAL = ROOT / "portal"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module the file imports, relative imports resolved (`from .views import bp` in
    portal/resident/account.py → portal.resident.views)."""
    package = module_name(path).rsplit(".", 0 if path.name == "__init__.py" else 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def view_modules() -> dict[str, str]:
    """Module → its blueprint package, for every module that adds routes to a blueprint."""
    found = {}
    for path in PORTAL.rglob("*.py"):
        blueprint = module_name(path.parent)
        if path.name == "views.py" or f"{blueprint}.views.bp" in imports_of(path):
            found[module_name(path)] = blueprint
    return found


VIEWS = view_modules()
BELOW_VIEWS = sorted(
    p for p in PORTAL.rglob("*.py")
    if module_name(p) not in VIEWS and not module_name(p).startswith("portal.cli")
    and module_name(p) not in ("portal", "portal.web"))  # the app factory registers them


def test_the_scan_finds_the_blueprints():
    assert {"portal.agency.views", "portal.agency.money", "portal.flows.views",
            "portal.resident.account"} <= set(VIEWS)
    assert "portal.resident.views" in imports_of(PORTAL / "resident/account.py")


@pytest.mark.parametrize("path", BELOW_VIEWS, ids=lambda p: str(p.relative_to(ROOT)))
def test_nothing_below_the_views_imports_a_view(path):
    assert not imports_of(path) & set(VIEWS)


@pytest.mark.parametrize("module", sorted(VIEWS))
def test_no_view_imports_another_blueprints_views(module):
    path = ROOT / (module.replace(".", "/") + ".py")
    others = {m for m, blueprint in VIEWS.items() if blueprint != VIEWS[module]}
    assert not imports_of(path) & others


def calls_select(path: Path) -> bool:
    return any(isinstance(node, ast.Call) and getattr(node.func, "id", None) == "select"
               for node in ast.walk(ast.parse(path.read_text())))


@pytest.mark.parametrize("module", sorted(VIEWS))
def test_views_hold_no_select(module):
    """Views are thin: their look-ups are named queries (portal/queries.py) or operations."""
    path = ROOT / (module.replace(".", "/") + ".py")
    if not path.exists():
        path = ROOT / module.replace(".", "/") / "__init__.py"
    assert not calls_select(path), f"{module} calls select(); name the query in queries.py"
