"""Wrap a participant's bare model file into the challenge's runtime image.

For students who do not write Dockerfiles: the platform builds ``FROM <task.runtime_image>``
with the model file and the challenge's runner script, whose command reads ``/input`` and writes
the predictions. The model file is untrusted (a pickle can run code): it is only ever loaded
inside the sandbox, by the runner, never on the host.
"""

from __future__ import annotations

import io
import json
import tarfile
import tempfile
import threading
from dataclasses import replace
from pathlib import Path

import docker

from challenges.errors import ChallengeError
from challenges.runners import runner_command, runner_script
from challenges.schema import ChallengeSpec
from sandbox.archives import ArchiveLimits
from sandbox.building import BuildLimits, BuiltImage, build_image
from sandbox.errors import ImageError

MODEL_DIR = "/opt/podium-model"
MAX_MODEL_MB = 2048


def wrap_model_file(
    client: docker.DockerClient,
    model_path: Path,
    spec: ChallengeSpec,
    limits: BuildLimits,
    *,
    labels: dict[str, str] | None = None,
    cancel: threading.Event | None = None,
) -> BuiltImage:
    """Build an image that runs ``model_path`` with the challenge's runner.

    Raises:
        ImageError: the challenge takes no model files, or the file is too large or unreadable.
        BuildError: the wrapping build failed.
    """
    if model_path.stat().st_size > MAX_MODEL_MB << 20:
        raise ImageError(f"your model file is larger than {MAX_MODEL_MB} MB; make it smaller")
    try:
        runner = runner_script(spec.task.model_file.runner if spec.task.model_file else "")
        command = runner_command(
            spec, f"{MODEL_DIR}/{_model_name(model_path)}", f"{MODEL_DIR}/{runner.name}"
        )
    except ChallengeError as error:
        raise ImageError(str(error)) from None
    with tempfile.TemporaryDirectory(prefix="podium-wrap-") as tmp:
        context = Path(tmp) / "context.tar"
        _write_context(context, model_path, runner, spec.task.runtime_image, command)
        # The wrapper only copies files (no packages are passed: no network), the context is
        # one model file, and its base is the organiser's runtime image.
        wrapping = replace(
            limits,
            allowed_bases=tuple(dict.fromkeys((*limits.allowed_bases, spec.task.runtime_image))),
            max_context_mb=MAX_MODEL_MB + 16,
            archive=ArchiveLimits(
                max_entries=8, max_total_mb=MAX_MODEL_MB + 16, max_file_mb=MAX_MODEL_MB
            ),
        )
        return build_image(client, context, wrapping, labels=labels, cancel=cancel)


def _model_name(model_path: Path) -> str:
    suffix = "".join(model_path.suffixes[-2:])[:16] or ".bin"
    return f"model{suffix}"


def _write_context(target: Path, model: Path, runner: Path, base: str, command: list[str]) -> None:
    name = _model_name(model)
    dockerfile = (
        f"FROM {base}\nCOPY {name} {runner.name} {MODEL_DIR}/\nENTRYPOINT {json.dumps(command)}\n"
    )
    with tarfile.open(target, "w") as tar:
        info = tarfile.TarInfo("Dockerfile")
        data = dockerfile.encode()
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
        tar.add(model, arcname=name, recursive=False)
        tar.add(runner, arcname=runner.name, recursive=False)
