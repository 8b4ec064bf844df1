"""`podium challenge ...`: check challenge bundles and build the example challenges' data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from challenges import Bundle, load_bundle, validate_bundle
from challenges.advisories import bundle_warnings
from challenges.errors import ChallengeError
from challenges.paths import size_bytes
from podium.cli.figures import printable, size_text
from podium.cli.tables import JsonOption, WideOption, field, print_json, print_table

app = typer.Typer(help="Check challenge bundles and build the example challenges' data.")


SUMMARY_COLUMNS = [field("item"), field("value")]


def _summary(bundle: Bundle) -> list[dict[str, str]]:
    spec = bundle.spec
    rows = [("metrics", ", ".join(spec.metrics.names))]
    for phase in spec.phases:
        window = f"{phase.start:%Y-%m-%d} -> {phase.end:%Y-%m-%d}"
        rows.append((f"phase {phase.name}", f"{window}, data {phase.data}"))
    for name, path in bundle.public_files().items():
        rows.append((f"public {name}", size_text(size_bytes(path))))
    for key, hidden in spec.data.hidden.items():
        paths = [hidden.inputs] if isinstance(hidden.inputs, str) else hidden.inputs
        inputs = sum(size_bytes(bundle.path(p)) for p in paths)
        labels = size_bytes(bundle.path(hidden.labels))
        rows.append((f"hidden {key}", f"inputs {size_text(inputs)}, labels {size_text(labels)}"))
    rows.append(("baselines", ", ".join(b.name for b in spec.baselines) or "none"))
    return [{"item": item, "value": value} for item, value in rows]


@app.command()
def validate(
    path: Annotated[Path, typer.Argument(help="bundle folder or archive (zip, tar.gz)")],
) -> None:
    """Report every problem in a challenge bundle; exit 1 if there is any."""
    console = Console(highlight=False, soft_wrap=True)
    problems = validate_bundle(path)
    if problems:
        for problem in problems:
            console.print(str(problem), markup=False)
        noun = "problem" if len(problems) == 1 else "problems"
        console.print(f"{path}: {len(problems)} {noun}; the bundle is not valid", markup=False)
        raise typer.Exit(1)
    try:
        with load_bundle(path) as bundle:
            title = f"{bundle.spec.slug}: {bundle.spec.title}"
            print_table(title, SUMMARY_COLUMNS, _summary(bundle))
            warnings = bundle_warnings(bundle)
    except ChallengeError as exc:
        console.print(str(exc), markup=False)
        raise typer.Exit(1) from None
    for warning in warnings:
        console.print(f"warning: {warning}", markup=False)
    noun = "warning" if len(warnings) == 1 else "warnings"
    tail = f" ({len(warnings)} {noun})" if warnings else ""
    console.print(f"{path}: valid{tail}", markup=False)


@app.command("build-examples")
def build_examples(
    dest: Annotated[
        Path | None, typer.Option(help="build into copies under this folder, not in place")
    ] = None,
    force: Annotated[bool, typer.Option(help="rebuild even if the data is current")] = False,
) -> None:
    """Generate the example challenges' data (seeded; skipped when already built)."""
    from challenges.examples import build_all

    console = Console(highlight=False, soft_wrap=True)
    try:
        built = build_all(dest, force=force)
    except ChallengeError as exc:
        console.print(str(exc), markup=False)
        raise typer.Exit(1) from None
    for slug, folder in built.items():
        console.print(f"{slug}: {folder}", markup=False)


# --- commands that talk to a server (show, create, update) ---


@app.command()
def show(
    slug: Annotated[str, typer.Argument(help="the challenge")],
    wide: WideOption = False,
    as_json: JsonOption = False,
) -> None:
    """A challenge's summary, phases with dates, metrics, limits and public files."""
    from podium.cli import columns
    from podium.cli.remote import connect, console, expect_dict, handled

    with handled(), connect() as client:
        detail = expect_dict(client.get(f"/challenges/{slug}"))
    if as_json:
        print_json(detail)
        return
    console.print(printable(f"{detail.get('title')} ({detail.get('slug')})"), markup=False)
    console.print(printable(str(detail.get("summary", ""))), markup=False)
    metrics = detail.get("metrics") or {}
    secondary = ", ".join(map(str, metrics.get("secondary") or [])) or "none"
    line = f"metrics: {metrics.get('primary')} (primary); also {secondary}"
    console.print(printable(line) + "\n", markup=False)
    phases = [p for p in detail.get("phases") or [] if isinstance(p, dict)]
    print_table("phases", columns.PHASE_COLUMNS, phases, wide=wide)
    files = [f for f in detail.get("data") or [] if isinstance(f, dict)]
    print_table("public files (podium download SLUG)", columns.FILE_COLUMNS, files, wide=wide)


