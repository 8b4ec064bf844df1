"""The participant's commands: log in, read challenges, download data, follow submissions."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer

from challenges.phases import DEFAULT_RULE
from podium.cli import columns
from podium.cli.client import API_PREFIX, ApiError, PodiumClient
from podium.cli.common import fail
from podium.cli.config import CliConfig, forget_token, load_config, normalise_server, save_config
from podium.cli.figures import decimals_of, printable, score_line, timings_line, when
from podium.cli.remote import (
    Transfer,
    as_rows,
    connect,
    console,
    expect_dict,
    handled,
    transfers,
)
from podium.cli.tables import JsonOption, WideOption, print_json, print_table
from sandbox.archives import ArchiveLimits, safe_extract

app = typer.Typer()

_DOWNLOAD_LIMITS = ArchiveLimits(max_entries=100_000, max_total_mb=8192, max_file_mb=4096)


@app.command()
def login(
    server: Annotated[str | None, typer.Option(help="the server's address")] = None,
    username: Annotated[str | None, typer.Option(help="username or email")] = None,
    password: Annotated[str | None, typer.Option(help="asked for when not given")] = None,
) -> None:
    """Log in and keep the token in your config folder (readable by you only)."""
    with handled():
        address = normalise_server(server) if server else load_config().server
        user = username or typer.prompt("username or email")
        secret = password if password is not None else typer.prompt("password", hide_input=True)
        with PodiumClient(address) as client:
            token = client.login(user, secret)
        path = save_config(CliConfig(server=address, token=token))
    console.print(f"logged in to {address} as {user}; token kept in {path}")


@app.command()
def logout() -> None:
    """Forget the stored token."""
    with handled():
        had = forget_token()
    console.print("logged out" if had else "no stored token; nothing to do")


@app.command("challenges")
def list_challenges(wide: WideOption = False, as_json: JsonOption = False) -> None:
    """List the challenges you can see."""
    with handled(), connect() as client:
        answer = client.get("/challenges")
        items = as_rows(answer)
    if as_json:
        print_json(answer)
        return
    print_table("challenges", columns.CHALLENGE_COLUMNS, items, wide=wide)


def _api_path(url: str) -> str:
    # the API gives absolute paths under /api/v1; the client's base URL already ends there
    return url[len(API_PREFIX) :] if url.startswith(API_PREFIX) else url


def _fetch_one(client: PodiumClient, url: str, name: str, dest: Path, progress: Any) -> Path:
    bar = Transfer(progress, name)
    saved = client.download(_api_path(url), dest, name, on_start=bar.start, progress=bar.advance)
    if saved.suffix != ".zip":
        return saved
    folder = dest / saved.stem
    if folder.exists():
        raise FileExistsError(17, "already exists; remove it or choose another --dest", str(folder))
    staging = dest / f".{saved.stem}.unpacking"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        safe_extract(saved, staging, _DOWNLOAD_LIMITS)
        entries = list(staging.iterdir())
        # an archive of one folder (most zips of a folder) unpacks to that folder's contents
        single = len(entries) == 1 and entries[0].is_dir()
        (entries[0] if single else staging).rename(folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    saved.unlink()
    return folder


@app.command()
def download(
    slug: Annotated[str, typer.Argument(help="the challenge")],
    dest: Annotated[Path | None, typer.Option(help="folder to save into (default: ./SLUG)")] = None,
) -> None:
    """Download a challenge's public data and starting kit (folders arrive unpacked)."""
    target = dest or Path(slug)
    with handled(), connect(timeout_seconds=120) as client:
        detail = expect_dict(client.get(f"/challenges/{slug}"))
        files = [(str(f["url"]), str(f["name"])) for f in detail.get("data") or []]
        kit = detail.get("starting_kit_url")
        if kit and kit not in {url for url, _ in files} and not _has_kit(detail):
            files.append((str(kit), "starting-kit"))
        if not files:
            console.print(f"{slug} publishes no files")
            return
        with transfers() as progress:
            saved = [_fetch_one(client, url, name, target, progress) for url, name in files]
    for path in saved:
        console.print(f"saved {path}")


def _has_kit(detail: dict[str, Any]) -> bool:
    # the starting kit is usually one of the public files too: fetch it once
    return any("kit" in str(f.get("name", "")) for f in detail.get("data") or [])


@app.command()
def status(
    submission_id: Annotated[int, typer.Argument(help="the submission's id")],
    wide: WideOption = False,
    as_json: JsonOption = False,
) -> None:
    """Show a submission's status, scores and history."""
    with handled(), connect() as client:
        item = expect_dict(client.get(f"/submissions/{submission_id}"))
        if as_json:
            print_json(item)
            return
        decimals = challenge_decimals(client, item.get("challenge"))
    show_submission(item, decimals, wide=wide)


def challenge_decimals(client: PodiumClient, slug: Any) -> int:
    """The challenge's ``metrics.decimals`` (scores are shown at it), 4 when unknown.

    A submission's answer does not carry it, and its challenge's staff get unrounded scores.
    """
    if not isinstance(slug, str) or not slug:
        return decimals_of(None)
    try:
        return decimals_of(client.get(f"/challenges/{slug}"))
    except ApiError:
        return decimals_of(None)


