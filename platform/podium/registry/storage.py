"""What the registry's filesystem store holds, read where the data folder is (`podium up`, an
operator's shell, an API container with the registry's volume).

The registry's HTTP API lists only tagged manifests (and no catalog to participants); a manifest
pushed by digest, or whose tag was moved, is still stored and still counts. Distribution keeps
one ``link`` file per stored manifest of a repository, under
``docker/registry/v2/repositories/<name>/_manifests/revisions/sha256/<hex>/link``; its mtime is
when the manifest was last put there.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from podium.registry.access import TEAM_REPOSITORY

REPOSITORIES = Path("docker/registry/v2/repositories")
HEX = re.compile(r"^[0-9a-f]{64}$")


def repositories_root(data: Path) -> Path:
    return data / REPOSITORIES


def stored_manifests(data: Path, repository: str) -> dict[str, datetime]:
    """Every manifest digest ``repository`` stores (tagged or not) and when it was put there."""
    revisions = repositories_root(data) / repository / "_manifests" / "revisions" / "sha256"
    found: dict[str, datetime] = {}
    if not revisions.is_dir():
        return found
    for entry in revisions.iterdir():
        link = entry / "link"
        if HEX.match(entry.name) and link.is_file():
            found[f"sha256:{entry.name}"] = datetime.fromtimestamp(link.stat().st_mtime, UTC)
    return found


def team_repositories(data: Path) -> list[str]:
    """The team repositories (``teams/<slug>/<team id>``) the store holds."""
    root = repositories_root(data) / "teams"
    if not root.is_dir():
        return []
    names = [f"teams/{slug.name}/{team.name}" for slug in root.iterdir() for team in slug.iterdir()]
    return sorted(name for name in names if TEAM_REPOSITORY.match(name))
