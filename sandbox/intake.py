"""Take participant images in: load a `docker save` archive, or build a context, safely.

Loading: the archive is streamed member by member into a rewritten copy (tags removed, names
checked, sizes counted) and only that copy reaches the engine, because an archive's `RepoTags`
would otherwise re-tag images on the worker (e.g. overwrite `podium/runtime-python:3.11`).
Building: the context is extracted with `safe_extract`, then built by the legacy builder over a
dedicated connection, so that closing it at the wall-time limit makes the engine cancel the build.
Nothing is ever pulled.
"""

from __future__ import annotations

import io
import json
import posixpath
import re
import shutil
import tarfile
import tempfile
import threading
import time
from collections import deque
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import docker
import docker.errors
import requests

from sandbox.archives import ArchiveLimits, check_entry_name, safe_extract
from sandbox.docker_errors import translate_docker_errors
from sandbox.errors import ArchiveError, BuildError, ImageError

_MB = 1024 * 1024
_MAX_JSON_BYTES = 4 * _MB
_SAVE_HINT = "save exactly one: docker save IMAGE -o model.tar"
_NO_ENTRYPOINT = "your image has no ENTRYPOINT or CMD; add one that writes predictions to /output"
_RUNTIME_IMAGES = (
    "podium/runtime-python:3.11, podium/runtime-sklearn:3.11 or podium/runtime-torch:3.11"
)
_PULL_FAILURE = re.compile(
    r"pull access denied|registry|manifest unknown|no such host|dial tcp|"
    r"repository does not exist|failed to resolve|i/o timeout",
    re.I,
)
# Tag annotations of an OCI index; newer engines would apply them on load like RepoTags.
_OCI_NAME_KEYS = ("io.containerd.image.name", "org.opencontainers.image.ref.name")


@dataclass(frozen=True)
class LoadedImage:
    """An image loaded from a participant's archive; run it by `digest`, never by a tag."""

    image_id: str
    digest: str  # a loaded image has no registry digest: its content address is its id
    size_mb: float
    tags: tuple[str, ...]  # as named in the archive, informational only: never applied


@dataclass(frozen=True)
class BuildLimits:
    """Limits for building a participant's context.

    `network` is on by default because `pip install` in a Dockerfile needs it; the price is that
    build steps run arbitrary code with network access (on a cloud host, block the metadata
    address on the host firewall). Turn it off to require contexts that vendor their wheels.
    The legacy builder has no CPU quota: only a relative weight and a CPU set exist.
    """

    wall_seconds: int = 900
    memory_mb: int = 4096  # swap is off during the build: memswap equals memory
    cpu_shares: int | None = None  # relative weight, 1024 is the default share
    cpuset_cpus: str | None = None  # e.g. "0-1"
    network: bool = True
    max_context_mb: int = 512
    log_kb: int = 256
    archive: ArchiveLimits = ArchiveLimits()


@dataclass(frozen=True)
class BuiltImage:
    """An image built from a participant's context, with the tail of its build log."""

    image_id: str
    digest: str
    build_log: str
    build_seconds: float


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
    _require_entrypoint(client, attrs, remove=is_new)
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


def _require_entrypoint(
    client: docker.DockerClient, attrs: dict[str, Any], *, remove: bool
) -> None:
    config = attrs.get("Config") or {}
    if config.get("Entrypoint") or config.get("Cmd"):
        return
    if remove:  # it came in with this submission and is useless: do not leave it behind
        with suppress(docker.errors.APIError):
            client.api.remove_image(attrs["Id"], force=False)
    raise ImageError(_NO_ENTRYPOINT)


def build_image(
    client: docker.DockerClient,
    context_archive: Path,
    limits: BuildLimits,
    *,
    labels: dict[str, str] | None = None,
) -> BuiltImage:
    """Build a participant's context (tar, tar.gz or zip holding a Dockerfile) under limits.

    Args:
        client: a connected Docker client; the build itself uses its own connection to it.
        context_archive: the uploaded context; the Dockerfile sits at its root or in its one
            top-level folder.
        limits: time, memory, CPU, network, context size and log size.
        labels: labels to set on the built image (and its intermediate images).

    Returns:
        The built image with the tail of its build log.

    Raises:
        ArchiveError: the context archive is unsafe.
        BuildError: a step failed or the build ran past `limits.wall_seconds`; carries the log.
        ImageError: no Dockerfile where one is expected, context too large, no ENTRYPOINT/CMD.
        EngineUnavailable: the engine could not be reached.
    """
    size = context_archive.stat().st_size
    if size > limits.max_context_mb * _MB:
        raise ImageError(
            f"your build context is {size // _MB} MB; the limit is "
            f"{limits.max_context_mb} MB: leave data and checkpoints out of it"
        )
    workdir = Path(tempfile.mkdtemp(prefix="podium-build-"))
    try:
        safe_extract(context_archive, workdir / "context", limits.archive)
        root = _dockerfile_root(workdir / "context")
        started = time.monotonic()
        image_id, log = _run_build(client, root, limits, labels or {})
        seconds = round(time.monotonic() - started, 2)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    with translate_docker_errors("checking your image", api_error=ImageError):
        attrs = client.api.inspect_image(image_id)
    _require_entrypoint(client, attrs, remove=not attrs.get("RepoTags"))
    return BuiltImage(image_id, image_id, log, seconds)


