"""Deliverables beyond predictions: what a phase asks of each team, and the checks on what a
team hands in.

A phase of ``challenge.yaml`` may list typed deliverables::

    deliverables:
      - {key: report, kind: pdf, title: "Technical report", required: true, max_mb: 20}
      - {key: slides, kind: slides, title: "Slides", required: false}
      - {key: code, kind: repository_link, title: "Source code"}
      - {key: demo, kind: video_link, title: "Two-minute video", hosts: [youtube.com, vimeo.com]}

Kinds: ``pdf`` (a PDF file), ``slides`` (a PDF, PowerPoint ``.pptx`` or OpenDocument ``.odp``
file), ``video_link`` and ``repository_link`` (an ``https`` address). Files are checked by
their content, never by their name: a PDF starts with ``%PDF-``; a ``.pptx`` is a zip whose
``[Content_Types].xml`` declares a presentation; an ``.odp`` is a zip whose first member,
``mimetype``, says ``application/vnd.oasis.opendocument.presentation``.

Links are never fetched by the platform; judges follow them. An address must be ``https``, on a
named host (no IP address, no ``localhost``, no user name or password, no port but 443) and,
where the deliverable lists ``hosts`` (or, for ``repository_link``, by default
:data:`REPOSITORY_HOSTS`), on one of them or a subdomain of one. A ``video_link`` without
``hosts`` may be on any such host.
"""

from __future__ import annotations

import ipaddress
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Self
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from challenges.errors import DeliverableRefused

DeliverableKind = Literal["pdf", "slides", "video_link", "repository_link"]
FILE_KINDS: tuple[DeliverableKind, ...] = ("pdf", "slides")
LINK_KINDS: tuple[DeliverableKind, ...] = ("video_link", "repository_link")
REPOSITORY_HOSTS = ("github.com", "gitlab.com", "huggingface.co", "bitbucket.org", "codeberg.org")
DEFAULT_MAX_MB = 20
MAX_MB = 500
MAX_URL_CHARS = 2000
_KEY = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
_HOST = re.compile(
    r"^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$"
)
_HEAD_BYTES = 1024
_ZIP_MEMBERS_MAX = 20_000
_CONTENT_TYPES_MAX_BYTES = 1 << 20
ODP_MIMETYPE = b"application/vnd.oasis.opendocument.presentation"
PPTX_MAIN = b"application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"


class Deliverable(BaseModel):
    """One thing a team hands in for a phase, beside its predictions."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(pattern=_KEY, max_length=64, description="unique within the phase")
    kind: DeliverableKind
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    required: bool = Field(default=True, description="missing ones are shown to the team")
    max_mb: int | None = Field(
        default=None, ge=1, le=MAX_MB, description=f"files only; default {DEFAULT_MAX_MB}"
    )
    hosts: list[str] | None = Field(
        default=None, description="links only: the hosts allowed (and their subdomains)"
    )

    @field_validator("hosts")
    @classmethod
    def _hosts(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        if not value:
            raise ValueError("hosts is empty; leave it out to use the default hosts")
        bad = [h for h in value if not _HOST.match(h)]
        if bad:
            raise ValueError(
                f"hosts must be lower-case domain names like github.com; not {bad[0]!r}"
            )
        return value

    @model_validator(mode="after")
    def _kind_fields(self) -> Self:
        if self.max_mb is not None and self.kind not in FILE_KINDS:
            raise ValueError(
                f"max_mb applies to file deliverables ({', '.join(FILE_KINDS)}), "
                f"not to {self.kind}; leave it out"
            )
        if self.hosts is not None and self.kind not in LINK_KINDS:
            raise ValueError(
                f"hosts applies to link deliverables ({', '.join(LINK_KINDS)}), "
                f"not to {self.kind}; leave it out"
            )
        return self

    @property
    def is_file(self) -> bool:
        """Whether the team uploads a file (else it gives an address)."""
        return self.kind in FILE_KINDS

    @property
    def cap_mb(self) -> int:
        """The largest file accepted, in MB."""
        return self.max_mb or DEFAULT_MAX_MB

    @property
    def allowed_hosts(self) -> tuple[str, ...]:
        """Hosts a link may point to (empty: any named https host)."""
        if self.hosts is not None:
            return tuple(self.hosts)
        return REPOSITORY_HOSTS if self.kind == "repository_link" else ()

    @property
    def accepts(self) -> str:
        """What the deliverable takes, in words."""
        if self.kind == "pdf":
            return "a PDF file"
        if self.kind == "slides":
            return "a PDF, PowerPoint (.pptx) or OpenDocument (.odp) file"
        hosts = self.allowed_hosts
        where = f" on {', '.join(hosts)}" if hosts else ""
        return f"an https address{where}"


def duplicate_keys(deliverables: list[Deliverable]) -> list[str]:
    """Keys declared more than once in one phase, sorted."""
    keys = [d.key for d in deliverables]
    return sorted({k for k in keys if keys.count(k) > 1})


@dataclass(frozen=True)
class FileType:
    """A file type a deliverable accepts: its name in messages, media type and extension."""

    name: str
    media_type: str
    extension: str


PDF = FileType("PDF", "application/pdf", ".pdf")
PPTX = FileType(
    "PowerPoint presentation (.pptx)",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".pptx",
)
ODP = FileType("OpenDocument presentation (.odp)", ODP_MIMETYPE.decode(), ".odp")
ACCEPTED: dict[str, tuple[FileType, ...]] = {"pdf": (PDF,), "slides": (PDF, PPTX, ODP)}


def check_file(deliverable: Deliverable, path: Path, filename: str) -> FileType:
    """The type of ``path`` (named ``filename`` by the team), when the deliverable takes it.

    Raises:
        DeliverableRefused: the content is none of the types the deliverable accepts (the
            message says what it looks like instead).
    """
    if not deliverable.is_file:
        raise DeliverableRefused(
            f"{deliverable.title} is a link ({deliverable.kind}); send its address, not a file"
        )
    with path.open("rb") as handle:
        head = handle.read(_HEAD_BYTES)
    if not head:
        raise DeliverableRefused(f"{filename} is empty; upload {deliverable.accepts}")
    found = detect(path, head)
    if found is not None and found in ACCEPTED[deliverable.kind]:
        return found
    what = found.name if found is not None else looks_like(head)
    raise DeliverableRefused(
        f"{filename} is not {deliverable.accepts}: its content is {what}; export your "
        f"{deliverable.title} as {deliverable.accepts} and upload that (the name of a file "
        "does not change what it is)"
    )


def detect(path: Path, head: bytes) -> FileType | None:
    """PDF, PPTX or ODP by content (``head``: the file's first bytes), else None."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"PK\x03\x04"):
        return _office_type(path)
    return None


def _office_type(path: Path) -> FileType | None:
    # only the central directory and two small members are read: nothing is extracted
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if not members or len(members) > _ZIP_MEMBERS_MAX:
                return None
            if members[0].filename == "mimetype":
                return ODP if _read_member(archive, members[0], 200) == ODP_MIMETYPE else None
            types = next((m for m in members if m.filename == "[Content_Types].xml"), None)
            if types is None:
                return None
            return (
                PPTX
                if PPTX_MAIN in _read_member(archive, types, _CONTENT_TYPES_MAX_BYTES)
                else None
            )
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        OSError,
        EOFError,
        ValueError,
        NotImplementedError,
    ):
        return None


