"""Data builders: 3GPP formulas, PNG files, determinism, idempotence, no labels in inputs."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from challenges.datagen import tr38901
from challenges.datagen.png import decode_png, encode_png
from challenges.datagen.stamp import STAMP_FILE
from challenges.examples import SLUGS, _builder, build_example, example_paths
from challenges.paths import sha256_path

# Hand computations (log10 values to 6 decimals, c = 3e8 m/s, h_E = 1 m):
# 1 UMa LOS, f=3.5 GHz, h_BS=25, h_UT=1.5, d2D=100: d3D = sqrt(100^2 + 23.5^2) = 102.7242;
#   d'BP = 4*24*0.5*3.5e9/3e8 = 560 m > d2D, so PL1 = 28 + 22*2.011673 + 20*0.544068
#   = 28 + 44.2568 + 10.8814 = 83.138 dB.
# 2 Same at d2D=1000 (beyond d'BP): d3D = 1000.2761 (log 3.000120);
#   PL2 = 28 + 40*3.000120 + 10.8814 - 9*log10(560^2 + 23.5^2 = 314152.25 -> 5.497140)
#   = 28 + 120.0048 + 10.8814 - 49.4743 = 109.412 dB.
# 3 UMa NLOS there: PL' = 13.54 + 39.08*3.000120 + 10.8814 - 0.6*(1.5-1.5) = 141.666 dB,
#   max(109.412, 141.666) = 141.666 dB.
# 4 UMi LOS, f=28 GHz, h_BS=10, h_UT=1.5, d2D=50: d3D = sqrt(2500 + 8.5^2) = 50.7168 (log
#   1.705152); d'BP = 4*9*0.5*28e9/3e8 = 1680 m; PL1 = 32.4 + 21*1.705152 + 20*1.447158
#   = 32.4 + 35.8082 + 28.9432 = 97.151 dB.
# 5 UMi NLOS there: PL' = 35.3*1.705152 + 22.4 + 21.3*1.447158 = 60.1919 + 22.4 + 30.8245
#   = 113.416 dB, above LOS, so 113.416 dB.
# 6 UMi LOS, f=3.5 GHz, d2D=2000: d'BP = 4*9*0.5*3.5e9/3e8 = 210 m; d3D = 2000.0181 (log
#   3.301034); PL2 = 32.4 + 132.0414 + 10.8814 - 9.5*log10(210^2 + 8.5^2 = 44172.25 -> 4.645151)
#   = 32.4 + 132.0414 + 10.8814 - 44.1289 = 131.194 dB.
# 7 Pr_LOS UMi at 100 m: 18/100 + exp(-100/36)*(1 - 0.18) = 0.18 + 0.062176*0.82 = 0.2310.
HAND_VALUES = [
    (tr38901.uma_los, 100.0, 1.5, 3.5, 83.138),
    (tr38901.uma_los, 1000.0, 1.5, 3.5, 109.412),
    (tr38901.uma_nlos, 1000.0, 1.5, 3.5, 141.666),
    (tr38901.umi_los, 50.0, 1.5, 28.0, 97.151),
    (tr38901.umi_nlos, 50.0, 1.5, 28.0, 113.416),
    (tr38901.umi_los, 2000.0, 1.5, 3.5, 131.194),
]


@pytest.mark.parametrize(("formula", "d_2d", "h_ut", "fc", "expected"), HAND_VALUES)
def test_3gpp_path_loss_matches_hand_computation(formula, d_2d, h_ut, fc, expected) -> None:
    assert float(formula(d_2d, h_ut, fc)) == pytest.approx(expected, abs=2e-3)


def test_3gpp_breakpoint_and_los_probability() -> None:
    assert float(tr38901.breakpoint_distance(25.0, 1.5, 3.5)) == pytest.approx(560.0)
    assert float(tr38901.breakpoint_distance(10.0, 1.5, 28.0)) == pytest.approx(1680.0)
    assert float(tr38901.los_probability("UMi", 100.0)) == pytest.approx(0.2310, abs=1e-4)
    assert float(tr38901.los_probability("UMa", 10.0)) == 1.0
    assert tr38901.SHADOW_FADING_DB[("UMi", False)] == 7.82


def test_nlos_is_never_below_los() -> None:
    d = np.geomspace(10, 5000, 200)
    assert np.all(tr38901.uma_nlos(d, 1.5, 3.5) >= tr38901.uma_los(d, 1.5, 3.5))
    assert np.all(tr38901.umi_nlos(d, 1.5, 3.5) >= tr38901.umi_los(d, 1.5, 3.5))


def test_png_round_trip_and_determinism() -> None:
    pixels = np.arange(64, dtype=np.uint8).reshape(8, 8) * 4
    data = encode_png(pixels)
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert encode_png(pixels) == data
    assert np.array_equal(decode_png(data), pixels)
    with pytest.raises(ValueError, match="2-D uint8"):
        encode_png(pixels.astype(np.float32))


@pytest.mark.parametrize("slug", SLUGS)
def test_builders_are_deterministic(
    built_examples: dict[str, Path], tmp_path: Path, slug: str
) -> None:
    _builder(example_paths()[slug]).write_data(tmp_path)
    stamp = json.loads((built_examples[slug] / "data" / STAMP_FILE).read_text())
    assert {part: sha256_path(tmp_path / part) for part in ("public", "hidden")} == stamp["parts"]


def test_build_is_idempotent_and_repairs_tampering(tmp_path: Path) -> None:
    root = build_example("breast-cancer-diagnosis", tmp_path)
    builder = _builder(example_paths()["breast-cancer-diagnosis"])
    assert builder.build(root) is False
    labels = root / "data/hidden/test/labels.csv"
    original = labels.read_bytes()
    labels.write_text("id,diagnosis\n1,benign\n")
    assert builder.build(root) is True
    assert labels.read_bytes() == original
    assert (root / "baseline/train.csv").read_bytes() == (
        root / "data/public/train.csv"
    ).read_bytes()


def _header(path: Path) -> list[str]:
    with path.open(newline="") as handle:
        return next(csv.reader(handle))


@pytest.mark.parametrize(
    ("slug", "inputs", "label"),
    [
        ("breast-cancer-diagnosis", ["test.csv"], "diagnosis"),
        ("digits-vision", ["ids.csv"], "label"),
        ("radio-path-loss", ["test.csv"], "path_loss_db"),
    ],
)
def test_hidden_inputs_hold_no_labels(
    built_examples: dict[str, Path], slug: str, inputs: list[str], label: str
) -> None:
    hidden = built_examples[slug] / "data/hidden/test"
    for name in inputs:
        header = _header(hidden / "inputs" / name)
        assert "id" in header and label not in header
    assert _header(hidden / "labels.csv")[-1] == label
    assert not any(p.name == "labels.csv" for p in (hidden / "inputs").rglob("*"))


def test_split_sizes_and_disjoint_ids(built_examples: dict[str, Path]) -> None:
    root = built_examples["radio-path-loss"] / "data"
    train = {row[0] for row in csv.reader((root / "public/train.csv").open())} - {"id"}
    test = {row[0] for row in csv.reader((root / "hidden/test/labels.csv").open())} - {"id"}
    assert (len(train), len(test)) == (14_000, 6_000)
    assert not train & test
