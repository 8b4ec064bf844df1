"""The client's error translation, the config file, and the carved validation slice."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import httpx
import pytest

from challenges import load_bundle
from podium.cli.client import ApiError, PodiumClient
from podium.cli.config import CliConfig, ConfigError, load_config, save_config
from podium.cli.validation import carve, in_slice


def _client(handler: httpx.MockTransport) -> PodiumClient:
    return PodiumClient("http://podium.test", "tok", transport=handler)


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (401, {"detail": "bad token"}, "your token was refused; run `podium login`"),
        (404, {"detail": "no challenge 'x'"}, "no challenge 'x'"),
        (
            422,
            {"detail": [{"loc": ["body", "points"], "msg": "too many"}]},
            "points: too many",
        ),
        (
            500,
            {"detail": "oops"},
            "the Podium server at http://podium.test failed (HTTP 500); try again later or "
            "tell its operators",
        ),
    ],
)
def test_answers_become_one_message(status: int, body: object, message: str) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(status, json=body))
    with pytest.raises(ApiError) as caught:
        _client(transport).get("/challenges/x")
    assert caught.value.message == message and caught.value.status_code == status


def test_an_answer_that_is_not_json_is_one_message() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, text="<html>"))
    with pytest.raises(ApiError, match="not JSON; is PODIUM_SERVER the address"):
        _client(transport).get("/challenges")


def test_the_token_is_sent_as_a_bearer_header() -> None:
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("authorization", ""))
        return httpx.Response(200, json=[])

    assert _client(httpx.MockTransport(answer)).get("/challenges") == []
    assert seen == ["Bearer tok"]


def test_uploads_stream_the_file_and_report_progress(tmp_path: Path) -> None:
    payload = tmp_path / "model.bin"
    payload.write_bytes(b"x" * 300_000)
    received: list[int] = []

    def answer(request: httpx.Request) -> httpx.Response:
        received.append(len(request.read()))
        return httpx.Response(201, json={"id": 1, "status": "queued"})

    moved: list[int] = []
    answer_json = _client(httpx.MockTransport(answer)).upload(
        "POST", "/challenges/x/submissions", payload, data={"kind": "model"}, progress=moved.append
    )
    assert answer_json == {"id": 1, "status": "queued"}
    assert received[0] > 300_000 and sum(moved) >= 300_000


def test_config_is_0600_and_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("PODIUM_SERVER", raising=False)
    monkeypatch.delenv("PODIUM_TOKEN", raising=False)
    path = save_config(CliConfig(server="http://a.example", token="secret"))
    assert path == tmp_path / "podium" / "config.json"
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_config() == CliConfig("http://a.example", "secret")
    monkeypatch.setenv("PODIUM_SERVER", "b.example:9000/")
    monkeypatch.setenv("PODIUM_TOKEN", "other")
    assert load_config() == CliConfig("http://b.example:9000", "other")
    path.write_text(json.dumps(["not", "an", "object"]))
    with pytest.raises(ConfigError, match="is not a JSON object"):
        load_config()


def test_the_carved_slice_is_deterministic_and_splits_features_from_labels(
    example_folder: Path, tmp_path: Path
) -> None:
    with load_bundle(example_folder) as bundle:
        task = bundle.spec.task
    train = example_folder / "data/public/train.csv"
    inputs, labels, count = carve(train, task, tmp_path / "a")
    _, again, count_again = carve(train, task, tmp_path / "b")
    assert count == count_again and labels.read_bytes() == again.read_bytes()
    with train.open() as handle:
        ids = [row["id"] for row in csv.DictReader(handle)]
    assert count == sum(in_slice(i) for i in ids) and 0.1 < count / len(ids) < 0.3
    header = next(csv.reader((inputs / "test.csv").open()))
    assert "diagnosis" not in header and header[0] == "id" and len(header) == 31
    assert next(csv.reader(labels.open())) == ["id", "diagnosis"]
