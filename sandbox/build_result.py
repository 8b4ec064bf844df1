"""What a finished build is checked against before it is kept, and removing what it is not.

Every ancestor of the result, down to an allowed base, must be a layer this build made (the
third wall: see :mod:`sandbox.building`); the image and each of its new layers must be within
their caps. Whatever the build made that the kept image does not need is removed.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from contextlib import suppress

import docker
import docker.errors
import requests

from sandbox.build_steps import short_id
from sandbox.docker_errors import translate_docker_errors
from sandbox.errors import BuildError, ImageError
from sandbox.intake import require_entrypoint

_MB = 1024 * 1024


def verify_result(
    client: docker.DockerClient,
    image_id: str,
    bases: Mapping[str, str],
    made: Collection[str],
    *,
    image_mb: int,
    layer_mb: int,
) -> None:
    """Check the built image's lineage, sizes and entrypoint.

    Raises:
        ImageError: it does not descend from an allowed base through this build's layers only,
            or it has no ENTRYPOINT/CMD.
        BuildError: the image or one of its layers is over its cap.
    """
    allowed, own = set(bases.values()), []
    current = image_id
    with translate_docker_errors("checking your image", api_error=ImageError):
        while short_id(current) not in allowed:
            if short_id(current) not in made:
                raise ImageError(
                    "your image does not descend from one of the allowed bases through layers "
                    f"of this build only; write FROM with one of {', '.join(bases)}"
                )
            own.append(current)
            current = str(client.api.inspect_image(current).get("Parent") or "")
            if not current:
                raise ImageError("your image does not start from one of the allowed bases")
        attrs = client.api.inspect_image(image_id)
        history = client.api.history(image_id)
    _check_sizes(int(attrs.get("Size") or 0), history, set(own), image_mb, layer_mb)
    require_entrypoint(client, attrs, remove=False)


def _check_sizes(
    total: int, history: list[dict[str, object]], own: set[str], image_mb: int, layer_mb: int
) -> None:
    if total > image_mb * _MB:
        raise BuildError(
            f"your image is {total // _MB} MB; the limit is {image_mb} MB: use a smaller base "
            "and leave data out of the image",
            "",
        )
    for entry in history:
        size = int(str(entry.get("Size") or 0))
        if entry.get("Id") in own and size > layer_mb * _MB:
            step = " ".join(str(entry.get("CreatedBy", "")).split())[:120]
            raise BuildError(
                f"a layer of your image is {size // _MB} MB ({step}); the limit is "
                f"{layer_mb} MB per layer",
                "",
            )


def discard(
    client: docker.DockerClient,
    made: Iterable[str],
    *,
    keep: str | None,
    spare: Collection[str],
) -> None:
    """Remove the images in ``made`` (newest first), except ``keep`` and its ancestors and the
    ``spare`` ones (the bases)."""
    kept = set(spare)
    if keep is not None:
        kept.add(short_id(keep))
        with suppress(docker.errors.APIError, requests.RequestException):
            kept.update(short_id(str(entry.get("Id", ""))) for entry in client.api.history(keep))
    for short in reversed(list(made)):
        if short not in kept:
            with suppress(docker.errors.APIError, requests.RequestException):
                client.api.remove_image(short, force=False)
