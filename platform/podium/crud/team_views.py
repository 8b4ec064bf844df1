"""Public views of teams and invitations, built from rows (what the API returns)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from podium.crud.team_profiles import may_see_profile
from podium.db.models import (
    Challenge,
    Team,
    TeamInvite,
    TeamInvitePublic,
    TeamMember,
    TeamMemberPublic,
    TeamPublic,
    User,
)


def team_public(
    session: Session, *, team: Team, challenge: Challenge, viewer: User | None = None
) -> TeamPublic:
    """The team, its members (owner first) and the challenge's size cap; its profile where
    ``viewer`` may see it (:func:`~podium.crud.team_profiles.may_see_profile`), else empty."""
    query = (
        select(TeamMember, User)
        .join(User, col(User.id) == TeamMember.user_id)
        .where(TeamMember.team_id == team.id)
        .order_by(col(TeamMember.joined_at), col(TeamMember.id))
    )
    members = [
        TeamMemberPublic(username=user.username, role=member.role, joined_at=member.joined_at)
        for member, user in session.exec(query).all()
    ]
    members.sort(key=lambda m: m.role != "owner")
    assert team.id is not None
    return TeamPublic(
        id=team.id,
        name=team.name,
        **_profile(session, team=team, challenge=challenge, viewer=viewer),
        challenge=challenge.slug,
        personal=team.personal,
        created_at=team.created_at,
        max_size=challenge.max_team_size,
        members=members,
    )


def _profile(
    session: Session, *, team: Team, challenge: Challenge, viewer: User | None
) -> dict[str, str]:
    if not may_see_profile(session, team=team, challenge=challenge, viewer=viewer):
        return {}
    return {"affiliation": team.affiliation, "country": team.country, "category": team.category}


def list_teams(
    session: Session, *, challenge: Challenge, viewer: User | None = None
) -> list[TeamPublic]:
    """Every team of the challenge, oldest first."""
    query = select(Team).where(Team.challenge_id == challenge.id).order_by(col(Team.id))
    return [
        team_public(session, team=t, challenge=challenge, viewer=viewer)
        for t in session.exec(query).all()
    ]


def teams_of_user(session: Session, *, user: User) -> list[TeamPublic]:
    """The user's teams, one per challenge they take part in."""
    query = (
        select(Team, Challenge)
        .join(TeamMember, col(TeamMember.team_id) == Team.id)
        .join(Challenge, col(Challenge.id) == Team.challenge_id)
        .where(TeamMember.user_id == user.id)
        .order_by(col(Team.id))
    )
    return [
        team_public(session, team=t, challenge=c, viewer=user) for t, c in session.exec(query).all()
    ]


def invite_public(session: Session, *, invite: TeamInvite) -> TeamInvitePublic:
    """One invitation with the names a person reads."""
    team = session.get(Team, invite.team_id)
    invitee = session.get(User, invite.user_id)
    inviter = session.get(User, invite.invited_by) if invite.invited_by else None
    assert team is not None and invitee is not None and invite.id is not None
    challenge = session.get(Challenge, team.challenge_id)
    assert challenge is not None
    return TeamInvitePublic(
        id=invite.id,
        team_id=invite.team_id,
        team_name=team.name,
        challenge=challenge.slug,
        username=invitee.username,
        invited_by=inviter.username if inviter else None,
        created_at=invite.created_at,
        accepted_at=invite.accepted_at,
    )


def pending_invites(session: Session, *, user: User) -> list[TeamInvitePublic]:
    """The invitations ``user`` has not accepted yet, newest first."""
    query = (
        select(TeamInvite)
        .where(TeamInvite.user_id == user.id, col(TeamInvite.accepted_at).is_(None))
        .order_by(col(TeamInvite.created_at).desc())
    )
    return [invite_public(session, invite=row) for row in session.exec(query).all()]


def invites_of_team(session: Session, *, team: Team) -> list[TeamInvitePublic]:
    """The team's invitations not accepted yet, oldest first (what its owner is waiting for)."""
    query = (
        select(TeamInvite)
        .where(TeamInvite.team_id == team.id, col(TeamInvite.accepted_at).is_(None))
        .order_by(col(TeamInvite.created_at))
    )
    return [invite_public(session, invite=row) for row in session.exec(query).all()]
