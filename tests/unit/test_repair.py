"""The repair tools' domain logic (mostread.services.repair) on the in-memory fake, with the real tracker, stream
consumer and ranking run: recompute finds what the log says and the summaries do not, applying it repairs the
published counts, and a second check finds nothing; the log is rebuilt from the view items, idempotently; a
failed stream batch replayed twice changes nothing."""

from __future__ import annotations

import pytest
from mostread import keys
from mostread.config import settings
from mostread.dal import viewlog
from mostread.logrow import LoggedView
from mostread.services import repair
from mostread.timebuckets import Slot
from mostread_dev.streams import _Pending, failure_record

from tests.harness import T0, Clock
from tests.pipeline import TABLE, FakePipeline

SLOT = 1800
GRACE = 120


@pytest.fixture
def pipeline(monkeypatch: pytest.MonkeyPatch) -> FakePipeline:
    return FakePipeline(monkeypatch, Clock())


def _check(pipeline: FakePipeline, start: float = T0 - 3600) -> list[repair.SlotCheck]:
    config = settings()
    now = pipeline.clock()
    marks = repair.slots_in_period(pipeline.db, start, now, now)
    return repair.check_slots(pipeline.db, marks, config.max_views_per_address, now, config.ingest_grace_seconds)


def _apply(pipeline: FakePipeline, checks: list[repair.SlotCheck]) -> None:
    pipeline.clock.advance(1)  # a ranking run's generation is its time: two runs never share a millisecond
    slots = [check.slot for check in checks if check.needs_repair]
    repair.mark_due(pipeline.db, slots, pipeline.clock(), settings().retention_days)
    pipeline.rank()


def _sealed_pipeline(pipeline: FakePipeline) -> Slot:
    """Views of two articles in one slot, delivered, the slot sealed by a ranking run."""
    pipeline.register("a")
    pipeline.register("b")
    for visitor in range(1, 6):
        pipeline.view("a", visitor)
    for visitor in range(1, 4):
        pipeline.view("b", visitor)
    pipeline.rank()
    pipeline.clock.advance(SLOT + GRACE + 10)
    report = pipeline.rank()
    assert report.slots_sealed == 1
    return Slot.of(T0, SLOT)


def test_a_consistent_stack_has_nothing_to_change(pipeline: FakePipeline) -> None:
    slot = _sealed_pipeline(pipeline)
    checks = _check(pipeline)
    assert [(check.slot, check.state, check.changes) for check in checks] == [(slot, repair.SEALED, [])]
    assert checks[0].stored_views == checks[0].recounted_views == 8
    assert not any(check.needs_repair for check in checks)


def test_recompute_finds_an_unmarked_chunk_applying_fixes_the_counts_and_a_second_check_finds_nothing(
    pipeline: FakePipeline,
) -> None:
    slot = _sealed_pipeline(pipeline)
    assert pipeline.counts("a")["24h"] == 5
    # a chunk that reached the log without its mark (the summary never learnt of it): two new visitors of "a"
    rows = [
        LoggedView("a", f"{visitor:016x}", int(T0 * 1000) + 60_000, f"e:late-{visitor}", f"{visitor:016x}").to_row()
        for visitor in (101, 102)
    ]
    viewlog.put_chunk(pipeline.db, slot, keys.log_chunk_sort_key(int(T0 * 1000), "lost-mark"), rows, slot.end + 9**6)
    pipeline.rank()
    assert pipeline.counts("a")["24h"] == 5  # the run does not know

    [check] = _check(pipeline)
    assert check.needs_repair and check.state == repair.SEALED
    [change] = check.changes
    assert (change.article_id, change.views, change.widget, change.capped) == ("a", (5, 7), (0, 0), (0, 0))
    assert change.buckets == ((T0, 5, 7),)
    assert not check.log_lacks_views

    _apply(pipeline, [check])
    assert pipeline.counts("a") == {"1h": 7, "24h": 7, "7d": 7}
    assert pipeline.counts("b")["24h"] == 3
    assert not any(check.needs_repair for check in _check(pipeline))
    # and once more: marking nothing, running again, still the same
    _apply(pipeline, _check(pipeline))
    assert pipeline.counts("a")["24h"] == 7


