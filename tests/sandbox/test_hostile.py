"""The hostile-submission catalogue of SECURITY.md, each attack a real image in the real sandbox.

Every test runs under runc and under gVisor's runsc (`tests/sandbox/runners.py`), and asserts
the status and the message, that the runner still runs a healthy image afterwards, and that no
container, volume, staging folder or cgroup of its own runs was left behind.

What differs under runsc (gVisor 20221219, ptrace platform), and why the same asserts still hold:

- Processes: the kernel's pids limit counts the sandbox's host tasks (about 31 for the sentry and
  gofer, then about 8 per guest process), so the runner hands the kernel a scaled limit
  (``container_spec.kernel_pids_limit``). A fork bomb then ends within about a second with the
  sandbox dying at that limit (exit 2) rather than at the wall limit with fork() failing inside
  (runc: killed at the wall limit, exit None); both are ``process_limit``. Guest threads cost
  gVisor almost no host tasks, so a thread bomb is bounded by memory rather than by that limit.
- Memory: peak memory includes the sentry (a trivial run peaks near 18 MB instead of 4 MB; a
  300 MB allocation reads about 318 MB instead of 304 MB); the memory limit still OOM-kills at
  the cap (exit 137, OOMKilled), and a fork bomb's peak is much higher (about 7 MB per guest
  process).
- CPU time includes the sentry's work; a 3 s CPU-bound program reads about 3 s under both when
  the machine is idle, less under runsc when it is loaded (gVisor's clock counts preemption).
- Wall time: the engine stamps a short runsc run's start after its finish, so the runner falls
  back to the time from start to exit as it saw it.
- Output: a 1 MiB write() to stdout returns a short count under gVisor, and Python's buffered
  stdout then loses the rest; the flood program writes with its own loop so both runtimes push
  the same 200 MB through the cap.
- /proc/self/status has no NoNewPrivs line under gVisor; the program asks prctl instead.
"""

from __future__ import annotations

import io
import json
import os
import resource
import tarfile
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import docker
import pytest

from sandbox.limits import SandboxLimits
from sandbox.result import RunResult, RunStatus
from tests.sandbox import hostile
from tests.sandbox.runners import (
    FAST,
    BuildImage,
    ObservedRunner,
    build_image,
    inputs_folder,
    runner,
)

pytestmark = pytest.mark.docker
__all__ = ["build_image", "runner"]  # fixtures, imported so that pytest finds them here

Run = Callable[..., RunResult]


@pytest.fixture
def run(runner: ObservedRunner, build_image: BuildImage, tmp_path: Path) -> Iterator[Run]:
    """Run a program as an image; afterwards check the runner is healthy and that nothing of
    this test's runs is left (only what the test created is checked: other Podiums may share
    the engine)."""
    inputs = inputs_folder(tmp_path)
    run_ids: list[str | None] = []

    def go(program: str, limits: SandboxLimits = FAST, extra: str = "") -> RunResult:
        output = tmp_path / f"output-{len(run_ids)}"
        result = runner.run(build_image(program, extra), inputs, output, limits)
        run_ids.append(result.run_id)
        return result

    yield go
    healthy = runner.run(build_image(hostile.HEALTHY), inputs, tmp_path / "healthy", FAST)
    assert healthy.status is RunStatus.SUCCEEDED, healthy.message
    assert healthy.stdout_tail == "ok\n"
    measured = (healthy.wall_seconds, healthy.cpu_seconds, healthy.peak_memory_mb)
    assert None not in measured, measured  # under runc and runsc alike
    for run_id in [*run_ids, healthy.run_id]:
        assert run_id is not None
        assert runner.leftovers(run_id) == []


def test_fork_bomb_is_stopped_at_the_process_limit(run: Run) -> None:
    # memory to spare: under runsc each guest process costs about 7 MB of the sandbox's
    # memory, so at 256 MB a loaded machine could reach the memory limit first (seen in CI:
    # out_of_memory, which is true, but not what this test is about)
    result = run(hostile.FORK_BOMB, replace(FAST, wall_seconds=5, memory_mb=1024))
    assert result.status is RunStatus.PROCESS_LIMIT
    assert "more than 32 processes" in result.message
    assert "the limit for this phase is 32" in result.message


