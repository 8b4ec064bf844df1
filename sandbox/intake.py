"""Take a participant's `docker save` archive in, safely (building a context: `sandbox.building`).

The archive is streamed member by member into a rewritten copy (tags removed, names checked,
sizes counted) and only that copy reaches the engine, because an archive's `RepoTags` would
otherwise re-tag images on the worker (e.g. overwrite `podium/runtime-python:3.11`). Nothing is
ever pulled.
"""

from __future__ import annotations

import io
import json
import posixpath
import re
import tarfile
import tempfile
import time
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import docker
import docker.errors

from sandbox.archives import check_entry_name
from sandbox.docker_errors import translate_docker_errors
from sandbox.errors import ArchiveError, ImageError

_MB = 1024 * 1024
_MAX_JSON_BYTES = 4 * _MB
_SAVE_HINT = "save exactly one: docker save IMAGE -o model.tar"
_NO_ENTRYPOINT = "your image has no ENTRYPOINT or CMD; add one that writes predictions to /output"
# Tag annotations of an OCI index; newer engines would apply them on load like RepoTags.
_OCI_NAME_KEYS = ("io.containerd.image.name", "org.opencontainers.image.ref.name")


@dataclass(frozen=True)
class LoadedImage:
    """An image loaded from a participant's archive; run it by `digest`, never by a tag."""

    image_id: str
    digest: str  # a loaded image has no registry digest: its content address is its id
    size_mb: float
    tags: tuple[str, ...]  # as named in the archive, informational only: never applied


@dataclass
class _SaveFacts:
    manifest: list[dict[str, Any]] = field(default_factory=list)
    index: dict[str, Any] | None = None


def load_image_archive(
    client: docker.DockerClient, path: Path, *, max_mb: int = 4096
) -> LoadedImage:
    """Load a `docker save` archive (tar or gzip) holding exactly one image, without its tags.

    Args:
        client: a connected Docker client.
        path: the uploaded archive.
        max_mb: cap on the file and on its uncompressed size.

    Returns:
        The loaded image, identified by its id.

    Raises:
        ArchiveError: an unsafe or unreadable member.
        ImageError: not one image, too large, no ENTRYPOINT/CMD, or refused by the engine.
        EngineUnavailable: the engine could not be reached.
    """
    size = path.stat().st_size
    if size > max_mb * _MB:
        raise ImageError(
            f"your image archive is {size // _MB} MB; the limit is {max_mb} MB: "
            "use a smaller base image and leave data out of the image"
        )
    handle, name = tempfile.mkstemp(prefix=".podium-load-", suffix=".tar", dir=path.parent)
    rewritten = Path(name)
    try:
        with open(handle, "wb") as out:
            facts = _rewrite_save(path, out, max_mb * _MB)
        entry = facts.manifest[0]
        image_id, is_new = _load(client, rewritten, _config_id(entry.get("Config")))
    finally:
        rewritten.unlink(missing_ok=True)
    with translate_docker_errors("checking your image", api_error=ImageError):
        attrs = client.api.inspect_image(image_id)
    require_entrypoint(client, attrs, remove=is_new)
    tags = tuple(str(tag) for tag in entry.get("RepoTags") or ())
    return LoadedImage(image_id, image_id, round(attrs.get("Size", 0) / _MB, 1), tags)


