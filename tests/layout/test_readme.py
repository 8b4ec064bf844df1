"""The README is the operator's first page: it opens with the two commands and lists every
setting the platform reads."""

from __future__ import annotations

from pathlib import Path

from podium.settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_opens_with_the_two_commands() -> None:
    head = README.read_text().splitlines()[:5]
    assert head[0] == "# Podium"
    assert any(line.startswith("make run") for line in head)
    assert any(line.startswith("make test") for line in head)


def test_readme_lists_every_setting() -> None:
    text = README.read_text()
    missing = [f"PODIUM_{name.upper()}" for name in Settings.model_fields]
    missing = [name for name in missing if f"`{name}`" not in text]
    assert missing == []