def _zip_bundle(folder: Path, work_dir: Path) -> Path:
    """``folder`` as a zip (caches, VCS folders and links left out); archives pass as they are."""
    import os
    import zipfile

    from sandbox.packing import SKIPPED

    if folder.is_file():
        return folder
    if not (folder / "challenge.yaml").is_file():
        raise ChallengeError(f"{folder} has no challenge.yaml; give a bundle folder or archive")
    target = work_dir / f"{folder.resolve().name}.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as out:
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED)
            for name in sorted(filenames):
                path = Path(dirpath) / name
                if name in SKIPPED or path.is_symlink() or not path.is_file():
                    continue
                out.write(path, path.relative_to(folder).as_posix())
    return target


@app.command()
def create(
    path: Annotated[Path, typer.Argument(help="bundle folder or archive (zip, tar.gz)")],
    unpublished: Annotated[bool, typer.Option(help="hide it until `update --publish`")] = False,
) -> None:
    """Upload a new challenge bundle to the server (organisers)."""
    import tempfile

    from podium.cli.remote import Transfer, connect, console, expect_dict, handled, transfers

    with handled(), tempfile.TemporaryDirectory(prefix="podium-bundle-") as tmp:
        archive = _zip_bundle(path, Path(tmp))
        with connect(timeout_seconds=600) as client, transfers() as progress:
            bar = Transfer(progress, f"uploading {archive.name}")
            bar.start(archive.stat().st_size)
            data = {"published": "false" if unpublished else "true"}
            answer = expect_dict(
                client.upload(
                    "POST",
                    "/challenges",
                    archive,
                    field="bundle",
                    data=data,
                    progress=bar.advance,
                )
            )
    console.print(f"created {answer.get('slug')}: {answer.get('title')}")


@app.command()
def update(
    path: Annotated[Path, typer.Argument(help="bundle folder or archive with the new text")],
    publish: Annotated[bool | None, typer.Option("--publish/--unpublish")] = None,
) -> None:
    """Update a challenge's title, summary and tags from its bundle (organisers).

    The server keeps the data, phases and metrics of the bundle it was created from.
    """
    from podium.cli.remote import connect, console, expect_dict, handled

    with handled():
        with load_bundle(path) as bundle:
            spec = bundle.spec
        body: dict[str, object] = {"title": spec.title, "summary": spec.summary, "tags": spec.tags}
        if publish is not None:
            body["published"] = publish
        with connect() as client:
            answer = expect_dict(client.send_json("PUT", f"/challenges/{spec.slug}", body))
    console.print(f"updated {answer.get('slug')}: {answer.get('title')}")


@app.command("import")
def import_(
    source: Annotated[Path, typer.Argument(help="a Codabench, CodaLab or EvalAI bundle or zip")],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="folder for the Podium bundle (new)")
    ] = None,
    source_format: Annotated[
        str | None, typer.Option("--format", help="codabench, codalab or evalai (detected)")
    ] = None,
) -> None:
    """Write a Podium bundle from another platform's bundle, and a report of what carried over."""
    from challenges.importers import REPORT_FILE, import_bundle

    console = Console(highlight=False, soft_wrap=True)
    dest = out or Path(f"{source.name.removesuffix('.zip')}-podium")
    try:
        report = import_bundle(source, dest, source_format)
        with load_bundle(dest) as bundle:
            slug = bundle.spec.slug
    except ChallengeError as exc:
        console.print(f"cannot import {source}: {exc}", markup=False)
        raise typer.Exit(1) from None
    console.print(
        f"{dest}: a Podium bundle ({slug}) from {report.source_format}; "
        f"{len(report.mapped)} keys mapped, {len(report.dropped)} dropped, "
        f"{len(report.assumptions)} assumptions: read {dest / REPORT_FILE}, then "
        f"`podium challenge create {dest}`",
        markup=False,
    )
