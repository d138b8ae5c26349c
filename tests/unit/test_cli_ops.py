"""`mostread status | inspect | export | catalog dump | recompute | replay-failed` through typer's CliRunner, on a
target whose DynamoDB is the in-memory fake holding what the real pipeline wrote (tests/pipeline.py), with stub SQS
and stream clients: what each command prints, changes and exits with (0 done or nothing to do, 1 failed or found a
problem, 2 usage or target unreachable), errors as one line."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from mostread import keys, spreadsheet
from mostread.dal import viewlog
from mostread.logrow import LoggedView
from mostread.timebuckets import Slot
from mostread_dev import cli, ops, ops_cli
from mostread_dev.catalog_file import parse_catalog
from mostread_dev.streams import _Pending, failure_record
from mostread_dev.target import Target, TargetError
from rich.console import Console
from typer.testing import CliRunner

from tests.harness import T0, Clock
from tests.pipeline import TABLE, FakePipeline

QUEUE_URL = "https://sqs.eu-west-1.amazonaws.com/123456789012/failures"
STREAM = "arn:aws:dynamodb:eu-west-1:123456789012:table/mostread-fake/stream/2026-11-27T00:00:00.000"
SLOT = 1800


class FakeSqs:
    def __init__(self) -> None:
        self.messages: dict[str, dict[str, Any]] = {}
        self.deleted: list[str] = []

    def send(self, body: dict[str, Any]) -> str:
        message_id = f"message-{len(self.messages) + 1}"
        self.messages[message_id] = {"Body": json.dumps(body), "visible": True}
        return message_id

    def get_queue_attributes(self, QueueUrl: str, AttributeNames: list[str]) -> dict[str, Any]:
        visible = sum(1 for message in self.messages.values() if message["visible"])
        hidden = len(self.messages) - visible
        attributes = {"ApproximateNumberOfMessages": str(visible), "ApproximateNumberOfMessagesNotVisible": str(hidden)}
        return {"Attributes": attributes}

    def receive_message(self, QueueUrl: str, MaxNumberOfMessages: int, **_: Any) -> dict[str, Any]:
        found = []
        for message_id, message in self.messages.items():
            if message["visible"] and len(found) < MaxNumberOfMessages:
                message["visible"] = False
                found.append({"MessageId": message_id, "ReceiptHandle": f"r-{message_id}", "Body": message["Body"]})
        return {"Messages": found} if found else {}

    def delete_message(self, QueueUrl: str, ReceiptHandle: str) -> None:
        message_id = ReceiptHandle.removeprefix("r-")
        self.messages.pop(message_id)
        self.deleted.append(message_id)

    def change_message_visibility(self, QueueUrl: str, ReceiptHandle: str, VisibilityTimeout: int) -> None:
        self.messages[ReceiptHandle.removeprefix("r-")]["visible"] = VisibilityTimeout == 0


class FakeStreamsClient:
    """One shard holding these records; ``trimmed``: past the stream's 24 hours."""

    def __init__(self, records: list[dict[str, Any]], trimmed: bool = False) -> None:
        self.records, self.trimmed = records, trimmed

    def get_shard_iterator(self, SequenceNumber: str, **_: Any) -> dict[str, Any]:
        if self.trimmed:
            error = {"Error": {"Code": "TrimmedDataAccessException", "Message": "beyond the trim horizon"}}
            raise ClientError(error, "GetShardIterator")  # type: ignore[arg-type]
        numbers = [int(record["dynamodb"]["SequenceNumber"]) for record in self.records]
        return {"ShardIterator": str(next(i for i, n in enumerate(numbers) if n >= int(SequenceNumber)))}

    def get_records(self, ShardIterator: str, Limit: int) -> dict[str, Any]:
        start = int(ShardIterator)
        page = self.records[start : start + 2]  # small pages
        return {"Records": page, "NextShardIterator": str(start + len(page))}


@pytest.fixture
def pipeline(monkeypatch: pytest.MonkeyPatch) -> FakePipeline:
    return FakePipeline(monkeypatch, Clock())


@pytest.fixture
def sqs() -> FakeSqs:
    return FakeSqs()


