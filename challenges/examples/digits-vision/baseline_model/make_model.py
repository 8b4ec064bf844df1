"""Make the TorchScript baseline for the "model file" submission kind.

The platform wraps ``model.pt`` with ``challenges/runners/torchscript_runner.py`` in
``podium/runtime-torch:3.11``: the model gets a float tensor [N, 1, 8, 8] in [0, 1] and returns
logits [N, 10]. Run by build_data.py with the host's torch; also runnable on its own:
``python make_model.py TRAIN_DIR OUT.pt``.
"""

import csv
import sys
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "baseline"))
from pngio import read_png  # noqa: E402


def load_train(train: Path) -> tuple[torch.Tensor, torch.Tensor]:
    with (train / "labels.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    images = np.stack([read_png(train / "images" / f"{r['id']}.png") for r in rows])
    x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)
    return x, torch.tensor([int(r["label"]) for r in rows])


def make_model(train: Path, out: Path, epochs: int = 150) -> Path:
    """Train a small MLP full-batch (seeded, a few seconds) and save it as TorchScript."""
    torch.manual_seed(0)
    x, y = load_train(train)
    net = nn.Sequential(nn.Flatten(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    optimiser = torch.optim.Adam(net.parameters(), lr=1e-2)
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(epochs):
        optimiser.zero_grad()
        loss_fn(net(x), y).backward()
        optimiser.step()
    net.eval()
    out.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        # torch 2.13 marks TorchScript deprecated; it is still the model-file format we accept.
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.jit.save(torch.jit.script(net), str(out))
    return out


if __name__ == "__main__":
    make_model(Path(sys.argv[1]), Path(sys.argv[2]))
