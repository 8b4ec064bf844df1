"""An edition over two challenges, each with an open development phase and a final phase,
an open round and a final round entered by advancement (top 2 plus the judges' shortlist).

Holds no tests; the edition tests import these helpers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmodel import Session

from podium.crud.challenges import phases_of
from podium.crud.edition_specs import EditionSpec
from podium.crud.editions import load_edition
from podium.db.models import Challenge, Phase, Team, User
from podium.store import Store
from tests.platform.factories import auth_headers, make_challenge, make_user
from tests.platform.leaderboard_helpers import World, make_team, make_world, scored

EDITION = "test-edition"
FINAL = "Final round"
OPEN = "Open round"


@dataclass
class EditionWorld:
    world: World
    other: Challenge
    admin: User
    teams: list[Team]  # teams of world.challenge, best first (rank 1..5)
    members: list[User]  # the first member of each of those teams

    def headers(self, session: Session, user: User) -> dict[str, str]:
        return auth_headers(session, user)

    @property
    def slug(self) -> str:
        return self.world.challenge.slug

    def round_url(self, round_name: str = FINAL, challenge: str | None = None) -> str:
        return f"/api/v1/editions/{EDITION}/rounds/{round_name}/challenges/{challenge or self.slug}"


def add_final_phase(session: Session, challenge: Challenge) -> Phase:
    """A second phase ``final``, open now like the first (so submissions to it can be tried)."""
    development = phases_of(session, challenge=challenge)[0]
    assert challenge.id is not None
    final = Phase(
        challenge_id=challenge.id, name="final", start=development.start, end=development.end,
        public_fraction=development.public_fraction, position=1, data_key=development.data_key,
        submission_kinds=development.submission_kinds, limits=development.limits,
        leaderboard=development.leaderboard,
    )  # fmt: skip
    session.add(final)
    session.commit()
    return final


def spec(world: World, other: Challenge, **overrides: Any) -> dict[str, Any]:
    """The edition's declaration, as the API's body (overrides replace top-level keys)."""
    body: dict[str, Any] = {
        "slug": EDITION,
        "title": "Test edition",
        "summary": "Two problem statements, two rounds.",
        "hosts": [
            {
                "name": "ITU",
                "contact_name": "Ada",
                "contact_email": "ada@itu.example",
                "url": "https://itu.example",
            },
            {"name": "Radio Lab", "contact_email": "lab@example.org"},
        ],  # fmt: skip
        "problem_statements": [
            {"challenge": world.challenge.slug, "host": "ITU"},
            {"challenge": other.slug, "host": "Radio Lab"},
        ],
        "rounds": [
            {
                "name": OPEN,
                "entry": "open",
                "phases": {world.challenge.slug: "development", other.slug: "development"},
            },
            {
                "name": FINAL,
                "entry": "advancement",
                "advance": {"top_n": 2, "shortlist": True},
                "phases": {world.challenge.slug: "final", other.slug: "final"},
            },
        ],  # fmt: skip
    }
    body.update(overrides)
    return body


def make_edition_world(session: Session, store: Store, tmp_path: Path) -> EditionWorld:
    """The world of :mod:`tests.platform.leaderboard_helpers`, a second challenge, the edition,
    and five scored teams of the first challenge (rmse 0.1 .. 0.5: lower is better)."""
    world = make_world(session, store, tmp_path)
    other = make_challenge(session, store, tmp_path)
    for challenge in (world.challenge, other):
        add_final_phase(session, challenge)
    load_edition(session, spec=EditionSpec.model_validate(spec(world, other)))
    members = [make_user(session) for _ in range(5)]
    teams = [make_team(session, world, f"team-{i + 1}", [m]) for i, m in enumerate(members)]
    for i, team in enumerate(teams):
        scored(session, world, team, 0.1 * (i + 1), minutes=i)
    admin = make_user(session, is_admin=True)
    return EditionWorld(world, other, admin, teams, members)
