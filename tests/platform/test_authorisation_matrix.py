"""Who may do what: every API operation, called by every kind of caller, through the real app.

One table: a row per operation (and per variant where the object matters), a status per role
in the order of :data:`~tests.platform.authz_world.ROLES`. Each call starts from the same
world (see ``authz_world``) on a real migrated SQLite database; only the enqueuer and the
re-run of a reproduction are stubbed. A route missing from the table fails
:func:`test_every_operation_has_a_row`, so a new route cannot ship without its row.

404 where the caller may not know the object exists (another team's submission, an unpublished
challenge, an id that exists or not: the same answer); 403 where the object is known but the
role is missing; 409 for staff who try to compete and for members asked to become staff.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from string import Formatter
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.platform.authz_world import (
    DRAFT_SLUG,
    EDITION,
    OTHER_SLUG,
    ROLES,
    SLUG,
    Matrix,
    World,
    build_matrix,
    edition_spec,
)
from tests.platform.factories import PASSWORD

Args = Callable[[World, str], dict[str, Any]]
UNKNOWN = 987_654  # an id no object has


def _none(world: World, role: str) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Row:
    method: str
    path: str  # as the OpenAPI schema writes it
    expected: str  # one status per role, in ROLES order
    args: Args = _none  # path values and request arguments (json, data, files, params)
    variant: str = ""

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}" + (f" [{self.variant}]" if self.variant else "")


def sub(key: str, **extra: Any) -> Args:
    """Path value ``submission_id`` from the world's field ``key``, plus request arguments."""
    return lambda w, r: {"submission_id": getattr(w, key), **extra}


def at(**values: Any) -> Args:
    return lambda w, r: dict(values)


V1 = "/api/v1"
C = V1 + "/challenges/{slug}"
S = V1 + "/submissions/{submission_id}"
T = V1 + "/teams/{team_id}"
ALL_200 = " ".join(["200"] * len(ROLES))
USERS_ONLY = "401 " + " ".join(["200"] * (len(ROLES) - 1))
RUBRIC = {"team_id": 0, "scores": [{"criterion": "demo", "points": 5}]}
E = V1 + "/editions/{slug}"
R = E + "/rounds/{round_name}/challenges/{challenge}"
ROUND = {"slug": EDITION, "round_name": "final", "challenge": SLUG}

