"""`podium judge ...`: the judges' commands (the server checks who is a judge)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

import typer

from challenges.phases import DEFAULT_RULE
from podium.cli import columns
from podium.cli.client import ApiError, PodiumClient
from podium.cli.remote import as_rows, connect, console, expect_dict, handled
from podium.cli.tables import JsonOption, WideOption, print_json, print_table

app = typer.Typer(help="Judge a challenge: all submissions, rubric scores, final ranking.")
PhaseOption = Annotated[str | None, typer.Option(help=f"the phase; default: {DEFAULT_RULE}")]


@app.command("list")
def list_submissions(
    slug: Annotated[str, typer.Argument(help="the challenge")],
    wide: WideOption = False,
    as_json: JsonOption = False,
) -> None:
    """Every team's submissions to a challenge."""
    with handled(), connect() as client:
        answer = client.get(f"/challenges/{slug}/submissions")
        items = as_rows(answer)
    if as_json:
        print_json(answer)
        return
    notes = columns.page_notes(answer, len(items), "submissions (newest first)")
    table = columns.submission_columns(staff=True)
    print_table(f"all submissions to {slug}", table, items, wide=wide, notes=notes)


@app.command()
def score(
    slug: Annotated[str, typer.Argument(help="the challenge")],
    team: Annotated[str, typer.Option(help="the team's name or id")],
    criterion: Annotated[str, typer.Option(help="a rubric criterion")],
    points: Annotated[float, typer.Option(help="points given (0 to the criterion's maximum)")],
    comment: Annotated[str, typer.Option(help="why")] = "",
) -> None:
    """Give a team points on one rubric criterion (replaces your earlier score)."""
    with handled(), connect() as client:
        team_id = team_id_of(client, slug, team)
        body = {
            "team_id": team_id,
            "scores": [{"criterion": criterion, "points": points, "comment": comment}],
        }
        client.send_json("PUT", f"/challenges/{slug}/rubric-scores", body)
    console.print(f"{team}: {criterion} = {points:g} recorded")


def team_id_of(client: PodiumClient, slug: str, team: str) -> int:
    """The id of the team called ``team`` (or ``team`` itself when it is a number)."""
    if team.isdigit():
        return int(team)
    offset = 0
    while True:
        page = client.get(f"/challenges/{slug}/submissions", limit=200, offset=offset)
        items = as_rows(page)
        for item in items:
            if str(item.get("team_name", "")).lower() == team.lower():
                return int(item["team_id"])
        offset += len(items)
        if not items or offset >= int(page.get("total", 0) if isinstance(page, dict) else 0):
            raise ApiError(f"no team {team!r} has submitted to {slug}; give its id instead")


@app.command()
def disqualify(
    submission_id: Annotated[int, typer.Argument(help="the submission")],
    reason: Annotated[str, typer.Option(help="shown to the team")],
) -> None:
    """Disqualify a submission, with the reason the team will read."""
    with handled(), connect() as client:
        client.send_json("POST", f"/submissions/{submission_id}/disqualify", {"reason": reason})
    console.print(f"submission {submission_id} disqualified: {reason}")


@app.command()
def reproduce(submission_id: Annotated[int, typer.Argument(help="the submission")]) -> None:
    """Run a submission again from its pinned image to check it reproduces its score."""
    with handled(), connect() as client:
        answer = client.send_json("POST", f"/submissions/{submission_id}/reproduce")
    console.print(_outcome(f"reproduction of submission {submission_id}", answer))


@app.command()
def publish(
    slug: Annotated[str, typer.Argument(help="the challenge")],
    reveal: Annotated[
        bool,
        typer.Option(
            "--reveal",
            help="also reveal the private leaderboard (needed until it is revealed: the "
            "published ranking shows everyone the private scores)",
        ),
    ] = False,
    phase: PhaseOption = None,
) -> None:
    """Publish one phase's final ranking (leaderboard and rubric combined); says which."""
    path = f"/challenges/{slug}/publish" + (f"?phase={quote(phase, safe='')}" if phase else "")
    with handled(), connect() as client:
        answer = client.send_json("POST", path, {"reveal": reveal})
    console.print(_outcome(f"final ranking of {slug} published", answer))


@app.command()
def ranking(
    slug: Annotated[str, typer.Argument(help="the challenge")],
    phase: PhaseOption = None,
    wide: WideOption = False,
    as_json: JsonOption = False,
) -> None:
    """Show one phase's final ranking (judges before publication, everyone after); the title
    names the phase."""
    with handled(), connect() as client:
        answer = expect_dict(client.get(f"/challenges/{slug}/final-ranking", phase=phase))
    if as_json:
        print_json(answer)
        return
    rows = columns.final_rows(answer)
    split = answer.get("split", "private")
    title = f"{slug} final ranking ({split}, phase {answer.get('phase')})"
    print_table(title, columns.final_columns(answer), rows, wide=wide)


def _outcome(what: str, answer: Any) -> str:
    if isinstance(answer, dict):
        keys = ("id", "state", "metric", "version", "phase", "published_at")
        extra = ", ".join(f"{k}: {v}" for k, v in answer.items() if k in keys)
        return f"{what}; {extra}" if extra else what
    return what
