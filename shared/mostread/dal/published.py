"""Access pattern: what the ranking run publishes for the read path, and the run's own coordination.

* ``list#…``: one item per list (ids and numbers, at most ListDepth ≤ 100 entries: a few KB whatever the ids).
* ``counts#<n>``: per-article 1h/24h/7d counts of the catalogued articles with views, hashed into as many chunks
  as keep each one small (a power of two; the run doubles it until every chunk packs below
  ``COUNTS_CHUNK_BYTES``). ``counts#latest-run`` says how many there are and when the run finished; a read
  container remembers the number and asks again only when the latest run says it changed.
* ``state#lease``: held by the one ranking run allowed to run now (a conditional write that expires).
"""

from __future__ import annotations

from typing import Any

from mostread import codec, keys
from mostread.caches import remembered
from mostread.dal.client import Db, batch_get, condition_held

COUNTS_CHUNK_BYTES = 32_000  # a GetItem of a counts chunk stays a few read units
MIN_COUNT_CHUNKS = 8


def put_list(db: Db, kind: str, window: str, section: str | None, document: dict[str, Any]) -> None:
    put_document(db, keys.list_key(kind, window, section), document)


def get_list(db: Db, kind: str, window: str, section: str | None) -> dict[str, Any] | None:
    return get_document(db, keys.list_key(kind, window, section))


def get_documents(db: Db, pks: list[str]) -> dict[str, dict[str, Any]]:
    """Several documents at once, by partition key (the run compares its new lists with the published ones)."""
    item_keys = [{"pk": {"S": key}, "sk": {"S": keys.ITEM}} for key in pks]
    return {item["pk"]["S"]: codec.unpack(item["doc"]["B"]) for item in batch_get(db, item_keys)}


def put_counts_chunk(db: Db, chunk: int, document: dict[str, Any]) -> None:
    put_document(db, keys.counts_chunk_key(chunk), document)


def delete_counts_chunk(db: Db, chunk: int) -> None:
    db.client.delete_item(
        TableName=db.table,
        Key={"pk": {"S": keys.counts_chunk_key(chunk)}, "sk": {"S": keys.ITEM}},
        ReturnConsumedCapacity="TOTAL",
    )


# how many count chunks the latest run wrote, as this container last heard it
_count_chunks = [MIN_COUNT_CHUNKS]
remembered(lambda: _count_chunks.__setitem__(0, MIN_COUNT_CHUNKS))


def get_counts_of(db: Db, article_id: str) -> tuple[list[int] | None, str | None]:
    """The article's published counts (None when it has none) and the time of the latest run: one BatchGetItem,
    plus one GetItem when the number of chunks changed since this container last asked."""
    chunks = _count_chunks[0]
    wanted = keys.counts_chunk_key(keys.counts_chunk_of(article_id, chunks))
    documents = get_documents(db, [wanted, keys.LATEST_RUN])
    latest = documents.get(keys.LATEST_RUN)
    if latest is None:
        return None, None
    published_chunks = int(latest.get("count_chunks", MIN_COUNT_CHUNKS))
    chunk = documents.get(wanted)
    if published_chunks != chunks:
        _count_chunks[0] = published_chunks
        chunk = get_document(db, keys.counts_chunk_key(keys.counts_chunk_of(article_id, published_chunks)))
    counts = chunk["counts"].get(article_id) if chunk else None
    return counts, str(latest["generated_at"])


def put_latest_run(db: Db, generated_at: str, count_chunks: int) -> None:
    put_document(db, keys.LATEST_RUN, {"generated_at": generated_at, "count_chunks": count_chunks})


def get_latest_run(db: Db) -> str | None:
    latest = get_document(db, keys.LATEST_RUN)
    return str(latest["generated_at"]) if latest else None


def put_document(db: Db, pk: str, document: dict[str, Any]) -> None:
    db.client.put_item(
        TableName=db.table,
        Item={"pk": {"S": pk}, "sk": {"S": keys.ITEM}, "doc": {"B": codec.pack(document)}},
        ReturnConsumedCapacity="TOTAL",
    )


def get_document(db: Db, pk: str) -> dict[str, Any] | None:
    item = db.client.get_item(
        TableName=db.table,
        Key={"pk": {"S": pk}, "sk": {"S": keys.ITEM}},
        ReturnConsumedCapacity="TOTAL",
    ).get("Item")
    return codec.unpack(item["doc"]["B"]) if item else None


def acquire_lease(db: Db, owner: str, now_ms: int, hold_ms: int) -> bool:
    """Take the lease unless another owner holds it unexpired. A run that crashes keeps it until it expires."""
    return condition_held(
        lambda: db.client.put_item(
            TableName=db.table,
            Item={
                "pk": {"S": keys.LEASE},
                "sk": {"S": keys.ITEM},
                "owner": {"S": owner},
                "until_ms": {"N": str(now_ms + hold_ms)},
            },
            ConditionExpression="attribute_not_exists(pk) OR until_ms < :now OR #owner = :owner",
            ExpressionAttributeNames={"#owner": "owner"},
            ExpressionAttributeValues={":now": {"N": str(now_ms)}, ":owner": {"S": owner}},
            ReturnConsumedCapacity="TOTAL",
        )
    )


def release_lease(db: Db, owner: str) -> None:
    condition_held(
        lambda: db.client.delete_item(
            TableName=db.table,
            Key={"pk": {"S": keys.LEASE}, "sk": {"S": keys.ITEM}},
            ConditionExpression="#owner = :owner",
            ExpressionAttributeNames={"#owner": "owner"},
            ExpressionAttributeValues={":owner": {"S": owner}},
            ReturnConsumedCapacity="TOTAL",
        )
    )
