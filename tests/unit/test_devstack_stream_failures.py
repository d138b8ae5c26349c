"""The local event source mapping's failure handling, as template.yaml configures it: retries counted
(MaximumRetryAttempts), old records given up (MaximumRecordAgeInSeconds), failing batches bisected, partial batch
responses honoured (ReportBatchItemFailures), and a given-up batch's position sent to the on-failure destination in
Lambda's record format (DDBStreamBatchInfo)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from mostread.services.repair import parse_failure_record
from mostread_dev.streams import StreamDeliveryError, StreamPump
from mostread_dev.template import FailureDestination, StreamConsumer, load_template

ARN = "arn:aws:dynamodb:ddblocal:000000000000:table/t/stream/2026-11-27T00:00:00.000"
CREATED = datetime(2026, 11, 27, 9, 20, tzinfo=UTC)
QUEUE = FailureDestination("SQS", "IngestFailureQueue")


def record(number: int, created: datetime = CREATED) -> dict[str, Any]:
    return {
        "eventID": f"id-{number}",
        "eventName": "INSERT",
        "dynamodb": {
            "ApproximateCreationDateTime": created,
            "Keys": {"pk": {"S": f"view#e:{number}"}, "sk": {"S": "-"}},
            "NewImage": {"pk": {"S": f"view#e:{number}"}, "sk": {"S": "-"}},
            "SequenceNumber": f"{number:021d}",
        },
    }


class Streams:
    def __init__(self, shards: dict[str, list[dict[str, Any]]]) -> None:
        self.shards = shards

    def describe_stream(self, **_: Any) -> dict[str, Any]:
        return {"StreamDescription": {"Shards": [{"ShardId": shard} for shard in self.shards]}}

    def get_shard_iterator(self, **request: Any) -> dict[str, Any]:
        return {"ShardIterator": f"{request['ShardId']}|0"}

    def get_records(self, ShardIterator: str, Limit: int = 1000) -> dict[str, Any]:
        shard, position = ShardIterator.split("|")
        records = self.shards[shard][int(position) : int(position) + Limit]
        return {"Records": records, "NextShardIterator": f"{shard}|{int(position) + len(records)}"}


class Function:
    """Fails (raises) on batches holding a poison id, or reports the first failed records it is told to."""

    def __init__(self, poison: set[str] | None = None, report: dict[str, int] | None = None) -> None:
        self.poison = poison or set()
        self.report = dict(report or {})  # event id -> how many more times to report it failed
        self.batches: list[list[str]] = []
        self.delivered: list[str] = []

    def __call__(self, function_id: str, event: dict[str, Any]) -> dict[str, Any]:
        ids = [entry["eventID"] for entry in event["Records"]]
        self.batches.append(ids)
        if self.poison & set(ids):
            raise RuntimeError("the function failed")
        for entry in event["Records"]:
            if self.report.get(entry["eventID"], 0) > 0:
                self.report[entry["eventID"]] -= 1
                failed = ids.index(entry["eventID"])
                self.delivered.extend(ids[:failed])
                return {"batchItemFailures": [{"itemIdentifier": entry["dynamodb"]["SequenceNumber"]}]}
        self.delivered.extend(ids)
        return {"batchItemFailures": []}


def consumer(**changes: Any) -> StreamConsumer:
    [template_consumer] = load_template().stream_consumers()
    return replace(template_consumer, filter_patterns=[], batch_size=4, batching_window_seconds=0, **changes)


def pump(
    streams: Streams, function: Function, sent: list[dict[str, Any]], the_consumer: StreamConsumer, now: float
) -> StreamPump:
    return StreamPump(
        streams,  # type: ignore[arg-type]
        {"ViewsTable": ARN},
        [the_consumer],
        function,
        send_failure=lambda destination, document: sent.append({"to": destination, **document}),
        clock=lambda: 0.0,
        wall_clock=lambda: now,
        sleep=lambda _: None,
    )


def test_the_template_consumer_retries_ten_times_for_six_hours_then_queues() -> None:
    [ingest] = load_template().stream_consumers()
    assert (ingest.maximum_retry_attempts, ingest.maximum_record_age_seconds) == (10, 21600)
    assert ingest.bisect_on_error and ingest.report_batch_item_failures
    assert ingest.on_failure == QUEUE
    [queue] = load_template().queues()
    assert (queue.logical_id, queue.attributes) == ("IngestFailureQueue", {"MessageRetentionPeriod": "1209600"})


def test_bisecting_isolates_a_failing_record_which_alone_is_given_up_after_its_retries() -> None:
    streams = Streams({"shard-1": [record(n) for n in range(1, 5)]})
    function, sent = Function(poison={"id-3"}), []
    report = pump(streams, function, sent, consumer(), CREATED.timestamp() + 60).drain_report()
    assert (report.delivered, report.given_up, report.failure_records) == (3, 1, 1)
    assert sorted(function.delivered) == ["id-1", "id-2", "id-4"]
    assert function.batches[:3] == [["id-1", "id-2", "id-3", "id-4"], ["id-1", "id-2"], ["id-3", "id-4"]]
    assert function.batches.count(["id-3"]) == 11  # the first try and ten retries
    [document] = sent
    assert document["to"] == QUEUE
    assert document["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert document["requestContext"]["approximateInvokeCount"] == 11
    assert document["DDBStreamBatchInfo"] == {
        "shardId": "shard-1",
        "startSequenceNumber": f"{3:021d}",
        "endSequenceNumber": f"{3:021d}",
        "approximateArrivalOfFirstRecord": "2026-11-27T09:20:00Z",
        "approximateArrivalOfLastRecord": "2026-11-27T09:20:00Z",
        "batchSize": 1,
        "streamArn": ARN,
    }
    batch = parse_failure_record(json.dumps({key: value for key, value in document.items() if key != "to"}))
    assert batch.holds(f"{3:021d}") and not batch.holds(f"{4:021d}")


def test_without_bisecting_the_whole_batch_is_given_up() -> None:
    streams = Streams({"shard-1": [record(n) for n in range(1, 4)]})
    function, sent = Function(poison={"id-2"}), []
    report = pump(streams, function, sent, consumer(bisect_on_error=False), CREATED.timestamp()).drain_report()
    assert (report.delivered, report.given_up) == (0, 3)
    assert len(function.batches) == 11
    [document] = sent
    info = document["DDBStreamBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == (
        f"{1:021d}",
        f"{3:021d}",
        3,
    )


def test_a_partial_batch_response_checkpoints_and_retries_from_the_failed_record() -> None:
    streams = Streams({"shard-1": [record(n) for n in range(1, 5)]})
    function, sent = Function(report={"id-3": 2}), []
    report = pump(streams, function, sent, consumer(), CREATED.timestamp()).drain_report()
    assert (report.delivered, report.given_up) == (4, 0)
    assert function.batches == [["id-1", "id-2", "id-3", "id-4"], ["id-3", "id-4"], ["id-3", "id-4"]]
    assert function.delivered == ["id-1", "id-2", "id-3", "id-4"]
    assert sent == []


def test_partial_failures_count_as_retries_until_the_rest_is_given_up() -> None:
    streams = Streams({"shard-1": [record(n) for n in range(1, 4)]})
    function, sent = Function(report={"id-2": 100}), []
    the_pump = pump(streams, function, sent, consumer(maximum_retry_attempts=2), CREATED.timestamp())
    report = the_pump.drain_report()
    assert (report.delivered, report.given_up) == (1, 2)
    assert sent[0]["DDBStreamBatchInfo"]["startSequenceNumber"] == f"{2:021d}"
    assert sent[0]["DDBStreamBatchInfo"]["batchSize"] == 2


def test_records_older_than_the_maximum_age_are_given_up_without_an_invocation() -> None:
    streams = Streams({"shard-1": [record(1)]})
    function, sent = Function(), []
    report = pump(streams, function, sent, consumer(), CREATED.timestamp() + 21601).drain_report()
    assert (report.delivered, report.given_up) == (0, 1)
    assert function.batches == []
    assert sent[0]["requestContext"]["condition"] == "RecordAgeExceeded"


def test_a_batch_never_mixes_shards() -> None:
    streams = Streams({"shard-1": [record(1), record(2)], "shard-2": [record(3)]})
    function, sent = Function(), []
    pump(streams, function, sent, consumer(), CREATED.timestamp()).drain_report()
    assert sorted(function.batches) == [["id-1", "id-2"], ["id-3"]]


def test_background_retries_wait_and_are_counted() -> None:
    now = [0.0]
    streams = Streams({"shard-1": [record(1)]})
    function, sent = Function(poison={"id-1"}), []
    the_pump = StreamPump(
        streams,  # type: ignore[arg-type]
        {"ViewsTable": ARN},
        [consumer(maximum_retry_attempts=2)],
        function,
        send_failure=lambda destination, document: sent.append(document),
        clock=lambda: now[0],
        wall_clock=CREATED.timestamp,
    )
    assert the_pump.poll_once() == 0
    assert the_pump.poll_once() == 0  # waiting 0.5 s before the first retry
    now[0] = 0.6
    the_pump.poll_once()
    now[0] = 2.0
    the_pump.poll_once()
    assert len(function.batches) == 3 and len(sent) == 1
    assert the_pump.pending == 0 and the_pump.stats.given_up == 1


def test_a_failure_record_that_cannot_be_sent_keeps_the_batch() -> None:
    streams = Streams({"shard-1": [record(1)]})
    function = Function(poison={"id-1"})

    def unavailable(destination: FailureDestination, document: dict[str, Any]) -> None:
        raise RuntimeError("no queue")

    the_pump = StreamPump(
        streams,  # type: ignore[arg-type]
        {"ViewsTable": ARN},
        [consumer(maximum_retry_attempts=1)],
        function,
        send_failure=unavailable,
        wall_clock=CREATED.timestamp,
        sleep=lambda _: None,
    )
    with pytest.raises(StreamDeliveryError, match="could not be sent to IngestFailureQueue"):
        the_pump.drain_report()
    assert the_pump.pending == 1


def test_without_a_destination_a_given_up_batch_is_only_logged(caplog: pytest.LogCaptureFixture) -> None:
    streams = Streams({"shard-1": [record(1)]})
    function, sent = Function(poison={"id-1"}), []
    the_pump = pump(streams, function, sent, consumer(on_failure=None, maximum_retry_attempts=0), CREATED.timestamp())
    assert the_pump.drain_report().given_up == 1
    assert sent == []
    assert "no failure destination" in caplog.text


def test_without_moto_there_is_no_local_queue_and_the_reason_is_kept() -> None:
    from mostread_dev.dynamodb_server import DynamoDBUnavailable
    from mostread_dev.queues import LocalQueues, QueueUnavailable

    def no_moto() -> Any:
        raise DynamoDBUnavailable("no moto")

    queues = LocalQueues(load_template().queues(), "mostread-local-", start_server=no_moto)
    queues.start()
    assert not queues.wait(0.1)
    assert queues.error is not None and queues.error.startswith("moto[server] is not installed")
    with pytest.raises(QueueUnavailable, match="moto"):
        queues.send("IngestFailureQueue", {"DDBStreamBatchInfo": {}})
    assert queues.describe()["queues"] == {}
