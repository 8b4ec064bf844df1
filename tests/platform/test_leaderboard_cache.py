"""The leaderboard cache: rebuilt on a new token, bounded, aged, and never queueing readers
(a previous value is served while one background thread rebuilds; only a cold start waits)."""

from __future__ import annotations

import threading
from collections.abc import Callable

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


def _blocking(value: str) -> tuple[threading.Event, threading.Event, Callable[[str | None], str]]:
    started, release = threading.Event(), threading.Event()

    def build(previous: str | None) -> str:
        started.set()
        assert release.wait(30)
        return value

    return started, release, build


def test_a_cold_start_builds_in_the_caller() -> None:
    cache = LeaderboardCache()
    caller = threading.get_ident()
    built_in: list[int] = []

    def build(previous: str | None) -> str:
        built_in.append(threading.get_ident())
        return "v1"

    assert cache.get_or_refresh("k", 1, build) == "v1"
    assert built_in == [caller] and cache.builds == 1


def test_the_previous_value_is_served_while_one_background_thread_rebuilds() -> None:
    cache = LeaderboardCache()
    cache.get_or_refresh("k", 1, lambda _: "v1")
    started, release, slow = _blocking("v2")

    assert cache.get_or_refresh("k", 2, slow) == "v1"  # no wait for the rebuild
    assert started.wait(30)
    assert cache.get_or_refresh("k", 2, lambda _: "second thread") == "v1"
    assert cache.peek("k", 2) == "v1"  # the fast path serves it too while it is rebuilt
    assert cache.builds == 2
    release.set()
    assert cache.settle()
    assert cache.get_or_refresh("k", 2, lambda _: "never") == "v2"
    assert cache.peek("k", 2) == "v2" and cache.builds == 2


def test_peek_has_nothing_for_a_changed_token_until_someone_starts_the_rebuild() -> None:
    cache = LeaderboardCache()
    cache.get_or_refresh("k", 1, lambda _: "v1")
    assert cache.peek("k", 1) == "v1"
    assert cache.peek("k", 2) is None  # the caller's slow path starts it


def test_a_failed_rebuild_keeps_the_previous_value_and_is_retried_later() -> None:
    now = [0.0]
    cache = LeaderboardCache(retry_seconds=5, clock=lambda: now[0])
    cache.get_or_refresh("k", 1, lambda _: "v1")

    def broken(previous: str | None) -> str:
        raise RuntimeError("database went away")

    assert cache.get_or_refresh("k", 2, broken) == "v1"
    assert cache.settle()
    assert cache.get_or_refresh("k", 2, lambda _: "too soon") == "v1"
    assert cache.settle() and cache.builds == 2
    now[0] = 6.0
    assert cache.get_or_refresh("k", 2, lambda _: "v2") == "v1"
    assert cache.settle()
    assert cache.get_or_refresh("k", 2, lambda _: "never") == "v2"


def test_an_aging_value_is_refreshed_in_the_background_and_a_too_old_one_is_not_served() -> None:
    now = [0.0]
    cache = LeaderboardCache(max_age_seconds=10, clock=lambda: now[0])
    cache.get_or_refresh("k", 1, lambda _: "v1")
    now[0] = 6.0  # past half the limit, same token: served, rebuilt behind
    assert cache.get_or_refresh("k", 1, lambda _: "v1 again") == "v1"
    assert cache.settle()
    assert cache.get_or_refresh("k", 1, lambda _: "never") == "v1 again"
    now[0] = 20.0  # past the limit: the reader waits for a new one
    assert cache.get_or_refresh("k", 2, lambda _: "v2") == "v2"
    assert cache.peek("k", 1) is None


def test_a_rebuild_starts_from_the_previous_value_only_when_the_token_moved() -> None:
    now = [0.0]
    cache = LeaderboardCache(max_age_seconds=10, clock=lambda: now[0])
    given: list[str | None] = []

    def build(value: str) -> Callable[[str | None], str]:
        def made(previous: str | None) -> str:
            given.append(previous)
            return value

        return made

    cache.get_or_refresh("k", 1, build("v1"))
    cache.get_or_refresh("k", 2, build("v2"))
    assert cache.settle()
    now[0] = 6.0  # same token, grown old: rebuilt from scratch
    cache.get_or_refresh("k", 2, build("v2 again"))
    assert cache.settle()
    assert given == [None, "v1", None]
