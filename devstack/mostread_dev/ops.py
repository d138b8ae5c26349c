"""What the inspecting and repairing commands do (``status``, ``inspect``, ``export``, ``catalog dump``,
``recompute``, ``replay-failed``), on a resolved ``Target``, without the command line: the CLI (``ops_cli.py``)
only parses options, asks, shows progress and prints. Domain logic (recount, compare, rebuild) is
``mostread.services.repair``; this module reads and writes through boto3 clients of the target.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import IO, Any

from botocore.exceptions import BotoCoreError, ClientError
from mostread import keys, spreadsheet
from mostread.dal import aggregates, catalog, editorial, published, viewlog
from mostread.dal.client import Db
from mostread.services import repair
from mostread.services.ingest import IngestResult, _valid_view, ingest_records
from mostread.timebuckets import Slot

from mostread_dev.api_client import ApiClient, ApiUnavailable
from mostread_dev.streams import lambda_record
from mostread_dev.target import Target, TargetError
from mostread_dev.template import StreamConsumer, load_template

DEPLOYED_STALE_SECONDS = 300  # the ranking-stale alarm: five minutes without a run
RANK_WAIT_SECONDS = 120.0
SCHEDULED_WAIT_SECONDS = 180.0


class OperationError(RuntimeError):
    """The operation could not be done (one line for the user)."""


def aws_error(error: Exception) -> str:
    """One line for a boto3 error: the operation, the code, the message."""
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        return f"{error.operation_name}: {details.get('Code', '')}: {details.get('Message', '')}".strip()
    return str(error)


# --- times --------------------------------------------------------------------------------------------------

_AGO = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:\s*ago)?$")


def parse_time(text: str, now: float) -> float:
    """``now``, a duration back from now (``6h``, ``90m``, ``2d``, ``1h30m ago``) or an ISO-8601 time (without
    an offset: this machine's time zone). Epoch seconds."""
    value = text.strip().lower()
    if value == "now":
        return now
    found = _AGO.fullmatch(value)
    if found and any(found.groups()):
        days, hours, minutes, seconds = (int(group or 0) for group in found.groups())
        return now - timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds).total_seconds()
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is not a time: use an ISO-8601 time, `now`, or a duration ago like 6h") from None
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return moment.timestamp()


def iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def age_text(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = max(0.0, seconds)
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


# --- the ranking run -------------------------------------------------------------------------------------


def local_status(target: Target) -> dict[str, Any] | None:
    if not target.local_url:
        return None
    try:
        response = ApiClient(target.local_url, timeout=20).get("/_local/status")
    except ApiUnavailable:
        return None
    return response.json() if response.status == 200 else None


def try_ranking(target: Target) -> dict[str, Any] | None:
    """A ranking run now, or None when not allowed to start one (the schedule runs one within a minute)."""
    try:
        return trigger_ranking(target)
    except ClientError as error:
        if target.local or not _denied(error):
            raise
        return None


def trigger_ranking(target: Target) -> dict[str, Any]:
    """Run the ranking now and return its report: ``POST /_local/rank`` on `mostread dev` (which delivers the
    stream first), a synchronous Lambda Invoke of the rank function on a stack. A run that finds the lease
    taken (another run in progress) is tried again for up to two minutes."""
    if target.local:
        assert target.local_url
        try:
            response = ApiClient(target.local_url, timeout=120).request("POST", "/_local/rank")
        except ApiUnavailable as error:
            raise OperationError(str(error)) from None
        if response.status != 200:
            raise OperationError(f"POST /_local/rank: HTTP {response.status} {response.body[:300]!r}")
        runs = response.json().get("runs", [])
        return dict(runs[0].get("result") or {}) if runs else {}
    name = target.function_name("RankFunction")
    deadline = time.monotonic() + RANK_WAIT_SECONDS
    while True:
        event: dict[str, Any] = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "mostread.cli",
            "time": iso(time.time()),
            "region": target.region,
            "resources": [],
            "detail": {},
        }
        answer = target.client("lambda").invoke(
            FunctionName=name, InvocationType="RequestResponse", Payload=json.dumps(event).encode()
        )
        payload = answer["Payload"].read()
        if answer.get("FunctionError"):
            raise OperationError(f"the rank function failed: {payload[:500].decode(errors='replace')}")
        report = json.loads(payload or b"{}")
        if not report.get("skipped") or time.monotonic() > deadline:
            return dict(report)
        time.sleep(5)  # another run holds the lease: it ends within the function's timeout


