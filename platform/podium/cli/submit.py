"""`podium submit`: pack, save or take the model, upload it with a progress bar, follow it."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer

from podium.cli.artifacts import choose, upload_file
from podium.cli.client import PodiumClient
from podium.cli.common import docker_client, fail
from podium.cli.participant import challenge_decimals, show_submission, work_dir
from podium.cli.push import submit_pushed
from podium.cli.remote import Transfer, as_rows, connect, console, expect_dict, handled, transfers

app = typer.Typer()

TERMINAL = {"finished", "failed", "error", "cancelled"}


@app.command()
def submit(
    challenge: Annotated[str, typer.Option("--challenge", "-c", help="the challenge's slug")],
    path: Annotated[
        Path | None, typer.Argument(help="a folder with a Dockerfile (sent as a build context)")
    ] = None,
    image: Annotated[
        str | None,
        typer.Option(help="a local image tag (pushed to the platform's registry: only new layers)"),
    ] = None,
    archive: Annotated[
        bool,
        typer.Option("--archive", help="send --image as a whole docker save archive instead"),
    ] = False,
    model: Annotated[Path | None, typer.Option(help="a bare model file (sent as is)")] = None,
    predictions: Annotated[
        Path | None,
        typer.Option(help="a predictions file, scored as is (phases whose inputs are public)"),
    ] = None,
    phase: Annotated[
        str | None, typer.Option(help="the phase (it must be open); default: the one open now")
    ] = None,
    description: Annotated[str, typer.Option(help="a note for yourself and the judges")] = "",
    baseline: Annotated[
        bool,
        typer.Option(
            "--baseline",
            help="the challenge's baseline (organisers): any phase, shown, never ranked",
        ),
    ] = False,
    wait: Annotated[bool, typer.Option("--wait", help="follow it to the end")] = False,
    poll_seconds: Annotated[float, typer.Option(help="how often --wait asks")] = 2.0,
) -> None:
    """Submit a model (a build-context folder, --image TAG, --model FILE) or --predictions FILE."""
    with handled():
        artifact = choose(path, image, model, predictions)
        with work_dir() as tmp, connect(timeout_seconds=300) as client:
            engine = docker_client() if artifact.kind == "image" else None
            if engine is not None and image and not archive and not baseline:
                pushed = submit_pushed(client, engine, challenge, image, phase, description)
                if pushed is not None:  # else the platform has no registry: send the archive
                    return _submitted(client, challenge, pushed, wait, poll_seconds)
            console.print(f"preparing {artifact.describe()}", style="dim")
            upload = upload_file(artifact, engine, Path(tmp))
            fields = {"kind": artifact.kind, "description": description}
            if phase:
                fields["phase"] = phase
            if baseline:
                fields["baseline"] = "true"
            with transfers() as progress:
                bar = Transfer(progress, f"uploading {upload.name}")
                bar.start(upload.stat().st_size)
                answer = expect_dict(
                    client.upload(
                        "POST",
                        f"/challenges/{challenge}/submissions",
                        upload,
                        data=fields,
                        progress=bar.advance,
                    )
                )
            _submitted(client, challenge, answer, wait, poll_seconds)


def _submitted(
    client: PodiumClient, challenge: str, answer: dict[str, Any], wait: bool, poll: float
) -> None:
    console.print(
        f"submitted: id {answer.get('id')}, phase {answer.get('phase')}, "
        f"status {answer.get('status')}"
    )
    if wait:
        _follow(client, challenge, answer, poll)


def _follow(client: PodiumClient, challenge: str, answer: dict[str, Any], poll: float) -> None:
    submission_id = answer.get("id")
    state = str(answer.get("status"))
    item = answer
    with console.status(f"submission {submission_id}: {state}") as spinner:
        while state not in TERMINAL:
            time.sleep(max(poll, 0.2))
            item = expect_dict(client.get(f"/submissions/{submission_id}"))
            if str(item.get("status")) != state:
                state = str(item.get("status"))
                spinner.update(f"submission {submission_id}: {state}")
                console.print(f"{time.strftime('%H:%M:%S')} {state}", style="dim")
    show_submission(item, challenge_decimals(client, challenge))
    if state != "finished":
        fail(f"submission {submission_id} {state}: {item.get('reason') or 'no reason given'}")
    console.print(_rank_line(client, challenge, item))


# The leaderboard refreshes in the background within a few seconds of a new score
_BOARD_TRIES, _BOARD_PAUSE_SECONDS = 4, 1.0


def _rank_line(client: PodiumClient, challenge: str, item: dict[str, Any]) -> str:
    phase = item.get("phase") if isinstance(item.get("phase"), str) else None
    for attempt in range(_BOARD_TRIES):
        rows = as_rows(
            client.get(f"/challenges/{challenge}/leaderboard", phase=phase, format="json")
        )
        mine = next(
            (r for r in rows if r.get("submission_id") == item.get("id")),
            next((r for r in rows if r.get("team_id") == item.get("team_id")), None),
        )
        if mine is not None and (mine.get("baseline") or mine.get("rank") is not None):
            break
        if attempt + 1 < _BOARD_TRIES:
            time.sleep(_BOARD_PAUSE_SECONDS)
    if mine is not None and mine.get("baseline"):
        return "rank: none, a baseline is shown on the leaderboard but never ranked"
    if mine is None or mine.get("rank") is None:
        return "rank: not on the public leaderboard yet; `podium leaderboard` shows it soon"
    best = "" if mine.get("submission_id") == item.get("id") else " (with another submission)"
    return f"rank: {mine.get('rank')} of {len(rows)}{best}"