@pytest.fixture
def target(pipeline: FakePipeline, sqs: FakeSqs, monkeypatch: pytest.MonkeyPatch) -> Target:
    target = Target(
        description="the fake",
        local=True,
        stack_name="mostread-test",
        region="eu-west-1",
        outputs={"TableName": TABLE, "IngestFailureQueueUrl": QUEUE_URL, "ApiUrl": "http://127.0.0.1:9/"},
        session=None,
        endpoints={"dynamodb": "fake", "sqs": "fake", "dynamodbstreams": "fake"},
        _environment={"TABLE_NAME": TABLE, "SALTS_TABLE_NAME": TABLE + "-salts"},
    )
    target._clients.update(dynamodb=pipeline.fake, sqs=sqs, dynamodbstreams=FakeStreamsClient([]))
    monkeypatch.setattr(ops_cli, "resolve_target", lambda *_: target)
    monkeypatch.setattr(ops, "trigger_ranking", lambda _: asdict(pipeline.rank()))
    monkeypatch.setattr(ops_cli, "clock", pipeline.clock)
    monkeypatch.setattr(ops_cli, "console", Console(width=250))
    monkeypatch.setattr(ops_cli, "errors", Console(stderr=True, width=250))
    return target


def mostread(*arguments: str, input: str | None = None) -> Any:
    return CliRunner().invoke(cli.app, list(arguments), input=input)


def seal_views(pipeline: FakePipeline) -> None:
    pipeline.register("a", section="society")
    pipeline.register("b", section="sports")
    for visitor in range(1, 6):
        pipeline.view("a", visitor)
    for visitor in range(1, 4):
        pipeline.view("b", visitor)
    pipeline.rank()
    pipeline.clock.advance(SLOT + 130)
    pipeline.rank()


# --- status -----------------------------------------------------------------------------------------------


def test_status_of_a_healthy_stack(pipeline: FakePipeline, target: Target) -> None:
    seal_views(pipeline)
    result = mostread("status")
    assert result.exit_code == 0, result.output
    assert "all well" in result.stdout
    assert "lists published" in result.stdout and "not empty" in result.stdout
    assert f"table {TABLE}" in result.stdout
    assert "0 messages waiting" in result.stdout
    document = json.loads(mostread("status", "--json").stdout)
    assert document["ranking"]["last_run_at"] == ops.iso(pipeline.clock())
    assert document["lists"]["non_empty"] >= 5
    assert document["lease"] is None
    assert document["problems"] == []


def test_status_exits_1_for_a_queued_failure_and_a_stale_run(
    pipeline: FakePipeline, target: Target, sqs: FakeSqs
) -> None:
    seal_views(pipeline)
    sqs.send({"DDBStreamBatchInfo": {}})
    pipeline.clock.advance(600)
    result = mostread("status")
    assert result.exit_code == 1
    assert "1 failed stream batch(es) queued: mostread replay-failed" in result.stderr
    assert "the last ranking run was 10 min ago" in result.stderr


def test_status_shows_where_the_last_run_spent_its_time_and_windows_catching_up() -> None:
    from mostread_dev.ops_render import status_table

    report = {
        "lists_written": 3,
        "stage_seconds": {"register": 0.5, "bases": 24.25, "totals": 0.75},
        "catching_up": {"7d": "2026-11-29T13:00:00.000Z"},
        "lists_held": 12,
    }
    console = Console(record=True, width=200)
    console.print(status_table({"target": "mostread-prod", "ranking": {"report": report}}))
    text = console.export_text()
    assert "register 0.50 s, bases 24.25 s, totals 0.75 s" in text
    assert "7d counted from 2026-11-29T13:00:00.000Z; 12 lists held as last published" in text
    console = Console(record=True, width=200)
    console.print(status_table({"target": "mostread-prod", "ranking": {"report": {"lists_written": 3}}}))
    assert "catching up" not in console.export_text()


