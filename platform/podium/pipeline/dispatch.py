"""Hand submissions to the workers: enqueue, cancel, re-run.

The API calls these after its own checks. The rule from the Celery guide holds throughout:
commit first, then send the task by id, so a worker never sees a row that is not there yet.
A broker that is down does not fail the upload: the submission stays ``queued`` and the reaper
sends it again (``queued_stale_seconds``).
"""

from __future__ import annotations

import logging

from sqlmodel import Session

from podium.crud.submissions import record_status
from podium.db.models import IN_FLIGHT_STATUSES, TERMINAL_STATUSES, Phase, Submission
from podium.db.models import SubmissionStatus as Status
from podium.errors import Conflict, InvalidInput
from podium.settings import Settings, get_settings

log = logging.getLogger(__name__)


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


def enqueue(session: Session, submission: Submission, settings: Settings | None = None) -> None:
    """Mark a committed submission ``queued``, commit, then send its task (GPU phases: ``gpu``)."""
    settings = settings or get_settings()
    record_status(session, submission, Status.QUEUED, "waiting for a worker")
    session.commit()
    phase = session.get(Phase, submission.phase_id)
    assert submission.id is not None
    send_evaluation(settings, submission.id, gpu=bool(phase and phase.gpu))


# Once the container has started, the run has cost a worker and may have taught the team
# something about the hidden data: a cancel from then on is charged.
CHARGED_ONCE = frozenset({Status.RUNNING, Status.SCORING})


def cancel(session: Session, submission: Submission) -> bool:
    """Cancel a submission that has not ended; returns whether it is charged.

    Before its container started (queued, preparing: loading or building) it is free; from
    ``running`` on it counts against the quota. The worker's heartbeat notices within about a
    second and stops the build or kills the container at once.

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
    return charged


def rerun(session: Session, submission: Submission, settings: Settings | None = None) -> None:
    """Evaluate an ended submission again (a new attempt, reusing its pinned image).

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
    submission.reason = None
    submission.charged = True
    enqueue(session, submission, settings)