def _read_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, limit: int) -> bytes:
    if member.file_size > limit:
        return b""
    with archive.open(member) as handle:
        return handle.read(limit).strip()


def looks_like(head: bytes) -> str:
    """What a file that is no accepted type seems to be, in words."""
    lowered = head[:200].lstrip().lower()
    if head.startswith(b"MZ"):
        return "a Windows program (.exe or .dll)"
    if head.startswith(b"\x7fELF"):
        return "a Linux program (ELF)"
    if head.startswith(b"PK\x03\x04"):
        return "a zip archive (not a presentation)"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "an old Microsoft Office file (.doc or .ppt); save it as PDF or .pptx"
    if lowered.startswith((b"<!doctype html", b"<html", b"<script", b"<svg", b"<?xml")):
        return "an HTML or XML document"
    if head.startswith(b"{\\rtf"):
        return "an RTF document"
    return "not a recognised document"


def check_link(deliverable: Deliverable, url: str) -> str:
    """``url`` cleaned (host lower-cased), when the deliverable takes it.

    Raises:
        DeliverableRefused: not https, no named host, credentials, an odd port, a host the
            deliverable does not allow, or no path.
    """
    if deliverable.is_file:
        raise DeliverableRefused(
            f"{deliverable.title} is a file ({deliverable.kind}); upload it, do not send an address"
        )
    text = url.strip()
    problem = _link_problem(text, deliverable.allowed_hosts)
    if problem:
        raise DeliverableRefused(f"{deliverable.title}: {problem}; send {deliverable.accepts}")
    parts = urlsplit(text)
    host = (parts.hostname or "").lower()
    return urlunsplit(("https", host, parts.path, parts.query, parts.fragment))


def _link_problem(text: str, hosts: tuple[str, ...]) -> str | None:
    if not text:
        return "the address is empty"
    if len(text) > MAX_URL_CHARS:
        return f"the address is longer than {MAX_URL_CHARS} characters"
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in text):
        return "the address contains spaces or control characters"
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return "the address does not read as a URL"
    if parts.scheme.lower() != "https":
        return "only https addresses are accepted"
    host = (parts.hostname or "").lower()
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        return "the address must not hold a user name or password"
    if port not in (None, 443):
        return "the address must not name a port"
    return _host_problem(host, hosts) or (
        None if parts.path.strip("/") else "the address has no path (link the page itself)"
    )


def _host_problem(host: str, hosts: tuple[str, ...]) -> str | None:
    try:
        ipaddress.ip_address(host.strip("[]"))
        return "the address must name a host, not an IP address"
    except ValueError:
        pass
    if not _HOST.match(host):
        return f"{host or 'the address'} is not a public host name"
    if hosts and not any(host == h or host.endswith("." + h) for h in hosts):
        return f"{host} is not one of the accepted hosts ({', '.join(hosts)})"
    return None
