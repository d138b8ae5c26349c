"""The local event source mapping: boto3 stream records in Lambda's shape, filtered, batched, never dropped."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError
from mostread_dev.streams import StreamDeliveryError, StreamPump, lambda_attribute, lambda_record
from mostread_dev.template import StreamConsumer, load_template

ARN = "arn:aws:dynamodb:ddblocal:000000000000:table/t/stream/2026-11-27T00:00:00.000"


def boto3_record(number: int, pk: str = "view#e:abc", event_name: str = "INSERT") -> dict[str, Any]:
    """A record as boto3's get_records returns it: bytes for B, a datetime for the creation time."""
    return {
        "eventID": f"id-{number}",
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "ddblocal",
        "dynamodb": {
            "ApproximateCreationDateTime": datetime(2026, 11, 27, 9, 20, tzinfo=UTC),
            "Keys": {"pk": {"S": pk}, "sk": {"S": "-"}},
            "NewImage": {"pk": {"S": pk}, "sk": {"S": "-"}, "salt": {"B": b"\x00\x01"}, "t": {"N": str(number)}},
            "SequenceNumber": f"{number:021d}",
            "SizeBytes": 40,
            "StreamViewType": "NEW_IMAGE",
        },
    }


def test_record_in_lambda_shape() -> None:
    record = lambda_record(boto3_record(1), ARN)
    assert record["eventSourceARN"] == ARN
    assert record["dynamodb"]["ApproximateCreationDateTime"] == 1_795_771_200
    assert record["dynamodb"]["NewImage"]["salt"] == {"B": base64.b64encode(b"\x00\x01").decode()}
    assert record["dynamodb"]["Keys"] == {"pk": {"S": "view#e:abc"}, "sk": {"S": "-"}}
    assert record["eventName"] == "INSERT"


def test_only_binaries_change() -> None:
    assert lambda_attribute({"B": b"\x01"}) == {"B": "AQ=="}
    assert lambda_attribute({"B": "AQ=="}) == {"B": "AQ=="}  # a client that leaves binaries encoded
    assert lambda_attribute({"N": "12"}) == {"N": "12"}
    assert lambda_attribute({"S": "광주"}) == {"S": "광주"}


def test_template_filter_accepts_converted_view_inserts_only() -> None:
    consumer = load_template().stream_consumers()[0]
    assert consumer.accepts(lambda_record(boto3_record(1), ARN))
    assert not consumer.accepts(lambda_record(boto3_record(2, pk="salt#2026-11-27"), ARN))
    assert not consumer.accepts(lambda_record(boto3_record(3, event_name="REMOVE"), ARN))


# --- the pump, against a fake streams client -----------------------------------------------------------------


class FakeStreams:
    """Shards holding records; new shards and records can be added between polls."""

    def __init__(self) -> None:
        self.shards: dict[str, list[dict[str, Any]]] = {"shard-1": []}
        self.expire_next = False

    def describe_stream(self, **request: Any) -> dict[str, Any]:
        return {"StreamDescription": {"Shards": [{"ShardId": shard} for shard in self.shards]}}

    def get_shard_iterator(self, **request: Any) -> dict[str, Any]:
        position = 0
        if request["ShardIteratorType"] == "AFTER_SEQUENCE_NUMBER":
            sequences = [r["dynamodb"]["SequenceNumber"] for r in self.shards[request["ShardId"]]]
            position = sequences.index(request["SequenceNumber"]) + 1
        return {"ShardIterator": f"{request['ShardId']}|{position}"}

    def get_records(self, ShardIterator: str, Limit: int = 1000) -> dict[str, Any]:
        if self.expire_next:
            self.expire_next = False
            raise ClientError({"Error": {"Code": "ExpiredIteratorException", "Message": "old"}}, "GetRecords")
        shard, position = ShardIterator.split("|")
        records = self.shards[shard][int(position) : int(position) + Limit]
        return {"Records": records, "NextShardIterator": f"{shard}|{int(position) + len(records)}"}


def consumer(batch_size: int = 3, window: int = 0) -> StreamConsumer:
    return StreamConsumer(
        function_id="IngestFunction",
        code_uri="functions/ingest/",
        handler="app.handler",
        table_logical_id="ViewsTable",
        batch_size=batch_size,
        batching_window_seconds=window,
        filter_patterns=[{"dynamodb": {"Keys": {"pk": {"S": [{"prefix": "view#"}]}}}}],
    )


