"""Podium's adapter for an imported ingestion program; standalone, the team's entrypoint.

The starting kit's Dockerfile copies the team's code to ``$PODIUM_SUBMISSION`` and runs this
file from ``/input/podium/``. It runs the challenge's ingestion program unchanged, with its
platform's placeholders: ``$input`` (the input data), ``$output`` (Podium's ``/output``, what
the scoring program reads as ``res``), ``$program`` and ``$ingestion_program`` (the ingestion
program), ``$submission_program`` (the team's code), ``$shared`` and ``$tmp``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    command = json.loads((HERE / "ingest.json").read_text())["command"]
    program = HERE.parent / "ingestion_program"
    work = Path(tempfile.mkdtemp(prefix="ingestion-"))
    (work / "shared").mkdir()
    values = {
        "input": str(HERE.parent / "input_data"),
        "output": os.environ.get("PODIUM_OUTPUT", "/output"),
        "program": str(program),
        "ingestion_program": str(program),
        "submission_program": os.environ.get("PODIUM_SUBMISSION", "/app/submission"),
        "shared": str(work / "shared"),
        "tmp": str(work),
    }
    for name in sorted(values, key=len, reverse=True):  # $submission_program before $program
        command = command.replace(f"${name}", values[name])
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "HOME": str(work)}
    return subprocess.call(["sh", "-c", command], cwd=program, env=env)


if __name__ == "__main__":
    sys.exit(main())
