"""A pushed image's submission file: a small tar naming the manifest digest it pins.

A submission of kind ``image`` is either a ``docker save`` archive or this reference, so a
pushed image goes through the same intake (checks, quota, events) and the same worker stage as
an uploaded one. The tar is byte-for-byte the same for the same digest (fixed times and
owners), so its sha256 identifies the image and an earlier evaluation's image is reused.
The repository is never read from the file: it is the submission's team's, always.
"""

from __future__ import annotations

import io
import json
import re
import tarfile
from pathlib import Path

MEMBER = "podium-pushed-image.json"
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
MAX_BYTES = 64 * 1024


def is_digest(value: str) -> bool:
    return DIGEST.match(value) is not None


def reference_filename(digest: str) -> str:
    return f"pushed-{digest.removeprefix('sha256:')[:12]}.tar"


def reference_archive(digest: str) -> bytes:
    """The reference file pinning manifest ``digest``."""
    if not is_digest(digest):
        raise ValueError(f"{digest!r} is not a sha256 digest")
    body = json.dumps({"manifest_digest": digest}, sort_keys=True).encode()
    info = tarfile.TarInfo(MEMBER)
    info.size, info.mtime, info.mode = len(body), 0, 0o644
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        archive.addfile(info, io.BytesIO(body))
    return out.getvalue()


def pinned_digest(path: Path) -> str | None:
    """The manifest digest a reference file pins; None for anything else (an image archive)."""
    if path.stat().st_size > MAX_BYTES:
        return None
    try:
        with tarfile.open(path, mode="r:") as archive:
            members = archive.getmembers()
            if len(members) != 1 or members[0].name != MEMBER or not members[0].isfile():
                return None
            handle = archive.extractfile(members[0])
            data = json.loads(handle.read(MAX_BYTES)) if handle else None
    except (tarfile.TarError, OSError, ValueError):
        return None
    digest = data.get("manifest_digest") if isinstance(data, dict) else None
    return digest if isinstance(digest, str) and is_digest(digest) else None
