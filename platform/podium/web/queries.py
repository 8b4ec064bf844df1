"""What the submission, "my submissions" and organisers' pages read.

Built on the API's views (``crud.submission_views``, ``crud.submission_logs``): the same
allow-lists, split rules, path scrubbing and log bounds as the API. Only ``status_counts`` is
a query of this module's own (no crud function counts a challenge's queue yet).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlmodel import Session, select

from podium.api.deps import require_logs_access
from podium.crud.challenges import require_challenge
from podium.crud.practice import competing
from podium.crud.submission_logs import SubmissionLogs, read_logs
from podium.crud.submission_views import (
    ListingScope,
    SubmissionAccess,
    SubmissionDetail,
    SubmissionSummary,
    list_submissions,
    submission_detail,
)
from podium.crud.team_views import teams_of_user
from podium.db.models import Challenge, Submission, SubmissionStatus, User
from podium.errors import PermissionDenied
from podium.store import Store

LIST_LIMIT = 500


@dataclass(frozen=True)
class SubmissionPageData:
    """The submission page: its detail, and its logs or why they are not shown."""

    detail: SubmissionDetail
    logs: SubmissionLogs | None
    logs_hidden: str | None


def submission_page(
    session: Session, *, access: SubmissionAccess, store: Store
) -> SubmissionPageData:
    """Detail and (where the phase allows it, or for staff) the latest logs."""
    detail = submission_detail(session, access=access, store=store)
    try:  # the API's own rule for logs, so pages and API never disagree
        require_logs_access(access)
    except PermissionDenied as error:
        return SubmissionPageData(detail, None, error.message)
    logs = read_logs(session, access=access, store=store)
    return SubmissionPageData(detail, logs, None)


def submissions_of_user(session: Session, *, user: User, store: Store) -> list[SubmissionSummary]:
    """The submissions of every team the user belongs to, newest first."""
    found: list[SubmissionSummary] = []
    for team in teams_of_user(session, user=user):
        challenge = require_challenge(session, slug=team.challenge)
        scope = ListingScope(challenge, everyone=False, team_id=team.id)
        found += list_submissions(session, scope=scope, store=store, limit=LIST_LIMIT).items
    return sorted(found, key=lambda s: (s.created_at, s.id), reverse=True)


def submissions_of_challenge(
    session: Session, *, challenge: Challenge, store: Store
) -> list[SubmissionSummary]:
    """Every team's submissions, newest first (the organisers' list)."""
    scope = ListingScope(challenge, everyone=True, team_id=None)
    return list_submissions(session, scope=scope, store=store, limit=LIST_LIMIT).items


def status_counts(session: Session, *, challenge: Challenge) -> dict[str, int]:
    """How many of the challenge's submissions are in each status (every status listed)."""
    query = select(Submission.status).where(Submission.challenge_id == challenge.id, competing())
    counts = Counter(SubmissionStatus(s).value for s in session.exec(query).all())
    return {status.value: counts.get(status.value, 0) for status in SubmissionStatus}