def _dockerfile_root(context: Path) -> Path:
    """The context root: the archive's root, or its single top-level folder (a zipped folder)."""
    if (context / "Dockerfile").is_file():
        return context
    # Archivers on macOS add these next to the folder people zip.
    entries = [p for p in context.iterdir() if p.name not in ("__MACOSX", ".DS_Store")]
    if len(entries) == 1 and entries[0].is_dir() and (entries[0] / "Dockerfile").is_file():
        return entries[0]
    found = sorted(p.relative_to(context).as_posix() for p in context.rglob("Dockerfile"))[:3]
    where = f" (found: {', '.join(found)})" if found else ""
    raise ImageError(
        "your build context has no Dockerfile at its root or in its single "
        f"top-level folder{where}; put the Dockerfile at the top of the archive"
    )


class _LogTail:
    """The last `max_bytes` of a log, with a marker for what was dropped; memory stays flat."""

    def __init__(self, max_bytes: int) -> None:
        self._max = max_bytes
        self._chunks: deque[bytes] = deque()
        self._size = 0
        self.dropped = 0

    def write(self, text: str) -> None:
        data = text.encode("utf-8", errors="replace")
        self._chunks.append(data)
        self._size += len(data)
        while self._size > self._max:
            first = self._chunks.popleft()
            excess = self._size - self._max
            if len(first) > excess:  # keep the end of the oldest chunk
                self._chunks.appendleft(first[excess:])
            cut = min(len(first), excess)
            self._size -= cut
            self.dropped += cut

    def text(self) -> str:
        body = b"".join(self._chunks).decode("utf-8", errors="replace")
        return f"[... {self.dropped} bytes truncated ...]\n{body}" if self.dropped else body


def _run_build(
    client: docker.DockerClient, root: Path, limits: BuildLimits, labels: dict[str, str]
) -> tuple[str, str]:
    """Build `root` in a thread; at the wall-time limit close its connection to cancel it."""
    api = _dedicated_api(client, limits.wall_seconds + 60)
    responses: list[requests.Response] = []
    api.hooks["response"].append(lambda response, *args, **kwargs: responses.append(response))
    log = _LogTail(limits.log_kb * 1024)
    outcome: dict[str, Any] = {}
    worker = threading.Thread(
        target=_stream_build,
        args=(api, root, limits, labels, log, outcome),
        name="podium-build",
        daemon=True,
    )
    try:
        worker.start()
        worker.join(limits.wall_seconds)
        if worker.is_alive():
            outcome["timed_out"] = True
            for response in responses:
                response.raw.shutdown()  # wakes the reading thread; the close below tells dockerd
                response.close()
            worker.join(30)
    finally:
        api.close()
    return _build_result(client, outcome, log, limits)


def _dedicated_api(client: docker.DockerClient, timeout_seconds: int) -> docker.APIClient:
    """A second client to the same engine, so the build's connection is ours alone to close."""
    adapter = getattr(client.api, "_custom_adapter", None)
    socket_path = getattr(adapter, "socket_path", None)
    base_url = f"unix://{socket_path}" if socket_path else client.api.base_url
    with translate_docker_errors("connecting to the Docker engine"):
        return docker.APIClient(
            base_url=base_url, version=client.api.api_version, timeout=timeout_seconds
        )


def _stream_build(
    api: docker.APIClient,
    root: Path,
    limits: BuildLimits,
    labels: dict[str, str],
    log: _LogTail,
    outcome: dict[str, Any],
) -> None:
    container_limits: dict[str, Any] = {
        "memory": limits.memory_mb * _MB,
        "memswap": limits.memory_mb * _MB,
    }
    if limits.cpu_shares is not None:
        container_limits["cpushares"] = limits.cpu_shares
    if limits.cpuset_cpus is not None:
        container_limits["cpusetcpus"] = limits.cpuset_cpus
    try:
        with translate_docker_errors("building your image", api_error=ImageError):
            for chunk in api.build(
                path=str(root),
                rm=True,
                forcerm=True,
                pull=False,
                decode=True,
                container_limits=container_limits,
                network_mode=None if limits.network else "none",
                labels=labels,
                timeout=limits.wall_seconds + 60,
            ):
                _record(chunk, log, outcome)
    except Exception as error:  # handed to the calling thread, which raises it
        outcome["error_object"] = error


def _record(chunk: dict[str, Any], log: _LogTail, outcome: dict[str, Any]) -> None:
    if "stream" in chunk:
        log.write(str(chunk["stream"]))
    elif "error" in chunk or "errorDetail" in chunk:
        detail = chunk.get("errorDetail") or {}
        message = str(detail.get("message") or chunk.get("error") or "unknown error")
        outcome.setdefault("error", message)
        log.write(f"ERROR: {message}\n")
    elif isinstance(chunk.get("aux"), dict) and "ID" in chunk["aux"]:
        outcome["image_id"] = str(chunk["aux"]["ID"])
    elif "status" in chunk:
        log.write(f"{chunk['status']}\n")


def _build_result(
    client: docker.DockerClient, outcome: dict[str, Any], log: _LogTail, limits: BuildLimits
) -> tuple[str, str]:
    tail = log.text()
    if outcome.get("timed_out"):
        raise BuildError(
            f"your build ran longer than {limits.wall_seconds} s and was stopped; "
            "make it faster (fewer or smaller dependencies) or build the image "
            "yourself and submit it with docker save",
            tail,
        )
    if "error" in outcome:
        message = " ".join(str(outcome["error"]).split())[:500]
        if _PULL_FAILURE.search(message):
            raise BuildError(
                "your Dockerfile needs a base image that is not on the build host "
                f"({message}); no registry is reachable from the build host: build "
                f"FROM one of the platform's runtime images, {_RUNTIME_IMAGES}",
                tail,
            )
        raise BuildError(f"your build failed: {message}; see the end of the build log", tail)
    if "error_object" in outcome:
        raise outcome["error_object"]
    if "image_id" not in outcome:
        raise BuildError("your build ended without producing an image; see the build log", tail)
    return outcome["image_id"], tail
