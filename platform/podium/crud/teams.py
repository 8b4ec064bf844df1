"""Teams: create, invite, join, leave; and the personal team made on a first submission.

Rules: a user is in at most one team per challenge (a unique constraint backs this); a team
holds at most the challenge's ``teams.max_size`` members, also when members join at the same
moment (a join holds the team's row lock, :func:`~podium.crud.quotas.lock_team`, before it
counts); only the owner invites; the challenge's staff neither create, join nor are invited to
a team (:func:`~podium.crud.roles.check_may_compete`); a member who has submitted with a team
cannot leave it, since leaving would reset the team's quota for them.

Organisers' baselines belong to the challenge's *baseline team* (:func:`baseline_team`): a
team named ``baseline`` with no members, so no one competes through it; its submissions are
marked ``baseline``, shown on leaderboards and never ranked. No participant's team takes that
name.
"""

from __future__ import annotations

import shutil

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from podium.crud.quotas import lock_team
from podium.crud.roles import check_may_compete
from podium.db.models import (
    Challenge,
    Submission,
    Team,
    TeamInvite,
    TeamMember,
    TeamProfile,
    TeamRole,
    TeamUpdate,
    User,
)
from podium.db.types import utcnow
from podium.errors import Conflict, NotFound, PermissionDenied
from podium.store import Store


def require_team(session: Session, *, team_id: int) -> Team:
    """The team with this id.

    Raises:
        NotFound: No such team.
    """
    team = session.get(Team, team_id)
    if team is None:
        raise NotFound(f"no team with id {team_id}")
    return team


def team_of(session: Session, *, user: User, challenge: Challenge) -> Team | None:
    """The team ``user`` belongs to in ``challenge``, or None."""
    query = (
        select(Team)
        .join(TeamMember, col(TeamMember.team_id) == Team.id)
        .where(TeamMember.user_id == user.id, TeamMember.challenge_id == challenge.id)
    )
    return session.exec(query).first()


def membership(session: Session, *, team: Team, user: User) -> TeamMember | None:
    """The user's membership row in ``team``, or None."""
    query = select(TeamMember).where(TeamMember.team_id == team.id, TeamMember.user_id == user.id)
    return session.exec(query).first()


def member_count(session: Session, *, team: Team) -> int:
    """How many members ``team`` has."""
    query = select(func.count()).select_from(TeamMember).where(TeamMember.team_id == team.id)
    return int(session.exec(query).one())


def _check_room(session: Session, *, team: Team, challenge: Challenge) -> None:
    if member_count(session, team=team) >= challenge.max_team_size:
        raise Conflict(
            f"team {team.name!r} is full: {challenge.slug} allows at most "
            f"{challenge.max_team_size} members per team"
        )


def _check_teamless(session: Session, *, user: User, challenge: Challenge) -> None:
    current = team_of(session, user=user, challenge=challenge)
    if current is not None:
        raise Conflict(
            f"{user.username} is already in team {current.name!r} for {challenge.slug}; "
            "a user is in one team per challenge: leave it first"
        )


def _add_member(session: Session, *, team: Team, user: User, role: TeamRole) -> None:
    assert team.id is not None and user.id is not None
    session.add(
        TeamMember(team_id=team.id, user_id=user.id, challenge_id=team.challenge_id, role=role)
    )


BASELINE_TEAM = "baseline"


def _check_not_reserved(name: str, challenge: Challenge) -> None:
    if name.strip().lower() == BASELINE_TEAM:
        raise Conflict(
            f"{name!r} is the name of {challenge.slug}'s organisers' baselines; choose another"
        )


def baseline_team(session: Session, *, challenge: Challenge, organiser: User) -> Team:
    """The challenge's team of organisers' baselines (made, with no members, on first use).

    Raises:
        Conflict: A participants' team already holds the name (made before it was reserved).
    """
    query = select(Team).where(Team.challenge_id == challenge.id, Team.name == BASELINE_TEAM)
    team = session.exec(query).first()
    if team is None:
        assert challenge.id is not None
        session.add(Team(name=BASELINE_TEAM, challenge_id=challenge.id, created_by=organiser.id))
        try:
            session.commit()
        except IntegrityError:  # made by a concurrent baseline: use that one
            session.rollback()
        team = session.exec(query).one()
    if team.personal or member_count(session, team=team):
        raise Conflict(
            f"{challenge.slug} has a participants' team named {BASELINE_TEAM!r}, the name its "
            "baselines go under; ask an admin to rename that team, then submit the baseline"
        )
    return team


