"""Sandbox runners for the real-engine tests: one per OCI runtime, each checking its own leftovers.

Test modules import the fixtures they use (`runner`, `build_image`). `runner` is parametrised
over runc and gVisor's runsc; where the engine does not offer runsc the runsc cases are skipped,
except under CI=true, where that is a failure (scripts/ensure-docker registers it).

Each runner remembers the run ids of its runs and the volumes each container had, so a test
checks that exactly what *it* created is gone (container, volumes, staging folder, cgroup) and
never counts what another Podium on the same engine is doing.
"""

from __future__ import annotations

import io
import json
import os
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import docker
import docker.errors
import pytest

from sandbox.cgroups import CgroupProbe
from sandbox.limits import SandboxLimits
from sandbox.runner import RUN_LABEL, SandboxRunner
from tests.conftest import TEST_LABEL

RUNTIMES = ["runc", "runsc"]
FAST = SandboxLimits(wall_seconds=8, memory_mb=256, processes=32, output_mb=8, log_kb=16)
BuildImage = Callable[..., str]


class ObservedRunner(SandboxRunner):
    """A real SandboxRunner that notes, before removing each container, the volumes it had."""

    def __init__(self, client: docker.DockerClient, **kwargs: object) -> None:
        super().__init__(client, **kwargs)  # type: ignore[arg-type]
        self.volumes: dict[str, list[str]] = {}  # run id -> volume names
        self.inspected: dict[str, dict[str, Any]] = {}  # run id -> the container as created

    def _remove(self, container_id: str) -> None:
        attrs = self.client.api.inspect_container(container_id)
        run_id = attrs["Config"]["Labels"][RUN_LABEL]
        self.inspected[run_id] = attrs
        mounts = attrs.get("Mounts") or []
        self.volumes[run_id] = [m["Name"] for m in mounts if m.get("Type") == "volume"]
        super()._remove(container_id)

    def leftovers(self, run_id: str) -> list[str]:
        """What of run ``run_id`` still exists (empty when the run cleaned up after itself)."""
        api = self.client.api
        left = [
            f"container {c['Id'][:12]}"
            for c in api.containers(all=True, filters={"label": f"{RUN_LABEL}={run_id}"})
        ]
        for name in self.volumes.get(run_id, []):
            try:
                api.inspect_volume(name)
                left.append(f"volume {name}")
            except docker.errors.NotFound:
                pass
        if (self.staging_root / run_id).exists():
            left.append(f"staging folder {self.staging_root / run_id}")
        probe = CgroupProbe(run_id, driver=self.cgroup_driver, version=self.cgroup_version)
        left += [f"cgroup {path}" for path in probe.directories()]
        return left


def offered_runtimes(client: docker.DockerClient) -> set[str]:
    """The OCI runtimes the engine lists (runc always works)."""
    return set((client.info().get("Runtimes") or {}).keys()) | {"runc"}


def require_runtime(client: docker.DockerClient, runtime: str) -> None:
    """Skip (or under CI=true fail) when the engine does not offer ``runtime``."""
    if runtime in offered_runtimes(client):
        return
    message = (
        f"the Docker engine does not offer the {runtime} runtime; run scripts/ensure-docker "
        "(it installs and registers gVisor's runsc on Debian as root)"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="module", params=RUNTIMES)
def runner(
    request: pytest.FixtureRequest,
    docker_client: docker.DockerClient,
    tmp_path_factory: pytest.TempPathFactory,
) -> ObservedRunner:
    """A real runner under each runtime, staging into its own folder."""
    runtime = str(request.param)
    require_runtime(docker_client, runtime)
    staging = tmp_path_factory.mktemp(f"staging-{runtime}")
    return ObservedRunner(docker_client, staging_root=staging, runtime=runtime)


@pytest.fixture(scope="module")
def build_image(docker_client: docker.DockerClient, runtime_python: str) -> Iterator[BuildImage]:
    """Build (once per module) an image from runtime-python that runs the given program."""
    built: dict[str, str] = {}

    def build(
        program: str, extra: str = "", user: str = "", files: dict[str, bytes] | None = None
    ) -> str:
        key = repr((program, extra, user, sorted((files or {}).items())))
        if key not in built:
            dockerfile = f"FROM {runtime_python}\n{extra}COPY main.py /app/main.py\n"
            dockerfile += f'{user}CMD ["python", "/app/main.py"]\n'
            built[key] = build_context(
                docker_client, dockerfile, {"main.py": program.encode(), **(files or {})}
            )
        return built[key]

    yield build
    for image_id in built.values():
        docker_client.images.remove(image_id, force=True)


def build_context(client: docker.DockerClient, dockerfile: str, files: dict[str, bytes]) -> str:
    """Build a labelled image from a Dockerfile and files (kept executable); returns its id."""
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as tar:
        for name, data in {"Dockerfile": dockerfile.encode(), **files}.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o755
            tar.addfile(info, io.BytesIO(data))
    context.seek(0)
    image, _ = client.images.build(
        fileobj=context, custom_context=True, rm=True, labels={TEST_LABEL: "1"}
    )
    return str(image.id)


def inputs_folder(tmp_path: Path) -> Path:
    """A small /input folder readable by the sandbox user."""
    inputs = tmp_path / "input"
    inputs.mkdir(exist_ok=True)
    (inputs / "ids.txt").write_text("1 2 3\n")
    return inputs


def with_config(
    client: docker.DockerClient, image_id: str, edit: Callable[[dict[str, Any]], None]
) -> str:
    """A copy of an image whose config ``edit`` changed (as a hand-made `docker load` archive
    could), loaded into the engine; returns its id. Its labels (and so cleanup) are kept."""
    archive = io.BytesIO(b"".join(client.api.get_image(image_id)))
    out = io.BytesIO()
    with tarfile.open(fileobj=archive) as source, tarfile.open(fileobj=out, mode="w") as dest:
        for member in source:
            data = source.extractfile(member).read() if member.isreg() else None  # type: ignore[union-attr]
            if data is not None and member.name.endswith(".json") and "config" in json.loads(data):
                config = json.loads(data)
                edit(config["config"])
                data = json.dumps(config).encode()
                member.size = len(data)
            dest.addfile(member, io.BytesIO(data) if data is not None else None)
    for line in client.api.load_image(out.getvalue()):
        if "Loaded image ID: " in line.get("stream", ""):
            return str(line["stream"].split("Loaded image ID: ")[1].strip())
    raise AssertionError("the edited image did not load")
