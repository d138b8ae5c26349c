"""The table's DynamoDB stream delivered to its consumers, as a Lambda event source mapping does it.

A background thread polls every shard of each stream, converts the records to the JSON shape Lambda hands a
function, keeps those the consumer's FilterCriteria accept, and invokes the consumer with
``{"Records": [...]}`` once a batch is full or its oldest record has waited the batching window. A failed
batch is retried, after a growing pause, until it succeeds: records are never dropped (the template sets
MaximumRetryAttempts: -1). ``drain()`` delivers everything the stream holds right now.

Not emulated: bisecting a failing batch, parallelisation, and ordering between a closed parent shard and
its children (consumers here must not depend on it; the ingest consumer counts sets, not sequences).
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from mostread_dev.template import StreamConsumer

if TYPE_CHECKING:
    from mypy_boto3_dynamodbstreams import DynamoDBStreamsClient

log = logging.getLogger("mostread.dev.streams")

Invoke = Callable[[str, dict[str, Any]], Any]
MAX_BACKOFF_SECONDS = 30.0
_EXPIRED_ITERATOR = ("ExpiredIteratorException", "TrimmedDataAccessException")


class StreamDeliveryError(RuntimeError):
    """A consumer kept failing on a batch during ``drain``; the batch is still pending."""


# --- boto3 record -> Lambda record (pure) -------------------------------------------------------------


def lambda_record(record: Mapping[str, Any], stream_arn: str) -> dict[str, Any]:
    """A record from boto3's ``get_records`` in the JSON shape Lambda delivers: binary attributes as base64
    text, ApproximateCreationDateTime as epoch seconds, and the stream's ARN as eventSourceARN."""
    converted = {key: value for key, value in record.items() if key != "dynamodb"}
    change = dict(record.get("dynamodb") or {})
    created = change.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        change["ApproximateCreationDateTime"] = epoch_number(created)
    for image in ("Keys", "NewImage", "OldImage"):
        if image in change:
            change[image] = lambda_image(change[image])
    converted["dynamodb"] = change
    converted["eventSourceARN"] = stream_arn
    return converted


def epoch_number(moment: datetime) -> int | float:
    seconds = moment.timestamp()
    return int(seconds) if seconds.is_integer() else seconds


