"""Make a submission's image from its file: load an archive, build a context, wrap a model file.

No database and no pipeline context: the worker's ``preparing`` stage
(:mod:`podium.pipeline.images`, which adds reuse and the build log) and ``podium check`` on a
participant's machine both call :func:`make_image`, so a model is built locally exactly as the
platform builds it: under the platform's build limits, from the challenge's allowed bases only,
with the challenge's build network, and a model file wrapped into its runtime image the same way.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import docker

from challenges import ChallengeSpec
from challenges.modelfile import wrap_model_file
from challenges.schema import SubmissionKind
from podium.settings import Settings
from sandbox.build_network import PackageAccess
from sandbox.building import BuildLimits, build_image
from sandbox.intake import load_image_archive


@dataclass(frozen=True)
class MadeImage:
    """The image a submission's file gave, with its build log (empty for a loaded archive)."""

    image_id: str
    digest: str
    build_log: str
    build_seconds: float


def build_limits(settings: Settings, spec: ChallengeSpec) -> BuildLimits:
    """The limits of a participant's build: the platform's, with the challenge's bases."""
    return BuildLimits(
        wall_seconds=settings.build_wall_seconds,
        memory_mb=settings.build_memory_mb,
        cpus=settings.build_cpus,
        processes=settings.build_processes,
        disk_mb=settings.build_disk_mb,
        layer_mb=settings.build_layer_mb,
        image_mb=settings.build_image_mb,
        allowed_bases=spec.task.allowed_bases,
    )


def make_image(
    client: docker.DockerClient,
    kind: SubmissionKind,
    path: Path,
    spec: ChallengeSpec,
    settings: Settings,
    *,
    labels: dict[str, str],
    packages: PackageAccess | None = None,
    cancel: threading.Event | None = None,
) -> MadeImage:
    """The image of submission file ``path`` of ``kind`` for the challenge ``spec``.

    Args:
        packages: the package proxy a build reaches when the challenge's build network is
            ``packages`` (None: builds have no network at all).
        labels: put on a built image (a loaded archive keeps its own).
        cancel: set to stop a build at once.

    Raises:
        ArchiveError, ImageError, BuildError: the submission's fault (a BuildError carries the
            tail of the build log).
        Cancelled: ``cancel`` was set during the build.
        EngineUnavailable: the engine could not be reached.
    """
    if kind == "image":
        loaded = load_image_archive(client, path, max_mb=settings.max_upload_mb)
        return MadeImage(loaded.image_id, loaded.digest, "", 0.0)
    limits = build_limits(settings, spec)
    if kind == "build":
        network = packages if spec.task.build_network == "packages" else None
        built = build_image(client, path, limits, labels=labels, packages=network, cancel=cancel)
    else:
        built = wrap_model_file(client, path, spec, limits, labels=labels, cancel=cancel)
    return MadeImage(built.image_id, built.digest, built.build_log, built.build_seconds)
