"""The shipped example challenge registers the way `podium up --examples` will load it."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlmodel import Session

from challenges.examples import build_example
from podium.services.registration import register_challenge
from podium.store import Store


def test_breast_cancer_example_registers_and_serves_only_public_data(
    client: TestClient, session: Session, store: Store, tmp_path: Path
) -> None:
    folder = build_example("breast-cancer-diagnosis", tmp_path)
    challenge = register_challenge(session, bundle_path=folder, owner=None, store=store)
    assert challenge.max_team_size == 3
    detail = client.get("/api/v1/challenges/breast-cancer-diagnosis").json()
    assert [p["name"] for p in detail["phases"]] == ["development", "final"]
    assert detail["metrics"]["primary"] == "roc_auc"
    assert {f["name"] for f in detail["data"]} == {"train", "starting-kit", "baseline"}
    # the baseline's folder is published (the open catalogue), the spec's baselines section not
    assert "hidden" not in str(detail["data"]) and "expected_score" not in str(detail)
    train = client.get("/api/v1/challenges/breast-cancer-diagnosis/files/train")
    assert train.status_code == 200 and train.text.startswith("id,")
    kit = client.get("/api/v1/challenges/breast-cancer-diagnosis/starting-kit")
    assert kit.status_code == 200 and kit.headers["content-type"] == "application/zip"
    hidden = client.get(
        "/api/v1/challenges/breast-cancer-diagnosis/files/data/hidden/test/labels.csv"
    )
    assert hidden.status_code == 404
