"""What a container is given, checked on the host config itself (no GPU or gVisor needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import docker
import pytest

from sandbox import container_spec as spec
from sandbox.errors import SandboxError
from sandbox.limits import SandboxLimits

# An API client that never connects: create_host_config is pure once the version is known.
API = docker.APIClient(base_url="unix:///nonexistent.sock", version="1.41")
PATHS = spec.HostPaths(Path("/srv/in"), Path("/srv/out"), Path("/srv/empty"), "/podium-x")


def host(limits: SandboxLimits, runtime: str = "runc", devices: tuple[str, ...] = ()) -> Any:
    return API.create_host_config(
        **spec.host_config(
            PATHS, limits, volumes=["/scratch"], runtime=runtime, device_ids=devices,
            cgroup_v1=True,
        )
    )  # fmt: skip


def test_a_cpu_run_gets_no_device_and_a_hidden_gpu_environment() -> None:
    config = host(SandboxLimits())
    assert "DeviceRequests" not in config
    env = spec.environment({"NVIDIA_VISIBLE_DEVICES": "all"}, SandboxLimits(), ("0", "1"))
    assert env["NVIDIA_VISIBLE_DEVICES"] == "void"  # the image's or caller's "all" is overridden
    assert env["CUDA_VISIBLE_DEVICES"] == ""


def test_a_gpu_run_gets_the_first_configured_devices_it_asks_for() -> None:
    limits = SandboxLimits(gpus=2)
    (request,) = host(limits, devices=("3", "5", "7"))["DeviceRequests"]
    assert request["DeviceIDs"] == ["3", "5"]
    assert request["Count"] == 0
    assert request["Capabilities"] == [["gpu"]]
    env = spec.environment({}, limits, ("3", "5", "7"))
    assert env["NVIDIA_VISIBLE_DEVICES"] == "3,5"
    assert "CUDA_VISIBLE_DEVICES" not in env


def test_a_gpu_run_without_configured_ids_asks_for_a_count() -> None:
    (request,) = host(SandboxLimits(gpus=1))["DeviceRequests"]
    assert request["Count"] == 1 and not request["DeviceIDs"]
    assert spec.environment({}, SandboxLimits(gpus=2), ())["NVIDIA_VISIBLE_DEVICES"] == "0,1"


def test_a_gpu_run_never_gets_every_gpu() -> None:
    for devices in ((), ("0", "1", "2", "3")):
        (request,) = host(SandboxLimits(gpus=1), devices=devices)["DeviceRequests"]
        assert request["Count"] != -1
        assert len(request["DeviceIDs"] or []) <= 1


def test_asking_for_more_gpus_than_the_worker_has_is_a_platform_error() -> None:
    with pytest.raises(SandboxError, match="asks for 3 GPUs but this worker may hand out 2"):
        host(SandboxLimits(gpus=3), devices=("0", "1"))


def test_the_old_gpu_flag_still_means_one_gpu() -> None:
    assert SandboxLimits(gpu=True).gpus == 1
    assert SandboxLimits(gpus=2).gpu is True
    assert SandboxLimits().gpu is False and SandboxLimits().gpus == 0
    with pytest.raises(ValueError, match="gpus must be 0 or more"):
        SandboxLimits(gpus=-1)


def test_gpu_devices_setting_is_parsed() -> None:
    assert spec.parse_gpu_devices("0, 1,,2") == ("0", "1", "2")
    assert spec.parse_gpu_devices(["GPU-abc"]) == ("GPU-abc",)
    assert spec.parse_gpu_devices(None) == spec.parse_gpu_devices("") == ()


def test_the_runtime_and_the_hardening_are_in_the_host_config() -> None:
    config = host(SandboxLimits(processes=32), runtime="runsc")
    assert config["Runtime"] == "runsc"
    assert config["NetworkMode"] == "none"
    assert config["CapDrop"] == ["ALL"]
    assert config["ReadonlyRootfs"] is True
    assert config["Memory"] == config["MemorySwap"]
    # under gVisor the kernel counts the sentry's tasks too (see kernel_pids_limit)
    assert config["PidsLimit"] == spec.RUNSC_BASE_TASKS + spec.RUNSC_TASKS_PER_PROCESS * 32
    assert host(SandboxLimits(processes=32))["PidsLimit"] == 32
    assert [m["Target"] for m in config["Mounts"]] == ["/input", "/output", "/scratch"]


@pytest.mark.parametrize(
    ("setting", "offered", "cpu", "gpu"),
    [
        ("auto", ["runc", "runsc"], "runsc", "runc"),
        ("auto", ["io.containerd.runc.v2", "runc"], "runc", "runc"),
        ("auto", [], "runc", "runc"),
        ("runc", ["runc", "runsc"], "runc", "runc"),
        ("runsc", ["runc", "runsc"], "runsc", "runsc"),
    ],
)
def test_the_runtime_setting_is_resolved_against_the_engine(
    setting: str, offered: list[str], cpu: str, gpu: str
) -> None:
    choice = spec.choose_runtime(setting, offered)
    assert (choice.cpu, choice.gpu) == (cpu, gpu)
    assert choice.for_limits(SandboxLimits()) == cpu
    assert choice.for_limits(SandboxLimits(gpus=1)) == gpu


def test_a_runtime_the_engine_lacks_is_refused_with_what_to_do() -> None:
    with pytest.raises(SandboxError, match="runsc' is not offered by the Docker engine") as info:
        spec.choose_runtime("runsc", ["runc"])
    assert "scripts/ensure-docker" in str(info.value)
    with pytest.raises(SandboxError, match="unknown sandbox runtime 'kata'"):
        spec.choose_runtime("kata", ["runc", "kata"])
