"""Garbage collection of the registry: unpinned manifests, then the blobs no manifest holds.

A manifest in a team's repository stays while a submission that still needs it pins it, by the
same rule that keeps a worker's local images (:func:`podium.pipeline.retention.pinned_ids`:
the team's leaderboard entries on both splits, selected submissions, baselines, submissions in
flight or under reproduction); a manifest no submission pins is kept for ``grace`` after it was
pushed, so an image pushed but not yet submitted survives. The others are deleted through the
registry's API (the registry runs). A pushed image is not stored anywhere else: once collected,
a re-run of a submission that pinned it fails saying the image is gone.

Deleting a manifest frees no disk: its layers go when Distribution's own
``docker-registry garbage-collect`` runs, which must not overlap a push (it would delete the
layers of a push whose manifest has not arrived yet): :func:`collect_blobs` refuses while the
registry answers; the operator stops it (or `podium up`) for the minute it takes.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlmodel import Session, select

from podium.db.models import Phase, Submission, SubmissionKind, Team
from podium.pipeline.retention import pinned_ids
from podium.registry.access import TEAM_REPOSITORY
from podium.registry.client import RegistryClient
from podium.registry.config import RegistryFiles
from podium.registry.reference import pinned_digest
from podium.registry.storage import stored_manifests, team_repositories

DEFAULT_GRACE = timedelta(hours=24)


class RegistryRunning(Exception):
    """Blob collection was asked while the registry answers."""


@dataclass
class Collected:
    """What one pass deleted and kept."""

    deleted: list[str] = field(default_factory=list)  # repository@digest
    kept: int = 0


def needed_digests(session: Session, *, team_id: int) -> set[str]:
    """The manifest digests the team's pinned submissions pin (any phase)."""
    rows = session.exec(
        select(Submission.id, Submission.phase_id, Submission.file_path)
        .where(Submission.team_id == team_id)
        .where(Submission.kind == SubmissionKind.IMAGE)
    ).all()
    pinned: set[int] = set()
    for phase_id in {phase_id for _, phase_id, _ in rows}:
        phase = session.get(Phase, phase_id)
        if phase is not None:
            pinned |= pinned_ids(session, phase=phase, team_id=team_id)
    needed = set()
    for submission_id, _, file_path in rows:
        if submission_id in pinned and file_path:
            path = Path(file_path)
            digest = pinned_digest(path) if path.is_file() else None
            if digest is not None:
                needed.add(digest)
    return needed


def unpinned(
    session: Session, files: RegistryFiles, *, grace: timedelta, now: datetime | None = None
) -> list[tuple[str, str]]:
    """``(repository, digest)`` of every team manifest no submission needs, older than grace."""
    cutoff = (now or datetime.now(UTC)) - grace
    doomed = []
    for repository in team_repositories(files.data):
        match = TEAM_REPOSITORY.match(repository)
        assert match is not None  # team_repositories returns matching names only
        team = session.get(Team, int(match.group(2)))
        needed = needed_digests(session, team_id=team.id) if team and team.id else set()
        for digest, pushed_at in sorted(stored_manifests(files.data, repository).items()):
            if digest not in needed and pushed_at < cutoff:
                doomed.append((repository, digest))
    return doomed


def delete_unpinned(
    session: Session, registry: RegistryClient, files: RegistryFiles, *, grace: timedelta,
    now: datetime | None = None,
) -> Collected:  # fmt: skip
    """Delete the unpinned manifests of every team repository through the registry's API.

    Raises:
        RegistryUnavailable: the registry did not answer.
    """
    result = Collected()
    doomed = unpinned(session, files, grace=grace, now=now)
    for repository, digest in doomed:
        if _still_unneeded(session, repository, digest) and registry.delete(repository, digest):
            result.deleted.append(f"{repository}@{digest}")
        else:
            result.kept += 1
    return result


def _still_unneeded(session: Session, repository: str, digest: str) -> bool:
    """Asked again right before the delete: a submission may have arrived meanwhile."""
    session.expire_all()
    match = TEAM_REPOSITORY.match(repository)
    assert match is not None
    return digest not in needed_digests(session, team_id=int(match.group(2)))


def collect_blobs(files: RegistryFiles, registry_url: str, binary: str) -> str:
    """Run ``docker-registry garbage-collect`` on the store; returns its summary line.

    Raises:
        RegistryRunning: the registry at ``registry_url`` answers (stop it first).
        RuntimeError: the collection failed (its output says why).
    """
    if _answers(registry_url):
        raise RegistryRunning(
            f"the registry at {registry_url} is running; blob collection must not overlap a "
            "push: stop it (or podium up, or docker-compose stop registry) and run this again"
        )
    done = subprocess.run(
        [binary, "garbage-collect", str(files.config)], capture_output=True, text=True, check=False
    )
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    if done.returncode != 0:
        raise RuntimeError("docker-registry garbage-collect failed: " + " | ".join(lines[-3:]))
    return _summary(lines)


def _summary(lines: Iterable[str]) -> str:
    marked = [line for line in lines if "blobs marked" in line or "eligible for deletion" in line]
    return marked[-1].strip() if marked else "nothing to collect"


def _answers(url: str) -> bool:
    try:
        httpx.get(url.rstrip("/") + "/v2/", timeout=2.0)
    except httpx.HTTPError:
        return False
    return True
