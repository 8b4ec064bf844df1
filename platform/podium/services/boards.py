"""The ranking views the API and the pages both show: a phase's leaderboard (cached), each
team's best score over time, the final ranking and its published versions.

Routes turn these into JSON (the models of :mod:`podium.services.board_models`), pages into
HTML; neither ranks, rounds or checks visibility on its own. A leaderboard is ranked once per
change of its boards (:func:`ranked`, cached under the board version that
:func:`podium.services.board_cache.change_token` reads, rebuilt in the background while the
previous ranking is served) and its entries are encoded as JSON then, so that the API's cached
answers are a join of bytes.
"""

from __future__ import annotations

import math
import pickle
import threading
from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import BaseModel, TypeAdapter
from sqlalchemy import Connection, Engine
from sqlmodel import Session

from challenges.schema import LeaderboardSpec
from leaderboard import (
    PRIVATE,
    CompositeEntry,
    FinalEntry,
    HistoryPoint,
    Leaderboard,
    LeaderboardEntry,
    LeaderboardError,
    best_over_time,
    composite,
)
from podium.crud import judging, publishing, roles
from podium.crud import leaderboards as entries_of
from podium.crud.board_entries import Candidates
from podium.crud.phases import select_phase
from podium.db.models import Challenge, Phase, User
from podium.db.models.judging import PublishedRanking
from podium.db.types import utcnow
from podium.errors import InvalidInput, NotFound, PermissionDenied
from podium.services import ranking
from podium.services.board_cache import LeaderboardCache, change_token
from podium.services.board_models import (
    BoardHead,
    BoardIdentity,
    CompositeOut,
    CriterionOut,
    EfficiencyOut,
    EntryOut,
    FinalHead,
    FinalRanking,
    FinalWeights,
    HistoryOut,
    HistoryPointOut,
    Interval,
    JudgedFinalEntry,
    JudgedFinalRanking,
    PlainFinalEntry,
    PlainFinalRanking,
    PublishedOut,
    TeamHistory,
    TeamRubricOut,
)
from podium.store import Store

FINAL_RANKING: TypeAdapter[FinalRanking] = TypeAdapter(FinalRanking)


@dataclass(frozen=True)
class View:
    """A request's resolved target: challenge, phase, its settings and the split."""

    challenge: Challenge
    phase: Phase
    config: ranking.BoardConfig
    split: str

    def key(self, *extra: Hashable) -> tuple[Hashable, ...]:
        return (self.challenge.id, self.phase.id, self.split, *extra)


def resolve_view(
    session: Session, *, challenge: Challenge, user: User | None, phase: str | None, split: str
) -> View:
    """The phase and split asked for, once ``user`` is known to be allowed to see them.

    Raises:
        NotFound: No such phase.
        PermissionDenied: The caller may not see this board or split (the message says why).
        InvalidInput: An unknown split.
    """
    chosen = select_phase(session, challenge=challenge, name=phase)
    config = ranking.board_config(challenge, chosen)
    role = entries_of.viewer_role(session, user=user, challenge=challenge)
    ranking.check_visible(challenge, config, role, split)
    return View(challenge, chosen, config, split)


Target = tuple[int | None, int | None, str]  # a board: (challenge id, phase id, split)