# fmt: off
#            anonymous other mate owner judge judge2 organiser admin xorganiser xjudge
TABLE: list[Row] = [
    Row("GET", "/healthz", ALL_200),
    Row("POST", V1 + "/auth/register", "201 201 201 201 201 201 201 201 201 201",
        at(json={"username": "az-new", "email": "az-new@example.org", "password": PASSWORD})),
    Row("POST", V1 + "/auth/token", ALL_200,
        at(data={"username": "az-owner", "password": PASSWORD})),
    Row("GET", V1 + "/users/me", USERS_ONLY),
    Row("PATCH", V1 + "/users/me", USERS_ONLY, at(json={"email": "az-moved@example.org"})),
    Row("GET", V1 + "/users/me/tokens", USERS_ONLY),
    Row("POST", V1 + "/users/me/tokens", "401 201 201 201 201 201 201 201 201 201",
        at(json={"name": "ci"})),
    Row("DELETE", V1 + "/users/me/tokens/{token_id}", USERS_ONLY,
        lambda w, r: {"token_id": w.token_ids["owner" if r == "anonymous" else r]}, "own"),
    Row("DELETE", V1 + "/users/me/tokens/{token_id}", "401 404 404 200 404 404 404 404 404 404",
        lambda w, r: {"token_id": w.token_ids["owner"]}, "the owner's"),
    Row("GET", V1 + "/users/me/teams", USERS_ONLY),
    Row("GET", V1 + "/users/me/invites", USERS_ONLY),
    Row("PATCH", V1 + "/users/{username}", "401 403 403 403 403 403 403 200 403 403",
        at(username="az-mate", json={"can_create_challenges": True})),
    Row("GET", V1 + "/challenges", ALL_200),
    Row("POST", V1 + "/challenges", "401 403 403 403 403 403 403 201 403 403",
        lambda w, r: {"files": {"bundle": ("bundle.zip", w.bundle)}}),
    Row("GET", C, ALL_200, at(slug=SLUG)),
    Row("GET", C, "404 404 404 404 200 404 200 200 404 404", at(slug=DRAFT_SLUG), "unpublished"),
    Row("PUT", C, "401 403 403 403 403 403 200 200 403 403",
        at(slug=SLUG, json={"title": "Renamed"})),
    Row("GET", C + "/starting-kit", ALL_200, at(slug=SLUG)),
    Row("GET", C + "/files/{path}", ALL_200, at(slug=SLUG, path="train")),
    Row("GET", V1 + "/catalogue", ALL_200),
    Row("GET", V1 + "/catalogue/{slug}/{name}", USERS_ONLY, at(slug=SLUG, name="train")),
    Row("GET", V1 + "/catalogue/{slug}/{name}", "401 404 404 404 200 404 200 200 404 404",
        at(slug=DRAFT_SLUG, name="train"), "unpublished"),
    Row("GET", C + "/roles", "401 403 403 403 403 403 200 200 403 403", at(slug=SLUG)),
    Row("POST", C + "/roles", "401 403 403 403 403 403 201 201 403 403",
        at(slug=SLUG, json={"username": "az-xjudge", "role": "judge"})),
    Row("POST", C + "/roles", "401 403 403 403 403 403 409 409 403 403",
        at(slug=SLUG, json={"username": "az-mate", "role": "judge"}), "a team member"),
    Row("DELETE", C + "/roles/{username}/{role}", "401 403 403 403 403 403 204 204 403 403",
        at(slug=SLUG, username="az-judge2", role="judge")),
    Row("POST", C + "/teams", "401 409 409 409 403 403 403 403 201 201",
        at(slug=SLUG, json={"name": "Newts"})),
    Row("GET", C + "/teams", USERS_ONLY, at(slug=SLUG)),
    Row("GET", T, USERS_ONLY, lambda w, r: {"team_id": w.team}),
    Row("POST", T + "/invites", "401 403 403 201 403 403 403 403 403 403",
        lambda w, r: {"team_id": w.team, "json": {"username": "az-xorganiser"}}),
    Row("POST", T + "/invites", "401 403 403 409 403 403 403 403 403 403",
        lambda w, r: {"team_id": w.team, "json": {"username": "az-judge"}}, "a judge"),
    Row("POST", T + "/join", "401 409 403 403 403 403 403 403 200 200",
        lambda w, r: {"team_id": w.team}),
    Row("POST", T + "/leave", "401 404 204 409 404 404 404 404 404 404",
        lambda w, r: {"team_id": w.team}),
    Row("PATCH", T, "401 403 403 200 403 403 403 200 403 403",
        lambda w, r: {"team_id": w.team, "json": {"country": "KE"}}),
    Row("POST", T + "/decline", "401 204 404 404 204 204 204 204 204 204",
        lambda w, r: {"team_id": w.team}),
    # deliverables: the team and the challenge's staff read (others: 404); members hand in
    Row("GET", T + "/deliverables", "401 404 200 200 200 200 200 200 404 404",
        lambda w, r: {"team_id": w.team}),
    Row("POST", T + "/deliverables/{phase}/{key}", "401 404 201 201 403 403 403 403 404 404",
        lambda w, r: {"team_id": w.team, "phase": "development", "key": "report",
                      "files": {"file": ("r.pdf", w.pdf)}}),
    Row("POST", T + "/deliverables/{phase}/{key}/link",
        "401 404 201 201 403 403 403 403 404 404",
        lambda w, r: {"team_id": w.team, "phase": "development", "key": "code",
                      "json": {"url": "https://github.com/owls/model"}}),
    Row("GET", T + "/deliverables/{phase}/{key}/file", "401 404 200 200 200 200 200 200 404 404",
        lambda w, r: {"team_id": w.team, "phase": "development", "key": "report"}),
    Row("GET", C + "/deliverables", "401 403 403 403 200 200 200 200 403 403", at(slug=SLUG)),
    Row("POST", C + "/submissions", "401 201 201 201 403 403 403 403 201 201",
        lambda w, r: {"slug": SLUG, "data": {"kind": "build"},
                      "files": {"file": ("context.tar", w.context)}}),
    Row("GET", C + "/submissions", USERS_ONLY, at(slug=SLUG)),
    # practice runs: a team's, never staff's; no team yet: 409
    Row("POST", C + "/practice", "401 201 201 201 403 403 403 403 409 409",
        lambda w, r: {"slug": SLUG, "data": {"kind": "build"},
                      "files": {"file": ("context.tar", w.context)}}),
    Row("GET", C + "/practice", USERS_ONLY, at(slug=SLUG)),
    # the registry: authorisation first, then the registry (none answers here: 503)
    Row("POST", C + "/registry/repository", "401 503 503 503 403 403 403 403 503 503",
        at(slug=SLUG)),
    Row("POST", C + "/submissions/pushed", "401 503 503 503 403 403 403 403 503 503",
        at(slug=SLUG, json={"digest": "sha256:" + "0" * 64})),
    Row("GET", V1 + "/registry/token", " ".join(["401"] * len(ROLES))),
    Row("POST", V1 + "/registry/token", " ".join(["401"] * len(ROLES))),
    Row("GET", S, "401 404 200 200 200 200 200 200 404 404", sub("done")),
    Row("GET", S, "401 404 404 404 404 404 404 404 404 404", at(submission_id=UNKNOWN), "unknown"),
    Row("PATCH", S, "401 404 200 200 403 403 403 403 404 404",
        sub("done", json={"description": "tuned"})),
    Row("GET", S + "/logs", "401 404 200 200 200 200 200 200 404 404", sub("done")),
    Row("POST", S + "/cancel", "401 404 200 200 403 403 200 200 404 404", sub("flying")),
    Row("POST", S + "/rerun", "401 404 403 403 202 202 202 202 404 404", sub("done")),
    Row("GET", C + "/leaderboard", ALL_200, at(slug=SLUG)),
    Row("GET", C + "/leaderboard", "403 403 403 403 200 200 200 200 403 403",
        at(slug=SLUG, params={"split": "private"}), "private split"),
    Row("GET", C + "/leaderboard/history", ALL_200, at(slug=SLUG)),
    Row("GET", C + "/rubric-scores", "401 403 403 403 200 200 200 200 403 403", at(slug=SLUG)),
    Row("PUT", C + "/rubric-scores", "401 403 403 403 200 200 200 200 403 403",
        lambda w, r: {"slug": SLUG, "json": RUBRIC | {"team_id": w.other_team}}),
    Row("GET", C + "/final-ranking", "403 403 403 403 200 200 200 200 403 403", at(slug=SLUG)),
    Row("POST", S + "/disqualify", "401 403 404 404 200 200 200 200 404 404",
        sub("theirs", json={"reason": "copied"})),
    Row("POST", S + "/disqualify", "401 404 404 404 404 404 404 404 404 404",
        at(submission_id=UNKNOWN, json={"reason": "copied"}), "unknown"),
    Row("POST", S + "/reinstate", "401 403 404 404 200 200 200 200 404 404", sub("banned")),
    Row("POST", S + "/reproduce", "401 404 403 403 202 202 202 202 404 404", sub("done")),
    Row("GET", S + "/reproduction", "401 404 403 403 200 200 200 200 404 404", sub("done")),
    Row("GET", S + "/reproduction", "401 404 404 404 404 404 404 404 404 404",
        at(submission_id=UNKNOWN), "unknown"),
    Row("POST", C + "/publish", "401 403 403 403 403 403 201 201 403 403",
        at(slug=SLUG, json={"reveal": True})),
    Row("POST", C + "/publish", "401 403 403 403 403 403 409 409 403 403",
        at(slug=SLUG), "not revealed"),
    Row("GET", C + "/published", ALL_200, at(slug=OTHER_SLUG)),
    Row("POST", C + "/reveal", "401 403 403 403 403 403 204 204 403 403", at(slug=SLUG)),
    Row("GET", C + "/audit-log", "401 403 403 403 200 200 200 200 403 403", at(slug=SLUG)),
    # editions: public; admins declare; organisers advance; judges and organisers shortlist
    Row("GET", V1 + "/editions", ALL_200),
    Row("GET", E, ALL_200, at(slug=EDITION)),
    Row("PUT", E, "401 403 403 403 403 403 403 200 403 403",
        at(slug=EDITION, json=edition_spec())),
    Row("GET", R + "/advancement", "401 403 403 403 403 403 200 200 403 403", at(**ROUND)),
    Row("POST", R + "/advancement", "401 403 403 403 403 403 200 200 403 403", at(**ROUND)),
    Row("GET", R + "/shortlist", "401 403 403 403 200 200 200 200 403 403", at(**ROUND)),
    Row("PUT", R + "/shortlist/{team_id}", "401 403 403 403 200 200 200 200 403 403",
        lambda w, r: {**ROUND, "team_id": w.other_team}),
    Row("DELETE", R + "/shortlist/{team_id}", "401 403 403 403 200 200 200 200 403 403",
        lambda w, r: {**ROUND, "team_id": w.other_team}),
    Row("GET", T + "/advancement", "401 404 200 200 200 200 200 200 404 404",
        lambda w, r: {"team_id": w.team}),
]
# fmt: on


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory, migrated_template: Path) -> Iterator[Matrix]:
    yield from build_matrix(tmp_path_factory.mktemp("authz"), migrated_template)


