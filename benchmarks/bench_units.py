"""3. DynamoDB units per counted view over simulated minutes on DynamoDB Local, and 6. the cost per page view."""

from __future__ import annotations

import gzip
import statistics
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from mostread.dal import summaries, viewlog
from mostread.dal.client import Db
from mostread.services.ranking.slots import summary_expiry
from mostread.timebuckets import Slot
from mostread_dev.meter import KINDS, kind_of
from mostread_dev.traffic import SyntheticArticle, SyntheticReaders, synthetic_catalog

from benchmarks import costs
from benchmarks.common import DynamoDBLocal
from benchmarks.pipeline import CATALOG, INGEST, RANKING, SEED, TRACKER, WIDGET, Counted, Pipeline, register
from benchmarks.report import Section, Table, console

TITLE = "3. DynamoDB units per counted view"
SLOT = 1800
BLOCK = 300  # the readers follow the catalog: new articles are read from the next 5-minute block on
WRITE_TARGET, RANKING_READ_TARGET = 1.5, 0.5
RUN_TIMEOUT = 55.0  # RankFunction's Timeout in template.yaml
TRACKED = 2000  # requests of each scenario sent through the tracker and read back from the stream
# At 1,000 views/s a simulated minute takes 80-120 s on the shared 2-CPU machine and seeding its week about 4
# minutes; 3 measured minutes keep `make bench` within 20 minutes there (section 3's method says so).
MINUTES_AT_1000 = 3
SAMPLE_MINUTE = 1  # the minute whose first TRACKED requests go through the real tracker


@dataclass(frozen=True)
class Scenario:
    label: str
    rate: int  # views sent per second, crawlers' included
    articles: int  # catalogued at the start of the hour, published over the 7 days before
    previous_minutes: int  # minutes of the previous slot that hold views (its last ones)
    seed: int
    # simulated minutes measured from 12:00, every view and every ranking run of them: an hour at 10 views/s; at
    # 1,000 views/s, logged view by view on DynamoDB Local, an hour takes over 40 minutes on 2 CPUs, so a stretch
    minutes: int = 60

    @property
    def stretch(self) -> str:
        return "the hour" if self.minutes == 60 else f"{self.minutes} simulated minutes (12:00–12:{self.minutes:02d})"


SCENARIOS = (
    Scenario("10 views/s", 10, 2_000, 30, 11),
    Scenario("1,000 views/s", 1_000, 20_000, 1, 12, minutes=MINUTES_AT_1000),
)


@dataclass
class Result:
    scenario: Scenario
    counted: Counted
    tracked_requests: int = 0
    tracked_reported: float = 0.0  # write units DynamoDB Local reported for the tracked requests' puts
    tracked_computed: float = 0.0  # ... and what DynamoDB's size rule gives for the same puts
    registered: int = 0
    runs: list[dict[str, Any]] = field(default_factory=list)
    units: dict[tuple[str, str, str], float] = field(default_factory=dict)  # (component, read|write, kind) -> units
    refused: int = 0
    unreported: dict[str, int] = field(default_factory=dict)
    widget: dict[tuple[str, int], tuple[int, float]] = field(default_factory=dict)  # (cold|warm, limit) -> items, RCU
    widget_bytes: tuple[int, int] = (0, 0)  # the 24h list at limit 10: JSON bytes, gzipped bytes
    tracking_bytes: float = 0.0  # a tracking call's answer: body and the headers the function sets
    tracking_request_bytes: float = 0.0  # a tracking call's body
    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))  # wall time in each function
    invocations: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    wall: float = 0.0

    def seconds_per_call(self, function: str) -> float:
        return self.seconds[function] / self.invocations[function]

    def units_per_request(self, *, read: bool) -> float:
        """Units of the measured minutes per tracking request (a page view), every component but the widget's reads."""
        return self.total(read=read) * self.counted.counted / self.counted.requests

    def per_view(self, component: str, kind: str | None = None, *, read: bool) -> float:
        """Units per counted view of the measured minutes."""
        wanted = "read" if read else "write"
        total = sum(
            units
            for (comp, direction, item_kind), units in self.units.items()
            if comp == component and direction == wanted and (kind is None or item_kind == kind)
        )
        return total / self.counted.counted

    def total_units(self, component: str, *, read: bool) -> float:
        """The measured minutes' units of one component."""
        return self.per_view(component, read=read) * self.counted.counted

    def total(self, *, read: bool) -> float:
        return sum(self.per_view(component, read=read) for component in (TRACKER, INGEST, RANKING, CATALOG))


