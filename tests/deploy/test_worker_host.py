"""What a worker container relies on: the engine sees its staging folder, its presence is
measured, an idle build proxy goes away with it, and its image's packages leave torch out."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from podium.service_images import service_requirements
from podium.settings import Settings
from podium.worker.hostcheck import check_staging_shared
from podium.worker.presence import collect, release_build_proxy
from tests.conftest import RUNTIME_PYTHON, TEST_LABEL
from tests.deploy.compose_stack import REPO


def test_the_images_packages_leave_torch_out_and_pin_what_this_host_runs() -> None:
    from importlib import metadata

    requirements = service_requirements(REPO / "pyproject.toml")
    names = [r.split("==")[0].split("[")[0].split(">")[0].lower() for r in requirements]
    assert "torch" not in names
    assert {"mlflow", "celery", "fastapi", "psycopg", "flower"} <= set(names)
    assert f"fastapi=={metadata.version('fastapi')}" in requirements
    assert names[:3] == ["pip", "setuptools", "wheel"]


@pytest.mark.docker
def test_the_engine_sees_what_this_worker_stages(
    docker_client: docker.DockerClient, runtime_python: str, tmp_path: Path
) -> None:
    check_staging_shared(docker_client, tmp_path / "staging")
    assert list((tmp_path / "staging" / "runs").iterdir()) == []  # the probe cleaned up


@pytest.mark.docker
def test_a_staging_folder_the_engine_cannot_see_stops_the_worker(
    runtime_python: str, tmp_path: Path
) -> None:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("this test mounts in a private mount namespace: run as root", pytrace=False)
        pytest.skip("needs root and unshare")
    # a private mount namespace: the tmpfs the check mounts never reaches the engine's host,
    # as in a worker container whose staging folder is not a shared mount
    script = (
        "import sys, docker; from pathlib import Path\n"
        "from podium.worker.hostcheck import check_staging_shared, StagingNotShared\n"
        "try:\n"
        "    check_staging_shared(docker.from_env(), Path(sys.argv[1]))\n"
        "except StagingNotShared as error:\n"
        "    print(error.message); sys.exit(3)\n"
    )
    done = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", sys.executable, "-c", script,
         str(tmp_path / "staging")], capture_output=True, text=True, cwd=REPO, check=False,
    )  # fmt: skip
    assert done.returncode == 3, done.stdout + done.stderr
    assert "does not see what this worker writes in its staging folder" in done.stdout
    assert "sudo deploy/prepare-host" in done.stdout


@pytest.mark.docker
def test_a_worker_reports_its_staging_disk_and_image_store(settings: Settings) -> None:
    facts = collect(settings, name="podium-1@here", queues="default", concurrency=2)
    assert facts.staging_free_mb is not None and facts.staging_total_mb is not None
    assert 0 < facts.staging_free_mb <= facts.staging_total_mb
    assert facts.image_store_mb is not None and facts.image_store_mb > 0
    assert facts.engine and facts.concurrency == 2


@pytest.fixture
def proxy_world(
    docker_client: docker.DockerClient, runtime_python: str
) -> Iterator[dict[str, str]]:
    """A stand-in proxy on its own egress network, labelled for this test only."""
    key = secrets.token_hex(4)
    world = {
        "label": f"org.podium.test-proxy-{key}",
        "egress": f"podiumtest-egress-{key}",
        "build": f"podiumtest-build-{key}",
    }
    labels = {TEST_LABEL: "1", world["label"]: "1"}
    egress = docker_client.networks.create(world["egress"], labels={TEST_LABEL: "1"})
    build = docker_client.networks.create(world["build"], internal=True, labels={TEST_LABEL: "1"})
    proxy = docker_client.containers.run(
        RUNTIME_PYTHON, ["sleep", "600"], detach=True, labels=labels, network=world["egress"]
    )
    world["proxy"] = str(proxy.id)
    try:
        yield world
    finally:
        for thing in (proxy,):
            try:
                thing.remove(force=True)
            except docker.errors.NotFound:
                pass
        for network in (build, egress):
            try:
                network.remove()
            except docker.errors.NotFound:
                pass


@pytest.mark.docker
def test_an_idle_build_proxy_goes_with_the_worker_a_busy_one_stays(
    docker_client: docker.DockerClient, proxy_world: dict[str, str]
) -> None:
    build = docker_client.networks.get(proxy_world["build"])
    build.connect(proxy_world["proxy"])  # a build is under way
    kept = release_build_proxy(
        docker_client, label=proxy_world["label"], egress=proxy_world["egress"]
    )
    assert kept is False
    assert docker_client.containers.get(proxy_world["proxy"]).status == "running"
    build.disconnect(proxy_world["proxy"])
    assert release_build_proxy(
        docker_client, label=proxy_world["label"], egress=proxy_world["egress"]
    )
    with pytest.raises(docker.errors.NotFound):
        docker_client.containers.get(proxy_world["proxy"])
    with pytest.raises(docker.errors.NotFound):
        docker_client.networks.get(proxy_world["egress"])
