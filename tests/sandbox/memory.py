"""How much memory a refusal costs the worker, measured inside the test process."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager

MB = 1024 * 1024


@contextmanager
def peak_python_mb() -> Iterator[list[float]]:
    """The peak of Python allocations (decompressors' output included) inside the block, in MB.

    The list it yields gets the figure when the block ends, also when the block raised.
    """
    result: list[float] = []
    tracemalloc.start()
    try:
        yield result
    finally:
        result.append(tracemalloc.get_traced_memory()[1] / MB)
        tracemalloc.stop()
