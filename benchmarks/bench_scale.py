"""5. The ranking run at scale: 100,000 articles viewed in the 7-day window, on DynamoDB Local."""

from __future__ import annotations

import time
from dataclasses import dataclass

from mostread import keys
from mostread.dal.aggregates import HEAD
from mostread.services.ranking_run import RunReport
from mostread.timebuckets import HOUR_SECONDS, LONGEST_WINDOW, slot_start

from benchmarks import seed
from benchmarks.bench_units import hour_start
from benchmarks.common import DynamoDBLocal, table_spec
from benchmarks.fakes import FakeDynamoDB
from benchmarks.meter import index_specs
from benchmarks.report import Section, Table
from benchmarks.sim import RANKING, Pipeline
from benchmarks.workload import Traffic, make_catalog

TITLE = "5. Ranking run at scale"
SLOT = 1800
RATE = 1000  # views/s behind each slot summary
VARIANTS = 8  # distinct slot summaries; the week cycles through them
TIMEOUT = 55.0  # RankFunction's timeout in template.yaml; it is scheduled every 60 s


@dataclass(frozen=True)
class Shape:
    """How a week of traffic spreads over the catalog."""

    label: str
    pool_share: float  # each slot's views go to a Zipf pool of this share of the catalog (1.0: all of it)


SHAPES = (
    Shape("news: each slot reads a rotating eighth of the catalog", 1 / VARIANTS),
    Shape("long tail: each slot reads across the whole catalog", 1.0),
)


@dataclass
class Timed:
    label: str
    report: RunReport
    wall: float
    cpu: float
    read_units: float
    write_units: float


@dataclass
class ShapeResult:
    shape: Shape
    per_slot: float
    distinct: int
    summary_bytes: int
    runs: list[Timed]