@dataclass(frozen=True)
class Ranked:
    """A cached ranking: each entry already encoded as JSON, and the library's table.

    The table is either there or pickled (a board ranked in the child process, see
    :mod:`podium.services.board_process`): :attr:`board` unpickles it on first use, so that
    answering from the encoded entries never pays for it.
    """

    entries: tuple[bytes, ...]
    generated_at: datetime
    token: Hashable  # what it was built under: views derived from it are cached under it too
    head: bytes  # the JSON answer up to "total", object left open (see ``board_head``)
    settings: LeaderboardSpec  # the phase's leaderboard rules it was built under
    candidates: Candidates | None = None  # what it was ranked from (the next build starts there)
    table: Leaderboard | None = None
    pickled: bytes | None = None  # the table, pickled, while it is not unpickled yet
    _guard: threading.Lock = field(default_factory=threading.Lock, compare=False, repr=False)

    @property
    def board(self) -> Leaderboard:
        """The library's table (unpickled on first use when it came from the child)."""
        with self._guard:
            if self.table is None:
                assert self.pickled is not None, "a Ranked has its table or its pickle"
                object.__setattr__(self, "table", pickle.loads(self.pickled))
                object.__setattr__(self, "pickled", None)
            assert self.table is not None
            return self.table

    def packed(self) -> Ranked:
        """This ranking as the child sends it: the table pickled, no candidates."""
        return Ranked(
            self.entries, self.generated_at, self.token, self.head, self.settings,
            pickled=pickle.dumps(self.board, protocol=pickle.HIGHEST_PROTOCOL),
        )  # fmt: skip

    def __getstate__(self) -> dict[str, object]:
        state = dict(self.__dict__)
        del state["_guard"]
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state, _guard=threading.Lock())


def ranked(
    view: View, session: Session, cache: LeaderboardCache, token: Hashable | None = None
) -> Ranked:
    """The view's ranking, cached under the challenge's board version (``change_token``).

    When the version has moved on, the caller gets the previous ranking while one background
    thread ranks the new one; only a cold start ranks in the caller. Either waits for the
    cache's ranking process when it has one (see :mod:`podium.services.board_process`).
    """
    if token is None:
        token = change_token(session, challenge=view.challenge)
    bind = session.get_bind()
    engine = bind.engine if isinstance(bind, Connection) else bind
    target = (view.challenge.id, view.phase.id, view.split)
    child = cache.ranking

    def build(previous: Ranked | None) -> Ranked:
        if child is None:
            return build_ranked(engine, target, token, cache.store, previous)
        return child.rank(engine, target, token, cache.store, previous)

    return cache.get_or_refresh(view.key("board"), token, build)


def build_ranked(
    engine: Engine,
    target: Target,
    token: Hashable,
    store: Store | None,
    previous: Ranked | None = None,
) -> Ranked:
    """Rank one board, ``(challenge id, phase id, split)``, in a session of its own (it runs in
    a background thread), reading the challenge and phase afresh; from ``previous``'s
    candidates brought up to date when given (see :func:`ranking.board_candidates`).

    Raises:
        NotFound: The challenge or the phase is gone.
        InvalidInput: Its ranking settings are invalid.
    """
    challenge_id, phase_id, split = target
    with Session(engine, expire_on_commit=False) as session:
        challenge = session.get(Challenge, challenge_id)
        phase = session.get(Phase, phase_id)
        if challenge is None or phase is None:
            raise NotFound(f"challenge {challenge_id} or its phase {phase_id} is gone")
        view = View(challenge, phase, ranking.board_config(challenge, phase), split)
        before = None if previous is None else previous.candidates
        candidates = ranking.board_candidates(
            session, phase=phase, config=view.config, split=split, previous=before
        )
        board = ranking.build_leaderboard(
            session, phase=phase, config=view.config, split=split, store=store,
            candidates=candidates,
        )  # fmt: skip
    encoded = tuple(encode(entry_out(board, e)) for e in board.entries)
    at = utcnow()
    head = board_head(view, at, len(encoded))
    return Ranked(encoded, at, token, head, phase.leaderboard_rules, candidates, board)


def encode(model: BaseModel) -> bytes:
    """A model as compact JSON (NaN and infinities as null)."""
    return model.__pydantic_serializer__.to_json(model)


def identity(view: View) -> BoardIdentity:
    """Which board ``view`` is, as its answers name it."""
    config = view.config
    return BoardIdentity(
        challenge=view.challenge.slug,
        phase=view.phase.name,
        split=view.split,
        primary=config.primary,
        secondary=list(config.secondary),
        greater_is_better=dict(config.greater_is_better),
        decimals=config.decimals,
    )


