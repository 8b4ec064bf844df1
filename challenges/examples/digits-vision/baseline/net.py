"""The baseline CNN and the image loading shared by train.py and predict.py."""

import csv
from pathlib import Path

import numpy as np
import torch
from pngio import read_png
from torch import nn


def make_net() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(8, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 4 * 4, 32),
        nn.ReLU(),
        nn.Linear(32, 10),
    )


def read_ids(path: Path, column: str = "id") -> list[str]:
    with path.open(newline="") as handle:
        return [row[column] for row in csv.DictReader(handle)]


def load_images(folder: Path, ids: list[str]) -> torch.Tensor:
    """[N, 1, 8, 8] float tensor in [0, 1] from folder/<id>.png."""
    stack = np.stack([read_png(folder / f"{i}.png") for i in ids]).astype(np.float32) / 255.0
    return torch.from_numpy(stack).unsqueeze(1)
