"""Time windows and buckets as pure functions of a timestamp (epoch seconds, UTC).

Every view is stamped with its server receive time. Views are counted in 5-minute buckets; a
window is the run of buckets ending with the one that holds ``now``:

- ``1h``: the last 12 five-minute buckets (between 55 and 60 minutes of history);
- ``24h`` and ``7d``: the last 24 or 168 hour buckets (between 23 and 24 hours, or 6 days 23 hours
  and 7 days, of history).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from typing import Literal

FINE_SECONDS = 300
HOUR_SECONDS = 3600
DAY_SECONDS = 86400

WindowName = Literal["1h", "24h", "7d"]
WINDOWS: tuple[WindowName, ...] = ("1h", "24h", "7d")


@dataclass(frozen=True)
class Window:
    name: WindowName
    bucket_seconds: int
    bucket_count: int

    @property
    def seconds(self) -> int:
        return self.bucket_seconds * self.bucket_count

    def first_bucket(self, now: float) -> int:
        """Start of the oldest bucket in the window at ``now``."""
        return floor_to(now, self.bucket_seconds) - (self.bucket_count - 1) * self.bucket_seconds

    def contains(self, bucket_start: int, now: float) -> bool:
        """Whether a 5-minute bucket starting at ``bucket_start`` counts in the window at ``now``."""
        return self.first_bucket(now) <= bucket_start <= now


WINDOW_SPECS: dict[WindowName, Window] = {
    "1h": Window("1h", FINE_SECONDS, 12),
    "24h": Window("24h", HOUR_SECONDS, 24),
    "7d": Window("7d", HOUR_SECONDS, 168),
}
LONGEST_WINDOW = WINDOW_SPECS["7d"]


@dataclass(frozen=True, order=True, slots=True)
class Slot:
    """A dedupe slot: a fixed clock period in which one visitor counts once per article. Its length is part of
    its identity, so slots written under another ``DedupeMinutes`` stay what they were after a redeploy."""

    start: int
    seconds: int

    @classmethod
    def of(cls, timestamp: float, seconds: int) -> Slot:
        return cls(floor_to(timestamp, seconds), seconds)

    @property
    def end(self) -> int:
        return self.start + self.seconds

    @property
    def buckets(self) -> int:
        return self.seconds // FINE_SECONDS

    def bucket_start(self, index: int) -> int:
        return self.start + index * FINE_SECONDS

    def contains(self, timestamp: float) -> bool:
        return self.start <= timestamp < self.end


def floor_to(timestamp: float, step: int) -> int:
    return int(timestamp // step) * step


def fine_bucket(timestamp: float) -> int:
    return floor_to(timestamp, FINE_SECONDS)


def slot_start(timestamp: float, slot_seconds: int) -> int:
    """The dedupe slot: a fixed clock period in which one visitor counts once per article."""
    return floor_to(timestamp, slot_seconds)


def iso(timestamp: float) -> str:
    """ISO-8601 UTC with a Z suffix and millisecond precision."""
    moment = datetime.fromtimestamp(timestamp, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def day_of(timestamp: float, zone: tzinfo = UTC) -> str:
    """The calendar day of ``timestamp`` in ``zone`` (the site's zone: "today" starts at its midnight)."""
    return _day_of(timestamp, zone)


# A pure function of its arguments, so a cache cannot go stale. The tracker asks for the day of its slot's start
# on every request: the same few answers until the next slot (tests/unit/test_timebuckets.py).
@lru_cache(maxsize=64)
def _day_of(timestamp: float, zone: tzinfo) -> str:
    return datetime.fromtimestamp(timestamp, tz=zone).strftime("%Y-%m-%d")
