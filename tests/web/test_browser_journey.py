"""A student with only a browser, in headless Chromium: register, form a team (invite and
accept), then submit a model file from the challenge page and watch it finish, evaluated by a
real worker process (real broker, real Docker sandbox, real MLflow store)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, expect
from sqlmodel import Session, select

from podium.app import create_app
from podium.db.models import Submission, SubmissionStatus
from tests.pipeline.harness import Platform, Worker, make_platform
from tests.platform.factories import make_user
from tests.web.browser import log_in, serve, student_model, tab
from tests.web.data import SLUG, World

pytestmark = pytest.mark.browser
EVALUATION_MS = 240_000  # wraps the model in the runtime image, smoke run, run, score


def test_a_student_registers_and_forms_a_team(
    browser: Browser, app: FastAPI, world: World, session: Session
) -> None:
    make_user(session, username="ben")
    with serve(app) as base_url:
        context, page = tab(browser, base_url)
        page.goto(f"/challenges/{SLUG}")
        page.locator("#take-part").get_by_role("link", name="register").click()
        page.get_by_label("Username").fill("ana")
        page.get_by_label("E-mail").fill("ana@example.org")
        page.get_by_label("Password", exact=True).fill("ana-password-1")
        page.get_by_label("Password again").fill("ana-password-1")
        page.get_by_role("button", name="Register").click()
        expect(page.locator("header.site")).to_contain_text("Signed in as ana")
        expect(page.locator("h1")).to_have_text("Breast cancer diagnosis")  # back where she was
        page.get_by_role("link", name="create a team").click()
        page.get_by_label("Team name").fill("Nairobi ML")
        page.get_by_label("Country").select_option("KE")
        page.get_by_label("Category").select_option("student")
        page.get_by_role("button", name="Create team").click()
        expect(page.locator("h1")).to_have_text("Team Nairobi ML")
        page.get_by_label("Username").fill("ben")
        page.get_by_role("button", name="Invite").click()
        expect(page.locator("#pending-invites")).to_contain_text("ben")

        other, invitee = tab(browser, base_url)
        log_in(invitee, "ben")
        invitee.get_by_role("link", name="My teams").click()
        invitee.locator("li.invite").get_by_role("button", name="Accept").click()
        expect(invitee.locator("#members .member")).to_have_text(["ana", "ben"])
        page.reload()
        expect(page.locator("#members .member")).to_have_text(["ana", "ben"])
        expect(page.locator("#pending-invites")).to_have_count(0)
        other.close()
        context.close()


@pytest.fixture(scope="module")
def platform(
    tmp_path_factory: pytest.TempPathFactory,
    docker_client: docker.DockerClient,
    built_example: Path,
) -> Platform:
    made = make_platform(tmp_path_factory.mktemp("journey-home"))
    made.register(built_example)
    return made


@pytest.fixture(scope="module")
def worker(platform: Platform, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Worker]:
    started = Worker(platform, tmp_path_factory.mktemp("journey-logs") / "worker.log").wait_ready()
    yield started
    started.stop()


def test_a_model_file_submitted_from_the_page_is_followed_to_its_scores(
    browser: Browser, platform: Platform, worker: Worker, built_example: Path, tmp_path: Path
) -> None:
    with platform.session() as session:
        make_user(session, username="cy")
    model = student_model(built_example, tmp_path)
    with serve(create_app(platform.settings)) as base_url:
        context, page = tab(browser, base_url)
        log_in(page, "cy")
        page.goto(f"/challenges/{SLUG}#submit")
        expect(page.locator("#quota")).to_contain_text("5 of 5 submissions left")
        form = page.locator("#submit-form")
        expect(form.get_by_label("a model file")).to_be_checked()
        form.locator("input[type=file]").set_input_files(str(model))
        with page.expect_request(lambda r: r.method == "POST") as sent:
            form.get_by_role("button", name="Submit").click()
        assert sent.value.headers.get("x-csrf-token")  # the script's upload, with its progress
        assert "csrf_token" not in sent.value.url  # the token stays out of the URL on this path
        expect(page).to_have_url(re.compile(r"/submissions/\d+$"))
        expect(page.locator("#status")).to_have_text("finished", timeout=EVALUATION_MS)
        expect(page.locator("table.scores")).to_contain_text("roc_auc")
        expect(page.locator('pre[data-log="smoke_stdout"], #logs p.muted').first).to_be_visible()
        context.close()
    with platform.session() as session:
        [sub] = session.exec(select(Submission)).all()
        assert sub.status == SubmissionStatus.FINISHED and sub.filename == "model.joblib"
