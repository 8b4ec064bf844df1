"""The leaderboard as pages show it: the shared ranking (and cache) plus bars, ties and a plot.

Ranking, caching and the history come from :mod:`podium.services.boards` (the same cached
table and history the API answers with), visibility from :mod:`podium.services.ranking`; this module
only turns them into rows and lines to draw.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from fastapi import Request
from sqlmodel import Session

from leaderboard import PRIVATE, PUBLIC, Leaderboard, LeaderboardEntry
from podium.api.deps import get_board_cache
from podium.crud.leaderboards import viewer_role
from podium.crud.phases import select_phase
from podium.crud.team_profiles import (
    ProfileFilter,
    matching_teams,
    profiles_of,
    profiles_shown,
)
from podium.db.models import Challenge, Phase, TeamProfile, User
from podium.db.types import utcnow
from podium.errors import PermissionDenied
from podium.services import ranking
from podium.services.boards import View, best_scores_over_time, ranked
from podium.web.charts import IntervalBar, Plot, history_plot, interval_bars


@dataclass(frozen=True)
class BoardRow:
    """One drawn row: the entry, its interval bar and its tie mark (``T2``: tie group 2)."""

    entry: LeaderboardEntry
    bar: IntervalBar | None
    tie_mark: str | None


@dataclass(frozen=True)
class BoardView:
    """A phase's leaderboard for one viewer, or the sentence saying why it is not shown."""

    phase: Phase
    split: str
    splits: tuple[str, ...]
    config: ranking.BoardConfig | None = None
    rows: tuple[BoardRow, ...] = ()
    plot: Plot | None = None
    hidden: str | None = None
    board: Leaderboard | None = None
    # the teams' profiles where the challenge shows them (None: not shown), and the filter
    profiles: dict[int, TeamProfile] | None = None
    filter: ProfileFilter = field(default_factory=ProfileFilter)


def _rows(board: Leaderboard) -> tuple[BoardRow, ...]:
    groups = Counter(e.tie_group for e in board.entries if e.tie_group is not None)
    bars = interval_bars(
        {
            e.submission_id: (e.display_interval.low, score, e.display_interval.high)
            for e in board.entries
            if e.display_interval is not None
            and (score := e.display_scores.get(board.primary)) is not None
        }
    )
    return tuple(
        BoardRow(
            e,
            bars.get(e.submission_id),
            f"T{e.tie_group}" if e.tie_group is not None and groups[e.tie_group] > 1 else None,
        )
        for e in board.entries
    )


def _plot(session: Session, view: View, keep: set[int] | None = None) -> Plot | None:
    config = view.config
    history, names = best_scores_over_time(session, view)
    if keep is not None:
        history = {team_id: points for team_id, points in history.items() if team_id in keep}
    # the x axis ends at the latest submission: a long idle tail would squash the lines
    until = max((p.at for points in history.values() for p in points), default=utcnow())
    return history_plot(
        history, names, y_label=config.primary, decimals=config.decimals, until=until
    )


def board_view(
    request: Request,
    session: Session,
    *,
    challenge: Challenge,
    user: User | None,
    phase_name: str | None,
    split: str = PUBLIC,
    wanted: ProfileFilter | None = None,
) -> BoardView:
    """The leaderboard of ``phase_name`` (default: the current phase) as ``user`` may see it;
    with ``wanted``, only the teams of that country and category (overall ranks kept)."""
    phase = select_phase(session, challenge=challenge, name=phase_name)
    config = ranking.board_config(challenge, phase)
    role = viewer_role(session, user=user, challenge=challenge)
    splits = tuple(s for s in (PUBLIC, PRIVATE) if _allowed(challenge, config, role, s))
    if split not in splits:
        return BoardView(
            phase, split, splits, config, hidden=_why_hidden(challenge, config, role, split)
        )
    view = View(challenge, phase, config, split)
    table = ranked(view, session, get_board_cache(request)).board
    wanted = wanted or ProfileFilter()
    profiles = profiles_of(session, challenge=challenge) if profiles_shown(challenge) else None
    rows, keep = _rows(table), None
    if profiles is not None and wanted.active:
        keep = matching_teams(profiles, wanted)
        rows = tuple(r for r in rows if r.entry.team_id in keep)
    plot = _plot(session, view, keep)
    return BoardView(phase, split, splits, config, rows, plot, None, table, profiles, wanted)


def _allowed(
    challenge: Challenge, config: ranking.BoardConfig, role: str | None, split: str
) -> bool:
    return _why_hidden(challenge, config, role, split) is None


def _why_hidden(
    challenge: Challenge, config: ranking.BoardConfig, role: str | None, split: str
) -> str | None:
    try:
        ranking.check_visible(challenge, config, role, split)
    except PermissionDenied as error:
        return error.message
    return None
