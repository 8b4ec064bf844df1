"""Rewrite a participant's `docker save` archive into one the engine may load, measured first.

The archive is read once, as a stream (`sandbox.tarstream`). Each member is copied into a plain
tar without tags (an archive's `RepoTags` would re-tag images on the worker), and on the way
every regular member is also read as the engine would read a layer: decompressed as it detects
(gzip, bzip2, xz; zstd is refused) and walked header by header. So before `docker load` runs,
each layer's size after decompression, its entries (inodes) and the number of layers are known
and capped (`ImageLimits`). A bomb stops at the first cap it passes; only counts are kept.
"""

from __future__ import annotations

import json
import posixpath
import re
import tarfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from sandbox.archives import check_entry_name
from sandbox.errors import ArchiveError, ImageError
from sandbox.tarstream import (
    BLOCK,
    CHUNK,
    CountingReader,
    TarFormatError,
    TarLimitError,
    TarStream,
    UnsupportedCompression,
    open_decompressed,
)

_MB = 1024 * 1024
_MAX_JSON_BYTES = 4 * _MB
_MAX_LINK_HOPS = 8
SAVE_HINT = "save exactly one: docker save IMAGE -o model.tar"
_UNCOMPRESSED = "save the image with docker save IMAGE -o model.tar, uncompressed"
_LEAN = "leave data, caches and build tools out of the image (pip --no-cache-dir)"
# Tag annotations of an OCI index; newer engines would apply them on load like RepoTags.
_OCI_NAME_KEYS = ("io.containerd.image.name", "org.opencontainers.image.ref.name")


@dataclass(frozen=True)
class ImageLimits:
    """What a `docker save` archive may hold; sizes are after decompression.

    The defaults hold the platform's largest runtime image (runtime-torch: 7 layers, 1.7 GB,
    21,754 entries in its largest layer) with room to spare.
    """

    max_total_mb: int = 4096  # the archive file, and everything it unpacks to
    max_layer_mb: int = 2048  # one layer
    max_layers: int = 127  # overlay2 mounts at most 128 lower layers
    max_layer_entries: int = 200_000  # files, folders and links in one layer (inodes)
    max_total_entries: int = 500_000  # the same, in all layers together
    max_archive_entries: int = 2048  # members of the archive itself, every header counted


DEFAULT_IMAGE_LIMITS = ImageLimits()


@dataclass(frozen=True)
class _Measured:
    size: int  # bytes after decompression: what the engine writes for it
    entries: int
    problem: str | None = None  # why the engine could not unpack it as a layer


@dataclass
class _Facts:
    manifest: list[dict[str, Any]] = field(default_factory=list)
    index: dict[str, Any] | None = None
    members: dict[str, _Measured] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)  # symlink -> normalised target
    total: int = 0
    entries: int = 0


class _WriteFailed(Exception):
    """Writing the copy failed (the worker's disk): a platform fault, never the archive's."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


class _ArchiveDamaged(Exception):
    """The archive itself broke while a member was read as a layer: not the layer's problem."""

    def __init__(self, error: TarFormatError) -> None:
        super().__init__(str(error))
        self.error = error


def rewrite_save(path: Path, out: IO[bytes], limits: ImageLimits) -> dict[str, Any]:
    """Stream `path` into `out` as a plain tar without tags; refuse unsafe or oversize content.

    Returns:
        The archive's one manifest entry (its `RepoTags` as the archive had them).

    Raises:
        ArchiveError: an unsafe or damaged member.
        ImageError: not one image, or over one of `limits`.
        OSError: writing `out` failed (a platform fault).
    """
    facts = _Facts()
    try:
        with path.open("rb") as handle:
            _copy_members(path, handle, out, facts, limits)
    except _WriteFailed as failed:
        raise failed.error from None
    _finish(out, facts, limits)
    return facts.manifest[0]


def _copy_members(
    path: Path, handle: IO[bytes], out: IO[bytes], facts: _Facts, limits: ImageLimits
) -> None:
    try:
        stream, _ = open_decompressed(handle)
    except UnsupportedCompression as error:
        raise ImageError(f"{path.name} is compressed with {error.name}; {_UNCOMPRESSED}") from None
    walker = TarStream(stream, max_entries=limits.max_archive_entries)
    try:
        try:
            for member in walker:
                _copy_member(walker, member, out, facts, limits)
        except _ArchiveDamaged as damaged:
            raise damaged.error from None
    except TarLimitError:
        raise ImageError(
            f"your image archive has more than {limits.max_archive_entries} entries, far more "
            f"than docker save writes for one image; {SAVE_HINT}"
        ) from None
    except TarFormatError as error:
        if error.at_start:
            raise ImageError(
                f"{path.name} is not a `docker save` archive; create one with "
                "docker save IMAGE -o model.tar"
            ) from None
        raise ArchiveError(
            f"your image archive is damaged or truncated ({error.reason}); save it again "
            "and re-upload"
        ) from None


