"""Deliverables: the rules on who hands in what, when, and who reads it.

* A phase declares its deliverables in the bundle (``challenges.deliverables``); the phase row
  keeps them (``Phase.deliverables``).
* Only a member of the team hands one in, only for a phase the team is in (a round entered
  by advancement takes only the teams that advanced: intake's rule,
  :func:`~podium.crud.advancement.check_round_entry`), and only while the phase is open
  (``[start, end)``, :func:`challenges.phases.is_open`); the challenge's staff, who may read
  the team's deliverables, are refused (403), anyone else meets 404.
* A file is checked by its content (:func:`challenges.deliverables.check_file`) and capped at
  the deliverable's ``max_mb`` (and the platform's ``max_deliverable_mb``); it is kept under
  ``store/deliverables/<team id>/`` with a sanitised name carrying its type's extension.
  A link is checked by :func:`challenges.deliverables.check_link` and never fetched.
* A new version replaces the old one (its file is removed once the new row is committed): only
  the latest counts, and only the latest is kept.
* The team's members, the challenge's organisers and judges and site administrators read a
  team's deliverables; for anyone else the team has none (404), so nothing leaks.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from challenges import phases as phase_rule
from challenges.deliverables import Deliverable, check_file, check_link
from challenges.errors import DeliverableRefused
from podium.crud import roles
from podium.crud.advancement import check_round_entry
from podium.crud.challenges import phases_of, require_challenge_by_id
from podium.crud.teams import member_count, membership
from podium.db.models import Challenge, Phase, Team, User
from podium.db.models.deliverables import DeliverablePublic, DeliverableRow, TeamDeliverables
from podium.db.types import utcnow
from podium.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from podium.store import MB, Store, StoredFile, move_into, safe_filename

_DECLARED = TypeAdapter(list[Deliverable])


def declared(phase: Phase) -> list[Deliverable]:
    """The deliverables the phase row declares, typed.

    Raises:
        InvalidInput: the stored list no longer reads (register the bundle again).
    """
    try:
        return _DECLARED.validate_python(phase.deliverables or [])
    except ValidationError as error:
        raise InvalidInput(f"phase {phase.name!r} has invalid deliverables: {error}") from None


def readable_team(session: Session, *, team_id: int, user: User) -> tuple[Team, Challenge]:
    """The team and its challenge, when ``user`` may read its deliverables.

    Raises:
        NotFound: no such team, or ``user`` is neither its member nor staff of its challenge.
    """
    team = session.get(Team, team_id)
    if team is not None:
        challenge = require_challenge_by_id(session, challenge_id=team.challenge_id)
        if membership(session, team=team, user=user) is not None or roles.is_staff(
            session, user=user, challenge=challenge
        ):
            return team, challenge
    raise NotFound(f"no team with id {team_id} whose deliverables you may see")


@dataclass(frozen=True)
class Plan:
    """A hand-in that passed every check but the content's: where it goes and its cap."""

    team: Team
    challenge: Challenge
    phase: Phase
    deliverable: Deliverable
    max_bytes: int


def plan(
    session: Session,
    *,
    team: Team,
    challenge: Challenge,
    user: User,
    phase_name: str,
    key: str,
    max_mb: int,
    now: datetime | None = None,
) -> Plan:
    """Check a hand-in before its content is read: the deliverable, the member, the window.

    ``max_mb`` is the platform's cap; the deliverable's own cap applies when smaller.

    Raises:
        NotFound: no such phase or deliverable (the message lists them).
        PermissionDenied: ``user`` is not a member of the team, or the team did not advance
            into the phase's round.
        Conflict: the phase is not open now.
    """
    phase, deliverable = _find(session, challenge=challenge, phase_name=phase_name, key=key)
    if membership(session, team=team, user=user) is None:
        raise PermissionDenied(
            f"only members of team {team.name!r} hand in its deliverables; you may read them"
        )
    check_round_entry(session, challenge=challenge, phase=phase, team=team)
    now = now or utcnow()
    if not phase_rule.is_open(phase, now):
        raise Conflict(
            f"{deliverable.title} ({key}) can be handed in only while phase {phase.name!r} is "
            f"open; it {phase_rule.state_of(phase, now)}"
        )
    cap = min(deliverable.cap_mb, max_mb)
    return Plan(team, challenge, phase, deliverable, cap * MB)


def _find(
    session: Session, *, challenge: Challenge, phase_name: str, key: str
) -> tuple[Phase, Deliverable]:
    phases = phases_of(session, challenge=challenge)
    phase = phase_rule.find_phase(phases, phase_name)
    if phase is None:
        raise NotFound(
            f"no phase {phase_name!r} in {challenge.slug}; phases: {phase_rule.names(phases)}"
        )
    found = declared(phase)
    deliverable = next((d for d in found if d.key == key), None)
    if deliverable is None:
        keys = ", ".join(repr(d.key) for d in found) or "none"
        raise NotFound(f"phase {phase_name!r} asks for no deliverable {key!r}; it asks for: {keys}")
    return phase, deliverable


