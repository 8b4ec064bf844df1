"""Which submission images a worker keeps; the others are removed, so disk use does not grow
with the number of submissions.

Pinned (never removed, never evicted): the images of every submission a team's leaderboard
entries use (public and private split, under the phase's rule), selected submissions,
baselines, submissions in flight, and submissions under reproduction. After each evaluation
the evaluated team's unpinned images are removed; every reaper pass evicts unpinned images,
oldest first, while the engine's image store is over the worker's budget. An image that is
needed again (a re-run, a reproduction) is loaded or rebuilt from the stored upload
(:mod:`podium.pipeline.images`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from contextlib import suppress

import docker
import docker.errors
import requests
from sqlmodel import Session, col, select

from leaderboard.ranking import PRIVATE, PUBLIC, rank
from podium.crud.leaderboards import load_entries
from podium.db.models import IN_FLIGHT_STATUSES, Challenge, Phase, Submission
from podium.db.models.judging import Reproduction
from podium.errors import InvalidInput
from podium.pipeline.context import SessionFactory
from podium.services.ranking import board_config
from sandbox.docker_errors import translate_docker_errors
from sandbox.engine_usage import disk_usage
from sandbox.errors import SandboxError

log = logging.getLogger(__name__)
_MB = 1024 * 1024


def pinned_ids(session: Session, *, phase: Phase, team_id: int) -> set[int]:
    """The submissions of ``team_id`` in ``phase`` whose images must stay."""
    rows = session.exec(
        select(Submission.id, Submission.selected, Submission.baseline, Submission.status)
        .where(Submission.phase_id == phase.id)
        .where(Submission.team_id == team_id)
    ).all()
    pinned = {
        sid for sid, selected, baseline, status in rows
        if sid is not None and (selected or baseline or status in IN_FLIGHT_STATUSES)
    }  # fmt: skip
    reproducing = session.exec(
        select(Reproduction.submission_id)
        .where(col(Reproduction.submission_id).in_([sid for sid, *_ in rows]))
        .where(col(Reproduction.checked_at).is_(None))
    ).all()
    pinned.update(reproducing)
    return pinned | _counted(session, phase, team_id, {sid for sid, *_ in rows if sid})


def _counted(session: Session, phase: Phase, team_id: int, every: set[int]) -> set[int]:
    """The team's entries on the public and the private leaderboard, under the phase's rule."""
    challenge = session.get(Challenge, phase.challenge_id)
    try:
        assert challenge is not None
        config = board_config(challenge, phase)
    except (AssertionError, InvalidInput):
        return every  # a broken configuration must never cost a team its image
    metrics = (config.primary, *config.secondary)
    entries = load_entries(session, phase=phase, metrics=metrics, team_id=team_id)
    counted: set[int] = set()
    for split in (PUBLIC, PRIVATE):
        board = rank(
            entries, primary=config.primary, split=split,
            greater_is_better=config.greater_is_better, secondary=config.secondary,
            rule=config.rule, phase_end=phase.end, decimals=config.decimals,
            choose_on=PUBLIC if split == PRIVATE else None,
        )  # fmt: skip
        counted.update(entry.submission_id for entry in board.entries)
    return counted


def releasable(session: Session, digests: Iterable[str]) -> list[str]:
    """Those of ``digests`` that no pinned submission (of any team or phase) uses."""
    wanted = sorted(set(digests))
    if not wanted:
        return []
    users = session.exec(
        select(Submission.image_digest, Submission.phase_id, Submission.team_id).where(
            col(Submission.image_digest).in_(wanted)
        )
    ).all()
    pinned_by: dict[tuple[int, int], set[int]] = {}
    kept: set[str] = set()
    for digest, phase_id, team_id in users:
        key = (phase_id, team_id)
        if key not in pinned_by:
            phase = session.get(Phase, phase_id)
            pinned_by[key] = pinned_ids(session, phase=phase, team_id=team_id) if phase else set()
        holders = session.exec(
            select(Submission.id)
            .where(Submission.image_digest == digest)
            .where(Submission.phase_id == phase_id, Submission.team_id == team_id)
        ).all()
        if pinned_by[key] & set(holders):
            kept.add(str(digest))
    return [digest for digest in wanted if digest not in kept]


def release_after(
    session_factory: SessionFactory, client: docker.DockerClient, submission_id: int
) -> list[str]:
    """Remove the unpinned images of the team and phase of ``submission_id``; never raises.

    Returns the image ids removed.
    """
    try:
        with session_factory() as session:
            submission = session.get(Submission, submission_id)
            if submission is None:
                return []
            digests = session.exec(
                select(Submission.image_digest)
                .where(Submission.phase_id == submission.phase_id)
                .where(Submission.team_id == submission.team_id)
                .where(col(Submission.image_digest).is_not(None))
            ).all()
            doomed = releasable(session, [d for d in digests if d])
        return [digest for digest in doomed if remove_image(client, digest)]
    except Exception:  # keeping an image is always safe; losing the evaluation's result is not
        log.warning("could not release the images of submission %s", submission_id, exc_info=True)
        return []


def evict_over_budget(
    session_factory: SessionFactory, client: docker.DockerClient, budget_mb: int
) -> list[str]:
    """Evict unpinned submission images, oldest first, while the image store is over budget.

    Raises:
        EngineUnavailable: the engine could not be reached.
    """
    with translate_docker_errors("measuring the image store"):
        usage = disk_usage(client)
    used = int(usage.get("LayersSize") or 0)
    if used <= budget_mb * _MB:
        return []
    on_engine = {
        str(image["Id"]): (int(image.get("Created") or 0), _unique_size(image))
        for image in usage.get("Images") or []
    }
    with session_factory() as session:
        ours = session.exec(
            select(Submission.image_digest).where(
                col(Submission.image_digest).in_(sorted(on_engine))
            )
        ).all()
        candidates = releasable(session, [d for d in ours if d])
    evicted: list[str] = []
    for digest in sorted(candidates, key=lambda d: on_engine[d][0]):
        if used <= budget_mb * _MB:
            break
        if remove_image(client, digest):
            used -= on_engine[digest][1]
            evicted.append(digest)
    return evicted


def remove_image(client: docker.DockerClient, image_id: str) -> bool:
    """Remove one image (and its untagged parents); False if it is gone already or in use."""
    try:
        with translate_docker_errors("removing a submission image"):
            client.api.remove_image(image_id, force=False)
    except SandboxError:  # in use by a container (a run of it): the next pass retries
        return False
    except (docker.errors.NotFound, requests.RequestException):
        return False
    return True


def _unique_size(image: dict[str, object]) -> int:
    size, shared = image.get("Size"), image.get("SharedSize")
    with suppress(TypeError, ValueError):
        return max(0, int(size) - max(0, int(shared)))  # type: ignore[call-overload]
    return 0
