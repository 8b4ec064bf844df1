"""Leaderboards (JSON or CSV, optional composite) and each team's best score over time.

The views themselves are :mod:`podium.services.boards`' (the pages show the same ones); this
module answers HTTP. Ranked views are cached per (challenge, phase, split[, weights]) as
ready-made JSON pieces and rebuilt when a submission of the challenge changes
(:class:`LeaderboardCache`). An anonymous JSON request for a cached view costs one indexed
query (:func:`podium.services.board_cache.board_keys`: challenge, phases, change token) and a
join of bytes; any other request (a caller with a token, CSV, weights, not cached, refused)
takes the full path, which loads the objects, checks the caller's roles, builds what is missing
and gives the reason for a refusal.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Annotated, Literal

from anyio import CapacityLimiter, to_thread
from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic_core import to_json
from sqlalchemy import Connection
from sqlmodel import Session

from leaderboard import Leaderboard, default_weights, to_csv
from podium.api.deps import (
    BoardCacheDep,
    ChallengeDep,
    OptionalUser,
    SessionDep,
    TokenDep,
    get_board_cache,
    get_challenge,
    get_optional_user,
)
from podium.api.ids import Offset
from podium.crud.phases import choose_phase
from podium.crud.team_profiles import ProfileFilter, matching_teams, profile_filter, profiles_of
from podium.errors import InvalidInput
from podium.services import boards
from podium.services.board_cache import LeaderboardCache, board_keys, change_token
from podium.services.board_models import HistoryOut, LeaderboardOut
from podium.services.boards import View
from podium.services.ranking import refusal

router = APIRouter(tags=["leaderboard"])

PAGE_DEFAULT = 100
PAGE_MAX = 5000
LEADERBOARD_THREADS = 4
CSV_ANSWER = {
    "description": "with format=csv: the whole ranking as CSV (a header row, rounded values)",
    "content": {"text/csv": {"schema": {"type": "string"}}},
}


def get_view(
    challenge: ChallengeDep,
    session: SessionDep,
    user: OptionalUser,
    phase: str | None = None,
    split: str = "public",
) -> View:
    """The phase and split asked for, once the caller is known to be allowed to see them."""
    return boards.resolve_view(session, challenge=challenge, user=user, phase=phase, split=split)


ViewDep = Annotated[View, Depends(get_view)]


@dataclass(frozen=True)
class BoardQuery:
    """What a leaderboard request asks for, besides the challenge and the caller."""

    phase: str | None
    split: str
    format: str
    weights: str | None
    offset: int
    limit: int
    country: str | None = None
    category: str | None = None


@router.get(
    "/challenges/{slug}/leaderboard",
    response_model=LeaderboardOut,
    responses={200: CSV_ANSWER},
)
async def read_leaderboard(
    request: Request,
    slug: str,
    bearer: TokenDep,
    phase: str | None = None,
    split: str = "public",
    format: Literal["json", "csv"] = "json",
    weights: Annotated[str | None, Query(description="e.g. rmse:4,wall_seconds:1")] = None,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=PAGE_MAX)] = PAGE_DEFAULT,
    country: Annotated[
        str | None,
        Query(description="only teams of this ISO 3166-1 alpha-2 country (where shown)"),
    ] = None,
    category: Annotated[
        str | None, Query(description="only teams of this category (where shown)")
    ] = None,
) -> Response:
    """One phase's ranking on one split: ranks, ties, intervals, efficiency (JSON or CSV).

    ``country`` and ``category`` keep the teams that declared them, with their overall ranks,
    on challenges that show teams' profiles (``teams.show_profile``)."""
    # The dependencies run in one worker thread, called in order, instead of FastAPI's one
    # thread hop each: at 200 requests/s the hops cost more than the cached answer itself.
    # The answer is bytes made from LeaderboardOut's models when the ranking was built.
    query = BoardQuery(phase, split, format, weights, offset, limit, country, category)
    return await to_thread.run_sync(
        _answer, request, slug, bearer, query, limiter=_limiter(request)
    )


def _limiter(request: Request) -> CapacityLimiter:
    """Few leaderboard threads at once: more only fight over the GIL and the database pool
    (whose overflow connections are opened and closed per use) and serve no one sooner."""
    state = request.app.state
    limiter: CapacityLimiter | None = getattr(state, "leaderboard_limiter", None)
    if limiter is None:
        limiter = state.leaderboard_limiter = CapacityLimiter(LEADERBOARD_THREADS)
    return limiter


def _answer(request: Request, slug: str, bearer: str | None, query: BoardQuery) -> Response:
    engine = request.app.state.engine
    filtered = bool(query.country or query.category)
    if bearer is None and query.format == "json" and query.weights is None and not filtered:
        with engine.connect() as connection:
            body = _cached_page(connection, get_board_cache(request), slug, query)
        if body is not None:
            return Response(body, media_type="application/json")
    with Session(engine, expire_on_commit=False) as session:
        user = get_optional_user(session, bearer)
        challenge = get_challenge(slug, session, user)
        view = get_view(challenge, session, user, query.phase, query.split)
        wanted = profile_filter(challenge, country=query.country, category=query.category)
        if wanted.active:
            return _filtered_response(view, session, get_board_cache(request), query, wanted)
        return _board_response(view, session, get_board_cache(request), query)


