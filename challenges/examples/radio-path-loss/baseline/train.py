"""Train the baseline at image build time: gradient boosting on log-distance features."""

import argparse

import joblib
import pandas as pd
from features import features
from sklearn.ensemble import HistGradientBoostingRegressor


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--train", default="train.csv")
    parser.add_argument("--model", default="model.joblib")
    args = parser.parse_args()
    frame = pd.read_csv(args.train)
    model = HistGradientBoostingRegressor(max_iter=100, learning_rate=0.1, random_state=0)
    model.fit(features(frame), frame["path_loss_db"])
    joblib.dump(model, args.model)


if __name__ == "__main__":
    main()
