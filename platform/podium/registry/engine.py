"""Pushes and pulls through a Docker engine, authorised by a registry token (no ``docker login``).

The engine does the registry protocol itself: it asks the registry which layers it already
holds (HEAD, or a cross-repository mount from the runtime images it pushed or pulled there)
and uploads only the missing ones, compressed. The token travels in the request's
``X-Registry-Auth`` header (``registrytoken``), so nothing is written to ``~/.docker``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import docker
import docker.errors
import requests

from sandbox.errors import EngineUnavailable, ImageError

Progress = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class Pushed:
    """An image in the registry: ``repository@digest`` and the manifest's byte size."""

    repository: str
    digest: str
    size_bytes: int


def registry_host(url: str) -> str:
    """``host:port`` of a registry URL, as an image reference names it."""
    return url.split("://", 1)[-1].rstrip("/")


def push(
    client: docker.DockerClient,
    image: str,
    *,
    host: str,
    repository: str,
    tag: str,
    token: str,
    progress: Progress | None = None,
) -> Pushed:
    """Push local ``image`` as ``host/repository:tag``; the temporary tag is removed after.

    Raises:
        ImageError: the image is not on the engine, or the registry refused the push.
        EngineUnavailable: the engine could not be reached.
    """
    target = f"{host}/{repository}"
    with _engine_errors(f"pushing {image}"):
        client.api.tag(image, target, tag)
        try:
            stream = client.api.push(
                target, tag, stream=True, decode=True, auth_config={"registrytoken": token}
            )
            digest, size = _follow(stream, progress, f"push of {image}")
        finally:
            with contextlib.suppress(docker.errors.APIError):
                client.api.remove_image(f"{target}:{tag}", noprune=True)
    return Pushed(repository, digest, size)


def pull(
    client: docker.DockerClient,
    *,
    host: str,
    repository: str,
    digest: str,
    token: str,
    progress: Progress | None = None,
) -> str:
    """Pull ``host/repository@digest`` (the engine checks the digest); returns the image id.

    Raises:
        ImageError: the registry does not hold that manifest there, or refused the pull.
        EngineUnavailable: the engine could not be reached.
    """
    target = f"{host}/{repository}"
    with _engine_errors(f"pulling {repository}@{digest[:19]}"):
        stream = client.api.pull(
            target, digest, stream=True, decode=True, auth_config={"registrytoken": token}
        )
        _follow(stream, progress, f"pull of {repository}@{digest[:19]}")
        image_id: str = client.api.inspect_image(f"{target}@{digest}")["Id"]
    return image_id


def _follow(
    stream: Iterator[dict[str, Any]], progress: Progress | None, what: str
) -> tuple[str, int]:
    digest, size = "", 0
    for event in stream:
        if "error" in event:
            raise ImageError(f"the {what} failed: {event.get('error')}")
        aux = event.get("aux")
        if isinstance(aux, dict) and "Digest" in aux:
            digest, size = str(aux["Digest"]), int(aux.get("Size", 0))
        if progress is not None:
            progress(event)
    return digest, size


@contextlib.contextmanager
def _engine_errors(what: str) -> Iterator[None]:
    try:
        yield
    except docker.errors.ImageNotFound as error:
        raise ImageError(f"{what}: no such image on the engine ({error.explanation})") from None
    except docker.errors.APIError as error:
        raise ImageError(f"{what} failed: {error.explanation or error}") from None
    except (docker.errors.DockerException, requests.RequestException) as error:
        raise EngineUnavailable(f"{what}: the Docker engine did not answer ({error})") from None