def run_state(db: Db, now: float) -> dict[str, Any]:
    """The ranking run's own state (``state#ranking``): when it last ran, which lists it left non-empty."""
    stored = aggregates.get_chunked(db, keys.RUN_STATE, now)
    if stored is None:
        return {"last_run_ms": None, "list_keys": []}
    mapping, meta = stored
    return {**meta, "list_keys": sorted(key[2:] for key in mapping if key.startswith("l:"))}


def lease(db: Db) -> dict[str, Any] | None:
    item = db.client.get_item(
        TableName=db.table, Key={"pk": {"S": keys.LEASE}, "sk": {"S": keys.ITEM}}, ConsistentRead=True
    ).get("Item")
    if not item:
        return None
    return {"owner": item.get("owner", {}).get("S"), "until_ms": int(item.get("until_ms", {}).get("N", "0"))}


def sections_of(list_keys: Iterable[str]) -> set[str]:
    return {section for key in list_keys if (section := keys.list_of_key(key)[2])}


# --- status ----------------------------------------------------------------------------------------------


@dataclass
class Status:
    document: dict[str, Any]
    problems: list[str] = field(default_factory=list)


def gather_status(target: Target, now: float) -> Status:
    db = target.db()
    status = Status({"target": target.description})
    problems = status.problems
    state = run_state(db, now)
    latest = published.get_document(db, keys.LATEST_RUN)
    last_run_ms = state.get("last_run_ms")
    local = local_status(target) if target.local else None
    report = _last_report(target, local, now)
    age = now - last_run_ms / 1000 if last_run_ms else None
    stale_after: float = DEPLOYED_STALE_SECONDS
    if local:
        stale_after = max(DEPLOYED_STALE_SECONDS, 2 * float(local.get("rank_every_seconds") or 60) + 60)
    status.document["ranking"] = {
        "last_run_at": iso(last_run_ms / 1000) if last_run_ms else None,
        "age_seconds": round(age, 1) if age is not None else None,
        "latest_run_published_at": latest.get("generated_at") if latest else None,
        "duration_seconds": report.get("seconds") if report else None,
        "report": report,
        "stale_after_seconds": stale_after,
    }
    if age is None:
        problems.append("no ranking run has completed yet")
    elif age > stale_after:
        problems.append(f"the last ranking run was {age_text(age)} ago")

    held = lease(db)
    if held is not None:
        held["until"] = iso(held["until_ms"] / 1000)
        held["expired"] = held["until_ms"] < now * 1000
    status.document["lease"] = held

    sections = sections_of(state["list_keys"]) | {entry.section for entry in catalog.catalog_entries(db)}
    lists = repair.read_lists(db, repair.list_keys(sections))
    status.document["lists"] = {
        "published": len(lists),
        "non_empty": sum(1 for document in lists.values() if document.get("items")),
        "possible": len(repair.list_keys(sections)),
    }

    tables = {}
    for name in filter(None, (target.table, target.salts_table)):
        described = target.client("dynamodb").describe_table(TableName=name)["Table"]
        tables[name] = {"items": described.get("ItemCount"), "bytes": described.get("TableSizeBytes")}
    status.document["tables"] = tables

    status.document["failure_queue"] = None
    if target.failure_queue_url:
        depth = queue_depth(target)
        status.document["failure_queue"] = {"url": target.failure_queue_url, **depth}
        if depth["visible"] or depth["in_flight"]:
            problems.append(
                f"{depth['visible'] + depth['in_flight']} failed stream batch(es) queued: mostread replay-failed"
            )
    elif target.local:
        status.document["failure_queue"] = {"error": "the local failure queue is not running"}

    if target.local:
        status.document["alarms"] = None  # CloudWatch is not emulated
        stream = (local or {}).get("stream") or {}
        status.document["stream"] = stream
    else:
        alarms = alarms_in_alarm(target)
        status.document["alarms"] = alarms
        problems.extend(f"alarm {alarm['name']} is in ALARM" for alarm in alarms)
    status.document["problems"] = problems
    return status


