"""The deliverables a phase declares (challenge.yaml) and the library's checks on hand-ins."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from challenges.deliverables import (
    DEFAULT_MAX_MB,
    ODP,
    PDF,
    PPTX,
    REPOSITORY_HOSTS,
    Deliverable,
    check_file,
    check_link,
)
from challenges.errors import DeliverableRefused
from challenges.schema import Phase
from tests.platform.deliverable_helpers import (
    EXE_BYTES,
    HTML_AS_PDF,
    docx_bytes,
    odp_bytes,
    pdf_bytes,
    pptx_bytes,
)

PHASE: dict[str, Any] = {
    "name": "final",
    "start": "2030-01-01T00:00:00Z",
    "end": "2030-02-01T00:00:00Z",
    "data": "test",
    "public_fraction": 0.5,
    "limits": {"wall_seconds": 60, "memory_mb": 256, "cpus": 1},
}
REPORT = {"key": "report", "kind": "pdf", "title": "Technical report", "max_mb": 20}


def _phase(*deliverables: dict[str, Any]) -> Phase:
    return Phase.model_validate({**PHASE, "deliverables": list(deliverables)})


def _error(*deliverables: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as caught:
        _phase(*deliverables)
    return str(caught.value)


def test_a_phase_declares_typed_deliverables() -> None:
    phase = _phase(REPORT, {"key": "code", "kind": "repository_link", "title": "Code"})
    report, code = phase.deliverables
    assert report.required and report.cap_mb == 20 and report.is_file
    assert code.allowed_hosts == REPOSITORY_HOSTS and not code.is_file
    assert _phase().deliverables == []
    slides = Deliverable(key="slides", kind="slides", title="Slides", required=False)
    assert slides.cap_mb == DEFAULT_MAX_MB and not slides.required


@pytest.mark.parametrize(
    ("deliverables", "message"),
    [
        ([REPORT, REPORT], "deliverables with the same key: report"),
        ([{**REPORT, "kind": "docx"}], "Input should be 'pdf', 'slides', 'video_link'"),
        ([{**REPORT, "key": "My Report"}], "String should match pattern"),
        ([{**REPORT, "max_mb": 0}], "greater than or equal to 1"),
        ([{**REPORT, "max_mb": 10_000}], "less than or equal to 500"),
        ([{**REPORT, "hosts": ["github.com"]}], "hosts applies to link deliverables"),
        ([{"key": "v", "kind": "video_link", "title": "V", "max_mb": 5}], "max_mb applies to file"),
        ([{"key": "v", "kind": "video_link", "title": "V", "hosts": ["YouTube.com"]}],
         "lower-case domain names like github.com; not 'YouTube.com'"),
        ([{"key": "v", "kind": "video_link", "title": "V", "hosts": []}], "hosts is empty"),
        ([{**REPORT, "title": ""}], "at least 1 character"),
        ([{**REPORT, "due": "tomorrow"}], "Extra inputs are not permitted"),
    ],
)  # fmt: skip
def test_invalid_declarations_say_what_is_wrong(
    deliverables: list[dict[str, Any]], message: str
) -> None:
    assert message in _error(*deliverables)


def _file(tmp_path: Path, content: bytes, name: str = "upload.bin") -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


REPORT_D = Deliverable(key="report", kind="pdf", title="Technical report")
SLIDES_D = Deliverable(key="slides", kind="slides", title="Slides")


def test_files_are_recognised_by_content(tmp_path: Path) -> None:
    assert check_file(REPORT_D, _file(tmp_path, pdf_bytes()), "r.pdf") == PDF
    assert check_file(SLIDES_D, _file(tmp_path, pptx_bytes()), "s.pdf") == PPTX
    assert check_file(SLIDES_D, _file(tmp_path, odp_bytes()), "s") == ODP
    assert check_file(SLIDES_D, _file(tmp_path, pdf_bytes()), "s.pptx") == PDF


@pytest.mark.parametrize(
    ("deliverable", "content", "looks"),
    [
        (REPORT_D, EXE_BYTES, "its content is a Windows program (.exe or .dll)"),
        (REPORT_D, b"\x7fELF\x02\x01\x01" + b"\x00" * 50, "a Linux program"),
        (REPORT_D, HTML_AS_PDF, "an HTML or XML document"),
        (REPORT_D, pptx_bytes(), "PowerPoint presentation (.pptx)"),
        (REPORT_D, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 50, "an old Microsoft Office"),
        (SLIDES_D, docx_bytes(), "a zip archive (not a presentation)"),
        (SLIDES_D, b"PK\x03\x04 broken zip", "a zip archive (not a presentation)"),
        (SLIDES_D, b"just some text", "not a recognised document"),
        (REPORT_D, b"", "is empty"),
    ],
)
def test_other_content_is_refused_with_what_it_looks_like(
    tmp_path: Path, deliverable: Deliverable, content: bytes, looks: str
) -> None:
    with pytest.raises(DeliverableRefused) as caught:
        check_file(deliverable, _file(tmp_path, content), "report.pdf")
    assert looks in caught.value.message and "report.pdf" in caught.value.message


def test_a_file_for_a_link_and_a_link_for_a_file_are_refused(tmp_path: Path) -> None:
    code = Deliverable(key="code", kind="repository_link", title="Code")
    with pytest.raises(DeliverableRefused, match="send its address"):
        check_file(code, _file(tmp_path, pdf_bytes()), "r.pdf")
    with pytest.raises(DeliverableRefused, match="upload it"):
        check_link(REPORT_D, "https://github.com/a/b")


def test_links() -> None:
    code = Deliverable(key="code", kind="repository_link", title="Code")
    video = Deliverable(key="demo", kind="video_link", title="Demo")
    assert check_link(code, " https://GitHub.com/Team/Repo ") == "https://github.com/Team/Repo"
    assert check_link(code, "https://gitlab.com/g/sub/repo") == "https://gitlab.com/g/sub/repo"
    assert check_link(video, "https://media.example.org/v/1?t=3") == (
        "https://media.example.org/v/1?t=3"
    )
    for bad, why in [
        ("ftp://github.com/a/b", "only https"),
        ("data:text/html,<script>", "only https"),
        ("https://localhost/a", "not a public host name"),
        ("https://[::1]/a", "not an IP address"),
        ("https://10.0.0.1/a", "not an IP address"),
        ("https://github.com@evil.org/a", "user name or password"),
        ("https://github.com:99999/a", "does not read as a URL"),
        ("https://bitbucket.org.evil.org/a", "not one of the accepted hosts"),
        ("https://github.com/a\nb", "spaces or control characters"),
        ("https://github.com/" + "a" * 2100, "longer than 2000 characters"),
        ("", "the address is empty"),
    ]:
        with pytest.raises(DeliverableRefused) as caught:
            check_link(code, bad)
        assert why in caught.value.message, (bad, caught.value.message)
