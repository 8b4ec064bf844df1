"""A minimal model with the standard library only: a threshold on the mean radius.

Reads $PODIUM_INPUT/test.csv (default /input) and writes $PODIUM_OUTPUT/predictions.csv
(default /output) with columns id,benign,malignant (probabilities summing to 1).
"""

import csv
import math
import os
from pathlib import Path

THRESHOLD = 15.0  # mm; larger tumours are more often malignant
SCALE = 1.5


def main() -> None:
    source = Path(os.environ.get("PODIUM_INPUT", "/input"))
    target = Path(os.environ.get("PODIUM_OUTPUT", "/output"))
    with (source / "test.csv").open(newline="") as handle, (target / "predictions.csv").open(
        "w", newline=""
    ) as out:
        writer = csv.writer(out)
        writer.writerow(["id", "benign", "malignant"])
        for row in csv.DictReader(handle):
            malignant = 1.0 / (1.0 + math.exp(-(float(row["mean_radius"]) - THRESHOLD) / SCALE))
            writer.writerow([row["id"], f"{1 - malignant:.6f}", f"{malignant:.6f}"])


if __name__ == "__main__":
    main()