def queue_depth(target: Target) -> dict[str, int]:
    attributes = target.client("sqs").get_queue_attributes(
        QueueUrl=target.failure_queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return {
        "visible": int(attributes.get("ApproximateNumberOfMessages", 0)),
        "in_flight": int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)),
    }


def alarms_in_alarm(target: Target) -> list[dict[str, Any]]:
    found = []
    request: dict[str, Any] = {"AlarmNamePrefix": target.alarm_prefix, "StateValue": "ALARM"}
    while True:
        page = target.client("cloudwatch").describe_alarms(**request)
        for alarm in [*page.get("MetricAlarms", []), *page.get("CompositeAlarms", [])]:
            since = alarm.get("StateUpdatedTimestamp")
            found.append(
                {
                    "name": alarm["AlarmName"],
                    "since": since.isoformat() if isinstance(since, datetime) else since,
                    "reason": alarm.get("StateReason", ""),
                }
            )
        if not page.get("NextToken"):
            return found
        request["NextToken"] = page["NextToken"]


def _last_report(target: Target, local: Mapping[str, Any] | None, now: float) -> dict[str, Any] | None:
    """The rank handler's report of its last run: `mostread dev` keeps it; a stack logs it (CloudWatch Logs,
    the function's log group, the last 15 minutes), read when the credentials allow."""
    if target.local:
        last = (local or {}).get("last_run") or {}
        for run in last.get("runs", []):
            if isinstance(run.get("result"), dict):
                return dict(run["result"])
        return None
    try:
        group = f"/aws/lambda/{target.function_name('RankFunction')}"
        page = target.client("logs").filter_log_events(
            logGroupName=group,
            startTime=int((now - 900) * 1000),
            filterPattern='{ $.message = "ranking run" }',
        )
    except (ClientError, BotoCoreError, TargetError):
        return None
    events = page.get("events", [])
    for event in reversed(events):
        try:
            return dict(json.loads(event["message"]))
        except (ValueError, TypeError):
            continue
    return None


# --- inspect ---------------------------------------------------------------------------------------------


def inspect_article(target: Target, article_id: str, hours: float, now: float) -> dict[str, Any]:
    db = target.db()
    config = target.settings()
    counts = repair.published_counts(db, article_id)
    article = catalog.get_article(db, article_id)
    buckets = repair.article_buckets(
        db,
        article_id,
        now - hours * 3600,
        now + 1,
        now,
        config.max_views_per_address,
        config.ingest_grace_seconds,
    )
    state = run_state(db, now)
    sections = sections_of(state["list_keys"]) | ({article.section} if article else set())
    positions = repair.positions_of(article_id, repair.read_lists(db, repair.list_keys(sections)))
    exclusions, pins = editorial.all_controls(db)
    controls = [
        {"type": "exclusion", "until": entry.until, "reason": entry.reason, "in_force": _in_force(entry.until, now)}
        for entry in exclusions
        if entry.article_id == article_id
    ] + [
        {
            "type": "pin",
            "kind": pin.kind,
            "window": pin.window,
            "section": pin.section,
            "position": pin.position,
            "until": pin.until,
            "in_force": _in_force(pin.until, now),
        }
        for pin in pins
        if pin.article_id == article_id
    ]
    return {
        "article_id": article_id,
        "catalog": article.model_dump() if article else None,
        "published": {"counts": counts.counts, "capped": counts.capped, "generated_at": counts.generated_at},
        "hours": hours,
        "max_views_per_address": config.max_views_per_address,
        "buckets": [{**bucket.to_json(), "at": iso(bucket.start)} for bucket in buckets],
        "totals_over_buckets": {
            "views": sum(bucket.views for bucket in buckets),
            "widget_clicks": sum(bucket.widget_clicks for bucket in buckets),
            "capped": sum(bucket.capped for bucket in buckets),
        },
        "positions": [position.to_json() for position in positions],
        "editorial": controls,
    }


