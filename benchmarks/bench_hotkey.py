"""4. The hottest partition key: one article at 5,000 views/s, write units per key per second."""

from __future__ import annotations

import time
from collections import defaultdict

from mostread import codec, keys
from mostread.dal.views import view_from_image

from benchmarks import seed
from benchmarks.bench_units import hour_start
from benchmarks.common import DynamoDBLocal, table_spec
from benchmarks.fakes import FakeDynamoDB
from benchmarks.meter import FAMILY_NAMES, family, index_specs
from benchmarks.report import Section, Table
from benchmarks.sim import Pipeline
from benchmarks.workload import PlannedView, StreamImages, Traffic, make_catalog

TITLE = "4. Writes on the hottest partition key"
RATE = 5000
WRITE_LIMIT = 1000  # write units per second per partition key
READ_LIMIT = 3000


def _views(article_id: str, start: float, seconds: float, first_visitor: int) -> list[PlannedView]:
    count = int(RATE * seconds)
    return [
        PlannedView(start + (n + 0.5) / RATE, article_id, first_visitor + n, f"{first_visitor + n:032x}", None, False)
        for n in range(count)
    ]


def _mixed_log_bytes_per_row(start: float) -> float:
    """Compressed bytes per logged view in full chunks, for Zipf traffic over 20,000 articles (as the stream
    consumer packs them: ``codec.pack`` of the rows of up to 1,000 records)."""
    images = StreamImages(b"s" * 32, 1800, 8)
    traffic = Traffic([article.article_id for article in make_catalog(20000, start, seed=22)], 1000, seed=23)
    rows = [view_from_image(images.image(view)).to_row() for view in traffic.views(start, 20) if not view.bot]
    chunks = [codec.pack(rows[n : n + 1000]) for n in range(0, len(rows) - 999, 1000)]
    return sum(len(chunk) for chunk in chunks) / (len(chunks) * 1000)


