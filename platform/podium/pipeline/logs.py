"""An attempt's log folder in the store: build log, stdout and stderr tails, run facts.

They are participant output and are never interpreted here. Who reads which is decided in
:mod:`podium.crud.submission_logs`: the build log and the smoke run's logs (public data) go to
the team where the phase's ``show_logs`` allows; the hidden run's stdout and stderr to the
challenge's staff only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


class LogDir:
    """The files of one evaluation attempt under ``store/logs/<submission>/<attempt>/``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, name: str, text: str) -> Path:
        """Write one text file (created with its folder); return its path."""
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / name
        path.write_text(text, encoding="utf-8", errors="replace")
        return path

    def write_json(self, name: str, data: Any) -> Path:
        """Write one JSON file; return its path."""
        return self.write(name, json.dumps(data, indent=2, default=str))

    def files(self) -> list[Path]:
        """The files written so far, by name."""
        if not self.root.is_dir():
            return []
        return sorted(path for path in self.root.iterdir() if path.is_file())