def _in_force(until: str | None, now: float) -> bool:
    return until is None or datetime.fromisoformat(until.replace("Z", "+00:00")).timestamp() > now


# --- export and catalog dump ----------------------------------------------------------------------------


def fetch_list(
    target: Target, kind: str, window: str, section: str | None, period: str | None = None
) -> dict[str, Any]:
    """One published list with its articles' cards, as readers get it (``GET /v1/rankings``, the API's own URL
    so no CDN copy; at most 50 items, the API's limit); with ``period``, an ended calendar period's list."""
    query = {"kind": kind, "limit": "50", **({"period": period} if period else {"window": window})}
    if section:
        query["section"] = section
    try:
        response = ApiClient(target.api_url, timeout=30).get("/v1/rankings", query)
    except ApiUnavailable as error:
        raise OperationError(str(error)) from None
    if response.status != 200:
        raise OperationError(f"GET /v1/rankings: HTTP {response.status} {response.body[:300].decode(errors='replace')}")
    document: dict[str, Any] = response.json()
    return document


def write_list_csv(page: Mapping[str, Any], out: IO[str]) -> int:
    """The list as ``GET /v1/rankings?format=csv`` answers it; returns the number of rows."""
    out.write(spreadsheet.list_csv(page))
    return len(page.get("items", []))


def write_list_json(page: Mapping[str, Any], out: IO[str]) -> int:
    columns = [*spreadsheet.list_columns(str(page.get("kind"))), "previous_rank"]
    items = [{column: item.get(column) for column in columns} for item in page["items"]]
    document = {key: page.get(key) for key in ("kind", "window", "section", "generated_at")} | {"items": items}
    json.dump(document, out, ensure_ascii=False, indent=2)
    out.write("\n")
    return len(items)


CATALOG_COLUMNS = ["article_id", "title", "url", "section", "published_at", "thumbnail_url", "summary"]
CATALOG_BATCH = 100


def catalog_ids(db: Db) -> list[str]:
    """Every catalogued id, from the sparse ``catalog`` index (small projected items), sorted."""
    return sorted(entry.article_id for entry in catalog.catalog_entries(db))


def catalog_articles(db: Db, article_ids: list[str]) -> Iterator[dict[str, Any]]:
    """Full catalog items, 100 per BatchGetItem, in the order of ``article_ids`` (deleted meanwhile: skipped)."""
    for start in range(0, len(article_ids), CATALOG_BATCH):
        wanted = article_ids[start : start + CATALOG_BATCH]
        found = catalog.get_articles(db, wanted)
        for article_id in wanted:
            if article_id in found:
                yield {"article_id": article_id, **found[article_id].model_dump(exclude={"article_id"})}


class CatalogWriter:
    """Writes articles as they come: a JSON array (what `mostread catalog load` reads back) or CSV."""

    def __init__(self, out: IO[str], fmt: str) -> None:
        self._out, self._fmt, self.count = out, fmt, 0
        self._csv = csv.writer(out, lineterminator="\r\n") if fmt == "csv" else None
        if self._csv is not None:
            self._csv.writerow(CATALOG_COLUMNS)
        else:
            out.write("[")

    def write(self, article: Mapping[str, Any]) -> None:
        if self._csv is not None:
            self._csv.writerow([spreadsheet.cell(article.get(column), column) for column in CATALOG_COLUMNS])
        else:
            entry = {key: value for key, value in article.items() if value is not None}
            self._out.write(("," if self.count else "") + "\n  " + json.dumps(entry, ensure_ascii=False))
        self.count += 1

    def close(self) -> None:
        if self._csv is None:
            self._out.write("\n]\n" if self.count else "]\n")


