"""Access pattern: the view log. Compact rows of recorded views, in chunks per dedupe slot.

* ``log#<slot>``: written by the stream consumer, one chunk per batch and slot. A chunk's sort key starts
  with the time it was written, so a ranking run reads only the chunks written since its previous read
  (minus a margin for chunks written late). A retried or bisected batch may log a row twice; counting works
  on sets, so that changes nothing.
* ``orow#<slot>#<partition>``: rows of ids that were not in the catalog when a ranking run read them, re-filed by
  article partition, so the slot's seal counts them one partition at a time, registering an article reads one
  partition, and a flood's writes spread over the partitions' keys. Sorted by source chunk: reading a chunk again
  rewrites the same items.
* ``slots``: one item per slot with views: when chunks last arrived (``marked_ms``), which arrival the
  summary covers (``summarised_ms``) and which article partitions have uncatalogued ids (``orphan_partitions``).

Size: a log chunk holds at most ``MAX_ROWS_PER_CHUNK`` rows of at most ~330 bytes (an id of 128 characters,
two 16-character hashes, an event key of 66, a ref of 32), compressed: under 400 KB for any input.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from mostread import codec, keys
from mostread.dal.client import Db, is_live, query_all
from mostread.logrow import Row
from mostread.timebuckets import Slot

MAX_ROWS_PER_CHUNK = 1000


def put_chunk(db: Db, slot: Slot, sort_key: str, rows: list[list[object]], expires_at: int) -> None:
    if len(rows) > MAX_ROWS_PER_CHUNK:
        raise ValueError(f"a log chunk holds at most {MAX_ROWS_PER_CHUNK} rows")
    db.client.put_item(
        TableName=db.table,
        Item={
            "pk": {"S": keys.log_key(slot)},
            "sk": {"S": sort_key},
            "rows": {"B": codec.pack(rows)},
            "expires_at": {"N": str(expires_at)},
        },
        ReturnConsumedCapacity="TOTAL",
    )


@dataclass(frozen=True)
class LogChunk:
    sort_key: str
    rows: list[Row]


def read_log(db: Db, slot: Slot, after: str | None = None) -> Iterator[LogChunk]:
    """The slot's log chunks in write order, those after sort key ``after`` only when it is given. Strongly
    consistent: a chunk the stream consumer has written is never skipped for being not yet replicated."""
    for item in query_all(db, keys.log_key(slot), consistent=True, sk_after=after):
        yield LogChunk(item["sk"]["S"], codec.unpack(item["rows"]["B"]))


def put_orphan_rows(db: Db, slot: Slot, partition: int, source: str, rows: list[Row], expires_at: int) -> None:
    db.client.put_item(
        TableName=db.table,
        Item={
            "pk": {"S": keys.orphan_rows_key(slot, partition)},
            "sk": {"S": keys.orphan_rows_sort_key(source)},
            "rows": {"B": codec.pack(list(rows))},
            "expires_at": {"N": str(expires_at)},
        },
        ReturnConsumedCapacity="TOTAL",
    )


def read_orphan_rows(db: Db, slot: Slot, partition: int) -> Iterator[Row]:
    for item in query_all(db, keys.orphan_rows_key(slot, partition), consistent=True):
        yield from codec.unpack(item["rows"]["B"])


@dataclass(frozen=True, slots=True)
class SlotMark:
    slot: Slot
    marked_ms: int
    summarised_ms: int | None
    summary_generation: int | None  # the generation of the summary written for that arrival
    orphan_partitions: int  # bit p set: the slot's orphan summary has ids of partition p
    marks: int = 0  # how many times chunks were marked: only ever grows, whatever the writers' clocks
    summarised_marks: int | None = None  # the marks the summary covers

    @property
    def due(self) -> bool:
        """Chunks arrived after the summary was made (or there is none): the slot must be (re)sealed. Counted,
        not timed: two marks in one millisecond, or from a stream consumer whose clock is behind, still count."""
        return self.summarised_marks is None or self.summarised_marks < self.marks


def mark_slot(db: Db, slot: Slot, marked_ms: int, expires_at: int) -> None:
    """Note that ``slot`` received log chunks (after writing them), so the ranking run (re)seals it."""
    db.client.update_item(
        TableName=db.table,
        Key=_index_key(slot),
        UpdateExpression="SET marked_ms = :marked, expires_at = :expires ADD marks :one",
        ExpressionAttributeValues={
            ":marked": {"N": str(marked_ms)},
            ":expires": {"N": str(expires_at)},
            ":one": {"N": "1"},
        },
        ReturnConsumedCapacity="TOTAL",
    )


def slot_index(db: Db, since: int, now: float) -> list[SlotMark]:
    """Every slot starting at ``since`` or later that has logged views, oldest first."""
    marks = []
    for item in query_all(db, keys.SLOT_INDEX, consistent=True, sk_from=f"{since:012d}"):
        if not is_live(item, now):
            continue
        summarised = item.get("summarised_ms")
        generation = item.get("summary_generation")
        marks.append(
            SlotMark(
                keys.slot_of_name(item["sk"]["S"]),
                int(item["marked_ms"]["N"]),
                int(summarised["N"]) if summarised else None,
                int(generation["N"]) if generation else None,
                int(item.get("orphan_partitions", {}).get("N", "0")),
                int(item.get("marks", {}).get("N", "0")),
                int(item["summarised_marks"]["N"]) if "summarised_marks" in item else None,
            )
        )
    return marks


def set_summarised(db: Db, mark: SlotMark, generation: int, orphan_partitions: int) -> None:
    """Record which marks the summary covers and its generation; a later mark (late views) makes the slot due
    again, and a base built over another generation of this slot is stale."""
    db.client.update_item(
        TableName=db.table,
        Key=_index_key(mark.slot),
        UpdateExpression=(
            "SET summarised_ms = :marked, summarised_marks = :marks, summary_generation = :generation,"
            " orphan_partitions = :orphans"
        ),
        ExpressionAttributeValues={
            ":marked": {"N": str(mark.marked_ms)},
            ":marks": {"N": str(mark.marks)},
            ":generation": {"N": str(generation)},
            ":orphans": {"N": str(orphan_partitions)},
        },
        ReturnConsumedCapacity="TOTAL",
    )


def _index_key(slot: Slot) -> dict[str, Any]:
    return {"pk": {"S": keys.SLOT_INDEX}, "sk": {"S": keys.slot_name(slot)}}
