"""One article at 5,000 views/s must not put more than 1,000 write units/s on any partition key.

Drives one second of such traffic through the real tracking and stream-consumer code with the
storage calls captured, then adds up write units per partition key (table and index writes).
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import pytest
from mostread import keys
from mostread.dal import viewlog
from mostread.dal.views import RecordedView
from mostread.models import ViewIn
from mostread.services import ingest
from mostread.services.tracking import Reader, record_views

VIEWS_PER_SECOND = 5_000
STREAM_BATCH = 1_000  # the IngestFunction's BatchSize in template.yaml
PARTITION_LIMIT = 1_000
CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"


def write_units(item_bytes: int) -> int:
    return max(1, math.ceil(item_bytes / 1024))


def item_size(item: dict[str, Any]) -> int:
    total = 0
    for name, value in item.items():
        ((kind, raw),) = value.items()
        total += len(name.encode()) + (len(raw) if kind == "B" else len(str(raw).encode()))
    return total


@pytest.fixture
def captured(monkeypatch, aws_env):
    units: Counter[str] = Counter()
    index_units: Counter[str] = Counter()

    def put_view(recorded: RecordedView) -> bool:
        view = recorded.view
        item = {
            "pk": {"S": keys.view_key(view.event_key)},
            "sk": {"S": "-"},
            "a": {"S": view.article_id},
            "t": {"N": str(view.received_ms)},
            "v": {"S": view.visitor},
            "ad": {"S": view.address},
            "w": {"N": "1"},
            "expires_at": {"N": "1"},
        }
        units[item["pk"]["S"]] += write_units(item_size(item))
        if "catalog_shard" in item:
            index_units[item["catalog_shard"]["S"]] += write_units(item_size(item))
        stream.append({"eventID": f"id{len(stream)}", "eventName": "INSERT", "dynamodb": {"NewImage": item}})
        return True

    def put_chunk(slot, chunk_id, views, expires_at):
        from mostread import codec

        rows = codec.pack([view.to_row() for view in views])
        units[keys.log_key(slot)] += write_units(len(rows) + 200)

    def mark_slot(slot, marked_ms, expires_at):
        units[keys.SLOT_INDEX] += 1

    stream: list[dict[str, Any]] = []
    monkeypatch.setattr(viewlog, "put_chunk", put_chunk)
    monkeypatch.setattr(viewlog, "mark_slot", mark_slot)
    return units, index_units, stream, put_view


def test_a_viral_article_spreads_over_keys(captured):
    units, index_units, stream, put_view = captured
    now = 1_795_780_800.0
    for visitor in range(VIEWS_PER_SECOND):
        reader = Reader(f"10.{visitor // 65536}.{visitor // 256 % 256}.{visitor % 256}", CHROME, {})
        record_views(
            [ViewIn(article_id="viral", event_id=f"evt-{visitor:08d}")],
            reader,
            now + visitor / 5000,
            salt_for_day=lambda day, now: b"s" * 32,
            store=put_view,
        )
    for start in range(0, len(stream), STREAM_BATCH):
        ingest.ingest_records(stream[start : start + STREAM_BATCH], lambda: now + 1)

    hottest_key, hottest = units.most_common(1)[0]
    print(
        f"\nhottest key {hottest_key}: {hottest} WCU in one second; view keys: "
        f"{sum(1 for k in units if k.startswith(keys.VIEW))}; log units: {units[keys.log_key(1795780800)]}"
    )
    assert hottest <= PARTITION_LIMIT
    assert all(count == 1 for key, count in units.items() if key.startswith(keys.VIEW))
    assert not index_units  # views never land in the catalog index
    # headroom: the log key takes a few write units per thousand views
    assert units[keys.log_key(1795780800)] < VIEWS_PER_SECOND / 20
