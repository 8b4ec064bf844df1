"""Path loss and LOS probability of 3GPP TR 38.901 (v17), Tables 7.4.1-1 and 7.4.2-1.

Units: distances and heights in metres, carrier frequency ``fc_ghz`` in GHz, path loss in dB.
Only UMa and UMi-Street Canyon are implemented, for UE heights up to 13 m, where the effective
environment height ``h_E`` is 1 m with probability 1 (``C(d_2D, h_UT) = 0`` for ``h_UT <= 13``).
Every function is vectorised over numpy arrays.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

SPEED_OF_LIGHT = 3.0e8  # m/s, the value TR 38.901 uses in d'_BP
H_E = 1.0  # effective environment height (m) for UMa (h_UT <= 13 m) and UMi
BS_HEIGHT = {"UMa": 25.0, "UMi": 10.0}
# Shadow fading standard deviation sigma_SF (dB) per (scenario, line of sight).
SHADOW_FADING_DB = {
    ("UMa", True): 4.0,
    ("UMa", False): 6.0,
    ("UMi", True): 4.0,
    ("UMi", False): 7.82,
}

Array = npt.ArrayLike


def distance_3d(d_2d: Array, h_bs: Array, h_ut: Array) -> np.ndarray:
    """d_3D = sqrt(d_2D^2 + (h_BS - h_UT)^2)."""
    return np.asarray(np.sqrt(np.square(d_2d) + np.square(np.asarray(h_bs) - np.asarray(h_ut))))


def breakpoint_distance(h_bs: Array, h_ut: Array, fc_ghz: Array) -> np.ndarray:
    """d'_BP = 4 h'_BS h'_UT f_c / c with h' = h - h_E and f_c in Hz."""
    return np.asarray(
        4.0
        * (np.asarray(h_bs) - H_E)
        * (np.asarray(h_ut) - H_E)
        * np.asarray(fc_ghz)
        * 1e9
        / (SPEED_OF_LIGHT)
    )


def _los(
    d_2d: Array,
    h_bs: Array,
    h_ut: Array,
    fc_ghz: Array,
    pl1_const: float,
    pl1_slope: float,
    bp_coef: float,
) -> np.ndarray:
    d3 = distance_3d(d_2d, h_bs, h_ut)
    d_bp = breakpoint_distance(h_bs, h_ut, fc_ghz)
    freq = 20.0 * np.log10(fc_ghz)
    pl1 = pl1_const + pl1_slope * np.log10(d3) + freq
    pl2 = (
        pl1_const
        + 40.0 * np.log10(d3)
        + freq
        - bp_coef * np.log10(np.square(d_bp) + np.square(np.asarray(h_bs) - np.asarray(h_ut)))
    )
    return np.asarray(np.where(np.asarray(d_2d) <= d_bp, pl1, pl2))


def uma_los(d_2d: Array, h_ut: Array, fc_ghz: Array, h_bs: Array = 25.0) -> np.ndarray:
    """PL_UMa-LOS: PL1 = 28 + 22 log10(d_3D) + 20 log10(f_c) up to d'_BP, then
    PL2 = 28 + 40 log10(d_3D) + 20 log10(f_c) - 9 log10(d'_BP^2 + (h_BS - h_UT)^2)."""
    return _los(d_2d, h_bs, h_ut, fc_ghz, 28.0, 22.0, 9.0)


def uma_nlos(d_2d: Array, h_ut: Array, fc_ghz: Array, h_bs: Array = 25.0) -> np.ndarray:
    """PL_UMa-NLOS = max(PL_UMa-LOS, PL'_UMa-NLOS) with
    PL'_UMa-NLOS = 13.54 + 39.08 log10(d_3D) + 20 log10(f_c) - 0.6 (h_UT - 1.5)."""
    d3 = distance_3d(d_2d, h_bs, h_ut)
    nlos = 13.54 + 39.08 * np.log10(d3) + 20.0 * np.log10(fc_ghz) - 0.6 * (np.asarray(h_ut) - 1.5)
    return np.asarray(np.maximum(uma_los(d_2d, h_ut, fc_ghz, h_bs), nlos))


def umi_los(d_2d: Array, h_ut: Array, fc_ghz: Array, h_bs: Array = 10.0) -> np.ndarray:
    """PL_UMi-LOS: PL1 = 32.4 + 21 log10(d_3D) + 20 log10(f_c) up to d'_BP, then
    PL2 = 32.4 + 40 log10(d_3D) + 20 log10(f_c) - 9.5 log10(d'_BP^2 + (h_BS - h_UT)^2)."""
    return _los(d_2d, h_bs, h_ut, fc_ghz, 32.4, 21.0, 9.5)


def umi_nlos(d_2d: Array, h_ut: Array, fc_ghz: Array, h_bs: Array = 10.0) -> np.ndarray:
    """PL_UMi-NLOS = max(PL_UMi-LOS, PL'_UMi-NLOS) with
    PL'_UMi-NLOS = 35.3 log10(d_3D) + 22.4 + 21.3 log10(f_c) - 0.3 (h_UT - 1.5)."""
    d3 = distance_3d(d_2d, h_bs, h_ut)
    nlos = 35.3 * np.log10(d3) + 22.4 + 21.3 * np.log10(fc_ghz) - 0.3 * (np.asarray(h_ut) - 1.5)
    return np.asarray(np.maximum(umi_los(d_2d, h_ut, fc_ghz, h_bs), nlos))


def los_probability(scenario: str, d_2d: Array) -> np.ndarray:
    """Pr_LOS (Table 7.4.2-1), for h_UT <= 13 m: 1 up to 18 m, then
    18/d + exp(-d/D)(1 - 18/d) with D = 63 m (UMa) or 36 m (UMi-Street Canyon)."""
    scale = {"UMa": 63.0, "UMi": 36.0}[scenario]
    d = np.maximum(np.asarray(d_2d, dtype=float), 1e-9)
    far = 18.0 / d + np.exp(-d / scale) * (1.0 - 18.0 / d)
    return np.where(d <= 18.0, 1.0, far)


def path_loss(scenario: str, los: Array, d_2d: Array, h_ut: Array, fc_ghz: Array) -> np.ndarray:
    """Median path loss (no shadowing) for a scenario, choosing LOS or NLOS per link."""
    h_bs = BS_HEIGHT[scenario]
    if scenario == "UMa":
        return np.where(los, uma_los(d_2d, h_ut, fc_ghz, h_bs), uma_nlos(d_2d, h_ut, fc_ghz, h_bs))
    return np.where(los, umi_los(d_2d, h_ut, fc_ghz, h_bs), umi_nlos(d_2d, h_ut, fc_ghz, h_bs))
