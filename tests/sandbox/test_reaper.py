"""The reaper removes what a crashed run left behind, and nothing that is still running."""

from __future__ import annotations

import os
import time
from pathlib import Path

import docker
import pytest

from sandbox.cgroups import CgroupProbe
from sandbox.reaper import reap
from sandbox.runner import DEADLINE_LABEL, LABEL, RUN_LABEL

pytestmark = pytest.mark.docker


def _container(client: docker.DockerClient, image: str, run_id: str, deadline: float) -> str:
    probe = CgroupProbe(run_id, driver="cgroupfs", version="1")
    created = client.api.create_container(
        image,
        command=["sleep", "300"],
        labels={LABEL: "1", RUN_LABEL: run_id, DEADLINE_LABEL: str(int(deadline))},
        host_config=client.api.create_host_config(
            network_mode="none", cgroup_parent=probe.parent, binds={}
        ),
    )
    client.api.start(created["Id"])
    return str(created["Id"])


def test_reaper_removes_a_crashed_run_and_spares_a_live_one(
    docker_client: docker.DockerClient, runtime_python: str, tmp_path: Path
) -> None:
    info = docker_client.info()
    if info.get("CgroupVersion", "1") != "1":
        pytest.fail("this test drives cgroup v1 paths; extend it for v2 hosts")
    dead = _container(docker_client, runtime_python, "deadrun0000", time.time() - 10)
    live = _container(docker_client, runtime_python, "liverun0000", time.time() + 600)
    staging = tmp_path / "staging"
    (staging / "deadrun0000" / "output").mkdir(parents=True)
    old = time.time() - 3600
    os.utime(staging / "deadrun0000", (old, old))
    try:
        report = reap(docker_client, staging_root=staging)
        remaining = {
            c["Id"] for c in docker_client.api.containers(all=True, filters={"label": LABEL})
        }
        assert dead[:12] in report.containers
        assert dead not in remaining and live in remaining
        assert report.staging == ["deadrun0000"]
        assert not (staging / "deadrun0000").exists()
        assert "podium-deadrun0000" in report.cgroups
        assert not Path("/sys/fs/cgroup/memory/podium-deadrun0000").exists()
        assert Path("/sys/fs/cgroup/memory/podium-liverun0000").exists()
    finally:
        for container in (live, dead):
            try:
                docker_client.api.remove_container(container, force=True)
            except docker.errors.NotFound:
                pass
        CgroupProbe("liverun0000", driver="cgroupfs", version="1").remove()
    # other platforms may share the engine: count only what this test made
    assert report.summary().startswith("removed ") and dead[:12] in report.containers
