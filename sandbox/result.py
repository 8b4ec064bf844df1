"""What one sandboxed run produced, in terms a participant can act on."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class RunStatus(StrEnum):
    """How a run ended. Everything but ``succeeded`` and ``cancelled`` is the participant's fault.

    ``invalid_image`` covers what the image itself gets wrong before any of its code runs (no
    entrypoint, a missing or non-executable binary, an exec format error, a bad working folder,
    volume or environment entry); ``cancelled`` is a run stopped because its cancel event was set.
    """

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    OUT_OF_MEMORY = "out_of_memory"
    OUTPUT_TOO_LARGE = "output_too_large"
    PROCESS_LIMIT = "process_limit"
    INVALID_IMAGE = "invalid_image"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class RunResult:
    """The outcome of ``SandboxRunner.run``.

    Measurements come from the container's cgroup (peak memory, CPU time) and the engine's own
    start and finish stamps (wall time); they are None only where the host cannot provide them.
    """

    status: RunStatus
    message: str
    exit_code: int | None = None
    wall_seconds: float | None = None
    cpu_seconds: float | None = None
    peak_memory_mb: float | None = None
    stdout_tail: str = ""
    stderr_tail: str = ""
    stdout_bytes: int = 0
    stderr_bytes: int = 0
    output_bytes: int = 0
    output_files: int = 0
    image_id: str | None = None
    run_id: str | None = None  # labels the run's container, staging folder and cgroup

    @property
    def succeeded(self) -> bool:
        """True when the container exited 0 within every limit."""
        return self.status is RunStatus.SUCCEEDED

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (status as its string value)."""
        data = asdict(self)
        data["status"] = self.status.value
        return data