def board_head(view: View, generated_at: datetime, total: int) -> bytes:
    """A leaderboard answer's fields up to ``total`` as JSON, the object left open for the
    page's (see :class:`podium.services.board_models.LeaderboardOut`)."""
    fields = identity(view).model_dump()
    head = BoardHead(**fields, rule=view.config.rule.kind, generated_at=generated_at, total=total)
    return encode(head)[:-1]


def entry_out(board: Leaderboard, e: LeaderboardEntry) -> EntryOut:
    """One leaderboard entry as the API shows it: displayed (rounded) values only."""
    interval = e.display_interval
    p_next = e.p_value_to_next
    return EntryOut(
        rank=e.rank,
        tie_group=e.tie_group,
        tied_with_next=e.tied_with_next,
        p_value_to_next=None if p_next is None or math.isnan(p_next) else round(p_next, 4),
        team=e.team_name,
        team_id=e.team_id,
        baseline=e.baseline,
        submission_id=e.submission_id,
        scores=dict(e.display_scores),
        interval=None if interval is None else Interval(low=interval.low, high=interval.high),
        efficiency=EfficiencyOut(
            wall_seconds=e.efficiency.wall_seconds,
            cpu_seconds=e.efficiency.cpu_seconds,
            peak_memory_mb=e.efficiency.peak_memory_mb,
        ),
        submission_count=e.submission_count,
        last_submission_at=e.last_submission_at,
    )


def composite_rows(board: Leaderboard, weights: dict[str, float]) -> list[CompositeOut]:
    """The composite ranking of ``board`` under ``weights``.

    Raises:
        InvalidInput: A weighted column is not on the board (the message lists them).
    """
    try:
        rows = composite(board, weights)
    except LeaderboardError as error:
        raise InvalidInput(str(error)) from None
    return [_composite_out(c) for c in rows]


def _composite_out(c: CompositeEntry) -> CompositeOut:
    return CompositeOut(
        rank=c.rank,
        team=c.team_name,
        team_id=c.team_id,
        submission_id=c.submission_id,
        score=c.display_score,
        leaderboard_rank=c.leaderboard_rank,
        values=dict(c.values),
        contributions={k: round(v, 6) for k, v in c.contributions.items()},
        missing=list(c.missing),
    )


def best_scores_over_time(
    session: Session, view: View
) -> tuple[dict[int, list[HistoryPoint]], dict[int, str]]:
    """Per team id, its best displayed primary score after each submission; and team names."""
    config = view.config
    entries = entries_of.load_entries(
        session, phase=view.phase, metrics=(config.primary, *config.secondary)
    )
    points = best_over_time(
        entries,
        config.primary,
        config.greater_is_better[config.primary],
        split=view.split,
        phase_end=view.phase.end,
        decimals=config.decimals,
    )
    return points, {e.team_id: e.team_name for e in entries}


def history(session: Session, view: View) -> HistoryOut:
    """Each team's best displayed primary score over time, teams by name."""
    points, names = best_scores_over_time(session, view)
    teams = [
        TeamHistory(
            team_id=team,
            team=names[team],
            points=[HistoryPointOut(at=p.at, best=p.best) for p in line],
        )
        for team, line in sorted(points.items(), key=lambda item: names[item[0]])
    ]
    return HistoryOut(**identity(view).model_dump(), generated_at=utcnow(), teams=teams)


