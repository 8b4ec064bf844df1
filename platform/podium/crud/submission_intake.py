"""Accepting an upload: which phase, which kind, a sane file, the team's quota, then the row.

The one way a submission is made: the API's upload, the demo, the examples, the pipeline tests
and the benchmarks all go through these two steps (the latter through
:func:`podium.pipeline.intake.submit_file`), so every submission meets the same checks and
gets the same events.

Two steps around the streamed copy, so nothing is written for a request that will be refused:
:func:`plan_submission` checks what the form says (phase open, kind allowed, file name fits
the kind, quota when the caller already has a team); :func:`accept_submission` checks the
bytes, makes the personal team on a first submission, checks the quota again under a lock on
the team, and commits the row with the file moved into ``store.submission_dir(id)``. The
caller enqueues only after that commit.

Staff of a challenge do not compete in it. An organiser (or an admin) submits a *baseline*
instead: it goes to the challenge's baseline team (no members, see
:func:`~podium.crud.teams.baseline_team`), to any phase at any time, is never charged to a
quota and never ranked; leaderboards show it as a reference.
"""

from __future__ import annotations

import gzip
import shutil
import zlib
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session

from challenges.schema import DEFAULT_SUBMISSION_KINDS
from podium.crud.advancement import check_round_entry
from podium.crud.phases import submission_phase
from podium.crud.practice import check_practice, check_practice_quota
from podium.crud.quotas import check_quota, lock_team
from podium.crud.roles import check_may_compete, is_organiser
from podium.crud.submissions import record_status
from podium.crud.teams import baseline_team, get_or_create_personal_team, team_of
from podium.db.models import (
    Challenge,
    Phase,
    Submission,
    SubmissionKind,
    SubmissionStatus,
    Team,
    User,
)
from podium.errors import InvalidInput, PermissionDenied
from podium.store import Store, StoredFile, move_into, safe_filename

TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz")
SUFFIXES: dict[SubmissionKind, tuple[str, ...]] = {
    SubmissionKind.IMAGE: TAR_SUFFIXES,
    SubmissionKind.BUILD: (*TAR_SUFFIXES, ".zip"),
    SubmissionKind.MODEL: (),  # any single file
    SubmissionKind.PREDICTIONS: (),  # the file the task names, or a zip of the result files
}
HINTS = {
    SubmissionKind.IMAGE: "upload the output of `docker save IMAGE -o image.tar` (or gzip it)",
    SubmissionKind.BUILD: "upload a .tar, .tar.gz or .zip of a folder holding your Dockerfile",
    SubmissionKind.MODEL: "upload the model file itself",
    SubmissionKind.PREDICTIONS: "upload the predictions file the challenge describes",
}
HEAD_BYTES = 512


@dataclass(frozen=True)
class Intake:
    """What the form asks for, checked: the phase, the kind, a safe file name, the team."""

    challenge: Challenge
    phase: Phase
    kind: SubmissionKind
    filename: str
    team_id: int | None
    baseline: bool = False
    practice: bool = False  # a practice run (podium.crud.practice): its own quota


def check_kind(*, phase: Phase, kind: SubmissionKind) -> None:
    """Refuse a kind the phase does not accept (422)."""
    allowed = phase.submission_kinds or list(DEFAULT_SUBMISSION_KINDS)
    if kind.value not in allowed:
        raise InvalidInput(
            f"phase {phase.name!r} does not accept submissions of kind {kind.value!r}; "
            f"it accepts: {', '.join(allowed)}"
        )


def check_filename(*, kind: SubmissionKind, filename: str | None) -> str:
    """The upload's name made safe; refuses a name whose extension does not fit ``kind``."""
    name = safe_filename(filename, default="model" if kind is SubmissionKind.MODEL else "upload")
    suffixes = SUFFIXES[kind]
    if suffixes and not name.lower().endswith(suffixes):
        raise InvalidInput(
            f"{name!r} does not look like a {kind.value} submission: expected a file ending in "
            f"{', '.join(suffixes)}; {HINTS[kind]}"
        )
    return name


