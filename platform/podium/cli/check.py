"""`podium check`: run a model locally in the same sandbox, with the same limits, and score it.

The answer to "it works on my machine": the image is built (or wrapped) the way the platform
builds it, run under the phase's limits with no network, and its predictions are validated and
scored with the platform's own evaluator. Where the labelled data comes from is explained in
:mod:`podium.cli.validation`.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, Any

import docker
import typer

from challenges import load_bundle
from challenges.errors import ChallengeError
from challenges.inputs import sandbox_limits_for, write_manifest
from challenges.phases import DEFAULT_RULE
from evaluators.errors import InvalidPredictions
from evaluators.evaluate import ScoreReport
from podium.cli.artifacts import Artifact, ArtifactError, choose, local_image, pack_context
from podium.cli.common import docker_client, fail
from podium.cli.figures import NONE, interval_text, megabytes_text, score_text, seconds_text
from podium.cli.participant import _api_path, work_dir
from podium.cli.remote import connect, console, expect_dict, handled
from podium.cli.validation import (
    VALIDATION_NAME,
    ValidationSet,
    can_carve_from,
    carvable_input,
    carve,
    from_bundle,
    server_phase,
    server_spec,
    validation_folder_ok,
)
from podium.pipeline.image_making import make_image
from podium.settings import get_settings
from sandbox.limits import SandboxLimits
from sandbox.result import RunResult
from sandbox.runner import SandboxRunner

app = typer.Typer()

CHECK_LABEL = "org.podium.check"


@app.command()
def check(
    path: Annotated[Path | None, typer.Argument(help="a folder with a Dockerfile")] = None,
    image: Annotated[str | None, typer.Option(help="a local image tag")] = None,
    model: Annotated[Path | None, typer.Option(help="a bare model file")] = None,
    challenge: Annotated[
        str | None, typer.Option("--challenge", "-c", help="the challenge's slug")
    ] = None,
    bundle: Annotated[
        Path | None, typer.Option(help="a bundle folder: check on its hidden set (organisers)")
    ] = None,
    phase: Annotated[str | None, typer.Option(help=f"default: {DEFAULT_RULE}")] = None,
) -> None:
    """Run a model locally in the challenge's sandbox and limits, then score its predictions."""
    with handled(), work_dir() as tmp, ExitStack() as stack:
        artifact = choose(path, image, model)
        if bundle is None and challenge is None:
            raise ArtifactError("give --challenge SLUG (or --bundle DIR to check on a bundle)")
        data = validation_set(stack, bundle, challenge, phase, Path(tmp))
        console.print(f"phase {data.phase}; validation data: {data.source}")
        client = docker_client()
        image_id, built = prepare(client, artifact, data, Path(tmp))
        try:
            result = run(client, image_id, data, Path(tmp) / "output")
        finally:
            if built:
                _remove_image(client, image_id)
        report_run(result)
        if not result.succeeded:
            fail(f"the model did not finish: {result.message}")
        try:
            report = data.score(Path(tmp) / "output", SandboxRunner(client))
        except InvalidPredictions as exc:
            fail(f"the predictions are not valid: {exc}")
        report_scores(report, data.decimals)


def validation_set(
    stack: ExitStack, bundle: Path | None, challenge: str | None, phase: str | None, work: Path
) -> ValidationSet:
    """From the bundle when one is given (kept open by ``stack``), else from the server."""
    if bundle is None:
        return from_server(str(challenge), phase, work)
    loaded = stack.enter_context(load_bundle(bundle))
    if challenge is not None and challenge != loaded.spec.slug:
        raise ChallengeError(f"{bundle} is the bundle of {loaded.spec.slug}, not {challenge}")
    return from_bundle(loaded, phase, work)


def from_server(slug: str, phase: str | None, work: Path) -> ValidationSet:
    """The public labelled data of ``slug``: its ``validation`` files, else a carved slice."""
    with connect(timeout_seconds=300) as client:
        detail = expect_dict(client.get(f"/challenges/{slug}"))
        spec, metrics, decimals = server_spec(detail)
        chosen = server_phase(detail, phase)
        files = {str(f.get("name")): f for f in detail.get("data") or [] if isinstance(f, dict)}
        common: dict[str, Any] = {
            "phase": chosen.name,
            "spec": spec,
            "metrics": metrics,
            "decimals": decimals,
            "limits": sandbox_limits_for(chosen),
        }
        if VALIDATION_NAME in files:
            folder = _download_validation(client, files[VALIDATION_NAME], work)
            labels = folder / spec.task.labels.file
            if not validation_folder_ok(folder, spec.task):
                raise ChallengeError(
                    f"the public {VALIDATION_NAME!r} folder needs inputs/ and "
                    f"{spec.task.labels.file}; tell the organisers"
                )
            source = f"the challenge's public {VALIDATION_NAME!r} set"
            inputs = folder / "inputs"
        else:
            inputs, labels, source = _carved(client, spec.task, files, work)
    write_manifest(inputs, slug, chosen.name)
    return ValidationSet(source=source, inputs=inputs, labels=labels, **common)


