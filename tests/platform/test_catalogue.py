"""The open catalogue: public files only, with licence, size and sha256; search; downloads for
registered users only."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from challenges.examples import build_example
from podium.services.registration import register_challenge
from podium.store import Store
from tests.platform.bundles import HIDDEN_LABELS, write_bundle
from tests.platform.factories import auth_headers, make_challenge, make_user

CATALOGUE = "/api/v1/catalogue"


def _licensed_bundle(root: Path, slug: str) -> Path:
    """The tiny bundle with a licence, a baseline published, and tags of its own."""
    folder = write_bundle(root, slug=slug)
    spec = folder / "challenge.yaml"
    text = spec.read_text(encoding="utf-8")
    text = text.replace("data:\n  public:\n", "data:\n  licence: CC-BY-4.0\n  public:\n")
    text = text.replace(
        "    - name: starting-kit\n      path: starting_kit\n",
        "    - name: starting-kit\n      path: starting_kit\n"
        "    - name: baseline\n      path: baseline\n      licence: MIT\n"
        "      description: the mean predictor\n",
    )
    text = text.replace("tags: [tabular, regression]", "tags: [tabular, wireless]")
    text += (
        "baselines:\n  - name: mean\n    kind: build\n    path: baseline\n"
        "    expected_score: [0.0, 10.0]\n"
    )
    spec.write_text(text, encoding="utf-8")
    (folder / "baseline").mkdir()
    (folder / "baseline/Dockerfile").write_text("FROM scratch\n", encoding="utf-8")
    return folder


@pytest.fixture
def slugs(session: Session, store: Store, tmp_path: Path) -> tuple[str, str]:
    folder = _licensed_bundle(tmp_path / "radio", "radio")
    register_challenge(session, bundle_path=folder, owner=None, store=store, published=True)
    plain = make_challenge(session, store, tmp_path, slug="plain").slug
    return "radio", plain


def _items(client: TestClient, **params: str) -> list[dict[str, object]]:
    answer = client.get(CATALOGUE, params=params)
    assert answer.status_code == 200, answer.text
    items: list[dict[str, object]] = answer.json()
    return items


def test_every_public_file_is_listed_with_licence_size_hash_and_kind(
    client: TestClient, slugs: tuple[str, str], store: Store
) -> None:
    radio = {i["name"]: i for i in _items(client) if i["challenge"] == "radio"}
    assert sorted(radio) == ["baseline", "starting-kit", "train"]
    train = radio["train"]
    path = store.bundle_dir("radio") / "data/public/train.csv"
    assert train["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert train["size_bytes"] == path.stat().st_size
    assert train["licence"] == "CC-BY-4.0" and train["kind"] == "dataset"
    assert train["tags"] == ["tabular", "wireless", "dataset"]
    assert radio["baseline"]["licence"] == "MIT" and radio["baseline"]["kind"] == "baseline"
    assert radio["starting-kit"]["kind"] == "starting-kit"
    assert radio["baseline"]["format"] == "zip" and train["format"] == "csv"


def test_no_licence_declared_reads_not_stated(client: TestClient, slugs: tuple[str, str]) -> None:
    plain = [i for i in _items(client) if i["challenge"] == slugs[1]]
    assert {i["licence"] for i in plain} == {"not stated"}


def test_nothing_hidden_is_ever_listed(client: TestClient, slugs: tuple[str, str]) -> None:
    answer = client.get(CATALOGUE)
    assert "hidden" not in answer.text and "labels.csv" not in answer.text
    assert HIDDEN_LABELS not in answer.text


def test_search_by_tag_and_words(client: TestClient, slugs: tuple[str, str]) -> None:
    baselines = _items(client, tag="baseline")
    assert [(i["challenge"], i["name"]) for i in baselines] == [("radio", "baseline")]
    assert {i["challenge"] for i in _items(client, tag="WIRELESS")} == {"radio"}
    assert [i["name"] for i in _items(client, q="mean predictor")] == ["baseline"]
    assert _items(client, tag="no-such-tag") == []
    assert _items(client, q="<script>alert(1)</script>") == []


def test_overlong_queries_are_refused_clearly(client: TestClient) -> None:
    answer = client.get(CATALOGUE, params={"q": "x" * 201})
    assert answer.status_code == 422


def test_unpublished_challenges_stay_out(
    client: TestClient, session: Session, store: Store, tmp_path: Path
) -> None:
    make_challenge(session, store, tmp_path, slug="draft", published=False)
    assert all(i["challenge"] != "draft" for i in _items(client))
    user = make_user(session)
    answer = client.get(f"{CATALOGUE}/draft/train", headers=auth_headers(session, user))
    assert answer.status_code == 404


def test_anonymous_download_is_refused_with_a_log_in_message(
    client: TestClient, slugs: tuple[str, str]
) -> None:
    answer = client.get(f"{CATALOGUE}/radio/train")
    assert answer.status_code == 401
    assert "log in" in answer.json()["detail"]


def test_registered_users_download_files_and_folders(
    client: TestClient, session: Session, slugs: tuple[str, str]
) -> None:
    headers = auth_headers(session, make_user(session))
    listed = {i["name"]: i for i in _items(client) if i["challenge"] == "radio"}
    answer = client.get(str(listed["train"]["download_url"]), headers=headers)
    assert answer.status_code == 200
    assert hashlib.sha256(answer.content).hexdigest() == listed["train"]["sha256"]
    folder = client.get(f"{CATALOGUE}/radio/baseline", headers=headers)
    assert folder.status_code == 200
    assert zipfile.ZipFile(io.BytesIO(folder.content)).namelist() == ["baseline/Dockerfile"]


@pytest.mark.parametrize(
    "name",
    [
        "hidden",
        "labels.csv",
        "%2e%2e",
        "train%2F%2e%2e",
        "train%2F..%2F..%2Fdata%2Fhidden%2Flabels.csv",
    ],
)
def test_hidden_files_cannot_be_downloaded(
    client: TestClient, session: Session, slugs: tuple[str, str], name: str
) -> None:
    headers = auth_headers(session, make_user(session))
    answer = client.get(f"{CATALOGUE}/radio/{name}", headers=headers)
    assert answer.status_code == 404, answer.text
    assert HIDDEN_LABELS not in answer.text


def test_the_page_lists_filters_and_escapes(client: TestClient, slugs: tuple[str, str]) -> None:
    page = client.get("/catalogue", params={"tag": "baseline", "q": "<b>x</b>"})
    assert page.status_code == 200
    assert "&lt;b&gt;x&lt;/b&gt;" in page.text and "<b>x</b>" not in page.text
    page = client.get("/catalogue", params={"tag": "baseline"})
    assert "the mean predictor" in page.text and "MIT" in page.text
    assert "labelled rows" not in page.text  # the train file is not a baseline
    assert "Log in to download" in page.text


def test_the_page_download_sends_anonymous_visitors_to_log_in(
    client: TestClient, slugs: tuple[str, str]
) -> None:
    answer = client.get("/catalogue/radio/train", follow_redirects=False)
    assert answer.status_code in (302, 303)
    assert answer.headers["location"].startswith("/login")


def test_an_example_challenge_fills_the_catalogue(
    client: TestClient, session: Session, store: Store, tmp_path: Path
) -> None:
    folder = build_example("breast-cancer-diagnosis", tmp_path)
    register_challenge(session, bundle_path=folder, owner=None, store=store)
    items = {i["name"]: i for i in _items(client, q="breast")}
    assert {n: i["kind"] for n, i in items.items()} == {
        "train": "dataset", "starting-kit": "starting-kit", "baseline": "baseline"
    }  # fmt: skip
    assert {i["licence"] for i in items.values()} == {"CC-BY-4.0"}
    assert "health" in items["baseline"]["tags"] and "baseline" in items["baseline"]["tags"]
