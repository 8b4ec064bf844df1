"""A model that answers in the wrong format: one `label` column instead of class probabilities."""

import csv
import os

inputs = os.environ.get("PODIUM_INPUT", "/input")
outputs = os.environ.get("PODIUM_OUTPUT", "/output")
with open(os.path.join(inputs, "test.csv"), newline="") as f:
    ids = [row["id"] for row in csv.DictReader(f)]
with open(os.path.join(outputs, "predictions.csv"), "w") as f:
    f.write("id,label\n" + "".join(f"{i},benign\n" for i in ids))
