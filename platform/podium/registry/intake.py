"""A pushed image made into a submission: the team's repository must hold the manifest.

The same two intake steps as an upload (:mod:`podium.crud.submission_intake`): the form is
planned (phase open, kind ``image`` accepted, quota), the manifest is checked in the team's
own repository against the build size caps (no layer over ``build_layer_mb``, no image over
``build_image_mb``), then the reference file pinning its digest
(:mod:`podium.registry.reference`) is accepted as the submission's file.
"""

from __future__ import annotations

import hashlib

from sqlmodel import Session

from podium.crud.roles import check_may_compete
from podium.crud.submission_intake import accept_submission, plan_submission
from podium.crud.teams import get_or_create_personal_team
from podium.db.models import Challenge, Submission, SubmissionKind, Team, User
from podium.errors import InvalidInput, TooLarge
from podium.registry.access import team_repository
from podium.registry.client import Manifest, RegistryClient
from podium.registry.reference import is_digest, reference_archive, reference_filename
from podium.settings import Settings
from podium.store import MB, Store, StoredFile


def own_repository(session: Session, *, user: User, challenge: Challenge) -> tuple[Team, str]:
    """The caller's team in ``challenge`` (made on first use) and its repository.

    Raises:
        PermissionDenied: the caller is staff of the challenge (staff do not compete).
    """
    check_may_compete(session, user=user, challenge=challenge)
    team = get_or_create_personal_team(session, user, challenge)
    return team, team_repository(challenge, team)


def check_sizes(manifest: Manifest, settings: Settings) -> None:
    """Refuse an image over the build caps (the same caps a built image meets).

    Raises:
        TooLarge: a layer or the whole image is over its cap.
    """
    for digest, size in manifest.layers:
        if size > settings.build_layer_mb * MB:
            raise TooLarge(
                f"layer {digest[:19]} is {size / MB:.0f} MB compressed, over the cap of "
                f"{settings.build_layer_mb} MB per layer; make that step smaller"
            )
    if manifest.layer_bytes > settings.build_image_mb * MB:
        raise TooLarge(
            f"the image is {manifest.layer_bytes / MB:.0f} MB compressed, over the cap of "
            f"{settings.build_image_mb} MB; start from a smaller runtime image"
        )


def accept_pushed(
    session: Session,
    *,
    settings: Settings,
    store: Store,
    registry: RegistryClient,
    challenge: Challenge,
    user: User,
    digest: str,
    phase_name: str | None,
    description: str,
) -> Submission:
    """Commit a submission (``submitted``) pinning manifest ``digest`` of the caller's team.

    Raises:
        InvalidInput: not a digest, or the team's repository holds no such image.
        TooLarge: the image is over the size caps.
        PermissionDenied, Conflict, QuotaExceeded: as an upload (see ``plan_submission``).
        RegistryUnavailable: the registry did not answer (a platform fault).
    """
    if not is_digest(digest):
        raise InvalidInput(f"{digest!r} is not a manifest digest; expected sha256:<64 hex digits>")
    filename = reference_filename(digest)
    intake = plan_submission(
        session, challenge=challenge, user=user, kind=SubmissionKind.IMAGE,
        phase_name=phase_name, filename=filename,
    )  # fmt: skip
    _, repository = own_repository(session, user=user, challenge=challenge)
    manifest = registry.manifest(repository, digest)
    if manifest is None:
        raise InvalidInput(
            f"{repository} holds no image {digest}; push it there first "
            "(podium submit --image TAG does both)"
        )
    check_sizes(manifest, settings)
    stored = _stage(reference_archive(digest), store)
    try:
        return accept_submission(
            session, intake=intake, user=user, upload=stored, description=description,
            store=store,
        )  # fmt: skip
    finally:
        stored.path.unlink(missing_ok=True)


def _stage(content: bytes, store: Store) -> StoredFile:
    path = store.new_upload_path()
    path.write_bytes(content)
    return StoredFile(path, len(content), hashlib.sha256(content).hexdigest())