def too_large_message(chosen: Plan, filename: str) -> str:
    """What a team reads when its file passed the cap."""
    return (
        f"{filename} is larger than {chosen.max_bytes // MB} MB, the limit for "
        f"{chosen.deliverable.title}; make it smaller (compress its images) and upload again"
    )


def accept_file(
    session: Session, *, chosen: Plan, user: User, upload: StoredFile, filename: str, store: Store
) -> DeliverableRow:
    """Check the received file's content, keep it in the team's folder and record it.

    Raises:
        InvalidInput: the content is not what the deliverable takes (says what it looks like).
    """
    clean = safe_filename(filename, default=chosen.deliverable.key)
    try:
        found = check_file(chosen.deliverable, upload.path, clean)
    except DeliverableRefused as refused:
        raise InvalidInput(refused.message) from None
    stem = clean.rsplit(".", 1)[0] if "." in clean else clean
    name = f"{stem or chosen.deliverable.key}{found.extension}"
    assert chosen.team.id is not None and chosen.phase.id is not None
    folder = store.deliverables_dir(chosen.team.id) / str(chosen.phase.id) / chosen.deliverable.key
    kept = move_into(upload.path, folder / f"{uuid.uuid4().hex}{found.extension}")
    values: dict[str, object] = {
        "file_path": kept.relative_to(store.root).as_posix(),
        "link": None,
        "filename": name,
        "media_type": found.media_type,
        "size_bytes": upload.size_bytes,
        "sha256": upload.sha256,
    }
    try:
        return _record(session, chosen=chosen, user=user, store=store, values=values)
    except BaseException:
        kept.unlink(missing_ok=True)
        raise


def put_link(
    session: Session, *, chosen: Plan, user: User, url: str, store: Store
) -> DeliverableRow:
    """Record a link deliverable (checked, never fetched).

    Raises:
        InvalidInput: not an address the deliverable takes (says why).
    """
    try:
        clean = check_link(chosen.deliverable, url)
    except DeliverableRefused as refused:
        raise InvalidInput(refused.message) from None
    values: dict[str, object] = {
        "file_path": None,
        "link": clean,
        "filename": "",
        "media_type": "",
        "size_bytes": 0,
        "sha256": "",
    }
    return _record(session, chosen=chosen, user=user, store=store, values=values)


def _existing(session: Session, chosen: Plan) -> DeliverableRow | None:
    return _row_of(session, chosen.team, chosen.phase, chosen.deliverable.key)


def _row_of(session: Session, team: Team, phase: Phase, key: str) -> DeliverableRow | None:
    """What ``team`` handed in for deliverable ``key`` of ``phase`` (one row at most)."""
    query = select(DeliverableRow).where(
        DeliverableRow.team_id == team.id,
        DeliverableRow.phase_id == phase.id,
        DeliverableRow.key == key,
    )
    return session.exec(query).first()


def _record(
    session: Session, *, chosen: Plan, user: User, store: Store, values: dict[str, object]
) -> DeliverableRow:
    """Insert or replace the row; the replaced file is removed once the new row is committed."""
    for attempt in range(2):
        row = _existing(session, chosen)
        old_path = row.file_path if row is not None else None
        if row is None:
            assert chosen.challenge.id and chosen.phase.id and chosen.team.id
            row = DeliverableRow(
                challenge_id=chosen.challenge.id, phase_id=chosen.phase.id,
                team_id=chosen.team.id, key=chosen.deliverable.key, kind=chosen.deliverable.kind,
            )  # fmt: skip
        for name, value in values.items():
            setattr(row, name, value)
        row.uploaded_by, row.uploaded_at = user.id, utcnow()
        session.add(row)
        try:
            session.commit()
        except IntegrityError:  # another member's first version landed meanwhile: replace it
            session.rollback()
            if attempt:
                raise
            continue
        session.refresh(row)
        if old_path and old_path != row.file_path:
            _remove(store, old_path)
        return row
    raise AssertionError("unreachable")


def _remove(store: Store, relative: str) -> None:
    path = _stored_path(store, relative)
    if path is not None:
        path.unlink(missing_ok=True)


def _stored_path(store: Store, relative: str) -> Path | None:
    """The stored file's path, only when it lies under the store's deliverables folder."""
    root = (store.root / "deliverables").resolve()
    path = (store.root / relative).resolve()
    return path if path.is_relative_to(root) else None


@dataclass(frozen=True)
class StoredDeliverable:
    """A deliverable's file, ready to be served."""

    path: Path
    filename: str
    media_type: str


