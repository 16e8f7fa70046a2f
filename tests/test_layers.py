"""The layer order (README, "Architecture"), read from every module's imports with ``ast``, imports inside functions
included: an import runs only downwards, and feature packages import each other along declared directions only.

What does not hold yet is listed below, edge by edge, as debts: a new upward import, a new cycle or a new import inside
a function fails; so does a debt that was paid but is still listed, so that the lists only shrink."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

pytestmark = pytest.mark.no_database

ROOT = Path(__file__).resolve().parents[1]
ENGINE, BASE, WORKFLOWS, FEATURES, TOP = 1, 2, 3, 4, 5
BASE_MODULES = {
    "app.config",
    "app.database",
    "app.errors",
    "app.exports",  # streaming CSV and XLSX downloads
    "app.extensions",
    "app.i18n",
    "app.identifying",
    "app.logsafe",
    "app.pagination",
    "app.pdf",  # the look of the PDF documents a hospital files
    "app.requests",
    "app.text",
    "app.translation_sources",  # the texts of form definitions and BPMN files that go into the catalogue
    "app.terminology.catalogue",  # reference data read from the packages that ship the terminologies
    "app.security",  # the access policy: predicates over the shared tables and their SQL twins
    "app.audit.models",
    "app.audit.services",  # the audit trail every layer writes to
}
# Models of shared tables are base too ("app.<package>.models"): every layer names users, panels, patients.
TOP_MODULES = {"app", "app.factory", "app.cli", "app.scheduler", "app.wiring", "app.templating", "app.models"}
WORKFLOW_PACKAGES = {"app.workflows", "app.tasks"}

# Feature package → the feature packages it may import. Anything else between features is a debt (below) or an error.
ALLOWED = {
    "app.notifications": {"app.mail"},
    "app.accounts": {"app.mail"},
    "app.patients": {"app.notifications"},
    "app.queues": {"app.notifications"},
    "app.panels": {"app.formdesign", "app.notifications", "app.patients"},
    "app.documents": {"app.panels", "app.patients"},
    "app.ernsettings": {"app.documents"},
    "app.observability": {"app.documents"},
    "app.meetings": {"app.mail", "app.notifications", "app.panels", "app.patients"},
    "app.api": {"app.accounts"},  # tokens need a fresh second-factor code
    "app.interop": {"app.research"},  # the outcome's exports build on the research dataset's case
    "app.expertise": {"app.panels"},  # the ranking reorders the experts the panel offers
}

# Debts: imports that break the order today (importer, imported module), to be paid and then removed from here.
UPWARD_DEBTS: set[tuple[str, str]] = set()
FEATURE_DEBTS: set[tuple[str, str]] = set()
FUNCTION_IMPORT_DEBTS: set[tuple[str, str]] = set()
# Imports inside functions on purpose, each with its reason where it is written: create_app loads the factory when
# called, so that importing one module of the package does not load the whole application.
LAZY_ON_PURPOSE = {("app", "app.factory")}


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted([*ROOT.glob("app/**/*.py"), *ROOT.glob("engine/**/*.py")]):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _imports(name: str, path: Path, modules: dict[str, Path]) -> list[tuple[str, bool]]:
    """(imported module of this project, whether the import is inside a function) for every import of the module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    inside = {
        id(node)
        for function in ast.walk(tree)
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef)
        for node in ast.walk(function)
    }
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.append((target, id(node) in inside))
    return found


def _package(name: str) -> str:
    parts = name.split(".")
    return "engine" if parts[0] == "engine" else ".".join(parts[:2])


def layer(name: str) -> int:
    if name.split(".")[0] == "engine":
        return ENGINE
    if name in BASE_MODULES or (name.startswith("app.") and name.endswith(".models") and name != "app.models"):
        return BASE
    if name in TOP_MODULES or name.endswith((".routes", "_routes")) or _package(name) == "app.demo":
        return TOP
    if _package(name) in WORKFLOW_PACKAGES:
        return WORKFLOWS
    return FEATURES