def _commit_or_conflict(session: Session, message: str) -> None:
    try:
        session.commit()
    except IntegrityError:  # a concurrent request changed the same team or membership
        session.rollback()
        raise Conflict(message) from None


def create_team(
    session: Session,
    *,
    challenge: Challenge,
    user: User,
    name: str,
    profile: TeamProfile | None = None,
) -> Team:
    """Create a team with ``user`` as its owner (and its declared ``profile``, if any).

    Raises:
        PermissionDenied: The user is staff of the challenge.
        Conflict: The user already has a team here, or the name is taken in this challenge.
    """
    check_may_compete(session, user=user, challenge=challenge)
    _check_teamless(session, user=user, challenge=challenge)
    _check_not_reserved(name, challenge)
    taken = select(Team).where(Team.challenge_id == challenge.id, Team.name == name)
    if session.exec(taken).first() is not None:
        raise Conflict(f"a team named {name!r} exists in {challenge.slug}; choose another name")
    assert challenge.id is not None
    team = Team(name=name, challenge_id=challenge.id, created_by=user.id)
    if profile is not None:
        team.affiliation, team.country = profile.affiliation, profile.country
        team.category = profile.category
    session.add(team)
    session.flush()
    _add_member(session, team=team, user=user, role=TeamRole.OWNER)
    _commit_or_conflict(session, f"could not create team {name!r}; it or your membership clashed")
    session.refresh(team)
    return team


def invite(
    session: Session, *, team: Team, challenge: Challenge, inviter: User, invitee: User
) -> TeamInvite:
    """Invite ``invitee`` to ``team`` (only its owner may); an open invite is returned as is.

    Raises:
        PermissionDenied: The inviter is not the team's owner.
        Conflict: The invitee is already a member, is staff of the challenge, or the team is
            full.
    """
    own = membership(session, team=team, user=inviter)
    if own is None or own.role != TeamRole.OWNER:
        raise PermissionDenied(f"only the owner of team {team.name!r} can invite members")
    check_may_compete(session, user=invitee, challenge=challenge, caller=False)
    if membership(session, team=team, user=invitee) is not None:
        raise Conflict(f"{invitee.username} is already in team {team.name!r}")
    _check_room(session, team=team, challenge=challenge)
    query = select(TeamInvite).where(
        TeamInvite.team_id == team.id, TeamInvite.user_id == invitee.id
    )
    row = session.exec(query).first()
    if row is None:
        assert team.id is not None and invitee.id is not None
        row = TeamInvite(team_id=team.id, user_id=invitee.id, invited_by=inviter.id)
    elif row.accepted_at is None:
        return row
    else:  # accepted once, left since: invite afresh
        row.accepted_at, row.created_at, row.invited_by = None, utcnow(), inviter.id
    session.add(row)
    _commit_or_conflict(session, f"{invitee.username} was just invited; reload the invites")
    session.refresh(row)
    return row


def join(session: Session, *, team: Team, challenge: Challenge, user: User) -> Team:
    """Join ``team`` with a pending invitation.

    Raises:
        PermissionDenied: The user is staff of the challenge, or has no pending invitation.
        Conflict: The user is in a team of this challenge already, or the team is full.
    """
    check_may_compete(session, user=user, challenge=challenge)
    query = select(TeamInvite).where(TeamInvite.team_id == team.id, TeamInvite.user_id == user.id)
    pending = session.exec(query).first()
    if pending is None or pending.accepted_at is not None:
        raise PermissionDenied(
            f"you have no pending invitation to team {team.name!r}; ask its owner to invite you"
        )
    lock_team(session, team=team)  # concurrent joins count one after the other
    try:
        _check_teamless(session, user=user, challenge=challenge)
        _check_room(session, team=team, challenge=challenge)
    except Conflict:
        session.rollback()  # let go of the team's lock at once
        raise
    _add_member(session, team=team, user=user, role=TeamRole.MEMBER)
    pending.accepted_at = utcnow()
    session.add(pending)
    _commit_or_conflict(session, f"could not join team {team.name!r}; you joined a team already")
    session.refresh(team)
    return team