def test_a_target_that_cannot_be_reached_is_one_line_and_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    def unreachable(*_: Any) -> Target:
        raise TargetError("no `mostread dev` at http://127.0.0.1:9 (refused)")

    monkeypatch.setattr(ops_cli, "resolve_target", unreachable)
    commands = (["status"], ["inspect", "a"], ["recompute", "--from", "1h"], ["replay-failed"], ["catalog", "dump"])
    for command in commands:
        result = mostread(*command)
        assert result.exit_code == 2, (command, result.output)
        assert result.stderr.strip().splitlines() == ["no `mostread dev` at http://127.0.0.1:9 (refused)"]


def test_an_aws_error_is_one_line_and_exit_1(target: Target, monkeypatch: pytest.MonkeyPatch) -> None:
    def denied(**_: Any) -> Any:
        error = {"Error": {"Code": "AccessDeniedException", "Message": "not authorized to perform dynamodb:Query"}}
        raise ClientError(error, "Query")  # type: ignore[arg-type]

    monkeypatch.setattr(target.client("dynamodb"), "query", denied)
    result = mostread("status")
    assert result.exit_code == 1
    assert result.stderr.strip() == "AWS: Query: AccessDeniedException: not authorized to perform dynamodb:Query"
    assert "Traceback" not in result.output


# --- inspect ----------------------------------------------------------------------------------------------


def test_inspect_shows_counts_capped_views_buckets_lists_and_editorial(pipeline: FakePipeline, target: Target) -> None:
    pipeline.register("a", section="society")
    for visitor in range(1, 26):
        pipeline.view("a", visitor, address=9)  # 25 readers from one address: 5 capped (MaxViewsPerAddress 20)
    pipeline.view("a", 30, ref="mostread")
    pipeline.rank()
    result = mostread("inspect", "a")
    assert result.exit_code == 0, result.output
    assert "기사 a" in result.stdout
    assert "published counts" in result.stdout and "in the published lists" in result.stdout
    document = json.loads(mostread("inspect", "a", "--json", "--hours", "2").stdout)
    assert document["published"]["counts"] == {"1h": 21, "24h": 21, "7d": 21}
    assert document["published"]["capped"] == {"1h": 5, "24h": 5, "7d": 5}
    assert [(b["views"], b["widget_clicks"], b["capped"], b["source"]) for b in document["buckets"]] == [
        (21, 1, 5, "log")
    ]
    assert {(p["kind"], p["window"], p["section"], p["rank"]) for p in document["positions"]} >= {
        ("most_read", "1h", None, 1),
        ("trending", "1h", "society", 1),
    }
    assert document["catalog"]["section"] == "society"
    assert document["editorial"] == []


def test_inspect_an_uncatalogued_id(pipeline: FakePipeline, target: Target) -> None:
    pipeline.view("unknown-1", 1)
    pipeline.rank()
    pipeline.clock.advance(SLOT + 130)
    pipeline.rank()
    document = json.loads(mostread("inspect", "unknown-1", "--json").stdout)
    assert document["catalog"] is None
    assert [(b["views"], b["source"]) for b in document["buckets"]] == [(1, "summary (uncatalogued)")]
    assert "not in the catalog" in mostread("inspect", "unknown-1").stdout


# --- export -----------------------------------------------------------------------------------------------

PAGE = {
    "kind": "trending",
    "window": "1h",
    "section": None,
    "generated_at": "2026-11-27T12:00:00.000Z",
    "items": [
        {
            "rank": 1,
            "article_id": "news-1",
            "title": '광주 시내버스 "첫차부터" 파업, 쉼표, 줄\n바꿈',
            "url": "https://news.example.kr/1",
            "section": "society",
            "published_at": "2026-11-27T07:00:00+09:00",
            "views": 120,
            "score": 310.5,
            "previous_rank": None,
        },
        {
            "rank": 2,
            "article_id": "news-2",
            "title": '=HYPERLINK("http://evil.example","클릭")',
            "url": "@SUM(1+1)",
            "section": "society",
            "published_at": "2026-11-27T06:00:00+09:00",
            "views": 80,
            "score": 95.25,
            "previous_rank": 1,
        },
    ],
}


