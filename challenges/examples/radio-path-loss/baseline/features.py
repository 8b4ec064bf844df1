"""Model features from the link table (shared by train.py and predict.py)."""

import numpy as np
import pandas as pd


def features(frame: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "uma": (frame["scenario"] == "UMa").astype(int),
            "log_fc": np.log10(frame["frequency_ghz"]),
            "log_d2d": np.log10(frame["distance_2d_m"]),
            "log_d3d": np.log10(frame["distance_3d_m"]),
            "bs_height_m": frame["bs_height_m"],
            "ue_height_m": frame["ue_height_m"],
            "los": frame["los"],
            "building_density": frame["building_density"],
        }
    )
    return out
