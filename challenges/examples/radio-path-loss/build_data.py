"""Build the radio-path-loss data from the 3GPP TR 38.901 UMa / UMi-Street Canyon models.

Run ``python challenges/examples/radio-path-loss/build_data.py [--force]`` or call
``challenges.examples.build_example("radio-path-loss")``. Each link draws a scenario, a carrier
frequency, a UE height (1.5-13 m, so h_E = 1 m), a 2-D distance (log-uniform), line of sight from
the standard's LOS probability, and log-normal shadow fading with the standard's sigma_SF. The
path loss is computed from the rounded features, so the formulas apply exactly to what
participants see. ``building_density`` is an environment descriptor, mildly informative about LOS.

Writes ``data/public/train.csv`` (with ``path_loss_db``), ``data/hidden/test/inputs/test.csv``
(without), ``data/hidden/test/labels.csv``, and copies ``train.csv`` into ``baseline/``.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from challenges.datagen import tr38901
from challenges.datagen.stamp import build_once, write_csv

SEED = 38901
VERSION = "1"
LINKS = 20_000
TEST_FRACTION = 0.3
BANDS_GHZ = (0.7, 2.1, 3.5, 4.9, 6.0, 28.0)
MAX_DISTANCE_M = {"UMa": 2000.0, "UMi": 1000.0}
FEATURES = [
    "scenario",
    "frequency_ghz",
    "distance_2d_m",
    "distance_3d_m",
    "bs_height_m",
    "ue_height_m",
    "los",
    "building_density",
]


def make_links(rng: np.random.Generator, n: int = LINKS) -> pd.DataFrame:
    """``n`` links with their features and their path loss ``path_loss_db``."""
    scenario = np.where(rng.random(n) < 0.5, "UMa", "UMi")
    fc = rng.choice(BANDS_GHZ, size=n)
    h_ut = np.round(rng.uniform(1.5, 13.0, size=n), 1)
    top = np.where(scenario == "UMa", MAX_DISTANCE_M["UMa"], MAX_DISTANCE_M["UMi"])
    d_2d = np.round(np.exp(rng.uniform(np.log(10.0), np.log(top))), 1)
    h_bs = np.where(scenario == "UMa", tr38901.BS_HEIGHT["UMa"], tr38901.BS_HEIGHT["UMi"])
    p_los = np.where(
        scenario == "UMa",
        tr38901.los_probability("UMa", d_2d),
        tr38901.los_probability("UMi", d_2d),
    )
    los = rng.random(n) < p_los
    density = np.clip(
        np.where(scenario == "UMa", 0.35, 0.55) - 0.1 * los + rng.normal(0.0, 0.1, n), 0.0, 1.0
    )
    median = np.where(
        scenario == "UMa",
        tr38901.path_loss("UMa", los, d_2d, h_ut, fc),
        tr38901.path_loss("UMi", los, d_2d, h_ut, fc),
    )
    sigma = np.array(
        [tr38901.SHADOW_FADING_DB[(s, bool(v))] for s, v in zip(scenario, los, strict=True)]
    )
    frame = pd.DataFrame(
        {
            "scenario": scenario,
            "frequency_ghz": fc,
            "distance_2d_m": d_2d,
            "distance_3d_m": np.round(tr38901.distance_3d(d_2d, h_bs, h_ut), 2),
            "bs_height_m": h_bs,
            "ue_height_m": h_ut,
            "los": los.astype(int),
            "building_density": np.round(density, 3),
            "path_loss_db": np.round(median + sigma * rng.standard_normal(n), 2),
        }
    )
    frame.insert(0, "id", [f"L{i:05d}" for i in rng.permutation(n)])
    return frame


def write_data(data: Path) -> None:
    """Write ``public/`` and ``hidden/`` under ``data``."""
    links = make_links(np.random.default_rng(SEED))
    n_test = int(len(links) * TEST_FRACTION)
    test, train = links.iloc[:n_test], links.iloc[n_test:]
    train, test = train.sort_values("id"), test.sort_values("id")
    write_csv(train, data / "public" / "train.csv")
    write_csv(test[["id", *FEATURES]], data / "hidden" / "test" / "inputs" / "test.csv")
    write_csv(test[["id", "path_loss_db"]], data / "hidden" / "test" / "labels.csv")


def build(bundle_dir: Path, force: bool = False) -> bool:
    """Build the data under ``bundle_dir/data``; return False when it was already current."""
    data = bundle_dir / "data"
    built = build_once(data, VERSION, write_data, force=force)
    shutil.copyfile(data / "public" / "train.csv", bundle_dir / "baseline" / "train.csv")
    return built


if __name__ == "__main__":
    build(Path(__file__).resolve().parent, force="--force" in sys.argv)
