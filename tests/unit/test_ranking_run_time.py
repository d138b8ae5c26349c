"""A ranking run stays within its function's timeout when DynamoDB is slow and a week of history has to be added up
again: a base that starts over (expired, or reset) extends backward over several runs, and the window totals do
not read the rest of the week in every one of them.

DynamoDB's latency is charged to the run's stopwatch (``RunOptions.monotonic``) per call and per item read, so
the bound is tested at the timeout itself (55 s), deterministically."""

from __future__ import annotations

from typing import Any

import pytest
from mostread import caches, keys
from mostread.services.ranking import RunReport
from mostread.services.ranking.context import DEFAULT_RUN_SECONDS

from tests.harness import Clock
from tests.pipeline import TABLE, FakePipeline

CALL_SECONDS = 0.2  # a slow DynamoDB: every call
ITEM_SECONDS = 0.02  # and every item a batch reads
ARTICLES = ("a1", "a2", "a3", "a4", "a5")
LATE = "late"  # read all week, registered only at its end
RUNS_EVERY = 90 * 60


class SlowDynamoDB:
    """A stopwatch that DynamoDB's calls advance."""

    def __init__(self) -> None:
        self.elapsed = 0.0
        self.charge_lookups = 0.0  # extra seconds for each batch that looks up uncatalogued counts

    def __call__(self) -> float:
        return self.elapsed

    def before_call(self, operation: str, request: dict[str, Any]) -> None:
        self.elapsed += CALL_SECONDS
        if operation == "BatchGetItem":
            wanted = [key for table in request["RequestItems"].values() for key in table["Keys"]]
            self.elapsed += ITEM_SECONDS * len(wanted)
            if any(key["pk"]["S"].startswith(keys.ORPHAN_SUMMARY) for key in wanted):
                self.elapsed += self.charge_lookups


def views_at(step: int, number: int) -> int:
    return 1 + (step + number) % 4


def expected_counts() -> dict[str, dict[str, int]]:
    """What the week's views add up to an hour-aligned week after its start: the 7-day window starts an hour after
    the first step (hourly buckets, the current one included), the 24-hour one at hour 145, the hour holds none."""
    steps = 7 * 24 * 3600 // RUNS_EVERY
    return {
        article_id: {
            "1h": 0,
            "24h": sum(views_at(step, number) for step in range(steps) if step * RUNS_EVERY >= 145 * 3600),
            "7d": sum(views_at(step, number) for step in range(1, steps)),
        }
        for number, article_id in enumerate((*ARTICLES, LATE))
    }


@pytest.fixture
def week(monkeypatch: pytest.MonkeyPatch) -> FakePipeline:
    """Seven days of views of five articles and of one not yet catalogued id, ranked every 90 minutes."""
    pipeline = FakePipeline(monkeypatch, Clock())
    for article_id in ARTICLES:
        pipeline.register(article_id)
    visitor = 0
    for step in range(7 * 24 * 3600 // RUNS_EVERY):
        for number, article_id in enumerate((*ARTICLES, LATE)):
            for _ in range(views_at(step, number)):
                visitor += 1
                pipeline.view(article_id, visitor)
        pipeline.clock.advance(RUNS_EVERY)
        pipeline.rank()
    return pipeline


def start_over(pipeline: FakePipeline) -> None:
    """The bases are gone (expired after the runs stopped for two days, or reset) and the container is new."""
    for window in ("24h", "7d"):
        pipeline.fake.tables[TABLE].pop(keys.base_key(window), None)
    caches.reset()


def catch_up(pipeline: FakePipeline, slow: SlowDynamoDB) -> list[RunReport]:
    """Runs a second apart (the windows stay where they are) until no window is catching up."""
    pipeline.fake.before_call = slow.before_call
    reports = []
    for _ in range(20):
        pipeline.clock.advance(1)
        started = slow.elapsed
        reports.append(pipeline.rank(monotonic=slow))
        assert slow.elapsed - started <= DEFAULT_RUN_SECONDS, reports[-1].stage_seconds
        if not reports[-1].catching_up:
            break
    pipeline.fake.before_call = None
    return reports


def all_counts(pipeline: FakePipeline) -> dict[str, dict[str, int]]:
    return {article_id: pipeline.counts(article_id) for article_id in (*ARTICLES, LATE)}


def test_a_base_that_starts_over_catches_up_over_runs_each_within_the_timeout(week: FakePipeline) -> None:
    week.register(LATE)
    week.clock.advance(60)
    week.rank()
    whole_week = all_counts(week)
    assert whole_week == expected_counts()
    lists = {window: week.listed(window=window) for window in ("24h", "7d")}

    start_over(week)
    reports = catch_up(week, SlowDynamoDB())

    assert len(reports) > 2, "the slow week must need several runs, or this test does not test the bound"
    first = reports[0]
    assert "7d" in first.catching_up
    assert first.lists_held > 0  # the widget keeps the whole week's lists meanwhile
    assert {window: week.listed(window=window) for window in ("24h", "7d")} == lists
    assert not reports[-1].catching_up
    assert all_counts(week) == expected_counts()


def test_registrations_that_cannot_be_looked_up_in_time_start_the_base_over(week: FakePipeline) -> None:
    assert all_counts(week)[LATE] == {"1h": 0, "24h": 0, "7d": 0}
    week.register(LATE)
    slow = SlowDynamoDB()
    slow.charge_lookups = 10.0  # each batch of lookups of uncatalogued counts: the week's take 70 s
    reports = catch_up(week, slow)

    assert reports[0].bases["7d"].startswith("started again (registrations out of time)")
    assert reports[0].catching_up
    assert not reports[-1].catching_up
    assert all_counts(week) == expected_counts()
