"""Shared dependencies: settings, session, store, the caller, and object-level authorisation.

Authorisation lives here, never in routes: a route that takes ``OrganiserChallenge`` only runs
for an organiser (or admin) of that challenge. Participants asking for an object they may not
know about get 404 (its existence is not revealed); callers who can see a public object but
lack the role for an action get 403.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer
from sqlmodel import Session

from podium.api.ids import SubmissionId, TeamId
from podium.crud import judging, roles, teams
from podium.crud.audit import audit
from podium.crud.challenges import (
    is_visible,
    require_challenge_by_id,
    require_visible_challenge,
)
from podium.crud.submission_views import ListingScope, SubmissionAccess, access_for
from podium.crud.tokens import user_for_token
from podium.db.models import Challenge, Submission, Team, User
from podium.errors import NotFound, PermissionDenied
from podium.services import board_process
from podium.services.board_cache import LeaderboardCache
from podium.settings import Settings
from podium.store import Store

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


def get_db(request: Request) -> Iterator[Session]:
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_db)]


def get_store(settings: SettingsDep) -> Store:
    return Store.from_settings(settings)


StoreDep = Annotated[Store, Depends(get_store)]
TokenDep = Annotated[str | None, Depends(oauth2_scheme)]


def _unauthorised(message: str) -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail=message,
        headers={"WWW-Authenticate": "Bearer"},
    )


def get_optional_user(session: SessionDep, token: TokenDep) -> User | None:
    """The caller, or None when anonymous; a token that is sent must be valid."""
    if token is None:
        return None
    user = user_for_token(session, token=token)
    if user is None:
        raise _unauthorised(
            "the bearer token is invalid, expired or revoked; get a new one at /api/v1/auth/token"
        )
    return user


OptionalUser = Annotated[User | None, Depends(get_optional_user)]


def get_current_user(user: OptionalUser) -> User:
    """The caller, who must be logged in."""
    if user is None:
        raise _unauthorised(
            "log in first: send 'Authorization: Bearer <token>' (get one at /api/v1/auth/token)"
        )
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def require_admin(user: CurrentUser) -> User:
    if not user.is_admin:
        raise PermissionDenied("only site administrators can do this")
    return user


AdminUser = Annotated[User, Depends(require_admin)]


def require_challenge_creator(user: CurrentUser) -> User:
    if not (user.is_admin or user.can_create_challenges):
        raise PermissionDenied(
            "you may not create challenges; ask a site administrator to allow it for your account"
        )
    return user


ChallengeCreator = Annotated[User, Depends(require_challenge_creator)]


def get_challenge(slug: str, session: SessionDep, user: OptionalUser) -> Challenge:
    """The challenge ``slug``; unpublished ones exist only for their staff and admins."""
    return require_visible_challenge(session, slug=slug, user=user)


ChallengeDep = Annotated[Challenge, Depends(get_challenge)]


def require_organiser(challenge: ChallengeDep, session: SessionDep, user: CurrentUser) -> Challenge:
    """The challenge, for its organisers and admins only (403 for others)."""
    if not roles.is_organiser(session, user=user, challenge=challenge):
        raise PermissionDenied(f"only organisers of {challenge.slug} (or an admin) can do this")
    return challenge


OrganiserChallenge = Annotated[Challenge, Depends(require_organiser)]


def require_judge_or_organiser(
    challenge: ChallengeDep, session: SessionDep, user: CurrentUser
) -> Challenge:
    """The challenge, for its judges, organisers and admins only (403 for others)."""
    if not roles.is_staff(session, user=user, challenge=challenge):
        raise PermissionDenied(
            f"only judges and organisers of {challenge.slug} (or an admin) can do this"
        )
    return challenge


StaffChallenge = Annotated[Challenge, Depends(require_judge_or_organiser)]


def get_owned_submission(
    submission_id: SubmissionId, session: SessionDep, user: CurrentUser
) -> Submission:
    """The submission, for its author, its team, its challenge's staff and admins; else 404."""
    submission = session.get(Submission, submission_id)
    missing = NotFound(f"no submission {submission_id} that you can see")
    if submission is None:
        raise missing
    if user.is_admin or submission.user_id == user.id:
        return submission
    team = session.get(Team, submission.team_id)
    if team is not None and teams.membership(session, team=team, user=user) is not None:
        return submission
    challenge = session.get(Challenge, submission.challenge_id)
    if challenge is not None and roles.is_staff(session, user=user, challenge=challenge):
        return submission
    raise missing


OwnedSubmission = Annotated[Submission, Depends(get_owned_submission)]


def get_team(team_id: TeamId, session: SessionDep, user: CurrentUser) -> Team:
    """A team of a challenge the caller can see (team names are public on leaderboards)."""
    team = teams.require_team(session, team_id=team_id)
    challenge = session.get(Challenge, team.challenge_id)
    if challenge is None or not is_visible(session, user=user, challenge=challenge):
        raise NotFound(f"no team with id {team_id}")
    return team


TeamDep = Annotated[Team, Depends(get_team)]


