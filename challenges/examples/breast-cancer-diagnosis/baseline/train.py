"""Train the baseline at image build time: standardised logistic regression on train.csv."""

import argparse

import joblib
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--train", default="train.csv")
    parser.add_argument("--model", default="model.joblib")
    args = parser.parse_args()
    frame = pd.read_csv(args.train)
    features = frame.drop(columns=["id", "diagnosis"])
    model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=1000))
    model.fit(features, frame["diagnosis"])
    joblib.dump(model, args.model)


if __name__ == "__main__":
    main()
