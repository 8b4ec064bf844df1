"""A practice run in headless Chromium: a team member starts one from the challenge page with a
model file and watches it finish with a score on the public sample, evaluated by a real worker
process (real broker, real Docker sandbox); it never shows on the leaderboard."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest
from playwright.sync_api import Browser, expect
from sqlmodel import select

from podium.app import create_app
from podium.crud.teams import create_team
from podium.db.models import Score, Submission, SubmissionStatus
from tests.pipeline.harness import Platform, Worker, make_platform
from tests.platform.factories import PASSWORD, make_user
from tests.web.browser import serve, student_model, tab
from tests.web.data import SLUG

pytestmark = pytest.mark.browser
EVALUATION_MS = 240_000  # wraps the model in the runtime image, runs it, scores it


@pytest.fixture(scope="module")
def platform(
    tmp_path_factory: pytest.TempPathFactory,
    docker_client: docker.DockerClient,
    built_example: Path,
) -> Platform:
    made = make_platform(tmp_path_factory.mktemp("practice-home"))
    made.register(built_example)
    return made


@pytest.fixture(scope="module")
def worker(platform: Platform, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Worker]:
    log = tmp_path_factory.mktemp("practice-logs") / "worker.log"
    started = Worker(platform, log).wait_ready()
    yield started
    started.stop()


def test_a_practice_run_started_from_the_page_finishes_with_a_score(
    browser: Browser, platform: Platform, worker: Worker, built_example: Path, tmp_path: Path
) -> None:
    with platform.session() as session:
        user = make_user(session, username="pia")
        create_team(session, challenge=platform.challenges[SLUG], user=user, name="Pia's team")
    model = student_model(built_example, tmp_path)
    with serve(create_app(platform.settings)) as base_url:
        context, page = tab(browser, base_url)
        page.goto("/login")
        page.get_by_label("Username or e-mail").fill("pia")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.goto(f"/challenges/{SLUG}#practice")
        expect(page.locator("#practice-quota")).to_contain_text("20 of 20 practice runs left")
        form = page.locator("#practice-form")
        expect(form.get_by_label("a model file")).to_be_checked()
        form.locator("input[type=file]").set_input_files(str(model))
        form.get_by_role("button", name="Start a practice run").click()
        expect(page).to_have_url(re.compile(r"/submissions/\d+$"))
        expect(page.locator("h1")).to_contain_text("Practice run")
        expect(page.locator("#status")).to_have_text("finished", timeout=EVALUATION_MS)
        expect(page.locator("table.scores")).to_contain_text("roc_auc")
        expect(page.locator('pre[data-log="smoke_stdout"], #logs').first).to_be_visible()
        page.goto(f"/challenges/{SLUG}")
        expect(page.locator("#practice-runs")).to_contain_text("finished")
        expect(page.locator("#practice-quota")).to_contain_text("19 of 20")
        expect(page.locator("#leaderboard")).not_to_contain_text("Pia's team")
        context.close()
    with platform.session() as session:
        [run] = session.exec(select(Submission)).all()
        assert run.practice and run.status == SubmissionStatus.FINISHED
        scores = session.exec(select(Score).where(Score.submission_id == run.id)).all()
        assert any(s.metric == "roc_auc" and str(s.split) == "all" for s in scores)