def hour_start() -> int:
    """An hour two days ahead of the real clock (DynamoDB Local's TTL must not expire what is written), at 12:00 UTC."""
    return (int(time.time()) // 86400 + 2) * 86400 + 12 * 3600


def simulate(ddb: DynamoDBLocal, scenario: Scenario) -> Result:
    started = time.monotonic()
    pipeline = Pipeline(ddb, f"mostread-units-{scenario.rate}")
    hour = hour_start()
    try:
        articles = synthetic_catalog(scenario.articles, hour, scenario.seed)
        # the hour's new articles, registered as they are published: the catalog covers a week of publishing
        new = synthetic_catalog(scenario.articles // (7 * 24), hour + 3600, scenario.seed + 50, days=1 / 24)
        published = {article.article_id: article.published_ts for article in [*articles, *new]}
        counted = Counted(SLOT, set(published))
        result = Result(scenario, counted)
        pipeline.seed(lambda db: register(db, articles))
        pipeline.seed(lambda db: _seed_week(db, articles, hour - SLOT, scenario, published))
        console.print(f"[dim]{scenario.label}: seeded in {time.monotonic() - started:.0f} s[/dim]")
        # the previous slot's last minutes of views, with a ranking run every minute: a warm container at :00
        for minute in range(-scenario.previous_minutes, 0):
            now = hour + 60 * minute
            pipeline.rank(now, SEED)
            views = _readers(scenario, articles, [], published, now).timed(now, 60, scenario.rate)
            pipeline.deliver(pipeline.records(views), now + 60, SEED)
        console.print(f"[dim]{scenario.label}: previous slot sent, {time.monotonic() - started:.0f} s[/dim]")
        pipeline.meter.reset()
        pipeline.tracked = type(pipeline.tracked)()
        pending = sorted(new, key=lambda article: article.published_ts)
        registered: list[SyntheticArticle] = []
        readers = None
        pipeline.deliveries, pipeline.seconds = 0, defaultdict(float)
        for minute in range(scenario.minutes):
            now = hour + 60 * minute
            reads = pipeline.meter.units(read=True, component=RANKING)
            report = pipeline.rank(now)
            report["read_units"] = pipeline.meter.units(read=True, component=RANKING) - reads
            result.runs.append(report)
            while pending and pending[0].published_ts < now + 60:
                article = pending.pop(0)
                with pipeline.meter.scope(CATALOG):
                    register(pipeline.db, [article])
                registered.append(article)
            if minute % (BLOCK // 60) == 0 or readers is None:
                readers = _readers(scenario, articles, registered, published, now)
            views = readers.timed(now, 60, scenario.rate)
            counted.add(views)
            if minute == SAMPLE_MINUTE:  # a sample through the real tracker and the table's stream
                _track_sample(pipeline, views[:TRACKED], result)
                views = views[TRACKED:]
            pipeline.deliver(pipeline.records(views), now + 60)
            if minute % 30 == 29:
                counted.forget_before(now + 60)
            if scenario.rate >= 100:  # a long run says how far it is
                console.print(f"[dim]{scenario.label}: minute {minute} done, {time.monotonic() - started:.0f} s[/dim]")
        result.registered = len(registered)
        result.seconds["rank"] = sum(run["seconds"] for run in result.runs)
        result.seconds["ingest"] = pipeline.seconds[INGEST]
        result.invocations.update(rank=len(result.runs), ingest=pipeline.deliveries)
        _book(pipeline, result)
        end = hour + 60 * scenario.minutes
        _widget_reads(pipeline, result, end)
        _tracking_calls(pipeline, result, readers, end)
    finally:
        pipeline.close()
    result.wall = time.monotonic() - started
    return result


def _readers(
    scenario: Scenario,
    articles: Sequence[SyntheticArticle],
    registered: Sequence[SyntheticArticle],
    published: dict[str, float],
    now: float,
) -> SyntheticReaders:
    ids = [article.article_id for article in [*articles, *registered] if article.published_ts <= now]
    return SyntheticReaders(ids, seed=scenario.seed * 10_000 + int(now) // BLOCK, published=published)


def _seed_week(
    db: Db, articles: Sequence[SyntheticArticle], before: int, scenario: Scenario, published: dict[str, float]
) -> None:
    """Sealed slots for the 7 days before ``before``, as the ranking run leaves them: each day's readers (of the
    articles published by then, the newest read most) give its slots' counts; a summary and the slot index per slot."""
    counted_share = _counted_share(articles, published)
    views = int(scenario.rate * SLOT * counted_share)
    catalogued = {article.article_id for article in articles}
    # each day's counts, and its uncatalogued ids by summary partition: the same for the day's 48 slots
    by_day: dict[int, tuple[dict[str, list[int]], dict[int, dict[str, list[int]]]]] = {}
    for number in range(7 * 86400 // SLOT):
        slot = Slot(before - (number + 1) * SLOT, SLOT)
        day = number // 48
        if day not in by_day:
            ids = [article.article_id for article in articles if article.published_ts <= slot.end]
            readers = SyntheticReaders(ids or [articles[0].article_id], seed=scenario.seed + day, published=published)
            counts = readers.slot_counts(views)
            listed = {key: row for key, row in counts.items() if key in catalogued}
            by_partition: dict[int, dict[str, list[int]]] = defaultdict(dict)
            for key, row in counts.items():
                if key not in catalogued:
                    by_partition[summaries.partition_of_key(key)][key] = row
            by_day[day] = listed, by_partition
        listed, by_partition = by_day[day]
        generation = int((slot.end + 150) * 1000)
        expires_at = summary_expiry(slot)
        writer = summaries.orphan_writer(db, slot, generation, expires_at)
        partitions = 0
        for partition in sorted(by_partition):
            writer.add(partition, by_partition[partition])
            partitions |= 1 << partition
        summaries.put_summary(db, slot, listed, writer.finish(), generation, expires_at)
        viewlog.mark_slot(db, slot, (slot.end + 30) * 1000, slot.end + 8 * 86400)
        mark = viewlog.SlotMark(slot, (slot.end + 30) * 1000, None, None, 0, marks=1)
        viewlog.set_summarised(db, mark, generation, partitions)


def _counted_share(articles: Sequence[SyntheticArticle], published: dict[str, float]) -> float:
    """Counted views per view sent, for the readers' mix (crawlers, reloads, retries and junk ids count nothing)."""
    readers = SyntheticReaders([article.article_id for article in articles], seed=1, published=published)
    counted = Counted(SLOT, {article.article_id for article in articles})
    counted.add(readers.timed(0, 600, 20))
    return counted.counted / counted.views


def _track_sample(pipeline: Pipeline, requests: Sequence[Any], result: Result) -> None:
    """Requests through the real tracker and the real stream; the bulk path is held to what they wrote."""
    meter = pipeline.meter
    pipeline.set_stream(True)
    before = meter.units(read=False, component=TRACKER)
    pipeline.track(requests)
    result.tracked_requests = len(requests)
    result.tracked_reported = meter.units(read=False, component=TRACKER) - before
    records = pipeline.stream_records()
    pipeline.set_stream(False)
    result.tracked_computed = pipeline.check_records(requests, records)
    pipeline.deliver(records, requests[-1].sent_at)


def _book(pipeline: Pipeline, result: Result) -> None:
    meter = pipeline.meter
    for direction, book in (("read", meter.read), ("write", meter.write)):
        for (component, key), units in book.items():
            index = (component, direction, kind_of(key))
            result.units[index] = result.units.get(index, 0.0) + units
    # the tracker's puts of the views not sent: DynamoDB's size rule (the tracked sample shows it equals the report)
    bulk = (TRACKER, "write", "view#")
    result.units[bulk] = result.units.get(bulk, 0.0) + pipeline.tracked.computed_units
    result.refused = sum(count for (component, _), count in meter.refused.items() if component == TRACKER)
    result.refused += pipeline.tracked.duplicate
    result.unreported = {f"{operation} on {kind}": n for (operation, kind), n in meter.unreported.items()}


def _widget_reads(pipeline: Pipeline, result: Result, now: float) -> None:
    """``GET /v1/rankings`` (the all-sections 24h list) in a new read container and then a warm one."""
    from mostread import caches
    from mostread.dal.client import default_db

    meter = pipeline.meter
    for limit in (10, 50):
        for state in ("cold", "warm"):
            if state == "cold":
                caches.reset()  # a new container: no cards held
                meter.attach(default_db().client)
            before = meter.units(read=True, component=WIDGET)
            clock = time.perf_counter()
            status, body, _ = pipeline.read(f"/v1/rankings?window=24h&limit={limit}", now)
            if state == "warm":
                result.seconds["read"] += time.perf_counter() - clock
                result.invocations["read"] += 1
            assert status == 200, body[:200]
            items = body.count(b'"rank"')
            result.widget[(state, limit)] = (items, meter.units(read=True, component=WIDGET) - before)
            if limit == 10:
                result.widget_bytes = (len(body), len(gzip.compress(body, 6)))


def _tracking_calls(pipeline: Pipeline, result: Result, readers: SyntheticReaders | None, now: float) -> None:
    """Tracking calls through the track function's handler (as API Gateway delivers them): its time per call and
    the sizes of what goes in and out, for section 6."""
    assert readers is not None
    requests = [request for request in readers.timed(now, 60, 4) if request.kind != "bot"][:100]
    answers = []
    for request in requests:
        clock = time.perf_counter()
        answers.append(pipeline.post_views(request, now))
        result.seconds["track"] += time.perf_counter() - clock
    result.invocations["track"] = len(requests)
    result.tracking_bytes = statistics.mean(
        len(body) + sum(len(k) + len(v) + 4 for k, v in h.items()) for body, h in answers
    )
    result.tracking_request_bytes = statistics.mean(len(request.body) for request in requests)


# --- the report ----------------------------------------------------------------------------------------------


def _fmt(value: float) -> str:
    return f"{value:.4f}" if value < 0.1 else f"{value:.3f}"


def _totals_table(results: list[Result]) -> Table:
    table = Table(
        "Totals against the targets, per counted view (on-demand prices, us-east-1)",
        [
            "traffic",
            "minutes measured",
            "counted views",
            f"WCU/view (≤ {WRITE_TARGET})",
            f"ranking RCU/view (< {RANKING_READ_TARGET})",
            "all RCU/view",
            "DynamoDB $/M counted views",
        ],
    )
    for result in results:
        writes, reads = result.total(read=False), result.total(read=True)
        ranking = result.per_view(RANKING, read=True)
        table.add(
            result.scenario.label,
            f"{result.scenario.minutes}",
            f"{result.counted.counted:,}",
            f"{writes:.3f} {'✅' if writes <= WRITE_TARGET else '❌'}",
            f"{ranking:.3f} {'✅' if ranking < RANKING_READ_TARGET else '❌'}",
            f"{reads:.3f}",
            f"{costs.dynamodb(writes, reads):.2f}",
        )
    return table


def _items_table(results: list[Result]) -> Table:
    columns = ["component: item"]
    for result in results:
        columns += [f"{result.scenario.label} WCU/view", f"{result.scenario.label} RCU/view"]
    table = Table("Capacity units per counted view, by component and item", columns)
    for component in (TRACKER, INGEST, RANKING, CATALOG):
        kinds = sorted({kind for result in results for (comp, _, kind) in result.units if comp == component})
        for kind in kinds:
            cells = []
            for result in results:
                cells += [
                    _fmt(result.per_view(component, kind, read=False)),
                    _fmt(result.per_view(component, kind, read=True)),
                ]
            if any(float(cell) > 0 for cell in cells):
                table.add(f"{component}: {KINDS.get(kind, kind)}", *cells)
        cells = []
        for result in results:
            cells += [f"**{_fmt(result.per_view(component, read=False))}**"]
            cells += [f"**{_fmt(result.per_view(component, read=True))}**"]
        table.add(f"**{component} total**", *cells)
    return table


def _runs_table(results: list[Result]) -> Table:
    table = Table(
        "The ranking runs of the measured minutes (one a minute), every one measured",
        [
            "traffic",
            "runs",
            "WCU / RCU per run, mean",
            "log rows read per run, mean / max",
            "run wall s, mean / max (minute)",
            "slots sealed",
            "bases",
        ],
    )
    for result in results:
        rows = [run["log_rows_read"] for run in result.runs]
        walls = [run["seconds"] for run in result.runs]
        slowest = max(range(len(walls)), key=walls.__getitem__)
        bases = sorted({f"{window} {action}" for run in result.runs for window, action in run["bases"].items()})
        table.add(
            result.scenario.label,
            f"{len(result.runs)}",
            f"{result.total_units(RANKING, read=False) / len(result.runs):,.1f} / "
            f"{result.total_units(RANKING, read=True) / len(result.runs):,.1f}",
            f"{statistics.mean(rows):,.0f} / {max(rows):,}",
            f"{statistics.mean(walls):.2f} / {max(walls):.2f} (:{slowest:02d})",
            f"{sum(run['slots_sealed'] for run in result.runs)}",
            ", ".join(bases),
        )
    return table


def _findings(results: list[Result]) -> list[str]:
    findings = []
    for result in results:
        label = result.scenario.label
        writes = result.total(read=False)
        ranking = result.per_view(RANKING, read=True)
        top = sorted(
            ((result.per_view(comp, kind, read=False), comp, kind) for comp, direction, kind in result.units),
            reverse=True,
        )[:3]
        top_text = ", ".join(f"{comp}: {KINDS.get(kind, kind)} {units:.3f}" for units, comp, kind in top)
        findings.append(
            f"**{label}**: {writes:.3f} write units per counted view (target ≤ {WRITE_TARGET}: "
            f"{'met' if writes <= WRITE_TARGET else 'NOT met'}); largest {top_text}. The ranking run reads "
            f"{ranking:.3f} RCU per counted view (target < {RANKING_READ_TARGET}: "
            f"{'met' if ranking < RANKING_READ_TARGET else 'NOT met'})."
        )
    for result in results:
        tracker = result.per_view(TRACKER, read=False)
        findings.append(
            f"{result.scenario.label}: the tracker's conditional put is {tracker:.3f} WCU per counted view: one unit "
            f"per put (view items are under 1 KB) and {result.counted.views / result.counted.counted:.2f} views sent "
            f"per counted view; of the puts, {result.refused:,} were refused as duplicates (retries) and charged "
            f"anyway. On the {result.tracked_requests:,} tracked requests DynamoDB Local reported "
            f"{result.tracked_reported:,.0f} write units and the size rule gives {result.tracked_computed:,.0f}."
        )
    for result in results:
        reads = ", ".join(
            f"{rcu:.1f} RCU {state} at limit {limit} ({items} items)"
            for (state, limit), (items, rcu) in result.widget.items()
        )
        findings.append(
            f"{result.scenario.label}: one widget read (`GET /v1/rankings`, the 24h list; a new read container also "
            f"fetches the listed articles' cards, strongly consistent) costs {reads}. Not in the totals: how many "
            "reads reach the API depends on the CDN (section 6)."
        )
    for result in results:
        registering = [run["read_units"] for run in result.runs if run["registrations"]]
        others = [run["read_units"] for run in result.runs if not run["registrations"] and not run["slots_sealed"]]
        if registering and others:
            findings.append(
                f"{result.scenario.label}: a run that takes in newly registered articles reads "
                f"{statistics.mean(registering):,.0f} RCU on average ({len(registering)} runs, "
                f"{result.registered} articles), a run that neither registers nor seals "
                f"{statistics.mean(others):,.0f}: a new article's earlier views are looked up in the uncatalogued part "
                "of every sealed slot of the week (`osum#`) and added to the bases."
            )
    for result in results:
        slowest = max(run["seconds"] for run in result.runs)
        findings.append(
            f"{result.scenario.label}: the slowest ranking run took {slowest:.1f} s on DynamoDB Local here "
            f"(the function's timeout: {RUN_TIMEOUT:.0f} s"
            + ("; longer than it: as configured, Lambda would stop such a run" if slowest > RUN_TIMEOUT else "")
            + "). Each run reads only the log chunks written since its "
            "previous read (less a 45 s margin for chunks written late), so a run's reads follow the traffic of the "
            "last minute or two, not the size of the open slot."
        )
        catching = [run for run in result.runs if run.get("catching_up")]
        if catching:
            slow_stage = max(
                ((stage, seconds) for run in result.runs for stage, seconds in run["stage_seconds"].items()),
                key=lambda pair: pair[1],
            )
            findings.append(
                f"{result.scenario.label}: in {len(catching)} of {len(result.runs)} measured runs a base was still "
                f"extending backward (the first runs after the benchmark's cold start), so "
                f"{', '.join(sorted({window for run in catching for window in run['catching_up']}))} counted from the "
                "base's first slot and its lists stayed as last published; the longest stage of any run was "
                f"{slow_stage[0]} at {slow_stage[1]:.1f} s."
            )
    for result in results:
        minutes = result.scenario.minutes
        hourly = {
            read: sum(result.total_units(component, read=read) for component in (TRACKER, INGEST, RANKING, CATALOG))
            * 60
            / minutes
            for read in (False, True)
        }
        how = (
            "measured over the hour"
            if minutes == 60
            else f"*derived*: the {minutes} measured minutes' units × 60 / {minutes}, not measured over an hour"
        )
        findings.append(
            f"{result.scenario.label} ({how}): {hourly[False]:,.0f} write and {hourly[True]:,.0f} read units an hour, "
            f"${costs.dynamodb(hourly[False], hourly[True]) / 1e6 * 24 * 30:,.2f} a month of 30 days on demand "
            "(tracker, stream consumer, ranking runs and catalog; the widget's reads are in section 6)."
        )
    unreported = defaultdict(int)
    for result in results:
        for name, calls in result.unreported.items():
            unreported[name] += calls
    if unreported:
        findings.append(
            "Calls made without ReturnConsumedCapacity (the meter added it, so they are counted): "
            + ", ".join(f"{name} ×{calls}" for name, calls in sorted(unreported.items()))
            + "."
        )
    return findings


METHOD = """
The tables of template.yaml on DynamoDB Local, which reports the capacity each call consumes. Every call the service
makes on its DynamoDB client is observed from outside by botocore hooks (`mostread_dev.meter`) and booked to the
function making it; a conditional put refused as a duplicate is booked at its item size (DynamoDB charges it without
reporting it).

State at the start (12:00 UTC, two days ahead of the clock so that TTL leaves it alone), written
with the service's own writers on the in-memory fake and bulk-loaded: the catalog (articles published over the
previous 7 days, Korean titles and summaries), a week of sealed slots (a summary of catalogued and of uncatalogued
ids, and the slot index, per slot; each day's counts drawn from the readers of that day), then the last minutes of
the previous slot sent through the stream consumer with a ranking run every minute, so the measured minutes start
with a warm ranking container and bases in use.

Measured: every simulated minute from 12:00 for an hour at 10 views/s and for {minutes_1000} minutes at 1,000 views/s
(an hour at that rate, logged view by view on DynamoDB Local, takes more than 40 minutes on this machine), every
view of them and a ranking run (the rank function's handler) at the top of every minute, each run measured; the minute's
views from `mostread_dev.traffic` (Zipf popularity, mostly the newest articles, new visitors and returning ones,
reloads, retries, batches, 5 % crawlers, 10 % widget clicks, 2 % junk ids, the readers renewed every 5 minutes so
new articles are read); new articles registered as they are published (a week's catalog in 168 hours). The first
{tracked:,} requests of minute {sample} go through `track_views` with the real conditional puts and the table's stream
is read back; the records of all other requests are built by the tracker's own steps and `put_view`, kept instead of
sent, and their put's units computed by DynamoDB's size rule (the tracked requests check both: the same items, the
same units). Stream records are batched as the event source mapping of template.yaml does (4 shards by partition
key, 1,000 records or 5 s) and logged by `ingest_records` at each batch's delivery time. A view counted: the first
of its visitor and article in the 30-minute slot, from a browser, of a catalogued article. Per counted view = the
measured minutes' units / their counted views. A stretch shorter than the 30-minute slot counts a larger share of
its views (fewer readers come back within it), and its one slot sealing (the previous slot's, at 12:00) falls among
fewer runs than an hour's two in 60: its per-view figures are for that stretch, as measured. Figures per hour or
month are *derived*: measured rates per view or per run times a rate of traffic, and are labelled so. Prices:
${write} per million write units, ${read} per million read units
(on demand, us-east-1, {dynamodb_url}). Storage, backups and streams are not included.
"""


def run(quick: bool, ddb: DynamoDBLocal) -> list[Section]:
    started = time.monotonic()
    scenarios = SCENARIOS[:1] if quick else SCENARIOS
    results = [simulate(ddb, scenario) for scenario in scenarios]
    describe = [
        f"- **{result.scenario.label}**: {result.scenario.articles:,} articles catalogued at the start, "
        f"{result.registered} registered during {result.scenario.stretch}; {result.counted.views:,} views sent "
        f"({result.counted.counted:,} counted), {result.invocations['ingest']:,} stream batches; the previous slot "
        f"holds its last {result.scenario.previous_minutes} minutes of views; took {result.wall:.0f} s."
        for result in results
    ]
    method = METHOD.format(
        tracked=TRACKED,
        sample=SAMPLE_MINUTE,
        minutes_1000=MINUTES_AT_1000,
        write=costs.WRITE_UNIT,
        read=costs.READ_UNIT,
        dynamodb_url=costs.DYNAMODB_URL,
    ) + "\n".join(describe)
    units = Section(
        "units",
        TITLE,
        method,
        "python -m benchmarks.run units",
        [_totals_table(results), _items_table(results), _runs_table(results)],
        _findings(results),
        quick,
        time.monotonic() - started,
    )
    return [units, costs.section(results, quick, time.monotonic() - started)]
