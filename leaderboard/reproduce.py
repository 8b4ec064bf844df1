"""Did a re-run of a submission reproduce its score?"""

from __future__ import annotations

from dataclasses import dataclass

from leaderboard.errors import InvalidRanking
from leaderboard.models import valid_number

# Float noise allowed on top of the tolerance, relative to the score's size: 0.82 - 0.81 is
# 0.010000000000000009 in binary floating point and must count as "within 0.01".
_FLOAT_SLACK = 1e-9


@dataclass(frozen=True)
class ReproductionResult:
    """Outcome of a reproduction.

    Attributes:
        within_tolerance: Whether ``|rerun - original| <= tolerance``; False when either
            score is missing or not finite.
        difference: ``rerun - original``; None when it cannot be computed.
    """

    within_tolerance: bool
    difference: float | None


def reproduces(original: float | None, rerun: float | None, tolerance: float) -> ReproductionResult:
    """Compare a re-run's score with the original one.

    Args:
        original: The stored score.
        rerun: The score of the re-run (same image digest, same data).
        tolerance: The challenge's absolute tolerance, 0 or more.

    Returns:
        Whether the re-run is within tolerance, and the signed difference.

    Raises:
        InvalidRanking: A negative or non-finite tolerance.
    """
    limit = valid_number(tolerance)
    if limit is None or limit < 0:
        raise InvalidRanking(f"tolerance must be a finite number of 0 or more, not {tolerance}")
    first, second = valid_number(original), valid_number(rerun)
    if first is None or second is None:
        return ReproductionResult(within_tolerance=False, difference=None)
    difference = second - first
    slack = _FLOAT_SLACK * max(1.0, abs(first), abs(second))
    return ReproductionResult(abs(difference) <= limit + slack, difference)
