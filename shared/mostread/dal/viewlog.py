"""Access pattern: the view log. Chunks of compact entries per dedupe slot, written by the stream consumer.

A chunk's key is derived from the stream records it holds, so a retried batch overwrites its own
chunk; a bisected batch may log an entry twice, which counting ignores (it works on sets).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from mostread import codec, keys
from mostread.counting import LoggedView
from mostread.dal.client import dynamodb, query_all, table_name


def put_chunk(slot: int, chunk_id: str, views: Iterable[LoggedView], expires_at: int) -> None:
    dynamodb().put_item(
        TableName=table_name(),
        Item={
            "pk": {"S": keys.log_key(slot)},
            "sk": {"S": chunk_id},
            "rows": {"B": codec.pack([view.to_row() for view in views])},
            "expires_at": {"N": str(expires_at)},
        },
        ReturnConsumedCapacity="TOTAL",
    )


def read_slot(slot: int, consistent: bool) -> list[LoggedView]:
    views: list[LoggedView] = []
    for item in query_all(keys.log_key(slot), consistent=consistent):
        views.extend(LoggedView.from_row(row) for row in codec.unpack(item["rows"]["B"]))
    return views


@dataclass(frozen=True, slots=True)
class SlotMark:
    slot: int
    marked_ms: int
    summarised_ms: int | None


def mark_slot(slot: int, marked_ms: int, expires_at: int) -> None:
    """Note that ``slot`` received log chunks (after writing them), so the ranking run (re)summarises it."""
    dynamodb().update_item(
        TableName=table_name(),
        Key=_index_key(slot),
        UpdateExpression="SET marked_ms = :marked, expires_at = :expires",
        ExpressionAttributeValues={":marked": {"N": str(marked_ms)}, ":expires": {"N": str(expires_at)}},
        ReturnConsumedCapacity="TOTAL",
    )


def slot_index(since: int) -> list[SlotMark]:
    """Every slot from ``since`` on that has logged views, oldest first."""
    marks = []
    for item in query_all(keys.SLOT_INDEX, consistent=True, sk_from=_slot_sk(since)):
        summarised = item.get("summarised_ms")
        marks.append(
            SlotMark(
                int(item["sk"]["S"]),
                int(item["marked_ms"]["N"]),
                int(summarised["N"]) if summarised else None,
            )
        )
    return marks


def set_summarised(slot: int, marked_ms: int) -> None:
    """Record which mark a summary covers; a later mark (late views) makes the slot due again."""
    dynamodb().update_item(
        TableName=table_name(),
        Key=_index_key(slot),
        UpdateExpression="SET summarised_ms = :marked",
        ExpressionAttributeValues={":marked": {"N": str(marked_ms)}},
        ReturnConsumedCapacity="TOTAL",
    )


def _slot_sk(slot: int) -> str:
    return f"{slot:012d}"


def _index_key(slot: int) -> dict[str, Any]:
    return {"pk": {"S": keys.SLOT_INDEX}, "sk": {"S": _slot_sk(slot)}}