@pytest.fixture(scope="module")
def caller(matrix: Matrix) -> Iterator[TestClient]:
    with TestClient(matrix.switch, raise_server_exceptions=False) as client:
        yield client


def _call(client: TestClient, matrix: Matrix, row: Row, role: str) -> tuple[int, Any]:
    matrix.restore()
    args = row.args(matrix.world, role)
    names = [name for _, name, _, _ in Formatter().parse(row.path) if name]
    url = row.path.format(**{name: args.pop(name) for name in names})
    answer = client.request(row.method, url, headers=matrix.world.headers[role], **args)
    is_json = answer.content and "json" in answer.headers.get("content-type", "")
    body = answer.json() if is_json else None
    return answer.status_code, body


@pytest.mark.parametrize("row", TABLE, ids=[row.name for row in TABLE])
def test_who_may_do_what(caller: TestClient, matrix: Matrix, row: Row) -> None:
    expected = [int(code) for code in row.expected.split()]
    assert len(expected) == len(ROLES), row.name
    matrix.new_app()
    wrong = []
    for role, want in zip(ROLES, expected, strict=True):
        got, body = _call(caller, matrix, row, role)
        if got != want:
            wrong.append(f"{role}: {got} (expected {want}) {body}")
        elif got >= 400:  # every refusal says why, in a sentence, never a traceback
            detail = body["detail"] if isinstance(body, dict) else None
            assert isinstance(detail, str) and detail and "Traceback" not in detail, (role, body)
    assert not wrong, f"{row.name}:\n" + "\n".join(wrong)


def test_every_operation_has_a_row(matrix: Matrix) -> None:
    app = matrix.new_app()
    operations = {
        (method.upper(), path)
        for path, item in app.openapi()["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }
    covered = {(row.method, row.path) for row in TABLE}
    assert operations - covered == set(), "operations without a row in TABLE"
    assert covered - operations == set(), "rows for operations the API no longer has"
