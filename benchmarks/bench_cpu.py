"""2. CPU per view: the tracker against a minimal handler on the same stubbed client, and the stream consumer."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

from botocore.awsrequest import AWSResponse
from mostread import keys
from mostread.dal.client import dynamodb
from mostread.models import ViewBatchIn, ViewIn, validate
from mostread_dev.fake_dynamodb import FakeDynamoDB, fake_indexes
from mostread_dev.traffic import synthetic_catalog

from benchmarks.common import clear_caches, dynamodb_replaced_by, import_all_dal, quiet_stdout, table_spec, use_table
from benchmarks.lambda_events import LambdaContext, load_function, post_views_event, stream_event
from benchmarks.report import Section, Table

TITLE = "2. CPU per view"
TABLE = "mostread-bench-cpu"
UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
T0 = 1_795_780_800.0  # 2026-11-27 00:00 UTC
GOAL = 1.3  # the tracker against the minimal handler (issue: "Fast and cheap where readers feel it")


def _cpu_us(call: Callable[[Any], Any], inputs: Sequence[Any]) -> float:
    """Process CPU time (all threads) per call, in µs."""
    started = time.process_time()
    for item in inputs:
        call(item)
    return (time.process_time() - started) / len(inputs) * 1e6


def _stub(client: Any) -> None:
    """Every call answered in the process after botocore has built and serialised it (what is left out: signing,
    the network, parsing the answer): an empty table that accepts every write."""
    empty = {"GetItem": {}, "PutItem": {}, "Query": {"Items": [], "Count": 0}}

    def answer(model: Any, **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        return AWSResponse("https://dynamodb.stub", 200, {}, None), dict(empty.get(model.name, {}))

    client.meta.events.register("before-call.dynamodb", answer)


def minimal_handler(client: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """The least a tracker can do with the same request: parse and validate the body as the contract says, then the
    same conditional put per view (the tracker's item, attribute for attribute) on the same client. No bot check,
    no client address, no hashing (fixed stand-ins of the hashes' length), no logs or metrics."""

    def handle(event: dict[str, Any]) -> dict[str, Any]:
        document = json.loads(event["body"])
        views = validate(ViewBatchIn, document).views if "views" in document else [validate(ViewIn, document)]
        received_ms = event["requestContext"]["timeEpoch"]
        for view in views:
            client.put_item(
                TableName=TABLE,
                Item={
                    "pk": {"S": keys.view_key(f"e:{view.event_id}")},
                    "sk": {"S": keys.ITEM},
                    "a": {"S": view.article_id},
                    "t": {"N": str(received_ms)},
                    "v": {"S": "0123456789abcdef"},
                    "ad": {"S": "0123456789abcdef"},
                    "w": {"N": "1"},
                    "expires_at": {"N": str(received_ms // 1000 + 8 * 86400)},
                },
                ConditionExpression="attribute_not_exists(pk)",
                ReturnConsumedCapacity="TOTAL",
            )
        return {"statusCode": 202, "body": json.dumps({"accepted": len(views), "duplicate": 0, "ignored": 0})}

    return handle


def _requests(size: int, count: int, ids: list[str]) -> list[dict[str, Any]]:
    events = []
    for number in range(count):
        views = [
            {"article_id": ids[(number * size + n) % len(ids)], "event_id": f"evt-{number:06d}-{n:02d}-cpu"}
            for n in range(size)
        ]
        body = views[0] if size == 1 else {"views": views}
        address = f"198.51.{number // 250 % 250}.{number % 250}"
        events.append(post_views_event(body, address, UA, f"req-{number:08d}"))
    return events


def _tracker_rows(quick: bool, ids: list[str]) -> list[list[str]]:
    track = load_function("track")
    clear_caches()
    client = dynamodb()
    _stub(client)
    minimal = minimal_handler(client)
    context = LambdaContext()
    rows = []
    passes = 5 if quick else 9
    for size in (1, 25):
        events = _requests(size, 2000 // size if quick else 6000 // size, ids)
        outcomes: set[int] = set()

        def tracker(event: dict[str, Any], outcomes: set[int] = outcomes) -> None:
            outcomes.add(track.handler(event, context)["statusCode"])

        with quiet_stdout():
            for event in events[:50]:  # warm: the salt, the crawler patterns, the regular expressions
                tracker(event)
                minimal(event)
            samples: dict[str, list[float]] = {"tracker": [], "minimal": []}
            for _ in range(passes):  # interleaved, so drift on a shared machine hits both alike
                samples["tracker"].append(_cpu_us(tracker, events))
                samples["minimal"].append(_cpu_us(minimal, events))
        if outcomes != {202}:
            raise AssertionError(f"tracker answered {sorted(outcomes)}")
        handler_us = statistics.median(samples["tracker"])
        baseline_us = statistics.median(samples["minimal"])
        rows.append(
            [
                "1 view" if size == 1 else f"batch of {size}",
                f"{handler_us:.0f}",
                f"{baseline_us:.0f}",
                f"{handler_us / baseline_us:.2f}",
                f"{handler_us / size:.1f}",
            ]
        )
    return rows


def _stream_records(ids: list[str], views: int) -> list[dict[str, Any]]:
    """The view items the tracker writes, as stream records: made by the real tracker on the in-memory fake."""
    track = load_function("track")
    fake = FakeDynamoDB(fake_indexes(table_spec(TABLE).create_kwargs))
    context = LambdaContext()
    with dynamodb_replaced_by(fake), quiet_stdout():
        for event in _requests(25, views // 25, ids):
            track.handler(event, context)
    records = []
    for number, item in enumerate(fake.items(TABLE, keys.VIEW)):
        key = {"pk": item["pk"], "sk": item["sk"]}
        records.append(
            {"eventID": f"event-{number:08d}", "eventName": "INSERT", "dynamodb": {"Keys": key, "NewImage": item}}
        )
    return records


def _ingest_rows(quick: bool, ids: list[str]) -> list[list[str]]:
    ingest = load_function("ingest")
    records = _stream_records(ids, 10_000 if quick else 30_000)
    rows = []
    for size in (1000, 5):
        batches = [records[n : n + size] for n in range(0, len(records), size)][:2000]
        events = [stream_event(batch, TABLE) for batch in batches]
        context = LambdaContext()
        fake = FakeDynamoDB(fake_indexes(table_spec(TABLE).create_kwargs))
        answers: list[dict[str, Any]] = []

        def consume(event: dict[str, Any], answers: list[dict[str, Any]] = answers, context: Any = context) -> None:
            answers.append(ingest.handler(event, context))

        with dynamodb_replaced_by(fake), quiet_stdout():
            per_batch = _cpu_us(consume, events)
        if any(answer.get("batchItemFailures") for answer in answers):
            raise AssertionError("the stream consumer reported failures")
        rows.append([f"batch of {size}", f"{per_batch:.0f}", f"{per_batch / size:.1f}"])
    return rows


def run(quick: bool) -> Section:
    started = time.monotonic()
    use_table(TABLE)
    import_all_dal()
    ids = [article.article_id for article in synthetic_catalog(2000, T0, seed=2)]
    tracker = Table(
        "Tracking handler (API Gateway v2 event → 202) against the minimal handler, process CPU per request, "
        "median of interleaved passes",
        ["request", "tracker µs", "minimal handler µs", "× minimal", "tracker µs/view"],
        _tracker_rows(quick, ids),
    )
    ingest = Table(
        "Stream consumer handler (DynamoDB stream event → log chunk), process CPU per invocation",
        ["stream batch", "µs/batch", "µs/record"],
        _ingest_rows(quick, ids),
    )
    single, batch = tracker.rows
    findings = [
        f"A single-view request costs the tracker {single[1]} µs of CPU, {single[3]}× the minimal handler "
        f"({single[2]} µs: parse, validate, one conditional put on the same stubbed client); the goal is "
        f"at most {GOAL}×. In a 25-view batch a view costs {batch[4]} µs ({batch[3]}× the minimal handler).",
        "What the tracker does beyond the minimal handler: the crawler and prefetch checks, the client address, "
        "the salted visitor and address hashes, the log line's context and the EMF metrics document.",
        f"The stream consumer spends {ingest.rows[0][2]} µs per record in full 1,000-record batches and "
        f"{ingest.rows[1][2]} µs per record in the 5-record batches of a quiet site (per-invocation overhead).",
        "The ranking run's CPU at full size is in section 5 (process CPU seconds per run).",
    ]
    method = f"""
Process CPU time (`time.process_time`) per call, in one process. The tracker gets API Gateway HTTP API (v2) events as
`navigator.sendBeacon` sends them (`text/plain`, a client address and an event id per view) and runs on the
service's own DynamoDB client with every call answered in the process after botocore has built and serialised it;
the minimal handler (`minimal_handler` in `benchmarks/bench_cpu.py`) gets the same events and makes its
conditional puts on that same client. Each is warmed on 50 requests, then they alternate over {5 if quick else 9}
passes and the medians are compared. The stream consumer gets DynamoDB stream events in Lambda's shape, made of
the items the real tracker wrote on the in-memory fake, and writes to the fake. Metric lines are serialised but
not printed.
"""
    return Section(
        "cpu",
        TITLE,
        method,
        "python -m benchmarks.run cpu",
        [tracker, ingest],
        findings,
        quick,
        time.monotonic() - started,
    )
