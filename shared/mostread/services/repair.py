"""What the ops commands (``mostread recompute``, ``replay-failed``, ``inspect``, ``status``) know about the data:
recount slots from their logs and compare them with the stored summaries, rebuild a period's log from the
recorded view items, read back the position of a failed stream batch, and the few reads the inspecting
commands need. No AWS beyond a ``Db``; the comparisons are pure.

**Recompute.** A sealed slot's summary (both parts, catalogued and uncatalogued, per 5-minute bucket) is a
function of its whole log and ``MaxViewsPerAddress``. ``check_slots`` recounts each slot with the service's own
``SlotCounter`` and lists what differs. Applying it is *marking* the differing slots (``viewlog.mark_slot``):
a mark newer than the summary makes the slot due, and the next ranking run seals it again from its whole log,
stores the delta and corrects the bases (docs/architecture.md, "Windows and buckets"). Nothing here writes a
summary, a base or a list: the ranking run stays their only writer. A second check finds nothing to change.

**Rebuild.** When log chunks were lost, ``rebuild_log`` writes the period's log again from the ``view#`` items
(found with ``scan_views``), with ingest's own writer (``viewlog.put_chunk``). Each chunk's id is a hash of its
slot and the event keys it holds, so a rebuild repeated over the same views finds its chunks already there and
writes nothing; a view logged twice (by ingest and by a rebuild) changes no count, as counting works on sets.

New data-access functions (on top of ``mostread.dal``): ``scan_views`` (a filtered Scan of the view items),
``log_sort_keys`` (the sort keys of a slot's log, without the rows), ``published_counts`` (an article's counts
chunk with its capped views) and ``read_lists`` (several published lists at once).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from mostread import keys
from mostread.counting import (
    SlotCounter,
    SlotCounts,
    capped_key,
    engaged_key,
    is_article_key,
    widget_key,
)
from mostread.dal import aggregates, published, summaries, viewlog
from mostread.dal.aggregates import IncompleteSet
from mostread.dal.client import Db
from mostread.dal.viewlog import SlotMark
from mostread.logrow import LoggedView
from mostread.models import KIND_WINDOWS
from mostread.timebuckets import FINE_SECONDS, LONGEST_WINDOW, WINDOWS, Slot

# DynamoDB on-demand, us-east-1 (docs/operations.md, "Dashboard and logs"): dollars per read request unit.
READ_UNIT_DOLLARS = 0.125 / 1_000_000
SCAN_PAGE_BYTES = 1024 * 1024  # a Scan page reads at most 1 MB
# a view's stream record arrives a little after the tracker stamped it: the arrival times of a failed batch are
# widened by this much to find its views again among the view items
ARRIVAL_MARGIN_SECONDS = 300
MAX_SLOT_SECONDS = 3600  # DedupeMinutes is at most 60


class IncompleteSummary(RuntimeError):
    """A summary head names chunks that are gone: the ranking run would rebuild it, and so does a recompute."""


# --- recount and compare --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recount:
    counts: SlotCounts
    rows: int
    chunks: int


def recount_slot(db: Db, slot: Slot, cap: int, article_id: str | None = None) -> Recount:
    """The slot's counts from its whole log, by the counting rules (``SlotCounter``). With ``article_id``, only
    that article's rows are counted: capping is per article and address, so its counts are the same."""
    counter = SlotCounter(slot, cap)
    rows = chunks = 0
    for chunk in viewlog.read_log(db, slot):
        chunks += 1
        rows += len(chunk.rows)
        if article_id is None:
            counter.add_rows(chunk.rows)
        else:
            counter.add_rows(row for row in chunk.rows if str(row[0]) == article_id)
    return Recount(counter.counts(), rows, chunks)


def stored_counts(db: Db, slot: Slot, now: float) -> SlotCounts | None:
    """The slot's summary, both parts per bucket (every id, catalogued or not); None when it has none.
    Raises ``IncompleteSummary`` when a chunk of it is gone."""
    head = summaries.summary_head(db, slot, now)
    if head is None:
        return None
    counts = summaries.read_catalogued(db, head, now)
    if counts is None:
        raise IncompleteSummary(keys.summary_key(slot))
    try:
        for chunk in aggregates.read_chunks(db, head.orphans, now):
            counts.update(chunk)
    except IncompleteSet as error:
        raise IncompleteSummary(keys.orphan_summary_key(slot)) from error
    return counts


