"""The layers of docs/architecture.md: every import inside refcat/ runs downward.

Every import counts, also those inside functions and under `if TYPE_CHECKING:`. A failure
names the file, the line and the two layers.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "refcat"

# layer -> the layers it may import (besides itself). Bottom first.
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "taxonomy": set(),
    "datasets": {"errors", "taxonomy"},
    "demo": {"errors", "taxonomy", "datasets"},
    "store": {"errors", "taxonomy", "datasets"},
    "categorize": {"errors", "taxonomy", "datasets"},
    "analysis": {"errors", "taxonomy", "datasets", "categorize"},
    "annotate": {"errors", "taxonomy", "datasets", "store", "categorize", "analysis"},
    "refvos_model": {"errors", "taxonomy", "datasets", "analysis"},
    "cli": {"errors", "taxonomy", "datasets", "demo", "store", "categorize", "analysis", "annotate", "refvos_model"},
}
# modules of refcat/annotate/ui that are not pages; `pages` is the router that imports the pages
UI_PAGE_HELPERS = {
    "session",
    "navigation",
    "shortcuts",
    "widgets",
    "video_view",
    "desk",
    "suggestions",
    "pages",
    "text",
    "help_overlay",
    "flags",
    "clips",
    "display",
    "picker",
}


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer_of(module: str) -> str:
    parts = module.split(".")
    return "cli" if parts[1:] in (["__main__"], []) else parts[1]


def imports(path: Path, root: Path = ROOT) -> list[tuple[int, str]]:
    """(line, absolute module) of every refcat import in the file, at any depth."""
    module = module_name(path, root)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append((node.lineno, target))
            # `from refcat.x import y` may name a module y
            found += [
                (node.lineno, f"{target}.{a.name}")
                for a in node.names
                if (root.parent / f"{target}.{a.name}".replace(".", "/")).with_suffix(".py").exists()
            ]
    return [(line, name) for line, name in found if name == "refcat" or name.startswith("refcat.")]


SOURCES = sorted(ROOT.rglob("*.py"))


def test_every_package_has_a_layer():
    assert {layer_of(module_name(p)) for p in SOURCES} <= set(ALLOWED)


def test_the_layers_have_no_cycle():
    done: set[str] = set()

    def visit(layer: str, path: tuple[str, ...]) -> None:
        assert layer not in path, f"cycle: {' -> '.join(path + (layer,))}"
        for lower in ALLOWED[layer]:
            if lower not in done:
                visit(lower, path + (layer,))
        done.add(layer)

    for layer in ALLOWED:
        visit(layer, ())


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT.parent)))
def test_imports_run_downward(path):
    here = layer_of(module_name(path))
    wrong = [
        f"{path.relative_to(ROOT.parent)}:{line}: {here} imports {name} ({layer_of(name)})"
        for line, name in imports(path)
        if name != "refcat" and layer_of(name) != here and layer_of(name) not in ALLOWED[here]
    ]
    assert not wrong, "imports against the layers:\n" + "\n".join(wrong)


@pytest.mark.parametrize("path", sorted((ROOT / "annotate" / "ui").glob("*.py")), ids=lambda p: p.name)
def test_pages_import_no_other_page(path):
    pages = [
        f"refcat.annotate.ui.{p.stem}"
        for p in (ROOT / "annotate" / "ui").glob("*.py")
        if p.stem not in UI_PAGE_HELPERS | {"__init__"}
    ]
    if path.stem == "pages":
        return
    wrong = [
        f"{path.name}:{line}: imports the page {name}"
        for line, name in imports(path)
        if name in pages and name != module_name(path)
    ]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("path", sorted((ROOT / "annotate" / "ui").glob("*.py")), ids=lambda p: p.name)
def test_pages_do_not_query_the_store(path):
    """Pages call refcat.annotate's functions; sessions and SQL stay below the UI."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    wrong = [
        f"{path.name}:{node.lineno}: .{node.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr in {"session", "execute", "scalars", "scalar"}
        and not (isinstance(node.value, ast.Name) and node.value.id == "st")
    ]
    wrong += [
        f"{path.name}:{line}: imports {name}" for line, name in imports(path) if name.startswith("refcat.store.schema")
    ]
    wrong += [
        f"{path.name}:{node.lineno}: imports the query {a.name} of refcat.annotate.state"
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "refcat.annotate.state"
        for a in node.names
        if a.name[0].islower()
    ]
    assert not wrong, "\n".join(wrong)


def test_the_walker_sees_imports_inside_functions(tmp_path):
    """An upward import hidden in a function body is found, with its line."""
    root = tmp_path / "refcat"
    (root / "store").mkdir(parents=True)
    (root / "store" / "database.py").write_text("")
    source = root / "datasets" / "x.py"
    source.parent.mkdir()
    source.write_text("import os\n\n\ndef f():\n    from refcat.store import database\n    from . import y\n")
    assert imports(source, root) == [(5, "refcat.store"), (5, "refcat.store.database"), (6, "refcat.datasets")]
    assert layer_of("refcat.store.database") not in ALLOWED[layer_of(module_name(source, root))]


def test_no_test_module_imports_another():
    """Shared fixtures are in conftest.py and shared helpers in the `helpers` package (tests/helpers)."""
    tests = Path(__file__).resolve().parent
    modules = {p.stem for p in tests.glob("*.py")}  # the test modules and conftest
    wrong = []
    for path in sorted(tests.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] if node.level == 0 else ["." * node.level + (node.module or "")]
            wrong += [
                f"{path.relative_to(tests.parent)}:{node.lineno}: imports {name}"
                for name in names
                if name.split(".")[0] in modules | {"tests"} or name.startswith(".")
            ]
    assert not wrong, "test modules importing test modules:\n" + "\n".join(wrong)
