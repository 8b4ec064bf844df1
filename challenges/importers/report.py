"""What an import did: every key mapped, every key dropped and why, every assumption made."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ImportReport:
    """The honest account of one import, written next to the bundle as ``IMPORT_REPORT.md``."""

    source_format: str
    mapped: list[tuple[str, str]] = field(default_factory=list)  # their key -> where it went
    dropped: list[tuple[str, str]] = field(default_factory=list)  # their key -> why
    assumptions: list[str] = field(default_factory=list)

    def map(self, key: str, target: str) -> None:
        self.mapped.append((key, target))

    def drop(self, key: str, why: str) -> None:
        self.dropped.append((key, why))

    def assume(self, text: str) -> None:
        self.assumptions.append(text)

    def to_markdown(self) -> str:
        """The report as Markdown: three sections, one line per key or assumption."""
        lines = [f"# Import report ({self.source_format})", "", "## Mapped", ""]
        lines += [f"- `{key}` → {target}" for key, target in self.mapped] or ["- nothing"]
        lines += ["", "## Dropped", ""]
        lines += [f"- `{key}`: {why}" for key, why in self.dropped] or ["- nothing"]
        lines += ["", "## Assumptions", ""]
        lines += [f"- {text}" for text in self.assumptions] or ["- none"]
        return "\n".join(lines) + "\n"
