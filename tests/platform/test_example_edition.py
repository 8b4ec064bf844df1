"""The example edition `podium up --examples` loads, and `podium edition load FILE`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from typer.testing import CliRunner

from challenges.examples import SLUGS
from podium.cli.main import app as cli
from podium.db.models.editions import Edition, EditionChallenge, Round
from podium.pipeline.example_edition import EDITION_FILE, load_example_edition
from podium.services.registration import register_challenge
from podium.settings import get_settings
from podium.store import Store

TITLE = "Podium AI for Good example edition"


def test_the_example_edition_groups_the_examples_under_two_hosts(
    client: TestClient, session: Session, store: Store, built_examples: dict[str, Path]
) -> None:
    assert load_example_edition(session) is None  # no example challenge yet: skipped, logged
    for slug in SLUGS:
        register_challenge(session, bundle_path=built_examples[slug], owner=None, store=store)
    first = load_example_edition(session)
    again = load_example_edition(session)  # idempotent
    assert first is not None and again is not None and first.id == again.id
    assert len(session.exec(select(Edition)).all()) == 1
    assert len(session.exec(select(EditionChallenge)).all()) == 3
    detail = client.get("/api/v1/editions/ai-for-good-example").json()
    assert detail["title"] == TITLE
    assert [h["name"] for h in detail["hosts"]] == ["ITU", "Open Health & Vision Lab"]
    hosts = {p["challenge"]: p["host"] for p in detail["problem_statements"]}
    assert hosts["radio-path-loss"] == "ITU" and len(hosts) == 3
    assert {p["state"] for p in detail["problem_statements"]} == {"open"}
    open_round, final = detail["rounds"]
    assert (open_round["entry"], final["entry"]) == ("open", "advancement")
    assert (final["advance_top_n"], final["advance_shortlist"]) == (3, True)
    assert {c["phase"] for c in final["challenges"]} == {"final"}
    assert final["start"].startswith("2030-06-30") and final["end"].startswith("2030-07-31")
    assert len(session.exec(select(Round)).all()) == 2


@pytest.fixture
def podium_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    monkeypatch.setenv("PODIUM_HOME", str(tmp_path))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_cli_load_reports_every_problem_in_one_line(podium_home: Path) -> None:
    runner = CliRunner()
    done = runner.invoke(cli, ["edition", "load", str(EDITION_FILE)])
    assert done.exit_code == 1
    assert "edition 'ai-for-good-example' cannot be loaded" in done.output
    assert "no challenge 'radio-path-loss'" in done.output
    broken = podium_home / "broken.yaml"
    broken.write_text("slug: [unclosed\n")
    done = runner.invoke(cli, ["edition", "load", str(broken)])
    assert done.exit_code == 1 and "is not valid YAML" in done.output
    broken.write_text("slug: Not A Slug\ntitle: x\nhosts: []\nproblem_statements: []\n")
    done = runner.invoke(cli, ["edition", "load", str(broken)])
    assert done.exit_code == 1 and "is not a valid edition" in done.output
    assert "slug: String should match pattern" in done.output
    assert "Traceback" not in done.output
    done = runner.invoke(cli, ["edition", "load", str(podium_home / "missing.yaml")])
    assert done.exit_code == 1 and "cannot read" in done.output
