"""Object-level authorisation of submissions (get_owned_submission)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session

from podium.api.deps import get_owned_submission
from podium.crud.challenges import phases_of
from podium.crud.roles import grant_role
from podium.crud.teams import get_or_create_personal_team, invite, join
from podium.db.models import ChallengeRoleKind
from podium.errors import NotFound
from podium.store import Store
from tests.platform.factories import make_challenge, make_submission, make_user


def test_who_may_see_a_submission(session: Session, store: Store, tmp_path: Path) -> None:
    challenge = make_challenge(session, store, tmp_path, slug="seen")
    other_challenge = make_challenge(session, store, tmp_path, slug="elsewhere")
    author, mate, judge, admin = (make_user(session) for _ in range(4))
    stranger, foreign_judge = make_user(session), make_user(session)
    team = get_or_create_personal_team(session, author, challenge)
    invite(session, team=team, challenge=challenge, inviter=author, invitee=mate)
    join(session, team=team, challenge=challenge, user=mate)
    grant_role(session, challenge=challenge, user=judge, role=ChallengeRoleKind.JUDGE)
    grant_role(session, challenge=other_challenge, user=foreign_judge, role=ChallengeRoleKind.JUDGE)
    admin.is_admin = True
    phase = phases_of(session, challenge=challenge)[0]
    submission = make_submission(session, challenge=challenge, phase=phase, team=team, user=author)
    assert submission.id is not None
    for user in (author, mate, judge, admin):
        assert get_owned_submission(submission.id, session, user).id == submission.id
    for user in (stranger, foreign_judge):
        with pytest.raises(NotFound, match=f"no submission {submission.id} that you can see"):
            get_owned_submission(submission.id, session, user)
    with pytest.raises(NotFound):
        get_owned_submission(12345, session, admin)
