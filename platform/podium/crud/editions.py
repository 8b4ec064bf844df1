"""Editions: declaring one (create or update from an :class:`EditionSpec`) and finding its
parts. Declaring is an administrator's act (the API's ``AdminUser``, the CLI on the server).

Loading is idempotent: the edition is found by slug, hosts by name, rounds by name; the
problem statements and each round's phases are replaced by the declared ones. A round that
already let teams in is never dropped (its advancement records would go with it).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, delete, select

from challenges import phases as phase_rule
from podium.crud.challenges import get_challenge_by_slug, phases_of
from podium.crud.edition_specs import EditionSpec, HostSpec, RoundSpec
from podium.db.models import Challenge
from podium.db.models.editions import (
    Advancement,
    Edition,
    EditionChallenge,
    HostOrganisation,
    Round,
    RoundPhase,
)
from podium.errors import Conflict, InvalidInput, NotFound


def require_edition(session: Session, *, slug: str) -> Edition:
    """The edition ``slug``.

    Raises:
        NotFound: There is none (the message says where they are listed).
    """
    edition = session.exec(select(Edition).where(Edition.slug == slug)).first()
    if edition is None:
        raise NotFound(f"no edition {slug!r}; list them at /api/v1/editions")
    return edition


def list_editions(session: Session) -> list[Edition]:
    return list(session.exec(select(Edition).order_by(col(Edition.created_at), col(Edition.id))))


def rounds_of(session: Session, *, edition: Edition) -> list[Round]:
    query = select(Round).where(Round.edition_id == edition.id).order_by(col(Round.position))
    return list(session.exec(query))


def require_round(session: Session, *, edition: Edition, name: str) -> Round:
    """The round ``name`` of ``edition`` (404 listing the rounds when there is none)."""
    rounds = rounds_of(session, edition=edition)
    for found in rounds:
        if found.name == name:
            return found
    listed = ", ".join(repr(r.name) for r in rounds) or "none"
    raise NotFound(f"edition {edition.slug!r} has no round {name!r}; its rounds: {listed}")


def entries_of(session: Session, *, edition: Edition) -> list[tuple[EditionChallenge, Challenge]]:
    """The edition's problem statements with their challenges, in declared order."""
    query = (
        select(EditionChallenge, Challenge)
        .join(Challenge, col(Challenge.id) == EditionChallenge.challenge_id)
        .where(EditionChallenge.edition_id == edition.id)
        .order_by(col(EditionChallenge.position))
    )
    return [(entry, challenge) for entry, challenge in session.exec(query).all()]


def edition_of_challenge(session: Session, *, challenge: Challenge) -> Edition | None:
    query = (
        select(Edition)
        .join(EditionChallenge, col(EditionChallenge.edition_id) == Edition.id)
        .where(EditionChallenge.challenge_id == challenge.id)
    )
    return session.exec(query).first()


def round_phases(session: Session, *, round_: Round) -> list[RoundPhase]:
    return list(session.exec(select(RoundPhase).where(RoundPhase.round_id == round_.id)))


def load_edition(session: Session, *, spec: EditionSpec) -> Edition:
    """Create or update the edition ``spec`` declares, and commit.

    Raises:
        InvalidInput: A challenge or phase the spec names does not exist (every one listed).
        Conflict: A challenge belongs to another edition, a phase to another edition's round,
            or a round that let teams in would be dropped.
    """
    challenges = _challenges(session, spec)
    try:
        edition = _upsert_edition(session, spec)
        hosts = {h.name: _upsert_host(session, h) for h in spec.hosts}
        _replace_entries(session, edition, spec, challenges, hosts)
        _replace_rounds(session, edition, spec.rounds, challenges)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    session.refresh(edition)
    return edition


def _challenges(session: Session, spec: EditionSpec) -> dict[str, Challenge]:
    found: dict[str, Challenge] = {}
    problems: list[str] = []
    for p in spec.problem_statements:
        challenge = get_challenge_by_slug(session, slug=p.challenge)
        if challenge is None:
            problems.append(f"no challenge {p.challenge!r}; create it first")
        else:
            found[p.challenge] = challenge
    for r in spec.rounds:
        for slug, phase in r.phases.items():
            if (
                slug in found
                and phase_rule.find_phase(_phases(session, found[slug]), phase) is None
            ):
                names = phase_rule.names(_phases(session, found[slug]))
                problems.append(f"round {r.name!r}: {slug} has no phase {phase!r} ({names})")
    if problems:
        raise InvalidInput(f"edition {spec.slug!r} cannot be loaded", problems)
    return found


