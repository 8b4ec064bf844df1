"""Leaderboards (JSON or CSV, optional composite) and each team's best score over time.

Ranked views are cached per (challenge, phase, split[, weights]) as ready-made JSON pieces and
rebuilt when a submission of the challenge changes (:class:`LeaderboardCache`). An anonymous
JSON request for a cached view costs one indexed query (:func:`crud.board_keys`: challenge,
phases, change token) and a join of bytes; any other request (a caller with a token, CSV,
weights, not cached, refused) takes the full path, which loads the objects, checks the
caller's roles, builds what is missing and gives the reason for a refusal. The judges' router
joins here.
"""

from __future__ import annotations

import json
import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from anyio import CapacityLimiter, to_thread
from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy import Connection
from sqlmodel import Session

from leaderboard import (
    CompositeEntry,
    Leaderboard,
    LeaderboardEntry,
    LeaderboardError,
    best_over_time,
    composite,
    default_weights,
    to_csv,
)
from podium.api.deps import (
    ChallengeDep,
    OptionalUser,
    SessionDep,
    TokenDep,
    get_challenge,
    get_optional_user,
)
from podium.api.ids import Offset
from podium.api.routes import judging
from podium.crud import leaderboards as crud
from podium.crud.errors import InvalidInput
from podium.db.models import Challenge, Phase
from podium.db.types import utcnow
from podium.store import Store

router = APIRouter(tags=["leaderboard"])

PAGE_DEFAULT = 100
PAGE_MAX = 5000
LEADERBOARD_THREADS = 4


def get_cache(request: Request) -> crud.LeaderboardCache:
    """The application's leaderboard cache (one per process, made on first use)."""
    state = request.app.state
    cache: crud.LeaderboardCache | None = getattr(state, "leaderboard_cache", None)
    if cache is None:
        cache = state.leaderboard_cache = crud.LeaderboardCache(
            store=Store.from_settings(state.settings)
        )
    return cache


CacheDep = Annotated[crud.LeaderboardCache, Depends(get_cache)]


@dataclass(frozen=True)
class View:
    """A request's resolved target: challenge, phase, its settings and the split."""

    challenge: Challenge
    phase: Phase
    config: crud.BoardConfig
    split: str

    def key(self, *extra: Hashable) -> tuple[Hashable, ...]:
        return (self.challenge.id, self.phase.id, self.split, *extra)


def get_view(
    challenge: ChallengeDep,
    session: SessionDep,
    user: OptionalUser,
    phase: str | None = None,
    split: str = "public",
) -> View:
    """The phase and split asked for, once the caller is known to be allowed to see them."""
    chosen = crud.select_phase(session, challenge=challenge, name=phase)
    config = crud.board_config(challenge, chosen)
    role = crud.viewer_role(session, user=user, challenge=challenge)
    crud.check_visible(challenge, config, role, split)
    return View(challenge, chosen, config, split)


ViewDep = Annotated[View, Depends(get_view)]


@dataclass(frozen=True)
class Ranked:
    """A cached ranking: the library's table and each entry already encoded as JSON."""

    board: Leaderboard
    entries: tuple[bytes, ...]
    generated_at: datetime
    token: Hashable  # what it was built under: views derived from it are cached under it too
    head: bytes  # the JSON answer up to "total", object left open (see ``_page``)
    settings: Mapping[str, Any]  # the phase's leaderboard settings it was built under


def ranked(
    view: View, session: Session, cache: crud.LeaderboardCache, token: Hashable | None = None
) -> Ranked:
    """The view's ranking, cached while the change token (see ``change_token``) is unchanged."""
    if token is None:
        token = crud.change_token(session, challenge=view.challenge)

    def build() -> Ranked:
        board = crud.build_leaderboard(
            session, phase=view.phase, config=view.config, split=view.split, store=cache.store
        )
        encoded = tuple(_encode(entry_json(board, e)) for e in board.entries)
        at = utcnow()
        head = _head(view, at, len(encoded))
        return Ranked(board, encoded, at, token, head, dict(view.phase.leaderboard or {}))

    return cache.get(view.key("board"), token, build)


@dataclass(frozen=True)
class BoardQuery:
    """What a leaderboard request asks for, besides the challenge and the caller."""

    phase: str | None
    split: str
    format: str
    weights: str | None
    offset: int
    limit: int


@router.get("/challenges/{slug}/leaderboard", response_class=Response)
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
) -> Response:
    """One phase's ranking on one split: ranks, ties, intervals, efficiency (JSON or CSV)."""
    # The dependencies run in one worker thread, called in order, instead of FastAPI's one
    # thread hop each: at 200 requests/s the hops cost more than the cached answer itself.
    query = BoardQuery(phase, split, format, weights, offset, limit)
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
    if bearer is None and query.format == "json" and query.weights is None:
        with engine.connect() as connection:
            body = _cached_page(connection, get_cache(request), slug, query)
        if body is not None:
            return Response(body, media_type="application/json")
    with Session(engine, expire_on_commit=False) as session:
        user = get_optional_user(session, bearer)
        challenge = get_challenge(slug, session, user)
        view = get_view(challenge, session, user, query.phase, query.split)
        return _board_response(view, session, get_cache(request), query)


def _cached_page(
    connection: Connection, cache: crud.LeaderboardCache, slug: str, query: BoardQuery
) -> bytes | None:
    """An anonymous caller's page straight from the cache after one query, or None: then the
    full path answers (it builds what is missing, and refuses with the reason). The checks are
    ``get_challenge`` and ``check_visible``'s for a caller without a role."""
    key = crud.choose_phase(crud.board_keys(connection, slug), query.phase)
    if key is None or not key.published:
        return None  # the full path says which phases exist, or that there is no such challenge
    visibility = crud.visibility_of(key.settings)
    if crud.refusal(slug, visibility, key.revealed_private, None, query.split) is not None:
        return None
    table = cache.peek(key.key(query.split, "board"), key.token)
    if not isinstance(table, Ranked) or table.settings != key.settings:
        return None
    return _page(table.head, table.entries, query.offset, query.limit) + b"]}"