def _copy_member(
    walker: TarStream, member: tarfile.TarInfo, out: IO[bytes], facts: _Facts, limits: ImageLimits
) -> None:
    name = _check_save_member(member)
    if name == "":  # the archive's own root `./`: counted, not copied
        return
    if member.isreg() and facts.total + member.size > limits.max_total_mb * _MB:
        raise _too_large(limits)
    if member.isreg() and name in ("manifest.json", "index.json", "repositories"):
        value = _read_json(walker, member, name)  # the legacy `repositories` is dropped
        if name == "manifest.json":
            facts.manifest = _check_manifest(value)
        elif name == "index.json":
            facts.index = value
        return
    _write(out, _header(member, name))
    if member.issym():
        facts.links[name] = posixpath.normpath(
            posixpath.join(posixpath.dirname(name), member.linkname)
        )
    if not member.isreg():
        return
    measured = _copy_measuring(walker, out, name, facts, limits)
    _write(out, bytes(-member.size % BLOCK))
    facts.members[name] = measured
    facts.total += max(member.size, measured.size)
    facts.entries += measured.entries
    if facts.entries > limits.max_total_entries:
        raise _too_many_entries(limits.max_total_entries, "in all its layers together")


def _copy_measuring(
    walker: TarStream, out: IO[bytes], name: str, facts: _Facts, limits: ImageLimits
) -> _Measured:
    """Copy one member's bytes to `out`, reading them as the engine would read a layer."""
    layer_cap = limits.max_layer_mb * _MB
    cap = min(layer_cap, limits.max_total_mb * _MB - facts.total)
    tee = _Tee(walker, out)
    try:
        measured = _measure(tee, cap, limits.max_layer_entries)
    except TarLimitError as error:
        if error.kind == "entries":
            raise _too_many_entries(limits.max_layer_entries, f"in layer {name}") from None
        if cap < layer_cap:
            raise _too_large(limits) from None
        raise ImageError(
            f"layer {name} of your image unpacks to more than {limits.max_layer_mb} MB, the "
            f"limit for one layer; {_LEAN}"
        ) from None
    tee.copy_rest()
    return measured


def _measure(raw: _Tee, cap: int, max_entries: int) -> _Measured:
    """Decompress and walk `raw` as a layer; a limit passed raises, anything else is noted."""
    try:
        stream, _ = open_decompressed(raw)
    except UnsupportedCompression as error:
        return _Measured(0, 0, f"is compressed with {error.name}, which is not measured")
    counted = CountingReader(stream, cap)
    layer = TarStream(counted, max_entries=max_entries)
    try:
        for entry in layer:
            if entry.size > cap:  # declared: refused before a byte of it is read
                raise TarLimitError("bytes", cap)
        layer.drain()  # the engine decompresses what follows the tar too, for the digest
    except TarFormatError as error:
        return _Measured(counted.count, layer.entries, f"is not a tar ({error.reason})")
    return _Measured(counted.count, layer.entries)


class _Tee:
    """Reads the current member's data, writing every byte read or skipped to `out`."""

    def __init__(self, walker: TarStream, out: IO[bytes]) -> None:
        self.walker = walker
        self.out = out

    def read(self, size: int = CHUNK, /) -> bytes:
        data = self._take(size)
        _write(self.out, data)
        return data

    def skip(self, size: int) -> int:
        done = 0
        while done < size and (data := self._take(min(CHUNK, size - done))):
            _write(self.out, data)
            done += len(data)
        return done

    def copy_rest(self) -> None:
        while data := self._take(CHUNK):
            _write(self.out, data)

    def _take(self, size: int) -> bytes:
        try:
            return self.walker.read(size)
        except TarFormatError as error:  # kept apart from the layer's own format errors
            raise _ArchiveDamaged(error) from None


def _write(out: IO[bytes], data: bytes) -> None:
    try:
        out.write(data)
    except OSError as error:
        raise _WriteFailed(error) from None


def _header(member: tarfile.TarInfo, name: str) -> bytes:
    """A clean header for the copy: name, kind, size, mode, time and link target only."""
    info = tarfile.TarInfo(name)
    info.type = tarfile.REGTYPE if member.isreg() else member.type
    info.size = member.size if member.isreg() else 0
    info.mode = member.mode & 0o777
    info.mtime = int(member.mtime)
    info.linkname = member.linkname if member.issym() else ""
    return info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")


def _too_large(limits: ImageLimits) -> ImageError:
    return ImageError(
        f"your image is larger than {limits.max_total_mb} MB uncompressed; use a smaller base "
        f"image and {_LEAN}"
    )


def _too_many_entries(limit: int, where: str) -> ImageError:
    return ImageError(
        f"your image has more than {limit} files and folders {where}; {_LEAN}, or pack many "
        "small files into one"
    )