# --- recompute --------------------------------------------------------------------------------------------


@dataclass
class RecomputePlan:
    start: float
    end: float
    checks: list[repair.SlotCheck]

    @property
    def to_repair(self) -> list[repair.SlotCheck]:
        return [check for check in self.checks if check.needs_repair]


def check_period(
    target: Target, start: float, end: float, now: float, on_slot: Callable[[repair.SlotCheck], None] | None = None
) -> RecomputePlan:
    config = target.settings()
    db = target.db()
    marks = repair.slots_in_period(db, start, end, now)
    checks = repair.check_slots(
        db, marks, config.max_views_per_address, now, config.ingest_grace_seconds, on_slot=on_slot
    )
    return RecomputePlan(start, end, checks)


def count_marks(target: Target, start: float, end: float, now: float) -> int:
    return len(repair.slots_in_period(target.db(), start, end, now))


def apply_plan(target: Target, slots: list[Slot], now: float) -> list[dict[str, Any]]:
    """Mark the slots due and have ranking runs seal them again (a run may defer some when out of time: it is
    run again, up to five times). Returns the runs' reports."""
    config = target.settings()
    db = target.db()
    marked = repair.mark_due(db, slots, now, config.retention_days)
    reports = []
    for _ in range(5):
        try:
            reports.append(trigger_ranking(target))
        except ClientError as error:
            if target.local or not _denied(error):
                raise
            # not allowed to invoke the rank function: its schedule runs it within a minute
            deadline = time.monotonic() + SCHEDULED_WAIT_SECONDS
            while time.monotonic() < deadline:
                if all_sealed_since(db, marked, time.time()):
                    return reports
                time.sleep(10)
            break
        if all_sealed_since(db, marked, time.time()):
            return reports
    raise OperationError(
        "the ranking runs did not seal every marked slot again yet; the scheduled runs go on with it: run"
        " `mostread recompute` again in a few minutes to check"
    )


def _denied(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") in ("AccessDeniedException", "AccessDenied")


def all_sealed_since(db: Db, marked: Mapping[Slot, int], now: float) -> bool:
    """Whether every slot has a summary covering its mark (sealed again since it was marked)."""
    if not marked:
        return True
    marks = {mark.slot: mark for mark in viewlog.slot_index(db, min(slot.start for slot in marked), now)}
    return all(slot in marks and (marks[slot].summarised_ms or 0) >= marked_ms for slot, marked_ms in marked.items())


def rebuild_period(
    target: Target,
    start: float,
    end: float,
    now: float,
    on_page: Callable[[int, int], None] | None = None,
    on_chunk: Callable[[], None] | None = None,
) -> repair.RebuildReport:
    config = target.settings()
    db = target.db()
    views = list(repair.scan_views(db, int(start * 1000), int(end * 1000), on_page))
    return repair.rebuild_log(db, views, config.slot_seconds, now, config.retention_days, on_chunk)


def scan_estimate(target: Target) -> repair.ScanCost:
    described = target.client("dynamodb").describe_table(TableName=target.table)["Table"]
    return repair.scan_cost(int(described.get("TableSizeBytes", 0)), int(described.get("ItemCount", 0)))


# --- replay-failed ----------------------------------------------------------------------------------------


@dataclass
class QueuedFailure:
    message_id: str
    receipt: str
    body: str
    batch: repair.FailedBatch | None
    problem: str | None = None
    in_stream: bool | None = None  # None: not looked at yet

    def to_json(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "batch": self.batch.to_json() if self.batch else None,
            "problem": self.problem,
            "in_stream": self.in_stream,
        }


@dataclass
class ReplayOutcome:
    message_id: str
    source: str  # "stream", "view items" or "" (nothing done)
    records: int = 0
    logged: int = 0
    rejected: list[str] = field(default_factory=list)  # sequence numbers of poison records (malformed views)
    failed: list[str] = field(default_factory=list)  # sequence numbers ingest could not log (retry later)
    rebuild: repair.RebuildReport | None = None
    deleted: bool = False
    error: str | None = None
    slots: list[Slot] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "source": self.source,
            "records": self.records,
            "logged": self.logged,
            "rejected": self.rejected,
            "failed": self.failed,
            "rebuild": self.rebuild.to_json() if self.rebuild else None,
            "deleted": self.deleted,
            "error": self.error,
            "slots": [keys.slot_name(slot) for slot in self.slots],
        }


