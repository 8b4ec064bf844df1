"""Deliverables in headless Chromium: a team hands in its report from its page and sees the
"missing" warning go; a judge opens the judging page, finds the report beside the rubric,
downloads it and scores the team."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, expect
from sqlmodel import Session, select

from podium.crud.challenges import phases_of
from podium.crud.roles import grant_role
from podium.db.models import ChallengeRoleKind
from podium.db.models.judging import RubricScoreRow
from podium.store import Store
from tests.platform.deliverable_helpers import deliverables_challenge, pdf_bytes, team_of_two
from tests.platform.factories import auth_headers, make_user
from tests.platform.leaderboard_helpers import JUDGING, World, scored
from tests.web.browser import log_in, serve, tab

pytestmark = pytest.mark.browser


def test_a_team_hands_in_its_report_and_a_judge_scores_beside_it(
    browser: Browser, app: FastAPI, session: Session, store: Store, tmp_path: Path
) -> None:
    organiser, judge = make_user(session, username="org"), make_user(session, username="jude")
    ana, ben = make_user(session, username="ana"), make_user(session, username="ben")
    challenge = deliverables_challenge(session, store, tmp_path, slug="reports", owner=organiser)
    challenge.spec = {**challenge.spec, "judging": JUDGING}
    session.add(challenge)
    session.commit()
    grant_role(session, challenge=challenge, user=judge, role=ChallengeRoleKind.JUDGE)
    team = team_of_two(session, challenge, ana, ben)
    phase = phases_of(session, challenge=challenge)[0]
    world = World(
        challenge, phase, organiser, judge, ana, judge, {"judge": auth_headers(session, judge)}
    )
    scored(session, world, team, 0.3)  # on the private board, so the rubric lists the team
    report = tmp_path / "Our report (final).pdf"
    report.write_bytes(pdf_bytes("the report"))

    with serve(app) as base_url:
        context, page = tab(browser, base_url, downloads=True)
        log_in(page, "ana")
        page.goto(f"/teams/{team.id}")
        missing = page.locator("#deliverables .deliverables-missing")
        expect(missing).to_contain_text("Missing before the deadline")
        expect(missing).to_contain_text("Technical report")
        expect(missing).to_contain_text("Source code")
        # a renamed program is refused with the reason, on the page
        page.get_by_label("Deliverable").select_option("development/report")
        page.get_by_label("File", exact=True).set_input_files(
            files=[{"name": "report.pdf", "mimeType": "application/pdf",
                    "buffer": b"MZ\x90\x00" + b"\x00" * 100}]
        )  # fmt: skip
        page.get_by_role("button", name="Upload").click()
        expect(page.locator("#upload-error")).to_contain_text("a Windows program")
        # the real report
        page.get_by_label("File", exact=True).set_input_files(str(report))
        page.get_by_role("button", name="Upload").click()
        expect(page.locator("#deliverable-saved")).to_contain_text("Technical report")
        row = page.locator("#deliverables tr[data-key=report]")
        expect(row.locator(".handed-in")).to_contain_text("Our_report__final_.pdf")
        expect(row.locator(".handed-in")).to_contain_text("by ana")
        expect(missing).not_to_contain_text("Technical report")
        page.get_by_label("Source code (https address)").fill("https://github.com/owls/model")
        page.get_by_role("button", name="Save Source code").click()
        expect(page.locator("#deliverables .deliverables-missing")).to_have_count(0)
        context.close()

        context, page = tab(browser, base_url, downloads=True)
        log_in(page, "jude")
        page.goto("/challenges/reports/judging")
        form = page.locator(f"form#team-{team.id}")
        beside = form.locator(".deliverables.judged")
        expect(beside.locator("li[data-key=report]")).to_contain_text("Our_report__final_.pdf")
        expect(beside.locator("li[data-key=code] a")).to_have_attribute(
            "href", "https://github.com/owls/model"
        )
        with page.expect_download() as caught:
            beside.locator("li[data-key=report] a").click()
        download = caught.value
        assert download.suggested_filename == "Our_report__final_.pdf"
        assert Path(download.path()).read_bytes() == pdf_bytes("the report")
        form.get_by_label("report (0").fill("8")
        form.get_by_label("demo (0").fill("6")
        form.get_by_role("button", name="Save scores for Owls").click()
        expect(page.locator(f"form#team-{team.id}").get_by_label("report (0")).to_have_value("8.0")
        context.close()

    scores = session.exec(select(RubricScoreRow).where(RubricScoreRow.team_id == team.id)).all()
    assert sorted((s.criterion, s.points) for s in scores) == [("demo", 6.0), ("report", 8.0)]
