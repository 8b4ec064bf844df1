"""The stored challenge spec and phase settings, read back as the bundle schema's objects.

A challenge row keeps its bundle's spec as JSON and each phase row its quotas, run limits and
leaderboard rules (``challenges.schema`` models dumped at registration). The platform reads
them only through these functions (as ``Challenge.parsed_spec`` and the ``Phase`` properties),
never with ``.get`` chains: one parse, one set of defaults, one error when a row does not read.

A spec is parsed once per row and bundle version (``challenge.id``, ``bundle_sha256``) and kept
while the stored JSON is unchanged (a setting edited in place is parsed again). Cross-section
checks (phase order, metric names) ran when the bundle was registered and are not repeated.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from challenges.schema import (
    SKIP_CROSS_CHECKS,
    ChallengeSpec,
    LeaderboardSpec,
    SandboxLimits,
    SubmissionLimits,
)
from podium.errors import InvalidInput

Model = TypeVar("Model", bound=BaseModel)
_KEPT = 256  # parsed specs kept: far more than the challenges a platform serves at once
_parsed: OrderedDict[tuple[int | None, str], tuple[dict[str, Any], ChallengeSpec]] = OrderedDict()
_guard = threading.Lock()


class StoredSpecError(RuntimeError):
    """A stored spec no longer reads as the schema (the platform's fault, never the caller's)."""


def parse_spec(challenge_id: int | None, version: str, stored: Mapping[str, Any]) -> ChallengeSpec:
    """The stored spec of challenge ``challenge_id`` at bundle ``version``, parsed (cached).

    Raises:
        StoredSpecError: the JSON does not read as a ``ChallengeSpec`` (says where and why).
    """
    key = (challenge_id, version)
    with _guard:
        kept = _parsed.get(key)
        if kept is not None and kept[0] == stored:
            _parsed.move_to_end(key)
            return kept[1]
    try:
        spec = ChallengeSpec.model_validate(stored, context={SKIP_CROSS_CHECKS: True})
    except ValidationError as error:
        raise StoredSpecError(
            f"the stored spec of challenge {challenge_id} does not read: {_first(error)}; "
            "register its bundle again"
        ) from None
    with _guard:
        _parsed[key] = (copy.deepcopy(dict(stored)), spec)
        _parsed.move_to_end(key)
        while len(_parsed) > _KEPT:
            _parsed.popitem(last=False)
    return spec


def leaderboard_rules(stored: Mapping[str, Any] | None, phase: str) -> LeaderboardSpec:
    """A phase's stored leaderboard rules (visibility, rule, cap); the schema's defaults for
    a phase stored without them.

    Raises:
        InvalidInput: the stored rules are invalid (e.g. ``selected`` without a cap).
    """
    return _setting(LeaderboardSpec, stored or {}, phase, "leaderboard rules")


def quota(stored: Mapping[str, Any] | None, phase: str) -> SubmissionLimits:
    """A phase's per-team submission quotas; the schema's defaults where one is missing.

    Raises:
        InvalidInput: the stored quotas are invalid.
    """
    return _setting(SubmissionLimits, stored or {}, phase, "submission limits")


def run_limits(stored: Mapping[str, Any] | None, phase: str) -> SandboxLimits | None:
    """A phase's run limits; None for a phase stored without them (the bundle's then apply).

    Raises:
        InvalidInput: the stored limits are invalid.
    """
    return _setting(SandboxLimits, stored, phase, "run limits") if stored else None


def _setting(model: type[Model], stored: Mapping[str, Any], phase: str, what: str) -> Model:
    try:
        return model.model_validate(stored)
    except ValidationError as error:
        raise InvalidInput(f"phase {phase!r} has invalid {what}: {_first(error)}") from None


def _first(error: ValidationError) -> str:
    problem = error.errors()[0]
    where = ".".join(str(part) for part in problem["loc"]) or "the whole value"
    more = f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
    return f"{where}: {problem['msg']}{more}"
