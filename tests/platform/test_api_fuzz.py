"""No server errors when schemathesis explores the API, with a participant's and an organiser's
token.

The run is schemathesis' own engine (what ``schemathesis run`` does), in-process over ASGI, on
every operation of the OpenAPI schema: its examples, coverage (boundaries, missing and wrong
fields, unexpected methods) and fuzzing phases, valid and invalid requests, with only the
``not_a_server_error`` check. Path parameters take the real challenge, submission and team
some of the time (a dictionary), so requests get past the 404s into the code behind them.

Every request carries a fresh token: a generated ``DELETE /users/me/tokens/{id}`` may revoke
the one before. Only the enqueuer is replaced (there is no broker here); everything the answers
depend on is real. The generation is deterministic, so CI explores the same requests every time;
raise ``EXAMPLES`` (and drop ``deterministic``) locally to search further.
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from schemathesis.engine import events
from sqlmodel import Session

from podium.crud.tokens import issue_token
from podium.db.models import User
from podium.settings import Settings
from podium.store import Store
from tests.pipeline.harness import free_port
from tests.platform.submission_helpers import make_world, record_recorder
from tests.registry.live import registry_process

EXAMPLES = 4  # fuzzing examples per operation; with the other phases about 1,200 requests
OPENAPI = "/api/v1/openapi.json"

pytestmark = pytest.mark.slow


@pytest.fixture
def settings(tmp_path: Path, migrated_template: Path) -> Settings:
    home = tmp_path / "home"
    home.mkdir()
    shutil.copyfile(migrated_template, home / "podium.db")
    # rate limits high enough that the fuzzer reaches the code behind them
    return Settings(
        home=home,
        migrate_on_start=False,
        register_rate_limit="100000/minute",
        login_rate_limit="100000/minute",
        registry_port=free_port(),
    )


def _config(real: dict[str, Any]) -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "checks": {"enabled": False, "not_a_server_error": {"enabled": True}},
            "generation": {"mode": "all", "max-examples": EXAMPLES, "deterministic": True},
            "phases": {"stateful": {"enabled": False}},
            "workers": 1,
            "dictionaries": {name: {"values": [value]} for name, value in real.items()},
            "parameters": {
                f"path.{name}": {"dictionary": name, "probability": 0.6} for name in real
            },
        }
    )


def _run(app: FastAPI, token: Callable[[], str], real: dict[str, Any]) -> tuple[Counter, list]:
    """Every operation through schemathesis' engine: the answers' statuses, and every problem."""
    schema = schemathesis.openapi.from_asgi(OPENAPI, app, config=_config(real))

    @schema.auth(refresh_interval=None)
    class FreshToken:
        def get(self, case: schemathesis.Case, context: schemathesis.AuthContext) -> str:
            return token()

        def set(
            self, case: schemathesis.Case, data: str, context: schemathesis.AuthContext
        ) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

    statuses: Counter[int] = Counter()
    problems: list[str] = []
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            statuses.update(
                i.response.status_code for i in event.recorder.interactions.values() if i.response
            )
            problems += [
                f"{event.recorder.label}: {check.failure_info.failure.title}\n"
                f"    {check.failure_info.code_sample}"
                for checks in event.recorder.checks.values()
                for check in checks
                if check.status == schemathesis.engine.Status.FAILURE and check.failure_info
            ]
        elif isinstance(event, events.NonFatalError | events.FatalError):
            # an exception the app let out (the in-process client re-raises it), or the engine's
            problems.append(f"{getattr(event, 'label', 'engine')}: {event}")
    return statuses, problems


@pytest.fixture
def registry(settings: Settings) -> Iterator[str]:
    """A real registry for this test's platform, so that its routes are fuzzed through."""
    with registry_process(settings, "http://127.0.0.1:1/api/v1/registry/token") as url:
        yield url


@pytest.mark.parametrize("role", ["participant", "organiser"])
def test_no_server_errors_under_schemathesis(
    role: str, app: FastAPI, session: Session, store: Store, tmp_path: Path, registry: str
) -> None:
    world = make_world(session, store, tmp_path)
    record_recorder(app)
    submission = world.submission(session, world.alice)
    world.organiser.can_create_challenges = True  # so bundle uploads reach the bundle loader
    session.add(world.organiser)
    session.commit()
    user: User = world.alice if role == "participant" else world.organiser
    real = {
        "slug": world.challenge.slug,
        "submission_id": submission.id,
        "team_id": submission.team_id,
    }
    statuses, problems = _run(app, lambda: issue_token(session, user=user, name="fuzz")[1], real)
    assert problems == [], f"{len(problems)} problems:\n" + "\n".join(problems)
    assert sum(statuses.values()) > 800  # the run reached every operation, many times
    assert statuses[200] + statuses[201] > 50 and statuses[401] < sum(statuses.values()) // 10
    assert not [status for status in statuses if status >= 500]