def test_memory_bomb_is_killed_without_swap(run: Run) -> None:
    result = run(hostile.MEMORY_BOMB, replace(FAST, memory_mb=128))
    assert result.status is RunStatus.OUT_OF_MEMORY
    assert result.message == (
        "your container used more than 128 MB of memory and was stopped; "
        "the limit for this phase is 128 MB"
    )
    assert result.peak_memory_mb is not None and result.peak_memory_mb <= 129


@pytest.mark.parametrize(
    "program", [hostile.CPU_SPIN, hostile.SLEEP_FOREVER, hostile.IGNORE_SIGTERM],
    ids=["cpu-spin", "sleep-forever", "ignores-sigterm"],
)  # fmt: skip
def test_runaway_containers_are_killed_at_the_wall_limit(run: Run, program: str) -> None:
    result = run(program, replace(FAST, wall_seconds=2))
    assert result.status is RunStatus.TIMED_OUT
    assert result.message == (
        "your container ran longer than 2 s and was stopped; the limit for this phase is 2 s"
    )
    assert result.exit_code is None
    # the run was killed at its limit, not before (measured by the engine, not a speed check)
    assert result.wall_seconds is not None and 1.9 <= result.wall_seconds  # noqa: SIM300


def test_log_flood_is_capped_and_the_worker_stays_flat(run: Run) -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = run(hostile.FLOOD, replace(FAST, wall_seconds=60))
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert result.status is RunStatus.SUCCEEDED, result.message
    assert result.stdout_bytes > 200 << 20 and result.stderr_bytes > 200 << 20
    assert result.stdout_tail.startswith("[... ")
    assert "bytes truncated ...]" in result.stdout_tail
    assert result.stdout_tail.endswith("LAST-LINE\n")
    assert "\x1b" not in result.stderr_tail and "\x00" not in result.stdout_tail
    assert "\\x1b[2J" in result.stderr_tail
    assert len(result.stdout_tail.encode()) < 5 * (16 << 10)
    assert grown_mb < 64


def test_filling_tmp_fails_inside_the_container(run: Run) -> None:
    result = run(hostile.FILL_TMP, replace(FAST, tmp_mb=8))
    assert result.status is RunStatus.SUCCEEDED
    assert "tmp write failed: ENOSPC" in result.stdout_tail


def test_filling_output_is_output_too_large(run: Run) -> None:
    result = run(hostile.FILL_OUTPUT)
    assert result.status is RunStatus.OUTPUT_TOO_LARGE
    assert result.message.startswith("your container wrote 9.0 MB in 1 files to /output")
    assert result.message.endswith("the limit is 8 MB in at most 1000 files")
    assert "output write failed" in result.stdout_tail


def test_many_small_files_are_output_too_large(run: Run) -> None:
    result = run(hostile.MANY_FILES)
    assert result.status is RunStatus.OUTPUT_TOO_LARGE
    files = int(result.message.split(" files to /output")[0].rsplit(" ", 1)[1])
    assert 1000 < files < 5000
    assert "Errno 28" in result.stderr_tail  # No space left on device, inside the container


def test_no_network_of_any_kind(run: Run) -> None:
    result = run(hostile.NETWORK)
    assert result.status is RunStatus.SUCCEEDED, result.stderr_tail
    seen = json.loads(result.stdout_tail)
    assert seen.pop("interfaces") == ["lo"]
    assert seen.pop("raw") == "PermissionError"
    assert seen["dns"] == "gaierror"
    assert all(outcome != "reached" for outcome in seen.values()), seen


