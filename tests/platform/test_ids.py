"""Ids out of the database's range answer 404, like unknown ids, on every route that takes one.

The API's routes are read from its OpenAPI schema, so a new route with an integer id in its
path is covered without being listed here; the pages are listed.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from podium.api.ids import MAX_ROW_ID
from podium.crud.tokens import issue_token
from podium.web.session import SESSION_COOKIE
from tests.platform.factories import auth_headers, make_user

OUT_OF_RANGE = [1694401746954952611201024, MAX_ROW_ID + 1, 0, -1, -(2**70)]


def _int_id_operations(app: FastAPI) -> list[tuple[str, str, list[str]]]:
    found = []
    for path, item in app.openapi()["paths"].items():
        for method, operation in item.items():
            names = [
                p["name"]
                for p in operation.get("parameters", [])
                if p["in"] == "path" and p["schema"].get("type") == "integer"
            ]
            if names:
                found.append((method.upper(), path, names))
    return found


def _call(client: TestClient, method: str, url: str, **kwargs: Any) -> Any:
    return client.request(method, url, **kwargs)


def test_every_api_route_with_an_integer_id_answers_404_out_of_range(
    app: FastAPI, client: TestClient, session: Session
) -> None:
    headers = auth_headers(session, make_user(session, is_admin=True))
    operations = _int_id_operations(app)
    assert len(operations) >= 14  # submissions, teams, tokens: the schema lists them all
    for method, path, names in operations:
        for value in OUT_OF_RANGE:
            url = path
            for name in names:
                url = url.replace("{" + name + "}", str(value))
            answer = _call(client, method, url, headers=headers, json={})
            assert answer.status_code == 404, (method, url, answer.text)
            assert answer.json()["detail"].startswith("no "), (method, url, answer.text)


def test_the_largest_id_is_an_ordinary_unknown_id(client: TestClient, session: Session) -> None:
    headers = auth_headers(session, make_user(session))
    answer = client.post(f"/api/v1/submissions/{MAX_ROW_ID}/cancel", headers=headers)
    assert answer.status_code == 404
    assert answer.json()["detail"] == f"no submission {MAX_ROW_ID} that you can see"
    huge = client.post("/api/v1/submissions/1694401746954952611201024/cancel", headers=headers)
    assert huge.status_code == 404
    assert huge.json() == {"detail": "no submission with id 1694401746954952611201024"}


def test_the_schema_states_the_range(app: FastAPI) -> None:
    for method, path, names in _int_id_operations(app):
        operation = app.openapi()["paths"][path][method.lower()]
        for parameter in operation["parameters"]:
            if parameter["name"] in names:
                assert parameter["schema"]["minimum"] == 1, (method, path)
                assert parameter["schema"]["maximum"] == MAX_ROW_ID, (method, path)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/submissions/{id}"),
        ("POST", "/submissions/{id}/cancel"),
        ("POST", "/submissions/{id}/rerun"),
        ("POST", "/challenges/any/judging/submissions/{id}/disqualify"),
        ("POST", "/challenges/any/judging/submissions/{id}/reinstate"),
        ("POST", "/challenges/any/judging/submissions/{id}/reproduce"),
        ("POST", "/challenges/any/judging/teams/{id}/rubric"),
    ],
)
def test_pages_answer_404_out_of_range(
    client: TestClient, session: Session, method: str, path: str
) -> None:
    _, secret = issue_token(session, user=make_user(session, is_admin=True), name="web session")
    client.cookies.set(SESSION_COOKIE, secret)
    answer = client.request(method, path.format(id=2**64), follow_redirects=False)
    assert answer.status_code == 404, answer.text
    assert "no " in answer.text and answer.headers["content-type"].startswith("text/html")
