"""Access pattern: the calendar archive.

* ``arch#state``: one document: the next site-day to add up and the weeks, months and years waiting for their lists;
* ``arch#acc``: the totals of the day being added up, with the slots (and their summary generations) already in
  them, a chunk set (``aggregates``), so a day is added up over several runs and a crash repeats a step at most;
* ``arch#day#YYYY-MM-DD``: a finalised day's listed views per catalogued article, a chunk set of
  ``{article_id: views}`` (zlib-compressed JSON; 3 to 7 bytes per article-day, benchmarks/bench_archive.py);
* ``arch#month#YYYY-MM``: the same for a month, the sum of its days, with the days it holds (a day is added once);
* ``archlist#<period>#<section or *>``: a published period list (ids and views), read with one GetItem.

Everything but the state expires ``ArchiveDays`` after its period ends (DynamoDB TTL; reads check the time too).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from mostread import codec, keys
from mostread.counting import SlotCounts, article_of_key
from mostread.dal import aggregates, summaries
from mostread.dal.aggregates import IncompleteSet
from mostread.dal.client import Db, is_live
from mostread.timebuckets import Slot


def get_state(db: Db) -> dict[str, Any] | None:
    item = db.client.get_item(
        TableName=db.table, Key=_key(keys.ARCHIVE_STATE), ConsistentRead=True, ReturnConsumedCapacity="TOTAL"
    ).get("Item")
    return codec.unpack(item["doc"]["B"]) if item else None


def put_state(db: Db, state: dict[str, Any]) -> None:
    db.client.put_item(
        TableName=db.table,
        Item={**_key(keys.ARCHIVE_STATE), "doc": {"B": codec.pack(state)}},
        ReturnConsumedCapacity="TOTAL",
    )


def get_day_in_progress(db: Db, now: float) -> tuple[dict[str, int], dict[str, Any]] | None:
    """(totals per count key, {"day", "slots": {slot name: generation}}) of the day being added up."""
    return aggregates.get_chunked(db, keys.ARCHIVE_DAY_IN_PROGRESS, now)


def put_day_in_progress(
    db: Db, day: str, slots: dict[str, int], totals: dict[str, int], now_ms: int, expires_at: int
) -> None:
    aggregates.put_chunked(db, keys.ARCHIVE_DAY_IN_PROGRESS, totals, {"day": day, "slots": slots}, now_ms, expires_at)


def slot_counts(db: Db, slot: Slot, now: float, wanted: Collection[str]) -> tuple[int, SlotCounts] | None:
    """A sealed slot's counts per 5-minute bucket and its summary's generation: the catalogued part, and the
    uncatalogued part of ids in ``wanted`` (articles registered after the seal), read chunk by chunk so that junk
    ids are never held. None when the slot has no complete summary (expired, or never sealed)."""
    head = summaries.summary_head(db, slot, now)
    if head is None:
        return None
    counts: SlotCounts = {}
    try:
        for chunk in aggregates.read_chunks(db, head.catalogued, now):
            counts.update(chunk)
        if head.orphans.chunks:
            for chunk in aggregates.read_chunks(db, head.orphans, now):
                for count_key, row in chunk.items():
                    if article_of_key(count_key) in wanted:
                        counts[count_key] = row
    except IncompleteSet:
        return None
    return head.generation, counts


def put_totals(db: Db, pk: str, totals: dict[str, int], meta: dict[str, Any], now_ms: int, expires_at: int) -> None:
    """A day's or a month's totals (``keys.archive_day_key`` / ``keys.archive_month_key``)."""
    aggregates.put_chunked(db, pk, totals, meta, now_ms, expires_at)


def get_totals(db: Db, pk: str, now: float) -> tuple[dict[str, int], dict[str, Any]] | None:
    return aggregates.get_chunked(db, pk, now)


def put_list(db: Db, period: str, section: str | None, document: dict[str, Any], expires_at: int) -> None:
    db.client.put_item(
        TableName=db.table,
        Item={
            **_key(keys.archive_list_key(period, section)),
            "doc": {"B": codec.pack(document)},
            "expires_at": {"N": str(expires_at)},
        },
        ReturnConsumedCapacity="TOTAL",
    )


def get_list(db: Db, period: str, section: str | None, now: float) -> dict[str, Any] | None:
    item = db.client.get_item(
        TableName=db.table, Key=_key(keys.archive_list_key(period, section)), ReturnConsumedCapacity="TOTAL"
    ).get("Item")
    return codec.unpack(item["doc"]["B"]) if item and is_live(item, now) else None


def _key(pk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": keys.ITEM}}