def _page(head: bytes, entries: tuple[bytes, ...], offset: int, limit: int) -> bytes:
    """The JSON answer's head, the page's bounds and its entries, object and list left open."""
    bounds = f',"offset":{offset},"limit":{limit},"entries":['.encode()
    return b"".join((head, bounds, b",".join(entries[offset : offset + limit])))


def _board_response(
    view: View, session: Session, cache: crud.LeaderboardCache, query: BoardQuery
) -> Response:
    table = ranked(view, session, cache)
    if query.format == "csv":
        text = cache.get(view.key("csv"), table.token, lambda: to_csv(table.board))
        name = f"{view.challenge.slug}-{view.phase.name}-{view.split}.csv"
        headers = {"Content-Disposition": f'attachment; filename="{name}"'}
        return Response(text, media_type="text/csv; charset=utf-8", headers=headers)
    page = slice(query.offset, query.offset + query.limit)
    head = _head(view, table.generated_at, len(table.entries))
    parts = [_page(head, table.entries, query.offset, query.limit)]
    if query.weights is not None:
        chosen = _weights(query.weights, table.board)
        rows = cache.get(
            view.key("composite", tuple(sorted(chosen.items()))),
            table.token,
            lambda: tuple(_encode(composite_json(c)) for c in _composite(table.board, chosen)),
        )
        parts += [b'],"weights":', _encode(chosen), b',"composite":[', b",".join(rows[page])]
    parts.append(b"]}")
    return Response(b"".join(parts), media_type="application/json")


@router.get("/challenges/{slug}/leaderboard/history")
def read_history(view: ViewDep, session: SessionDep, cache: CacheDep) -> Response:
    """Each team's best displayed primary score after each of its submissions (for plots)."""
    token = crud.change_token(session, challenge=view.challenge)
    body = cache.get(view.key("history"), token, lambda: _encode(_history(view, session)))
    return Response(body, media_type="application/json")


def _history(view: View, session: Session) -> dict[str, Any]:
    config = view.config
    entries = crud.load_entries(
        session, phase=view.phase, metrics=(config.primary, *config.secondary)
    )
    names = {e.team_id: e.team_name for e in entries}
    points = best_over_time(
        entries,
        config.primary,
        config.greater_is_better[config.primary],
        split=view.split,
        phase_end=view.phase.end,
        decimals=config.decimals,
    )
    return {
        **_identity(view),
        "generated_at": utcnow().isoformat(),
        "teams": [
            {
                "team_id": team,
                "team": names[team],
                "points": [{"at": p.at.isoformat(), "best": p.best} for p in history],
            }
            for team, history in sorted(points.items(), key=lambda item: names[item[0]])
        ],
    }


def _identity(view: View) -> dict[str, Any]:
    return {
        "challenge": view.challenge.slug,
        "phase": view.phase.name,
        "split": view.split,
        "primary": view.config.primary,
        "secondary": list(view.config.secondary),
        "greater_is_better": dict(view.config.greater_is_better),
        "decimals": view.config.decimals,
    }


def _head(view: View, generated_at: datetime, total: int) -> bytes:
    """The answer's fields up to ``total`` as JSON, the object left open for the page's."""
    fields = {
        **_identity(view),
        "rule": view.config.rule.kind,
        "generated_at": generated_at.isoformat(),
        "total": total,
    }
    return _encode(fields)[:-1]


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


def _composite(board: Leaderboard, weights: dict[str, float]) -> list[CompositeEntry]:
    try:
        return composite(board, weights)
    except LeaderboardError as error:
        raise InvalidInput(str(error)) from None


def entry_json(board: Leaderboard, e: LeaderboardEntry) -> dict[str, Any]:
    """One leaderboard entry as the API shows it: displayed (rounded) values only."""
    interval = e.display_interval
    p_next = e.p_value_to_next
    return {
        "rank": e.rank,
        "tie_group": e.tie_group,
        "tied_with_next": e.tied_with_next,
        "p_value_to_next": None if p_next is None or math.isnan(p_next) else round(p_next, 4),
        "team": e.team_name,
        "team_id": e.team_id,
        "baseline": e.baseline,
        "submission_id": e.submission_id,
        "scores": dict(e.display_scores),
        "interval": None if interval is None else {"low": interval.low, "high": interval.high},
        "efficiency": {
            "wall_seconds": e.efficiency.wall_seconds,
            "cpu_seconds": e.efficiency.cpu_seconds,
            "peak_memory_mb": e.efficiency.peak_memory_mb,
        },
        "submission_count": e.submission_count,
        "last_submission_at": None
        if e.last_submission_at is None
        else e.last_submission_at.isoformat(),
    }


def composite_json(c: CompositeEntry) -> dict[str, Any]:
    """One composite row: rank, rounded score, per-column contributions and what it misses."""
    return {
        "rank": c.rank,
        "team": c.team_name,
        "team_id": c.team_id,
        "submission_id": c.submission_id,
        "score": c.display_score,
        "leaderboard_rank": c.leaderboard_rank,
        "values": dict(c.values),
        "contributions": {k: round(v, 6) for k, v in c.contributions.items()},
        "missing": list(c.missing),
    }


def _encode(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), allow_nan=False).encode()


# after this module's routes, so that a leaderboard request is matched before the judges' ones
# are tried (no path of theirs overlaps these two)
router.include_router(judging.router)
