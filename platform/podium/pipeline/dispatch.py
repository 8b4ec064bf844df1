"""Hand submissions to the workers: enqueue, cancel, re-run, and send a team's next.

The API calls these after its own checks. The rule from the Celery guide holds throughout:
commit first, then send the task by id, so a worker never sees a row that is not there yet.
A team has at most ``team_in_flight`` submissions sent at once (:mod:`.fairness`); the others
wait ``queued`` and go, oldest first, when one of the team's ends (:func:`after_end`, called
by the worker and by :func:`cancel`). A broker that is down does not fail the upload: the
submission stays ``queued`` and the reaper sends it again (``queued_stale_seconds``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from sqlmodel import Session

from podium.crud.submissions import record_status
from podium.db.models import IN_FLIGHT_STATUSES, TERMINAL_STATUSES, Submission
from podium.db.models import SubmissionStatus as Status
from podium.errors import Conflict, InvalidInput
from podium.pipeline.fairness import Claim, admit_any, lock_team_of, send_next, send_practice
from podium.settings import Settings, get_settings

log = logging.getLogger(__name__)
SessionFactory = Callable[[], Session]


def send_evaluation(settings: Settings, submission_id: int, *, gpu: bool) -> bool:
    """Send the evaluation task for a committed submission; False if the broker refused."""
    from podium.broker import TASK_EVALUATE, celery_for, queue_for

    try:
        app = celery_for(settings.broker_url, settings.result_backend)
        app.send_task(TASK_EVALUATE, args=[submission_id], queue=queue_for(gpu))
    except Exception as error:  # any broker error: the reaper sends it again later
        log.warning(
            "could not enqueue submission %s (%s); the reaper will retry", submission_id, error
        )
        return False
    return True


def send_claims(settings: Settings, claims: Sequence[Claim]) -> list[int]:
    """Send the tasks of committed claims, in order; the ids the broker took."""
    sent: list[int] = []
    for claim in claims:
        if send_evaluation(settings, claim.submission_id, gpu=claim.gpu):
            sent.append(claim.submission_id)
    return sent


def enqueue(session: Session, submission: Submission, settings: Settings | None = None) -> None:
    """Mark a committed submission ``queued`` and commit; send its task (GPU phases: ``gpu``)
    if its team has fewer than ``team_in_flight`` sent, else it waits for the team's turn.

    A practice run is sent only while no submission waits for a worker (and fewer than
    ``practice_in_flight`` are sent); else it waits, queued, behind every submission."""
    settings = settings or get_settings()
    caps = (settings.team_in_flight, settings.practice_in_flight)
    send_claims(settings, admit_any(session, submission, *caps))


def after_end(session_factory: SessionFactory, settings: Settings, team_id: int) -> list[int]:
    """An evaluation of the team ended: send its oldest waiting submissions, up to the cap,
    then practice runs if no submission waits any more."""
    with session_factory() as session:
        sent = _send_next(session, settings, team_id)
        return sent + _send_practice(session, settings)


def _send_practice(session: Session, settings: Settings) -> list[int]:
    # never raises, as _send_next: the reaper sends what this could not
    try:
        claims = send_practice(session, settings.practice_in_flight)
    except Exception as error:  # the database is locked or down
        session.rollback()
        log.warning("could not send waiting practice runs (%s)", error)
        return []
    return send_claims(settings, claims)


def _send_next(session: Session, settings: Settings, team_id: int) -> list[int]:
    # never raises: what it could not claim or send, the reaper sends (queued_stale_seconds)
    try:
        claims = send_next(session, team_id, settings.team_in_flight)
    except Exception as error:  # the database is locked or down
        session.rollback()
        log.warning("could not send team %s's next submission (%s)", team_id, error)
        return []
    return send_claims(settings, claims)


# Once the container has started, the run has cost a worker and may have taught the team
# something about the hidden data: a cancel from then on is charged.
CHARGED_ONCE = frozenset({Status.RUNNING, Status.SCORING})


def cancel(session: Session, submission: Submission, settings: Settings | None = None) -> bool:
    """Cancel a submission that has not ended; returns whether it is charged.

    Before its container started (queued, preparing: loading or building) it is free; from
    ``running`` on it counts against the quota. The worker's heartbeat notices within about a
    second and stops the build or kills the container at once. The team's next waiting
    submission is sent (a cancelled one is never sent).

    Raises:
        Conflict: the submission has already ended.
    """
    if submission.status in TERMINAL_STATUSES:
        raise Conflict(
            f"submission {submission.id} has already ended ({submission.status.value}); "
            "only a queued or running submission can be cancelled"
        )
    charged = submission.status in CHARGED_ONCE and not submission.baseline
    submission.charged = charged
    reason = (
        "cancelled after its container started; it counts against your quota"
        if charged
        else "cancelled before its container started; it does not count against your quota"
    )
    record_status(session, submission, Status.CANCELLED, "cancelled", reason=reason)
    session.commit()
    settings = settings or get_settings()
    _send_next(session, settings, submission.team_id)
    _send_practice(session, settings)
    return charged


def rerun(session: Session, submission: Submission, settings: Settings | None = None) -> None:
    """Evaluate an ended submission again (a new attempt, reusing its pinned image); it waits
    for its team's turn like a new one.

    Raises:
        Conflict: the submission is still in flight.
        InvalidInput: nothing is left to run (no stored file and no image).
    """
    if submission.status in IN_FLIGHT_STATUSES:
        raise Conflict(
            f"submission {submission.id} is still {submission.status.value}; "
            "wait for it to end (or cancel it) before re-running it"
        )
    if not submission.file_path and not submission.image_digest:
        raise InvalidInput(f"submission {submission.id} has no stored file or image to run")
    lock_team_of(session, submission.team_id)  # before any write: the team's row comes first
    submission.reason = None
    submission.charged = True
    enqueue(session, submission, settings)
