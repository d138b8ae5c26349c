"""A ranking run that fails anywhere is repaired by the next: every k-th write is failed in turn, and the run
after publishes what a run without the failure would have. On the in-memory fake, so every k is tried."""

from __future__ import annotations

import random
from typing import Any

import pytest
from botocore.exceptions import ClientError
from mostread_dev.fake_dynamodb import throttled

from tests.harness import T0, Clock
from tests.pipeline import FakePipeline


def history(pipeline: FakePipeline) -> None:
    """Two hours of views (with junk ids and an article registered late), ending just before a run that seals a
    slot, rolls the bases over an hour boundary, registers an article with earlier views and publishes."""
    rng = random.Random(5)
    for n in range(6):
        pipeline.register(f"a{n}", section=("politics", "sports")[n % 2])
    for minute in range(0, 115, 5):
        for _ in range(6):
            visitor = rng.randrange(40)
            article = rng.choice(["a0", "a1", "a2", "a3", "a4", "a5", "late", f"junk-{rng.randrange(30)}"])
            pipeline.view(article, visitor, event_id=f"event-{minute:03d}-{visitor:02d}-{rng.randrange(10**6)}")
        if minute % 15 == 0:
            pipeline.rank()
        pipeline.clock.advance(300)
    pipeline.register("late")
    pipeline.view("a1", 99)
    pipeline.deliver()


def published_without_movement(pipeline: FakePipeline) -> dict[str, Any]:
    """What the read path serves; ``previous_rank`` aside, which by definition names the lists as last served
    (a crashed run's lists were served)."""
    state = pipeline.published_state()
    for document in state["lists"].values():
        for item in document["items"] if document else []:
            item.pop("previous_rank")
    return state


@pytest.fixture(scope="module")
def clean_state() -> tuple[dict[str, Any], int]:
    with pytest.MonkeyPatch.context() as monkeypatch:
        pipeline = FakePipeline(monkeypatch, Clock())
        history(pipeline)
        writes_before = pipeline.fake.writes
        pipeline.rank()
        writes = pipeline.fake.writes - writes_before
        pipeline.clock.advance(60)
        pipeline.rank()
        return published_without_movement(pipeline), writes


def test_the_history_exercises_every_stage(clean_state: tuple[dict[str, Any], int]) -> None:
    state, writes = clean_state
    assert writes > 20
    assert state["counts"]["late"][2] > 0  # registered after its views
    assert any(document and document["items"] for document in state["lists"].values())


def test_a_run_failing_at_its_kth_write_is_repaired_by_the_next_for_every_k(
    clean_state: tuple[dict[str, Any], int],
) -> None:
    expected, writes = clean_state
    for k in range(1, writes + 1):
        with pytest.MonkeyPatch.context() as monkeypatch:
            pipeline = FakePipeline(monkeypatch, Clock())
            history(pipeline)
            pipeline.fail_writes(after=k - 1, error=lambda: throttled("PutItem"))
            with pytest.raises(ClientError, match="ProvisionedThroughputExceeded"):
                pipeline.rank()
            pipeline.heal()
            pipeline.clock.advance(60)  # the next scheduled run: the crashed run's lease has expired
            report = pipeline.rank()
            assert not report.skipped, k
            assert published_without_movement(pipeline) == expected, f"after a failure at write {k} of {writes}"


@pytest.mark.parametrize("k", [1, 3, 6, 12])
def test_runs_failing_minute_after_minute_are_repaired_once_one_can_write(
    monkeypatch: pytest.MonkeyPatch, k: int
) -> None:
    with pytest.MonkeyPatch.context() as clean_patch:
        clean = FakePipeline(clean_patch, Clock())
        history(clean)
        clean.clock.advance(180)
        clean.rank()
        expected = published_without_movement(clean)
    pipeline = FakePipeline(monkeypatch, Clock())
    history(pipeline)
    failed = 0
    for attempt in range(3):
        pipeline.fail_writes(after=k + 7 * attempt, error=lambda: throttled("PutItem"))
        try:
            pipeline.rank()
        except ClientError:
            failed += 1  # a later run may have less left to write than the failure lets through
        pipeline.clock.advance(60)
    assert failed >= 1
    pipeline.heal()
    pipeline.rank()
    assert published_without_movement(pipeline) == expected


def late_views_history(pipeline: FakePipeline) -> list[dict[str, Any]]:
    """Views of a slot whose stream records partly arrive only after the slot was sealed and rolled into the
    bases (a stream backlog); returns the held-back records."""
    for article in ("a1", "a2"):
        pipeline.register(article)
    pipeline.clock.now = T0 + 1800  # 12:30Z, the start of a slot
    for visitor in range(10):
        pipeline.view("a1", visitor)
        pipeline.view("a2", visitor + 100, ref="mostread" if visitor % 3 == 0 else None)
    records = pipeline.take_stream()
    pipeline.deliver(records[:12])
    pipeline.rank()
    pipeline.clock.advance(45 * 60)  # 13:15: the slot is sealed and the 13:00 boundary rolls it into the bases
    report = pipeline.rank()
    assert report.slots_sealed == 1
    return records[12:]


def test_late_views_after_the_seal_are_counted_exactly_in_every_window(monkeypatch: pytest.MonkeyPatch) -> None:
    pipeline = FakePipeline(monkeypatch, Clock())
    late = late_views_history(pipeline)
    assert pipeline.counts("a1")["24h"] + pipeline.counts("a2")["24h"] == 12
    pipeline.deliver(late)
    pipeline.clock.advance(60)
    report = pipeline.rank()
    assert report.slots_resealed == 1
    assert "corrected" in report.bases["24h"] and "corrected" in report.bases["7d"]
    assert pipeline.counts("a1") == {"1h": 10, "24h": 10, "7d": 10}
    assert pipeline.counts("a2") == {"1h": 10, "24h": 10, "7d": 10}
    # widget clicks stay out of the lists after the correction too
    assert dict(pipeline.listed("most_read", "7d")) == {"a1": 10, "a2": 6}


def test_late_views_and_a_crash_between_the_new_summary_and_the_bases(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.MonkeyPatch.context() as clean_patch:
        clean = FakePipeline(clean_patch, Clock())
        clean.deliver(late_views_history(clean))
        clean.clock.advance(60)
        writes_before = clean.fake.writes
        clean.rank()
        writes = clean.fake.writes - writes_before
        clean.clock.advance(60)
        clean.rank()
        expected = published_without_movement(clean)
    for k in range(1, writes + 1):
        with pytest.MonkeyPatch.context() as patch:
            pipeline = FakePipeline(patch, Clock())
            pipeline.deliver(late_views_history(pipeline))
            pipeline.clock.advance(60)
            pipeline.fail_writes(after=k - 1, error=lambda: throttled("PutItem"))
            with pytest.raises(ClientError):
                pipeline.rank()
            pipeline.heal()
            pipeline.clock.advance(60)
            pipeline.rank()
            assert published_without_movement(pipeline) == expected, f"after a failure at write {k} of {writes}"
