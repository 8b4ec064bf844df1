"""How one sandbox container is specified: host config, environment, runtime and GPUs.

Pure functions over plain values (no engine calls), so what a run gets can be unit-tested on a
machine without GPUs or gVisor. Nothing here reads the worker's own settings implicitly: the
runner passes the runtime and the GPU ids it was built with, and the container never inherits
the worker's proxies (``use_config_proxy=False`` at create) or the image's HEALTHCHECK.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docker.types import DeviceRequest, LogConfig, Mount, Ulimit

from sandbox.errors import SandboxError
from sandbox.limits import SandboxLimits

RUNTIMES = ("auto", "runc", "runsc")
# What nvidia-container-runtime and CUDA read; a CPU run overrides whatever the image says.
NO_GPU_ENV = {"NVIDIA_VISIBLE_DEVICES": "void", "CUDA_VISIBLE_DEVICES": ""}
HEALTHCHECK_OFF = {"Test": ["NONE"]}
# Under gVisor the kernel's pids limit counts the sandbox's host tasks, not the guest's: the
# sentry and gofer start about 31 of their own, and with the ptrace platform each guest process
# costs about 8 more (its stub process and the sentry's threads for it; guest threads cost
# almost nothing). Measured with runsc 20221219: 5 forks peaked at 67, 30 forks at 270.
RUNSC_BASE_TASKS = 48
RUNSC_TASKS_PER_PROCESS = 9


@dataclass(frozen=True)
class RuntimeChoice:
    """Which OCI runtime runs which kind of run.

    Attributes:
        cpu: the runtime of runs without GPUs.
        gpu: the runtime of GPU runs (Debian's runsc has no GPU support, so ``auto`` picks runc).
    """

    cpu: str
    gpu: str

    def for_limits(self, limits: SandboxLimits) -> str:
        """The runtime for a run under ``limits``."""
        return self.gpu if limits.gpus else self.cpu


def choose_runtime(setting: str, offered: Iterable[str]) -> RuntimeChoice:
    """Resolve the ``sandbox_runtime`` setting against the runtimes the engine offers.

    Args:
        setting: ``auto`` (runsc where the engine offers it, else runc), ``runc`` or ``runsc``.
        offered: the names in ``docker info``'s ``Runtimes``.

    Raises:
        SandboxError: the setting is unknown, or names a runtime the engine does not offer.
    """
    names = set(offered) | {"runc"}  # every engine runs runc, whatever it lists
    if setting == "auto":
        return RuntimeChoice(cpu="runsc" if "runsc" in names else "runc", gpu="runc")
    if setting not in RUNTIMES:
        raise SandboxError(
            f"unknown sandbox runtime {setting!r}; choose one of {', '.join(RUNTIMES)}"
        )
    if setting not in names:
        raise SandboxError(
            f"the sandbox runtime {setting!r} is not offered by the Docker engine (it offers "
            f"{', '.join(sorted(names))}); install and register it (scripts/ensure-docker does "
            "so on Debian as root) or set the sandbox runtime to auto"
        )
    return RuntimeChoice(cpu=setting, gpu=setting)


def kernel_pids_limit(limits: SandboxLimits, runtime: str) -> int:
    """The pids limit handed to the kernel for ``limits.processes`` guest processes.

    Under runc they are the same. Under runsc the sandbox dies (exit 2) when its host tasks
    reach the limit, so it is scaled to let about ``limits.processes`` guest processes live.
    """
    if runtime == "runsc":
        return RUNSC_BASE_TASKS + RUNSC_TASKS_PER_PROCESS * limits.processes
    return limits.processes


def parse_gpu_devices(value: str | Sequence[str] | None) -> tuple[str, ...]:
    """``"0,1"`` (or a list) as device ids; None or empty means no ids are configured."""
    if value is None:
        return ()
    items = value.split(",") if isinstance(value, str) else list(value)
    return tuple(item.strip() for item in items if item.strip())


def gpu_requests(limits: SandboxLimits, device_ids: Sequence[str]) -> list[DeviceRequest]:
    """The device requests of a run: the first ``gpus`` configured ids, or a count.

    Raises:
        SandboxError: the run asks for more GPUs than this worker may hand out.
    """
    if not limits.gpus:
        return []
    if not device_ids:
        return [DeviceRequest(count=limits.gpus, capabilities=[["gpu"]])]
    if limits.gpus > len(device_ids):
        raise SandboxError(
            f"the phase asks for {limits.gpus} GPUs but this worker may hand out "
            f"{len(device_ids)} ({', '.join(device_ids)}); raise gpu_devices or lower the "
            "phase's gpus"
        )
    return [DeviceRequest(device_ids=list(device_ids[: limits.gpus]), capabilities=[["gpu"]])]


def gpu_env(limits: SandboxLimits, device_ids: Sequence[str]) -> dict[str, str]:
    """Environment that pins GPU visibility, overriding the image's own."""
    if not limits.gpus:
        return dict(NO_GPU_ENV)
    chosen = device_ids[: limits.gpus] if device_ids else [str(i) for i in range(limits.gpus)]
    return {"NVIDIA_VISIBLE_DEVICES": ",".join(chosen)}


def environment(
    extra: Mapping[str, str], limits: SandboxLimits, device_ids: Sequence[str]
) -> dict[str, str]:
    """The container's environment: the contract's variables, the caller's, GPU visibility last."""
    return {
        "PODIUM_INPUT": "/input",
        "PODIUM_OUTPUT": "/output",
        "HOME": "/tmp",
        **extra,
        **gpu_env(limits, device_ids),
    }


@dataclass(frozen=True)
class HostPaths:
    """Host-side pieces of one run's container."""

    input_dir: Path
    output_dir: Path  # the staging folder mounted at /output
    empty_dir: Path  # mounted read-only over the image's VOLUMEs
    cgroup_parent: str


def host_config(
    paths: HostPaths,
    limits: SandboxLimits,
    *,
    volumes: Sequence[str],
    runtime: str,
    device_ids: Sequence[str],
    cgroup_v1: bool,
) -> dict[str, Any]:
    """Keyword arguments for ``APIClient.create_host_config`` of one sandbox run."""
    mounts = [
        Mount("/input", str(paths.input_dir.resolve()), type="bind", read_only=True),
        Mount("/output", str(paths.output_dir), type="bind", read_only=False),
    ]
    # An image's VOLUME would be a writable anonymous volume escaping the read-only root and
    # every size cap: cover each one with an empty folder mounted read-only.
    mounts += [Mount(v, str(paths.empty_dir), type="bind", read_only=True) for v in volumes]
    file_size = limits.file_size_mb << 20
    host: dict[str, Any] = {
        "network_mode": "none",
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges:true"],
        "read_only": True,
        "mem_limit": f"{limits.memory_mb}m",
        "memswap_limit": f"{limits.memory_mb}m",
        "nano_cpus": int(limits.cpus * 1e9),
        "pids_limit": kernel_pids_limit(limits, runtime),
        "ulimits": [
            Ulimit(name="nofile", soft=limits.open_files, hard=limits.open_files),
            Ulimit(name="fsize", soft=file_size, hard=file_size),
            Ulimit(name="core", soft=0, hard=0),
        ],
        "tmpfs": {"/tmp": f"rw,nosuid,nodev,size={limits.tmp_mb}m,mode=1777"},
        "mounts": mounts,
        "shm_size": f"{limits.shm_mb}m",
        "ipc_mode": "private",
        "log_config": LogConfig(type="none"),
        "cgroup_parent": paths.cgroup_parent,
        "oom_score_adj": 500,
        "runtime": runtime,
    }
    requests = gpu_requests(limits, device_ids)
    if requests:
        host["device_requests"] = requests
    if cgroup_v1:
        host["mem_swappiness"] = 0
    return host