def _cached_page(
    connection: Connection, cache: LeaderboardCache, slug: str, query: BoardQuery
) -> bytes | None:
    """An anonymous caller's page straight from the cache after one query, or None: then the
    full path answers (it builds what is missing, and refuses with the reason). The checks are
    ``get_challenge`` and ``check_visible``'s for a caller without a role."""
    key = choose_phase(board_keys(connection, slug), query.phase)
    if key is None or not key.published:
        return None  # the full path says which phases exist, or that there is no such challenge
    visibility = key.settings.visibility
    if refusal(slug, visibility, key.revealed_private, None, query.split) is not None:
        return None
    table = cache.peek(key.key(query.split, "board"), key.token)
    if not isinstance(table, boards.Ranked) or table.settings != key.settings:
        return None
    return _page(table.head, table.entries, query.offset, query.limit) + b"]}"


def _page(head: bytes, entries: tuple[bytes, ...], offset: int, limit: int) -> bytes:
    """The JSON answer's head, the page's bounds and its entries, object and list left open."""
    bounds = f',"offset":{offset},"limit":{limit},"entries":['.encode()
    return b"".join((head, bounds, b",".join(entries[offset : offset + limit])))


def _board_response(
    view: View, session: Session, cache: LeaderboardCache, query: BoardQuery
) -> Response:
    table = boards.ranked(view, session, cache)
    if query.format == "csv":
        text = cache.get(view.key("csv"), table.token, lambda: to_csv(table.board))
        name = f"{view.challenge.slug}-{view.phase.name}-{view.split}.csv"
        headers = {"Content-Disposition": f'attachment; filename="{name}"'}
        return Response(text, media_type="text/csv; charset=utf-8", headers=headers)
    page = slice(query.offset, query.offset + query.limit)
    head = boards.board_head(view, table.generated_at, len(table.entries))
    parts = [_page(head, table.entries, query.offset, query.limit)]
    if query.weights is not None:
        chosen = _weights(query.weights, table.board)
        rows = cache.get(
            view.key("composite", tuple(sorted(chosen.items()))),
            table.token,
            lambda: tuple(boards.encode(c) for c in boards.composite_rows(table.board, chosen)),
        )
        parts += [b'],"weights":', to_json(chosen), b',"composite":[', b",".join(rows[page])]
    parts.append(b"]}")
    return Response(b"".join(parts), media_type="application/json")


def _filtered_response(
    view: View, session: Session, cache: LeaderboardCache, query: BoardQuery, wanted: ProfileFilter
) -> Response:
    """The ranking's entries of the teams matching ``wanted`` (overall ranks kept), JSON or CSV."""
    table = boards.ranked(view, session, cache)
    keep = matching_teams(profiles_of(session, challenge=view.challenge), wanted)
    chosen = [i for i, e in enumerate(table.board.entries) if e.team_id in keep]
    if query.format == "csv":
        board = replace(table.board, entries=tuple(table.board.entries[i] for i in chosen))
        name = f"{view.challenge.slug}-{view.phase.name}-{view.split}-filtered.csv"
        headers = {"Content-Disposition": f'attachment; filename="{name}"'}
        return Response(to_csv(board), media_type="text/csv; charset=utf-8", headers=headers)
    entries = tuple(table.entries[i] for i in chosen)
    head = boards.board_head(view, table.generated_at, len(entries))
    return Response(
        _page(head, entries, query.offset, query.limit) + b"]}", media_type="application/json"
    )


@router.get("/challenges/{slug}/leaderboard/history", response_model=HistoryOut)
def read_history(view: ViewDep, session: SessionDep, cache: BoardCacheDep) -> Response:
    """Each team's best displayed primary score after each of its submissions (for plots)."""
    token = change_token(session, challenge=view.challenge)
    body = cache.get(
        view.key("history"), token, lambda: boards.encode(boards.history(session, view))
    )
    return Response(body, media_type="application/json")


def _weights(text: str, board: Leaderboard) -> dict[str, float]:
    parsed = parse_weights(text, board.primary)
    return parsed if parsed is not None else default_weights(board.primary)


def parse_weights(text: str, primary: str) -> dict[str, float] | None:
    """``"accuracy:4,wall_seconds:1"`` as ``{column: weight}``; empty text: the defaults (None).

    Raises:
        InvalidInput: A part is not ``name:number``.
    """
    weights: dict[str, float] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        name, _, number = part.partition(":")
        try:
            value = float(number)
        except ValueError:
            value = math.nan
        if not name.strip() or not math.isfinite(value):
            raise InvalidInput(
                f"weights part {part!r} is not name:number; write e.g. {primary}:4,wall_seconds:1"
            )
        weights[name.strip()] = value
    return weights or None
