"""The browser tests' setup rules and the split between page and API errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.web import browser


def test_a_missing_chromium_fails_under_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(browser, "CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="no-chromium is missing"):
        browser.require_chromium()
    monkeypatch.setenv("CI", "")
    with pytest.raises(pytest.skip.Exception):
        browser.require_chromium()


def test_api_errors_stay_json_and_page_errors_are_html(client: TestClient) -> None:
    api = client.get("/api/v1/challenges/nope")
    assert api.status_code == 404 and api.headers["content-type"] == "application/json"
    page = client.get("/challenges/nope")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert client.get("/static/podium.css").status_code == 200
    assert client.get("/static/../settings.py").status_code == 404
