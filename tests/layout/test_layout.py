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