def plan_submission(
    session: Session,
    *,
    challenge: Challenge,
    user: User,
    kind: SubmissionKind,
    phase_name: str | None,
    filename: str | None,
    baseline: bool = False,
    practice: bool = False,
) -> Intake:
    """Check the form before any byte is copied (the quota only if the user has a team).

    A practice run meets the same checks, but needs a team already and a challenge with a
    public sample to run on, and counts against the phase's practice quota instead.

    Raises:
        PermissionDenied: the user is staff of the challenge (staff do not compete), asks
            for a baseline without being its organiser (or an admin), or their team did not
            advance into the round of the phase.
        InvalidInput, Conflict: see :func:`~podium.crud.phases.submission_phase`,
            :func:`check_kind`, :func:`check_filename`.
        QuotaExceeded: the team has reached one of the phase's limits.
    """
    if baseline:
        check_may_submit_baseline(session, user=user, challenge=challenge)
    else:
        check_may_compete(session, user=user, challenge=challenge)
    phase = submission_phase(session, challenge=challenge, name=phase_name, baseline=baseline)
    check_kind(phase=phase, kind=kind)
    name = check_filename(kind=kind, filename=filename)
    team = None if baseline else team_of(session, user=user, challenge=challenge)
    if not baseline:  # a round entered by advancement takes only the teams that advanced
        check_round_entry(session, challenge=challenge, phase=phase, team=team)
    if practice:
        check_practice(session, challenge=challenge, phase=phase, team=team, kind=kind)
    elif team is not None:
        check_quota(session, team=team, phase=phase)
    return Intake(challenge, phase, kind, name, team.id if team else None, baseline, practice)


def check_may_submit_baseline(session: Session, *, user: User, challenge: Challenge) -> None:
    """Refuse a baseline to anyone but the challenge's organisers and admins (403)."""
    if not is_organiser(session, user=user, challenge=challenge):
        raise PermissionDenied(
            f"only organisers of {challenge.slug} (or an admin) submit baselines; "
            "submit without baseline to compete"
        )


def _head(path: Path, *, gunzip: bool) -> bytes:
    try:
        if gunzip:
            with gzip.open(path, "rb") as handle:  # a bounded read: no bomb can get far
                return handle.read(HEAD_BYTES)
        with path.open("rb") as handle:
            return handle.read(HEAD_BYTES)
    except (OSError, EOFError, zlib.error):
        return b""


def _looks_right(path: Path, name: str) -> bool:
    lower = name.lower()
    if lower.endswith(".zip"):
        return _head(path, gunzip=False).startswith(b"PK\x03\x04")
    if lower.endswith((".tar.gz", ".tgz")):
        if not _head(path, gunzip=False).startswith(b"\x1f\x8b"):
            return False
        return _head(path, gunzip=True)[257:262] == b"ustar"
    if lower.endswith(".tar"):
        return _head(path, gunzip=False)[257:262] == b"ustar"
    return True


def check_content(*, kind: SubmissionKind, filename: str, upload: StoredFile) -> None:
    """Refuse an empty file, or one whose first bytes do not match its extension (422)."""
    if upload.size_bytes == 0:
        raise InvalidInput(f"{filename!r} is empty; {HINTS[kind]}")
    if not _looks_right(upload.path, filename):
        raise InvalidInput(
            f"{filename!r} is not the archive its name says (its first bytes do not match); "
            f"{HINTS[kind]}"
        )


def _row(intake: Intake, *, team_id: int, user: User, upload: StoredFile, text: str) -> Submission:
    assert intake.phase.id is not None and intake.challenge.id is not None
    return Submission(
        challenge_id=intake.challenge.id, phase_id=intake.phase.id, team_id=team_id,
        user_id=user.id, kind=intake.kind, filename=intake.filename,
        file_sha256=upload.sha256, size_bytes=upload.size_bytes, description=text,
        baseline=intake.baseline, practice=intake.practice,
    )  # fmt: skip


def _team(session: Session, intake: Intake, user: User) -> Team:
    if intake.baseline:
        return baseline_team(session, challenge=intake.challenge, organiser=user)
    return get_or_create_personal_team(session, user, intake.challenge)


def accept_submission(
    session: Session,
    *,
    intake: Intake,
    user: User,
    upload: StoredFile,
    description: str,
    store: Store,
) -> Submission:
    """Check the uploaded bytes and the quota, then commit the submission (``submitted``).

    The file is moved into the submission's folder; on any failure the row is rolled back and
    nothing is left in the store (the caller removes the upload itself).

    Raises:
        InvalidInput: the file is empty or not what its name says.
        QuotaExceeded: the team has reached one of the phase's limits.
    """
    check_content(kind=intake.kind, filename=intake.filename, upload=upload)
    team = _team(session, intake, user)
    assert team.id is not None
    folder: Path | None = None
    try:
        lock_team(session, team=team)
        if intake.practice:  # practice runs have a quota of their own
            check_practice_quota(session, challenge=intake.challenge, team=team, phase=intake.phase)
        elif not intake.baseline:  # baselines never count against a quota
            check_quota(session, team=team, phase=intake.phase)
        submission = _row(intake, team_id=team.id, user=user, upload=upload, text=description)
        record_status(session, submission, SubmissionStatus.SUBMITTED, "uploaded")
        assert submission.id is not None
        folder = store.submission_dir(submission.id)
        shutil.rmtree(folder, ignore_errors=True)  # a leftover of a rolled-back id
        submission.file_path = str(move_into(upload.path, folder / intake.filename))
        session.add(submission)
        session.commit()
    except BaseException:
        session.rollback()
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
        raise
    return submission