def lambda_image(image: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    return {name: lambda_attribute(value) for name, value in image.items()}


def lambda_attribute(value: Mapping[str, Any]) -> dict[str, Any]:
    """One DynamoDB JSON attribute value with bytes (``B``, ``BS``, nested in ``M``/``L``) as base64 text."""
    converted: dict[str, Any] = {}
    for type_name, inner in value.items():
        if type_name == "B":
            converted[type_name] = _base64(inner)
        elif type_name == "BS":
            converted[type_name] = [_base64(item) for item in inner]
        elif type_name == "M":
            converted[type_name] = lambda_image(inner)
        elif type_name == "L":
            converted[type_name] = [lambda_attribute(item) for item in inner]
        else:
            converted[type_name] = inner
    return converted


def _base64(raw: Any) -> str:
    if isinstance(raw, str):
        return raw  # already text (a client configured to leave binaries encoded)
    return base64.b64encode(bytes(raw)).decode("ascii")


# --- the event source mapping ----------------------------------------------------------------------------


@dataclass
class _Shard:
    shard_id: str
    iterator: str | None
    last_sequence: str | None = None


@dataclass
class _Subscription:
    """One consumer of one stream: its queue of accepted, undelivered records."""

    consumer: StreamConsumer
    pending: list[dict[str, Any]] = field(default_factory=list)
    waiting_since: float | None = None
    retry_at: float = 0.0
    consecutive_failures: int = 0

    def due(self, now: float) -> bool:
        if not self.pending or now < self.retry_at:
            return False
        if len(self.pending) >= self.consumer.batch_size:
            return True
        return self.waiting_since is not None and now - self.waiting_since >= self.consumer.batching_window_seconds


@dataclass
class StreamStats:
    read: int = 0
    delivered: int = 0
    filtered_out: int = 0
    failed_invocations: int = 0


class StreamPump:
    def __init__(
        self,
        client: DynamoDBStreamsClient,
        stream_arns: Mapping[str, str],
        consumers: Sequence[StreamConsumer],
        invoke: Invoke,
        *,
        poll_seconds: float = 0.25,
        shard_refresh_seconds: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``stream_arns``: table logical id -> its stream's ARN."""
        self._client = client
        self._arns = dict(stream_arns)
        self._subscriptions = [_Subscription(consumer) for consumer in consumers]
        self._invoke = invoke
        self._poll_seconds = poll_seconds
        self._shard_refresh_seconds = shard_refresh_seconds
        self._clock = clock
        self._shards: dict[str, dict[str, _Shard]] = {arn: {} for arn in self._arns.values()}
        self._shards_refreshed_at: dict[str, float] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.stats = StreamStats()

    @property
    def pending(self) -> int:
        return sum(len(subscription.pending) for subscription in self._subscriptions)

    def start(self) -> None:
        with self._lock:
            for arn in self._shards:
                self._refresh_shards(arn)
        self._thread = threading.Thread(target=self._run, name="stream-pump", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def poll_once(self) -> int:
        """Read what the streams hold and deliver the batches that are due; returns records delivered."""
        with self._lock:
            self._read_all_streams()
            return self._deliver_due(self._clock())

    def drain(self, attempts: int = 3) -> int:
        """Read every stream to its end and deliver everything now, batch by batch (at most BatchSize each).
        Returns the number of records delivered; raises StreamDeliveryError when a batch keeps failing."""
        with self._lock:
            for arn in self._shards:
                self._refresh_shards(arn)
            while self._read_all_streams():
                pass
            delivered = 0
            for subscription in self._subscriptions:
                while subscription.pending:
                    delivered += self._deliver_with_retries(subscription, attempts)
            return delivered

    # -- reading ----------------------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stopping.wait(self._poll_seconds):
            try:
                self.poll_once()
            except (BotoCoreError, ClientError):
                if not self._stopping.is_set():
                    log.exception("reading the stream failed; trying again")

    def _read_all_streams(self) -> int:
        read = 0
        for table_id, arn in self._arns.items():
            refreshed_at = self._shards_refreshed_at.get(arn)
            if refreshed_at is None or self._clock() - refreshed_at >= self._shard_refresh_seconds:
                self._refresh_shards(arn)
            records = self._read_stream(arn)
            read += len(records)
            self._distribute(table_id, records)
        self.stats.read += read
        return read

    def _refresh_shards(self, arn: str) -> None:
        """Pick up shards we do not know yet (at startup: all of them), from their start (TRIM_HORIZON)."""
        known = self._shards[arn]
        for shard_id in self._shard_ids(arn):
            if shard_id not in known:
                known[shard_id] = _Shard(shard_id, self._iterator(arn, shard_id, None))
        self._shards_refreshed_at[arn] = self._clock()

    def _shard_ids(self, arn: str) -> list[str]:
        shard_ids: list[str] = []
        request: dict[str, Any] = {"StreamArn": arn}
        while True:
            description = self._client.describe_stream(**request)["StreamDescription"]
            shard_ids.extend(shard["ShardId"] for shard in description.get("Shards", []))
            last = description.get("LastEvaluatedShardId")
            if not last:
                return shard_ids
            request["ExclusiveStartShardId"] = last

    def _iterator(self, arn: str, shard_id: str, after_sequence: str | None) -> str | None:
        if after_sequence is None:
            response = self._client.get_shard_iterator(
                StreamArn=arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
            )
        else:
            response = self._client.get_shard_iterator(
                StreamArn=arn,
                ShardId=shard_id,
                ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                SequenceNumber=after_sequence,
            )
        return response.get("ShardIterator")

    def _read_stream(self, arn: str) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        for shard in self._shards[arn].values():
            if shard.iterator is not None:  # None: a closed shard read to its end
                records.extend(lambda_record(record, arn) for record in self._read_shard(arn, shard))
        return records

    def _read_shard(self, arn: str, shard: _Shard) -> Sequence[Mapping[str, Any]]:
        assert shard.iterator is not None
        try:
            response = self._client.get_records(ShardIterator=shard.iterator, Limit=1000)
        except ClientError as error:
            if error.response["Error"]["Code"] not in _EXPIRED_ITERATOR:
                raise
            # Iterators expire after 15 minutes; continue after the last record we read.
            shard.iterator = self._iterator(arn, shard.shard_id, shard.last_sequence)
            if shard.iterator is None:
                return []
            response = self._client.get_records(ShardIterator=shard.iterator, Limit=1000)
        shard.iterator = response.get("NextShardIterator")
        batch = response.get("Records", [])
        if batch:
            shard.last_sequence = batch[-1]["dynamodb"]["SequenceNumber"]
        return batch

    def _distribute(self, table_id: str, records: list[dict[str, Any]]) -> None:
        now = self._clock()
        for subscription in self._subscriptions:
            if subscription.consumer.table_logical_id != table_id:
                continue
            accepted = [record for record in records if subscription.consumer.accepts(record)]
            self.stats.filtered_out += len(records) - len(accepted)
            if accepted and not subscription.pending:
                subscription.waiting_since = now
            subscription.pending.extend(accepted)

    # -- delivering ---------------------------------------------------------------------------------------

    def _deliver_due(self, now: float) -> int:
        delivered = 0
        for subscription in self._subscriptions:
            while subscription.due(now):
                sent = self._deliver_batch(subscription)
                if not sent:
                    break
                delivered += sent
        return delivered

    def _deliver_with_retries(self, subscription: _Subscription, attempts: int) -> int:
        for attempt in range(attempts):
            sent = self._deliver_batch(subscription)
            if sent:
                return sent
            if attempt + 1 < attempts:
                time.sleep(0.2 * 2**attempt)
        raise StreamDeliveryError(
            f"{subscription.consumer.function_id} failed {attempts} times on a batch;"
            f" {len(subscription.pending)} records stay pending"
        )

    def _deliver_batch(self, subscription: _Subscription) -> int:
        """Invoke the consumer with the oldest pending records; returns how many were delivered (0: failed,
        the batch stays first in line and is retried after a pause)."""
        consumer = subscription.consumer
        batch = subscription.pending[: consumer.batch_size]
        try:
            self._invoke(consumer.function_id, {"Records": batch})
        except Exception:
            subscription.consecutive_failures += 1
            self.stats.failed_invocations += 1
            pause = min(MAX_BACKOFF_SECONDS, 0.5 * 2 ** (subscription.consecutive_failures - 1))
            subscription.retry_at = self._clock() + pause
            log.exception(
                "%s failed on a batch of %d records; retrying in %.1f s", consumer.function_id, len(batch), pause
            )
            return 0
        del subscription.pending[: len(batch)]
        subscription.consecutive_failures = 0
        subscription.retry_at = 0.0
        if not subscription.pending:
            subscription.waiting_since = None
        self.stats.delivered += len(batch)
        return len(batch)
