"""The keyed public/private split."""

from __future__ import annotations

import hmac

import numpy as np
import pytest

from evaluators.split import _hmac_sha256_many, split_mask

IDS = [str(i) for i in range(100_000)]


def test_fraction_is_close_to_the_target() -> None:
    for fraction in (0.1, 0.3, 0.5):
        assert abs(split_mask(IDS, "secret", fraction).mean() - fraction) < 0.02


def test_deterministic_and_stable_when_rows_are_added() -> None:
    first = split_mask(IDS[:50_000], "secret", 0.3)
    again = split_mask(IDS, "secret", 0.3)
    assert np.array_equal(first, again[:50_000])
    shuffled = split_mask(IDS[::-1], b"secret", 0.3)
    assert np.array_equal(shuffled[::-1], again)


def test_depends_on_the_secret() -> None:
    a = split_mask(IDS[:10_000], "secret-a", 0.5)
    b = split_mask(IDS[:10_000], "secret-b", 0.5)
    assert 0.4 < (a != b).mean() < 0.6  # independent halves disagree half the time


def test_matches_the_documented_hmac_rule() -> None:
    key = b"k" * 100  # longer than a block: hashed first, as RFC 2104 says
    for item in ["1", "abc", "é"]:
        digest = hmac.digest(key, item.encode(), "sha256")
        assert next(_hmac_sha256_many(key, [item])) == digest
        expected = int.from_bytes(digest[:8], "big") / 2**64 < 0.5
        assert bool(split_mask([item], key, 0.5)[0]) is expected


def test_bounds_and_bad_arguments() -> None:
    assert not split_mask(IDS[:100], "s", 0.0).any()
    assert split_mask(IDS[:100], "s", 1.0).all()
    with pytest.raises(ValueError, match="public_fraction"):
        split_mask(IDS, "s", 1.5)
    with pytest.raises(ValueError, match="secret"):
        split_mask(IDS, "", 0.5)


def test_cached_mask_equals_the_plain_one_and_depends_on_every_input() -> None:
    from evaluators.split import split_mask_cached

    plain = split_mask(IDS[:1000], "s", 0.4)
    assert np.array_equal(split_mask_cached(IDS[:1000], "s", 0.4), plain)
    assert split_mask_cached(IDS[:1000], "s", 0.4) is split_mask_cached(IDS[:1000], "s", 0.4)
    assert not np.array_equal(split_mask_cached(IDS[:1000], "t", 0.4), plain)
    assert not np.array_equal(split_mask_cached(IDS[:1000], "s", 0.6), plain)
