"""The deployed pipeline on DynamoDB Local under a simulated clock (benchmarks 3, 4 and 6).

Requests from ``mostread_dev.traffic`` go through the tracker (``track_views`` with the real conditional put, several
at once as concurrent containers would); the table's stream is read back and batched as the event source mapping of
template.yaml does it (``Batcher``: per shard, ``BatchSize`` records or ``MaximumBatchingWindowInSeconds``); the
ingest and rank functions' handlers run at the simulated time (their ``system_clock`` replaced, as the tests do).
Views that DynamoDB Local could not take through the tracker in reasonable time go straight to the stream consumer
(``records``): the same items, built by the same ``track_views`` and ``put_view`` with a client that keeps them
instead of sending them, which also computes their write units by DynamoDB's size rule. Every call the service makes
on the one DynamoDB client is metered (``mostread_dev.meter``); state is seeded with the service's own writers on
the in-memory fake, then bulk-loaded.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import time
import zlib
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError
from mostread import bots
from mostread.article_models import Article
from mostread.config import settings
from mostread.dal import catalog, salts
from mostread.dal.client import Db, default_db
from mostread.dal.views import RecordedView, put_view
from mostread.logrow import LoggedView
from mostread.models import ViewIn
from mostread.services.catalog import catalog_version
from mostread.services.ingest import ingest_records
from mostread.services.tracking import Reader, track_views
from mostread.timebuckets import day_of, slot_start
from mostread.visitor import address_hash, event_key, visitor_hash
from mostread_dev.apigw import HttpRequest, build_event, response_from_result
from mostread_dev.fake_dynamodb import FakeDynamoDB, fake_indexes, item_size
from mostread_dev.functions import LambdaContext, import_file
from mostread_dev.meter import Meter, write_units
from mostread_dev.streams import lambda_record
from mostread_dev.template import load_template
from mostread_dev.traffic import SyntheticArticle, SyntheticRequest

from benchmarks.common import REGION, ROOT, DynamoDBLocal, load_items, table_spec, use_table

TRACKER, INGEST, RANKING, CATALOG, WIDGET, SEED = "tracker", "ingest", "ranking", "catalog", "widget read", "seed"
SHARDS = 4  # stream shards of a small on-demand table; records go to a shard by partition key
Record = dict[str, Any]


def record_time(record: Record) -> float:
    return int(record["dynamodb"]["NewImage"]["t"]["N"]) / 1000


@dataclass
class Delivery:
    at: float
    records: list[Record]


class Batcher:
    """Stream records as a Lambda event source mapping hands them over: per shard, a batch closes when it holds
    ``batch_size`` records, or ``window`` seconds after its first record. Records are added in time order."""

    def __init__(self, shards: int, batch_size: int, window: float) -> None:
        self.batch_size, self.window = batch_size, window
        self._open: list[list[Record]] = [[] for _ in range(shards)]
        self._closed: list[Delivery] = []

    def add(self, records: Iterable[Record]) -> None:
        for record in records:
            shard = self._open[zlib.crc32(record["dynamodb"]["Keys"]["pk"]["S"].encode()) % len(self._open)]
            t = record_time(record)
            if shard and t >= record_time(shard[0]) + self.window:
                self._closed.append(Delivery(record_time(shard[0]) + self.window, shard[:]))
                shard.clear()
            shard.append(record)
            if len(shard) == self.batch_size:
                self._closed.append(Delivery(t, shard[:]))
                shard.clear()

    def due(self, until: float) -> list[Delivery]:
        """The batches delivered by ``until``, in delivery order."""
        for shard in self._open:
            if shard and record_time(shard[0]) + self.window <= until:
                self._closed.append(Delivery(record_time(shard[0]) + self.window, shard[:]))
                shard.clear()
        due = sorted((delivery for delivery in self._closed if delivery.at <= until), key=lambda d: d.at)
        self._closed = [delivery for delivery in self._closed if delivery.at > until]
        return due


@dataclass
class Tracked:
    """What the tracker answered, and the write units of its puts (computed where they were not sent)."""

    requests: int = 0
    accepted: int = 0
    duplicate: int = 0
    ignored: int = 0
    computed_units: float = 0.0  # write units of the puts kept instead of sent, by DynamoDB's size rule

    def add(self, other: Tracked) -> None:
        for name in ("requests", "accepted", "duplicate", "ignored", "computed_units"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


class _Keeper:
    """A DynamoDB client that keeps the view items put to it: a put of an event key seen before is refused, as
    the conditional put would be (retries resend an event id within seconds: the recent keys suffice)."""

    def __init__(self, remembered: int = 200_000) -> None:
        self.items: list[Record] = []
        self.units = 0.0
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._remembered = remembered

    def put_item(self, *, Item: Record, **_: Any) -> dict[str, Any]:
        # DynamoDB charges a refused conditional put too. Names and values, at 3 bytes a character (UTF-8 in the
        # Basic Multilingual Plane), bound the item's size: below 1 KB of that, it is one unit.
        bound = sum(len(name) + 3 * len(value.get("S") or value.get("N") or "") for name, value in Item.items())
        self.units += 1 if bound < 1024 else write_units(item_size(Item))
        pk = Item["pk"]["S"]
        if pk in self._seen:
            error = {"Error": {"Code": "ConditionalCheckFailedException", "Message": "The conditional request failed"}}
            raise ClientError(error, "PutItem")  # type: ignore[arg-type]
        self.remember(pk)
        self.items.append(Item)
        return {}

    def remember(self, pk: str) -> None:
        self._seen[pk] = None
        if len(self._seen) > self._remembered:
            self._seen.popitem(last=False)


class Pipeline:
    def __init__(self, ddb: DynamoDBLocal, table: str, *, tracker_threads: int = 6) -> None:
        self.ddb, self.table = ddb, table
        ddb.create_tables(table)
        use_table(table, ddb.endpoint)
        os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"  # EMF lines are CloudWatch's; no DynamoDB call
        logging.getLogger(os.environ["POWERTOOLS_SERVICE_NAME"]).setLevel(logging.ERROR)  # a line per run otherwise
        self.settings = settings()
        self.indexes = fake_indexes(table_spec(table).create_kwargs)
        self.meter = Meter(self.indexes)
        self.db = default_db()
        self.meter.attach(self.db.client)
        self.consumer = load_template().stream_consumers()[0]
        self.batcher = Batcher(SHARDS, self.consumer.batch_size, self.consumer.batching_window_seconds)
        self.functions = {
            name: import_file(ROOT / "functions" / name / "app.py", f"bench_{name}") for name in FUNCTIONS
        }
        self._streams = ddb.client("dynamodbstreams")
        self._stream_arn = ""
        self._iterators: dict[str, str | None] = {}
        self.set_stream(False)  # on only while tracked views are read back
        self._pool = ThreadPoolExecutor(tracker_threads, thread_name_prefix="tracker")
        self._shards = ThreadPoolExecutor(SHARDS, thread_name_prefix="ingest")
        self._keeper = _Keeper()
        self._hashes: dict[tuple[bytes, Any], tuple[str, str]] = {}
        self._days: dict[int, str] = {}
        self._sequence = itertools.count(1)
        self.tracked = Tracked()
        self.deliveries = 0
        self.seconds: defaultdict[str, float] = defaultdict(float)  # wall time in each function, for its cost

    def close(self) -> None:
        self._pool.shutdown()
        self._shards.shutdown()
        self.ddb.delete_tables(self.table)

    def seed(self, fill: Callable[[Db], object]) -> int:
        """Write state with the service's own writers on the in-memory fake, then bulk-load it; returns the items."""
        fake = FakeDynamoDB(self.indexes)
        fill(Db(fake, self.table))
        return load_items(self.ddb.client(), self.table, fake.items(self.table))

    # -- the tracker ----------------------------------------------------------------------------------------

    def track(self, requests: Sequence[SyntheticRequest]) -> Tracked:
        """Each request through ``track_views`` and the real conditional put, six at a time."""
        meter = self.meter

        def one(request: SyntheticRequest) -> tuple[int, int, int, float]:
            meter.set_second(request.sent_at, this_thread=True)
            started = time.perf_counter()
            answer = _track(request).answer
            return answer.accepted, answer.duplicate, answer.ignored, time.perf_counter() - started

        tally = Tracked(requests=len(requests))
        with meter.scope(TRACKER):
            for accepted, duplicate, ignored, seconds in self._pool.map(one, requests):
                tally.accepted += accepted
                tally.duplicate += duplicate
                tally.ignored += ignored
                self.seconds["track"] += seconds
        self.tracked.add(tally)
        return tally

    def records(self, requests: Sequence[SyntheticRequest]) -> list[Record]:
        """The stream records the tracker would cause, without DynamoDB: for each view the item ``put_view`` builds,
        kept by a client that refuses an event key seen before. The steps of ``tracking.track_views`` (crawler check,
        the slot's salt, the visitor and address hashes, the event key), with the hashes computed once per visitor;
        ``check_records`` holds them to the real tracker's items."""
        keeper = self._keeper
        keeper.items, keeper.units = [], 0.0
        db = Db(keeper, self.table)  # type: ignore[arg-type]
        config = self.settings
        retention = config.retention_days * 86400
        tally = Tracked(requests=len(requests))
        with self.meter.scope(TRACKER):  # the day's salt: read once per container and day
            for request in requests:
                visitor = request.visitor
                if bots.ignore_reason(visitor.user_agent, request.headers):
                    tally.ignored += len(request.views)
                    continue
                slot = slot_start(request.sent_at, config.slot_seconds)
                day = self._days.get(slot) or self._days.setdefault(slot, day_of(slot, config.zone))
                salt = salts.daily_salt(day, request.sent_at)
                hashes = self._hashes.get((salt, visitor))
                if hashes is None:
                    hashes = (visitor_hash(salt, visitor.ip, visitor.user_agent), address_hash(salt, visitor.ip))
                    self._hashes[(salt, visitor)] = hashes
                    if len(self._hashes) > 500_000:
                        self._hashes.clear()
                visitor_key, address = hashes
                received_ms, expires_at = int(request.sent_at * 1000), int(request.sent_at) + retention
                for view in request.views:
                    article_id = view["article_id"]
                    key = event_key(view.get("event_id"), visitor_key, article_id, slot)
                    logged = LoggedView(article_id, visitor_key, received_ms, key, address, view.get("ref") or "")
                    if put_view(RecordedView(logged, expires_at), db):
                        tally.accepted += 1
                    else:
                        tally.duplicate += 1
        tally.computed_units = keeper.units
        self.tracked.add(tally)
        return [self._record(item) for item in keeper.items]

    def check_records(self, requests: Sequence[SyntheticRequest], tracked: Sequence[Record]) -> float:
        """Fail when ``records`` stops building what the real tracker wrote for the same requests; returns the write
        units the size rule gives for those puts. Their event keys count as seen from now on."""
        saved = self._keeper, self.tracked
        self._keeper, self.tracked = _Keeper(), Tracked()
        try:
            built = {json.dumps(r["dynamodb"]["NewImage"], sort_keys=True) for r in self.records(requests)}
            units = self._keeper.units
        finally:
            self._keeper, self.tracked = saved
        written = {json.dumps(r["dynamodb"]["NewImage"], sort_keys=True) for r in tracked}
        if built != written:
            raise AssertionError(f"records() drifted from the tracker: {sorted(built ^ written)[:2]}")
        for record in tracked:
            self._keeper.remember(record["dynamodb"]["Keys"]["pk"]["S"])
        return units

    def _record(self, item: Record) -> Record:
        sequence = f"{next(self._sequence):021d}"
        keys = {"pk": item["pk"], "sk": item["sk"]}
        change = {"Keys": keys, "NewImage": item, "SequenceNumber": sequence, "StreamViewType": "NEW_IMAGE"}
        return {"eventID": f"bulk-{sequence}", "eventName": "INSERT", "eventSource": "aws:dynamodb", "dynamodb": change}

    def set_stream(self, enabled: bool) -> None:
        """Turn the table's stream on (a new, empty one: for views sent through the tracker, read back) or off while
        nothing reads it (DynamoDB Local then stops copying every item into it; consumed capacity is the same)."""
        spec = {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"} if enabled else {"StreamEnabled": False}
        client = self.ddb.client()
        client.update_table(TableName=self.table, StreamSpecification=spec)  # type: ignore[arg-type]
        self._stream_arn = client.describe_table(TableName=self.table)["Table"].get("LatestStreamArn", "")
        self._iterators = {}

    def stream_records(self) -> list[Record]:
        """Every record the stream got since the last call, in Lambda's shape, that the consumer's filter accepts."""
        for shard in self._streams.describe_stream(StreamArn=self._stream_arn)["StreamDescription"]["Shards"]:
            if shard["ShardId"] not in self._iterators:
                self._iterators[shard["ShardId"]] = self._streams.get_shard_iterator(
                    StreamArn=self._stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
        records: list[Record] = []
        for shard_id, iterator in list(self._iterators.items()):
            while iterator:
                page = self._streams.get_records(ShardIterator=iterator, Limit=1000)
                converted = (lambda_record(record, self._stream_arn) for record in page["Records"])
                records.extend(record for record in converted if self.consumer.accepts(record))
                iterator = page.get("NextShardIterator")
                if not page["Records"]:
                    break
            self._iterators[shard_id] = iterator
        return sorted(records, key=record_time)

    # -- the ingest, rank and read functions --------------------------------------------------------------------

    def deliver(self, records: Iterable[Record], until: float, component: str = INGEST) -> int:
        """Batch ``records`` and log every batch delivered by ``until`` with the stream consumer (``ingest_records``,
        what the ingest function's handler calls; the handler adds metrics and logs), one invocation per shard at a
        time as Lambda does, each at its delivery time."""
        self.batcher.add(records)
        due = self.batcher.due(until)
        meter = self.meter

        def one(delivery: Delivery) -> float:
            meter.set_second(delivery.at, this_thread=True)
            started = time.perf_counter()
            result = ingest_records(self.db, delivery.records, lambda: delivery.at)
            if result.failed_sequence_numbers:
                raise RuntimeError(f"the stream consumer failed a batch: {result}")
            return time.perf_counter() - started

        with meter.scope(component):
            self.seconds[component] += sum(self._shards.map(one, due))
        self.deliveries += len(due)
        return len(due)

    def rank(self, now: float, component: str = RANKING) -> dict[str, Any]:
        """The scheduled ranking function, invoked at ``now``; its report."""
        rank = self.functions["rank"]
        with self.meter.scope(component):
            self.meter.set_second(now)
            rank.system_clock = lambda: now
            report: dict[str, Any] = rank.handler({"source": "aws.events"}, _context("RankFunction", 55, 1024))
        return report

    def post_views(self, request: SyntheticRequest, now: float) -> tuple[bytes, dict[str, str]]:
        """``POST /v1/views`` through the track function's handler, as API Gateway delivers it; the answer."""
        track = self.functions["track"]
        track.system_clock = lambda: now
        http = HttpRequest("POST", "/v1/views", tuple(request.headers.items()), request.body, request.visitor.ip)
        event = build_event(http, "POST /v1/views", {}, request_id="bench", now=now)
        with self.meter.scope(TRACKER):
            response = response_from_result(track.handler(event, _context("TrackFunction", 15)))
        if response.status != 202:
            raise RuntimeError(f"the tracker answered {response.status}: {response.body[:200]!r}")
        return response.body, dict(response.headers)

    def read(self, target: str, now: float, component: str = WIDGET) -> tuple[int, bytes, dict[str, str]]:
        """``GET target`` through the read function's handler: status, body and headers of the response."""
        request = HttpRequest("GET", target, (("accept-encoding", "gzip"), ("user-agent", "benchmark")))
        event = build_event(request, "GET /v1/rankings", {}, request_id="bench", now=now)
        with self.meter.scope(component):
            self.meter.set_second(now)
            response = response_from_result(self.functions["read"].handler(event, _context("ReadFunction", 15)))
        return response.status, response.body, dict(response.headers)


FUNCTIONS = ("track", "rank", "read")


def _track(request: SyntheticRequest) -> Any:
    views = [ViewIn.model_validate(view) for view in request.views]
    return track_views(views, Reader(request.visitor.ip, request.visitor.user_agent, request.headers), request.sent_at)


def register(db: Db, articles: Iterable[SyntheticArticle], now: float | None = None) -> None:
    """What the catalog function stores for the CMS's PUT of each article (at its publication, unless ``now``)."""
    for article in articles:
        entry = Article(article_id=article.article_id, **article.body())
        catalog.put_article(db, entry, catalog_version(entry.model_dump()), now or article.published_ts)


def _context(function_name: str, timeout: int, memory: int = 256) -> LambdaContext:
    context = LambdaContext(function_name, memory, timeout, REGION, f"bench-{time.monotonic_ns()}")
    context.started = time.monotonic()
    return context


@dataclass
class Counted:
    """Views the service counts for an article: the first of their visitor and article in the dedupe slot, from a
    browser, of a catalogued article (a retry's event id is recorded once; junk ids count for nothing shown)."""

    slot_seconds: int
    catalogued: set[str]
    requests: int = 0  # tracking requests sent (page views), crawlers' included
    views: int = 0  # views they carried
    counted: int = 0
    _events: set[str] = field(default_factory=set)
    _seen: set[tuple[str, str, str, int]] = field(default_factory=set)

    def add(self, requests: Iterable[SyntheticRequest]) -> None:
        for request in requests:
            self.requests += 1
            self.views += len(request.views)
            if request.kind == "bot":
                continue
            slot = int(request.sent_at // self.slot_seconds)
            for view in request.views:
                if view["event_id"] in self._events:
                    continue
                self._events.add(view["event_id"])
                key = (request.visitor.ip, request.visitor.user_agent, view["article_id"], slot)
                if view["article_id"] in self.catalogued and key not in self._seen:
                    self._seen.add(key)
                    self.counted += 1

    def forget_before(self, slot_start: float) -> None:
        """Drop what is no longer needed (slots that ended), so an hour at 1,000 views/s fits in memory."""
        slot = int(slot_start // self.slot_seconds)
        self._seen = {key for key in self._seen if key[3] >= slot}
        self._events.clear()
