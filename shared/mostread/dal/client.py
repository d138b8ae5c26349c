"""One boto3 DynamoDB client per container, plus a meter of the capacity units it consumes.

The endpoint comes from boto3's own configuration (``AWS_ENDPOINT_URL_DYNAMODB`` locally), so the
same code runs in Lambda, against DynamoDB Local and against moto.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError as BotoClientError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class CapacityMeter:
    """Sums ConsumedCapacity from every response, per operation and in total."""

    def __init__(self) -> None:
        self.read_units: defaultdict[str, float] = defaultdict(float)
        self.write_units: defaultdict[str, float] = defaultdict(float)

    def record(self, operation: str, parsed: dict[str, Any]) -> None:
        consumed = parsed.get("ConsumedCapacity")
        entries = consumed if isinstance(consumed, list) else [consumed] if consumed else []
        for entry in entries:
            self.read_units[operation] += float(entry.get("ReadCapacityUnits", 0) or 0)
            self.write_units[operation] += float(entry.get("WriteCapacityUnits", 0) or 0)
            if not entry.get("ReadCapacityUnits") and not entry.get("WriteCapacityUnits"):
                units = float(entry.get("CapacityUnits", 0) or 0)
                bucket = self.read_units if operation in _READ_OPERATIONS else self.write_units
                bucket[operation] += units

    def reset(self) -> None:
        self.read_units.clear()
        self.write_units.clear()

    @property
    def total_read(self) -> float:
        return sum(self.read_units.values())

    @property
    def total_write(self) -> float:
        return sum(self.write_units.values())


_READ_OPERATIONS = {"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"}

meter = CapacityMeter()


def _on_response(http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
    meter.record(model.name, parsed)


@lru_cache(maxsize=1)
def dynamodb() -> DynamoDBClient:
    config = Config(retries={"mode": "standard", "max_attempts": 6}, connect_timeout=2, read_timeout=5)
    client = boto3.client("dynamodb", config=config)
    client.meta.events.register("after-call.dynamodb", _on_response)
    return client


def table_name() -> str:
    from mostread.config import settings

    return settings().table_name


def query_all(
    pk: str,
    *,
    consistent: bool = False,
    index: str | None = None,
    key_attribute: str = "pk",
    sk_prefix: str | None = None,
    sk_from: str | None = None,
) -> Iterator[dict[str, Any]]:
    """Every item of one partition (of the table or of an index), page by page."""
    condition = f"{key_attribute} = :pk"
    values: dict[str, Any] = {":pk": {"S": pk}}
    if sk_prefix is not None:
        condition += " AND begins_with(sk, :prefix)"
        values[":prefix"] = {"S": sk_prefix}
    if sk_from is not None:
        condition += " AND sk >= :from"
        values[":from"] = {"S": sk_from}
    request: dict[str, Any] = {
        "TableName": table_name(),
        "KeyConditionExpression": condition,
        "ExpressionAttributeValues": values,
        "ReturnConsumedCapacity": "TOTAL",
    }
    if index:
        request["IndexName"] = index
    else:
        request["ConsistentRead"] = consistent
    while True:
        page = dynamodb().query(**request)
        yield from page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def batch_get(item_keys: list[dict[str, Any]], consistent: bool = False) -> Iterator[dict[str, Any]]:
    """Items for the given keys, 100 per BatchGetItem, unprocessed keys asked again."""
    table = table_name()
    for start in range(0, len(item_keys), 100):
        request: dict[str, Any] = {table: {"Keys": item_keys[start : start + 100], "ConsistentRead": consistent}}
        while request:
            response = dynamodb().batch_get_item(RequestItems=request, ReturnConsumedCapacity="TOTAL")
            yield from response["Responses"].get(table, [])
            request = response.get("UnprocessedKeys") or {}


def condition_held(write: Callable[[], object]) -> bool:
    """Run a conditional write; False when its condition failed (the expected outcome of a repeat)."""
    try:
        write()
    except BotoClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True
