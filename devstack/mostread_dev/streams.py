"""The table's DynamoDB stream delivered to its consumers, as a Lambda event source mapping does it.

A background thread polls every shard of each stream, converts the records to the JSON shape Lambda hands a
function, keeps those the consumer's FilterCriteria accept, and invokes the consumer with
``{"Records": [...]}`` (records of one shard per batch) once a batch is full or its oldest record has waited the
batching window. What happens to a failing batch follows the template's event source mapping:

* ``FunctionResponseTypes: [ReportBatchItemFailures]``: the records before the lowest reported sequence number
  are done; the rest is retried (an empty or unknown ``itemIdentifier`` fails the whole batch);
* ``BisectBatchOnFunctionError``: a batch whose invocation raised is split in two halves, each tried on its own
  (a split is not a retry), down to single records;
* ``MaximumRetryAttempts`` / ``MaximumRecordAgeInSeconds``: a batch that failed more often than that, or whose
  oldest record is older, is given up: its position (Lambda's on-failure record, ``DDBStreamBatchInfo``) goes to
  ``DestinationConfig.OnFailure`` and the pump moves on. With -1 (Lambda's default) it is retried forever.

Retries wait 0.5 s, 1 s, 2 s ... up to 30 s in the background. ``drain()`` delivers everything the stream holds
now, retrying at once (a few tens of milliseconds apart): with finite retries it ends with every record delivered
or given up; with infinite ones it stops after ``attempts`` and raises, keeping the records.

Not emulated: parallelisation, the 24-hour retention, and ordering between a closed parent shard and its children
(consumers here must not depend on it; the ingest consumer counts sets, not sequences).
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from mostread_dev.template import FailureDestination, StreamConsumer

if TYPE_CHECKING:
    from mypy_boto3_dynamodbstreams import DynamoDBStreamsClient

log = logging.getLogger("mostread.dev.streams")

Invoke = Callable[[str, dict[str, Any]], Any]
# Sends a given-up batch's on-failure record to the consumer's destination; raises when it cannot.
SendFailure = Callable[[FailureDestination, dict[str, Any]], None]
MAX_BACKOFF_SECONDS = 30.0
DRAIN_MAX_PAUSE_SECONDS = 0.1
LOCAL_ACCOUNT_ID = "123456789012"
_EXPIRED_ITERATOR = ("ExpiredIteratorException", "TrimmedDataAccessException")
RETRIES_EXHAUSTED = "RetryAttemptsExhausted"
RECORD_TOO_OLD = "RecordAgeExceeded"


class StreamDeliveryError(RuntimeError):
    """A consumer kept failing on a batch during ``drain`` (retried forever by its mapping), or a given-up batch's
    failure record could not be sent; the batch is still pending."""


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
    """One DynamoDB JSON attribute value with bytes (``B``) as base64 text. The table's items hold strings, numbers
    and binaries only (``mostread.keys``): no sets, lists or maps to descend into."""
    return {type_name: _base64(inner) if type_name == "B" else inner for type_name, inner in value.items()}


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


@dataclass(frozen=True)
class _Pending:
    shard_id: str
    record: dict[str, Any]

    @property
    def sequence(self) -> str:
        return str(self.record["dynamodb"]["SequenceNumber"])

    @property
    def created(self) -> float | None:
        value = self.record["dynamodb"].get("ApproximateCreationDateTime")
        return float(value) if isinstance(value, int | float) else None


@dataclass
class _Subscription:
    """One consumer of one stream: its queue of accepted, undelivered records and the state of its head batch."""

    consumer: StreamConsumer
    pending: list[_Pending] = field(default_factory=list)
    waiting_since: float | None = None
    retry_at: float = 0.0
    consecutive_failures: int = 0  # failed attempts of the head batch (its retries so far)
    invocations: int = 0  # invocations of the head batch (approximateInvokeCount)
    splits: list[int] = field(default_factory=list)  # sizes of the next batches, after bisecting or a partial failure

    def due(self, now: float) -> bool:
        if not self.pending or now < self.retry_at:
            return False
        if self.splits or len(self.pending) >= self.consumer.batch_size:
            return True
        return self.waiting_since is not None and now - self.waiting_since >= self.consumer.batching_window_seconds

    def head_batch(self) -> list[_Pending]:
        """The next batch: the oldest records of one shard, at most the head split's size (else BatchSize)."""
        limit = self.splits[0] if self.splits else self.consumer.batch_size
        shard = self.pending[0].shard_id
        batch: list[_Pending] = []
        for entry in self.pending:
            if entry.shard_id != shard or len(batch) >= limit:
                break
            batch.append(entry)
        return batch

    def settle(self, count: int) -> None:
        """The first ``count`` records are done (delivered or given up): the next batch starts after them."""
        del self.pending[:count]
        if self.splits:
            left = self.splits[0] - count
            if left > 0:
                self.splits[0] = left
            else:
                self.splits.pop(0)
        self.consecutive_failures = 0
        self.invocations = 0
        self.retry_at = 0.0
        if not self.pending:
            self.waiting_since = None
            self.splits.clear()


