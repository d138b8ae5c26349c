"""Conservation over the whole pipeline: whatever the interleaving of views, duplicates, retries, stream
redeliveries (whole, partial, failed half way) and ranking runs that crash at any write, the published counts
equal the counting rules applied to the distinct views that were recorded, and the engaged lists equal the same
rules applied to the engaged rows of the page views marked engaged (while the page-view counts stay as they are).

The expectation is computed independently: the views the tracker stored (read back from the table), split into
slots, counted by ``reference_counts`` (the rules written out plainly) and summed over each window. The
pipeline under test is the real tracker service, stream consumer and ranking run on the in-memory fake.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mostread.config import settings as service_settings
from mostread.counting import article_totals, engaged_key, engaged_totals, reference_counts
from mostread.dal.views import view_from_image
from mostread.timebuckets import WINDOW_SPECS, WINDOWS, Slot
from mostread_dev.fake_dynamodb import throttled

from tests.harness import T0, Clock
from tests.pipeline import TABLE, FakePipeline

ARTICLES = ("a", "b", "c")
CAP = 2


@dataclass(frozen=True)
class View:
    article: str
    visitor: int
    address: int
    event: int | None
    widget: bool


@dataclass(frozen=True)
class Retry:
    index: int  # a view sent before, again, with the same event id (from the same or another address)
    address: int


@dataclass(frozen=True)
class Engage:
    index: int  # a view sent before: its engaged report, from any address, for its own article or another one
    address: int
    other_article: bool


@dataclass(frozen=True)
class Advance:
    seconds: int


@dataclass(frozen=True)
class Deliver:
    count: int
    fail_after: int | None  # the stream consumer's k-th write fails: Lambda retries the batch later


@dataclass(frozen=True)
class Redeliver:
    count: int  # records delivered before, delivered again (a retried or bisected batch)


@dataclass(frozen=True)
class Rank:
    fail_after: int | None  # the run's k-th write fails


@dataclass(frozen=True)
class Register:
    article: str


views = st.builds(
    View,
    st.sampled_from(ARTICLES),
    st.integers(0, 6),
    st.integers(0, 1),
    st.one_of(st.none(), st.integers(0, 40)),
    st.booleans(),
)
# views are most of what happens; the rest interleaves with them
operations = st.one_of(
    views,
    views,
    views,
    views,
    st.builds(Retry, st.integers(0, 200), st.integers(0, 3)),
    st.builds(Engage, st.integers(0, 200), st.integers(0, 3), st.booleans()),
    st.builds(Engage, st.integers(0, 200), st.integers(0, 3), st.just(False)),
    st.builds(Advance, st.sampled_from([5, 60, 300, 900, 1800])),
    st.builds(Deliver, st.integers(1, 20), st.one_of(st.none(), st.integers(0, 3))),
    st.builds(Redeliver, st.integers(1, 20)),
    st.builds(Rank, st.one_of(st.none(), st.integers(0, 40))),
    st.builds(Register, st.just("c")),
)


def expected_counts(pipeline: FakePipeline, now: float) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, int]]]:
    """The rules applied directly to every view the tracker stored (and, for the page views marked engaged, their
    engaged rows), slot by slot, summed over each window: (views, engaged readers) per article and window."""
    seconds = service_settings().slot_seconds
    by_slot: dict[Slot, list[list[object]]] = {}
    for item in pipeline.fake.items(TABLE, "view#"):
        view = view_from_image(item)
        rows = by_slot.setdefault(Slot.of(view.received_ms / 1000, seconds), [])
        rows.append(view.to_row())
        if "g" in item:
            rows.append(replace(view, article_id=engaged_key(view.article_id), ref="").to_row())
    expected: dict[str, dict[str, int]] = {article: dict.fromkeys(WINDOWS, 0) for article in ARTICLES}
    engaged: dict[str, dict[str, int]] = {article: dict.fromkeys(WINDOWS, 0) for article in ARTICLES}
    for slot, rows in by_slot.items():
        counts = reference_counts(rows, slot, CAP)
        totals = {key: sum(row) for key, row in counts.items()}
        for article, readers in engaged_totals(totals).items():
            # the rules themselves: never more engaged readers in a slot than counted views of the article
            assert readers <= totals.get(article, 0), (slot, article)
        for window in WINDOWS:
            spec = WINDOW_SPECS[window]
            for index in range(slot.buckets):
                start = slot.bucket_start(index)
                if spec.first_bucket(now) <= start <= now:
                    in_bucket = {k: row[index] for k, row in counts.items()}
                    for article, views in article_totals(in_bucket).items():
                        expected[article][window] += views
                    for article, readers in engaged_totals(in_bucket).items():
                        engaged[article][window] += readers
    return expected, engaged


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.lists(operations, min_size=20, max_size=80))
def test_published_counts_equal_the_distinct_countable_views(steps: list[object]) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        pipeline = FakePipeline(monkeypatch, Clock(T0 + 1500), MAX_VIEWS_PER_ADDRESS=str(CAP))
        pipeline.register("a")
        pipeline.register("b", section="sports")
        sent: list[View] = []
        pending: list[dict[str, object]] = []
        delivered: list[dict[str, object]] = []
        for step in steps:
            if isinstance(step, View):
                sent.append(step)
                event_id = None if step.event is None else f"event-{step.event:04d}"
                pipeline.view(
                    step.article,
                    step.visitor,
                    event_id=event_id,
                    ref="mostread" if step.widget else None,
                    address=10 + step.address,
                )
            elif isinstance(step, Retry) and sent:
                original = sent[step.index % len(sent)]
                if original.event is not None:
                    pipeline.view(
                        original.article,
                        original.visitor,
                        event_id=f"event-{original.event:04d}",
                        address=20 + step.address,
                    )
            elif isinstance(step, Engage) and sent:
                original = sent[step.index % len(sent)]
                if original.event is not None:
                    article = ARTICLES[(ARTICLES.index(original.article) + 1) % 3] if step.other_article else None
                    pipeline.engaged(
                        article or original.article,
                        f"event-{original.event:04d}",
                        original.visitor,
                        address=30 + step.address,
                    )
            elif isinstance(step, Advance):
                pipeline.clock.advance(step.seconds)
            pending.extend(pipeline.take_stream())
            if isinstance(step, Deliver) and pending:
                batch, pending = pending[: step.count], pending[step.count :]
                if step.fail_after is not None:
                    pipeline.fail_writes(after=step.fail_after, error=lambda: throttled("PutItem"))
                result = pipeline.deliver(batch)
                pipeline.heal()
                if result.failed_sequence_numbers:
                    pending = batch + pending  # Lambda retries the batch (bisecting it is a redelivery too)
                else:
                    delivered.extend(batch)
            elif isinstance(step, Redeliver) and delivered:
                pipeline.deliver(delivered[-step.count :])
            elif isinstance(step, Rank):
                if step.fail_after is not None:
                    pipeline.fail_writes(after=step.fail_after, error=lambda: throttled("PutItem"))
                try:
                    pipeline.rank(deliver=False)
                except ClientError:
                    pipeline.clock.advance(60)  # the crashed run's lease lapses before the next scheduled run
                pipeline.heal()
            elif isinstance(step, Register):
                pipeline.register(step.article)
        pipeline.deliver(pending + pipeline.take_stream())
        pipeline.clock.advance(180)  # every slot past its grace period
        pipeline.rank(deliver=False)
        pipeline.clock.advance(60)
        pipeline.rank(deliver=False)
        expected, engaged = expected_counts(pipeline, pipeline.clock())
        catalogued = {"a", "b"} | ({"c"} if any(isinstance(step, Register) for step in steps) else set())
        for article in sorted(catalogued):
            assert pipeline.counts(article) == expected[article], article
        for window in WINDOWS:
            wanted = {article: engaged[article][window] for article in catalogued if engaged[article][window]}
            assert dict(pipeline.listed("engaged", window)) == wanted, window
