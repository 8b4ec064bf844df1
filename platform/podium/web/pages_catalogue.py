"""The open catalogue's page: every public dataset, baseline and starting kit, by tag or words."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from podium.api.deps import SessionDep, StoreDep
from podium.services import catalogue
from podium.web.errors import PageRoute
from podium.web.render import render
from podium.web.session import LoggedInUser, PageUser

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def size_text(size_bytes: int) -> str:
    """A size for people: 512 B, 14.2 kB, 3.1 MB."""
    size = float(size_bytes)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size_bytes} B"


@router.get("/catalogue", response_class=HTMLResponse)
def catalogue_page(
    request: Request,
    session: SessionDep,
    user: PageUser,
    tag: Annotated[str, Query(max_length=64)] = "",
    q: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """The catalogue, filtered by one tag and by words."""
    everything = catalogue.search(session, user=user)
    shown = catalogue.search(session, user=user, tag=tag or None, text=q or None)
    rows = [(item, size_text(item.size_bytes)) for item in shown]
    context = {"rows": rows, "tags": catalogue.all_tags(everything), "tag": tag, "q": q}
    return render(request, "catalogue.html", context)


@router.get("/catalogue/{slug}/{name}")
def catalogue_download(
    slug: str, name: str, session: SessionDep, store: StoreDep, user: LoggedInUser
) -> Response:
    """Download one entry (anonymous visitors are sent to the login page first)."""
    found = catalogue.download(session, store, user=user, slug=slug, name=name)
    return FileResponse(found.path, media_type=found.media_type, filename=found.filename)