def receive_failures(target: Target, visibility_seconds: int = 900, limit: int = 1000) -> list[QueuedFailure]:
    """Every message of the failure queue, kept invisible to others for ``visibility_seconds`` while we work."""
    if not target.failure_queue_url:
        raise OperationError(f"{target.description} has no failure queue (IngestFailureQueueUrl)")
    sqs = target.client("sqs")
    found: dict[str, QueuedFailure] = {}
    while len(found) < limit:
        page = sqs.receive_message(
            QueueUrl=target.failure_queue_url,
            MaxNumberOfMessages=10,
            VisibilityTimeout=visibility_seconds,
            WaitTimeSeconds=1,
        )
        messages = page.get("Messages", [])
        if not messages:
            break
        for message in messages:
            body = str(message.get("Body", ""))
            try:
                batch: repair.FailedBatch | None = repair.parse_failure_record(body)
                problem = None
            except ValueError as error:
                batch, problem = None, str(error)
            found[message["MessageId"]] = QueuedFailure(
                message["MessageId"], message["ReceiptHandle"], body, batch, problem
            )
    return list(found.values())


def release(target: Target, failures: Iterable[QueuedFailure]) -> None:
    """Make messages visible again at once (nothing was done with them)."""
    for failure in failures:
        with contextlib.suppress(ClientError):  # else it becomes visible when its timeout ends
            target.client("sqs").change_message_visibility(
                QueueUrl=target.failure_queue_url, ReceiptHandle=failure.receipt, VisibilityTimeout=0
            )


_GONE = ("TrimmedDataAccessException", "ResourceNotFoundException", "ExpiredIteratorException")


