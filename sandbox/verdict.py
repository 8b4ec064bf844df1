"""Turn what was observed about a finished container into a status and a plain message."""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.cgroups import Usage
from sandbox.image_faults import exec_failure
from sandbox.limits import SandboxLimits
from sandbox.logtail import TailBuffer
from sandbox.outputs import OutputSummary
from sandbox.result import RunResult, RunStatus

_MB = 1 << 20


@dataclass(frozen=True)
class Observation:
    """Facts the engine reported about one container after it stopped."""

    exit_code: int
    oom_killed: bool
    timed_out: bool
    wall_seconds: float | None
    stdout: TailBuffer
    stderr: TailBuffer
    cancelled: bool = False
    pids_limit: int | None = None  # what the kernel enforced, when not limits.processes


def verdict(
    seen: Observation,
    output: OutputSummary,
    usage: Usage,
    limits: SandboxLimits,
    image_id: str,
    run_id: str | None = None,
) -> RunResult:
    """The run's status and message, checked in order of what the participant must fix first."""
    peak_mb = None if usage.peak_memory_bytes is None else usage.peak_memory_bytes / _MB
    status, message = _classify(seen, output, usage, limits, peak_mb)
    return RunResult(
        status=status,
        message=message,
        exit_code=None if seen.timed_out or seen.cancelled else seen.exit_code,
        wall_seconds=seen.wall_seconds,
        cpu_seconds=None if usage.cpu_ns is None else usage.cpu_ns / 1e9,
        peak_memory_mb=peak_mb,
        stdout_tail=seen.stdout.text(),
        stderr_tail=seen.stderr.text(),
        stdout_bytes=seen.stdout.total_bytes,
        stderr_bytes=seen.stderr.total_bytes,
        output_bytes=output.total_bytes,
        output_files=output.files,
        image_id=image_id,
        run_id=run_id,
    )


def _classify(
    seen: Observation,
    output: OutputSummary,
    usage: Usage,
    limits: SandboxLimits,
    peak_mb: float | None,
) -> tuple[RunStatus, str]:
    if seen.cancelled:
        return RunStatus.CANCELLED, "the run was cancelled"
    cap = seen.pids_limit or limits.processes
    hit_processes = usage.peak_processes is not None and usage.peak_processes >= cap
    if hit_processes and (seen.timed_out or seen.exit_code != 0):
        return RunStatus.PROCESS_LIMIT, (
            f"your container tried to run more than {limits.processes} processes at once and "
            f"was stopped; the limit for this phase is {limits.processes} processes and threads"
        )
    if seen.timed_out:
        return RunStatus.TIMED_OUT, (
            f"your container ran longer than {limits.wall_seconds:g} s and was stopped; the "
            f"limit for this phase is {limits.wall_seconds:g} s"
        )
    near_limit = peak_mb is not None and peak_mb >= 0.97 * limits.memory_mb
    if seen.oom_killed or (seen.exit_code == 137 and near_limit):
        return RunStatus.OUT_OF_MEMORY, (
            f"your container used more than {limits.memory_mb} MB of memory and was stopped; "
            f"the limit for this phase is {limits.memory_mb} MB"
        )
    too_big = output.total_bytes > limits.output_mb * _MB or output.files > limits.output_files
    if too_big:
        return RunStatus.OUTPUT_TOO_LARGE, (
            f"your container wrote {output.total_bytes / _MB:.1f} MB in {output.files} files "
            f"to /output; the limit is {limits.output_mb} MB in at most "
            f"{limits.output_files} files"
        )
    if output.problem:
        return RunStatus.FAILED, output.problem
    unstartable = exec_failure(seen.exit_code, seen.stdout.total_bytes, seen.stderr.text())
    if unstartable:
        return RunStatus.INVALID_IMAGE, unstartable
    if seen.exit_code != 0:
        return RunStatus.FAILED, (
            f"your container exited with code {seen.exit_code}{_signal_hint(seen.exit_code)}; "
            "its stderr shows why"
        )
    return RunStatus.SUCCEEDED, "your container finished within every limit"


def _signal_hint(code: int) -> str:
    names = {134: "SIGABRT", 137: "SIGKILL", 139: "SIGSEGV", 143: "SIGTERM"}
    return f" ({names[code]})" if code in names else ""
