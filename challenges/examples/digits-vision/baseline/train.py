"""Train the baseline CNN at image build time on train/ (a few seconds on 2 CPUs)."""

import argparse
import csv
from pathlib import Path

import torch
from net import load_images, make_net
from torch import nn


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--train", default="train")
    parser.add_argument("--model", default="model.pt")
    parser.add_argument("--epochs", type=int, default=8)
    args = parser.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(2)
    train = Path(args.train)
    with (train / "labels.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    x = load_images(train / "images", [r["id"] for r in rows])
    y = torch.tensor([int(r["label"]) for r in rows])
    net = make_net()
    optimiser = torch.optim.Adam(net.parameters(), lr=5e-3)
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(args.epochs):
        order = torch.randperm(len(x))
        for start in range(0, len(x), 64):
            batch = order[start : start + 64]
            optimiser.zero_grad()
            loss_fn(net(x[batch]), y[batch]).backward()
            optimiser.step()
    torch.save(net.state_dict(), args.model)


if __name__ == "__main__":
    main()