def _download_validation(client: Any, entry: dict[str, Any], work: Path) -> Path:
    from sandbox.archives import safe_extract

    saved = client.download(_api_path(str(entry["url"])), work / "download", "validation.zip")
    folder = work / VALIDATION_NAME
    safe_extract(saved, folder)
    return folder


def _carved(
    client: Any, task: Any, files: dict[str, dict[str, Any]], work: Path
) -> tuple[Path, Path, str]:
    if carvable_input(task) is None:
        raise ChallengeError(
            "this challenge publishes no labelled validation set and its inputs are not one CSV "
            "file to carve one from; ask the organisers to publish a 'validation' folder, or "
            "use --bundle"
        )
    candidates = [f for f in files.values() if f.get("kind") == "file"]
    for entry in candidates:
        saved = client.download(_api_path(str(entry["url"])), work / "public", str(entry["name"]))
        if can_carve_from(saved, task):
            inputs, labels, count = carve(saved, task, work / "carved")
            source = (
                f"{count} rows carved from the public file {entry['name']!r} (a fixed 20% slice; "
                "if you trained on them the score is optimistic)"
            )
            return inputs, labels, source
    raise ChallengeError(
        "no public CSV file holds the id and label columns to carve a validation set from; "
        "ask the organisers to publish a 'validation' folder, or use --bundle"
    )


def prepare(
    client: docker.DockerClient, artifact: Artifact, data: ValidationSet, work: Path
) -> tuple[str, bool]:
    """The image to run and whether this command built it (then it is removed afterwards).

    Built by the worker's own :func:`~podium.pipeline.image_making.make_image`: the platform's
    build limits (this machine's ``PODIUM_BUILD_*`` settings, else the defaults), the
    challenge's allowed bases, its model wrapping. A build gets no network here, not even the
    package proxy the platform gives builds of a ``packages`` challenge.
    """
    if artifact.kind == "image":
        return str(local_image(client, artifact.value).id), False
    build = artifact.kind == "build"
    path = pack_context(Path(artifact.value), work) if build else Path(artifact.value)
    with console.status(f"building {artifact.describe()} (as the platform would)"):
        made = make_image(
            client, artifact.kind, path, data.spec, get_settings(), labels={CHECK_LABEL: "1"}
        )
    console.print(f"built in {made.build_seconds:.1f} s", style="dim")
    return made.image_id, True


def run(client: docker.DockerClient, image_id: str, data: ValidationSet, out: Path) -> RunResult:
    """Run the image on the validation inputs in the sandbox, under the phase's limits."""
    out.mkdir(parents=True, exist_ok=True)
    env = {"PODIUM_CHALLENGE": data.spec.slug, "PODIUM_PHASE": data.phase}
    console.print(f"running in the sandbox: {_limits_line(data.limits)}", style="dim")
    with console.status("running"):
        return SandboxRunner(client).run(image_id, data.inputs, out, data.limits, env=env)


def _limits_line(limits: SandboxLimits) -> str:
    return (
        f"{limits.wall_seconds:g} s wall, {limits.memory_mb} MB memory, {limits.cpus:g} CPU, "
        f"{'GPU' if limits.gpu else 'no GPU'}, no network"
    )


def _remove_image(client: docker.DockerClient, image_id: str) -> None:
    try:
        client.images.remove(image_id, force=True)
    except docker.errors.DockerException:
        pass  # another tag or container holds it: leaving it is harmless


def report_run(result: RunResult) -> None:
    """The run's status, measurements and, when it failed, the tail of its stderr."""
    console.print(f"status: {result.status.value}: {result.message}")
    for name, value, unit in (
        ("wall time", seconds_text(result.wall_seconds), "s"),
        ("cpu time", seconds_text(result.cpu_seconds), "s"),
        ("peak memory", megabytes_text(result.peak_memory_mb), "MB"),
    ):
        console.print(f"  {name}: {'n/a' if value == NONE else f'{value} {unit}'}")
    if not result.succeeded and result.stderr_tail:
        console.print("--- stderr (tail) ---", style="dim")
        console.print(result.stderr_tail, markup=False)


def report_scores(report: ScoreReport, decimals: int) -> None:
    """The scores on the whole validation set, primary metric first, at ``decimals``."""
    scores = report.splits.get("all", {})
    for name, value in scores.items():
        star = " (primary)" if name == report.primary else ""
        bounds = interval_text({"low": value.ci_low, "high": value.ci_high}, decimals)
        interval = "" if bounds == NONE else f"  95% CI {bounds}"
        shown = score_text(value.value, decimals)
        console.print(f"{name}{star}: {shown}{interval}  ({value.n_rows} rows)", markup=False)
