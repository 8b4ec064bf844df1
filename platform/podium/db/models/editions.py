"""Editions of a programme: host organisations, the challenges they host, rounds, advancement.

An edition groups challenges (its problem statements), each hosted by an organisation. A round
covers one phase of each of its challenges (``RoundPhase``); a round entered "by advancement"
accepts submissions only from teams with an ``Advancement`` row for it, chosen by the round's
rule (the top N of the previous round's leaderboard, the judges' ``ShortlistEntry`` rows, or
both). A phase belongs to at most one round, a challenge to at most one edition.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from podium.db.models.common import enum_column
from podium.db.types import UTCDateTime, utcnow


class RoundEntry(StrEnum):
    OPEN = "open"
    ADVANCEMENT = "advancement"


class AdvancedBy(StrEnum):
    TOP_N = "top_n"
    SHORTLIST = "shortlist"
    BOTH = "both"


class HostOrganisation(SQLModel, table=True):
    __tablename__ = "host_organisations"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=200)
    contact_name: str = Field(default="", max_length=200)
    contact_email: str = Field(default="", max_length=254)
    url: str = Field(default="", max_length=500)


class Edition(SQLModel, table=True):
    __tablename__ = "editions"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(unique=True, index=True, max_length=64)
    title: str = Field(max_length=200)
    summary: str = Field(default="", max_length=2000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class EditionChallenge(SQLModel, table=True):
    """A problem statement of an edition: the challenge and the organisation hosting it."""

    __tablename__ = "edition_challenges"

    id: int | None = Field(default=None, primary_key=True)
    edition_id: int = Field(foreign_key="editions.id", ondelete="CASCADE", index=True)
    challenge_id: int = Field(foreign_key="challenges.id", ondelete="CASCADE", unique=True)
    host_id: int = Field(foreign_key="host_organisations.id", ondelete="RESTRICT")
    position: int = 0


class Round(SQLModel, table=True):
    __tablename__ = "rounds"
    __table_args__ = (
        UniqueConstraint("edition_id", "name"),
        UniqueConstraint("edition_id", "position"),
    )

    id: int | None = Field(default=None, primary_key=True)
    edition_id: int = Field(foreign_key="editions.id", ondelete="CASCADE", index=True)
    name: str = Field(max_length=64)
    position: int
    start: datetime = Field(sa_type=UTCDateTime)
    end: datetime = Field(sa_type=UTCDateTime)
    entry: RoundEntry = Field(sa_column=enum_column(RoundEntry))
    advance_top_n: int | None = Field(default=None, description="top N per challenge advance")
    advance_shortlist: bool = Field(default=False, description="the judges' shortlist advances")


class RoundPhase(SQLModel, table=True):
    """The phase of one challenge that a round covers."""

    __tablename__ = "round_phases"
    __table_args__ = (UniqueConstraint("challenge_id", "phase_name"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="rounds.id", ondelete="CASCADE", index=True)
    challenge_id: int = Field(foreign_key="challenges.id", ondelete="CASCADE", index=True)
    phase_name: str = Field(max_length=64)


class ShortlistEntry(SQLModel, table=True):
    """A team the challenge's judges put forward into a round (private to staff)."""

    __tablename__ = "round_shortlist"
    __table_args__ = (UniqueConstraint("round_id", "team_id"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="rounds.id", ondelete="CASCADE", index=True)
    challenge_id: int = Field(foreign_key="challenges.id", ondelete="CASCADE")
    team_id: int = Field(foreign_key="teams.id", ondelete="CASCADE")
    added_by: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Advancement(SQLModel, table=True):
    """A team let into a round (written once, by an organiser's audited commit)."""

    __tablename__ = "advancements"
    __table_args__ = (UniqueConstraint("round_id", "team_id"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="rounds.id", ondelete="CASCADE", index=True)
    challenge_id: int = Field(foreign_key="challenges.id", ondelete="CASCADE", index=True)
    team_id: int = Field(foreign_key="teams.id", ondelete="CASCADE")
    advanced_by: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    how: AdvancedBy = Field(sa_column=enum_column(AdvancedBy))
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# ---- what the API returns (allow-lists) and accepts ----


class HostPublic(SQLModel):
    name: str
    contact_name: str
    contact_email: str
    url: str


class DeadlinePublic(SQLModel):
    phase: str
    start: datetime
    end: datetime


class ProblemStatementPublic(SQLModel):
    """One challenge of an edition as its page lists it."""

    challenge: str = Field(description="the challenge's slug")
    title: str
    host: str
    state: str = Field(description="open, upcoming or closed")
    deadlines: list[DeadlinePublic]


class AdvancedTeamPublic(SQLModel):
    team_id: int
    team: str
    how: AdvancedBy
    at: datetime


class RoundChallengePublic(SQLModel):
    """A round's phase of one challenge, and who advanced into it (once decided)."""

    challenge: str
    phase: str
    decided: bool = Field(description="whether the advancement into this round was committed")
    advanced: list[AdvancedTeamPublic]


class RoundPublic(SQLModel):
    name: str
    position: int
    start: datetime
    end: datetime
    entry: RoundEntry
    advance_top_n: int | None
    advance_shortlist: bool
    challenges: list[RoundChallengePublic]


class EditionSummary(SQLModel):
    slug: str
    title: str
    summary: str
    problem_statements: int


class EditionPublic(SQLModel):
    slug: str
    title: str
    summary: str
    hosts: list[HostPublic]
    problem_statements: list[ProblemStatementPublic]
    rounds: list[RoundPublic]


class CandidatePublic(SQLModel):
    """A team the round's rule lets in (preview) or let in (commit)."""

    team_id: int
    team: str
    how: AdvancedBy
    rank: int | None = Field(description="its rank in the previous round; None: not ranked")
    already_advanced: bool


class AdvancementPreview(SQLModel):
    edition: str
    round: str
    challenge: str
    from_phase: str
    to_phase: str
    top_n: int | None
    shortlist: bool
    teams: list[CandidatePublic]


class AdvancementCommitted(AdvancementPreview):
    added: int = Field(description="teams advanced by this call (0 when all already were)")


class ShortlistPublic(SQLModel):
    team_id: int
    team: str
    added_at: datetime


class RoundStatusPublic(SQLModel):
    """Whether a team may take part in a round of its challenge's edition."""

    round: str
    phase: str
    entry: RoundEntry
    status: str = Field(description="open, advanced, not_advanced or pending")
    how: AdvancedBy | None


class TeamEditionStatus(SQLModel):
    team_id: int
    challenge: str
    edition: str | None
    rounds: list[RoundStatusPublic]