@dataclass(frozen=True)
class CountChange:
    """What a recount changes for one article of one slot: (stored, recounted) per measure, and the buckets
    whose counted views differ as (bucket start, stored, recounted)."""

    article_id: str
    views: tuple[int, int]
    widget: tuple[int, int]
    capped: tuple[int, int]
    buckets: tuple[tuple[int, int, int], ...] = ()

    @property
    def views_delta(self) -> int:
        return self.views[1] - self.views[0]

    def to_json(self) -> dict[str, Any]:
        return {
            "article_id": self.article_id,
            "views": list(self.views),
            "widget_clicks": list(self.widget),
            "capped": list(self.capped),
            "buckets": [{"start": start, "stored": old, "recounted": new} for start, old, new in self.buckets],
        }


def compare_counts(
    slot: Slot, stored: Mapping[str, list[int]], recounted: Mapping[str, list[int]]
) -> list[CountChange]:
    """Per article, what differs between two counts of one slot (any count key, any bucket). Pure."""
    articles = sorted({key[1:] if not is_article_key(key) else key for key in stored.keys() | recounted.keys()})
    changes = []
    for article_id in articles:
        measures = [
            (_row(stored, key, slot), _row(recounted, key, slot))
            for key in (article_id, widget_key(article_id), capped_key(article_id))
        ]
        if all(old == new for old, new in measures):
            continue
        (old_views, new_views), (old_widget, new_widget), (old_capped, new_capped) = measures
        buckets = tuple(
            (slot.bucket_start(index), old, new)
            for index, (old, new) in enumerate(zip(old_views, new_views, strict=True))
            if old != new
        )
        changes.append(
            CountChange(
                article_id,
                (sum(old_views), sum(new_views)),
                (sum(old_widget), sum(new_widget)),
                (sum(old_capped), sum(new_capped)),
                buckets,
            )
        )
    return changes


def _row(counts: Mapping[str, list[int]], key: str, slot: Slot) -> list[int]:
    row = list(counts.get(key, []))
    return (row + [0] * slot.buckets)[: slot.buckets]


# What a slot is, for a recompute:
SEALED = "sealed"  # summarised, no views since: a difference is what a recompute repairs
DUE = "due"  # views arrived after its summary: the next run seals it again anyway
OPEN = "open"  # not ended (plus the grace period) yet: counted live from its log every run
UNSEALED = "unsealed"  # ended but never summarised (the runs are behind): the next run seals it
MISSING = "missing"  # marked summarised, but the summary is gone or incomplete: a recompute has it sealed again
OUTSIDE = "outside"  # older than the longest window: no run reads it any more, nothing to repair
ACTIONABLE = frozenset({SEALED, DUE, MISSING})


@dataclass
class SlotCheck:
    slot: Slot
    state: str
    rows: int = 0
    chunks: int = 0
    stored_views: int | None = None
    recounted_views: int = 0
    changes: list[CountChange] = field(default_factory=list)

    @property
    def needs_repair(self) -> bool:
        """A recompute marks this slot: it is one a run re-seals, and its summary is not what its log says."""
        return self.state in ACTIONABLE and (bool(self.changes) or self.state == MISSING)

    @property
    def log_lacks_views(self) -> bool:
        """The log holds fewer views than the summary counted: log chunks lost? (--from-view-records)"""
        return any(change.views_delta < 0 for change in self.changes)

    def to_json(self) -> dict[str, Any]:
        return {
            "slot": keys.slot_name(self.slot),
            "start": self.slot.start,
            "seconds": self.slot.seconds,
            "state": self.state,
            "log_rows": self.rows,
            "log_chunks": self.chunks,
            "stored_views": self.stored_views,
            "recounted_views": self.recounted_views,
            "needs_repair": self.needs_repair,
            "changes": [change.to_json() for change in self.changes],
        }


def slots_in_period(db: Db, start: float, end: float, now: float) -> list[SlotMark]:
    """Every slot with logged views that overlaps ``[start, end)``, oldest first, whatever its length."""
    marks = viewlog.slot_index(db, max(int(start) - MAX_SLOT_SECONDS, 0), now)
    return [mark for mark in marks if mark.slot.start < end and mark.slot.end > start]