def test_export_csv_is_utf8_rfc4180_and_spreadsheet_safe(
    target: Target, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(ops, "fetch_list", lambda *_: PAGE)
    result = mostread("export", "--kind", "trending", "--window", "1h")
    assert result.exit_code == 0, result.output
    raw = result.stdout_bytes
    assert not raw.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in raw
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))
    header = ["rank", "article_id", "title", "url", "section", "published_at", "views", "score"]
    assert rows[0] == header
    assert rows[1][2] == '광주 시내버스 "첫차부터" 파업, 쉼표, 줄\n바꿈'
    assert rows[2][2] == '\'=HYPERLINK("http://evil.example","클릭")'
    assert rows[2][3] == "'@SUM(1+1)"
    assert rows[2][6:] == ["80", "95.25"]
    assert raw.decode("utf-8") == spreadsheet.list_csv(PAGE)  # what GET /v1/rankings?format=csv answers

    output = tmp_path / "list.csv"
    assert mostread("export", "--kind", "trending", "--window", "1h", "--bom", "--output", str(output)).exit_code == 0
    assert output.read_bytes().startswith(b"\xef\xbb\xbf")
    assert output.read_bytes()[3:] == raw


def test_export_json_and_most_read_columns(target: Target, monkeypatch: pytest.MonkeyPatch) -> None:
    page = {**PAGE, "kind": "most_read", "items": [{k: v for k, v in PAGE["items"][0].items() if k != "score"}]}
    monkeypatch.setattr(ops, "fetch_list", lambda *_: page)
    header = mostread("export").stdout.splitlines()[0]
    assert header == "rank,article_id,title,url,section,published_at,views"
    document = json.loads(mostread("export", "--format", "json").stdout)
    assert document["items"][0]["title"] == PAGE["items"][0]["title"]
    assert mostread("export", "--format", "xlsx").exit_code == 2


# --- catalog dump -----------------------------------------------------------------------------------------


def test_catalog_dump_round_trips_through_catalog_load(pipeline: FakePipeline, target: Target) -> None:
    for number in range(250):
        pipeline.register(f"news-{number:03d}", section="society" if number % 2 else "sports")
    result = mostread("catalog", "dump")
    assert result.exit_code == 0, result.output
    entries = parse_catalog(json.loads(result.stdout))
    assert [entry.article_id for entry in entries] == [f"news-{number:03d}" for number in range(250)]
    assert entries[0].body["title"] == "기사 news-000"
    assert "250 articles" in result.stderr
    rows = list(csv.reader(io.StringIO(mostread("catalog", "dump", "--format", "csv").stdout_bytes.decode())))
    assert rows[0] == ["article_id", "title", "url", "section", "published_at", "thumbnail_url", "summary"]
    assert len(rows) == 251


def test_an_empty_catalog_dumps_an_empty_list(target: Target) -> None:
    assert json.loads(mostread("catalog", "dump").stdout) == []


def test_catalog_dump_of_another_table_such_as_a_restore(pipeline: FakePipeline, target: Target) -> None:
    pipeline.register("kept")
    pipeline.fake.tables["restored"] = pipeline.fake.tables.pop(TABLE)
    assert json.loads(mostread("catalog", "dump").stdout) == []
    [article] = json.loads(mostread("catalog", "dump", "--table", "restored").stdout)
    assert article["article_id"] == "kept"


# --- recompute --------------------------------------------------------------------------------------------


def lose_a_mark(pipeline: FakePipeline) -> None:
    """Two views of "a" reach the sealed slot's log without a mark: the summaries never learn of them."""
    slot = Slot.of(T0, SLOT)
    rows = [
        LoggedView("a", f"{n:016x}", int(T0 * 1000) + 1000, f"e:lost-{n}", f"{n:016x}").to_row() for n in (101, 102)
    ]
    viewlog.put_chunk(pipeline.db, slot, keys.log_chunk_sort_key(int(T0 * 1000), "lost"), rows, slot.end + 10**6)


