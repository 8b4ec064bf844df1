"""The audit log: who did what to a challenge, when, to which target.

Every staff action (rubric points, disqualification, reproduction, publishing, revealing,
cancelling or re-running a team's submission, granting or revoking a role, editing the
challenge) adds one :class:`AuditLog` row to the session of the change itself, so the row is
committed with the change and discarded with it when the change is refused. Who may read which
rows is :func:`podium.crud.judging.audit_entries`.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from podium.db.models import User
from podium.db.models.judging import AuditLog


def audit(
    session: Session,
    *,
    challenge_id: int | None,
    actor: User | None,
    action: str,
    target: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditLog:
    """Add an audit row to the session (the caller commits it with the change).

    ``actor`` None: the platform itself (a command-line tool, a challenge's creation).
    """
    assert challenge_id is not None
    row = AuditLog(
        challenge_id=challenge_id,
        actor_id=None if actor is None else actor.id,
        action=action,
        target=target,
        detail=detail or {},
    )
    session.add(row)
    return row
