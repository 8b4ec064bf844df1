"""Fixtures of the page tests: the platform's per-test database and store, the example
challenge built once per run, a crafted world, and a logged-in page client."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser
from sqlmodel import Session

from challenges.examples import build_example
from podium.store import Store
from tests.web.browser import chromium
from tests.web.data import PASSWORD, SLUG, World, build_world

CSRF_PATTERN = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


@pytest.fixture(scope="session")
def built_example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The breast-cancer example with its data built, once per run, in a temp copy."""
    return build_example(SLUG, tmp_path_factory.mktemp("examples"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Chromium, one per test module (see ``tests/web/browser.py``)."""
    with chromium() as running:
        yield running


@pytest.fixture
def world(session: Session, store: Store, built_example: Path, tmp_path: Path) -> World:
    return build_world(session, store, built_example, tmp_path)


def csrf_of(html: str) -> str:
    """The CSRF token of the first form in a page."""
    found = CSRF_PATTERN.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def log_in(page_client: TestClient, username: str, password: str = PASSWORD) -> None:
    """Log in through the form, as a browser does."""
    page = page_client.get("/login")
    assert page.status_code == 200
    form = {"login": username, "password": password, "csrf_token": csrf_of(page.text)}
    answer = page_client.post("/login", data=form, follow_redirects=False)
    assert answer.status_code == 303, answer.text
