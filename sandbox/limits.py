"""The hard limits one sandboxed run gets. Units are in the names."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields


@dataclass(frozen=True)
class SandboxLimits:
    """Limits for one run; every one is enforced by the kernel or the engine, not by trust.

    Attributes:
        wall_seconds: the container is killed after this many seconds of running.
        memory_mb: memory cap; swap is off, so going over it means an OOM kill.
        cpus: CPU share (1.5 = one and a half cores).
        processes: most processes and threads alive at once (stops fork bombs).
        tmp_mb: size of the writable, memory-backed ``/tmp``.
        output_mb: most bytes the run may leave in ``/output``.
        output_files: most files the run may leave in ``/output``.
        log_kb: the tail of stdout and of stderr that is kept; the rest is counted and dropped.
        open_files: most open file descriptors per process.
        file_size_mb: largest single file any process may write.
        shm_mb: size of ``/dev/shm``.
        gpus: how many of the worker's GPUs the run gets (0: none, and none are visible).
        gpu: kept for callers that only say yes or no: True with ``gpus`` 0 means one GPU;
            after construction it always equals ``gpus > 0``.
    """

    wall_seconds: float = 60.0
    memory_mb: int = 512
    cpus: float = 1.0
    processes: int = 64
    tmp_mb: int = 64
    output_mb: int = 64
    output_files: int = 1000
    log_kb: int = 64
    open_files: int = 256
    file_size_mb: int = 64
    shm_mb: int = 16
    gpus: int = 0
    gpu: bool = False

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name not in ("gpu", "gpus") and not value > 0:
                raise ValueError(f"sandbox limit {f.name} must be positive, got {value!r}")
        if self.gpus < 0:
            raise ValueError(f"sandbox limit gpus must be 0 or more, got {self.gpus!r}")
        if self.gpu and self.gpus == 0:
            object.__setattr__(self, "gpus", 1)
        object.__setattr__(self, "gpu", self.gpus > 0)

    def to_dict(self) -> dict[str, float | int | bool]:
        """Plain values, for logs, JSON and MLflow parameters."""
        return asdict(self)
