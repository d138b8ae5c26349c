"""The deployed pipeline on DynamoDB Local with a simulated clock: tracker → stream → stream consumer → ranking run.

Views go through ``record_views`` with the real conditional put (several at once, as concurrent Lambda
containers would), the table's real stream is read back and regrouped the way the event source mapping
batches it (per shard, up to BatchSize records or the batching window of template.yaml) for the ingest
function's handler, and the rank function's handler runs at the simulated time (both with their clock
replaced, as the integration tests do).
Views that DynamoDB Local cannot take through the tracker in reasonable time can instead be handed to the
stream consumer directly (``bulk``): the same records the stream would carry, built by ``StreamImages``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from mostread import observability
from mostread.config import settings
from mostread.dal import client as dal_client
from mostread.dal import salts
from mostread.models import RankingQuery, ViewIn
from mostread.services import ranking_run
from mostread.services.ranking_run import RunReport
from mostread.services.reading import ranking_page
from mostread.services.tracking import Reader, record_views
from mostread.timebuckets import day_of
from mostread_dev.template import load_template

from benchmarks.common import DynamoDBLocal, quiet_stdout, table_spec, use_table
from benchmarks.fakes import FakeDynamoDB
from benchmarks.lambda_events import LambdaContext, load_function
from benchmarks.meter import Meter, index_specs
from benchmarks.seed import load_into
from benchmarks.workload import Delivery, PlannedView, StreamImages, lambda_batches

WIDGET = "widget read"
TRACKER = "tracker"
INGEST = "ingest"
RANKING = "ranking"
SEEDING = "seed"


@dataclass
class Tracked:
    accepted: int = 0
    duplicate: int = 0
    ignored: int = 0


class Pipeline:
    def __init__(self, ddb: DynamoDBLocal, table: str, *, shards: int = 4, tracker_threads: int = 6) -> None:
        self.ddb = ddb
        self.table = table
        self.shards = shards
        ddb.create_table(table)
        use_table(table, ddb.endpoint)
        self.meter = Meter(index_specs(table_spec(table).create_kwargs))
        self.meter.attach(dal_client.dynamodb())
        self.settings = settings()
        self._consumer = load_template().stream_consumers()[0]
        self._streams = ddb.streams()
        self._stream_arn = ddb.client().describe_table(TableName=table)["Table"]["LatestStreamArn"]
        self._iterators: dict[str, str | None] = {}
        self._pool = ThreadPoolExecutor(tracker_threads, thread_name_prefix="tracker")
        self._images: StreamImages | None = None
        self._ingest_function = load_function("ingest")
        self._rank_function = load_function("rank")
        # the rank function logs a line per run; its handler writes to the stdout of the time it was created
        observability.logger.setLevel("WARNING")

    def close(self) -> None:
        self._pool.shutdown()
        self.ddb.delete_table(self.table)

    # seeding ----------------------------------------------------------------------------------------------

    def load(self, fake: FakeDynamoDB) -> int:
        """Bulk-load what the service's own functions wrote into ``fake``."""
        return load_into(self.ddb.client(), self.table, fake.items())

    def salt(self, now: float) -> bytes:
        with self.meter.scope(SEEDING):
            return salts.daily_salt(day_of(now), now)

    def images(self, now: float) -> StreamImages:
        if self._images is None:
            self._images = StreamImages(self.salt(now), self.settings.slot_seconds, self.settings.retention_days)
        return self._images

    # the three functions -----------------------------------------------------------------------------------

    def track(self, views: Sequence[PlannedView]) -> Tracked:
        """Each view as its own tracking request, through ``record_views`` and the real DynamoDB put."""
        meter = self.meter

        def request(view: PlannedView) -> tuple[int, int, int]:
            meter.set_second(view.t, this_thread=True)
            reader = Reader(view.client_ip, view.user_agent, {"user-agent": view.user_agent})
            result = record_views([ViewIn.model_validate(view.body())], reader, view.t)
            return result.accepted, result.duplicate, result.ignored

        tracked = Tracked()
        with meter.scope(TRACKER):
            for accepted, duplicate, ignored in self._pool.map(request, views):
                tracked.accepted += accepted
                tracked.duplicate += duplicate
                tracked.ignored += ignored
        return tracked

    def skip_stream(self) -> None:
        """Read the stream from now on only: what seeding wrote is not for the stream consumer, and reading it
        back (log chunks, summaries, the catalog) would take longer than the whole simulation."""
        shards = self._streams.describe_stream(StreamArn=self._stream_arn)["StreamDescription"]["Shards"]
        self._iterators = {
            shard["ShardId"]: self._streams.get_shard_iterator(
                StreamArn=self._stream_arn, ShardId=shard["ShardId"], ShardIteratorType="LATEST"
            )["ShardIterator"]
            for shard in shards
        }

    def stream_records(self) -> list[dict[str, Any]]:
        """Every record the stream holds since the last call that the consumer's filter accepts."""
        shards = self._streams.describe_stream(StreamArn=self._stream_arn)["StreamDescription"]["Shards"]
        for shard in shards:
            if shard["ShardId"] not in self._iterators:
                self._iterators[shard["ShardId"]] = self._streams.get_shard_iterator(
                    StreamArn=self._stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
        records: list[dict[str, Any]] = []
        for shard_id, iterator in list(self._iterators.items()):
            while iterator:
                page = self._streams.get_records(ShardIterator=iterator, Limit=1000)
                records.extend(record for record in page["Records"] if self._consumer.accepts(record))
                iterator = page.get("NextShardIterator")
                if not page["Records"]:
                    break
            self._iterators[shard_id] = iterator
        return records

    def ingest(self, records: Sequence[dict[str, Any]], *, seeding: bool = False) -> list[Delivery]:
        """The stream consumer, once per batch the event source mapping would deliver (when ``seeding``, in
        batches as large as possible: the writes are not measured and small batches only cost time)."""
        if seeding:
            deliveries = lambda_batches(records, shards=1, batch_size=1000, window=3600)
        else:
            consumer = self._consumer
            deliveries = lambda_batches(
                records, self.shards, consumer.batch_size, float(consumer.batching_window_seconds)
            )
        with self.meter.scope(SEEDING if seeding else INGEST), quiet_stdout():
            for delivery in deliveries:
                self.meter.set_second(delivery.at)
                setattr(self._ingest_function, "system_clock", delivery.clock())  # noqa: B010 - as the tests do
                self._ingest_function.handler({"Records": delivery.records}, LambdaContext("mostread-ingest"))
        return deliveries

    def bulk(self, views: Sequence[PlannedView], *, seeding: bool = False) -> list[Delivery]:
        """Views straight to the stream consumer, as the stream would carry them (no tracker put)."""
        if not views:
            return []
        images = self.images(views[0].t)
        return self.ingest([images.record(view) for view in views if not view.bot], seeding=seeding)

    def widget_read(self, limit: int, part: str) -> int:
        """What ``GET /v1/rankings`` reads for the all-sections 24h list at ``limit``; returns the items served."""
        with self.meter.scope(WIDGET, part):
            return len(ranking_page(RankingQuery(limit=limit))["items"])

    def rank(self, now: float, part: str = "") -> RunReport:
        """The scheduled ranking function, invoked at ``now``."""
        with self.meter.scope(RANKING, part), _tagged_ranking_steps(self.meter), quiet_stdout():
            self.meter.set_second(now)
            setattr(self._rank_function, "system_clock", lambda: now)  # noqa: B010
            report = self._rank_function.handler({"source": "aws.events"}, LambdaContext("mostread-rank"))
        return RunReport(**report)


@contextlib.contextmanager
def _tagged_ranking_steps(meter: Meter) -> Iterator[None]:
    """Book the sealing of finished slots and the hourly upkeep of the bases (rebuilt from the summaries or
    rolled forward) under their own part (``<part>:seal``, ``<part>:rebuild``), by wrapping those steps of the
    ranking run while it runs."""
    wrapped: list[tuple[str, Callable[..., Any]]] = []
    for name, tag in (("_summarise", "seal"), ("_rebuild_bases", "rebuild"), ("_roll_base", "rebuild")):
        original = getattr(ranking_run, name, None)
        if original is None:  # renamed: the units still count, just not split out
            continue

        def step(*args: Any, _original: Callable[..., Any] = original, _tag: str = tag, **kwargs: Any) -> Any:
            with meter.scope(meter.component, f"{meter.part}:{_tag}"):
                return _original(*args, **kwargs)

        setattr(ranking_run, name, step)
        wrapped.append((name, original))
    try:
        yield
    finally:
        for name, original in wrapped:
            setattr(ranking_run, name, original)