def get_access(
    submission: OwnedSubmission, session: SessionDep, user: CurrentUser
) -> SubmissionAccess:
    """The submission (404 unless the caller may see it) and the caller's standing."""
    return access_for(session, submission=submission, user=user)


AccessDep = Annotated[SubmissionAccess, Depends(get_access)]


def require_staff_access(access: AccessDep) -> SubmissionAccess:
    """Only the challenge's organisers, judges and admins (403 for its team)."""
    if not access.staff:
        raise PermissionDenied(
            f"only organisers and judges of {access.challenge.slug} can do this to a submission"
        )
    return access


def require_team_access(access: AccessDep) -> SubmissionAccess:
    """Only the submission's author and team (403 for staff, who may read but not edit)."""
    if not access.member:
        raise PermissionDenied("only the team that made this submission can change it")
    return access


def require_logs_access(access: AccessDep) -> SubmissionAccess:
    """Staff always; the team where the phase shows logs, and of its practice runs (public
    data only) always."""
    if not access.staff and not access.phase.show_logs and not access.submission.practice:
        raise PermissionDenied(
            "this phase does not show logs to participants; the reason of a failure is in "
            "the submission's 'reason'"
        )
    return access


TeamAccess = Annotated[SubmissionAccess, Depends(require_team_access)]
LogsAccess = Annotated[SubmissionAccess, Depends(require_logs_access)]


def _audit_staff_action(
    session: Session, access: SubmissionAccess, user: User, action: str
) -> None:
    # added to the request's session: the action's own commit writes it, a refused one drops it
    submission = access.submission
    audit(
        session,
        challenge_id=submission.challenge_id,
        actor=user,
        action=action,
        target=f"submission {submission.id}",
        detail={"team_id": submission.team_id, "status": submission.status.value},
    )


def may_cancel(session: Session, access: SubmissionAccess, user: User) -> bool:
    """The submission's team, its challenge's organisers and admins; not its judges, who
    re-run and disqualify instead."""
    return access.member or roles.is_organiser(session, user=user, challenge=access.challenge)


def require_cancel_access(
    access: AccessDep, session: SessionDep, user: CurrentUser
) -> SubmissionAccess:
    """Those who :func:`may_cancel` (403 for judges); a cancel by staff is audited."""
    if access.member:
        return access
    if not may_cancel(session, access, user):
        raise PermissionDenied(
            f"only the team that made submission {access.submission.id} and organisers of "
            f"{access.challenge.slug} can cancel it; judges re-run or disqualify submissions"
        )
    _audit_staff_action(session, access, user, "cancel")
    return access


def require_rerun_access(
    access: AccessDep, session: SessionDep, user: CurrentUser
) -> SubmissionAccess:
    """Staff only (:func:`require_staff_access`); every re-run is audited."""
    require_staff_access(access)
    _audit_staff_action(session, access, user, "rerun")
    return access


CancelAccess = Annotated[SubmissionAccess, Depends(require_cancel_access)]
RerunAccess = Annotated[SubmissionAccess, Depends(require_rerun_access)]


def get_listing_scope(
    challenge: ChallengeDep, session: SessionDep, user: CurrentUser
) -> ListingScope:
    """Staff list every team's submissions; anyone else only their own team's."""
    if roles.is_staff(session, user=user, challenge=challenge):
        return ListingScope(challenge, everyone=True, team_id=None)
    team = teams.team_of(session, user=user, challenge=challenge)
    return ListingScope(challenge, everyone=False, team_id=team.id if team else None)


ListingScopeDep = Annotated[ListingScope, Depends(get_listing_scope)]


def get_judged_submission(
    submission: OwnedSubmission, session: SessionDep, user: CurrentUser
) -> tuple[Submission, Challenge]:
    """The submission and its challenge, for that challenge's judges, organisers and admins.

    404 for whoever may not know the submission exists (``get_owned_submission``), whether it
    exists or not; 403 for its own team.
    """
    challenge = require_challenge_by_id(session, challenge_id=submission.challenge_id)
    if not roles.is_staff(session, user=user, challenge=challenge):
        raise PermissionDenied(
            f"only judges and organisers of {challenge.slug} (or an admin) can do this"
        )
    return submission, challenge


JudgedSubmission = Annotated[tuple[Submission, Challenge], Depends(get_judged_submission)]


def get_rerun(settings: SettingsDep) -> judging.Rerun:
    """The pipeline's re-run (a seam: tests replace it through ``dependency_overrides``)."""
    from podium.pipeline.dispatch import rerun

    return lambda session, submission: rerun(session, submission, settings)


RerunDep = Annotated[judging.Rerun, Depends(get_rerun)]


def get_board_cache(request: Request) -> LeaderboardCache:
    """The application's leaderboard cache (one per process, made on first use)."""
    state = request.app.state
    cache: LeaderboardCache | None = getattr(state, "leaderboard_cache", None)
    if cache is None:
        settings: Settings = state.settings
        cache = state.leaderboard_cache = LeaderboardCache(
            store=Store.from_settings(settings),
            ranking=board_process.shared() if settings.board_ranking_process else None,
        )
    return cache


BoardCacheDep = Annotated[LeaderboardCache, Depends(get_board_cache)]