def slot_state(mark: SlotMark, now: float, grace_seconds: int) -> str:
    if mark.slot.start < LONGEST_WINDOW.first_bucket(now):
        return OUTSIDE
    if now < mark.slot.end + grace_seconds:
        return OPEN
    if mark.summarised_ms is None:
        return UNSEALED
    return DUE if mark.due else SEALED


def check_slot(db: Db, mark: SlotMark, cap: int, now: float, grace_seconds: int) -> SlotCheck:
    """Recount one slot from its log and compare it with its summary (sealed and due slots only)."""
    state = slot_state(mark, now, grace_seconds)
    check = SlotCheck(mark.slot, state)
    if state not in ACTIONABLE:
        return check
    recount = recount_slot(db, mark.slot, cap)
    check.rows, check.chunks = recount.rows, recount.chunks
    check.recounted_views = _views(recount.counts)
    try:
        stored = stored_counts(db, mark.slot, now)
    except IncompleteSummary:
        stored = None
    if stored is None:
        check.state = MISSING
        check.changes = compare_counts(mark.slot, {}, recount.counts)
        return check
    check.stored_views = _views(stored)
    check.changes = compare_counts(mark.slot, stored, recount.counts)
    return check


def check_slots(
    db: Db,
    marks: Iterable[SlotMark],
    cap: int,
    now: float,
    grace_seconds: int,
    on_slot: Callable[[SlotCheck], None] | None = None,
) -> list[SlotCheck]:
    checks = []
    for mark in marks:
        check = check_slot(db, mark, cap, now, grace_seconds)
        checks.append(check)
        if on_slot is not None:
            on_slot(check)
    return checks


def mark_due(db: Db, slots: Iterable[Slot], now: float, retention_days: int) -> dict[Slot, int]:
    """Make these slots due: the next ranking run seals each again from its whole log (and corrects the bases).
    A slot is due when its mark is newer than its summary, so the mark is ``now``, or just after what the slot
    index holds when that is later (this machine's clock may be behind the functions'). Returns each slot's mark."""
    wanted = sorted(set(slots))
    if not wanted:
        return {}
    held = {mark.slot: mark for mark in viewlog.slot_index(db, wanted[0].start, now)}
    marked = {}
    for slot in wanted:
        mark = held.get(slot)
        marked_ms = int(now * 1000)
        if mark is not None:
            marked_ms = max(marked_ms, mark.marked_ms + 1, (mark.summarised_ms or 0) + 1)
        viewlog.mark_slot(db, slot, marked_ms, slot.end + retention_days * 86400)
        marked[slot] = marked_ms
    return marked


def _views(counts: Mapping[str, list[int]]) -> int:
    return sum(sum(row) for key, row in counts.items() if is_article_key(key))


# --- rebuild a period's log from the view items -----------------------------------------------------------


def scan_views(
    db: Db,
    start_ms: int,
    end_ms: int,
    on_page: Callable[[int, int], None] | None = None,
) -> Iterator[LoggedView]:
    """Every recorded view received in ``[start_ms, end_ms)``, from a Scan of the table filtered on ``t``. A Scan
    reads (and is billed for) the whole table, whatever the filter: see ``scan_cost``. ``on_page(scanned, found)``
    after each page."""
    request: dict[str, Any] = {
        "TableName": db.table,
        "FilterExpression": "begins_with(pk, :view) AND #t BETWEEN :from AND :to",
        "ProjectionExpression": "pk, a, v, #t, ad, r, w, g",
        "ExpressionAttributeNames": {"#t": "t"},
        "ExpressionAttributeValues": {
            ":view": {"S": keys.VIEW},
            ":from": {"N": str(start_ms)},
            ":to": {"N": str(end_ms - 1)},
        },
        "ReturnConsumedCapacity": "TOTAL",
    }
    while True:
        page = db.client.scan(**request)
        items = page.get("Items", [])
        if on_page is not None:
            on_page(int(page.get("ScannedCount", len(items))), len(items))
        for item in items:
            view = _view_of_item(item)
            if view is not None:
                yield view
                if "g" in item:  # marked engaged: its engaged row, as ingest logs it
                    yield replace(view, article_id=engaged_key(view.article_id), ref="")
        if "LastEvaluatedKey" not in page:
            return
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _view_of_item(item: Mapping[str, Any]) -> LoggedView | None:
    try:
        view = LoggedView(
            article_id=item["a"]["S"],
            visitor=item["v"]["S"],
            received_ms=int(item["t"]["N"]),
            event_key=item["pk"]["S"].removeprefix(keys.VIEW),
            address=item.get("ad", {}).get("S", ""),
            ref=item.get("r", {}).get("S", ""),
            weight=int(item.get("w", {}).get("N", "1")),
        )
    except (KeyError, ValueError, TypeError):
        return None  # not a view the tracker could have written: ingest would reject it too
    return view if view.article_id and view.visitor and view.weight >= 1 else None


