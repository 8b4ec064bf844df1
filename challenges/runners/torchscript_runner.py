"""Generic runner for TorchScript model files, for the digits-vision input layout.

The platform copies this one file next to the participant's ``model.pt`` into
``podium/runtime-torch:3.11`` and runs ``python torchscript_runner.py --model model.pt``. It reads
``$PODIUM_INPUT/ids.csv`` and ``$PODIUM_INPUT/images/<id>.png`` (8-bit greyscale 8x8), calls the
model on a float tensor [N, 1, 8, 8] in [0, 1] (batches of 256), expects logits [N, 10], and
writes ``$PODIUM_OUTPUT/predictions.csv`` with ``id,label`` (the arg-max class). It is standalone
(standard library, numpy and torch only) because it runs inside the sandbox.
"""

from __future__ import annotations

import argparse
import csv
import os
import struct
import sys
import warnings
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

BATCH = 256
CLASSES = 10


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def read_png(path: Path) -> np.ndarray:
    """An 8-bit greyscale, non-interlaced PNG as a 2-D uint8 array."""
    data = path.read_bytes()
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise ValueError(f"{path.name} is not a PNG file")
    pos, idat, width, height = 8, b"", 0, 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, payload = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", payload)
            if (depth, colour, interlace) != (8, 0, 0):
                raise ValueError(f"{path.name}: only 8-bit greyscale PNGs are supported")
        elif kind == b"IDAT":
            idat += payload
        elif kind == b"IEND":
            break
    raw = zlib.decompress(idat)
    previous, rows = bytearray(width), []
    for row in range(height):
        start = row * (width + 1)
        line_filter, line = raw[start], bytearray(raw[start + 1 : start + 1 + width])
        for i in range(width if line_filter else 0):
            left = line[i - 1] if i else 0
            up, corner = previous[i], (previous[i - 1] if i else 0)
            add = (0, left, up, (left + up) // 2, _paeth(left, up, corner))[line_filter]
            line[i] = (line[i] + add) & 0xFF
        rows.append(bytes(line))
        previous = line
    return np.frombuffer(b"".join(rows), dtype=np.uint8).reshape(height, width)


def load_batch(folder: Path, ids: list[str]) -> torch.Tensor:
    """[N, 1, 8, 8] float32 in [0, 1]."""
    stack = np.stack([read_png(folder / f"{i}.png") for i in ids]).astype(np.float32) / 255.0
    return torch.from_numpy(stack).unsqueeze(1)


def predict(model: torch.jit.ScriptModule, source: Path) -> tuple[list[str], list[int]]:
    with (source / "ids.csv").open(newline="") as handle:
        ids = [row["id"] for row in csv.DictReader(handle)]
    labels: list[int] = []
    with torch.no_grad():
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            logits = model(load_batch(source / "images", chunk))
            if not isinstance(logits, torch.Tensor) or tuple(logits.shape) != (len(chunk), CLASSES):
                shape = tuple(logits.shape) if isinstance(logits, torch.Tensor) else type(logits)
                raise ValueError(f"the model must return logits [N, {CLASSES}]; got {shape}")
            labels.extend(int(v) for v in logits.argmax(dim=1).tolist())
    return ids, labels


# torch.jit.load has no annotations: name what it returns, once
_load_script: Callable[..., torch.jit.ScriptModule] = torch.jit.load


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--model", default="/app/model.pt")
    args = parser.parse_args(argv)
    source = Path(os.environ.get("PODIUM_INPUT", "/input"))
    target = Path(os.environ.get("PODIUM_OUTPUT", "/output"))
    torch.set_num_threads(max(1, len(os.sched_getaffinity(0))))
    warnings.filterwarnings("ignore", category=DeprecationWarning)  # torch.jit in torch 2.13
    try:
        model = _load_script(args.model, map_location="cpu")
    except (RuntimeError, ValueError, OSError) as exc:
        print(f"cannot load {args.model} as TorchScript: {exc}", file=sys.stderr)
        return 2
    model.eval()
    ids, labels = predict(model, source)
    with (target / "predictions.csv").open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["id", "label"])
        writer.writerows(zip(ids, labels, strict=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
