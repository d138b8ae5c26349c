"""Calendar periods of the archive: parsing, bounds in the site's zone, and the properties every boundary keeps."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mostread import periods
from mostread.periods import Period, containing, ending_with, parse_period

SEOUL = ZoneInfo("Asia/Seoul")
NEW_YORK = ZoneInfo("America/New_York")
KINDS = ("day", "week", "month", "year")
instants = st.integers(min_value=946_684_800, max_value=4_102_444_800)  # 2000 to 2100


def utc(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    ("text", "kind", "first", "after"),
    [
        ("2026-11-30", "day", date(2026, 11, 30), date(2026, 12, 1)),
        ("2024-02-29", "day", date(2024, 2, 29), date(2024, 3, 1)),
        ("2026-W01", "week", date(2025, 12, 29), date(2026, 1, 5)),  # week 1 starts in the year before
        ("2026-W53", "week", date(2026, 12, 28), date(2027, 1, 4)),  # 2026 has 53 ISO weeks
        ("2026-02", "month", date(2026, 2, 1), date(2026, 3, 1)),
        ("2026-12", "month", date(2026, 12, 1), date(2027, 1, 1)),
        ("2026", "year", date(2026, 1, 1), date(2027, 1, 1)),
    ],
)
def test_parse(text, kind, first, after):
    period = parse_period(text)
    assert (period.kind, period.first, period.after, period.name) == (kind, first, after, text)


@pytest.mark.parametrize(
    "text",
    [
        "2026-13",
        "2026-00",
        "2027-W53",
        "2026-W00",
        "2026-W54",
        "2026-02-30",
        "2025-02-29",
        "2026-1-5",
        "26-01",
        "2026-11-30T00",
        "1969",
        "9999",
        "２０２６",
        "2026-w01",
        "",
    ],
)
def test_malformed_periods_are_refused(text):
    with pytest.raises(ValueError, match=r"must|month|ISO weeks|calendar|year"):
        parse_period(text)


def test_a_seoul_day_starts_at_1500_utc_the_day_before():
    day = parse_period("2026-12-01")
    assert day.start(SEOUL) == utc("2026-11-30T15:00:00")
    assert day.end(SEOUL) == utc("2026-12-01T15:00:00")
    assert parse_period("2026").end(SEOUL) == utc("2026-12-31T15:00:00")


def test_new_york_has_23_and_25_hour_days():
    assert parse_period("2026-03-08").end(NEW_YORK) - parse_period("2026-03-08").start(NEW_YORK) == 23 * 3600
    assert parse_period("2026-11-01").end(NEW_YORK) - parse_period("2026-11-01").start(NEW_YORK) == 25 * 3600
    assert parse_period("2026-03-09").end(NEW_YORK) - parse_period("2026-03-09").start(NEW_YORK) == 24 * 3600


def test_ended_and_expired():
    day = parse_period("2026-11-30")
    end = day.end(SEOUL)
    assert not day.ended_by(end - 0.001, SEOUL) and day.ended_by(end, SEOUL)
    assert not day.expired(end + 400 * 86400, SEOUL, 400) and day.expired(end + 400 * 86400 + 1, SEOUL, 400)
    # last year's list is still there well into the next year
    assert not parse_period("2026").expired(utc("2027-12-31T00:00:00"), SEOUL, 400)


def test_periods_ending_with_a_sunday_december_31():
    assert [p.name for p in ending_with(date(2028, 12, 31))] == ["2028-W52", "2028-12", "2028"]
    assert [p.name for p in ending_with(date(2026, 11, 30))] == ["2026-11"]
    assert ending_with(date(2026, 11, 25)) == []


@given(instants, st.sampled_from(KINDS), st.sampled_from([SEOUL, NEW_YORK]))
def test_every_instant_lies_in_exactly_one_period_of_each_kind(instant, kind, zone):
    period = containing(kind, instant, zone)
    assert period.start(zone) <= instant < period.end(zone)
    before, after = _neighbours(period)
    assert not before.start(zone) <= instant < before.end(zone)
    assert not after.start(zone) <= instant < after.end(zone)


@given(instants, st.sampled_from(KINDS), st.sampled_from([SEOUL, NEW_YORK]))
def test_a_period_ends_where_the_next_starts_at_local_midnight(instant, kind, zone):
    period = containing(kind, instant, zone)
    following = periods.period_of(kind, period.after)
    assert period.end(zone) == following.start(zone)
    start = datetime.fromtimestamp(period.start(zone), tz=zone)
    assert (start.hour, start.minute, start.second) == (0, 0, 0) or (zone is NEW_YORK and start.hour <= 1)
    if zone is SEOUL:
        assert datetime.fromtimestamp(period.end(zone), tz=UTC).hour == 15  # KST has no DST


@given(st.integers(min_value=2000, max_value=2100))
def test_iso_weeks_cover_each_year_and_span_its_end(year):
    weeks = date(year, 12, 28).isocalendar()[1]
    assert weeks in (52, 53)
    last = parse_period(f"{year}-W{weeks}")
    assert last.dates()[-1].isoweekday() == 7 and len(last.dates()) == 7
    assert periods.period_of("week", last.after) == parse_period(f"{year + 1}-W01")
    with pytest.raises(ValueError, match="ISO weeks 01 to"):
        parse_period(f"{year}-W{weeks + 1}")
    # Dec 31 lies in the year's last week or in week 1 of the next
    assert periods.week_of(date(year, 12, 31)).name in (last.name, f"{year + 1}-W01")


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)), st.sampled_from(KINDS))
def test_names_round_trip(value, kind):
    period = periods.period_of(kind, value)
    assert parse_period(period.name) == period
    assert period.first <= value < period.after


def _neighbours(period: Period) -> tuple[Period, Period]:
    return periods.period_of(period.kind, period.first - timedelta(days=1)), periods.period_of(
        period.kind, period.after
    )
