"""4. The hottest partition key: one article at 5,000 views/s, write units per key per second."""

from __future__ import annotations

import time
from collections import defaultdict

from mostread import codec
from mostread.dal.views import view_from_image
from mostread_dev.meter import KINDS, kind_of
from mostread_dev.traffic import SyntheticReaders, TrafficMix, synthetic_catalog

from benchmarks.bench_units import hour_start
from benchmarks.common import DynamoDBLocal
from benchmarks.pipeline import CATALOG, Pipeline, register
from benchmarks.report import Section, Table

TITLE = "4. Writes on the hottest partition key"
RATE = 5000
SECONDS = 5
TRACKED_SECONDS = 1.0
WRITE_LIMIT, READ_LIMIT = 1000, 3000  # per partition key and second
LIMITS_URL = "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html"
# one reader per view: no reloads, retries, batches, crawlers or junk, so every view is a new visitor's
ONE_ARTICLE = TrafficMix(bot=0, reload=0, retry=0, batch=0, from_widget=0, returning_visitor=0, junk=0)


def _bytes_per_logged_view(start: float, pipeline: Pipeline) -> float:
    """Compressed bytes per logged view in full chunks of realistic traffic (section 3's mix over 20,000 articles),
    as the stream consumer packs them."""
    articles = synthetic_catalog(20_000, start, seed=22)
    readers = SyntheticReaders(
        [a.article_id for a in articles], seed=23, published={a.article_id: a.published_ts for a in articles}
    )
    rows = [
        view_from_image(record["dynamodb"]["NewImage"]).to_row()
        for record in pipeline.records(readers.timed(start, 20, 1000))
    ]
    chunks = [codec.pack(rows[n : n + 1000]) for n in range(0, len(rows) - 999, 1000)]
    return sum(len(chunk) for chunk in chunks) / (len(chunks) * 1000)


def run(quick: bool, ddb: DynamoDBLocal) -> list[Section]:
    started = time.monotonic()
    seconds = 2 if quick else SECONDS
    pipeline = Pipeline(ddb, "mostread-hotkey")
    try:
        start = hour_start() + 600.0  # mid-slot
        articles = synthetic_catalog(200, start, seed=21)
        pipeline.seed(lambda db: register(db, articles))
        hot = articles[0]
        readers = SyntheticReaders([hot.article_id], seed=24, mix=ONE_ARTICLE)
        views = readers.timed(start, seconds, RATE)
        tracked = [view for view in views if view.sent_at < start + TRACKED_SECONDS]
        meter = pipeline.meter
        meter.reset()
        with meter.scope(CATALOG):  # the CMS updates the article as the traffic starts
            meter.set_second(start)
            register(pipeline.db, [hot], start)
        pipeline.set_stream(True)
        pipeline.track(tracked)
        records = pipeline.stream_records()
        pipeline.set_stream(False)
        pipeline.check_records(tracked, records)
        rest = pipeline.records(views[len(tracked) :])
        pipeline.deliver([*records, *rest], start + seconds + 10)
        report = pipeline.rank(start + seconds + 11)
        key_writes, key_reads = dict(meter.key_writes), dict(meter.key_reads)
        log_keys = [key for (_, key) in key_writes if kind_of(key) == "log#"]
        mixed = _bytes_per_logged_view(start + 3600, pipeline)
        deliveries = pipeline.deliveries
    finally:
        pipeline.close()

    per_key: defaultdict[str, list[tuple[float, int]]] = defaultdict(list)
    for (second, key), units in key_writes.items():
        per_key[key].append((units, second))
    hottest = sorted(((max(values), key) for key, values in per_key.items()), reverse=True)
    table = Table(
        f"Write units per partition key per second, one article at {RATE:,} views/s for {seconds} s "
        "(table and index keys, the hottest key of each kind)",
        ["item", "hottest key", "keys", "max WCU in one second", f"of the {WRITE_LIMIT:,}/s limit"],
    )
    shown: set[str] = set()
    for (units, second), key in hottest:
        kind = kind_of(key)
        if kind in shown:
            continue
        shown.add(kind)
        count = sum(1 for other in per_key if kind_of(other) == kind)
        name = key if len(key) <= 28 else key[:27] + "…"
        table.add(
            KINDS.get(kind, kind),
            f"`{name}`",
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
        read_table.add(f"`{key}`", f"{units:,.1f}", f"{units / READ_LIMIT:.1%}")

    (top_units, _), top_key = hottest[0]
    log_key = max(log_keys, key=lambda key: max(units for units, _ in per_key[key]))
    log_units = max(units for units, _ in per_key[log_key])
    log_total = sum(units for (_, key), units in key_writes.items() if key == log_key)
    findings = [
        f"Hottest key: `{top_key}` ({KINDS.get(kind_of(top_key), kind_of(top_key))}), {top_units:,.0f} write units in "
        f"its busiest second: {'within' if top_units <= WRITE_LIMIT else 'OVER'} the {WRITE_LIMIT:,}/s per-key limit "
        f"({top_units / WRITE_LIMIT:.0%}). Each view has its own key (`view#e:<event id>`), one write unit each; the "
        f"tracked {TRACKED_SECONDS:g} s show it on DynamoDB Local, the rest of the views went to the stream consumer "
        "directly. The article itself is never a key on the write path.",
        f"The view log of the slot (`{log_key}`) takes every view of the site, not just this article's: "
        f"{log_units:,.0f} WCU in its busiest second here ({log_total * 1024 / len(views):.0f} bytes per view, "
        f"{deliveries} stream batches). With the realistic mix of section 3 a logged view takes {mixed:.0f} bytes, "
        f"so the log key reaches {WRITE_LIMIT:,} WCU/s at about {WRITE_LIMIT * 1024 / mixed:,.0f} views/s for the "
        "whole site: the design's ceiling for total traffic (every view of a slot lands on one key), not for one "
        "article.",
        f"The ranking run afterwards wrote {report['lists_written']} lists and {report['count_chunks_written']} count "
        "chunks: once a minute each, not a per-second concern.",
    ]
    method = f"""
One article receives {RATE:,} views/s from distinct visitors (`mostread_dev.traffic`, one article, no reloads or
crawlers) for {seconds} simulated seconds in the middle of a slot, on DynamoDB Local. The first {TRACKED_SECONDS:g} s go
through `track_views` with the real conditional put and the table's stream; the rest go to the stream consumer as
the same records (built by the tracker's own steps and `put_view`). The stream consumer runs once per batch as the
event source mapping of template.yaml delivers them (4 shards, 1,000 records or 5 s), then one ranking run. Every
write made on the service's DynamoDB client is observed (`mostread_dev.meter`): a put's write units are its size in
KB rounded up (DynamoDB's rule), plus one index write per index the item lands in, booked to the partition key and
the simulated second; updates and deletes at the units DynamoDB Local reports. Limits: {WRITE_LIMIT:,} write units
and {READ_LIMIT:,} read units per second per partition ({LIMITS_URL}).
"""
    section = Section(
        "hot_key",
        TITLE,
        method,
        "python -m benchmarks.run hot_key",
        [table, read_table],
        findings,
        quick,
        time.monotonic() - started,
    )
    return [section]