def final_ranking(session: Session, challenge: Challenge, phase: str | None) -> FinalRanking:
    """The final ranking of ``phase`` (default: :func:`podium.crud.phases.select_phase`'s),
    naming its phase: judged when the challenge has a rubric, else the private board."""
    chosen = select_phase(session, challenge=challenge, name=phase)
    config = ranking.board_config(challenge, chosen)
    board = ranking.build_leaderboard(session, phase=chosen, config=config, split=PRIVATE)
    head = FinalHead(
        challenge=challenge.slug,
        phase=chosen.name,
        split=PRIVATE,
        primary=config.primary,
        decimals=config.decimals,
    ).model_dump()
    if challenge.parsed_spec.judging is None:
        entries = [
            PlainFinalEntry(
                rank=e.rank,
                team_id=e.team_id,
                team=e.team_name,
                final_score=None,
                leaderboard_rank=e.rank,
                leaderboard_score=e.display_scores[config.primary],
            )
            for e in board.ranked
        ]
        return PlainFinalRanking(**head, entries=entries)
    rules, final = judging.judged_ranking(session, challenge=challenge, board=board)
    return JudgedFinalRanking(
        **head,
        weights=FinalWeights(leaderboard=rules.leaderboard_weight, rubric=rules.rubric_weight),
        rubric=[
            CriterionOut(name=c.name, max_points=c.max_points, weight=c.weight)
            for c in rules.rubric.criteria
        ],
        entries=[_judged_entry(e) for e in final],
    )


def _judged_entry(e: FinalEntry) -> JudgedFinalEntry:
    def r(value: float | None) -> float | None:
        return None if value is None else round(value, 6)

    rubric = e.rubric
    return JudgedFinalEntry(
        rank=e.rank,
        team_id=e.team_id,
        team=e.team_name,
        final_score=r(e.final_score),
        leaderboard_rank=e.leaderboard_rank,
        leaderboard_score=e.leaderboard_score,
        leaderboard_part=r(e.leaderboard_part),
        rubric_part=r(e.rubric_part),
        rubric=None
        if rubric is None
        else TeamRubricOut(
            mean_points=dict(rubric.mean_points),
            judges=rubric.judges,
            incomplete=rubric.incomplete,
        ),
    )


def readable_final_ranking(
    session: Session, challenge: Challenge, user: User | None, phase: str | None
) -> FinalRanking:
    """The final ranking as ``user`` may read it: live for the challenge's staff, else the
    latest published version (of ``phase`` when given).

    Raises:
        PermissionDenied: Not staff, and nothing (for that phase) is published yet.
    """
    if roles.is_staff(session, user=user, challenge=challenge):
        return final_ranking(session, challenge, phase)
    snapshot = publishing.published(session, challenge=challenge, phase=phase)
    if snapshot is None:
        which = "" if phase is None else f" for phase {phase!r}"
        raise PermissionDenied(
            f"the final ranking of {challenge.slug} is not published yet{which}; "
            "its judges and organisers see it meanwhile"
        )
    return FINAL_RANKING.validate_python(snapshot.ranking)


def publish_final(
    session: Session, *, challenge: Challenge, actor: User, phase: str | None, reveal: bool
) -> PublishedOut:
    """Freeze the final ranking of ``phase`` as the challenge's next published version (see
    :func:`podium.crud.publishing.publish`, which refuses while the private split is hidden
    unless ``reveal``)."""
    ranking = final_ranking(session, challenge, phase)
    row = publishing.publish(
        session,
        challenge=challenge,
        actor=actor,
        phase=ranking.phase,
        ranking=ranking.model_dump(mode="json"),
        reveal_private=reveal,
    )
    return published_out(row)


def published_ranking(
    session: Session, *, challenge: Challenge, version: int | None = None
) -> PublishedOut | None:
    """The published version ``version`` (default: the latest), or None."""
    row = publishing.published(session, challenge=challenge, version=version)
    return None if row is None else published_out(row)


def require_published(
    session: Session, *, challenge: Challenge, version: int | None = None
) -> PublishedOut:
    """:func:`published_ranking`, which must exist.

    Raises:
        NotFound: Nothing (or no such version) is published.
    """
    published = published_ranking(session, challenge=challenge, version=version)
    if published is None:
        which = "nothing" if version is None else f"no version {version}"
        raise NotFound(f"{challenge.slug} has published {which} yet")
    return published


def published_out(row: PublishedRanking) -> PublishedOut:
    return PublishedOut(
        version=row.version,
        phase=row.phase,
        published_at=row.at,
        ranking=FINAL_RANKING.validate_python(row.ranking),
    )