def problems(modules: dict[str, Path]) -> dict[str, set[tuple[str, str]]]:
    """Every import that runs up a layer, between features against the declared directions, or inside a function."""
    found: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for name, path in modules.items():
        for target, in_function in _imports(name, path, modules):
            edge = (name, target)
            if in_function and edge not in LAZY_ON_PURPOSE:
                found["function"].add(edge)
            if layer(target) > layer(name):
                found["upward"].add(edge)
            elif layer(name) == layer(target) == FEATURES and _package(name) != _package(target):
                if _package(target) not in ALLOWED.get(_package(name), set()):
                    found["feature"].add(edge)
    return found


def cycles(modules: dict[str, Path]) -> list[list[str]]:
    """Import cycles between modules (imports inside functions included), each as the modules around it."""
    return strongly_connected({name: {target for target, _ in _imports(name, path, modules)} for name, path in modules.items()})


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of two or more nodes that reach each other (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
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
                found.append(sorted(component))

    for name in sorted(graph):
        if name not in index:
            visit(name)
    return found


@pytest.fixture(scope="module")
def found():
    return problems(_modules())


def test_no_import_runs_up_a_layer_beyond_the_listed_debts(found):
    assert found["upward"] - UPWARD_DEBTS == set(), "new upward imports"
    assert UPWARD_DEBTS - found["upward"] == set(), "paid debts: remove them from UPWARD_DEBTS"


def test_feature_packages_import_each_other_only_along_the_declared_directions(found):
    assert found["feature"] - FEATURE_DEBTS == set(), "imports between features outside ALLOWED"
    assert FEATURE_DEBTS - found["feature"] == set(), "paid debts: remove them from FEATURE_DEBTS"


def test_every_declared_direction_is_used():
    """ALLOWED says which features lean on which: a direction no import takes any more is struck out."""
    modules = _modules()
    used = {
        (_package(name), _package(target))
        for name, path in modules.items()
        for target, _ in _imports(name, path, modules)
        if layer(name) == layer(target) == FEATURES
    }
    declared = {(importer, imported) for importer, allowed in ALLOWED.items() for imported in allowed}
    assert declared - used == set()


def test_declared_directions_have_no_cycle():
    assert strongly_connected(ALLOWED) == []


def test_no_module_imports_inside_a_function_beyond_the_listed_debts(found):
    assert found["function"] - FUNCTION_IMPORT_DEBTS == set(), "imports inside functions (to dodge a cycle?)"
    assert FUNCTION_IMPORT_DEBTS - found["function"] == set(), "paid debts: remove them from FUNCTION_IMPORT_DEBTS"


def test_no_import_cycle():
    assert cycles(_modules()) == []


def test_the_checks_catch_an_upward_import_a_cycle_and_a_hidden_import(tmp_path):
    """The test of the test: a workflow module and a model importing a feature, two modules importing each other, an
    import inside a function, in a small tree of their own."""
    (tmp_path / "app" / "workflows").mkdir(parents=True)
    (tmp_path / "app" / "panels").mkdir(parents=True)
    (tmp_path / "app" / "workflows" / "store.py").write_text("from app.panels import services\n")
    (tmp_path / "app" / "panels" / "models.py").write_text("from app.panels import steps\n")
    (tmp_path / "app" / "panels" / "services.py").write_text("def f():\n    from app.panels import steps\n")
    (tmp_path / "app" / "panels" / "steps.py").write_text("from app.panels import services\n")
    modules = {
        name: tmp_path / (name.replace(".", "/") + ".py")
        for name in ("app.workflows.store", "app.panels.models", "app.panels.services", "app.panels.steps")
    }
    found = problems(modules)
    assert found["upward"] == {("app.workflows.store", "app.panels.services"), ("app.panels.models", "app.panels.steps")}
    assert found["function"] == {("app.panels.services", "app.panels.steps")}
    assert cycles(modules) == [["app.panels.services", "app.panels.steps"]]
