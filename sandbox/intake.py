"""Take a participant's `docker save` archive in, safely (building a context: `sandbox.building`).

The archive is streamed member by member into a rewritten copy (tags removed, names checked,
every layer measured after decompression: `sandbox.image_archive`) and only that copy reaches
the engine, because an archive's `RepoTags` would otherwise re-tag images on the worker (e.g.
overwrite `podium/runtime-python:3.11`). Nothing is ever pulled.
"""

from __future__ import annotations

import re
import tempfile
from contextlib import suppress
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import docker
import docker.errors

from sandbox.docker_errors import translate_docker_errors
from sandbox.errors import ImageError
from sandbox.image_archive import DEFAULT_IMAGE_LIMITS, ImageLimits, config_id, rewrite_save

__all__ = ["ImageLimits", "LoadedImage", "load_image_archive", "require_entrypoint"]

_MB = 1024 * 1024
_NO_ENTRYPOINT = "your image has no ENTRYPOINT or CMD; add one that writes predictions to /output"


@dataclass(frozen=True)
class LoadedImage:
    """An image loaded from a participant's archive; run it by `digest`, never by a tag."""

    image_id: str
    digest: str  # a loaded image has no registry digest: its content address is its id
    size_mb: float
    tags: tuple[str, ...]  # as named in the archive, informational only: never applied


def load_image_archive(
    client: docker.DockerClient,
    path: Path,
    limits: ImageLimits = DEFAULT_IMAGE_LIMITS,
    *,
    max_mb: int | None = None,
) -> LoadedImage:
    """Load a `docker save` archive (tar or gzip) holding exactly one image, without its tags.

    Every layer is measured after decompression, and the layers counted, before the engine
    sees anything; the rewritten copy is removed whatever happens.

    Args:
        client: a connected Docker client.
        path: the uploaded archive.
        limits: sizes (after decompression), layers and entries the image may have.
        max_mb: when given, replaces `limits.max_total_mb` (the cap on the file and on all it
            unpacks to).

    Returns:
        The loaded image, identified by its id.

    Raises:
        ArchiveError: an unsafe or unreadable member.
        ImageError: not one image, over a limit, no ENTRYPOINT/CMD, or refused by the engine.
        EngineUnavailable: the engine could not be reached.
    """
    if max_mb is not None:
        limits = replace(limits, max_total_mb=max_mb)
    size = path.stat().st_size
    if size > limits.max_total_mb * _MB:
        raise ImageError(
            f"your image archive is {size // _MB} MB; the limit is {limits.max_total_mb} MB: "
            "use a smaller base image and leave data out of the image"
        )
    handle, name = tempfile.mkstemp(prefix=".podium-load-", suffix=".tar", dir=path.parent)
    rewritten = Path(name)
    try:
        with open(handle, "wb") as out:
            entry = rewrite_save(path, out, limits)
        image_id, is_new = _load(client, rewritten, config_id(entry.get("Config")))
    finally:
        rewritten.unlink(missing_ok=True)
    with translate_docker_errors("checking your image", api_error=ImageError):
        attrs = client.api.inspect_image(image_id)
    require_entrypoint(client, attrs, remove=is_new)
    tags = tuple(str(tag) for tag in entry.get("RepoTags") or ())
    return LoadedImage(image_id, image_id, round(attrs.get("Size", 0) / _MB, 1), tags)


def _load(client: docker.DockerClient, archive: Path, expected: str | None) -> tuple[str, bool]:
    """Load the rewritten archive; check one image came out and no tag moved onto it.

    Returns the image id and whether the engine did not hold it before.
    """
    action = "loading your image"
    with translate_docker_errors(action, api_error=ImageError):
        before = _images(client)
        with archive.open("rb") as data:
            messages = [
                str(chunk.get("stream", "")) + str(chunk.get("error", ""))
                for chunk in client.api.load_image(data)
            ]
        text = " ".join(" ".join(messages).split())
        loaded = re.findall(r"Loaded image ID: (sha256:[0-9a-f]{64})", text)
        if len(loaded) != 1 or (expected and loaded[0] != expected):
            raise ImageError(
                f"the Docker engine could not load your image: {text[-500:]}; "
                "create the archive again with docker save IMAGE -o model.tar"
            )
        after = _images(client)
    moved = set(after.get(loaded[0], ())) - set(before.get(loaded[0], ()))
    if moved:  # cannot happen with RepoTags removed; if it does, undo it before refusing
        _restore_tags(client, moved, before)
        raise ImageError(f"loading your image changed tags {sorted(moved)}; this is refused")
    return loaded[0], loaded[0] not in before


def _images(client: docker.DockerClient) -> dict[str, list[str]]:
    """Image id -> its tags, as the engine sees them now."""
    return {
        str(image["Id"]): [t for t in image.get("RepoTags") or () if t != "<none>:<none>"]
        for image in client.api.images(all=True)
    }


def _restore_tags(
    client: docker.DockerClient, moved: set[str], before: dict[str, list[str]]
) -> None:
    owners = {tag: image for image, tags in before.items() for tag in tags}
    with translate_docker_errors("restoring image tags"):
        for tag in moved:
            if tag in owners:
                repository, _, name = tag.rpartition(":")
                client.api.tag(owners[tag], repository, name, force=True)
            else:
                client.api.remove_image(tag, noprune=True)


def require_entrypoint(client: docker.DockerClient, attrs: dict[str, Any], *, remove: bool) -> None:
    config = attrs.get("Config") or {}
    if config.get("Entrypoint") or config.get("Cmd"):
        return
    if remove:  # it came in with this submission and is useless: do not leave it behind
        with suppress(docker.errors.APIError):
            client.api.remove_image(attrs["Id"], force=False)
    raise ImageError(_NO_ENTRYPOINT)