def open_file(
    session: Session, *, team: Team, challenge: Challenge, phase_name: str, key: str, store: Store
) -> StoredDeliverable:
    """The file the team handed in for ``key`` (the caller checked who may read it).

    Raises:
        NotFound: no such deliverable, or nothing (or a link) handed in for it.
    """
    phase, deliverable = _find(session, challenge=challenge, phase_name=phase_name, key=key)
    row = _row_of(session, team, phase, key)
    path = _stored_path(store, row.file_path) if row is not None and row.file_path else None
    if row is None or path is None or not path.is_file():
        raise NotFound(f"team {team.name!r} has handed in no file for {deliverable.title} ({key})")
    return StoredDeliverable(path, row.filename, row.media_type)


def download_url(team_id: int, phase: str, key: str) -> str:
    """Where the API serves a file deliverable."""
    return f"/api/v1/teams/{team_id}/deliverables/{phase}/{key}/file"


def team_deliverables(session: Session, *, team: Team, challenge: Challenge) -> TeamDeliverables:
    """Every declared deliverable of every phase, with what the team handed in."""
    assert team.id is not None
    found = for_teams(session, challenge=challenge, team_ids=[team.id])
    return TeamDeliverables(team_id=team.id, team_name=team.name, deliverables=found[team.id])


def for_teams(
    session: Session, *, challenge: Challenge, team_ids: list[int], phase: Phase | None = None
) -> dict[int, list[DeliverablePublic]]:
    """Per team, the declared deliverables (of ``phase``, else of every phase) and their state."""
    phases = [phase] if phase is not None else phases_of(session, challenge=challenge)
    phases = [p for p in phases if declared(p)]
    rows = _rows(session, phase_ids=[p.id for p in phases if p.id is not None], team_ids=team_ids)
    usernames = _usernames(session, {r.uploaded_by for r in rows.values() if r.uploaded_by})
    teams = {t.id: t for t in session.exec(select(Team).where(col(Team.id).in_(team_ids))).all()}
    found: dict[int, list[DeliverablePublic]] = {}
    for team_id in team_ids:
        found[team_id] = []
        for p in phases:
            entered = _takes_part(session, challenge, p, teams.get(team_id))
            found[team_id] += [
                _public(p, d, rows.get((team_id, p.id or 0, d.key)), team_id, usernames, entered)
                for d in declared(p)
            ]
    return found


def _takes_part(session: Session, challenge: Challenge, phase: Phase, team: Team | None) -> bool:
    """Whether the team is in the phase: a round entered by advancement takes only the teams
    that advanced (:func:`~podium.crud.advancement.check_round_entry`, intake's rule)."""
    try:
        check_round_entry(session, challenge=challenge, phase=phase, team=team)
    except PermissionDenied:
        return False
    return True


def _rows(
    session: Session, *, phase_ids: list[int], team_ids: list[int]
) -> dict[tuple[int, int, str], DeliverableRow]:
    if not phase_ids or not team_ids:
        return {}
    query = select(DeliverableRow).where(
        col(DeliverableRow.phase_id).in_(phase_ids), col(DeliverableRow.team_id).in_(team_ids)
    )
    return {(r.team_id, r.phase_id, r.key): r for r in session.exec(query).all()}


def _usernames(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    query = select(User.id, User.username).where(col(User.id).in_(ids))
    return {uid: name for uid, name in session.exec(query).all() if uid is not None}


def _public(
    phase: Phase,
    deliverable: Deliverable,
    row: DeliverableRow | None,
    team_id: int,
    usernames: dict[int, str],
    entered: bool,
) -> DeliverablePublic:
    public = DeliverablePublic(
        phase=phase.name, key=deliverable.key, kind=deliverable.kind, title=deliverable.title,
        description=deliverable.description, required=deliverable.required,
        accepts=deliverable.accepts, max_mb=deliverable.cap_mb if deliverable.is_file else None,
        missing=entered and deliverable.required and row is None, expected=entered,
    )  # fmt: skip
    if row is None:
        return public
    return public.model_copy(
        update={
            "filename": row.filename or None,
            "media_type": row.media_type or None,
            "size_bytes": row.size_bytes if row.file_path else None,
            "sha256": row.sha256 or None,
            "link": row.link,
            "uploaded_by": usernames.get(row.uploaded_by or 0),
            "uploaded_at": row.uploaded_at,
            "download_url": download_url(team_id, phase.name, deliverable.key)
            if row.file_path
            else None,
        }
    )


def challenge_deliverables(
    session: Session, *, challenge: Challenge, phase: Phase | None = None
) -> list[TeamDeliverables]:
    """Every competing team's deliverables (staff's view), teams by name."""
    query = select(Team).where(Team.challenge_id == challenge.id).order_by(col(Team.name))
    teams = [t for t in session.exec(query).all() if t.id is not None and _competes(session, t)]
    found = for_teams(
        session, challenge=challenge, team_ids=[t.id for t in teams if t.id], phase=phase
    )
    return [
        TeamDeliverables(team_id=t.id, team_name=t.name, deliverables=found[t.id])
        for t in teams
        if t.id is not None
    ]


def _competes(session: Session, team: Team) -> bool:
    return member_count(session, team=team) > 0  # the baseline team has no members
