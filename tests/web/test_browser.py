"""The pages in a real browser: headless Chromium against the app served by uvicorn."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, Dialog, Page, expect

from podium.store import Store
from tests.web.browser import log_in, serve
from tests.web.data import HOSTILE_TEAM, LOG_TEXT, SLUG, World

pytestmark = pytest.mark.browser


@pytest.fixture
def base_url(app: FastAPI, world: World) -> Iterator[str]:
    with serve(app) as url:
        yield url


@pytest.fixture
def dialogs() -> list[str]:
    return []


@pytest.fixture
def page(browser: Browser, base_url: str, dialogs: list[str]) -> Iterator[Page]:
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.on("dialog", lambda dialog: _record(dialog, dialogs))
    tab.set_default_timeout(15_000)
    yield tab
    context.close()


def _record(dialog: Dialog, seen: list[str]) -> None:
    seen.append(dialog.message)
    dialog.dismiss()


def test_student_reads_the_leaderboard_plot_and_logs(
    page: Page, world: World, tmp_path: Path
) -> None:
    log_in(page, "stud")
    page.get_by_role("link", name="Breast cancer diagnosis").click()
    expect(page.locator("h1")).to_have_text("Breast cancer diagnosis")
    rows = page.locator("table.board tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.first.locator(".team")).to_contain_text("Beta & co")
    bars = page.locator("table.board svg.bar rect.ci")
    expect(bars).to_have_count(3)
    assert all((bars.nth(i).bounding_box() or {}).get("width", 0) > 0 for i in range(3))
    lines = page.locator("#history-plot polyline")
    expect(lines).to_have_count(3)
    for i in range(3):
        points = lines.nth(i).get_attribute("points") or ""
        box = lines.nth(i).bounding_box()
        assert len(points.split()) >= 2 and box is not None and box["width"] > 0
    assert any((lines.nth(i).bounding_box() or {}).get("height", 0) > 0 for i in range(3))
    _screenshot(page, tmp_path / "challenge.png")
    page.get_by_role("link", name="My submissions").click()
    page.get_by_role("link", name=str(world.submissions["alpha2"].id), exact=True).click()
    expect(page.locator("#status")).to_have_text("finished")
    expect(page.locator("ol.timeline li")).to_have_count(6)
    assert page.locator('pre[data-log="smoke_stdout"]').inner_text() == LOG_TEXT
    expect(page.locator('pre[data-log="stdout"]')).to_have_count(0)  # hidden data: staff only


def _screenshot(page: Page, path: Path) -> None:
    page.screenshot(path=str(path), full_page=True)
    keep = os.environ.get("PODIUM_SCREENSHOT_DIR")
    if keep:  # for a person to look at: PODIUM_SCREENSHOT_DIR=/tmp/shots pytest -m browser
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(keep) / path.name)


def _first_final_team(page: Page) -> str:
    return page.locator("table.final tbody tr").first.locator(".team-name").inner_text()


def _score(page: Page, team: str, report: str, reproducibility: str) -> None:
    form = page.locator("form.rubric").filter(has_text=team)
    form.get_by_label("report (0").fill(report)
    form.get_by_label("reproducibility (0").fill(reproducibility)
    form.get_by_role("button", name=f"Save scores for {team}").click()
    expect(page.locator("#rubric")).to_be_visible()


def test_judge_scores_entries_and_the_final_ranking_changes(page: Page, world: World) -> None:
    log_in(page, "judy")
    page.goto(f"/challenges/{SLUG}/judging")
    ranks = page.locator("table.final tbody td.rank")
    expect(ranks).to_have_text(["—", "—", "—"])  # nobody judged: nobody has a final rank
    _score(page, "Alpha team", "10", "10")
    expect(ranks.first).to_have_text("1")
    assert _first_final_team(page) == "Alpha team"
    _score(page, "Beta & co", "10", "10")
    expect(page.locator("table.final tbody tr").first.locator(".team-name")).to_have_text(
        "Beta & co"
    )
    expect(ranks).to_have_text(["1", "2", "—"])
    expect(page.locator("#audit")).to_contain_text("rubric_score")


def test_a_script_in_a_team_name_shows_as_text(
    page: Page, world: World, dialogs: list[str], store: Store
) -> None:
    page.goto(f"/challenges/{SLUG}")
    hostile = page.locator("table.board .team-name").filter(has_text="alert(1)")
    expect(hostile).to_have_text(HOSTILE_TEAM)
    expect(page.locator("ul.legend")).to_contain_text(HOSTILE_TEAM)
    log_in(page, "orga")
    page.goto(f"/challenges/{SLUG}/organise")
    expect(page.locator("table").last).to_contain_text(HOSTILE_TEAM)
    page.goto(f"/submissions/{world.submissions['evil1'].id}")
    expect(page.locator("dd.team-name")).to_have_text(HOSTILE_TEAM)
    expect(page.locator('pre[data-log="stderr"]')).to_contain_text("<script>alert('log')</script>")
    assert page.evaluate("document.querySelectorAll('main script').length") == 0
    assert dialogs == []
