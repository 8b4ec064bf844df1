"""Guards on the repository's layout that every process started from the root relies on."""

from __future__ import annotations

import ast
import os
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


def _library_graph() -> dict[str, set[str]]:
    """Which other libraries each library imports, anywhere in its modules (examples aside)."""
    return {
        library: {
            name
            for path in (ROOT / library).rglob("*.py")
            if "examples" not in path.parts
            for name in _imported_modules(path)
            if name in LIBRARIES and name != library
        }
        for library in LIBRARIES
    }


def test_libraries_import_each_other_without_a_cycle() -> None:
    graph = _library_graph()
    assert "evaluators" in graph["challenges"]  # the formats and the metric registry
    assert "challenges" not in graph["evaluators"]  # scoring a bundle is challenges.scoring
    for library in LIBRARIES:
        reached: set[str] = set()
        todo = list(graph[library])
        while todo:
            name = todo.pop()
            if name not in reached:
                reached.add(name)
                todo.extend(graph[name])
        assert library not in reached, f"{library} imports itself through {sorted(reached)}"


@pytest.mark.parametrize(("library", "other"), [("evaluators", "challenges")])
def test_a_library_loads_without_the_one_above_it(library: str, other: str) -> None:
    code = (
        f"import sys, {library}, pkgutil, importlib\n"
        f"for m in pkgutil.walk_packages({library}.__path__, '{library}.'):\n"
        "    importlib.import_module(m.name)\n"
        f"print('{other}' in sys.modules)\n"
    )
    assert _fresh(code) == "False"


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
_OUTER = {"podium.api", "podium.web", "podium.worker"}  # answer requests, serve the queue
# (package, what it must not import): pages and API share views through podium.services and
# dependencies through podium.api.deps, never each other's modules; data access and services
# know no HTTP, no pages and no routes; data access knows no services and no pipeline; the
# pipeline sends tasks through podium.broker, never through the worker that serves them.
LAYERS = (
    ("web", {"podium.api.routes", "podium.api.main"}),
    ("api", {"podium.web"}),
    ("crud", {"fastapi", "starlette", *_OUTER, "podium.services", "podium.pipeline"}),
    ("services", {"fastapi", "starlette", "podium.api", "podium.web"}),
    ("pipeline", {"fastapi", "starlette", *_OUTER}),
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


def _fresh(code: str, **env: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **env},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_no_celery_app_is_made_at_import() -> None:
    made = _fresh(
        "import celery\n"
        "made = []\n"
        "init = celery.Celery.__init__\n"
        "def counted(self, *a, **k):\n"
        "    made.append(1)\n"
        "    init(self, *a, **k)\n"
        "celery.Celery.__init__ = counted\n"
        "import podium.broker, podium.worker.celery_app, podium.worker.tasks\n"
        "import podium.worker.queues, podium.worker.alive, podium.pipeline.dispatch, podium.app\n"
        "from podium.settings import get_settings\n"
        "print(len(made), get_settings.cache_info().currsize)\n"
    )
    assert made == "0 0"  # no app, and no settings read either


def test_celery_command_line_finds_the_app_on_first_use(tmp_path: Path) -> None:
    celery = Path(sys.executable).with_name("celery")
    for app in ("podium.worker.celery_app", "podium.worker.celery_app:app"):
        done = subprocess.run(
            [str(celery), "-A", app, "report"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "PODIUM_HOME": str(tmp_path)},
        )
        assert done.returncode == 0, done.stderr
        assert f"broker_url: 'podiumsqla+sqlite:///{tmp_path}/broker.db'" in done.stdout
        assert "include: ['podium.worker.tasks']" in done.stdout


def test_the_error_tree_lives_in_its_own_module_below_every_layer() -> None:
    roots = {
        str(path.relative_to(PODIUM))
        for path in PODIUM.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ClassDef) and node.name == "PodiumError"
    }
    assert roots == {"errors.py"}
    assert not any(n.startswith("podium") for n in _imported_names(PODIUM / "errors.py"))
    store = _imported_names(PODIUM / "store.py")
    assert "podium.errors" in store and "podium.crud" not in store
    for layer in ("crud", "api"):
        users = [p for p in (PODIUM / layer).rglob("*.py") if "podium.errors" in _imported_names(p)]
        assert users, f"podium.{layer} no longer raises or maps the platform's errors"


# What crud left to services: packing downloads (zips), caching ranked boards (locks), computing
# significance (the evaluators' bootstrap on arrays).
NOT_DATA_ACCESS = {"zipfile", "tarfile", "threading", "evaluators", "numpy"}


def test_data_access_packs_caches_and_computes_nothing() -> None:
    moved = ("board_cache", "significance", "downloads", "errors")
    assert [name for name in moved if (PODIUM / "crud" / f"{name}.py").exists()] == []
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imported_modules(path) & NOT_DATA_ACCESS)
        for path in (PODIUM / "crud").rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_podium_check_makes_images_with_the_workers_code_and_no_database() -> None:
    check = _imported_names(PODIUM / "cli" / "check.py")
    assert "podium.pipeline.image_making.make_image" in check
    own_copies = {"sandbox.building", "sandbox.intake", "challenges.modelfile"}
    assert check & own_copies == set()
    making = _imported_names(PODIUM / "pipeline" / "image_making.py")
    database = {"sqlmodel", "sqlalchemy", "podium.db", "podium.crud", "podium.pipeline.context"}
    assert making & database == set()
    images = _imported_names(PODIUM / "pipeline" / "images.py")
    assert "podium.pipeline.image_making.make_image" in images


# The JSON columns read through their typed accessors (podium.db.specs, podium.db.models.reports):
# ``challenge.parsed_spec``, ``phase.leaderboard_rules`` / ``quota`` / ``run_limits``,
# ``evaluation.parsed_report``; never as dictionaries.
RAW_JSON = {"spec", "report", "leaderboard", "limits", "submission_limits"}
DICT_READS = {"get", "items", "keys", "values"}


def _read_of(node: ast.AST) -> ast.AST | None:
    """What ``node`` reads as a dictionary: ``x[...]``, ``x.get(...)`` (and items, keys,
    values), ``x or {}``."""
    if isinstance(node, ast.Subscript):
        return node.value
    if isinstance(node, ast.Attribute) and node.attr in DICT_READS:
        return node.value
    if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
        return node.values[0]
    return None


def _raw_json_reads(path: Path) -> list[str]:
    """``line: code`` of each place ``path`` reads a JSON column as a dictionary."""
    tree = ast.parse(path.read_text(), filename=str(path))
    return [
        f"{node.lineno}: {ast.unparse(node)[:60]}"
        for node in ast.walk(tree)
        if isinstance(raw := _read_of(node), ast.Attribute) and raw.attr in RAW_JSON
    ]


def test_stored_specs_and_reports_are_read_typed() -> None:
    readers = [p for p in PODIUM.rglob("*.py") if "db" not in p.relative_to(PODIUM).parts]
    found = {str(p.relative_to(ROOT)): _raw_json_reads(p) for p in readers}
    assert {path: lines for path, lines in found.items() if lines} == {}


def test_the_raw_json_guard_sees_the_old_forms(tmp_path: Path) -> None:
    module = tmp_path / "old.py"
    module.write_text(
        "a = challenge.spec.get('metrics', {})\n"
        "b = phase.leaderboard or {}\n"
        "c = evaluation.report['outcome']\n"
        "d = phase.limits.items()\n"
        "e = bundle.spec.task.labels\n"
    )
    assert sorted(line.split(":")[0] for line in _raw_json_reads(module)) == ["1", "2", "3", "4"]
