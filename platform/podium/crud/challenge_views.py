"""Public views of challenges: built from an allow-list of the spec's sections.

The stored spec names hidden inputs, labels, baselines and the scoring program; none of those
sections is copied here, and the split secret and store paths never are.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from sqlmodel import Session

from challenges.paths import resolve_in_bundle
from challenges.schema import TaskSpec
from podium.crud.challenges import phases_of
from podium.db.models import (
    Challenge,
    ChallengeDetail,
    ChallengePublic,
    PhasePublic,
    PhaseSummary,
    PublicFileEntry,
    PublicFilePublic,
)
from podium.store import Store

API_PREFIX = "/api/v1"
_TASK_KEYS = (
    "description",
    "inputs",
    "predictions",
    "runtime_image",
    "model_file",
    "build_network",
)
# The label format's id and column names (never the file, its path or its content): `podium
# check` needs them to carve a validation set out of the public training data.
_LABEL_KEYS = ("id_column", "columns")
_METRIC_KEYS = ("primary", "secondary", "decimals")
_TASK_SHOWN: dict[str, Any] = {**dict.fromkeys(_TASK_KEYS, True), "labels": set(_LABEL_KEYS)}


def challenge_url(challenge: Challenge) -> str:
    """The challenge's API address."""
    return f"{API_PREFIX}/challenges/{challenge.slug}"


def challenge_public(session: Session, *, challenge: Challenge) -> ChallengePublic:
    """A challenge as the list shows it: title, summary, tags and phase dates."""
    phases = [
        PhaseSummary(name=p.name, start=p.start, end=p.end, public_fraction=p.public_fraction)
        for p in phases_of(session, challenge=challenge)
    ]
    return ChallengePublic.model_validate(challenge, update={"phases": phases})


def _task(task: TaskSpec) -> dict[str, Any]:
    return task.model_dump(mode="json", include=_TASK_SHOWN)


def _files(challenge: Challenge) -> list[PublicFilePublic]:
    base = f"{challenge_url(challenge)}/files"
    return [
        PublicFilePublic(
            name=entry["name"],
            kind=entry["kind"],
            description=entry["description"],
            size_bytes=entry["size_bytes"],
            sha256=entry["sha256"],
            url=f"{base}/{entry['name']}",
            files=[PublicFileEntry(**f) for f in entry["files"]],
        )
        for entry in challenge.public_files
    ]


def _description(challenge: Challenge, store: Store) -> str:
    path = resolve_in_bundle(store.bundle_dir(challenge.slug), challenge.parsed_spec.description)
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def challenge_detail(session: Session, *, challenge: Challenge, store: Store) -> ChallengeDetail:
    """Everything a participant may read about a challenge."""
    spec = challenge.parsed_spec
    phases = [PhasePublic.model_validate(p) for p in phases_of(session, challenge=challenge)]
    kit = starting_kit_name(challenge)
    return ChallengeDetail(
        slug=challenge.slug,
        title=challenge.title,
        summary=challenge.summary,
        tags=challenge.tags,
        published=challenge.published,
        revealed_private=challenge.revealed_private,
        created_at=challenge.created_at,
        description=_description(challenge, store),
        organisers=[o.model_dump(mode="json") for o in spec.organisers],
        terms=spec.terms,
        task=_task(spec.task),
        metrics=spec.metrics.model_dump(mode="json", include=set(_METRIC_KEYS)),
        teams=spec.teams.model_dump(mode="json"),
        judging=spec.judging.model_dump(mode="json") if spec.judging is not None else None,
        phases=phases,
        data=_files(challenge),
        starting_kit_url=f"{challenge_url(challenge)}/starting-kit" if kit else None,
    )


STARTING_KIT_NAMES = ("starting-kit", "starting_kit", "starter-kit", "starting_kit.zip")


def starting_kit_name(challenge: Challenge) -> str | None:
    """The public entry that is the starting kit, if the challenge has one."""
    for entry in challenge.public_files:
        base = PurePosixPath(entry["path"]).name
        if entry["name"] in STARTING_KIT_NAMES or base in STARTING_KIT_NAMES:
            return str(entry["name"])
    return None
