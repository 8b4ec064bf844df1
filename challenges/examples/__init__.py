"""The example challenges, and the explicit step that builds their data.

Each example lives in ``challenges/examples/<slug>/`` with its ``challenge.yaml``, problem
statement, starting kit, baseline and a seeded ``build_data.py``. Data is never committed: it is
generated into ``<slug>/data/`` (git-ignored), and the bundle validates only after that step.
Nothing here runs implicitly when a bundle is loaded.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from types import ModuleType

from challenges.errors import DataBuildError

EXAMPLES_DIR = Path(__file__).resolve().parent
SLUGS = ("breast-cancer-diagnosis", "digits-vision", "radio-path-loss")
_COPY_IGNORE = shutil.ignore_patterns("data", "__pycache__", "*.pyc", "build")


def example_paths() -> dict[str, Path]:
    """Bundle folder of each example, by slug (in the source tree)."""
    return {slug: EXAMPLES_DIR / slug for slug in SLUGS}


def _builder(source: Path) -> ModuleType:
    script = source / "build_data.py"
    name = f"_podium_example_{source.name.replace('-', '_')}"
    spec = importlib.util.spec_from_file_location(name, script)
    if spec is None or spec.loader is None:
        raise DataBuildError(f"cannot load the data builder {script}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_example(slug: str, dest_root: Path | None = None, force: bool = False) -> Path:
    """Build one example's data, in place or in a copy of the example under ``dest_root``.

    Args:
        slug: One of :data:`SLUGS`.
        dest_root: When given, the example's files (without data) are copied to
            ``dest_root/<slug>`` and the data is built there; the source tree is not touched.
        force: Rebuild even if the data on disk is complete and its hashes match.

    Returns:
        The bundle folder holding the built data.

    Raises:
        DataBuildError: Unknown slug, or the builder failed.
    """
    if slug not in SLUGS:
        raise DataBuildError(f"unknown example {slug!r}; examples: {', '.join(SLUGS)}")
    source = EXAMPLES_DIR / slug
    target = source if dest_root is None else Path(dest_root) / slug
    if target != source:
        shutil.copytree(source, target, ignore=_COPY_IGNORE, dirs_exist_ok=True)
    try:
        _builder(source).build(target, force=force)
    except DataBuildError:
        raise
    except Exception as exc:  # a builder bug is an operator fault: say which example
        raise DataBuildError(f"building data for {slug} failed: {exc}") from exc
    return target


def build_all(dest_root: Path | None = None, force: bool = False) -> dict[str, Path]:
    """Build every example's data (idempotent: skipped when already built and unchanged)."""
    return {slug: build_example(slug, dest_root, force) for slug in SLUGS}