def run(quick: bool, ddb: DynamoDBLocal) -> Section:
    started = time.monotonic()
    articles_count = 2_000 if quick else 100_000
    pipeline = Pipeline(ddb, "mostread-scale")
    seeding: dict[str, float] = {}
    results: list[ShapeResult] = []
    try:
        hour = hour_start()
        clock = time.monotonic()
        articles = make_catalog(articles_count, hour, seed=31)
        ids = [article.article_id for article in articles]
        fake = FakeDynamoDB(index_specs(table_spec(pipeline.table).create_kwargs))
        seed.write_catalog(fake, articles)
        items = pipeline.load(fake)
        seeding["catalog"] = time.monotonic() - clock
        # one minute of the open slot in the log, as the stream consumer writes it
        traffic = Traffic(ids, RATE, seed=33)
        pipeline.bulk(traffic.views(hour, 60), seeding=True)
        first = slot_start(LONGEST_WINDOW.first_bucket(hour), SLOT)
        history = range(first, hour, SLOT)
        for number, shape in enumerate(SHAPES):
            clock = time.monotonic()
            pool = round(len(ids) * shape.pool_share)
            counted_per_slot = int(RATE * SLOT * 0.95 * 0.83)
            variants = seed.summary_variants(
                ids, counted_per_slot, VARIANTS, 32, SLOT, rotation=len(ids) // VARIANTS, pool=pool
            )
            fake = FakeDynamoDB()
            settings = pipeline.settings
            # a later seal time per shape: a new generation of every summary, the previous one is ignored
            grace = settings.ingest_grace_seconds + number
            seed.write_history(fake, history, variants, SLOT, grace, settings.retention_days)
            items += pipeline.load(fake)
            _drop_bases(pipeline)
            seeding[shape.label.split(":")[0]] = time.monotonic() - clock
            runs = [
                _timed(pipeline, "no base stored: both rebuilt from the 336 summaries", hour + 180),
                _timed(pipeline, "normal minute (bases current)", hour + 181),
                _timed(pipeline, "next hour: bases rolled forward", hour + HOUR_SECONDS + 180),
            ]
            results.append(
                ShapeResult(
                    shape,
                    sum(len(variant) for variant in variants) / len(variants),
                    len({article for variant in variants for article in variant}),
                    sum(len(item["data"]["B"]) for item in fake.items(keys.SUMMARY) if "data" in item),
                    runs,
                )
            )
    finally:
        pipeline.close()

    table = Table(
        f"Ranking run with {articles_count:,} catalogued articles, all of them viewed in the 7-day window",
        ["traffic shape", "articles per slot summary", "run", "wall s", "process CPU s", "RCU", "WCU"],
    )
    for result in results:
        for timed in result.runs:
            table.add(
                result.shape.label.split(":")[0],
                f"{result.per_slot:,.0f}",
                timed.label,
                f"{timed.wall:.1f}",
                f"{timed.cpu:.1f}",
                f"{timed.read_units:,.0f}",
                f"{timed.write_units:,.0f}",
            )
    findings = []
    for result in results:
        rebuild, normal, rolled = result.runs
        findings.append(
            f"**{result.shape.label}** ({result.per_slot:,.0f} articles per summary, {result.distinct:,} over the "
            f"week, {result.summary_bytes / 1e6:,.0f} MB of summaries): a normal minute took {normal.wall:.1f} s "
            f"({normal.cpu:.1f} s CPU), the hourly roll-forward {rolled.wall:.1f} s ({rolled.cpu:.1f} s CPU), and a "
            f"run that must rebuild the bases from all summaries {rebuild.wall:.1f} s ({rebuild.cpu:.1f} s CPU) — "
            f"{_verdict(rebuild.wall)} the {TIMEOUT:.0f} s timeout of a run scheduled every minute."
        )
    findings.append(
        "A full rebuild reads and decodes all 336 summaries, sums each article's six buckets and merges them, so it "
        "costs in proportion to the entries of the whole week; the ranking run does it when no usable base is "
        "stored: the first run after a deploy, and whenever late views re-summarise a slot inside a base. Lambda at "
        "1,024 MB gets about 0.6 of a vCPU, so its CPU-bound part would take roughly 1.7× the CPU seconds above; a "
        "run that times out before storing the bases leaves them to the next run, which faces the same work."
    )
    method = f"""
DynamoDB Local, one table from template.yaml. Seeded through the service's own data-access functions (run against
the in-memory fake, then bulk-loaded with BatchWriteItem): {articles_count:,} catalogued articles in 8 sections
(`catalog.put_article`, so the sparse `catalog` index is filled), {len(history)} sealed slot summaries covering the
7-day window (`aggregates.put_chunked`) with the slot index marked summarised, and one minute of the open slot's view
log ({RATE:,} views/s, written by the stream consumer). Each summary holds the deduplicated counts of {RATE:,} views/s
of Zipf (s = 1) traffic; two shapes of the week: *news*, where each slot's readers pick from a pool of an eighth of
the catalog that moves through it over the week (so the week still covers every article), and *long tail*, where
every slot's readers pick from the whole catalog. Then the rank function three minutes into an hour with no bases
stored (both bases are rebuilt from the summaries), one second later (a normal minute), and an hour later (the
bases are rolled forward: the slots that left the windows subtracted, the new ones added).
Wall time and this process's CPU time (`time.process_time`). Seeding took
{", ".join(f"{name} {secs:.0f} s" for name, secs in seeding.items())} ({items:,} items).
"""
    return Section(
        "scale",
        TITLE,
        method,
        "python -m benchmarks.run scale",
        [table],
        findings,
        quick,
        time.monotonic() - started,
    )


def _verdict(seconds: float) -> str:
    return "well inside" if seconds < TIMEOUT / 2 else "inside" if seconds < TIMEOUT else "OUTSIDE"


def _drop_bases(pipeline: Pipeline) -> None:
    client = pipeline.ddb.client()
    for window in ("24h", "7d"):
        client.delete_item(TableName=pipeline.table, Key={"pk": {"S": keys.base_key(window)}, "sk": {"S": HEAD}})


def _timed(pipeline: Pipeline, label: str, now: float) -> Timed:
    meter = pipeline.meter
    meter.reset()
    wall, cpu = time.perf_counter(), time.process_time()
    report = pipeline.rank(now)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return Timed(
        label,
        report,
        wall,
        cpu,
        meter.units(read=True, component=RANKING),
        meter.units(read=False, component=RANKING),
    )