def _check_save_member(member: tarfile.TarInfo) -> str:
    name = check_entry_name(member.name)
    if member.issym():
        target = posixpath.normpath(posixpath.join(posixpath.dirname(name), member.linkname))
        if member.linkname.startswith("/") or target.split("/")[0] == "..":
            raise ArchiveError(
                f"image archive entry '{name}' links outside the archive; "
                "create the archive with docker save"
            )
    elif not (member.isreg() or member.isdir()) or (name == "" and not member.isdir()):
        raise ArchiveError(
            f"image archive entry '{name}' is a link, device or other special "
            "file; create the archive with docker save"
        )
    return name


def _read_json(walker: TarStream, member: tarfile.TarInfo, name: str) -> Any:
    if member.size > _MAX_JSON_BYTES:
        raise ImageError(
            f"{name} in your archive is not a small JSON file; create the archive with docker save"
        )
    data = b"".join(iter(walker.read, b""))
    try:
        return json.loads(data)
    except ValueError:
        raise ImageError(
            f"{name} in your archive is not valid JSON; create the archive with docker save"
        ) from None


def _check_manifest(manifest: Any) -> list[dict[str, Any]]:
    entries_ok = isinstance(manifest, list) and all(isinstance(e, dict) for e in manifest)
    if not entries_ok or not all(_layer_list(entry) is not None for entry in manifest):
        raise ImageError(
            "manifest.json in your archive is malformed; create the archive with docker save"
        )
    if len(manifest) != 1:
        raise ImageError(f"your archive holds {len(manifest)} images; {SAVE_HINT}")
    return list(manifest)


def _layer_list(entry: dict[str, Any]) -> list[str] | None:
    layers = entry.get("Layers") or []
    if isinstance(layers, list) and all(isinstance(layer, str) for layer in layers):
        return layers
    return None


def _finish(out: IO[bytes], facts: _Facts, limits: ImageLimits) -> None:
    """Check the layers the manifest names, then append manifest.json (and index.json)."""
    if not facts.manifest:
        if facts.index is not None:
            raise ImageError(
                "your archive is an OCI image layout without manifest.json, which "
                "this engine cannot load; load it into Docker and run docker save "
                "IMAGE -o model.tar"
            )
        raise ImageError(
            f"your archive has no manifest.json, so it is not made by docker save; {SAVE_HINT}"
        )
    _check_layers(facts, limits)
    _add_json(out, "manifest.json", [dict(facts.manifest[0], RepoTags=None)])
    if facts.index is not None:
        manifests = facts.index.get("manifests") if isinstance(facts.index, dict) else None
        if not isinstance(manifests, list) or len(manifests) != 1:
            raise ImageError(
                f"index.json in your archive does not describe exactly one image; {SAVE_HINT}"
            )
        annotations = manifests[0].get("annotations") or {}
        for key in _OCI_NAME_KEYS:
            annotations.pop(key, None)
        _add_json(out, "index.json", facts.index)
    out.write(bytes(2 * BLOCK))


def _check_layers(facts: _Facts, limits: ImageLimits) -> None:
    """Every layer the engine will unpack was measured; count them as it will, repeats too."""
    layers = _layer_list(facts.manifest[0]) or []
    if len(layers) > limits.max_layers:
        raise ImageError(
            f"your image has {len(layers)} layers; the limit is {limits.max_layers}: combine "
            "RUN steps, or flatten the image (docker export, then docker import)"
        )
    total = entries = 0
    for layer in layers:
        measured = _measured(facts, layer)
        if measured.problem is not None:
            raise ImageError(f"layer {layer} of your image {measured.problem}; {_UNCOMPRESSED}")
        total += measured.size
        entries += measured.entries
    if total > limits.max_total_mb * _MB:
        raise _too_large(limits)
    if entries > limits.max_total_entries:
        raise _too_many_entries(limits.max_total_entries, "in all its layers together")


def _measured(facts: _Facts, layer: str) -> _Measured:
    name = check_entry_name(layer)
    for _ in range(_MAX_LINK_HOPS):
        if name not in facts.links:
            break
        name = facts.links[name]
    measured = facts.members.get(name)
    if measured is None:
        raise ImageError(
            f"manifest.json names layer {layer}, which is not a file in your archive; {SAVE_HINT}"
        )
    return measured


def _add_json(out: IO[bytes], name: str, value: Any) -> None:
    data = json.dumps(value).encode()
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), 0o644, int(time.time())
    out.write(info.tobuf(tarfile.PAX_FORMAT) + data + bytes(-len(data) % BLOCK))


def config_id(config: object) -> str | None:
    """The image id a manifest entry names: `<hex>.json` (legacy) or `blobs/sha256/<hex>` (OCI)."""
    match = re.fullmatch(r"(?:blobs/sha256/)?([0-9a-f]{64})(?:\.json)?", str(config))
    return f"sha256:{match.group(1)}" if match else None
