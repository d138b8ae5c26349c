"""An in-memory stand-in for the boto3 DynamoDB client: exactly the calls and expressions mostread makes.

The project's one fake. The service's own data-access code runs on it unchanged (it only swaps the client in a
``Db``), so tests exercise the ranking run's stages without moto or a server, the conservation property
can drive thousands of interleavings, and benchmarks measure the service's CPU without I/O. ``before_call``
lets a test fail any call (the k-th write, a throttle on one operation) the way botocore would raise it.

It refuses an item over DynamoDB's 400 KB limit with the ValidationException DynamoDB raises, so a test at a
size bound fails the way production would. What it does not do: capacity accounting, eventual consistency,
TTL expiry (like DynamoDB before its lazy sweep, expired items stay: the code must filter them itself). An
expression it does not know raises NotImplementedError, so a new expression cannot silently pass.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

Item = dict[str, Any]
MAX_ITEM_BYTES = 400 * 1024
WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"})

_KEY_CONDITION = re.compile(
    r"^(?P<hash>\w+) = :pk(?: AND (?:begins_with\(sk, :prefix\)|sk >= :from|sk > :after))?$",
)
_UPDATE = re.compile(r"^SET (?P<set>.+?)(?: ADD (?P<add>.+))?$")
_COMPARISON = re.compile(r"^(?P<name>#?\w+) (?P<op>=|<|>|<=|>=|<>) (?P<value>:\w+)$")
_EXISTS = re.compile(r"^attribute_(?P<which>not_exists|exists)\((?P<name>#?\w+)\)$")


@dataclass(frozen=True)
class FakeIndex:
    name: str
    hash_key: str
    range_key: str | None
    projected: tuple[str, ...] | None = None
    """Non-key attributes the index holds (INCLUDE); None for ProjectionType ALL."""

    def entry(self, item: Item, table_keys: tuple[str, ...] = ("pk", "sk")) -> Item | None:
        """What the index stores of ``item`` (None when the item has no index key: a sparse index skips it)."""
        if self.hash_key not in item:
            return None
        if self.projected is None:
            return item
        wanted = {self.hash_key, self.range_key, *table_keys, *self.projected}
        return {name: value for name, value in item.items() if name in wanted}


def fake_indexes(create_kwargs: dict[str, Any]) -> list[FakeIndex]:
    """The global secondary indexes of a CreateTable request (TableSpec.create_kwargs)."""
    indexes = []
    for index in create_kwargs.get("GlobalSecondaryIndexes", []):
        schema = {key["KeyType"]: key["AttributeName"] for key in index["KeySchema"]}
        projection = index.get("Projection", {})
        projected = None if projection.get("ProjectionType") == "ALL" else tuple(projection.get("NonKeyAttributes", []))
        indexes.append(FakeIndex(index["IndexName"], schema["HASH"], schema.get("RANGE"), projected))
    return indexes


class FakeDynamoDB:
    def __init__(self, indexes: list[FakeIndex] | None = None) -> None:
        # table -> pk -> sk -> item
        self.tables: dict[str, dict[str, dict[str, Item]]] = {}
        self.indexes = list(indexes or [])
        self.calls: list[str] = []
        self.before_call: Callable[[str, dict[str, Any]], None] | None = None

    # -- single items -------------------------------------------------------------------------------------

    def get_item(self, *, TableName: str, Key: Item, **_: Any) -> dict[str, Any]:
        self._enter("GetItem", {"TableName": TableName, "Key": Key})
        found = self._partition(TableName, Key["pk"]["S"]).get(Key["sk"]["S"])
        return {"Item": _copy(found)} if found is not None else {}

    def put_item(
        self,
        *,
        TableName: str,
        Item: Item,
        ConditionExpression: str | None = None,
        ExpressionAttributeNames: dict[str, str] | None = None,
        ExpressionAttributeValues: Item | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        self._enter("PutItem", {"TableName": TableName, "Item": Item})
        _check_size(Item)
        partition = self._partition(TableName, Item["pk"]["S"])
        self._check(
            ConditionExpression, partition.get(Item["sk"]["S"]), ExpressionAttributeNames, ExpressionAttributeValues
        )
        partition[Item["sk"]["S"]] = _copy(Item)
        return {}

    def update_item(
        self,
        *,
        TableName: str,
        Key: Item,
        UpdateExpression: str,
        ExpressionAttributeValues: Item,
        ConditionExpression: str | None = None,
        ExpressionAttributeNames: dict[str, str] | None = None,
        ReturnValuesOnConditionCheckFailure: str | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        self._enter("UpdateItem", {"TableName": TableName, "Key": Key})
        match = _UPDATE.match(UpdateExpression)
        if not match:
            raise NotImplementedError(UpdateExpression)
        partition = self._partition(TableName, Key["pk"]["S"])
        self._check(
            ConditionExpression,
            partition.get(Key["sk"]["S"]),
            ExpressionAttributeNames,
            ExpressionAttributeValues,
            ReturnValuesOnConditionCheckFailure,
        )
        item = partition.setdefault(Key["sk"]["S"], _copy(Key))
        names = ExpressionAttributeNames or {}
        for assignment in match["set"].split(","):
            name, value = (part.strip() for part in assignment.split("="))
            item[names.get(name, name)] = ExpressionAttributeValues[value]
        for addition in match["add"].split(",") if match["add"] else []:
            name, value = addition.split()
            total = int(item.get(names.get(name, name), {"N": "0"})["N"]) + int(ExpressionAttributeValues[value]["N"])
            item[names.get(name, name)] = {"N": str(total)}
        return {}

    def delete_item(
        self,
        *,
        TableName: str,
        Key: Item,
        ConditionExpression: str | None = None,
        ExpressionAttributeNames: dict[str, str] | None = None,
        ExpressionAttributeValues: Item | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        self._enter("DeleteItem", {"TableName": TableName, "Key": Key})
        partition = self._partition(TableName, Key["pk"]["S"])
        self._check(
            ConditionExpression, partition.get(Key["sk"]["S"]), ExpressionAttributeNames, ExpressionAttributeValues
        )
        partition.pop(Key["sk"]["S"], None)
        return {}

    # -- many items ---------------------------------------------------------------------------------------

    def query(
        self,
        *,
        TableName: str,
        KeyConditionExpression: str,
        ExpressionAttributeValues: Item,
        IndexName: str | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        self._enter("Query", {"TableName": TableName, "IndexName": IndexName})
        match = _KEY_CONDITION.match(KeyConditionExpression)
        if not match:
            raise NotImplementedError(KeyConditionExpression)
        value = ExpressionAttributeValues[":pk"]["S"]
        if IndexName:
            index = next(index for index in self.indexes if index.name == IndexName)
            found = [
                item
                for partition in self.tables.get(TableName, {}).values()
                for item in partition.values()
                if item.get(index.hash_key, {}).get("S") == value
            ]
            order = index.range_key or "pk"
            return {"Items": [_copy(item) for item in sorted(found, key=lambda item: item[order]["S"])]}
        partition = self._partition(TableName, value)
        prefix = ExpressionAttributeValues.get(":prefix", {}).get("S")
        start = ExpressionAttributeValues.get(":from", {}).get("S")
        after = ExpressionAttributeValues.get(":after", {}).get("S")
        items = [
            _copy(partition[sk])
            for sk in sorted(partition)
            if (prefix is None or sk.startswith(prefix))
            and (start is None or sk >= start)
            and (after is None or sk > after)
        ]
        return {"Items": items}

    def scan(
        self,
        *,
        TableName: str,
        FilterExpression: str | None = None,
        ExpressionAttributeNames: dict[str, str] | None = None,
        ExpressionAttributeValues: Item | None = None,
        ExclusiveStartKey: Item | None = None,
        Limit: int | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        """Items in (pk, sk) order, ``Limit`` of them examined per page (ScannedCount), then the filter."""
        self._enter("Scan", {"TableName": TableName})
        terms = _filter_terms(FilterExpression) if FilterExpression else []
        ordered = sorted(
            ((pk, sk) for pk, partition in self.tables.get(TableName, {}).items() for sk in partition),
        )
        if ExclusiveStartKey is not None:
            after = (ExclusiveStartKey["pk"]["S"], ExclusiveStartKey["sk"]["S"])
            ordered = [key for key in ordered if key > after]
        page = ordered[:Limit] if Limit else ordered
        found = []
        for pk, sk in page:
            item = self.tables[TableName][pk][sk]
            if all(term(item, ExpressionAttributeNames or {}, ExpressionAttributeValues or {}) for term in terms):
                found.append(_copy(item))
        response: dict[str, Any] = {"Items": found, "Count": len(found), "ScannedCount": len(page)}
        if Limit and len(ordered) > Limit:
            pk, sk = page[-1]
            response["LastEvaluatedKey"] = {"pk": {"S": pk}, "sk": {"S": sk}}
        return response

    def batch_get_item(self, *, RequestItems: dict[str, Any], **_: Any) -> dict[str, Any]:
        self._enter("BatchGetItem", {"RequestItems": RequestItems})
        responses: dict[str, list[Item]] = {}
        for table, request in RequestItems.items():
            partition_items = (self._partition(table, key["pk"]["S"]).get(key["sk"]["S"]) for key in request["Keys"])
            responses[table] = [_copy(item) for item in partition_items if item is not None]
        return {"Responses": responses, "UnprocessedKeys": {}}

    def batch_write_item(self, *, RequestItems: dict[str, Any], **_: Any) -> dict[str, Any]:
        self._enter("BatchWriteItem", {"RequestItems": RequestItems})
        for table, requests in RequestItems.items():
            for request in requests:
                if "PutRequest" in request:
                    item = request["PutRequest"]["Item"]
                    _check_size(item)
                    self._partition(table, item["pk"]["S"])[item["sk"]["S"]] = _copy(item)
                else:
                    key = request["DeleteRequest"]["Key"]
                    self._partition(table, key["pk"]["S"]).pop(key["sk"]["S"], None)
        return {"UnprocessedItems": {}}

    def describe_table(self, *, TableName: str, **_: Any) -> dict[str, Any]:
        """ItemCount and TableSizeBytes as they are now (DynamoDB refreshes them about every six hours)."""
        self._enter("DescribeTable", {"TableName": TableName})
        items = [item for partition in self.tables.get(TableName, {}).values() for item in partition.values()]
        return {
            "Table": {
                "TableName": TableName,
                "TableStatus": "ACTIVE",
                "ItemCount": len(items),
                "TableSizeBytes": sum(item_size(item) for item in items),
            }
        }

    # -- for tests and benchmarks -------------------------------------------------------------------------

    def items(self, table: str, prefix: str = "") -> Iterator[Item]:
        for pk, partition in self.tables.get(table, {}).items():
            if pk.startswith(prefix):
                yield from partition.values()

    @property
    def writes(self) -> int:
        return sum(1 for call in self.calls if call in WRITES)

    # -- internals -----------------------------------------------------------------------------------------

    def _enter(self, operation: str, request: dict[str, Any]) -> None:
        if self.before_call is not None:
            self.before_call(operation, request)
        self.calls.append(operation)

    def _partition(self, table: str, pk: str) -> dict[str, Item]:
        return self.tables.setdefault(table, {}).setdefault(pk, {})

    @staticmethod
    def _check(
        condition: str | None,
        item: Item | None,
        names: dict[str, str] | None,
        values: Item | None,
        return_old: str | None = None,
    ) -> None:
        """Raise as DynamoDB does when ``condition`` (terms joined by OR, or all by AND) fails; with
        ReturnValuesOnConditionCheckFailure=ALL_OLD the error carries the item as it stands."""
        if condition is None:
            return
        if " AND " in condition and " OR " not in condition:
            holds = all(_holds(term.strip(), item, names or {}, values or {}) for term in condition.split(" AND "))
        else:
            holds = any(_holds(term.strip(), item, names or {}, values or {}) for term in condition.split(" OR "))
        if holds:
            return
        error: dict[str, Any] = {
            "Error": {"Code": "ConditionalCheckFailedException", "Message": "The conditional request failed"}
        }
        if return_old == "ALL_OLD" and item is not None:
            error["Item"] = _copy(item)
        raise ClientError(error, "ConditionalCheck")  # type: ignore[arg-type]


def _holds(term: str, item: Item | None, names: dict[str, str], values: Item) -> bool:
    exists = _EXISTS.match(term)
    if exists:
        name = names.get(exists["name"], exists["name"])
        present = item is not None and name in item
        return present if exists["which"] == "exists" else not present
    comparison = _COMPARISON.match(term)
    if not comparison:
        raise NotImplementedError(term)
    name = names.get(comparison["name"], comparison["name"])
    if item is None or name not in item:
        return False
    ((kind, held),) = item[name].items()
    ((_, wanted),) = values[comparison["value"]].items()
    left, right = (float(held), float(wanted)) if kind == "N" else (held, wanted)
    return bool(
        {
            "=": left == right,
            "<>": left != right,
            "<": left < right,
            ">": left > right,
            "<=": left <= right,
            ">=": left >= right,
        }[comparison["op"]]
    )


_BEGINS_WITH = re.compile(r"^begins_with\((?P<name>#?\w+), (?P<value>:\w+)\)")
_BETWEEN = re.compile(r"^(?P<name>#?\w+) BETWEEN (?P<low>:\w+) AND (?P<high>:\w+)")
FilterTerm = Callable[[Item, dict[str, str], Item], bool]


def _filter_terms(expression: str) -> list[FilterTerm]:
    """A Scan filter of ``begins_with(name, :v)`` and ``name BETWEEN :a AND :b`` terms joined by AND."""
    terms: list[FilterTerm] = []
    rest = expression.strip()
    while rest:
        if found := _BEGINS_WITH.match(rest):
            terms.append(_begins_with(found["name"], found["value"]))
        elif found := _BETWEEN.match(rest):
            terms.append(_between(found["name"], found["low"], found["high"]))
        else:
            raise NotImplementedError(expression)
        rest = rest[found.end() :].strip()
        if rest:
            if not rest.startswith("AND "):
                raise NotImplementedError(expression)
            rest = rest.removeprefix("AND ").strip()
    return terms


def _begins_with(name: str, value: str) -> FilterTerm:
    def holds(item: Item, names: dict[str, str], values: Item) -> bool:
        held = item.get(names.get(name, name), {}).get("S")
        return isinstance(held, str) and held.startswith(values[value]["S"])

    return holds


def _between(name: str, low: str, high: str) -> FilterTerm:
    def holds(item: Item, names: dict[str, str], values: Item) -> bool:
        held = item.get(names.get(name, name))
        if not held or "N" not in held:
            return False
        return float(values[low]["N"]) <= float(held["N"]) <= float(values[high]["N"])

    return holds


def item_size(item: Item) -> int:
    """DynamoDB's item size, which its capacity units and the 400 KB limit count: attribute names plus values
    (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html)."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value: dict[str, Any]) -> int:
    ((kind, raw),) = value.items()
    if kind == "S":
        return len(str(raw).encode())
    if kind == "N":  # about one byte per two significant digits, plus one
        digits = str(raw).lstrip("-").replace(".", "").strip("0") or "0"
        return (len(digits) + 1) // 2 + 1
    if kind == "B":
        return len(raw)
    if kind in ("SS", "NS", "BS"):
        return sum(_value_size({kind[0]: element}) for element in raw)
    if kind == "L":
        return 3 + sum(_value_size(element) + 1 for element in raw)
    if kind == "M":
        return 3 + sum(len(name.encode()) + _value_size(element) + 1 for name, element in raw.items())
    return 1  # BOOL, NULL


def _check_size(item: Item) -> None:
    if item_size(item) > MAX_ITEM_BYTES:
        error = {"Error": {"Code": "ValidationException", "Message": "Item size has exceeded the maximum allowed size"}}
        raise ClientError(error, "PutItem")  # type: ignore[arg-type]


def _copy(item: Item) -> Item:
    # items hold only immutable leaves (str, bytes) inside one level of type dicts
    return {name: dict(value) for name, value in item.items()}


def throttled(operation: str) -> ClientError:
    """The error botocore raises when DynamoDB throttles (after its own retries are spent)."""
    error = {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "Rate of requests exceeds"}}
    return ClientError(error, operation)  # type: ignore[arg-type]
