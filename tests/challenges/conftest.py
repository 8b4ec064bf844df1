"""Shared fixtures: a writable copy of a built example (built once a session: tests/conftest.py)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml


@pytest.fixture
def bundle(built_examples: dict[str, Path], tmp_path: Path) -> Path:
    """A private, writable copy of the built breast-cancer bundle."""
    target = tmp_path / "bundle"
    shutil.copytree(built_examples["breast-cancer-diagnosis"], target)
    return target


def read_spec(root: Path) -> dict[str, Any]:
    return yaml.safe_load((root / "challenge.yaml").read_text())


def write_spec(root: Path, data: dict[str, Any]) -> None:
    (root / "challenge.yaml").write_text(yaml.safe_dump(data, sort_keys=False))


@pytest.fixture
def edit(bundle: Path) -> Callable[[Callable[[dict[str, Any]], None]], Path]:
    """Apply a change to the copy's challenge.yaml and return the bundle folder."""

    def apply(change: Callable[[dict[str, Any]], None]) -> Path:
        data = read_spec(bundle)
        change(data)
        write_spec(bundle, data)
        return bundle

    return apply