class Recorder:
    def __init__(self, failures: int = 0) -> None:
        self.batches: list[list[str]] = []
        self.failures = failures

    def __call__(self, function_id: str, event: dict[str, Any]) -> None:
        if self.failures:
            self.failures -= 1
            raise RuntimeError("the function failed")
        self.batches.append([record["eventID"] for record in event["Records"]])


def make_pump(streams: FakeStreams, invoke: Recorder, batch_size: int = 3, window: int = 0, clock=None) -> StreamPump:
    return StreamPump(
        streams,  # type: ignore[arg-type]
        {"ViewsTable": ARN},
        [consumer(batch_size, window)],
        invoke,
        clock=clock or (lambda: 0.0),
    )


def test_drain_delivers_everything_in_batches_and_skips_filtered_records() -> None:
    streams, invoke = FakeStreams(), Recorder()
    streams.shards["shard-1"] = [boto3_record(n) for n in range(7)] + [boto3_record(7, pk="salt#x")]
    pump = make_pump(streams, invoke)
    assert pump.drain() == 7
    assert invoke.batches == [["id-0", "id-1", "id-2"], ["id-3", "id-4", "id-5"], ["id-6"]]
    assert pump.stats.filtered_out == 1
    assert pump.drain() == 0


def test_new_shards_and_later_records_are_picked_up() -> None:
    streams, invoke = FakeStreams(), Recorder()
    pump = make_pump(streams, invoke, batch_size=10)
    streams.shards["shard-1"].append(boto3_record(1))
    assert pump.drain() == 1
    streams.shards["shard-2"] = [boto3_record(2)]
    streams.shards["shard-1"].append(boto3_record(3))
    assert pump.drain() == 2
    assert sorted(event_id for batch in invoke.batches for event_id in batch) == ["id-1", "id-2", "id-3"]


def test_a_failed_batch_is_retried_not_dropped() -> None:
    streams, invoke = FakeStreams(), Recorder(failures=2)
    streams.shards["shard-1"] = [boto3_record(n) for n in range(2)]
    pump = make_pump(streams, invoke)
    assert pump.drain() == 2
    assert invoke.batches == [["id-0", "id-1"]]
    assert pump.stats.failed_invocations == 2


def test_drain_gives_up_loudly_and_keeps_the_records() -> None:
    streams, invoke = FakeStreams(), Recorder(failures=10)
    streams.shards["shard-1"] = [boto3_record(1)]
    pump = make_pump(streams, invoke)
    with pytest.raises(StreamDeliveryError):
        pump.drain(attempts=2)
    assert pump.pending == 1
    invoke.failures = 0
    assert pump.drain() == 1


def test_background_polls_wait_for_the_batching_window_or_a_full_batch() -> None:
    now = [0.0]
    streams, invoke = FakeStreams(), Recorder()
    pump = make_pump(streams, invoke, batch_size=3, window=2, clock=lambda: now[0])
    streams.shards["shard-1"] = [boto3_record(1)]
    assert pump.poll_once() == 0  # waiting for more records or the window
    now[0] = 2.5
    assert pump.poll_once() == 1
    streams.shards["shard-1"] += [boto3_record(n) for n in range(2, 5)]
    assert pump.poll_once() == 3  # a full batch goes at once
    assert invoke.batches == [["id-1"], ["id-2", "id-3", "id-4"]]


def test_a_failed_batch_waits_before_the_next_attempt() -> None:
    now = [0.0]
    streams, invoke = FakeStreams(), Recorder(failures=1)
    pump = make_pump(streams, invoke, clock=lambda: now[0])
    streams.shards["shard-1"] = [boto3_record(1)]
    assert pump.poll_once() == 0
    assert pump.poll_once() == 0  # backing off
    now[0] = 1.0
    assert pump.poll_once() == 1


def test_an_expired_iterator_resumes_after_the_last_record_read() -> None:
    streams, invoke = FakeStreams(), Recorder()
    pump = make_pump(streams, invoke, batch_size=10)
    streams.shards["shard-1"] = [boto3_record(1)]
    assert pump.drain() == 1
    streams.shards["shard-1"].append(boto3_record(2))
    streams.expire_next = True
    assert pump.drain() == 1
    assert invoke.batches == [["id-1"], ["id-2"]]
