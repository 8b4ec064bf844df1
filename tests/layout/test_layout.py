"""Guards on the repository's layout that every process started from the root relies on."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LIBRARIES = ("sandbox", "evaluators", "leaderboard", "challenges")
FORBIDDEN = {"fastapi", "celery", "sqlmodel", "sqlalchemy", "mlflow", "podium", "kombu"}


def test_platform_folder_is_not_a_package() -> None:
    assert not (ROOT / "platform" / "__init__.py").exists()


def test_standard_platform_module_works_from_the_root() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import platform, uuid; print(platform.system(), uuid.uuid4())"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[0] == "Linux"


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("library", LIBRARIES)
def test_libraries_import_no_web_queue_or_database_code(library: str) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imported_modules(path) & FORBIDDEN)
        for path in (ROOT / library).rglob("*.py")
        if "examples" not in path.parts
    }
    offenders = {k: v for k, v in offenders.items() if v}
    assert offenders == {}


@pytest.mark.parametrize("library", LIBRARIES)
def test_libraries_import_alone_in_a_fresh_process(library: str) -> None:
    code = (
        f"import sys, {library}, pkgutil, importlib\n"
        f"for m in pkgutil.walk_packages({library}.__path__, '{library}.'):\n"
        "    if '.examples' not in m.name: importlib.import_module(m.name)\n"
        f"bad = sorted(set({sorted(FORBIDDEN)!r}) & set(k.split('.')[0] for k in sys.modules))\n"
        "print(','.join(bad))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


def _imported_names(path: Path) -> set[str]:
    """Every dotted name ``path`` imports, with its parents (``a.b.c``: ``a``, ``a.b``, ``a.b.c``);
    ``from a.b import c`` counts ``a.b.c`` too (``c`` may be a module)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    full: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            full.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            full.add(node.module)
            full.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {".".join(name.split(".")[:i]) for name in full for i in range(1, name.count(".") + 2)}


PODIUM = ROOT / "platform" / "podium"
# (package, what it must not import): pages and API share views through podium.services and
# dependencies through podium.api.deps, never each other's modules; data access and services
# know no HTTP, no pages and no routes.
LAYERS = (
    ("web", {"podium.api.routes", "podium.api.main"}),
    ("api", {"podium.web"}),
    ("crud", {"fastapi", "starlette", "podium.api", "podium.web", "podium.services"}),
    ("services", {"fastapi", "starlette", "podium.api", "podium.web"}),
)


@pytest.mark.parametrize(("package", "forbidden"), LAYERS, ids=[p for p, _ in LAYERS])
def test_platform_layers_import_only_downwards(package: str, forbidden: set[str]) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imported_names(path) & forbidden)
        for path in (PODIUM / package).rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_layer_guard_sees_every_form_of_import(tmp_path: Path) -> None:
    module = tmp_path / "page.py"
    module.write_text(
        "import podium.api.routes.leaderboard as lb\n"
        "from podium.api import routes\n"
        "from podium.api.routes.judging import final_json\n"
        "from . import sibling\n"
    )
    names = _imported_names(module)
    assert {"podium.api.routes", "podium.api.routes.leaderboard", "podium.api"} <= names
    assert "podium.api.routes.judging.final_json" in names
    assert "sibling" not in names