def still_in_stream(target: Target, batch: repair.FailedBatch) -> bool:
    """Whether the stream still holds the batch's first record (24 hours; a table's new stream has new ARNs)."""
    try:
        target.client("dynamodbstreams").get_shard_iterator(
            StreamArn=batch.stream_arn,
            ShardId=batch.shard_id,
            ShardIteratorType="AT_SEQUENCE_NUMBER",
            SequenceNumber=batch.start_sequence,
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in (*_GONE, "ValidationException"):
            return False
        raise
    return True


class StreamGone(RuntimeError):
    """The stream no longer holds the records (older than 24 hours, or the stream was replaced)."""


def read_batch(streams: Any, batch: repair.FailedBatch, consumer: StreamConsumer) -> list[dict[str, Any]]:
    """The batch's records from the stream, in the shape Lambda delivered them (only those the consumer's
    FilterCriteria accept, as Lambda delivered only those)."""
    try:
        iterator = streams.get_shard_iterator(
            StreamArn=batch.stream_arn,
            ShardId=batch.shard_id,
            ShardIteratorType="AT_SEQUENCE_NUMBER",
            SequenceNumber=batch.start_sequence,
        ).get("ShardIterator")
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in (*_GONE, "ValidationException"):
            raise StreamGone(aws_error(error)) from None
        raise
    records: list[dict[str, Any]] = []
    empty_pages = 0
    while iterator and empty_pages < 5:
        try:
            page = streams.get_records(ShardIterator=iterator, Limit=1000)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _GONE:
                raise StreamGone(aws_error(error)) from None
            raise
        iterator = page.get("NextShardIterator")
        found = page.get("Records", [])
        empty_pages = 0 if found else empty_pages + 1
        for record in found:
            sequence = str(record["dynamodb"]["SequenceNumber"])
            if batch.past_end(sequence):
                return records
            converted = lambda_record(record, batch.stream_arn)
            if batch.holds(sequence) and consumer.accepts(converted):
                records.append(converted)
    return records


def ingest_consumer() -> StreamConsumer:
    consumers = [
        consumer for consumer in load_template().stream_consumers() if consumer.function_id == "IngestFunction"
    ]
    if not consumers:
        raise OperationError("template.yaml has no IngestFunction stream consumer")
    return consumers[0]


def replay_failure(
    target: Target, failure: QueuedFailure, now: float, consumer: StreamConsumer, allow_rebuild: bool
) -> ReplayOutcome:
    """Log one failed batch again: its records from the stream through the stream consumer's own code
    (``ingest_records``); when the stream no longer has them, the log of its arrival period rebuilt from the view
    items. The message is deleted only when nothing failed (poison records, which can never be logged, are
    reported, not kept)."""
    outcome = ReplayOutcome(failure.message_id, "")
    batch = failure.batch
    if batch is None:
        outcome.error = failure.problem or "not an on-failure record"
        return outcome
    db = target.db()
    try:
        records = read_batch(target.client("dynamodbstreams"), batch, consumer)
        outcome.source = "stream"
    except StreamGone as gone:
        if not allow_rebuild:
            outcome.error = f"the stream no longer has the batch ({gone}); rebuilding from the view items was declined"
            return outcome
        span = batch.arrival_range_ms()
        if span is None:
            outcome.error = "the stream no longer has the batch and the record gives no arrival times"
            return outcome
        config = target.settings()
        views = list(repair.scan_views(db, span[0], span[1]))
        outcome.source = "view items"
        outcome.rebuild = repair.rebuild_log(db, views, config.slot_seconds, now, config.retention_days)
        outcome.records = outcome.logged = outcome.rebuild.views
        outcome.slots = mark_changed(target, list(outcome.rebuild.slots), now)
        _delete(target, failure, outcome)
        return outcome
    outcome.records = len(records)
    with target.function_environment() as config:
        result: IngestResult = ingest_records(db, records, time.time)
        slot_seconds = config.slot_seconds
    outcome.logged = result.logged
    outcome.failed = list(result.failed_sequence_numbers)
    outcome.rejected = _rejected(records, result)
    outcome.slots = sorted(
        {Slot.of(received / 1000, slot_seconds) for record in records if (received := _received_ms(record)) is not None}
    )
    if not outcome.failed:
        _delete(target, failure, outcome)
    return outcome


def mark_changed(target: Target, slots: list[Slot], now: float) -> list[Slot]:
    """After a rebuild: mark the slots whose summary is no longer what their log says (the recompute path)."""
    if not slots:
        return []
    config = target.settings()
    db = target.db()
    wanted = set(slots)
    marks = [mark for mark in viewlog.slot_index(db, min(slot.start for slot in wanted), now) if mark.slot in wanted]
    checks = repair.check_slots(db, marks, config.max_views_per_address, now, config.ingest_grace_seconds)
    return sorted(
        repair.mark_due(db, [check.slot for check in checks if check.needs_repair], now, config.retention_days)
    )


def _delete(target: Target, failure: QueuedFailure, outcome: ReplayOutcome) -> None:
    target.client("sqs").delete_message(QueueUrl=target.failure_queue_url, ReceiptHandle=failure.receipt)
    outcome.deleted = True


def _received_ms(record: Mapping[str, Any]) -> int | None:
    try:
        return int(record["dynamodb"]["NewImage"]["t"]["N"])
    except (KeyError, TypeError, ValueError):
        return None


def _rejected(records: list[dict[str, Any]], result: IngestResult) -> list[str]:
    """Which records ingest rejected as malformed: it reports only how many, so tell them apart the way it does."""
    if not result.rejected:
        return []
    return [
        str(record.get("dynamodb", {}).get("SequenceNumber", ""))
        for record in records
        if _valid_view(record.get("dynamodb", {}).get("NewImage") or {}) is None
    ]


def render_json(document: Any) -> str:
    buffer = io.StringIO()
    json.dump(document, buffer, ensure_ascii=False, indent=2, default=str)
    return buffer.getvalue()