def show_submission(item: dict[str, Any], decimals: int, *, wide: bool = False) -> None:
    """Print a submission as the API returns it, scores at ``decimals``."""
    # names, reasons and descriptions are shown as written: never as markup or escape codes
    lines = [f"submission {item.get('id')}: {printable(str(item.get('status')))}"]
    for key in ("challenge", "phase", "team_name", "kind", "filename", "description", "reason"):
        if item.get(key):
            lines.append(f"  {key}: {printable(str(item[key]))}")
    lines.append(f"  submitted: {when(item.get('created_at'))}")
    lines.append(f"  scores: {score_line(item.get('scores'), decimals)}")
    timings = timings_line(item.get("timings"))
    if timings is not None:
        lines.append(f"  timings: {timings}")
    if item.get("disqualified"):
        lines.append(f"  disqualified: {printable(str(item.get('disqualified_reason') or 'yes'))}")
    for line in lines:
        console.print(line, markup=False)
    events = item.get("events") or []
    if isinstance(events, list) and events:
        rows = [e for e in events if isinstance(e, dict)]
        print_table("history", columns.EVENT_COLUMNS, rows, wide=wide)


@app.command()
def logs(submission_id: Annotated[int, typer.Argument(help="the submission's id")]) -> None:
    """Print a submission's build log and smoke-run logs (when the phase shows them); staff
    also get the logs of the run on hidden data."""
    with handled(), connect() as client:
        text = client.get_text(f"/submissions/{submission_id}/logs")
    print_logs(text)


LOG_HEADINGS = {
    "build_log": "build log",
    "smoke_stdout": "smoke run stdout (public data)",
    "smoke_stderr": "smoke run stderr (public data)",
    "stdout": "stdout (hidden data)",
    "stderr": "stderr (hidden data)",
}


def print_logs(text: str) -> None:
    """Each log of the latest attempt the caller may read, under a heading; then why the others
    are withheld."""
    try:
        body = json.loads(text)
    except ValueError:
        typer.echo(text)
        return
    if not isinstance(body, dict):
        typer.echo(json.dumps(body, indent=2))
        return
    if body.get("attempt") is None:
        typer.echo("no logs yet: the submission has not run")
        return
    cut = set(body.get("truncated") or [])
    withheld = set(body.get("withheld") or [])
    smoke = body.get("smoke_run")
    if isinstance(smoke, dict):
        typer.echo(
            f"smoke run on {smoke.get('source')}: {smoke.get('status')}: {smoke.get('message')}"
        )
    for name, heading in LOG_HEADINGS.items():
        if name in withheld and not body.get(name):
            continue
        note = " (only its end is shown)" if name in cut else ""
        note += " (only its first lines are shown)" if name in withheld else ""
        typer.echo(f"--- {heading}{note} ---\n{body.get(name) or ''}".rstrip())
    if body.get("notice"):
        typer.echo(f"note: {body['notice']}")


@app.command()
def submissions(
    slug: Annotated[str, typer.Argument(help="the challenge")],
    wide: WideOption = False,
    as_json: JsonOption = False,
) -> None:
    """List your team's submissions to a challenge."""
    with handled(), connect() as client:
        answer = client.get(f"/challenges/{slug}/submissions")
        items = as_rows(answer)
    if as_json:
        print_json(answer)
        return
    notes = columns.page_notes(answer, len(items), "submissions (newest first)")
    table = columns.submission_columns(staff=False)
    print_table(f"submissions to {slug}", table, items, wide=wide, notes=notes)


@app.command()
def leaderboard(
    slug: Annotated[str, typer.Argument(help="the challenge")],
    phase: Annotated[str | None, typer.Option(help=f"default: {DEFAULT_RULE}")] = None,
    private: Annotated[bool, typer.Option("--private", help="the private split")] = False,
    csv: Annotated[bool, typer.Option("--csv", help="print CSV instead of a table")] = False,
    wide: WideOption = False,
    as_json: JsonOption = False,
) -> None:
    """Show a challenge's leaderboard."""
    split = "private" if private else "public"
    path = f"/challenges/{slug}/leaderboard"
    if csv and as_json:
        fail("give --csv or --json, not both")
    with handled(), connect() as client:
        if csv:
            typer.echo(client.get_text(path, phase=phase, split=split, format="csv"), nl=False)
            return
        answer = expect_dict(client.get(path, phase=phase, split=split, format="json"))
    if as_json:
        print_json(answer)
        return
    rows = columns.board_rows(answer)
    shown = answer.get("phase", phase)
    title = f"{slug} leaderboard ({split}{', phase ' + str(shown) if shown else ''})"
    table = columns.leaderboard_columns(answer)
    print_table(title, table, rows, wide=wide, notes=columns.board_notes(rows, answer))


def work_dir() -> tempfile.TemporaryDirectory[str]:
    """A private temporary folder for packed contexts and saved images."""
    return tempfile.TemporaryDirectory(prefix="podium-cli-")