def _phases(session: Session, challenge: Challenge) -> Sequence[phase_rule.Timed]:
    return phases_of(session, challenge=challenge)


def _upsert_edition(session: Session, spec: EditionSpec) -> Edition:
    edition = session.exec(select(Edition).where(Edition.slug == spec.slug)).first()
    edition = edition or Edition(slug=spec.slug, title=spec.title)
    edition.title, edition.summary = spec.title, spec.summary
    session.add(edition)
    session.flush()
    return edition


def _upsert_host(session: Session, spec: HostSpec) -> HostOrganisation:
    values = spec.model_dump()
    host = session.exec(
        select(HostOrganisation).where(HostOrganisation.name == values["name"])
    ).first()
    host = host or HostOrganisation(name=values["name"])
    for key, value in values.items():
        setattr(host, key, value)
    session.add(host)
    session.flush()
    return host


def _replace_entries(
    session: Session,
    edition: Edition,
    spec: EditionSpec,
    challenges: dict[str, Challenge],
    hosts: dict[str, HostOrganisation],
) -> None:
    session.exec(delete(EditionChallenge).where(col(EditionChallenge.edition_id) == edition.id))
    for position, p in enumerate(spec.problem_statements):
        challenge = challenges[p.challenge]
        other = edition_of_challenge(session, challenge=challenge)
        if other is not None and other.id != edition.id:
            raise Conflict(
                f"{challenge.slug} is already a problem statement of edition {other.slug!r}; "
                "a challenge belongs to one edition"
            )
        host_id = hosts[p.host].id
        assert edition.id and challenge.id and host_id
        session.add(EditionChallenge(edition_id=edition.id, challenge_id=challenge.id,
                                     host_id=host_id, position=position))  # fmt: skip
    session.flush()


def _replace_rounds(
    session: Session, edition: Edition, specs: list[RoundSpec], challenges: dict[str, Challenge]
) -> None:
    declared = {r.name for r in specs}
    old_rounds = rounds_of(session, edition=edition)
    ids = [r.id for r in old_rounds]
    session.exec(delete(RoundPhase).where(col(RoundPhase.round_id).in_(ids)))
    for old in old_rounds:
        if old.name not in declared:
            _drop_round(session, old)
        else:
            old.position = -1 - (old.id or 0)  # out of the way of the new order
            session.add(old)
    session.flush()
    existing = {r.name: r for r in rounds_of(session, edition=edition)}
    for position, spec in enumerate(specs):
        _save_round(session, edition, existing.get(spec.name), spec, position, challenges)


def _drop_round(session: Session, round_: Round) -> None:
    used = session.exec(select(Advancement.id).where(Advancement.round_id == round_.id)).first()
    if used is not None:
        raise Conflict(
            f"round {round_.name!r} already let teams in and cannot be dropped; keep it in the "
            "edition's rounds"
        )
    session.delete(round_)


def _save_round(
    session: Session,
    edition: Edition,
    round_: Round | None,
    spec: RoundSpec,
    position: int,
    challenges: dict[str, Challenge],
) -> None:
    covered = [
        phase_rule.find_phase(_phases(session, challenges[s]), p) for s, p in spec.phases.items()
    ]
    start = spec.start or min(p.start for p in covered if p is not None)
    end = spec.end or max(p.end for p in covered if p is not None)
    advance = spec.advance
    assert edition.id is not None
    round_ = round_ or Round(edition_id=edition.id, name=spec.name, position=position,
                             start=start, end=end, entry=spec.entry)  # fmt: skip
    round_.position, round_.start, round_.end, round_.entry = position, start, end, spec.entry
    round_.advance_top_n = advance.top_n if advance else None
    round_.advance_shortlist = advance.shortlist if advance else False
    session.add(round_)
    session.flush()
    for slug, phase in spec.phases.items():
        _claim_phase(session, round_, challenges[slug], phase)


def _claim_phase(session: Session, round_: Round, challenge: Challenge, phase: str) -> None:
    taken = session.exec(
        select(RoundPhase).where(
            RoundPhase.challenge_id == challenge.id, RoundPhase.phase_name == phase
        )
    ).first()
    if taken is not None:
        raise Conflict(
            f"phase {phase!r} of {challenge.slug} already belongs to another round; "
            "a phase belongs to one round"
        )
    assert round_.id and challenge.id
    session.add(RoundPhase(round_id=round_.id, challenge_id=challenge.id, phase_name=phase))
    session.flush()