def _rewrite_save(path: Path, out: IO[bytes], max_bytes: int) -> _SaveFacts:
    """Stream `path` into `out` as a plain tar without tags; refuse unsafe or oversize content."""
    facts = _SaveFacts()
    total = 0
    try:
        with (
            tarfile.open(path, mode="r|*") as src,
            tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as dst,
        ):
            for member in src:
                name = _check_save_member(member)
                total += member.size
                if total > max_bytes:
                    raise ImageError(
                        f"your image is larger than {max_bytes // _MB} MB "
                        "uncompressed; use a smaller base image"
                    )
                if name == "manifest.json":
                    facts.manifest = _read_manifest(src, member)
                elif name == "index.json":
                    facts.index = _read_json(src, member)
                elif name != "repositories":  # legacy tag file: dropped with the tags
                    dst.addfile(member, src.extractfile(member) if member.isreg() else None)
            _finish_save(dst, facts)
    except tarfile.ReadError:
        raise ImageError(
            f"{path.name} is not a `docker save` archive; create one with "
            "docker save IMAGE -o model.tar"
        ) from None
    except (tarfile.TarError, EOFError, OSError) as error:
        raise ArchiveError(
            f"your image archive is damaged or truncated ({error}); save it again and re-upload"
        ) from None
    return facts


def _check_save_member(member: tarfile.TarInfo) -> str:
    name = check_entry_name(member.name)
    if member.issym():
        target = posixpath.normpath(posixpath.join(posixpath.dirname(name), member.linkname))
        if member.linkname.startswith("/") or target.split("/")[0] == "..":
            raise ArchiveError(
                f"image archive entry '{name}' links outside the archive; "
                "create the archive with docker save"
            )
    elif not (member.isreg() or member.isdir()):
        raise ArchiveError(
            f"image archive entry '{name}' is a link, device or other special "
            "file; create the archive with docker save"
        )
    return name


def _read_json(src: tarfile.TarFile, member: tarfile.TarInfo) -> Any:
    handle = src.extractfile(member)
    if handle is None or member.size > _MAX_JSON_BYTES:
        raise ImageError(
            f"{member.name} in your archive is not a small JSON file; create the "
            "archive with docker save"
        )
    try:
        return json.loads(handle.read())
    except ValueError:
        raise ImageError(
            f"{member.name} in your archive is not valid JSON; create the archive with docker save"
        ) from None


def _read_manifest(src: tarfile.TarFile, member: tarfile.TarInfo) -> list[dict[str, Any]]:
    manifest = _read_json(src, member)
    if not isinstance(manifest, list) or not all(isinstance(e, dict) for e in manifest):
        raise ImageError(
            "manifest.json in your archive is malformed; create the archive with docker save"
        )
    if len(manifest) != 1:
        raise ImageError(f"your archive holds {len(manifest)} images; {_SAVE_HINT}")
    return manifest


def _finish_save(dst: tarfile.TarFile, facts: _SaveFacts) -> None:
    """Append manifest.json (and index.json) with every tag removed."""
    if not facts.manifest:
        if facts.index is not None:
            raise ImageError(
                "your archive is an OCI image layout without manifest.json, which "
                "this engine cannot load; load it into Docker and run docker save "
                "IMAGE -o model.tar"
            )
        raise ImageError(
            f"your archive has no manifest.json, so it is not made by docker save; {_SAVE_HINT}"
        )
    _add_json(dst, "manifest.json", [dict(facts.manifest[0], RepoTags=None)])
    if facts.index is not None:
        manifests = facts.index.get("manifests") if isinstance(facts.index, dict) else None
        if not isinstance(manifests, list) or len(manifests) != 1:
            raise ImageError(
                f"index.json in your archive does not describe exactly one image; {_SAVE_HINT}"
            )
        annotations = manifests[0].get("annotations") or {}
        for key in _OCI_NAME_KEYS:
            annotations.pop(key, None)
        _add_json(dst, "index.json", facts.index)


def _add_json(dst: tarfile.TarFile, name: str, value: Any) -> None:
    data = json.dumps(value).encode()
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), 0o644, int(time.time())
    dst.addfile(info, io.BytesIO(data))


def _config_id(config: object) -> str | None:
    """The image id a manifest entry names: `<hex>.json` (legacy) or `blobs/sha256/<hex>` (OCI)."""
    match = re.fullmatch(r"(?:blobs/sha256/)?([0-9a-f]{64})(?:\.json)?", str(config))
    return f"sha256:{match.group(1)}" if match else None


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
