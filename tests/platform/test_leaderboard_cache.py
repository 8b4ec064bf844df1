"""The leaderboard cache: rebuilt on a new token, bounded, aged, and never queueing readers."""

from __future__ import annotations

import threading

from podium.services.board_cache import LeaderboardCache


def test_a_value_is_kept_while_its_token_holds_and_rebuilt_when_it_changes() -> None:
    cache = LeaderboardCache()
    builds: list[str] = []

    def build(value: str) -> str:
        builds.append(value)
        return value

    assert cache.get("k", 1, lambda: build("one")) == "one"
    assert cache.get("k", 1, lambda: build("never")) == "one"
    assert cache.get("k", 2, lambda: build("two")) == "two"
    assert builds == ["one", "two"]


def test_the_least_recently_used_key_goes_first() -> None:
    cache = LeaderboardCache(max_entries=2)
    cache.get("a", 0, lambda: "a")
    cache.get("b", 0, lambda: "b")
    cache.get("a", 0, lambda: "a2")  # a is used: b is the oldest now
    cache.get("c", 0, lambda: "c")
    assert cache.get("a", 0, lambda: "rebuilt") == "a"
    assert cache.get("b", 0, lambda: "rebuilt") == "rebuilt"


def test_values_older_than_the_age_limit_are_rebuilt() -> None:
    now = [0.0]
    cache = LeaderboardCache(max_age_seconds=10, clock=lambda: now[0])
    cache.get("k", 0, lambda: "old")
    now[0] = 11.0
    assert cache.get("k", 0, lambda: "new") == "new"


def test_readers_get_the_previous_version_while_one_request_rebuilds() -> None:
    cache = LeaderboardCache()
    cache.get("k", 1, lambda: "v1")
    started, release = threading.Event(), threading.Event()

    def slow() -> str:
        started.set()
        release.wait(5)
        return "v2"

    results: list[str] = []
    builder = threading.Thread(target=lambda: results.append(cache.get("k", 2, slow)))
    builder.start()
    assert started.wait(5)
    assert cache.get("k", 2, lambda: "duplicate build") == "v1"
    release.set()
    builder.join(5)
    assert results == ["v2"]
    assert cache.get("k", 2, lambda: "duplicate build") == "v2"
