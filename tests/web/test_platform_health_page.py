"""The organisers' page shows the platform's health: queues, workers, disks, what each runs."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from podium.crud.workers import BeatFacts, record_beat
from podium.db.models import Evaluation, SubmissionStatus
from podium.db.types import utcnow
from tests.web.conftest import log_in
from tests.web.data import SLUG, World

CHALLENGE = f"/challenges/{SLUG}"


def test_organisers_see_queues_workers_disks_and_their_running_submissions(
    client: TestClient, world: World, session: Session
) -> None:
    facts = BeatFacts(
        name="podium-7@host-a", hostname="host-a", queues="default", concurrency=1,
        staging_free_mb=1234, staging_total_mb=5678, image_store_mb=4321,
        engine="20.10.24 (runc)",
    )  # fmt: skip
    record_beat(session, facts)
    running = next(iter(world.submissions.values()))
    running.status = SubmissionStatus.RUNNING
    session.add(running)
    assert running.id is not None
    session.add(Evaluation(submission_id=running.id, attempt=9, worker="host-a:99",
                           started_at=utcnow(), heartbeat_at=utcnow()))  # fmt: skip
    session.commit()
    log_in(client, "orga")
    page = client.get(f"{CHALLENGE}/organise")
    assert page.status_code == 200
    section = page.text.split('<section id="platform">')[1].split("</section>")[0]
    assert "waiting in default" in section and "waiting in gpu" in section
    assert '<span class="n">1</span> workers alive' in section
    assert "podium-7@host-a" in section and "1234 MB of 5678 MB" in section
    assert "4321 MB" in section
    assert f'href="/submissions/{running.id}"' in section and SLUG in section
    assert 'id="no-worker"' not in section


def test_organisers_are_told_when_no_worker_is_alive(client: TestClient, world: World) -> None:
    log_in(client, "orga")
    section = client.get(f"{CHALLENGE}/organise").text.split('<section id="platform">')[1]
    assert 'id="no-worker"' in section.split("</section>")[0]
    assert "No worker is alive: submissions wait in the queue" in section


def test_a_judge_cannot_see_the_platform_section(client: TestClient, world: World) -> None:
    log_in(client, "judy")
    assert client.get(f"{CHALLENGE}/organise").status_code == 403
