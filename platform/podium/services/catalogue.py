"""The open catalogue: every public dataset, baseline and starting kit of every challenge.

It is read from what each challenge already records at registration (``Challenge.public_files``:
name, size, sha256; computed once when the bundle is installed) and from the stored spec
(licence, kind), so it needs no table of its own and can never list anything the challenge does
not publish: the hidden sets are not in ``public_files`` at all. Downloads go through the
challenge's own allow-list (:func:`podium.services.downloads.public_download`).
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from pydantic import BaseModel
from sqlmodel import Session

from challenges.schema import ChallengeSpec, PublicFile
from podium.crud.challenge_views import starting_kit_name
from podium.crud.challenges import require_visible_challenge, visible_challenges
from podium.db.models import Challenge, User
from podium.services.downloads import Download, public_download
from podium.store import Store

API_PREFIX = "/api/v1/catalogue"
KINDS = ("dataset", "baseline", "starting-kit")
NO_LICENCE = "not stated"


class CatalogueItem(BaseModel):
    """One public file or folder of one challenge, as the catalogue lists it."""

    challenge: str
    challenge_title: str
    name: str
    title: str
    description: str
    kind: str
    tags: list[str]
    licence: str
    format: str
    size_bytes: int
    sha256: str
    download_url: str


def _kind(declared: PublicFile | None, entry: dict[str, Any], spec: ChallengeSpec | None) -> str:
    if declared is not None and declared.kind is not None:
        return declared.kind
    path = PurePosixPath(entry["path"]).as_posix()
    if spec is not None and any(PurePosixPath(b.path).as_posix() == path for b in spec.baselines):
        return "baseline"
    return "dataset"


def _declared(spec: ChallengeSpec | None) -> dict[str, PublicFile]:
    return {item.name: item for item in spec.data.public} if spec is not None else {}


def _spec(challenge: Challenge) -> ChallengeSpec | None:
    try:
        return challenge.parsed_spec
    except Exception:  # an old or damaged stored spec: list sizes and hashes, no licence
        return None


def items_of(challenge: Challenge) -> list[CatalogueItem]:
    """The catalogue entries of one challenge, in the order its bundle declares them."""
    spec = _spec(challenge)
    declared = _declared(spec)
    kit = starting_kit_name(challenge)
    items: list[CatalogueItem] = []
    for entry in challenge.public_files:
        item = declared.get(entry["name"])
        kind = "starting-kit" if entry["name"] == kit else _kind(item, entry, spec)
        licence = (item.licence if item else None) or (spec.data.licence if spec else None)
        items.append(
            CatalogueItem(
                challenge=challenge.slug,
                challenge_title=challenge.title,
                name=entry["name"],
                title=f"{challenge.title}: {entry['name']}",
                description=str(entry.get("description") or ""),
                kind=kind,
                tags=[*challenge.tags, kind],
                licence=licence or NO_LICENCE,
                format="zip" if entry["kind"] == "dir" else _suffix(entry["path"]),
                size_bytes=int(entry["size_bytes"]),
                sha256=str(entry["sha256"]),
                download_url=f"{API_PREFIX}/{quote(challenge.slug)}/{quote(entry['name'])}",
            )
        )
    return items


def _suffix(path: str) -> str:
    return PurePosixPath(path).suffix.lstrip(".").lower() or "file"


def _matches(item: CatalogueItem, tag: str | None, text: str | None) -> bool:
    if tag and tag.strip().lower() not in {t.lower() for t in item.tags}:
        return False
    if text:
        haystack = " ".join(
            [item.challenge, item.challenge_title, item.name, item.description, *item.tags]
        ).lower()
        return all(word in haystack for word in text.lower().split())
    return True


def search(
    session: Session, *, user: User | None, tag: str | None = None, text: str | None = None
) -> list[CatalogueItem]:
    """Every catalogue entry of the challenges ``user`` may see, filtered by tag and words."""
    found: list[CatalogueItem] = []
    for challenge in visible_challenges(session, user=user):
        found.extend(i for i in items_of(challenge) if _matches(i, tag, text))
    return found


def all_tags(items: list[CatalogueItem]) -> list[str]:
    """The tags of ``items``, sorted, each once."""
    return sorted({t for item in items for t in item.tags})


def download(session: Session, store: Store, *, user: User, slug: str, name: str) -> Download:
    """The public entry ``name`` of challenge ``slug`` (folders as their zip).

    Raises:
        NotFound: no such challenge visible to ``user``, or no such public entry.
    """
    challenge = require_visible_challenge(session, slug=slug, user=user, listed_at=API_PREFIX)
    return public_download(challenge, store, name.split("/", 1)[0])