def test_a_changed_cap_is_a_difference_in_capped_views(pipeline: FakePipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    pipeline.register("a")
    for visitor in range(1, 8):
        pipeline.view("a", visitor, address=77)  # seven readers behind one address
    pipeline.clock.advance(SLOT + GRACE + 10)
    pipeline.rank()
    assert pipeline.counts("a")["24h"] == 7
    pipeline.configure(monkeypatch, MAX_VIEWS_PER_ADDRESS="5")  # a redeploy with a lower cap
    [check] = _check(pipeline)
    [change] = check.changes
    assert (change.views, change.capped) == ((7, 5), (0, 2))
    _apply(pipeline, [check])
    assert pipeline.counts("a")["24h"] == 5
    assert not _check(pipeline)[0].changes


def test_a_lost_chunk_shows_as_fewer_views_and_the_rebuild_from_view_items_restores_it(
    pipeline: FakePipeline,
) -> None:
    slot = _sealed_pipeline(pipeline)
    [chunk] = list(pipeline.fake.items(TABLE, keys.log_key(slot)))
    pipeline.fake.delete_item(TableName=TABLE, Key={"pk": chunk["pk"], "sk": chunk["sk"]})
    [check] = _check(pipeline)
    assert check.log_lacks_views
    assert {change.article_id: change.views for change in check.changes} == {"a": (5, 0), "b": (3, 0)}

    now = pipeline.clock()
    views = list(repair.scan_views(pipeline.db, int((T0 - 60) * 1000), int(now * 1000)))
    assert len(views) == 8
    report = repair.rebuild_log(pipeline.db, views, SLOT, now, 8)
    assert (report.views, report.chunks_written, report.chunks_present, report.slots_marked) == (8, 1, 0, [])
    assert not any(check.needs_repair for check in _check(pipeline))

    again = repair.rebuild_log(pipeline.db, views, SLOT, now + 5, 8)
    assert (again.chunks_written, again.chunks_present) == (0, 1)
    assert len(list(pipeline.fake.items(TABLE, keys.log_key(slot)))) == 1


def test_views_never_logged_are_rebuilt_into_a_new_slot_the_run_then_seals(pipeline: FakePipeline) -> None:
    pipeline.register("a")
    for visitor in range(1, 4):
        pipeline.view("a", visitor)
    pipeline.view("a", 1)  # a reload: recorded, counted once
    pipeline.take_stream()  # the stream lost them: no log, no mark
    pipeline.clock.advance(SLOT + GRACE + 10)
    pipeline.rank()
    assert pipeline.counts("a")["24h"] == 0
    assert repair.slots_in_period(pipeline.db, T0 - 60, pipeline.clock(), pipeline.clock()) == []

    now = pipeline.clock()
    views = repair.scan_views(pipeline.db, int((T0 - 60) * 1000), int(now * 1000))
    report = repair.rebuild_log(pipeline.db, views, SLOT, now, 8)
    assert report.slots_marked == [Slot.of(T0, SLOT)]
    [check] = _check(pipeline)
    assert check.state == repair.UNSEALED  # indexed now; the next run seals it
    pipeline.rank()
    assert pipeline.counts("a")["24h"] == 3
    assert not any(check.needs_repair for check in _check(pipeline))


def test_scan_views_pages_and_filters_on_the_receive_time(pipeline: FakePipeline) -> None:
    pipeline.register("a")
    pipeline.view("a", 1)
    pipeline.clock.advance(3600)
    pipeline.view("a", 2)
    pages: list[tuple[int, int]] = []
    original = pipeline.fake.scan

    def small_pages(**request: object) -> dict[str, object]:
        return original(**{**request, "Limit": 2})  # type: ignore[arg-type]

    pipeline.fake.scan = small_pages  # type: ignore[method-assign]
    found = list(
        repair.scan_views(pipeline.db, int(T0 * 1000), int((T0 + 60) * 1000), lambda *page: pages.append(page))
    )
    assert [view.visitor for view in found] == [_visitor_of(pipeline, T0)]
    assert len(pages) > 1 and sum(scanned for scanned, _ in pages) == sum(1 for _ in pipeline.fake.items(TABLE))


def _visitor_of(pipeline: FakePipeline, received: float) -> str:
    [item] = [item for item in pipeline.fake.items(TABLE, "view#") if int(item["t"]["N"]) == int(received * 1000)]
    return str(item["v"]["S"])


def test_replaying_a_failed_batch_twice_changes_nothing(pipeline: FakePipeline) -> None:
    pipeline.register("a")
    for visitor in range(1, 5):
        pipeline.view("a", visitor)
    records = pipeline.take_stream()
    # the consumer gave up on them: their position went to the failure queue
    batch = [_Pending("shard-1", {**record, "eventSourceARN": "arn:stream"}) for record in records]
    for entry in batch:
        entry.record["dynamodb"]["ApproximateCreationDateTime"] = T0
    body = failure_record(batch, "RetryAttemptsExhausted", 11, "arn:function", T0 + 60)
    import json

    failed = repair.parse_failure_record(json.dumps(body))
    assert (failed.shard_id, failed.batch_size, failed.condition) == ("shard-1", 4, "RetryAttemptsExhausted")
    held = [record for record in records if failed.holds(record["dynamodb"]["SequenceNumber"])]
    assert len(held) == 4
    assert failed.arrival_range_ms() == (int((T0 - 300) * 1000), int((T0 + 300) * 1000))

    first = pipeline.deliver(held)
    pipeline.clock.advance(60)
    pipeline.rank()
    assert (first.logged, pipeline.counts("a")["1h"]) == (4, 4)
    second = pipeline.deliver(held)  # replayed again
    pipeline.clock.advance(SLOT + GRACE)
    pipeline.rank()
    assert second.logged == 4
    assert pipeline.counts("a")["24h"] == 4
    assert not any(check.needs_repair for check in _check(pipeline))


def test_a_message_that_is_no_failure_record_is_refused() -> None:
    with pytest.raises(ValueError, match="not a DynamoDB stream on-failure record"):
        repair.parse_failure_record('{"hello": 1}')
    with pytest.raises(ValueError, match="not a DynamoDB stream on-failure record"):
        repair.parse_failure_record("not json")


def test_compare_counts_names_each_measure_and_bucket() -> None:
    slot = Slot(int(T0), SLOT)
    stored = {"a": [1, 0, 2, 0, 0, 0], "@a": [1, 0, 0, 0, 0, 0], "b": [3, 0, 0, 0, 0, 0]}
    recounted = {"a": [1, 1, 2, 0, 0, 0], "@a": [1, 0, 0, 0, 0, 0], "b": [3, 0, 0, 0, 0, 0], "!b": [2, 0, 0, 0, 0, 0]}
    changes = repair.compare_counts(slot, stored, recounted)
    assert [(c.article_id, c.views, c.widget, c.capped, c.buckets) for c in changes] == [
        ("a", (3, 4), (1, 1), (0, 0), ((int(T0) + 300, 0, 1),)),
        ("b", (3, 3), (0, 0), (0, 2), ()),
    ]
    assert repair.compare_counts(slot, stored, dict(stored)) == []


def test_scan_cost_counts_half_a_unit_per_4_kb_of_the_whole_table() -> None:
    cost = repair.scan_cost(10 * 1024**3, 50_000_000)
    assert cost.read_units == 10 * 1024**3 / 4096 / 2
    assert cost.dollars == pytest.approx(1_310_720 * 0.125 / 1e6)


def test_inspect_reads_buckets_from_the_log_and_both_summary_parts(pipeline: FakePipeline) -> None:
    pipeline.register("a")
    for visitor in range(1, 4):
        pipeline.view("a", visitor)
    pipeline.view("a", 9, ref="mostread")
    pipeline.view("orphan", 1)  # not in the catalog when its slot is sealed
    for visitor in range(10, 33):
        pipeline.view("a", visitor, address=7)  # 23 readers behind one address: 3 capped (cap 20)
    config = settings()
    now = pipeline.clock()
    live = repair.article_buckets(pipeline.db, "a", T0 - 60, now + 1, now, config.max_views_per_address, GRACE)
    assert live == []  # nothing logged yet: the stream has not been delivered
    pipeline.rank()
    live = repair.article_buckets(pipeline.db, "a", T0 - 60, now + 1, now, config.max_views_per_address, GRACE)
    assert [(b.start, b.views, b.widget_clicks, b.capped, b.source) for b in live] == [(T0, 24, 1, 3, "log")]

    pipeline.clock.advance(SLOT + GRACE + 10)
    pipeline.rank()
    now = pipeline.clock()
    sealed = repair.article_buckets(pipeline.db, "a", T0 - 60, now, now, config.max_views_per_address, GRACE)
    assert [(b.views, b.widget_clicks, b.capped, b.source) for b in sealed] == [(24, 1, 3, "summary")]
    orphan = repair.article_buckets(pipeline.db, "orphan", T0 - 60, now, now, 20, GRACE)
    assert [(b.views, b.source) for b in orphan] == [(1, "summary (uncatalogued)")]

    counts = repair.published_counts(pipeline.db, "a")
    assert counts.counts == {"1h": 24, "24h": 24, "7d": 24}
    assert counts.capped == {"1h": 3, "24h": 3, "7d": 3}
    lists = repair.read_lists(pipeline.db, repair.list_keys(["politics"]))
    positions = repair.positions_of("a", lists)
    assert {(p.kind, p.window, p.section, p.rank) for p in positions} >= {
        ("most_read", "24h", None, 1),
        ("most_read", "24h", "politics", 1),
    }
