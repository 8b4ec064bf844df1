"""The example edition: `podium up --examples` groups the example challenges into
"Podium AI for Good example edition" (challenges/examples/edition.yaml), through the same
loader as `podium edition load` and ``PUT /api/v1/editions/{slug}``."""

from __future__ import annotations

import logging

from sqlmodel import Session

from challenges.examples import EXAMPLES_DIR
from podium.crud.edition_specs import parse_edition_yaml
from podium.crud.editions import load_edition
from podium.db.models.editions import Edition
from podium.errors import PodiumError

log = logging.getLogger(__name__)
EDITION_FILE = EXAMPLES_DIR / "edition.yaml"


def load_example_edition(session: Session) -> Edition | None:
    """Declare (or refresh: idempotent) the example edition; None, with a warning in the log,
    when the example challenges it names are not all installed."""
    spec = parse_edition_yaml(EDITION_FILE.read_text(encoding="utf-8"), source=str(EDITION_FILE))
    try:
        return load_edition(session, spec=spec)
    except PodiumError as error:
        log.warning("the example edition was not loaded: %s", error.message)
        return None
