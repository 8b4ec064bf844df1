"""A challenge whose open phase asks for deliverables, and files to hand in (real formats)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from sqlmodel import Session

from podium.crud.teams import create_team, invite, join
from podium.db.models import Challenge, Team, User
from podium.services.registration import register_challenge
from podium.store import Store
from tests.platform.bundles import write_bundle

LIMITS_LINE = "    limits: {wall_seconds: 60, memory_mb: 256, cpus: 1}\n"
DELIVERABLES = """\
    deliverables:
      - {key: report, kind: pdf, title: Technical report, required: true, max_mb: 1}
      - {key: slides, kind: slides, title: Slides, required: false}
      - {key: code, kind: repository_link, title: Source code}
      - {key: demo, kind: video_link, title: Video, required: false, hosts: [youtube.com]}
"""


def deliverables_challenge(
    session: Session, store: Store, tmp: Path, *, slug: str, owner: User | None = None
) -> Challenge:
    """The tiny bundle, its open phase ``development`` asking for a report (PDF, required, at
    most 1 MB), slides (optional), a repository link (required) and a video link (optional)."""
    folder = write_bundle(tmp / f"bundle-{slug}", slug=slug, max_size=3)
    spec = folder / "challenge.yaml"
    text = spec.read_text(encoding="utf-8")
    assert LIMITS_LINE in text
    spec.write_text(text.replace(LIMITS_LINE, LIMITS_LINE + DELIVERABLES), encoding="utf-8")
    return register_challenge(session, bundle_path=folder, owner=owner, store=store)


def team_of_two(
    session: Session, challenge: Challenge, owner: User, mate: User, name: str = "Owls"
) -> Team:
    """A team: ``owner`` and ``mate``."""
    team = create_team(session, challenge=challenge, user=owner, name=name)
    invite(session, team=team, challenge=challenge, inviter=owner, invitee=mate)
    join(session, team=team, challenge=challenge, user=mate)
    return team


def pdf_bytes(text: str = "report", padding: int = 0) -> bytes:
    """A small valid PDF (one empty page), padded with a comment to ``padding`` more bytes."""
    body = (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
        + b"%" + text.encode() + b"\n"
        + (b"%" + b"x" * padding + b"\n" if padding else b"")
        + b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )  # fmt: skip
    return body


def pptx_bytes() -> bytes:
    """A zip shaped like a PowerPoint file (its [Content_Types].xml names a presentation)."""
    types = (
        '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Override PartName="/ppt/presentation.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"/></Types>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", types)
        archive.writestr("ppt/presentation.xml", "<p:presentation/>")
    return buffer.getvalue()


def odp_bytes() -> bytes:
    """A zip shaped like an OpenDocument presentation (``mimetype`` first, stored)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.presentation"
        )
        archive.writestr("content.xml", "<office:document-content/>")
    return buffer.getvalue()


def docx_bytes() -> bytes:
    """A zip shaped like a Word document: a zip, but not a presentation."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types><Override ContentType="
                         "'application/vnd.openxmlformats-officedocument.wordprocessingml"
                         ".document.main+xml'/></Types>")  # fmt: skip
    return buffer.getvalue()


EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200
HTML_AS_PDF = b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>"
