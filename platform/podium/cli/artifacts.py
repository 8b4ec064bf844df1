"""What a participant hands over: a build context folder, a local image, a bare model file, or
a predictions file (for phases whose test inputs are public).

`podium submit` turns each into the one file the API takes; `podium check` turns each of the
first three into a local image to run. Exactly one is given; :func:`choose` enforces it.
"""

from __future__ import annotations

import gzip
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import docker
import docker.errors

from sandbox.docker_errors import translate_docker_errors
from sandbox.errors import ImageError
from sandbox.packing import pack_folder

Kind = Literal["build", "image", "model", "predictions"]


class ArtifactError(Exception):
    """The participant's folder, image or model file cannot be used; the message says why."""


@dataclass(frozen=True)
class Artifact:
    """One thing to submit or check: ``value`` is a folder, an image tag or a file path."""

    kind: Kind
    value: str

    def describe(self) -> str:
        noun = {
            "build": "build context",
            "image": "image",
            "model": "model file",
            "predictions": "predictions file",
        }[self.kind]
        return f"{noun} {self.value}"


def choose(
    path: Path | None, image: str | None, model: Path | None, predictions: Path | None = None
) -> Artifact:
    """The one artifact given on the command line, checked to exist (images are checked later)."""
    given = [x for x in (path, image, model, predictions) if x is not None]
    if len(given) != 1:
        also = ", --predictions FILE" if predictions is not None else ""
        raise ArtifactError(
            f"give exactly one of: a folder with a Dockerfile, --image TAG, --model FILE{also}"
        )
    if predictions is not None:
        if not predictions.is_file():
            raise ArtifactError(f"{predictions} is not a file; give your predictions file")
        return Artifact("predictions", str(predictions))
    if path is not None:
        if not path.is_dir():
            raise ArtifactError(f"{path} is not a folder; give a folder that holds a Dockerfile")
        if not (path / "Dockerfile").is_file():
            raise ArtifactError(f"{path} has no Dockerfile at its top; add one or use --image")
        return Artifact("build", str(path))
    if model is not None:
        if not model.is_file():
            raise ArtifactError(f"{model} is not a file; give the saved model file")
        return Artifact("model", str(model))
    return Artifact("image", str(image))


def pack_context(folder: Path, work_dir: Path) -> Path:
    """``folder`` as a gzip-compressed tar in ``work_dir`` (links and caches left out)."""
    plain = pack_folder(folder, work_dir / "context.tar")
    packed = work_dir / f"{folder.resolve().name or 'context'}.tar.gz"
    with plain.open("rb") as src, gzip.open(packed, "wb", compresslevel=6) as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
    plain.unlink()
    return packed


def save_image(client: docker.DockerClient, tag: str, work_dir: Path) -> Path:
    """``docker save`` of the local image ``tag``, streamed to a file in ``work_dir``."""
    image = local_image(client, tag)
    target = work_dir / "image.tar"
    with (
        translate_docker_errors("saving your image", api_error=ImageError),
        target.open("wb") as out,
    ):
        for chunk in image.save(chunk_size=1 << 20, named=True):
            out.write(chunk)
    return target


def local_image(client: docker.DockerClient, tag: str) -> docker.models.images.Image:
    """The local image ``tag`` (never pulled)."""
    try:
        with translate_docker_errors("finding your image", api_error=ImageError):
            return client.images.get(tag)
    except ImageError:
        raise ArtifactError(
            f"there is no local image {tag!r}; build it (`docker build -t {tag} .`) "
            "or check `docker images`"
        ) from None


def upload_file(artifact: Artifact, client: docker.DockerClient | None, work_dir: Path) -> Path:
    """The file the API takes for ``artifact`` (a packed context, a saved image, the model)."""
    if artifact.kind == "build":
        return pack_context(Path(artifact.value), work_dir)
    if artifact.kind in ("model", "predictions"):
        return Path(artifact.value)
    if client is None:
        raise ArtifactError("saving an image needs the Docker engine")
    return save_image(client, artifact.value, work_dir)
