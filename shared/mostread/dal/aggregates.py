"""Access pattern: derived aggregates (slot summaries, window bases), stored as compressed chunk sets.

A set is written as a new generation of chunks, then a head item that points to it, then the old
generation is deleted: a reader following the head never sees a half-written set, so a run that
crashes midway leaves the previous state intact.
"""

from __future__ import annotations

from typing import Any

from mostread import codec
from mostread.dal.client import dynamodb, query_all, table_name

HEAD = "head"


def put_chunked(pk: str, mapping: dict[str, Any], meta: dict[str, Any], generation: int, expires_at: int) -> None:
    """Store ``mapping`` under ``pk`` with ``meta`` (plain JSON values) on the head item."""
    table = table_name()
    previous = dynamodb().get_item(TableName=table, Key=_key(pk, HEAD), ConsistentRead=True).get("Item")
    blobs = codec.pack_mapping_in_chunks(mapping)
    for index, blob in enumerate(blobs):
        dynamodb().put_item(
            TableName=table,
            Item={
                **_key(pk, f"{generation}#{index:04d}"),
                "data": {"B": blob},
                "expires_at": {"N": str(expires_at)},
            },
            ReturnConsumedCapacity="TOTAL",
        )
    dynamodb().put_item(
        TableName=table,
        Item={
            **_key(pk, HEAD),
            "generation": {"N": str(generation)},
            "chunks": {"N": str(len(blobs))},
            "meta": {"B": codec.pack(meta)},
            "expires_at": {"N": str(expires_at)},
        },
        ReturnConsumedCapacity="TOTAL",
    )
    if previous and int(previous["generation"]["N"]) != generation:
        old = int(previous["generation"]["N"])
        for index in range(int(previous["chunks"]["N"])):
            dynamodb().delete_item(TableName=table, Key=_key(pk, f"{old}#{index:04d}"), ReturnConsumedCapacity="TOTAL")


def get_chunked(pk: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(mapping, meta) of the current generation, or None when nothing was stored."""
    head = dynamodb().get_item(
        TableName=table_name(), Key=_key(pk, HEAD), ConsistentRead=True, ReturnConsumedCapacity="TOTAL"
    )
    item = head.get("Item")
    if not item:
        return None
    generation = item["generation"]["N"]
    mapping: dict[str, Any] = {}
    for chunk in query_all(pk, consistent=True, sk_prefix=f"{generation}#"):
        mapping.update(codec.unpack(chunk["data"]["B"]))
    return mapping, codec.unpack(item["meta"]["B"])


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}
