"""What every stage of a ranking run shares: where to read and write, the settings, the run's time and budget."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from mostread.config import Settings
from mostread.dal.client import Db
from mostread.timebuckets import iso

# A log chunk is stamped before it is written and visible at most the stream consumer's timeout later (20 s in
# template.yaml; a template test keeps this margin above it): a run re-reads chunks stamped this long before
# its previous read, so none written late is skipped.
LOG_MARGIN_MS = 45_000
# The catalog function's changes are logged the same way (its timeout is 10 s).
CATALOG_LOG_MARGIN_MS = 30_000
# Reading and sealing stop this long before the function's timeout, so a run always publishes what it has. At full
# scale (100,000 articles, 37,000 of them with views) a cold container's first run needed about 20 s after its
# reading stopped (BENCHMARKS.md, section 5); a run that overruns its timeout loses the warm state and starts cold
# again, so the reserve keeps a margin over that.
PUBLISH_RESERVE_SECONDS = 30.0
DEFAULT_RUN_SECONDS = 55.0
# The calendar archive works after publishing, with what is left of the run but this (its last writes and the
# function's own exit), so archive work never makes a run overrun its timeout.
ARCHIVE_RESERVE_SECONDS = 10.0


@dataclass
class RunContext:
    db: Db
    config: Settings
    now: float
    # monotonic time by which reading and sealing must stop
    deadline: float
    monotonic: Callable[[], float] = time.monotonic
    # monotonic time by which the archive's step, after publishing, must stop
    finish_by: float = float("inf")

    @classmethod
    def starting(
        cls,
        db: Db,
        config: Settings,
        now: float,
        remaining_seconds: float = DEFAULT_RUN_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> RunContext:
        started = monotonic()
        return cls(
            db,
            config,
            now,
            started + max(remaining_seconds - PUBLISH_RESERVE_SECONDS, 1.0),
            monotonic,
            finish_by=started + remaining_seconds - ARCHIVE_RESERVE_SECONDS,
        )

    @property
    def now_ms(self) -> int:
        return int(self.now * 1000)

    @property
    def generated_at(self) -> str:
        return iso(self.now)

    def out_of_time(self) -> bool:
        return self.monotonic() >= self.deadline


@dataclass
class RunReport:
    """What one run did, for its log line, its metrics and ``mostread status``."""

    generated_at: str
    skipped: bool = False
    slots_sealed: int = 0
    slots_resealed: int = 0
    seals_deferred: int = 0
    log_rows_read: int = 0
    log_behind: bool = False  # an open slot's log was not read to its end in this run (rows above the budget)
    registrations: int = 0
    bases: dict[str, str] = field(default_factory=dict)  # window -> kept / rolled / extended / started
    # windows whose base is still extending backward, with the time their totals count from until it is done
    catching_up: dict[str, str] = field(default_factory=dict)
    articles_with_views: int = 0
    views_capped: int = 0
    lists_written: int = 0
    lists_unchanged: int = 0
    lists_held: int = 0  # lists of windows catching up, left as last published
    count_chunks: int = 0
    count_chunks_written: int = 0
    exclusions_in_force: int = 0
    pins_in_force: int = 0
    # pinned articles that cannot be shown, with why: an editor's pin that does nothing should be visible to ops
    pins_not_shown: dict[str, str] = field(default_factory=dict)
    archive: str = ""  # the calendar archive's step in this run (services/ranking/archiving.py)
    seconds: float = 0.0
    # wall seconds per stage: which one to look at when a run gets slow
    stage_seconds: dict[str, float] = field(default_factory=dict)
    seconds_since_previous_run: float | None = None


class StageClock:
    """Adds each stage's wall time to a report's ``stage_seconds``."""

    def __init__(self, seconds: dict[str, float], monotonic: Callable[[], float]) -> None:
        self._seconds = seconds
        self._monotonic = monotonic

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        started = self._monotonic()
        try:
            yield
        finally:
            self._seconds[name] = round(self._seconds.get(name, 0.0) + self._monotonic() - started, 3)
