"""Label every image listed in $PODIUM_INPUT/ids.csv; write $PODIUM_OUTPUT/predictions.csv."""

import argparse
import csv
import os
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from net import load_images, make_net, read_ids  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=str(Path(__file__).with_name("model.pt")))
    args = parser.parse_args()
    source = Path(os.environ.get("PODIUM_INPUT", "/input"))
    target = Path(os.environ.get("PODIUM_OUTPUT", "/output"))
    torch.set_num_threads(1)
    net = make_net()
    net.load_state_dict(torch.load(args.model, map_location="cpu", weights_only=True))
    net.eval()
    ids = read_ids(source / "ids.csv")
    with torch.no_grad():
        labels = net(load_images(source / "images", ids)).argmax(dim=1).tolist()
    with (target / "predictions.csv").open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["id", "label"])
        writer.writerows(zip(ids, labels, strict=True))


if __name__ == "__main__":
    main()
