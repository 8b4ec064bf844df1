"""The CLI's tables in an 80-column terminal: what matters first and whole, rounded figures,
--wide and --json, plain text when not a terminal. Run against a real API with several teams."""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from rich.console import Console
from sqlmodel import select

from podium.db.models import Evaluation, User
from podium.store import Store
from tests.cli.conftest import Cli, LiveServer
from tests.platform.factories import PASSWORD, auth_headers
from tests.platform.leaderboard_helpers import World, make_team, make_world, scored

HOSTILE = "Evil\x1b[2J[bold red]Team[/]\u202e"
HOSTILE_SHOWN = "Evil?[2J[bold red]Team[/]?"
TEAMS = ("Gradient Gnomes", "Overfit Owls", "Bayes Bandits", HOSTILE)
RAW = re.compile(r"\d\.\d{4,}")  # a figure with more digits than the challenge's 3 decimals
ANSI = "\x1b"


@dataclass
class Board:
    world: World
    submission_ids: list[int]

    @property
    def slug(self) -> str:
        return self.world.slug


@pytest.fixture
def board(server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Board:
    """Four teams (one of them the participant's, one with a hostile name) with unrounded
    scores, intervals and costs, on a judged challenge whose scores show 3 decimals."""
    store = Store.from_settings(server.settings)
    world = make_world(server.session, store, tmp_path)
    spec = world.challenge.spec
    world.challenge.spec = {**spec, "metrics": {**spec["metrics"], "decimals": 3}}
    server.session.add(world.challenge)
    server.session.commit()
    ids = []
    for i, name in enumerate(TEAMS):
        members = [world.participant] if i == 0 else []
        team = make_team(server.session, world, name, members)
        row = scored(
            server.session, world, team, 0.123456789 + i * 0.0511111,
            mae=0.4987654321 - i * 0.01, ci=0.0123456, minutes=i, wall_seconds=1.985473,
            description="a long description that says a lot about the approach taken " * 2,
        )  # fmt: skip
        evaluation = server.session.exec(
            select(Evaluation).where(Evaluation.submission_id == row.id)
        ).one()
        evaluation.peak_memory_mb = 109.57421875
        evaluation.cpu_seconds = 0.412345
        server.session.add(evaluation)
        server.session.commit()
        assert row.id is not None
        ids.append(row.id)
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    return Board(world, ids)


def _login(server: LiveServer, cli: Cli, username: str) -> None:
    cli.login(server.url, username, PASSWORD)


def _fits(out: str, width: int = 80) -> list[str]:
    lines = out.splitlines()
    assert lines, "nothing printed"
    too_long = [line for line in lines if len(line) > width]
    assert not too_long, too_long
    assert ANSI not in out and not RAW.search(out), out
    assert not re.search("[\u2500-\u257f]", out), "box drawing outside a terminal"
    return lines


def _api(server: LiveServer, path: str, user: User, **params: str) -> object:
    """The API's own answer, for the same caller."""
    headers = auth_headers(server.session, user)
    answer = httpx.get(f"{server.url}/api/v1{path}", params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _header(lines: list[str], first: str) -> str:
    return next(line for line in lines if line.lstrip().startswith(first))


def test_leaderboard_at_80_columns_shows_rank_team_score_and_interval_whole(
    server: LiveServer, cli: Cli, board: Board
) -> None:
    _login(server, cli, board.world.participant.username)
    result = cli("leaderboard", board.slug)
    assert result.exit_code == 0, result.output
    lines = _fits(result.stdout)
    assert lines[0] == f"{board.slug} leaderboard (public, phase development)"
    header = _header(lines, "rank")
    assert re.match(r"rank  team +rmse  95% CI", header), header
    for i, name in enumerate(TEAMS):
        value = 0.123456789 + i * 0.0511111
        shown = HOSTILE_SHOWN if name == HOSTILE else name
        row = next(line for line in lines if shown in line)
        assert re.match(rf"\s*{i + 1}  ", row), row
        assert f"{value:.3f}  [{value - 0.0123456:.3f}, {value + 0.0123456:.3f}]" in row, row
    assert "…" not in "\n".join(lines[:8])


def test_leaderboard_wide_shows_every_column_and_json_is_the_answer(
    server: LiveServer, cli: Cli, board: Board
) -> None:
    _login(server, cli, board.world.participant.username)
    wide = cli("leaderboard", board.slug, "--wide")
    assert wide.exit_code == 0, wide.output
    header = _header(wide.stdout.splitlines(), "rank")
    for name in ("rmse", "95% CI", "mae", "wall s", "MB", "subs", "cpu s", "last", "p next"):
        assert f"  {name}" in header, (name, header)
    assert len(header) > 80 and "2.0" in wide.stdout and " 110 " in wide.stdout
    answer = _api(server, f"/challenges/{board.slug}/leaderboard", board.world.participant,
                  split="public", format="json")  # fmt: skip
    printed = cli("leaderboard", board.slug, "--json")
    assert printed.exit_code == 0, printed.output
    assert json.loads(printed.stdout) == answer
    assert ANSI not in printed.stdout


def test_csv_and_json_together_are_refused(server: LiveServer, cli: Cli, board: Board) -> None:
    _login(server, cli, board.world.participant.username)
    result = cli("leaderboard", board.slug, "--csv", "--json")
    assert result.exit_code == 1 and "give --csv or --json, not both" in result.stderr


def test_submission_listings_fit_80_columns(server: LiveServer, cli: Cli, board: Board) -> None:
    _login(server, cli, board.world.participant.username)
    mine = cli("submissions", board.slug)
    assert mine.exit_code == 0, mine.output
    lines = _fits(mine.stdout)
    assert re.match(r"id  (team +)?status +submitted", _header(lines, "id")), lines
    assert re.search(rf"\s*{board.submission_ids[0]}  .*finished +\d{{4}}-", mine.stdout)
    _login(server, cli, board.world.judge.username)
    listed = cli("judge", "list", board.slug)
    assert listed.exit_code == 0, listed.output
    lines = _fits(listed.stdout)
    assert re.match(r"\s*id  team +status", _header(lines, "id")), lines
    for name in TEAMS:
        assert (HOSTILE_SHOWN if name == HOSTILE else name) in listed.stdout
    as_json = cli("judge", "list", board.slug, "--json")
    judge = board.world.judge
    assert json.loads(as_json.stdout) == _api(
        server, f"/challenges/{board.slug}/submissions", judge
    )
    wide = cli("judge", "list", board.slug, "--wide")
    header = _header(wide.stdout.splitlines(), "id")
    for name in ("reason", "phase", "kind", "description", "by", "file", "team id"):
        assert f"  {name}" in header, (name, header)


def test_judge_ranking_fits_and_rounds(server: LiveServer, cli: Cli, board: Board) -> None:
    _login(server, cli, board.world.judge.username)
    for team, points in ((TEAMS[0], "7.5"), (TEAMS[1], "6.3333")):
        for criterion in ("report", "demo"):
            args = ("--team", team, "--criterion", criterion, "--points", points)
            assert cli("judge", "score", board.slug, *args).exit_code == 0
    result = cli("judge", "ranking", board.slug)
    assert result.exit_code == 0, result.output
    lines = _fits(result.stdout)
    assert lines[0] == f"{board.slug} final ranking (private, phase development)"
    assert re.match(r"rank  team +final +rmse", _header(lines, "rank")), lines
    first = next(line for line in lines if TEAMS[0] in line)
    assert re.match(r"\s*1  Gradient Gnomes +\d\.\d{3}  0\.123", first), first
    unranked = next(line for line in lines if TEAMS[2] in line)
    assert re.match(r"\s*-  Bayes Bandits +-  0\.226", unranked), unranked
    wide = cli("judge", "ranking", board.slug, "--wide")
    header = _header(wide.stdout.splitlines(), "rank")
    for name in ("lb rank", "lb part", "rubric part", "report", "demo", "judges"):
        assert f"  {name}" in header, (name, header)
    assert " 6.3 " in wide.stdout and " 7.5 " in wide.stdout
    as_json = cli("judge", "ranking", board.slug, "--json")
    judge = board.world.judge
    assert json.loads(as_json.stdout) == _api(
        server, f"/challenges/{board.slug}/final-ranking", judge
    )


def test_status_rounds_scores_and_costs_for_teams_and_judges(
    server: LiveServer, cli: Cli, board: Board
) -> None:
    submission_id = board.submission_ids[0]
    for who in (board.world.participant, board.world.judge):  # the judge's scores come unrounded
        _login(server, cli, who.username)
        result = cli("status", str(submission_id))
        assert result.exit_code == 0, result.output
        assert ANSI not in result.stdout and not RAW.search(result.stdout), result.stdout
        assert "timings: 2.0 s wall, 0.4 s CPU, 110 MB peak memory" in result.stdout
        assert "public/rmse: 0.123 [0.111, 0.136]" in result.stdout
    raw = cli("status", str(submission_id), "--json")
    assert json.loads(raw.stdout)["timings"]["peak_memory_mb"] == 109.57421875


def test_challenges_and_show_fit_80_columns(server: LiveServer, cli: Cli, board: Board) -> None:
    _login(server, cli, board.world.participant.username)
    listed = cli("challenges")
    assert listed.exit_code == 0, listed.output
    lines = _fits(listed.stdout)
    assert any(line.startswith(board.slug) for line in lines)
    as_json = cli("challenges", "--json")
    answer = _api(server, "/challenges", board.world.participant)
    assert json.loads(as_json.stdout) == answer
    shown = cli("challenge", "show", board.slug)
    assert shown.exit_code == 0, shown.output
    row = next(line for line in _fits(shown.stdout) if line.startswith("development  "))
    assert row.endswith("2099-01-01 00:00  60 s wall, 256 MB, 1 CPU"), row
    detail = cli("challenge", "show", board.slug, "--json")
    assert json.loads(detail.stdout)["slug"] == board.slug


def test_make_runs_tables_are_separated_and_plain_in_a_log(
    server: LiveServer, board: Board, monkeypatch: pytest.MonkeyPatch
) -> None:
    from podium import demo

    monkeypatch.setattr(demo, "SLUGS", (board.slug, "no-such-challenge", board.slug))
    out = io.StringIO()
    console = Console(file=out)
    demo.follow(server.session, board.submission_ids, console)  # all finished: prints once
    demo.print_leaderboards(server.url, console)
    lines = _fits(out.getvalue())
    assert lines[0] == "Demo submissions" and re.match(r"\s*id  challenge +status", lines[1])
    title = f"{board.slug}: development phase, public split"
    starts = [i for i, line in enumerate(lines) if line == title]
    assert len(starts) == 2, lines
    for start in starts:  # the title on its own line after a blank one, then the header
        assert lines[start - 1] == "" and lines[start - 2] != ""
        assert re.match(r"rank  team +rmse  95% CI", lines[start + 1]), lines
    missing = next(i for i, line in enumerate(lines) if line.startswith("no-such-challenge: "))
    assert "leaderboard unavailable (" in lines[missing] and lines[missing - 1] == ""
    assert "0.123  [0.111, 0.136]" in out.getvalue()


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_make_runs_live_table_ends_before_the_next_title_on_a_terminal(
    server: LiveServer, board: Board, monkeypatch: pytest.MonkeyPatch
) -> None:
    from podium import demo

    monkeypatch.setattr(demo, "SLUGS", (board.slug,))
    out = FakeTerminal()
    console = Console(file=out, force_terminal=True)
    demo.follow(server.session, board.submission_ids, console)
    demo.print_leaderboards(server.url, console)
    plain = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", out.getvalue())
    title = f"{board.slug}: development phase, public split"
    assert f"\n\n{title}\n" in plain, plain


def test_two_tables_in_one_command_are_separated(
    server: LiveServer, cli: Cli, board: Board
) -> None:
    _login(server, cli, board.world.participant.username)
    result = cli("challenge", "show", board.slug)
    lines = result.stdout.splitlines()
    files = lines.index("public files (podium download SLUG)")
    assert lines[files - 1] == "" and lines[files - 2].startswith("development  ")
    assert lines[files + 1].startswith("name ") and set(lines[files + 2]) == {"-"}
    assert result.stdout.endswith("\n\n")  # a blank line after every table
