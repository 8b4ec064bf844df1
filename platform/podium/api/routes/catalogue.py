"""The open catalogue: public datasets, baselines and starting kits of every challenge."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse

from podium.api.deps import CurrentUser, OptionalUser, SessionDep, StoreDep
from podium.services import catalogue
from podium.services.catalogue import CatalogueItem

router = APIRouter(prefix="/catalogue", tags=["catalogue"])
TagQuery = Annotated[str | None, Query(max_length=64, description="one tag, e.g. baseline")]
TextQuery = Annotated[str | None, Query(max_length=200, description="words to look for")]
_BINARY = {"schema": {"type": "string", "format": "binary"}}
_FILE: dict[int | str, dict[str, Any]] = {
    200: {"description": "the file, or a folder as a zip", "content": {"application/zip": _BINARY}}
}


@router.get("", response_model=list[CatalogueItem])
def list_catalogue(
    session: SessionDep, user: OptionalUser, tag: TagQuery = None, q: TextQuery = None
) -> list[CatalogueItem]:
    """Public files of every visible challenge, with licence, size and sha256; ?tag= and ?q=."""
    return catalogue.search(session, user=user, tag=tag, text=q)


@router.get("/{slug}/{name}", response_class=FileResponse, responses=_FILE)
def download_item(
    slug: str, name: str, session: SessionDep, store: StoreDep, user: CurrentUser
) -> FileResponse:
    """Download one catalogue entry (registered users only)."""
    found = catalogue.download(session, store, user=user, slug=slug, name=name)
    return FileResponse(found.path, media_type=found.media_type, filename=found.filename)