def decline(session: Session, *, team: Team, user: User) -> None:
    """Decline a pending invitation to ``team`` (it is removed; the owner may invite again).

    Raises:
        NotFound: The user has no pending invitation to this team.
    """
    query = select(TeamInvite).where(TeamInvite.team_id == team.id, TeamInvite.user_id == user.id)
    pending = session.exec(query).first()
    if pending is None or pending.accepted_at is not None:
        raise NotFound(f"you have no pending invitation to team {team.name!r}")
    session.delete(pending)
    session.commit()


def update_profile(session: Session, *, team: Team, user: User, update: TeamUpdate) -> Team:
    """Change the team's affiliation, country or category (its owner, or an admin).

    Raises:
        PermissionDenied: The user is neither the team's owner nor an admin.
    """
    own = membership(session, team=team, user=user)
    if not user.is_admin and (own is None or own.role != TeamRole.OWNER):
        raise PermissionDenied(f"only the owner of team {team.name!r} can change its profile")
    for name, value in update.model_dump(exclude_unset=True, exclude_none=True).items():
        setattr(team, name, value)
    session.add(team)
    session.commit()
    session.refresh(team)
    return team


def _submission_count(session: Session, *, team: Team, user: User | None = None) -> int:
    query = select(func.count()).select_from(Submission).where(Submission.team_id == team.id)
    if user is not None:
        query = query.where(Submission.user_id == user.id)
    return int(session.exec(query).one())


def leave(session: Session, *, team: Team, user: User, store: Store) -> None:
    """Leave ``team``; ownership passes to the longest-standing member, an empty team goes
    (with the deliverables it handed in, rows and files).

    Raises:
        NotFound: The user is not a member.
        Conflict: The user has submitted with this team.
    """
    own = membership(session, team=team, user=user)
    if own is None:
        raise NotFound(f"you are not a member of team {team.name!r}")
    if _submission_count(session, team=team, user=user):
        raise Conflict(
            f"you have submissions in team {team.name!r}, so you cannot leave it (the team's "
            "quota would no longer apply to you); ask an organiser if you must move"
        )
    team_id = team.id
    session.delete(own)
    session.flush()
    gone = _hand_over(session, team=team, leaving=own)
    session.commit()
    if gone and team_id is not None:  # its deliverables' rows went with it (cascade)
        shutil.rmtree(store.deliverables_dir(team_id), ignore_errors=True)


def _hand_over(session: Session, *, team: Team, leaving: TeamMember) -> bool:
    """Pass ownership on; True when the team was left empty and went."""
    query = select(TeamMember).where(TeamMember.team_id == team.id)
    rest = session.exec(query.order_by(col(TeamMember.joined_at), col(TeamMember.id))).all()
    if not rest:
        if _submission_count(session, team=team):
            return False
        session.delete(team)
        return True
    if leaving.role == TeamRole.OWNER:
        rest[0].role = TeamRole.OWNER
        session.add(rest[0])
    return False


def _free_team_name(session: Session, *, challenge: Challenge, wanted: str) -> str:
    taken = set(session.exec(select(Team.name).where(Team.challenge_id == challenge.id)).all())
    for candidate in (wanted, f"{wanted}-solo", *(f"{wanted}-{n}" for n in range(2, 1000))):
        if candidate not in taken and candidate.lower() != BASELINE_TEAM:
            return candidate
    raise Conflict(f"no free team name for {wanted!r} in {challenge.slug}; create a team first")


def get_or_create_personal_team(session: Session, user: User, challenge: Challenge) -> Team:
    """The user's team in ``challenge``; a one-person team named after them if they have none.

    Called when a participant without a team first submits. Commits the new team at once, so
    a concurrent first submission finds it instead of creating a second one.
    """
    current = team_of(session, user=user, challenge=challenge)
    if current is not None:
        return current
    assert challenge.id is not None
    name = _free_team_name(session, challenge=challenge, wanted=user.username)
    team = Team(name=name, challenge_id=challenge.id, created_by=user.id, personal=True)
    session.add(team)
    session.flush()
    _add_member(session, team=team, user=user, role=TeamRole.OWNER)
    try:
        session.commit()
    except IntegrityError:  # a concurrent first submission created it: use that one
        session.rollback()
        found = team_of(session, user=user, challenge=challenge)
        if found is None:
            raise
        return found
    session.refresh(team)
    return team
