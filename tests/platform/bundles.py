"""A small valid challenge bundle built in the test, and archives of it."""

from __future__ import annotations

import zipfile
from pathlib import Path

SPEC = """\
version: 1
slug: {slug}
title: Tiny regression
summary: Predict y from x.
description: README.md
organisers:
  - name: Test organisers
tags: [tabular, regression]
terms: Be kind.
task:
  description: One CSV of rows; predict y for each.
  inputs:
    - path: test.csv
      kind: file
  predictions:
    file: predictions.csv
    id_column: id
    kind: value
    columns:
      - {{name: y, type: float}}
  labels:
    file: labels.csv
    id_column: id
    columns:
      - {{name: y, type: float}}
metrics:
  primary: rmse
  secondary: [mae]
phases:
  - name: development
    start: 2020-01-01T00:00:00Z
    end: 2099-01-01T00:00:00Z
    data: test
    public_fraction: 0.5
    submission_kinds: [image, build]
    submissions: {{per_day: 3, total: 10, in_flight: 1}}
    limits: {{wall_seconds: 60, memory_mb: 256, cpus: 1}}
teams:
  max_size: {max_size}
data:
  public:
    - name: train
      path: data/public/train.csv
      description: labelled rows
    - name: starting-kit
      path: starting_kit
  hidden:
    test:
      inputs: data/hidden/inputs
      labels: data/hidden/labels.csv
"""

HIDDEN_LABELS = "id,y\n1,0.5\n2,1.5\n"


def write_bundle(root: Path, *, slug: str = "tiny", max_size: int = 2) -> Path:
    """Write a valid bundle folder at ``root`` and return it."""
    files = {
        "challenge.yaml": SPEC.format(slug=slug, max_size=max_size),
        "README.md": "# Tiny\n\nPredict **y**.\n",
        "data/public/train.csv": "id,x,y\n1,0.1,0.2\n2,0.3,0.4\n",
        "data/hidden/inputs/test.csv": "id,x\n1,0.5\n2,0.7\n",
        "data/hidden/labels.csv": HIDDEN_LABELS,
        "starting_kit/predict.py": "print('hello')\n",
        "starting_kit/README.md": "Run predict.py\n",
    }
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def zip_folder(folder: Path, dest: Path) -> Path:
    """Zip ``folder``'s contents (paths relative to it) into ``dest``."""
    with zipfile.ZipFile(dest, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return dest


def bundle_zip(tmp: Path, *, slug: str = "tiny", max_size: int = 2) -> Path:
    """A zip of a fresh valid bundle under ``tmp``."""
    folder = write_bundle(tmp / f"src-{slug}", slug=slug, max_size=max_size)
    return zip_folder(folder, tmp / f"{slug}.zip")