def test_no_docker_socket_host_files_or_other_processes(run: Run) -> None:
    secret = Path("/tmp/podium-host-secret")
    secret.write_text("the host's secret")
    try:
        result = run(hostile.HOST_ACCESS)
    finally:
        secret.unlink()
    seen = json.loads(result.stdout_tail)
    assert seen["docker_sock"] is False
    assert seen["host_secret"] is False
    assert seen["pids"] == [1]
    assert "DOCKER_HOST" not in seen["env_keys"]
    assert {"PODIUM_INPUT", "PODIUM_OUTPUT"} <= set(seen["env_keys"])


def test_setuid_and_user_root_stay_unprivileged(run: Run) -> None:
    result = run(hostile.PRIVILEGES, extra=hostile.PRIVILEGES_DOCKERFILE)
    assert result.status is RunStatus.SUCCEEDED, result.stderr_tail
    seen = json.loads(result.stdout_tail)
    assert (seen["uid"], seen["euid"], seen["gid"]) == (65534, 65534, 65534)
    assert seen["setuid_euid"] == "65534"
    assert seen["cap_eff"] == "0000000000000000"
    assert seen["no_new_privs"] == "1"
    assert seen["root_writable"] is False and seen["etc_writable"] is False
    assert seen["volume_writable"] is False and seen["input_writable"] is False
    assert seen["tmp_writable"] is True


def test_peak_memory_is_measured_from_the_cgroup(run: Run) -> None:
    result = run(hostile.ALLOCATE_300MB, replace(FAST, memory_mb=512))
    assert result.status is RunStatus.SUCCEEDED, result.message
    assert result.peak_memory_mb is not None and result.peak_memory_mb >= 300


def test_cpu_time_is_measured_from_the_cgroup(run: Run, runner: ObservedRunner) -> None:
    result = run(hostile.CPU_BOUND, replace(FAST, wall_seconds=30))
    assert result.status is RunStatus.SUCCEEDED, result.message
    assert result.cpu_seconds is not None and result.wall_seconds is not None
    # the program burns 3 s of CPU by its own clock: the cgroup must see it. Under runsc that
    # clock is gVisor's, which counts the time its task was meant to run, host preemption
    # included: idle it reads the host's count within 0.1%, on a loaded 2-core CI machine
    # the cgroup saw 2.59 s of the guest's 3 s. Most of it must still be seen.
    assert (3.0 if runner.runtime == "runc" else 2.0) <= result.cpu_seconds  # noqa: SIM300
    # and no more than the CPU cap allows over the engine's wall time (a shared machine may
    # stretch the wall time, so only this bound holds whatever the load)
    assert result.cpu_seconds <= result.wall_seconds * FAST.cpus * 1.05 + 0.2


def test_predictions_are_copied_out_without_links_or_fifos(run: Run, tmp_path: Path) -> None:
    result = run(hostile.WRITE_PREDICTIONS)
    assert result.status is RunStatus.SUCCEEDED, result.stderr_tail
    (output,) = [p for p in tmp_path.glob("output-*")]
    assert sorted(p.name for p in output.rglob("*")) == ["more.txt", "nested", "predictions.csv"]
    assert (output / "predictions.csv").read_text() == "id,label\n1,1\n2,1\n3,1\n"


def test_crash_is_failed_with_its_exit_code_and_stderr(run: Run) -> None:
    result = run(hostile.CRASH)
    assert result.status is RunStatus.FAILED
    assert result.exit_code == 3
    assert result.message == "your container exited with code 3; its stderr shows why"
    assert result.stderr_tail == "about to fail\n"


def test_image_without_entrypoint_or_cmd_is_invalid(
    runner: ObservedRunner, docker_client: docker.DockerClient, tmp_path: Path
) -> None:
    image = docker_client.api.import_image_from_data(
        _empty_tar(), repository="podium-test/no-cmd", tag="1"
    )
    image_id = json.loads(image.splitlines()[-1])["status"] if isinstance(image, str) else None
    try:
        result = runner.run("podium-test/no-cmd:1", tmp_path, tmp_path / "out", FAST)
    finally:
        docker_client.images.remove("podium-test/no-cmd:1", force=True)
    assert image_id is None or image_id.startswith("sha256:")
    assert result.status is RunStatus.INVALID_IMAGE
    assert "has no ENTRYPOINT or CMD" in result.message


