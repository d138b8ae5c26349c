"""Access pattern: single-item documents the ranking run writes whole. The read path fetches its lists
and per-article counts with one GetItem each; the run keeps its own bookkeeping the same way.
"""

from __future__ import annotations

from typing import Any

from mostread import codec, keys
from mostread.dal.client import batch_get, dynamodb, table_name


def put_list(kind: str, window: str, section: str | None, document: dict[str, Any]) -> None:
    put_document(keys.list_key(kind, window, section), document)


def get_list(kind: str, window: str, section: str | None) -> dict[str, Any] | None:
    return get_document(keys.list_key(kind, window, section))


def get_documents(list_keys: list[str]) -> dict[str, dict[str, Any]]:
    """Several documents at once, by partition key (the run compares its new lists with the published ones)."""
    item_keys = [{"pk": {"S": key}, "sk": {"S": keys.ITEM}} for key in list_keys]
    return {item["pk"]["S"]: codec.unpack(item["doc"]["B"]) for item in batch_get(item_keys)}


def put_counts_chunk(chunk: int, document: dict[str, Any]) -> None:
    put_document(keys.counts_chunk_key(chunk), document)


def get_counts_chunk_of(article_id: str) -> tuple[dict[str, Any] | None, str | None]:
    """The counts chunk holding ``article_id`` and the time of the latest run, with one BatchGetItem."""
    documents = get_documents([keys.counts_key(article_id), keys.LATEST_RUN])
    latest = documents.get(keys.LATEST_RUN)
    return documents.get(keys.counts_key(article_id)), latest["generated_at"] if latest else None


def put_latest_run(generated_at: str) -> None:
    put_document(keys.LATEST_RUN, {"generated_at": generated_at})


def get_latest_run() -> str | None:
    latest = get_document(keys.LATEST_RUN)
    return latest["generated_at"] if latest else None


def put_document(pk: str, document: dict[str, Any]) -> None:
    dynamodb().put_item(
        TableName=table_name(),
        Item={"pk": {"S": pk}, "sk": {"S": keys.ITEM}, "doc": {"B": codec.pack(document)}},
        ReturnConsumedCapacity="TOTAL",
    )


def get_document(pk: str) -> dict[str, Any] | None:
    item = (
        dynamodb()
        .get_item(
            TableName=table_name(),
            Key={"pk": {"S": pk}, "sk": {"S": keys.ITEM}},
            ReturnConsumedCapacity="TOTAL",
        )
        .get("Item")
    )
    return codec.unpack(item["doc"]["B"]) if item else None
