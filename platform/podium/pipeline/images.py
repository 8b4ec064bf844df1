"""The ``preparing`` stage: turn a submission into an image and return its digest.

An image archive is loaded (or a pushed image pulled by its pinned digest from the registry:
:mod:`podium.registry.pull`), a build context is built (from the challenge's allowed bases only,
with the challenge's build network and the platform's build limits), a model file is wrapped
into the challenge's runtime image: :func:`podium.pipeline.image_making.make_image`, which
``podium check`` calls too. A digest already pinned on the submission (a re-run, a
retry), or the image of an earlier submission of the same team and challenge with the same
file, is reused when the engine still has it: the same bytes make the same image, and building
again only costs time. A cancelled submission stops its build at once.
"""

from __future__ import annotations

import threading

import docker
import docker.errors
import requests
from sqlmodel import col, select

from challenges import Bundle
from challenges.schema import SubmissionKind as Kind
from podium.db.models import Submission, SubmissionKind
from podium.pipeline.context import Attempt, PipelineContext
from podium.pipeline.faults import PlatformFault, Stop
from podium.pipeline.image_making import make_image
from podium.pipeline.logs import LogDir
from podium.registry.pull import pull_pinned
from sandbox.errors import BuildError, Cancelled

SUBMISSION_LABEL = "org.podium.submission"
BUILD_LOG = "build.log"
REBUILT_NOTE = "rebuilt.txt"
KINDS: dict[SubmissionKind, Kind] = {
    SubmissionKind.IMAGE: "image",
    SubmissionKind.BUILD: "build",
    SubmissionKind.MODEL: "model",
}


def prepare_image(
    ctx: PipelineContext,
    attempt: Attempt,
    bundle: Bundle,
    logs: LogDir,
    cancel: threading.Event | None = None,
) -> str:
    """The digest of the image to run for ``attempt``; loads, builds or wraps when needed.

    Raises:
        ArchiveError, ImageError, BuildError: the submission's fault (the build log is kept).
        EngineUnavailable: the engine could not be reached.
        Stop: the submission was cancelled while its image was being built.
    """
    reused = _reusable(ctx, attempt)
    if reused is not None:
        return reused
    digest = _prepare(ctx, attempt, bundle, logs, cancel)
    if attempt.pinned_digest and digest != attempt.pinned_digest:
        _check_again(attempt, digest, logs)
    return digest


def _prepare(
    ctx: PipelineContext,
    attempt: Attempt,
    bundle: Bundle,
    logs: LogDir,
    cancel: threading.Event | None,
) -> str:
    kind = SubmissionKind(attempt.kind)
    if kind is SubmissionKind.IMAGE:  # a pushed image's reference, or a docker save archive
        pulled = pull_pinned(
            ctx.client, ctx.settings, path=attempt.file_path, slug=attempt.challenge_slug,
            team_id=attempt.team_id,
        )  # fmt: skip
        if pulled is not None:
            return pulled
    try:
        made = make_image(
            ctx.client, KINDS[kind], attempt.file_path, bundle.spec, ctx.settings,
            labels={SUBMISSION_LABEL: str(attempt.submission_id)},
            packages=ctx.packages,
            cancel=cancel,
        )  # fmt: skip
    except BuildError as error:
        logs.write(BUILD_LOG, error.log_tail)
        raise
    except Cancelled:
        raise Stop("the submission was cancelled while its image was being built") from None
    if kind is not SubmissionKind.IMAGE:
        logs.write(BUILD_LOG, made.build_log)
    return made.digest


def _check_again(attempt: Attempt, digest: str, logs: LogDir) -> None:
    """An evicted image came back from the stored upload: say whether it is the same image.

    A loaded archive is content-addressed, so it must give the same id; a build is not
    bit-identical (steps stamp times), so its new id is recorded next to the evaluated one.

    Raises:
        PlatformFault: a stored image archive no longer gives the image that was evaluated.
    """
    if SubmissionKind(attempt.kind) is SubmissionKind.IMAGE:
        raise PlatformFault(
            f"the stored image archive gives {digest[:19]}, not the evaluated image "
            f"{(attempt.pinned_digest or '')[:19]}; the store may be damaged"
        )
    logs.write(
        REBUILT_NOTE,
        f"The image was evicted from the worker and rebuilt from the stored upload.\n"
        f"evaluated image: {attempt.pinned_digest}\nrebuilt image:   {digest}\n"
        "A rebuild is not bit-identical (build steps stamp times); the scores are compared.\n",
    )


def _reusable(ctx: PipelineContext, attempt: Attempt) -> str | None:
    candidates = [attempt.pinned_digest] if attempt.pinned_digest else []
    if attempt.file_sha256:
        candidates += _same_file_digests(ctx, attempt)
    for digest in candidates:
        if _engine_has(ctx.client, digest):
            return digest
    return None


def _same_file_digests(ctx: PipelineContext, attempt: Attempt) -> list[str]:
    with ctx.session_factory() as session:
        mine = session.get(Submission, attempt.submission_id)
        if mine is None:
            return []
        query = (
            select(Submission.image_digest)
            .where(Submission.challenge_id == mine.challenge_id)
            .where(Submission.team_id == mine.team_id)
            .where(Submission.kind == mine.kind)
            .where(Submission.file_sha256 == attempt.file_sha256)
            .where(col(Submission.image_digest).is_not(None))
            .order_by(col(Submission.id).desc())
            .limit(3)
        )
        return [digest for digest in session.exec(query).all() if digest]


def _engine_has(client: docker.DockerClient, digest: str) -> bool:
    try:
        client.api.inspect_image(digest)
    except (docker.errors.DockerException, requests.RequestException):
        return False  # gone or unreadable: prepare the image again
    return True