def test_missing_image_is_invalid_and_never_pulled(runner: ObservedRunner, tmp_path: Path) -> None:
    result = runner.run("podium-test/does-not-exist:1", tmp_path, tmp_path / "out", FAST)
    assert result.status is RunStatus.INVALID_IMAGE
    assert "no image is ever pulled" in result.message


def _empty_tar() -> bytes:
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as tar:
        info = tarfile.TarInfo("hello.txt")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
    return data.getvalue()


def test_output_nested_hundreds_deep_is_failed_with_what_to_do(run: Run, tmp_path: Path) -> None:
    result = run(hostile.DEEP_OUTPUT)
    assert result.status is RunStatus.FAILED
    assert result.message == (
        "your container left folders nested more than 32 deep in /output; "
        "write predictions.csv at the top of /output"
    )
    assert result.stdout_tail == "nested 300\n"
    assert not list(tmp_path.glob("output-*/*"))  # nothing of such a tree is copied


def test_output_path_past_path_max_is_failed_with_what_to_do(run: Run) -> None:
    result = run(hostile.LONG_OUTPUT_PATH)
    assert result.status is RunStatus.FAILED
    assert result.message.startswith("your container left a path longer than 1024 bytes")
    assert result.message.endswith("write predictions.csv at the top of /output")


def test_odd_output_names_and_locked_folders_are_left_out(run: Run, tmp_path: Path) -> None:
    result = run(hostile.ODD_OUTPUT_NAMES)
    assert result.status is RunStatus.SUCCEEDED, result.message
    (output,) = tmp_path.glob("output-*")
    copied = sorted(str(p.relative_to(output)) for p in output.rglob("*"))
    # the worker (root here) can read the locked folder; what it copies is plain text names
    assert copied in (["locked", "locked/inside.txt", "predictions.csv"], ["predictions.csv"])


def test_worker_proxies_and_gpus_never_reach_the_container(
    runner: ObservedRunner,
    build_image: BuildImage,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The worker's ~/.docker/config.json proxies (with credentials) stay out; a CPU run sees
    no GPU whatever the image's ENV says; under runsc the kernel is gVisor's."""
    config = tmp_path / "docker-config"
    config.mkdir()
    proxy = "http://worker:hunter2@proxy.internal:3128"
    proxies = {"default": {"httpProxy": proxy, "httpsProxy": proxy, "noProxy": "localhost"}}
    (config / "config.json").write_text(json.dumps({"proxies": proxies}))
    monkeypatch.setenv("DOCKER_CONFIG", str(config))
    client = docker.from_env()
    assert client.api._proxy_configs.get_environment()  # the SDK did read the proxies
    worker = ObservedRunner(client, staging_root=runner.staging_root, runtime=runner.runtime)
    image = build_image(hostile.ENVIRONMENT, hostile.ENVIRONMENT_DOCKERFILE)
    result = worker.run(image, inputs_folder(tmp_path), tmp_path / "out", FAST)
    assert result.status is RunStatus.SUCCEEDED, result.stderr_tail
    seen = json.loads(result.stdout_tail)
    env = seen["env"]
    assert not [k for k in env if "proxy" in k.lower()], env
    assert "hunter2" not in result.stdout_tail
    assert env["NVIDIA_VISIBLE_DEVICES"] == "void" and env["CUDA_VISIBLE_DEVICES"] == ""
    assert result.run_id is not None
    created = worker.inspected[result.run_id]
    assert created["HostConfig"]["Runtime"] == runner.runtime
    assert not created["HostConfig"].get("DeviceRequests")
    if runner.runtime == "runsc":
        assert seen["kernel"] == "4.4.0"  # what gVisor's sentry reports, not the host's kernel
    else:
        assert seen["kernel"] == os.uname().release
    assert worker.leftovers(result.run_id) == []
    client.close()
