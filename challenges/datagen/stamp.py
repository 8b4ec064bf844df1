"""Idempotent data builds: a stamp file records what was built and the hash of each part.

A builder calls :func:`build_once` with its version and its writer: the work is skipped when the
stamp's builder version and every recorded part's hash still match what is on disk. A
half-written build has no stamp, so it is rebuilt from scratch.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from challenges.paths import sha256_path

STAMP_FILE = ".build.json"
PARTS = ["public", "hidden"]


def build_once(
    data_dir: Path, version: str, write_data: Callable[[Path], None], *, force: bool = False
) -> bool:
    """Run ``write_data(data_dir)`` into a fresh folder unless a current build is there.

    Returns:
        True when it built, False when the existing build was current.
    """
    if not force and is_current(data_dir, version):
        return False
    fresh_dir(data_dir)
    write_data(data_dir)
    write_stamp(data_dir, version, PARTS)
    return True


def is_current(data_dir: Path, version: str) -> bool:
    """Whether ``data_dir`` holds a complete build of ``version`` whose hashes still match."""
    stamp = data_dir / STAMP_FILE
    if not stamp.is_file():
        return False
    try:
        recorded = json.loads(stamp.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    parts = recorded.get("parts", {})
    if recorded.get("version") != version or not parts:
        return False
    return all(
        (data_dir / part).exists() and sha256_path(data_dir / part) == digest
        for part, digest in parts.items()
    )


def fresh_dir(data_dir: Path) -> None:
    """Empty ``data_dir`` (creating it) before a rebuild."""
    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)


def write_stamp(data_dir: Path, version: str, parts: list[str]) -> dict[str, str]:
    """Hash ``parts`` (paths relative to ``data_dir``) and record them with ``version``."""
    hashes = {part: sha256_path(data_dir / part) for part in parts}
    payload = {"version": version, "parts": hashes}
    (data_dir / STAMP_FILE).write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return hashes


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write a CSV with stable formatting (no index, ``\\n`` line ends, 6 significant decimals)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, lineterminator="\n", float_format="%.6g")
