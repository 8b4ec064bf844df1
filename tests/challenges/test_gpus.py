"""A phase asks for a number of GPUs; a run gets that many, a CPU phase none."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from challenges.schema import SandboxLimits


@pytest.mark.parametrize(
    "extra,count", [({}, 0), ({"gpu": True}, 1), ({"gpus": 2}, 2), ({"gpu": True, "gpus": 4}, 4)]
)
def test_a_phase_says_how_many_gpus_a_run_gets(extra: dict[str, object], count: int) -> None:
    limits = SandboxLimits(wall_seconds=60, memory_mb=512, cpus=1, **extra)  # type: ignore[arg-type]
    assert limits.gpu_count == count


def test_a_gpu_count_must_be_sensible() -> None:
    with pytest.raises(ValidationError, match="greater than or equal to 1"):
        SandboxLimits(wall_seconds=60, memory_mb=512, cpus=1, gpus=0)
