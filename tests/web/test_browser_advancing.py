"""Advancing teams in headless Chromium: an organiser previews the final round, shortlists a
team, advances them; a team that advanced sees it on its team page and on the edition's."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, expect
from sqlmodel import Session

from podium.store import Store
from tests.platform.edition_helpers import EDITION, FINAL, EditionWorld, make_edition_world
from tests.web.browser import log_in, serve, tab

pytestmark = pytest.mark.browser


def test_an_organiser_advances_teams_and_a_team_sees_it(
    browser: Browser, app: FastAPI, session: Session, store: Store, tmp_path: Path
) -> None:
    ew: EditionWorld = make_edition_world(session, store, tmp_path)
    with serve(app) as base_url:
        context, page = tab(browser, base_url)
        log_in(page, ew.world.organiser.username)
        page.get_by_role("link", name="Editions").click()
        page.get_by_role("link", name="Test edition").click()
        final = page.locator(f'article.round[data-round="{FINAL}"]')
        expect(final).to_contain_text("not decided yet")
        final.locator(f'li[data-challenge="{ew.slug}"]').get_by_role(
            "link", name="preview and advance"
        ).click()
        expect(page.locator("h1")).to_contain_text(f"Advance into {FINAL}")
        rows = page.locator("#preview tbody tr")
        expect(rows).to_have_count(2)  # the top 2
        page.get_by_label("Team").select_option(label="team-5")
        page.get_by_role("button", name="Shortlist").click()
        expect(page.locator("#shortlist")).to_contain_text("team-5")
        expect(rows).to_have_count(3)
        expect(page.locator('#preview tr[data-team="team-5"]')).to_contain_text("shortlist")
        page.get_by_role("button", name="Advance these teams").click()
        expect(page.locator("#all-advanced")).to_be_visible()
        expect(page.locator('#preview tr[data-team="team-1"] .done')).to_have_text("yes")
        context.close()

        context, page = tab(browser, base_url)
        log_in(page, ew.members[0].username)
        page.goto(f"/teams/{ew.teams[0].id}")
        expect(page.locator(f'#rounds li[data-round="{FINAL}"]')).to_contain_text("advanced")
        page.get_by_role("link", name=EDITION).click()
        expect(page.locator("#my-standing")).to_contain_text(f"{FINAL}: advanced")
        expect(page.locator(f'article.round[data-round="{FINAL}"]')).to_contain_text("team-5")
        context.close()

        context, page = tab(browser, base_url)
        log_in(page, ew.members[3].username)
        page.goto(f"/teams/{ew.teams[3].id}")
        expect(page.locator(f'#rounds li[data-round="{FINAL}"]')).to_contain_text("did not advance")
        context.close()
