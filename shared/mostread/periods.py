"""Calendar periods of the archive: a day, an ISO week, a month or a year in the site's time zone. Pure; no AWS.

A period is a run of whole local dates ``[first, after)``; it starts at the first instant of ``first`` in the zone
(local midnight, or the end of a DST gap that swallowed midnight) and ends where the next period starts, so every
instant lies in exactly one period of each kind and a DST day has 23 or 25 hours.

Names: ``YYYY-MM-DD`` (day), ``YYYY-Www`` (ISO 8601 week, Monday to Sunday; a year has 52 or 53), ``YYYY-MM``
(month), ``YYYY`` (year). The archive keeps a period while it ended no more than ``ArchiveDays`` ago, so last
year's list stays available well into the next year.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Literal

PeriodKind = Literal["day", "week", "month", "year"]
# the shape only; whether the date exists is checked by parse_period
PERIOD_PATTERN = r"^[0-9]{4}(?:-(?:W[0-9]{2}|[0-9]{2}(?:-[0-9]{2})?))?$"
_SHAPE = re.compile(PERIOD_PATTERN)
# years whose periods stay inside the range of epoch timestamps datetime can handle everywhere
FIRST_YEAR, LAST_YEAR = 1970, 9998


@dataclass(frozen=True, order=True, slots=True)
class Period:
    first: date  # the first local date of the period
    kind: PeriodKind

    @property
    def after(self) -> date:
        """The first local date after the period."""
        if self.kind == "day":
            return self.first + timedelta(days=1)
        if self.kind == "week":
            return self.first + timedelta(days=7)
        if self.kind == "month":
            return _next_month(self.first)
        return date(self.first.year + 1, 1, 1)

    @property
    def name(self) -> str:
        if self.kind == "day":
            return self.first.isoformat()
        if self.kind == "week":
            year, week, _ = self.first.isocalendar()
            return f"{year:04d}-W{week:02d}"
        if self.kind == "month":
            return f"{self.first.year:04d}-{self.first.month:02d}"
        return f"{self.first.year:04d}"

    def dates(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.after - self.first).days)]

    def start(self, zone: tzinfo) -> float:
        return local_midnight(self.first, zone)

    def end(self, zone: tzinfo) -> float:
        return local_midnight(self.after, zone)

    def ended_by(self, now: float, zone: tzinfo) -> bool:
        return self.end(zone) <= now

    def expired(self, now: float, zone: tzinfo, archive_days: int) -> bool:
        """Ended more than ``archive_days`` ago: the archive no longer keeps it."""
        return now - self.end(zone) > archive_days * 86400

    def __str__(self) -> str:
        return self.name


def local_midnight(day: date, zone: tzinfo) -> float:
    """The first instant of ``day`` in ``zone``. fold=0 reads a midnight inside a DST gap with the offset before the
    gap, which is the instant the gap ends: the first one whose local date is ``day``."""
    return datetime(day.year, day.month, day.day, tzinfo=zone).timestamp()


def local_date(timestamp: float, zone: tzinfo) -> date:
    return datetime.fromtimestamp(timestamp, tz=zone).date()


def day(value: date) -> Period:
    return Period(value, "day")


def week_of(value: date) -> Period:
    return Period(value - timedelta(days=value.isoweekday() - 1), "week")


def month_of(value: date) -> Period:
    return Period(value.replace(day=1), "month")


def year_of(value: date) -> Period:
    return Period(date(value.year, 1, 1), "year")


def period_of(kind: PeriodKind, value: date) -> Period:
    return {"day": day, "week": week_of, "month": month_of, "year": year_of}[kind](value)


def containing(kind: PeriodKind, timestamp: float, zone: tzinfo) -> Period:
    """The period of ``kind`` that holds the instant."""
    return period_of(kind, local_date(timestamp, zone))


def ending_with(value: date) -> list[Period]:
    """The weeks, months and years whose last date is ``value`` (the day itself not included), in that order."""
    following = value + timedelta(days=1)
    ends: list[Period] = []
    if value.isoweekday() == 7:
        ends.append(week_of(value))
    if following.day == 1:
        ends.append(month_of(value))
        if following.month == 1:
            ends.append(year_of(value))
    return ends


def parse_period(text: str) -> Period:
    """``YYYY-MM-DD``, ``YYYY-Www``, ``YYYY-MM`` or ``YYYY``; ValueError saying what is wrong otherwise."""
    if not _SHAPE.fullmatch(text):
        raise ValueError("must be a day YYYY-MM-DD, an ISO week YYYY-Www, a month YYYY-MM or a year YYYY")
    year = int(text[:4])
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(f"the year must be from {FIRST_YEAR:04d} to {LAST_YEAR}")
    if len(text) == 4:
        return Period(date(year, 1, 1), "year")
    if text[5] == "W":
        week = int(text[6:])
        weeks = date(year, 12, 28).isocalendar()[1]  # 28 December always lies in the year's last ISO week
        if not 1 <= week <= weeks:
            raise ValueError(f"{year} has ISO weeks 01 to {weeks}")
        return Period(date.fromisocalendar(year, week, 1), "week")
    month = int(text[5:7])
    if not 1 <= month <= 12:
        raise ValueError("the month must be from 01 to 12")
    if len(text) == 7:
        return Period(date(year, month, 1), "month")
    try:
        return Period(date(year, month, int(text[8:])), "day")
    except ValueError:
        raise ValueError(f"{text} is not a date of the calendar") from None


def _next_month(first: date) -> date:
    return date(first.year + 1, 1, 1) if first.month == 12 else date(first.year, first.month + 1, 1)
