"""Challenges: upload, list, read, update; what is never shown."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from podium.crud.roles import roles_of
from podium.db.models import Challenge, ChallengeRoleKind, Phase
from podium.store import Store
from tests.platform.bundles import bundle_zip, write_bundle, zip_folder
from tests.platform.factories import auth_headers, make_challenge, make_user

CHALLENGES = "/api/v1/challenges"


def _upload(client: TestClient, path: Path, headers: dict[str, str]) -> tuple[int, dict]:
    with path.open("rb") as handle:
        answer = client.post(
            CHALLENGES, files={"bundle": (path.name, handle, "application/zip")}, headers=headers
        )
    return answer.status_code, answer.json()


def test_upload_registers_the_challenge(
    client: TestClient, session: Session, store: Store, tmp_path: Path
) -> None:
    creator = make_user(session, can_create_challenges=True)
    code, body = _upload(client, bundle_zip(tmp_path), auth_headers(session, creator))
    assert code == 201, body
    assert body["slug"] == "tiny" and body["title"] == "Tiny regression"
    assert body["description"].startswith("# Tiny")
    assert [p["name"] for p in body["phases"]] == ["development"]
    assert body["phases"][0]["submission_limits"] == {"per_day": 3, "total": 10, "in_flight": 1}
    assert {f["name"] for f in body["data"]} == {"train", "starting-kit"}
    challenge = session.exec(select(Challenge).where(Challenge.slug == "tiny")).one()
    assert len(challenge.split_secret) == 64 and challenge.max_team_size == 2
    assert Path(challenge.bundle_path) == store.bundle_dir("tiny")
    assert (store.bundle_dir("tiny") / "data/hidden/labels.csv").is_file()
    assert roles_of(session, user=creator, challenge=challenge) == {ChallengeRoleKind.ORGANISER}
    phases = session.exec(select(Phase).where(Phase.challenge_id == challenge.id)).all()
    assert [(p.name, p.data_key, p.limits["wall_seconds"]) for p in phases] == [
        ("development", "test", 60)
    ]
    assert list(store.uploads_dir().iterdir()) == []


def test_answers_never_hold_hidden_paths_or_secrets(
    client: TestClient, session: Session, store: Store, tmp_path: Path
) -> None:
    challenge = make_challenge(session, store, tmp_path)
    texts = [
        client.get(CHALLENGES).text,
        client.get(f"{CHALLENGES}/{challenge.slug}").text,
    ]
    for text in texts:
        assert challenge.split_secret not in text
        assert "hidden" not in text and "labels.csv" not in text
        assert str(store.root) not in text


@pytest.mark.parametrize("flag", [{}, {"is_admin": True}])
def test_upload_needs_the_right_to_create(
    client: TestClient, session: Session, tmp_path: Path, flag: dict[str, bool]
) -> None:
    user = make_user(session, **flag)
    code, body = _upload(client, bundle_zip(tmp_path), auth_headers(session, user))
    if flag:
        assert code == 201
    else:
        assert code == 403
        assert "ask a site administrator" in body["detail"]


def test_upload_needs_a_token(client: TestClient, tmp_path: Path) -> None:
    code, _ = _upload(client, bundle_zip(tmp_path), {})
    assert code == 401


def test_an_invalid_bundle_answers_every_problem(
    client: TestClient, session: Session, store: Store, tmp_path: Path
) -> None:
    folder = write_bundle(tmp_path / "bad")
    spec = folder / "challenge.yaml"
    text = spec.read_text().replace("primary: rmse", "primary: no_such_metric")
    spec.write_text(text.replace("title: Tiny regression", "title: ''"))
    (folder / "data/public/train.csv").unlink()
    code, body = _upload(client, zip_folder(folder, tmp_path / "bad.zip"), _creator(session))
    assert code == 422
    assert "problems" in body["detail"]
    joined = "\n".join(body["problems"])
    assert "title" in joined and "no_such_metric" in joined and "train.csv" in joined
    assert len(body["problems"]) >= 3
    assert not store.challenge_dir("tiny").exists()


def test_a_non_archive_is_a_422(client: TestClient, session: Session, tmp_path: Path) -> None:
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"this is not an archive")
    code, body = _upload(client, junk, _creator(session))
    assert code == 422
    assert "not an archive we can read" in " ".join(body["problems"])


def test_upload_without_a_file_is_a_422(client: TestClient, session: Session) -> None:
    answer = client.post(CHALLENGES, data={"published": "true"}, headers=_creator(session))
    assert answer.status_code == 422
    assert "body.bundle" in answer.json()["detail"]


def test_duplicate_slug_is_a_409(client: TestClient, session: Session, tmp_path: Path) -> None:
    headers = _creator(session)
    assert _upload(client, bundle_zip(tmp_path), headers)[0] == 201
    code, body = _upload(client, bundle_zip(tmp_path / "again"), headers)
    assert code == 409
    assert "exists already" in body["detail"]


def test_oversized_upload_is_a_413(client: TestClient, session: Session, tmp_path: Path) -> None:
    big = tmp_path / "big.zip"
    big.write_bytes(b"\0" * (3 * 1024 * 1024))  # settings fixture caps bundles at 1 MB
    code, body = _upload(client, big, _creator(session))
    assert code == 413
    assert "limit of 1 MB" in body["detail"]


def _creator(session: Session) -> dict[str, str]:
    return auth_headers(session, make_user(session, can_create_challenges=True))


def test_list_shows_phase_dates_and_hides_unpublished(
    client: TestClient, session: Session, store: Store, tmp_path: Path
) -> None:
    organiser = make_user(session)
    make_challenge(session, store, tmp_path, slug="open-one")
    make_challenge(session, store, tmp_path, slug="draft-one", owner=organiser, published=False)
    public = client.get(CHALLENGES).json()
    assert [c["slug"] for c in public] == ["open-one"]
    assert public[0]["phases"][0]["start"] == "2020-01-01T00:00:00Z"
    mine = client.get(CHALLENGES, headers=auth_headers(session, organiser)).json()
    assert {c["slug"] for c in mine} == {"open-one", "draft-one"}
    assert client.get(f"{CHALLENGES}/draft-one").status_code == 404
    stranger = auth_headers(session, make_user(session))
    assert client.get(f"{CHALLENGES}/draft-one", headers=stranger).status_code == 404
    assert (
        client.get(f"{CHALLENGES}/draft-one", headers=auth_headers(session, organiser)).json()[
            "published"
        ]
        is False
    )


def test_unknown_challenge_is_a_404(client: TestClient) -> None:
    answer = client.get(f"{CHALLENGES}/nope")
    assert answer.status_code == 404
    assert answer.json() == {"detail": "no challenge 'nope'; list them at /api/v1/challenges"}


def test_organisers_update_others_cannot(
    client: TestClient, session: Session, store: Store, tmp_path: Path
) -> None:
    organiser, other = make_user(session), make_user(session)
    challenge = make_challenge(session, store, tmp_path, owner=organiser)
    url = f"{CHALLENGES}/{challenge.slug}"
    body = {"title": "New title", "published": False}
    assert client.put(url, json=body).status_code == 401
    denied = client.put(url, json=body, headers=auth_headers(session, other))
    assert denied.status_code == 403
    assert "only organisers of" in denied.json()["detail"]
    answer = client.put(url, json=body, headers=auth_headers(session, organiser))
    assert answer.status_code == 200
    assert answer.json()["title"] == "New title" and answer.json()["published"] is False
    invalid = client.put(url, json={"title": ""}, headers=auth_headers(session, organiser))
    assert invalid.status_code == 422


def test_register_challenge_can_skip_an_existing_one(
    session: Session, store: Store, tmp_path: Path
) -> None:
    from podium.services.registration import register_challenge

    first = make_challenge(session, store, tmp_path, slug="again")
    folder = write_bundle(tmp_path / "second", slug="again")
    second = register_challenge(
        session, bundle_path=folder, owner=None, store=store, if_exists="skip"
    )
    assert second.id == first.id