def run(quick: bool, ddb: DynamoDBLocal) -> Section:
    started = time.monotonic()
    seconds = 2 if quick else 5
    tracked_seconds = 0.2 if quick else 1.0
    pipeline = Pipeline(ddb, "mostread-hotkey")
    try:
        start = hour_start() + 600.0  # mid-slot
        fake = FakeDynamoDB(index_specs(table_spec(pipeline.table).create_kwargs))
        articles = make_catalog(200, start, seed=21)
        seed.write_catalog(fake, articles)
        pipeline.load(fake)
        pipeline.meter.reset()
        hot = articles[0].article_id
        with pipeline.meter.scope("catalog"):  # the CMS updates the article as the traffic starts
            pipeline.meter.set_second(start)
            seed.put_articles(articles[:1])

        tracked = _views(hot, start, tracked_seconds, 1)
        pipeline.skip_stream()
        pipeline.track(tracked)
        deliveries = pipeline.ingest(pipeline.stream_records())
        rest = _views(hot, start + tracked_seconds, seconds - tracked_seconds, 1 + len(tracked))
        deliveries += pipeline.bulk(rest)
        report = pipeline.rank(start + seconds + 1)
        meter = pipeline.meter
        key_writes = dict(meter.key_writes)
        key_reads = dict(meter.key_reads)
    finally:
        pipeline.close()

    per_key: defaultdict[str, list[tuple[float, int]]] = defaultdict(list)
    for (second, key), units in key_writes.items():
        per_key[key].append((units, second))
    hottest = sorted(((max(values), key) for key, values in per_key.items()), reverse=True)
    table = Table(
        f"Write units per partition key per second, one article at {RATE:,} views/s for {seconds} s "
        "(table and index keys, hottest key of each kind)",
        ["item", "hottest key", "keys", "max WCU in one second", f"of the {WRITE_LIMIT:,}/s limit"],
    )
    seen: set[str] = set()
    for (units, second), key in hottest:
        kind = family(key)
        if kind in seen:
            continue
        seen.add(kind)
        count = sum(1 for other in per_key if family(other) == kind)
        shown = key if len(key) <= 28 else key[:27] + "…"
        table.add(
            FAMILY_NAMES.get(kind, kind),
            f"`{shown}`",
            f"{count:,}",
            f"{units:,.0f} (t+{second - int(start)} s)",
            f"{units / WRITE_LIMIT:.1%}",
        )
    reads: defaultdict[str, float] = defaultdict(float)
    for (_, key), units in key_reads.items():
        reads[key] = max(reads[key], units)
    read_table = Table(
        "Read units per partition key per second (the hottest five)",
        ["partition key", "max RCU in one second", f"of the {READ_LIMIT:,}/s limit"],
    )
    for key, units in sorted(reads.items(), key=lambda pair: -pair[1])[:5]:
        read_table.add(key, f"{units:,.1f}", f"{units / READ_LIMIT:.1%}")

    (top_units, _), top_key = hottest[0]
    view_keys = [key for key in per_key if family(key) == keys.VIEW]
    log_key = next(key for _, key in hottest if family(key) == keys.LOG)
    log_units = max(units for units, _ in per_key[log_key])
    chunk_rows = [len(delivery.records) for delivery in deliveries]
    log_total = sum(units for (_, key), units in key_writes.items() if key == log_key)
    bytes_per_row = log_total * 1024 / (len(tracked) + len(rest))
    mixed_bytes_per_row = _mixed_log_bytes_per_row(start)
    site_limit = WRITE_LIMIT * 1024 / mixed_bytes_per_row
    verdict = "within" if top_units <= WRITE_LIMIT else "OVER"
    findings = [
        f"Hottest key: `{top_key}` ({FAMILY_NAMES.get(family(top_key), family(top_key))}) with {top_units:,.0f} write "
        f"units in its busiest second — {verdict} the {WRITE_LIMIT:,}/s per-key limit ({top_units / WRITE_LIMIT:.0%}). "
        f"Each view has its own key (`view#e:<event id>`): {len(view_keys):,} keys with 1 write unit each; the article "
        "itself is never a key on the write path.",
        f"The view log of the slot (`{log_key}`) takes every view of the site, not just this article's: "
        f"{log_units:,.0f} WCU in its busiest second here ({bytes_per_row:.0f} bytes per view in compressed chunks of "
        f"up to {max(chunk_rows):,} records, mean {sum(chunk_rows) / len(chunk_rows):,.0f}). With the realistic mix of "
        f"articles of benchmark 3 a logged view takes {mixed_bytes_per_row:.0f} bytes, so the log key reaches "
        f"{WRITE_LIMIT:,} WCU/s at about {site_limit:,.0f} views/s for the whole site — the design's ceiling for total "
        "traffic (every view of a slot lands on one key), not for one article.",
        f"The ranking run afterwards wrote {report.lists_written} lists and {report.count_chunks_written} count "
        "chunks, once per minute each: not a per-second concern.",
    ]
    method = f"""
One article receives {RATE:,} views/s from distinct visitors for {seconds} simulated seconds (mid-slot), on DynamoDB
Local. The first {tracked_seconds:g} s go through `record_views` with the real conditional put and through the real
stream; the rest are handed to the stream consumer as the same stream records (the tracker's key pattern is already
shown by the tracked part). The stream consumer runs once per batch as the event source mapping in template.yaml
delivers it (4 shards, up to 1,000 records or the batching window), then one ranking run. Every put, update and
delete made through `mostread.dal.client.dynamodb()` is observed (botocore hook): write units per item are its
size in KB rounded up (DynamoDB's rule), plus one index write per index the item lands in (items carrying
`catalog_shard`), booked to the partition key and the simulated second of the call; updates and deletes are
booked at the units DynamoDB Local reports. Limit: {WRITE_LIMIT:,} write units/s and {READ_LIMIT:,} read units/s
per partition key (FACTS.md).
"""
    return Section(
        "hot_key",
        TITLE,
        method,
        "python -m benchmarks.run hot_key",
        [table, read_table],
        findings,
        quick,
        time.monotonic() - started,
    )
