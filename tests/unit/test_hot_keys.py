"""One article at 5,000 views/s must not put more than 1,000 write units/s on any partition key.

Drives one second of such traffic through the real tracker and stream consumer on the in-memory fake, and adds
up the write units of every item written (1 KB rounded up, as DynamoDB charges) per partition key.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from typing import Any

import pytest
from mostread import keys
from mostread.timebuckets import Slot
from mostread_dev.fake_dynamodb import item_size

from tests.harness import T0, Clock
from tests.pipeline import FakePipeline

VIEWS_PER_SECOND = 5_000
STREAM_BATCH = 1_000  # the IngestFunction's BatchSize in template.yaml
PARTITION_LIMIT = 1_000


def test_a_viral_article_spreads_over_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock(T0 + 60)
    pipeline = FakePipeline(monkeypatch, clock)
    units: Counter[str] = Counter()
    indexed: Counter[str] = Counter()

    def book(operation: str, request: dict[str, Any]) -> None:
        if operation == "PutItem":
            item = request["Item"]
            units[item["pk"]["S"]] += max(1, math.ceil(item_size(item) / 1024))
            if "catalog_shard" in item:
                indexed[item["catalog_shard"]["S"]] += 1

    pipeline.fake.before_call = book
    for visitor in range(VIEWS_PER_SECOND):
        pipeline.view("viral", visitor, event_id=f"evt-{visitor:08d}")
        clock.advance(1 / VIEWS_PER_SECOND)
    records = pipeline.take_stream()
    for start in range(0, len(records), STREAM_BATCH):
        pipeline.deliver(records[start : start + STREAM_BATCH])

    log_key = keys.log_key(Slot.of(T0 + 60, 1800))
    hottest_key, hottest = units.most_common(1)[0]
    print(f"\nhottest key {hottest_key}: {hottest} WCU in one second; log: {units[log_key]} WCU")
    assert hottest <= PARTITION_LIMIT
    assert all(count == 1 for key, count in units.items() if key.startswith(keys.VIEW))
    assert sum(1 for key in units if key.startswith(keys.VIEW)) == VIEWS_PER_SECOND
    assert not indexed  # views never land in the catalog index
    # headroom: the log key takes a few write units per thousand views
    assert units[log_key] < VIEWS_PER_SECOND / 20


def test_a_minute_of_junk_ids_spreads_the_runs_writes_over_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """A script sending 1,000 views/s of random ids at the length limit (none in the catalog) for a minute: the
    ranking run re-files those rows by id partition, and even if it wrote them all within one second no key would
    take more than DynamoDB's 1,000 write units."""
    from tests.unit.test_ranking_pipeline import adversarial_id

    clock = Clock(T0 + 60)
    pipeline = FakePipeline(monkeypatch, clock)
    rng = random.Random(11)
    for n in range(60_000):
        pipeline.view(adversarial_id(rng), visitor=n)
        clock.advance(1 / 1_000)
    pipeline.deliver()
    units: Counter[str] = Counter()

    def book(operation: str, request: dict[str, Any]) -> None:
        if operation == "PutItem":
            item = request["Item"]
            units[item["pk"]["S"]] += max(1, math.ceil(item_size(item) / 1024))

    pipeline.fake.before_call = book
    report = pipeline.rank(deliver=False)
    assert report.log_rows_read == 60_000
    orphan_units = {key: count for key, count in units.items() if key.startswith(keys.ORPHAN_ROWS)}
    hottest_key, hottest = units.most_common(1)[0]
    print(f"\norphan rows: {sum(orphan_units.values())} WCU on {len(orphan_units)} keys; {hottest_key}: {hottest}")
    assert len(orphan_units) == keys.ORPHAN_PARTITIONS
    assert hottest <= PARTITION_LIMIT
