"""Import another platform's competition bundle as a Podium bundle, with an honest report.

::

    from challenges.importers import import_bundle

    report = import_bundle(Path("competition.zip"), Path("my-challenge"))  # format detected
    print(report.to_markdown())   # also written to my-challenge/IMPORT_REPORT.md

Codabench (``competition.yaml``, ``version: 2``), CodaLab v1 (``competition.yaml`` with
numbered phases) and EvalAI (``challenge_config.yaml`` and an ``evaluation_script`` zip) are
read. Their scoring programs are kept unchanged and run behind an adapter
(``adapters/score.py``) through the scoring contract ``files``; their ingestion programs run in
the team's container behind ``adapters/ingest.py``. Result-only phases become phases that take
``predictions`` submissions.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from challenges.importers.codabench import read_codabench
from challenges.importers.codalab import read_codalab
from challenges.importers.evalai import read_evalai
from challenges.importers.model import Competition
from challenges.importers.report import ImportReport
from challenges.importers.source import ImportFailed, detect_format, open_source
from challenges.importers.writer import REPORT_FILE, write_bundle

FORMATS = ("codabench", "codalab", "evalai")
Reader = Callable[[Path, Path, ImportReport], Competition]
READERS: dict[str, Reader] = {
    "codabench": read_codabench,
    "codalab": read_codalab,
    "evalai": read_evalai,
}

__all__ = ["FORMATS", "REPORT_FILE", "ImportFailed", "ImportReport", "import_bundle"]


def import_bundle(source: Path, dest: Path, source_format: str | None = None) -> ImportReport:
    """Write the Podium bundle for ``source`` (a folder or zip) into ``dest``.

    Args:
        source: the other platform's bundle folder, or its zip.
        dest: a missing or empty folder for the Podium bundle.
        source_format: codabench, codalab or evalai; detected from the YAML when None.

    Returns:
        The report (also written to ``dest/IMPORT_REPORT.md``).

    Raises:
        ImportFailed: the bundle cannot be imported; the message says why and what to do.
    """
    if dest.exists() and any(dest.iterdir()):
        raise ImportFailed(f"{dest} is not empty; give a new folder for the Podium bundle")
    work = Path(tempfile.mkdtemp(prefix="podium-import-"))
    try:
        root = open_source(source, work)
        detected = detect_format(root)
        chosen = source_format or detected
        if chosen not in READERS:
            raise ImportFailed(f"unknown format {chosen!r}; formats: {', '.join(FORMATS)}")
        if chosen != detected:
            raise ImportFailed(
                f"{source.name} looks like a {detected} bundle, not {chosen}; drop --format "
                "or give the bundle it was meant for"
            )
        report = ImportReport(chosen)
        competition = READERS[chosen](root, work, report)
        try:
            write_bundle(competition, dest, report)
        except BaseException:
            shutil.rmtree(dest, ignore_errors=True)
            raise
        return report
    finally:
        shutil.rmtree(work, ignore_errors=True)
