"""A minimal model with the standard library only: free-space path loss.

FSPL(dB) = 20 log10(d_3D / m) + 20 log10(f_c / GHz) + 32.45. Reads $PODIUM_INPUT/test.csv
(default /input) and writes $PODIUM_OUTPUT/predictions.csv (default /output): id,path_loss_db.
"""

import csv
import math
import os
from pathlib import Path


def main() -> None:
    source = Path(os.environ.get("PODIUM_INPUT", "/input"))
    target = Path(os.environ.get("PODIUM_OUTPUT", "/output"))
    with (source / "test.csv").open(newline="") as handle, (target / "predictions.csv").open(
        "w", newline=""
    ) as out:
        writer = csv.writer(out)
        writer.writerow(["id", "path_loss_db"])
        for row in csv.DictReader(handle):
            d3 = float(row["distance_3d_m"])
            fc = float(row["frequency_ghz"])
            writer.writerow([row["id"], f"{20 * math.log10(d3) + 20 * math.log10(fc) + 32.45:.3f}"])


if __name__ == "__main__":
    main()
