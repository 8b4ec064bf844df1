"""Public data and starting-kit downloads; hidden files are never served."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from podium.store import Store
from tests.platform.bundles import HIDDEN_LABELS
from tests.platform.factories import auth_headers, make_challenge, make_user


@pytest.fixture
def slug(session: Session, store: Store, tmp_path: Path) -> str:
    return make_challenge(session, store, tmp_path, slug="dl").slug


def test_public_file_is_served_with_its_name(client: TestClient, slug: str) -> None:
    answer = client.get(f"/api/v1/challenges/{slug}/files/train")
    assert answer.status_code == 200
    assert answer.text == "id,x,y\n1,0.1,0.2\n2,0.3,0.4\n"
    assert 'filename="train.csv"' in answer.headers["content-disposition"]


def test_a_public_folder_is_a_zip_and_its_files_are_served(client: TestClient, slug: str) -> None:
    answer = client.get(f"/api/v1/challenges/{slug}/files/starting-kit")
    assert answer.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(answer.content)).namelist()
    assert sorted(names) == ["starting-kit/README.md", "starting-kit/predict.py"]
    inner = client.get(f"/api/v1/challenges/{slug}/files/starting-kit/predict.py")
    assert inner.status_code == 200 and inner.text == "print('hello')\n"


def test_starting_kit_route_answers_the_zip(client: TestClient, slug: str) -> None:
    answer = client.get(f"/api/v1/challenges/{slug}/starting-kit")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    assert archive.read("starting-kit/predict.py") == b"print('hello')\n"


HOSTILE = [
    "data/hidden/labels.csv",
    "hidden",
    "labels.csv",
    "challenge.yaml",
    "train/../data/hidden/labels.csv",
    "starting-kit/../data/hidden/labels.csv",
    "starting-kit/..%2F..%2Fdata%2Fhidden%2Flabels.csv",
    "starting-kit/%2e%2e/%2e%2e/data/hidden/labels.csv",
    "%2e%2e/bundle/data/hidden/labels.csv",
    "starting-kit//etc/passwd",
    "%2Fetc%2Fpasswd",
    "starting-kit/%00predict.py",
    "starting-kit\\..\\data\\hidden\\labels.csv",
    "train/anything",
]


@pytest.mark.parametrize("path", HOSTILE)
def test_hidden_files_are_never_served(client: TestClient, slug: str, path: str) -> None:
    answer = client.get(f"/api/v1/challenges/{slug}/files/{path}")
    assert answer.status_code == 404, answer.text
    assert HIDDEN_LABELS not in answer.text
    assert answer.json()["detail"]


def test_a_symlink_swapped_in_the_store_is_not_followed(
    client: TestClient, slug: str, store: Store
) -> None:
    target = store.bundle_dir(slug) / "starting_kit" / "predict.py"
    target.unlink()
    os.symlink(store.bundle_dir(slug) / "data/hidden/labels.csv", target)
    answer = client.get(f"/api/v1/challenges/{slug}/files/starting-kit/predict.py")
    assert answer.status_code == 404
    assert HIDDEN_LABELS not in answer.text


def test_unknown_public_name_lists_the_real_ones(client: TestClient, slug: str) -> None:
    answer = client.get(f"/api/v1/challenges/{slug}/files/test")
    assert answer.status_code == 404
    assert (
        answer.json()["detail"] == "dl has no public file 'test'; public files: train, starting-kit"
    )


def test_downloads_of_an_unpublished_challenge_are_hidden(
    client: TestClient, session: Session, store: Store, tmp_path: Path
) -> None:
    organiser = make_user(session)
    make_challenge(session, store, tmp_path, slug="draft", owner=organiser, published=False)
    assert client.get("/api/v1/challenges/draft/files/train").status_code == 404
    assert client.get("/api/v1/challenges/draft/starting-kit").status_code == 404
    headers = auth_headers(session, organiser)
    assert client.get("/api/v1/challenges/draft/files/train", headers=headers).status_code == 200
