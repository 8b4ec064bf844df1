"""Registration and login are rate-limited per client address (the ``limits`` library).

The allowances are settings (``register_rate_limit``, ``login_rate_limit``) in the notation of
``limits`` ("10/minute", "3 per 2 seconds"), counted in a moving window. Counts live in the
process's memory by default (each API process counts on its own), and in Redis when
``PODIUM_BROKER_URL`` is ``redis://`` or ``rediss://``, so every API process of a deployment
shares them.

The address is Starlette's ``request.client``, which uvicorn fills in. Behind a reverse proxy
that is the proxy's address unless uvicorn runs with ``--proxy-headers`` and the proxy is
listed in ``--forwarded-allow-ips``; then it is the client's, from ``X-Forwarded-For``. Never
allow ``*`` there when clients can reach uvicorn directly: they could name any address.

Over the allowance the answer is 429 with ``Retry-After`` and a sentence saying when to retry
(``QuotaExceeded``, mapped in ``api/errors.py``)::

    @router.post("/token", dependencies=[Depends(limit_login)])
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from enum import StrEnum

from fastapi import Request
from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from podium.errors import QuotaExceeded
from podium.settings import Settings

NAMESPACE = "podium"


class Action(StrEnum):
    """What is counted, per client address."""

    REGISTER = "register"
    LOGIN = "login"


_WHAT = {Action.REGISTER: "registrations", Action.LOGIN: "login attempts"}
_SETTING = {Action.REGISTER: "register_rate_limit", Action.LOGIN: "login_rate_limit"}


def storage_uri(broker_url: str) -> str:
    """Redis when the broker is Redis (shared by every API process), else this process's memory."""
    return broker_url if broker_url.startswith(("redis://", "rediss://")) else "memory://"


def _parse(setting: str, value: str) -> RateLimitItem:
    try:
        return parse(value)
    except ValueError:
        raise ValueError(
            f"PODIUM_{setting.upper()}={value!r} is not a rate limit; write it like "
            "'10/minute' or '3 per 2 seconds'"
        ) from None


class RateLimits:
    """Per-address counts of each :class:`Action` against its allowance."""

    def __init__(self, storage: str, allowances: Mapping[Action, RateLimitItem]) -> None:
        self._limiter = MovingWindowRateLimiter(storage_from_string(storage))
        self._allowances = dict(allowances)

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimits:
        """The allowances of ``settings``, counted where the broker URL says.

        Raises:
            ValueError: A rate-limit setting is not in the notation of ``limits``.
        """
        allowances = {
            action: _parse(name, str(getattr(settings, name))) for action, name in _SETTING.items()
        }
        return cls(storage_uri(settings.broker_url), allowances)

    def hit(self, action: Action, address: str) -> None:
        """Count one ``action`` from ``address``.

        Raises:
            QuotaExceeded: The address used its allowance; ``retry_at`` is when it may again.
        """
        allowance = self._allowances[action]
        if self._limiter.hit(allowance, NAMESPACE, action.value, address):
            return
        reset = self._limiter.get_window_stats(allowance, NAMESPACE, action.value, address)
        wait = max(1, math.ceil(reset.reset_time - time.time()))
        raise QuotaExceeded(
            f"too many {_WHAT[action]} from your address (at most {allowance}); "
            f"try again in {wait} s",
            retry_at=datetime.fromtimestamp(reset.reset_time, UTC),
        )


def client_address(request: Request) -> str:
    """The caller's address as uvicorn reports it (see the module's note on proxies)."""
    return request.client.host if request.client is not None else "unknown"


def _limit(action: Action) -> Callable[[Request], None]:
    def dependency(request: Request) -> None:
        limits: RateLimits = request.app.state.rate_limits
        limits.hit(action, client_address(request))

    dependency.__name__ = f"limit_{action.value}"
    return dependency


limit_registration = _limit(Action.REGISTER)
limit_login = _limit(Action.LOGIN)
