"""Build the digits-vision data: scikit-learn's 8x8 digits as PNG files; seeded, idempotent.

Run ``python challenges/examples/digits-vision/build_data.py [--force]`` or call
``challenges.examples.build_example("digits-vision")``. Writes, under ``data/``:

- ``public/train/images/<id>.png`` and ``public/train/labels.csv`` (id,label), 70 %, stratified;
- ``hidden/test/inputs/images/<id>.png`` and ``hidden/test/inputs/ids.csv`` (mounted at /input);
- ``hidden/test/labels.csv`` (id,label; read by the scorer only);
- ``models/model.pt``: the TorchScript baseline made by ``baseline_model/make_model.py`` with the
  host's torch (not part of the data hash: TorchScript archives are not byte-reproducible);

and copies ``public/train/`` to ``baseline/train/`` (git-ignored), the baseline's build context.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from challenges.datagen.png import write_png
from challenges.datagen.stamp import build_once, write_csv

SEED = 1797
VERSION = "1"
TEST_FRACTION = 0.3
HERE = Path(__file__).resolve().parent


def write_split(frame: pd.DataFrame, images: np.ndarray, folder: Path) -> None:
    """PNG per row of ``frame`` (id, label) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for row_id, index in zip(frame["id"], frame.index, strict=True):
        write_png(folder / f"{row_id}.png", images[index])


def write_data(data: Path) -> None:
    """Write ``public/`` and ``hidden/`` under ``data``."""
    digits = load_digits()
    # 0..16 intensities scaled to the 0..255 of an 8-bit image.
    images = np.rint(digits.images * (255.0 / 16.0)).astype(np.uint8)
    ids = np.random.default_rng(SEED).permutation(len(images)) + 1
    frame = pd.DataFrame({"id": ids, "label": digits.target})
    train, test = train_test_split(
        frame, test_size=TEST_FRACTION, stratify=frame["label"], random_state=SEED
    )
    train, test = train.sort_values("id"), test.sort_values("id")
    write_split(train, images, data / "public" / "train" / "images")
    write_csv(train, data / "public" / "train" / "labels.csv")
    write_split(test, images, data / "hidden" / "test" / "inputs" / "images")
    write_csv(test[["id"]], data / "hidden" / "test" / "inputs" / "ids.csv")
    write_csv(test, data / "hidden" / "test" / "labels.csv")


def build(bundle_dir: Path, force: bool = False) -> bool:
    """Build the data under ``bundle_dir/data``; return False when it was already current."""
    data = bundle_dir / "data"
    built = build_once(data, VERSION, write_data, force=force)
    context = bundle_dir / "baseline" / "train"
    if context.exists():
        shutil.rmtree(context)
    shutil.copytree(data / "public" / "train", context)
    model = data / "models" / "model.pt"
    if force or built or not model.is_file():
        _make_model(data / "public" / "train", model)
    return built


def _make_model(train: Path, out: Path) -> None:
    spec = importlib.util.spec_from_file_location(
        "_podium_digits_make_model", HERE / "baseline_model" / "make_model.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.make_model(train, out)


if __name__ == "__main__":
    build(HERE, force="--force" in sys.argv)
