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


def test_the_day_is_right_on_both_sides_of_seoul_midnight_however_the_cache_was_warmed():
    """day_of is cached (the tracker asks for its slot's day on every request): the slot that starts at 00:00 in
    Seoul (15:00 UTC) is the next day, the one before it still the previous, in any order of asking."""
    from zoneinfo import ZoneInfo

    seoul = ZoneInfo("Asia/Seoul")
    before, after = slot_start(ts("2026-11-27T14:59:59+00:00"), 1800), slot_start(ts("2026-11-27T15:00:00+00:00"), 1800)
    assert (before, after) == (ts("2026-11-27T14:30:00+00:00"), ts("2026-11-27T15:00:00+00:00"))
    for _ in range(2):
        assert day_of(before, seoul) == "2026-11-27"
        assert day_of(after, seoul) == "2026-11-28"
        assert day_of(after) == "2026-11-27"  # the same instant in UTC: another zone, another answer
        assert day_of(before - 1, seoul) == "2026-11-27"


def test_the_tracker_salts_with_the_next_day_from_the_first_slot_after_seoul_midnight(aws_env):
    from mostread.models import ViewIn
    from mostread.services.tracking import Reader, track_views

    asked: list[str] = []

    def salt_for_day(day: str, now: float) -> bytes:
        asked.append(day)
        return day.encode() * 4

    reader = Reader("203.0.113.7", "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0", {})
    view = ViewIn.model_validate({"article_id": "a1", "event_id": "evt-000001"})
    for moment in ("14:59:59", "15:00:00", "14:59:59", "15:29:59", "15:30:00"):
        track_views([view], reader, ts(f"2026-11-27T{moment}+00:00"), salt_for_day, lambda _: True)
    assert asked == ["2026-11-27", "2026-11-28", "2026-11-27", "2026-11-28", "2026-11-28"]
