"""3. DynamoDB capacity units per counted view and per ranking run, on DynamoDB Local (real consumed capacity)."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from mostread import keys
from mostread.services import reading

from benchmarks import seed
from benchmarks.common import DynamoDBLocal, table_spec
from benchmarks.fakes import FakeDynamoDB
from benchmarks.meter import FAMILY_NAMES, Meter, family, index_specs
from benchmarks.report import Section, Table
from benchmarks.sim import INGEST, RANKING, TRACKER, WIDGET, Pipeline
from benchmarks.workload import Traffic, make_catalog

TITLE = "3. DynamoDB units per counted view"
WRITE_PRICE = 0.625  # $ per million write request units, on demand, us-east-1 (FACTS.md)
READ_PRICE = 0.125  # $ per million read request units
REQUEST_PRICE = 1.00 + 0.20  # $ per million tracking requests: API Gateway HTTP API + Lambda requests
PREWARM = "an unmeasured run a minute before the hour"
NO_PREWARM = "no run before the hour (so minute 0 publishes every list for the first time)"
RUN_TIMEOUT = 55.0  # RankFunction's Timeout in template.yaml
WRITE_TARGET = 1.5
RANKING_READ_TARGET = 0.5
SLOT = 1800
SPECIAL_MINUTES = (0, 1, 2, 30, 31, 32)
WIDGET_LIMITS = (10, 50)  # runs that re-read or seal the previous slot, or move the bases on

Vector = dict[tuple[str, str], float]  # ("write" | "read", key family) -> units


@dataclass
class Scenario:
    label: str
    rate: int
    catalog: int
    view_minutes: int  # views are simulated for minutes [0, view_minutes) of the hour
    runs: list[int]  # minutes of the hour whose ranking run is executed and measured
    real_seconds: float | None  # views in [H + real_from, + real_seconds) go through the tracker; None: all
    real_from: float  # ... away from the slot boundary: a reload across it counts again, which would skew the ratio
    prev_fill_minutes: int  # the previous slot's log holds its last N minutes of views (30: all)
    history_slots: int  # sealed slots before the previous one (336: the whole 7-day window)
    prewarm: bool  # one unmeasured run a minute before the hour, so the hour starts in steady state
    seed: int


def scenarios(quick: bool) -> list[Scenario]:
    if quick:
        return [
            Scenario("10 views/s", 10, 2000, 6, list(range(7)), 120, 180, 30, 96, True, 11),
            Scenario("1,000 views/s", 1000, 3000, 5, [0, 1, 2, 4], 0.5, 180, 2, 24, False, 12),
        ]
    return [
        Scenario("10 views/s", 10, 2000, 60, list(range(60)), None, 0, 30, 336, True, 11),
        Scenario("1,000 views/s", 1000, 20000, 29, [0, 1, 2, 5, 10, 15, 20, 25, 29], 10, 300, 30, 336, True, 12),
    ]


@dataclass
class RunRecord:
    minute: int
    units: Vector
    rebuild: Vector
    seal: Vector
    seconds: float
    lists_written: int
    count_chunks_written: int


@dataclass
class Result:
    scenario: Scenario
    counted: int = 0  # counted views over the simulated minutes
    counted_real: int = 0  # ... of which went through the tracker
    requests_real: int = 0  # tracking requests (crawlers included) that went through the tracker
    recorded_real: int = 0  # ... answered "accepted": written as new view records
    views: int = 0  # views sent (crawlers included)
    tracker: Vector = field(default_factory=dict)
    ingest: Vector = field(default_factory=dict)
    runs: dict[int, RunRecord] = field(default_factory=dict)
    hour: list[Vector] = field(default_factory=list)
    how: list[str] = field(default_factory=list)
    ingest_batches: int = 0
    unmetered: dict[tuple[str, str], int] = field(default_factory=dict)
    refused: int = 0
    # (cold | warm container, limit) -> (items served, RCU)
    widget_reads: dict[tuple[str, int], tuple[int, float]] = field(default_factory=dict)
    seconds: float = 0.0
    timings: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))

    @property
    def counted_per_hour(self) -> float:
        return self.counted * 60 / self.scenario.view_minutes

    def per_view(self) -> dict[str, Vector]:
        """Units per counted view by component and (kind, family)."""
        ranking = _sum(self.hour)
        return {
            TRACKER: _scale(self.tracker, 1 / self.counted_real),
            INGEST: _scale(self.ingest, 1 / self.counted),
            RANKING: _scale(ranking, 1 / self.counted_per_hour),
        }


def _sum(vectors: Iterable[Vector]) -> Vector:
    total: defaultdict[tuple[str, str], float] = defaultdict(float)
    for vector in vectors:
        for key, units in vector.items():
            total[key] += units
    return dict(total)


def _scale(vector: Vector, factor: float) -> Vector:
    return {key: units * factor for key, units in vector.items()}


def _minus(vector: Vector, other: Vector) -> Vector:
    return {key: units - other.get(key, 0.0) for key, units in vector.items()}


def _kind(vector: Vector, kind: str) -> float:
    return sum(units for (k, _), units in vector.items() if k == kind)


# --- the simulation -----------------------------------------------------------------------------------------


def hour_start() -> int:
    """A simulated hour two days ahead of the real clock: DynamoDB Local's TTL must not expire what we write."""
    return (int(time.time()) // 86400 + 2) * 86400 + 12 * 3600


def simulate(ddb: DynamoDBLocal, scenario: Scenario) -> Result:
    started = time.monotonic()
    result = Result(scenario)
    pipeline = Pipeline(ddb, f"mostread-units-{scenario.rate}")
    try:
        _simulate(pipeline, scenario, result)
    finally:
        pipeline.close()
    result.seconds = time.monotonic() - started
    return result


def _simulate(pipeline: Pipeline, scenario: Scenario, result: Result) -> None:
    hour = hour_start()
    previous_slot = hour - SLOT
    settings = pipeline.settings
    articles = make_catalog(scenario.catalog, hour, scenario.seed)
    ids = [article.article_id for article in articles]

    clock = time.monotonic()

    def lap(name: str) -> None:
        nonlocal clock
        result.timings[name] += time.monotonic() - clock
        clock = time.monotonic()

    # A catalog, a week of sealed slots, and the previous slot's view log: the state at the top of an hour.
    fake = FakeDynamoDB(index_specs(table_spec(pipeline.table).create_kwargs))
    seed.write_catalog(fake, articles)
    counted_per_slot = int(scenario.rate * SLOT * 0.95 * 0.83)
    variants = seed.summary_variants(ids, counted_per_slot, 3, scenario.seed, SLOT, rotation=len(ids) // 50)
    history = range(previous_slot - scenario.history_slots * SLOT, previous_slot, SLOT)
    seed.write_history(fake, history, variants, SLOT, settings.ingest_grace_seconds, settings.retention_days)
    lap("seed data")
    pipeline.load(fake)
    lap("seed load")
    traffic = Traffic(ids, scenario.rate, scenario.seed)
    for minute in range(scenario.prev_fill_minutes, 0, -1):  # a minute at a time: a slot's records fill gigabytes
        pipeline.bulk(traffic.views(hour - minute * 60, 60), seeding=True)
    lap("seed previous slot")
    if scenario.prewarm:
        pipeline.rank(hour - 60, "prewarm")
    lap("prewarm")
    meter = pipeline.meter
    meter.reset()

    counted_from = traffic.counted
    generated_from = traffic.generated
    for minute in range(max(max(scenario.runs) + 1, scenario.view_minutes)):
        now = hour + minute * 60
        if minute in scenario.runs:
            lap("views")
            report = pipeline.rank(now, str(minute))
            lap("ranking")
            result.runs[minute] = _run_record(
                meter,
                minute,
                report.seconds,
                report.lists_written,
                report.count_chunks_written,
                previous_slot,
                scenario,
            )
        if minute >= scenario.view_minutes:
            continue
        real: tuple[float, float]
        if scenario.real_seconds is None:
            real = (now, now + 60.0)
        else:
            start = hour + scenario.real_from
            real = (min(max(now, start), now + 60), min(max(now, start + scenario.real_seconds), now + 60))
        for begin, end, tracked in ((now, real[0], False), (*real, True), (real[1], now + 60, False)):
            if end <= begin:
                continue
            before = traffic.counted
            views = traffic.views(begin, end - begin)
            if not tracked:
                result.ingest_batches += len(pipeline.bulk(views))
                continue
            result.counted_real += traffic.counted - before
            result.requests_real += len(views)
            pipeline.skip_stream()  # since the last read, only the consumer and the run wrote: no view records
            lap("views")
            tracked = pipeline.track(views)
            result.recorded_real += tracked.accepted
            lap("tracker")
            result.ingest_batches += len(pipeline.ingest(pipeline.stream_records()))
            lap("stream and ingest")
    for limit in WIDGET_LIMITS:
        for state in ("cold", "warm"):  # a new container fetches every card; a warm one keeps them
            if state == "cold":
                reading._cards.clear()
            served = pipeline.widget_read(limit, f"{state}{limit}")
            result.widget_reads[(state, limit)] = (served, _kind(_vector(meter, WIDGET, [f"{state}{limit}"]), "read"))
    result.counted = traffic.counted - counted_from
    result.views = traffic.generated - generated_from
    result.tracker = _vector(meter, TRACKER)
    result.ingest = _vector(meter, INGEST)
    result.unmetered = dict(meter.unmetered)
    result.refused = sum(meter.refused.values())
    result.hour, result.how = hour_estimate(result.runs)


def _vector(
    meter: Meter, component: str, parts: Iterable[str] | None = None, prev_log: str = "", prev_scale: float = 1.0
) -> Vector:
    wanted = set(parts) if parts is not None else None
    vector: defaultdict[tuple[str, str], float] = defaultdict(float)
    for kind, book in (("read", meter.read), ("write", meter.write)):
        for (comp, part, key), units in book.items():
            if comp == component and (wanted is None or part in wanted):
                vector[(kind, family(key))] += units * (prev_scale if key == prev_log else 1.0)
    return dict(vector)


def _run_record(
    meter: Meter, minute: int, seconds: float, lists: int, chunks: int, previous_slot: int, scenario: Scenario
) -> RunRecord:
    part = str(minute)
    # With a partly filled previous slot (quick mode), its log reads are scaled to a full slot's rows.
    prev_log, prev_scale = keys.log_key(previous_slot), 30 / scenario.prev_fill_minutes

    def units(*parts: str) -> Vector:
        return _vector(meter, RANKING, parts, prev_log, prev_scale)

    return RunRecord(
        minute,
        units(part, f"{part}:seal", f"{part}:rebuild"),
        units(f"{part}:rebuild"),
        units(f"{part}:seal"),
        seconds,
        lists,
        chunks,
    )


def hour_estimate(runs: dict[int, RunRecord]) -> tuple[list[Vector], list[str]]:
    """The 60 runs of an hour from the measured ones.

    Measured minutes count as measured. Minute 30+j of a half hour is like minute j of the first half (the
    same slot position), without the hourly base upkeep. Other regular minutes are fitted: their units
    grow linearly with the open slot's rows, so a least-squares line over the measured regular runs
    (by minute within the slot) stands in for them."""
    regular = [(minute % 30, record.units) for minute, record in runs.items() if minute not in SPECIAL_MINUTES]
    vectors: list[Vector] = []
    how: list[str] = []
    for minute in range(60):
        if minute in runs:
            vectors.append(runs[minute].units)
            how.append("measured")
        elif minute in SPECIAL_MINUTES and minute - 30 in runs:
            mirror = runs[minute - 30]
            vectors.append(_minus(mirror.units, mirror.rebuild))
            how.append("mirrored")
        else:
            vectors.append(_fit(regular, minute % 30))
            how.append("fitted")
    return vectors, how


def _fit(points: list[tuple[int, Vector]], at: int) -> Vector:
    if not points:
        raise ValueError("no regular ranking run was measured")
    names = {name for _, vector in points for name in vector}
    xs = [x for x, _ in points]
    mean_x = sum(xs) / len(xs)
    spread = sum((x - mean_x) ** 2 for x in xs)
    fitted: Vector = {}
    for name in names:
        ys = [vector.get(name, 0.0) for _, vector in points]
        mean_y = sum(ys) / len(ys)
        slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread if spread else 0.0
        fitted[name] = max(0.0, mean_y + slope * (at - mean_x))
    return fitted


# --- the report ----------------------------------------------------------------------------------------------


def _fmt(value: float) -> str:
    return f"{value:.4f}" if value < 0.1 else f"{value:.3f}"


def _units_table(results: list[Result]) -> Table:
    columns = ["component: item"]
    for result in results:
        columns += [f"{result.scenario.label} WCU/view", f"{result.scenario.label} RCU/view"]
    table = Table("Capacity units per counted view, by component and item", columns)
    per_view = [result.per_view() for result in results]
    for component in (TRACKER, INGEST, RANKING):
        families = sorted({fam for pv in per_view for (_, fam) in pv[component]})
        for fam in families:
            cells = []
            for pv in per_view:
                cells += [_fmt(pv[component].get(("write", fam), 0.0)), _fmt(pv[component].get(("read", fam), 0.0))]
            if any(float(cell) > 0 for cell in cells):
                table.add(f"{component}: {FAMILY_NAMES.get(fam, fam)}", *cells)
        cells = []
        for pv in per_view:
            cells += [f"**{_fmt(_kind(pv[component], 'write'))}**", f"**{_fmt(_kind(pv[component], 'read'))}**"]
        table.add(f"**{component} total**", *cells)
    cells = []
    for pv in per_view:
        everything = _sum(pv.values())
        cells += [f"**{_fmt(_kind(everything, 'write'))}**", f"**{_fmt(_kind(everything, 'read'))}**"]
    table.add("**all components**", *cells)
    return table


def _runs_table(results: list[Result]) -> Table:
    table = Table(
        "Ranking runs over the hour (60 runs; per run)",
        [
            "traffic",
            "runs measured",
            "RCU/run mean",
            "RCU/run max (minute)",
            "WCU/run mean",
            "hourly base upkeep RCU",
            "seal RCU",
            "run wall s mean / max",
        ],
    )
    for result in results:
        reads = [_kind(vector, "read") for vector in result.hour]
        writes = [_kind(vector, "write") for vector in result.hour]
        worst = max(range(60), key=lambda minute: reads[minute])
        rebuild = sum(_kind(record.rebuild, "read") for record in result.runs.values())
        seals = [_kind(record.seal, "read") for record in result.runs.values() if record.seal]
        walls = [record.seconds for record in result.runs.values()]
        table.add(
            result.scenario.label,
            f"{len(result.runs)} of 60",
            f"{sum(reads) / 60:,.0f}",
            f"{reads[worst]:,.0f} (:{worst:02d})",
            f"{sum(writes) / 60:,.0f}",
            f"{rebuild:,.0f}",
            f"{max(seals):,.0f}" if seals else "–",
            f"{sum(walls) / len(walls):.2f} / {max(walls):.2f}",
        )
    return table


def _cost_table(results: list[Result]) -> Table:
    table = Table(
        "Totals against the targets, and dollars per million counted views (on-demand, us-east-1)",
        [
            "traffic",
            "WCU/view (≤ 1.5)",
            "ranking RCU/view (< 0.5)",
            "all RCU/view",
            "DynamoDB $/M views",
            "API+Lambda requests $/M views",
            "counted views/h",
        ],
    )
    for result in results:
        everything = _sum(result.per_view().values())
        writes, reads = _kind(everything, "write"), _kind(everything, "read")
        ranking_reads = _kind(result.per_view()[RANKING], "read")
        dollars = writes * WRITE_PRICE + reads * READ_PRICE
        requests_per_view = result.views / result.counted
        table.add(
            result.scenario.label,
            f"{writes:.3f} {'✅' if writes <= WRITE_TARGET else '❌'}",
            f"{ranking_reads:.3f} {'✅' if ranking_reads < RANKING_READ_TARGET else '❌'}",
            f"{reads:.3f}",
            f"{dollars:.2f}",
            f"{requests_per_view * REQUEST_PRICE:.2f}",
            f"{result.counted_per_hour:,.0f}",
        )
    return table


def _findings(results: list[Result]) -> list[str]:
    findings = []
    for result in results:
        per_view = result.per_view()
        everything = _sum(per_view.values())
        writes, ranking_reads = _kind(everything, "write"), _kind(per_view[RANKING], "read")
        items = sorted(
            (
                (units, component, fam)
                for component, vector in per_view.items()
                for (kind, fam), units in vector.items()
                if kind == "write"
            ),
            reverse=True,
        )
        top = ", ".join(f"{component}: {FAMILY_NAMES.get(fam, fam)} {units:.3f}" for units, component, fam in items[:3])
        read_items = sorted(
            ((units, fam) for (kind, fam), units in per_view[RANKING].items() if kind == "read"), reverse=True
        )
        top_reads = ", ".join(f"{FAMILY_NAMES.get(fam, fam)} {units:.3f}" for units, fam in read_items[:3])
        verdict_w = "met" if writes <= WRITE_TARGET else "NOT met"
        verdict_r = "met" if ranking_reads < RANKING_READ_TARGET else "NOT met"
        findings.append(
            f"**{result.scenario.label}**: {writes:.3f} write units per counted view in total — target ≤ "
            f"{WRITE_TARGET} {verdict_w}; largest items: {top}. Ranking reads {ranking_reads:.3f} RCU per counted "
            f"view — target < {RANKING_READ_TARGET} {verdict_r}; largest: {top_reads}."
        )
    for result in results:
        tracker = _kind(result.per_view()[TRACKER], "write")
        recorded = result.recorded_real / result.counted_real
        publish = (
            sum(
                units
                for vector in result.hour
                for (kind, fam), units in vector.items()
                if kind == "write" and fam in (keys.LIST, keys.COUNTS)
            )
            / 60
        )
        findings.append(
            f"{result.scenario.label}: the tracker's conditional put is {tracker:.3f} WCU per counted view — one unit "
            f"per recorded view (items are under 1 KB) times {recorded:.2f} recorded views per counted view (a reload "
            f"carries a new event id, so it is recorded and only dropped at counting). Publishing lists and counts "
            f"costs {publish:,.0f} WCU per minute whatever the traffic "
            f"({publish * 60 / result.counted_per_hour:.3f} per counted view at this rate)."
        )
    for result in results:
        reads = ", ".join(
            f"{rcu:.1f} RCU {state} at limit {limit} ({served} items)"
            for (state, limit), (served, rcu) in result.widget_reads.items()
        )
        findings.append(
            f"{result.scenario.label}: one widget read (`GET /v1/rankings`, the all-sections 24h list: the list item, "
            "plus, in a container that has not yet served this list since its articles last changed, one strongly "
            f"consistent BatchGetItem of their cards) costs {reads}; not in the totals above, because how many "
            "reads reach DynamoDB depends on the CDN or browser cache in front "
            "(max-age 30 s)."
        )
    for result in results:
        slowest = max(result.runs.values(), key=lambda record: record.seconds)
        findings.append(
            f"{result.scenario.label}: the slowest measured ranking run (minute :{slowest.minute:02d}) took "
            f"{slowest.seconds:.1f} s on DynamoDB Local here, against the function's {RUN_TIMEOUT:.0f} s timeout; runs "
            f"at :00–:02 and :30–:32 re-read the whole previous slot from the view log (and :00 moves the bases on), "
            f"every other run re-reads the open slot."
        )
    unmetered: defaultdict[str, int] = defaultdict(int)
    for result in results:
        for (operation, fam), calls in result.unmetered.items():
            unmetered[f"{operation} on {fam}"] += calls
    if unmetered:
        findings.append(
            "Calls that do not pass ReturnConsumedCapacity (so `mostread.dal.client.meter` does not see their units; "
            "this benchmark added the parameter and counted them): "
            + ", ".join(f"{name} ×{calls}" for name, calls in sorted(unmetered.items()))
            + "."
        )
    return findings


def run(quick: bool, ddb: DynamoDBLocal) -> Section:
    started = time.monotonic()
    results = [simulate(ddb, scenario) for scenario in scenarios(quick)]
    describe = []
    for result in results:
        sc = result.scenario
        how = {label: result.how.count(label) for label in ("measured", "mirrored", "fitted")}
        through = (
            "all views"
            if sc.real_seconds is None
            else f"{sc.real_seconds:.0f} s from minute {sc.real_from / 60:.0f} ({result.requests_real:,} requests)"
        )
        describe.append(
            f"- **{sc.label}**: {sc.catalog:,} catalogued articles in 8 sections; {sc.view_minutes} simulated "
            f"minutes of views ({result.views:,} views, {result.counted:,} counted); {through} through the tracker "
            f"and the real stream, the rest handed to the stream consumer directly; "
            f"{result.ingest_batches:,} stream batches; previous slot filled for its last {sc.prev_fill_minutes} "
            f"minutes; {sc.history_slots} sealed slots of history; "
            f"{PREWARM if sc.prewarm else NO_PREWARM}; "
            "ranking runs measured / mirrored / fitted: "
            f"{how['measured']} / {how['mirrored']} / {how['fitted']}; {result.refused} conditional puts refused "
            f"(duplicates); took {result.seconds:.0f} s."
        )
    method = f"""
One table from template.yaml on DynamoDB Local, which reports real consumed capacity. Every call the service
makes through `mostread.dal.client.dynamodb()` is observed by a botocore hook (benchmarks/meter.py) and booked
to the component making it; a conditional put refused as a duplicate is booked at its item size (DynamoDB
charges it without reporting it). Time is simulated: the hour starts at a slot boundary with a week of sealed
slot summaries (written by the service's own `aggregates.put_chunked`, bulk-loaded), the catalog (written
by `catalog.put_article`, bulk-loaded), and the previous slot's view log (written by the stream consumer).

Traffic (benchmarks/workload.py): Zipf (s = 1) article popularity over the catalog, 15 % reloads (same visitor
and article within two minutes, new event id), 30 % of other views from a returning visitor, 5 % crawlers,
5 % widget clicks (`ref=mostread`), an event id on every view. Each view is one tracking request through
`record_views` with the real conditional put; the table's stream is read back and regrouped as Lambda's event
source mapping batches it — 4 stream shards (records by partition key), a batch closes at 1,000 records or
2 s after its first record — and `ingest_records` runs once per batch. The ranking run is called at the top
of each simulated minute. At 1,000 views/s DynamoDB Local cannot take an hour of puts, so only the first
seconds go through the tracker and the stream; the rest are handed to the stream consumer as the same stream
records (checked against `put_view`), so the view log, the ingest writes and the ranking reads are real and
full-size; tracker units per view come from the tracked part. Ranking runs at minutes 0–2 and 30–32 re-read
or seal the previous slot (and :00 moves the 24h/7d bases to the new hour); minute 30+j mirrors minute j without
that base upkeep; other
unmeasured minutes are fitted by least squares over the measured regular runs (their reads grow linearly with
the open slot). Per counted view = units over the hour / views counted in that hour. Prices: ${WRITE_PRICE} per
million write units, ${READ_PRICE} per million read units; API Gateway HTTP API $1.00 + Lambda $0.20 per million
requests (every view sent is a request, crawlers included). Storage and PITR are not included.

{chr(10).join(describe)}
"""
    return Section(
        "units",
        TITLE,
        method,
        "python -m benchmarks.run units",
        [_cost_table(results), _units_table(results), _runs_table(results)],
        _findings(results),
        quick,
        time.monotonic() - started,
    )