def test_recompute_dry_run_then_apply_then_nothing_to_change(pipeline: FakePipeline, target: Target) -> None:
    seal_views(pipeline)
    clean = mostread("recompute", "--from", "2h")
    assert clean.exit_code == 0, clean.output
    assert "nothing to change" in clean.stdout

    lose_a_mark(pipeline)
    dry = mostread("recompute", "--from", "2h", "--to", "now")
    assert dry.exit_code == 1, dry.output
    assert "5 → 7 (+2)" in dry.stdout
    assert "dry run: nothing changed" in dry.stdout
    assert pipeline.counts("a")["24h"] == 5

    pipeline.clock.advance(1)
    applied = mostread("recompute", "--from", "2h", "--yes")
    assert applied.exit_code == 0, applied.output
    assert "sealed 1 slots again" in applied.stdout
    assert pipeline.counts("a")["24h"] == 7

    pipeline.clock.advance(1)
    again = mostread("recompute", "--from", "2h", "--yes", "--json")
    assert again.exit_code == 0, again.output
    document = json.loads(again.stdout)
    assert document["applied"] is False and "nothing to change" in document["summary"]


def test_recompute_from_view_records_asks_before_scanning(pipeline: FakePipeline, target: Target) -> None:
    seal_views(pipeline)
    for chunk in list(pipeline.fake.items(TABLE, keys.log_key(Slot.of(T0, SLOT)))):
        pipeline.fake.delete_item(TableName=TABLE, Key={"pk": chunk["pk"], "sk": chunk["sk"]})
    declined = mostread("recompute", "--from", "2h", "--from-view-records", input="n\n")
    assert declined.exit_code == 1
    assert "read units" in declined.stderr and "nothing done" in declined.stderr

    lost = mostread("recompute", "--from", "2h")
    assert lost.exit_code == 1
    assert "--from-view-records first" in lost.stderr

    rebuilt = mostread("recompute", "--from", "2h", "--from-view-records", input="y\n")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "rebuilt: 8 views in 1 slots; 1 chunks written" in rebuilt.stderr
    assert "nothing to change" in rebuilt.stdout
    again = mostread("recompute", "--from", "2h", "--from-view-records", "--yes")
    assert again.exit_code == 0
    assert "0 chunks written, 1 already there" in again.stderr


def test_recompute_refuses_a_bad_period(target: Target) -> None:
    assert mostread("recompute", "--from", "now", "--to", "1h").exit_code == 2
    assert mostread("recompute", "--from", "yesterday").exit_code == 2


def test_parse_time() -> None:
    now = 1_800_000_000.0
    assert ops.parse_time("now", now) == now
    assert ops.parse_time("6h", now) == now - 6 * 3600
    assert ops.parse_time("1h30m ago", now) == now - 5400
    assert ops.parse_time("2026-11-27T12:00:00Z", now) == T0
    assert ops.parse_time("2026-11-27T21:00:00+09:00", now) == T0


# --- replay-failed ----------------------------------------------------------------------------------------


def lost_batch(pipeline: FakePipeline, sqs: FakeSqs, views: int = 3) -> list[dict[str, Any]]:
    """Views whose stream batch the consumer gave up on: their records are in the stream, their position in the
    failure queue, nothing in the log."""
    pipeline.register("a")
    for visitor in range(1, views + 1):
        pipeline.view("a", visitor)
    records = [{**record, "eventSourceARN": STREAM} for record in pipeline.take_stream()]
    for record in records:
        record["dynamodb"]["ApproximateCreationDateTime"] = T0
    sqs.send(failure_record([_Pending("shard-1", r) for r in records], "RetryAttemptsExhausted", 11, "arn:f", T0))
    return records


def test_replay_failed_logs_the_batch_from_the_stream_and_a_second_run_has_nothing(
    pipeline: FakePipeline, target: Target, sqs: FakeSqs
) -> None:
    records = lost_batch(pipeline, sqs)
    target._clients["dynamodbstreams"] = FakeStreamsClient(records)
    pipeline.rank()
    assert pipeline.counts("a")["1h"] == 0

    declined = mostread("replay-failed", input="n\n")
    assert declined.exit_code == 1
    assert "the stream" in declined.stdout
    assert sqs.messages["message-1"]["visible"]  # given back at once

    replayed = mostread("replay-failed", "--yes")
    assert replayed.exit_code == 0, replayed.output
    assert "3 views logged from 1 batches; 0 left in the queue" in replayed.stdout
    assert sqs.deleted == ["message-1"]
    assert pipeline.counts("a")["1h"] == 3

    assert mostread("replay-failed", "--yes").stdout.strip() == "the failure queue is empty: nothing to replay"
    sqs.send(json.loads(json.dumps(failure_record([_Pending("shard-1", r) for r in records], "x", 1, "f", T0))))
    assert mostread("replay-failed", "--yes").exit_code == 0  # the same batch again: logged twice, counted once
    pipeline.clock.advance(SLOT + 130)
    pipeline.rank()
    assert pipeline.counts("a")["24h"] == 3


