"""Integers that reach the database: ids out of its range answer 404, like an unknown id.

SQLite and PostgreSQL keep ids in signed 64-bit integers; a larger number handed to either is an
error (SQLite: ``OverflowError``, PostgreSQL: "bigint out of range"), which used to reach the
caller as a 500. Every route (and dependency) that takes an id from its path declares it with one
of these types, so the range is checked in one place, before any query runs::

    def get_team(team_id: TeamId, ...) -> Team: ...

The check raises :class:`NotFound` (404 through ``api/errors.py``), not a validation error: a
number that cannot be an id names no object, exactly like an id that was never used. The schema
still says what is accepted (``minimum``/``maximum``), so clients can see the range. Counts
that are not ids (``offset``) are bounded the same way and answer 422 past the range.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Query
from pydantic import AfterValidator, WithJsonSchema

from podium.errors import NotFound

MAX_ROW_ID = 2**63 - 1  # the largest signed 64-bit integer (SQLite INTEGER, PostgreSQL BIGINT)

_SCHEMA = WithJsonSchema({"type": "integer", "minimum": 1, "maximum": MAX_ROW_ID})


def in_id_range(what: str) -> Callable[[int], int]:
    """A validator that lets ``1..MAX_ROW_ID`` through and answers 404 for anything else."""

    def check(value: int) -> int:
        if not 1 <= value <= MAX_ROW_ID:
            # raised as is (not a ValueError), so FastAPI answers it as a domain error: 404
            raise NotFound(f"no {what} with id {value}")
        return value

    return check


SubmissionId = Annotated[int, AfterValidator(in_id_range("submission")), _SCHEMA]
TeamId = Annotated[int, AfterValidator(in_id_range("team")), _SCHEMA]
TokenId = Annotated[int, AfterValidator(in_id_range("token")), _SCHEMA]
Offset = Annotated[int, Query(ge=0, le=MAX_ROW_ID, description="how many rows to skip")]
