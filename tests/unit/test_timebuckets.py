from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mostread.timebuckets import WINDOW_SPECS, day_of, fine_bucket, iso, slot_start


def ts(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def test_fine_buckets_are_five_minutes():
    assert fine_bucket(ts("2026-11-27T10:04:59.999+00:00")) == ts("2026-11-27T10:00:00+00:00")
    assert fine_bucket(ts("2026-11-27T10:05:00+00:00")) == ts("2026-11-27T10:05:00+00:00")


def test_slots_are_fixed_clock_periods():
    assert slot_start(ts("2026-11-27T10:29:59+00:00"), 1800) == ts("2026-11-27T10:00:00+00:00")
    assert slot_start(ts("2026-11-27T10:30:00+00:00"), 1800) == ts("2026-11-27T10:30:00+00:00")


@pytest.mark.parametrize(
    ("window", "now", "first"),
    [
        ("1h", "2026-11-27T10:47:10+00:00", "2026-11-27T09:50:00+00:00"),
        ("24h", "2026-11-27T10:47:10+00:00", "2026-11-26T11:00:00+00:00"),
        ("7d", "2026-11-27T10:47:10+00:00", "2026-11-20T11:00:00+00:00"),
    ],
)
def test_window_starts(window, now, first):
    assert WINDOW_SPECS[window].first_bucket(ts(now)) == ts(first)


@given(st.floats(min_value=1.6e9, max_value=2.2e9), st.sampled_from(["1h", "24h", "7d"]))
def test_a_window_covers_between_one_bucket_less_and_its_length(now, name):
    window = WINDOW_SPECS[name]
    history = now - window.first_bucket(now)
    assert window.seconds - window.bucket_seconds <= history < window.seconds


@given(st.floats(min_value=1.6e9, max_value=2.2e9))
def test_a_view_counts_in_every_window_right_after_it_arrives(now):
    for window in WINDOW_SPECS.values():
        assert window.contains(fine_bucket(now), now)


def test_iso_is_utc_with_millis():
    assert iso(ts("2026-11-27T19:00:00.25+09:00")) == "2026-11-27T10:00:00.250Z"
    assert day_of(ts("2026-11-27T23:59:59+00:00")) == "2026-11-27"