@dataclass
class StreamStats:
    read: int = 0
    delivered: int = 0
    filtered_out: int = 0
    failed_invocations: int = 0
    given_up: int = 0  # records of batches given up (MaximumRetryAttempts, MaximumRecordAgeInSeconds)
    failure_records: int = 0  # on-failure records sent to a destination


@dataclass(frozen=True)
class DrainReport:
    delivered: int
    given_up: int
    failure_records: int


class StreamPump:
    def __init__(
        self,
        client: DynamoDBStreamsClient,
        stream_arns: Mapping[str, str],
        consumers: Sequence[StreamConsumer],
        invoke: Invoke,
        *,
        send_failure: SendFailure | None = None,
        region: str = "eu-west-1",
        poll_seconds: float = 0.25,
        shard_refresh_seconds: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """``stream_arns``: table logical id -> its stream's ARN. ``send_failure`` delivers a given-up batch's
        on-failure record to the consumer's destination (without one, given-up batches are logged and dropped, as
        Lambda drops them without a destination). ``wall_clock`` dates records (MaximumRecordAgeInSeconds)."""
        self._client = client
        self._arns = dict(stream_arns)
        self._subscriptions = [_Subscription(consumer) for consumer in consumers]
        self._invoke = invoke
        self._send_failure = send_failure
        self._region = region
        self._poll_seconds = poll_seconds
        self._shard_refresh_seconds = shard_refresh_seconds
        self._clock = clock
        self._wall_clock = wall_clock
        self._sleep = sleep
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
        """Read every stream to its end and deliver everything now; returns the number of records delivered
        (``drain_report`` also says how many were given up)."""
        return self.drain_report(attempts).delivered

    def drain_report(self, attempts: int = 3) -> DrainReport:
        """Read every stream to its end and settle every record now, batch by batch: delivered, or given up to the
        failure destination once the consumer's retries are spent (retrying at once, a few tens of milliseconds
        apart). A consumer retried forever (MaximumRetryAttempts -1) gets ``attempts`` per batch, then
        StreamDeliveryError is raised with the batch still pending."""
        with self._lock:
            before = (self.stats.delivered, self.stats.given_up, self.stats.failure_records)
            for arn in self._shards:
                self._refresh_shards(arn)
            while self._read_all_streams():
                pass
            for subscription in self._subscriptions:
                subscription.retry_at = 0.0
                tries = 0
                while subscription.pending:
                    failures_before = subscription.consecutive_failures
                    settled = self._deliver_batch(subscription, draining=True)
                    if settled:
                        tries = 0
                        continue
                    if subscription.consecutive_failures <= failures_before:
                        continue  # split (bisected or partly delivered): not a retry
                    tries += 1
                    if subscription.consumer.maximum_retry_attempts < 0 and tries >= attempts:
                        raise StreamDeliveryError(
                            f"{subscription.consumer.function_id} failed {attempts} times on a batch;"
                            f" {len(subscription.pending)} records stay pending"
                        )
                    self._sleep(min(0.02 * 2 ** (tries - 1), DRAIN_MAX_PAUSE_SECONDS))
            return DrainReport(
                self.stats.delivered - before[0],
                self.stats.given_up - before[1],
                self.stats.failure_records - before[2],
            )

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

    def _read_stream(self, arn: str) -> list[_Pending]:
        records: list[_Pending] = []
        for shard in self._shards[arn].values():
            if shard.iterator is not None:  # None: a closed shard read to its end
                records.extend(
                    _Pending(shard.shard_id, lambda_record(record, arn)) for record in self._read_shard(arn, shard)
                )
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

    def _distribute(self, table_id: str, records: list[_Pending]) -> None:
        now = self._clock()
        for subscription in self._subscriptions:
            if subscription.consumer.table_logical_id != table_id:
                continue
            accepted = [entry for entry in records if subscription.consumer.accepts(entry.record)]
            self.stats.filtered_out += len(records) - len(accepted)
            if accepted and not subscription.pending:
                subscription.waiting_since = now
            subscription.pending.extend(accepted)

    # -- delivering ---------------------------------------------------------------------------------------

    def _deliver_due(self, now: float) -> int:
        delivered = 0
        for subscription in self._subscriptions:
            while subscription.due(now):
                before = self.stats.delivered
                try:
                    settled = self._deliver_batch(subscription, draining=False)
                except StreamDeliveryError:
                    log.exception("could not give up a batch; trying again in %.0f s", MAX_BACKOFF_SECONDS)
                    subscription.retry_at = self._clock() + MAX_BACKOFF_SECONDS
                    break
                delivered += self.stats.delivered - before
                if not settled and subscription.retry_at > self._clock():
                    break
        return delivered

    def _deliver_batch(self, subscription: _Subscription, *, draining: bool) -> int:
        """One attempt at the head batch. Returns how many records it settled (delivered, or given up to the
        failure destination); 0 when the batch failed (it stays first in line: split, or retried after a pause)."""
        consumer = subscription.consumer
        batch = subscription.head_batch()
        if self._too_old(consumer, batch):
            return self._give_up(subscription, batch, RECORD_TOO_OLD)
        subscription.invocations += 1
        try:
            result = self._invoke(consumer.function_id, {"Records": [entry.record for entry in batch]})
        except Exception:
            self.stats.failed_invocations += 1
            log.exception("%s failed on a batch of %d records", consumer.function_id, len(batch))
            if consumer.bisect_on_error and len(batch) > 1:
                half = len(batch) // 2
                subscription.splits[:1] = [half, len(batch) - half]
                subscription.consecutive_failures = 0
                subscription.invocations = 0
                return 0
            return self._retry_or_give_up(subscription, batch, draining)
        failed_from = _first_failure(result, batch) if consumer.report_batch_item_failures else None
        if failed_from is None:
            subscription.settle(len(batch))
            self.stats.delivered += len(batch)
            return len(batch)
        self.stats.failed_invocations += 1
        log.error("%s reported failed records in a batch of %d", consumer.function_id, len(batch))
        if failed_from:
            # the records before the first failed one are checkpointed; only the rest is retried
            subscription.settle(failed_from)
            self.stats.delivered += failed_from
            remainder = len(batch) - failed_from
            if subscription.splits:
                subscription.splits[0] = remainder
            else:
                subscription.splits.append(remainder)
        return self._retry_or_give_up(subscription, subscription.head_batch(), draining) or failed_from

    def _retry_or_give_up(self, subscription: _Subscription, batch: list[_Pending], draining: bool) -> int:
        subscription.consecutive_failures += 1
        retries = subscription.consumer.maximum_retry_attempts
        if 0 <= retries < subscription.consecutive_failures:
            return self._give_up(subscription, batch, RETRIES_EXHAUSTED)
        if not subscription.splits:
            subscription.splits.append(len(batch))  # retried as the same batch, not one grown by new records
        pause = min(MAX_BACKOFF_SECONDS, 0.5 * 2 ** (subscription.consecutive_failures - 1))
        subscription.retry_at = 0.0 if draining else self._clock() + pause
        if not draining:
            log.warning("%s: retrying the batch in %.1f s", subscription.consumer.function_id, pause)
        return 0

    def _too_old(self, consumer: StreamConsumer, batch: list[_Pending]) -> bool:
        if consumer.maximum_record_age_seconds < 0:
            return False
        created = [entry.created for entry in batch if entry.created is not None]
        return bool(created) and self._wall_clock() - min(created) > consumer.maximum_record_age_seconds

    def _give_up(self, subscription: _Subscription, batch: list[_Pending], condition: str) -> int:
        """Drop the batch, sending its position to the consumer's on-failure destination, as Lambda does."""
        consumer = subscription.consumer
        document = failure_record(
            batch, condition, subscription.invocations, self._function_arn(consumer.function_id), self._wall_clock()
        )
        if consumer.on_failure is None or self._send_failure is None:
            log.error(
                "%s: gave up a batch of %d records (%s) with no failure destination: %s",
                consumer.function_id,
                len(batch),
                condition,
                json.dumps(document["DDBStreamBatchInfo"]),
            )
        else:
            try:
                self._send_failure(consumer.on_failure, document)
            except Exception as error:
                raise StreamDeliveryError(
                    f"{consumer.function_id}: the on-failure record of a batch of {len(batch)} records could not be"
                    f" sent to {consumer.on_failure.logical_id}: {error}"
                ) from error
            self.stats.failure_records += 1
            log.error(
                "%s: gave up a batch of %d records (%s); its position went to %s (mostread replay-failed)",
                consumer.function_id,
                len(batch),
                condition,
                consumer.on_failure.logical_id,
            )
        subscription.settle(len(batch))
        self.stats.given_up += len(batch)
        return len(batch)

    def _function_arn(self, function_id: str) -> str:
        return f"arn:aws:lambda:{self._region}:{LOCAL_ACCOUNT_ID}:function:{function_id}"


def _first_failure(result: Any, batch: list[_Pending]) -> int | None:
    """With ReportBatchItemFailures: the index of the first record to retry, None when the batch succeeded. An
    empty, missing or unknown ``itemIdentifier`` fails the whole batch (index 0)."""
    if not isinstance(result, Mapping):
        return None
    failures = result.get("batchItemFailures")
    if not failures:
        return None
    positions = {entry.sequence: index for index, entry in enumerate(batch)}
    found = []
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, Mapping) else None
        if not identifier or str(identifier) not in positions:
            return 0
        found.append(positions[str(identifier)])
    return min(found)


def failure_record(
    batch: Sequence[_Pending], condition: str, invocations: int, function_arn: str, now: float
) -> dict[str, Any]:
    """Lambda's on-failure record of a DynamoDB stream batch: where the records are, not the records."""
    created = [entry.created for entry in batch if entry.created is not None]
    return {
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": function_arn,
            "condition": condition,
            "approximateInvokeCount": invocations,
        },
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "version": "1.0",
        "timestamp": _iso(now, milliseconds=True),
        "DDBStreamBatchInfo": {
            "shardId": batch[0].shard_id,
            "startSequenceNumber": batch[0].sequence,
            "endSequenceNumber": batch[-1].sequence,
            "approximateArrivalOfFirstRecord": _iso(min(created)) if created else None,
            "approximateArrivalOfLastRecord": _iso(max(created)) if created else None,
            "batchSize": len(batch),
            "streamArn": str(batch[0].record.get("eventSourceARN", "")),
        },
    }


def _iso(moment: float, *, milliseconds: bool = False) -> str:
    when = datetime.fromtimestamp(moment, tz=UTC)
    if milliseconds:
        return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")
