"""One boto3 DynamoDB client per container, and the few request shapes every access pattern shares.

The endpoint comes from boto3's own configuration (``AWS_ENDPOINT_URL_DYNAMODB`` locally), so the same code
runs in Lambda, against DynamoDB Local and against moto. Access patterns take a ``Db`` (client and table
name) so a caller can hand them another client: the tests' in-memory fake, or one that fails on purpose.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError as BotoClientError

from mostread.caches import cycle_collection_paused, remembered

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

Item = dict[str, Any]
BATCH_GET_LIMIT = 100  # DynamoDB's BatchGetItem limit
BATCH_WRITE_LIMIT = 25  # DynamoDB's BatchWriteItem limit


@dataclass(frozen=True)
class Db:
    """Where an access pattern reads and writes: a client and the table's name."""

    client: DynamoDBClient
    table: str


@lru_cache(maxsize=1)
def dynamodb() -> DynamoDBClient:
    """Three attempts with short timeouts: a request gives up (a 503 the page may retry) well within its function's
    timeout (template.yaml: 15 s) instead of hanging past it. DynamoDB answers in milliseconds; the local engine on
    a busy development machine can take seconds, so a local endpoint gets a longer read timeout."""
    local = bool(os.environ.get("AWS_ENDPOINT_URL_DYNAMODB"))
    # total_max_attempts counts the first try; botocore's max_attempts would mean three retries (four attempts)
    retries: Any = {"mode": "standard", "total_max_attempts": 3}
    config = Config(retries=retries, connect_timeout=1, read_timeout=30 if local else 2)
    with cycle_collection_paused():  # botocore decodes its JSON models of DynamoDB: about 90 ms saved
        return boto3.client("dynamodb", config=config)


@lru_cache(maxsize=1)
def default_db() -> Db:
    from mostread.config import settings

    return Db(dynamodb(), settings().table_name)


remembered(dynamodb.cache_clear)
remembered(default_db.cache_clear)


def table_name() -> str:
    return default_db().table


def is_live(item: Item, now: float) -> bool:
    """False for an item whose TTL has passed: DynamoDB deletes expired items lazily (hours to days later),
    so reads must not trust them (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/TTL.html)."""
    expires = item.get("expires_at")
    return expires is None or float(expires["N"]) > now


def query_all(
    db: Db,
    pk: str,
    *,
    consistent: bool = False,
    index: str | None = None,
    key_attribute: str = "pk",
    sk_prefix: str | None = None,
    sk_from: str | None = None,
    sk_after: str | None = None,
) -> Iterator[Item]:
    """Every item of one partition (of the table or of an index), page by page, in sort key order."""
    condition = f"{key_attribute} = :pk"
    values: dict[str, Any] = {":pk": {"S": pk}}
    if sk_prefix is not None:
        condition += " AND begins_with(sk, :prefix)"
        values[":prefix"] = {"S": sk_prefix}
    elif sk_from is not None:
        condition += " AND sk >= :from"
        values[":from"] = {"S": sk_from}
    elif sk_after is not None:
        condition += " AND sk > :after"
        values[":after"] = {"S": sk_after}
    request: dict[str, Any] = {
        "TableName": db.table,
        "KeyConditionExpression": condition,
        "ExpressionAttributeValues": values,
        "ReturnConsumedCapacity": "TOTAL",
    }
    if index:
        request["IndexName"] = index
    else:
        request["ConsistentRead"] = consistent
    while True:
        page = db.client.query(**request)
        yield from page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def batch_get(db: Db, item_keys: list[Item], consistent: bool = False) -> Iterator[Item]:
    """Items for the given keys, 100 per BatchGetItem, unprocessed keys asked again."""
    for start in range(0, len(item_keys), BATCH_GET_LIMIT):
        request: dict[str, Any] = {
            db.table: {"Keys": item_keys[start : start + BATCH_GET_LIMIT], "ConsistentRead": consistent}
        }
        while request:
            response = db.client.batch_get_item(RequestItems=request, ReturnConsumedCapacity="TOTAL")
            yield from response["Responses"].get(db.table, [])
            request = response.get("UnprocessedKeys") or {}


def batch_delete(db: Db, item_keys: list[Item]) -> None:
    """Delete the given keys, 25 per BatchWriteItem, unprocessed requests sent again."""
    for start in range(0, len(item_keys), BATCH_WRITE_LIMIT):
        requests: dict[str, Any] = {
            db.table: [{"DeleteRequest": {"Key": key}} for key in item_keys[start : start + BATCH_WRITE_LIMIT]]
        }
        while requests:
            response = db.client.batch_write_item(RequestItems=requests, ReturnConsumedCapacity="TOTAL")
            requests = response.get("UnprocessedItems") or {}


def condition_held(write: Callable[[], object]) -> bool:
    """Run a conditional write; False when its condition failed (the expected outcome of a repeat)."""
    try:
        write()
    except BotoClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True