def test_replay_failed_past_the_stream_rebuilds_from_the_view_items(
    pipeline: FakePipeline, target: Target, sqs: FakeSqs
) -> None:
    lost_batch(pipeline, sqs, views=4)
    target._clients["dynamodbstreams"] = FakeStreamsClient([], trimmed=True)
    pipeline.clock.advance(SLOT + 130)
    pipeline.rank()
    result = mostread("replay-failed", input="y\n")
    assert result.exit_code == 0, result.output
    assert "the view items (a Scan" in result.stdout
    assert sqs.deleted == ["message-1"]
    assert pipeline.counts("a")["24h"] == 4


def test_replay_failed_reports_poison_records_and_leaves_no_message(
    pipeline: FakePipeline, target: Target, sqs: FakeSqs
) -> None:
    records = lost_batch(pipeline, sqs, views=2)
    del records[1]["dynamodb"]["NewImage"]["v"]  # not a view the tracker could have written
    target._clients["dynamodbstreams"] = FakeStreamsClient(records)
    result = mostread("replay-failed", "--yes", "--json")
    assert result.exit_code == 1
    [outcome] = json.loads(result.stdout)["replayed"]
    assert (outcome["logged"], outcome["rejected"], outcome["deleted"]) == (
        1,
        [records[1]["dynamodb"]["SequenceNumber"]],
        True,
    )
    assert "1 poison record(s)" in result.stderr


def test_a_message_that_is_no_failure_record_stays_in_the_queue(target: Target, sqs: FakeSqs) -> None:
    sqs.send({"something": "else"})
    result = mostread("replay-failed", "--yes")
    assert result.exit_code == 1
    assert "0 left" not in result.stdout and "1 left in the queue" in result.stdout
    assert sqs.messages["message-1"]["visible"]


# --- the ranking run of a deployed stack --------------------------------------------------------------------


class FakeLambda:
    def __init__(self, answers: list[dict[str, Any]] | None = None, denied: bool = False) -> None:
        self.answers, self.denied, self.invoked = list(answers or []), denied, []

    def invoke(self, FunctionName: str, InvocationType: str, Payload: bytes) -> dict[str, Any]:
        if self.denied:
            error = {"Error": {"Code": "AccessDeniedException", "Message": "not authorized to perform lambda:Invoke"}}
            raise ClientError(error, "Invoke")  # type: ignore[arg-type]
        self.invoked.append((FunctionName, InvocationType, json.loads(Payload)["detail-type"]))
        return {"StatusCode": 200, "Payload": io.BytesIO(json.dumps(self.answers.pop(0)).encode())}


def deployed(fake_lambda: FakeLambda) -> Target:
    target = Target(
        description="stack mostread-prod (eu-west-1)",
        local=False,
        stack_name="mostread-prod",
        region="eu-west-1",
        outputs={"TableName": TABLE, "RankFunctionName": "mostread-prod-RankFunction-ABC"},
        session=None,
    )
    target._clients["lambda"] = fake_lambda
    return target


def test_a_deployed_ranking_run_is_a_synchronous_invoke_retried_while_another_run_holds_the_lease(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ops.time, "sleep", lambda _: None)
    fake_lambda = FakeLambda([{"skipped": True}, {"skipped": False, "slots_resealed": 2}])
    report = ops.trigger_ranking(deployed(fake_lambda))
    assert report["slots_resealed"] == 2
    assert fake_lambda.invoked == [("mostread-prod-RankFunction-ABC", "RequestResponse", "Scheduled Event")] * 2


def test_without_permission_to_invoke_the_schedule_is_left_to_run_it() -> None:
    assert ops.try_ranking(deployed(FakeLambda(denied=True))) is None
