"""`podium challenge ...`: check challenge bundles and build the example challenges' data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from challenges import Bundle, load_bundle, validate_bundle
from challenges.errors import ChallengeError
from challenges.paths import size_bytes

app = typer.Typer(help="Check challenge bundles and build the example challenges' data.")


def _size(num_bytes: int) -> str:
    value = float(num_bytes)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


def _summary(bundle: Bundle) -> Table:
    spec = bundle.spec
    table = Table(title=f"{spec.slug}: {spec.title}", show_header=True)
    table.add_column("item")
    table.add_column("value")
    table.add_row("metrics", ", ".join(spec.metrics.names))
    for phase in spec.phases:
        window = f"{phase.start:%Y-%m-%d} -> {phase.end:%Y-%m-%d}"
        table.add_row(f"phase {phase.name}", f"{window}, data {phase.data}")
    for name, path in bundle.public_files().items():
        table.add_row(f"public {name}", _size(size_bytes(path)))
    for key, hidden in spec.data.hidden.items():
        paths = [hidden.inputs] if isinstance(hidden.inputs, str) else hidden.inputs
        inputs = sum(size_bytes(bundle.path(p)) for p in paths)
        labels = size_bytes(bundle.path(hidden.labels))
        table.add_row(f"hidden {key}", f"inputs {_size(inputs)}, labels {_size(labels)}")
    table.add_row("baselines", ", ".join(b.name for b in spec.baselines) or "none")
    return table


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
            console.print(_summary(bundle))
    except ChallengeError as exc:
        console.print(str(exc), markup=False)
        raise typer.Exit(1) from None
    console.print(f"{path}: valid", markup=False)


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