@dataclass(frozen=True)
class ScanCost:
    table_bytes: int
    items: int
    read_units: float
    dollars: float


def scan_cost(table_bytes: int, items: int) -> ScanCost:
    """What a Scan of the whole table costs on demand: eventually consistent reads, half a unit per 4 KB, every
    byte of the table whatever the filter (DescribeTable's size, updated about every six hours)."""
    read_units = math.ceil(table_bytes / 4096) * 0.5
    return ScanCost(table_bytes, items, read_units, read_units * READ_UNIT_DOLLARS)


def log_sort_keys(db: Db, slot: Slot) -> list[str]:
    """The sort keys of a slot's log chunks, without their rows (a keys-only Query)."""
    request: dict[str, Any] = {
        "TableName": db.table,
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": keys.log_key(slot)}},
        "ProjectionExpression": "sk",
        "ConsistentRead": True,
        "ReturnConsumedCapacity": "TOTAL",
    }
    found: list[str] = []
    while True:
        page = db.client.query(**request)
        found.extend(item["sk"]["S"] for item in page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return found
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def rebuild_chunk_id(slot: Slot, event_keys: Iterable[str]) -> str:
    """A rebuilt chunk's id: its slot and the views it holds, so the same views give the same chunk."""
    text = keys.slot_name(slot) + "\n" + "\n".join(event_keys)
    return "rebuild-" + hashlib.sha256(text.encode()).hexdigest()[:24]


@dataclass
class RebuildReport:
    views: int = 0
    slots: dict[Slot, int] = field(default_factory=dict)  # slot -> views found in it
    chunks_written: int = 0
    chunks_present: int = 0  # written by an earlier rebuild of the same views: left as they are
    slots_marked: list[Slot] = field(default_factory=list)  # slots the index did not have

    def to_json(self) -> dict[str, Any]:
        return {
            "views": self.views,
            "slots": {keys.slot_name(slot): views for slot, views in sorted(self.slots.items())},
            "chunks_written": self.chunks_written,
            "chunks_present": self.chunks_present,
            "slots_marked": [keys.slot_name(slot) for slot in self.slots_marked],
        }


def rebuild_log(
    db: Db,
    views: Iterable[LoggedView],
    slot_seconds: int,
    now: float,
    retention_days: int,
    on_chunk: Callable[[], None] | None = None,
) -> RebuildReport:
    """Log these views again, by slot, in chunks of at most ``viewlog.MAX_ROWS_PER_CHUNK`` rows ordered by event
    key. A chunk is stamped ``now`` (so every reader of an open slot reads it) unless a chunk of the same id is
    already in the slot's log: then the rebuild has run before over the same views and the chunk is left alone.
    A slot that had no entry in the slot index (its whole log was lost) gets one, so the ranking run seals it; for
    the others ``check_slots`` and ``mark_due`` decide which summaries to make again."""
    report = RebuildReport()
    by_slot: defaultdict[Slot, dict[str, LoggedView]] = defaultdict(dict)
    for view in views:
        by_slot[Slot.of(view.received_ms / 1000, slot_seconds)][view.event_key] = view
        report.views += 1
    for slot in sorted(by_slot):
        ordered = [by_slot[slot][event_key] for event_key in sorted(by_slot[slot])]
        report.slots[slot] = len(ordered)
        present = {sort_key.split("#", 1)[1] for sort_key in log_sort_keys(db, slot) if "#" in sort_key}
        expires_at = slot.end + retention_days * 86400
        for start in range(0, len(ordered), viewlog.MAX_ROWS_PER_CHUNK):
            page = ordered[start : start + viewlog.MAX_ROWS_PER_CHUNK]
            chunk_id = rebuild_chunk_id(slot, (view.event_key for view in page))
            if chunk_id in present:
                report.chunks_present += 1
            else:
                sort_key = keys.log_chunk_sort_key(int(now * 1000), chunk_id)
                viewlog.put_chunk(db, slot, sort_key, [view.to_row() for view in page], expires_at)
                report.chunks_written += 1
            if on_chunk is not None:
                on_chunk()
    report.slots_marked = ensure_marked(db, report.slots, now, retention_days)
    return report


def ensure_marked(db: Db, slots: Iterable[Slot], now: float, retention_days: int) -> list[Slot]:
    """Give the slots that have no entry in the slot index one (a ranking run sees only indexed slots)."""
    wanted = set(slots)
    if not wanted:
        return []
    indexed = {mark.slot for mark in viewlog.slot_index(db, min(slot.start for slot in wanted), now)}
    return sorted(mark_due(db, wanted - indexed, now, retention_days))


# --- failed stream batches ------------------------------------------------------------------------------


@dataclass(frozen=True)
class FailedBatch:
    """The position of a batch the stream consumer gave up on, from Lambda's on-failure record
    (``DDBStreamBatchInfo``): the records themselves are only in the stream, for 24 hours."""

    stream_arn: str
    shard_id: str
    start_sequence: str
    end_sequence: str
    batch_size: int
    first_arrival: float | None
    last_arrival: float | None
    condition: str = ""
    failed_at: str = ""

    def holds(self, sequence_number: str) -> bool:
        return sequence_key(self.start_sequence) <= sequence_key(sequence_number) <= sequence_key(self.end_sequence)

    def past_end(self, sequence_number: str) -> bool:
        return sequence_key(sequence_number) > sequence_key(self.end_sequence)

    def arrival_range_ms(self, margin_seconds: int = ARRIVAL_MARGIN_SECONDS) -> tuple[int, int] | None:
        """Receive times to look for the batch's views among the view items (its arrival times, widened)."""
        if self.first_arrival is None or self.last_arrival is None:
            return None
        return int((self.first_arrival - margin_seconds) * 1000), int((self.last_arrival + margin_seconds) * 1000)

    def to_json(self) -> dict[str, Any]:
        return {
            "stream_arn": self.stream_arn,
            "shard_id": self.shard_id,
            "start_sequence": self.start_sequence,
            "end_sequence": self.end_sequence,
            "batch_size": self.batch_size,
            "first_arrival": self.first_arrival,
            "last_arrival": self.last_arrival,
            "condition": self.condition,
            "failed_at": self.failed_at,
        }


def parse_failure_record(body: str) -> FailedBatch:
    """Lambda's on-failure record for a DynamoDB stream batch; ValueError when the message is not one."""
    try:
        document = json.loads(body)
        info = document["DDBStreamBatchInfo"]
        return FailedBatch(
            stream_arn=str(info["streamArn"]),
            shard_id=str(info["shardId"]),
            start_sequence=str(info["startSequenceNumber"]),
            end_sequence=str(info["endSequenceNumber"]),
            batch_size=int(info.get("batchSize", 0)),
            first_arrival=_epoch(info.get("approximateArrivalOfFirstRecord")),
            last_arrival=_epoch(info.get("approximateArrivalOfLastRecord")),
            condition=str((document.get("requestContext") or {}).get("condition", "")),
            failed_at=str(document.get("timestamp", "")),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise ValueError(f"not a DynamoDB stream on-failure record: {error}") from None


def sequence_key(sequence_number: str) -> int:
    """Stream sequence numbers are decimal strings of varying length: compare them as numbers."""
    return int(sequence_number)


def _epoch(value: Any) -> float | None:
    if value in (None, ""):
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


# --- what the inspecting commands read ---------------------------------------------------------------------


@dataclass(frozen=True)
class PublishedCounts:
    counts: dict[str, int]  # window -> counted views, as the latest run published them
    capped: dict[str, int]  # window -> views capped (MaxViewsPerAddress)
    generated_at: str | None


def published_counts(db: Db, article_id: str) -> PublishedCounts:
    """The article's published counts and capped views (its counts chunk), and when the latest run wrote them."""
    latest = published.get_document(db, keys.LATEST_RUN)
    if latest is None:
        return PublishedCounts({}, {}, None)
    chunks = int(latest.get("count_chunks", published.MIN_COUNT_CHUNKS))
    document = published.get_document(db, keys.counts_chunk_key(keys.counts_chunk_of(article_id, chunks))) or {}
    counts = (document.get("counts") or {}).get(article_id) or [0] * len(WINDOWS)
    capped = (document.get("capped") or {}).get(article_id) or [0] * len(WINDOWS)
    return PublishedCounts(
        dict(zip(WINDOWS, counts, strict=True)),
        dict(zip(WINDOWS, capped, strict=True)),
        str(latest.get("generated_at")) if latest.get("generated_at") else None,
    )


def list_keys(sections: Iterable[str | None]) -> list[str]:
    """Every list a run can publish for these sections (and all sections): kinds x their windows x sections."""
    wanted = [None, *sorted({section for section in sections if section})]
    return [
        keys.list_key(kind, window, section)
        for kind, windows in KIND_WINDOWS.items()
        for window in windows
        for section in wanted
    ]


def read_lists(db: Db, list_keys_wanted: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The published lists among these keys (absent ones left out)."""
    return published.get_documents(db, list(dict.fromkeys(list_keys_wanted)))


@dataclass(frozen=True)
class ListPosition:
    kind: str
    window: str
    section: str | None
    rank: int
    views: int
    previous_rank: int | None
    score: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "window": self.window,
            "section": self.section,
            "rank": self.rank,
            "views": self.views,
            "previous_rank": self.previous_rank,
            "score": self.score,
        }


def positions_of(article_id: str, lists: Mapping[str, Mapping[str, Any]]) -> list[ListPosition]:
    """Where the article stands in each of these published lists. Pure."""
    found = []
    for list_key in sorted(lists):
        kind, window, section = keys.list_of_key(list_key)
        for item in lists[list_key].get("items", []):
            if item.get("article_id") == article_id:
                found.append(
                    ListPosition(
                        kind,
                        window,
                        section,
                        int(item["rank"]),
                        int(item["views"]),
                        item.get("previous_rank"),
                        item.get("score"),
                    )
                )
    return found


@dataclass(frozen=True)
class BucketCounts:
    start: int  # the 5-minute bucket's start (epoch seconds)
    views: int
    widget_clicks: int
    capped: int  # capped visitors are counted per slot, in its first bucket
    source: str  # "log" (open or due slot, counted now), "summary", "summary (uncatalogued)"

    def to_json(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "views": self.views,
            "widget_clicks": self.widget_clicks,
            "capped": self.capped,
            "source": self.source,
        }


def article_buckets(
    db: Db, article_id: str, start: float, end: float, now: float, cap: int, grace_seconds: int
) -> list[BucketCounts]:
    """The article's counts per 5-minute bucket in ``[start, end)``: from the summaries of sealed slots (the
    catalogued part, or the uncatalogued part for an id the slot's seal did not know), from the log for slots
    not sealed yet or due again. Buckets without views are left out."""
    wanted = {article_id, widget_key(article_id), capped_key(article_id)}
    found: list[BucketCounts] = []
    for mark in slots_in_period(db, start, end, now):
        state = slot_state(mark, now, grace_seconds)
        counts: Mapping[str, list[int]] | None = None
        source = "log"
        if state == SEALED:
            counts, source = _summary_part(db, mark.slot, wanted, now)
        if counts is None:
            counts, source = recount_slot(db, mark.slot, cap, article_id).counts, "log"
        views = _row(counts, article_id, mark.slot)
        widget = _row(counts, widget_key(article_id), mark.slot)
        capped = _row(counts, capped_key(article_id), mark.slot)
        for index in range(mark.slot.buckets):
            bucket = mark.slot.bucket_start(index)
            if not start - FINE_SECONDS < bucket < end:
                continue
            if views[index] or widget[index] or capped[index]:
                found.append(BucketCounts(bucket, views[index], widget[index], capped[index], source))
    return found


def _summary_part(db: Db, slot: Slot, wanted: set[str], now: float) -> tuple[Mapping[str, list[int]] | None, str]:
    head = summaries.summary_head(db, slot, now)
    if head is None:
        return None, "log"
    catalogued = summaries.read_catalogued(db, head, now)
    if catalogued is None:
        return None, "log"
    if wanted & catalogued.keys():
        return {key: catalogued[key] for key in wanted if key in catalogued}, "summary"
    orphans = summaries.lookup_orphans(db, [head], wanted, now)
    if orphans is None:
        return None, "log"
    part = orphans.get(slot, {})
    return ({key: list(value) for key, value in part.items()}, "summary (uncatalogued)") if part else ({}, "summary")
