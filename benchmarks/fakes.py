"""An in-memory stand-in for the DynamoDB client: just the calls and expressions mostread makes.

Used to measure the service's own CPU time without network or server, and to build seed data with the
service's own data-access functions (whatever they write here can then be bulk-loaded into DynamoDB Local).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError

from benchmarks.meter import IndexSpec

Item = dict[str, Any]

_KEY_CONDITION = re.compile(
    r"^(?P<hash>\w+) = :pk(?: AND (?:begins_with\(sk, :prefix\)|sk >= :from))?$",
)


class FakeDynamoDB:
    def __init__(self, indexes: list[IndexSpec] | None = None) -> None:
        self.partitions: dict[str, dict[str, Item]] = {}
        self.indexes = {index.name: index for index in indexes or []}
        # index name -> partition value -> (pk, sk) -> item
        self.index_partitions: dict[str, dict[str, dict[tuple[str, str], Item]]] = {name: {} for name in self.indexes}
        self.calls = 0

    # single items

    def get_item(self, *, Key: Item, **_: Any) -> dict[str, Any]:
        self.calls += 1
        found = self.partitions.get(Key["pk"]["S"], {}).get(Key["sk"]["S"])
        return {"Item": found} if found is not None else {}

    def put_item(self, *, Item: Item, ConditionExpression: str | None = None, **_: Any) -> dict[str, Any]:
        self.calls += 1
        exists = Item["sk"]["S"] in self.partitions.get(Item["pk"]["S"], {})
        self._check(ConditionExpression, exists, "PutItem")
        if exists:
            self._unindex(Item["pk"]["S"], Item["sk"]["S"])
        self.partitions.setdefault(Item["pk"]["S"], {})[Item["sk"]["S"]] = Item
        for name, index in self.indexes.items():
            if index.hash_key in Item:
                partition = self.index_partitions[name].setdefault(Item[index.hash_key]["S"], {})
                partition[(Item["pk"]["S"], Item["sk"]["S"])] = Item
        return {}

    def update_item(
        self,
        *,
        Key: Item,
        UpdateExpression: str,
        ExpressionAttributeValues: Item,
        **_: Any,
    ) -> dict[str, Any]:
        self.calls += 1
        if not UpdateExpression.startswith("SET "):
            raise NotImplementedError(UpdateExpression)
        item = self.partitions.setdefault(Key["pk"]["S"], {}).setdefault(Key["sk"]["S"], dict(Key))
        for assignment in UpdateExpression.removeprefix("SET ").split(","):
            name, value = (part.strip() for part in assignment.split("="))
            item[name] = ExpressionAttributeValues[value]
        return {}

    def delete_item(self, *, Key: Item, ConditionExpression: str | None = None, **_: Any) -> dict[str, Any]:
        self.calls += 1
        partition = self.partitions.get(Key["pk"]["S"], {})
        self._check(ConditionExpression, Key["sk"]["S"] in partition, "DeleteItem")
        if Key["sk"]["S"] in partition:
            self._unindex(Key["pk"]["S"], Key["sk"]["S"])
            del partition[Key["sk"]["S"]]
        return {}

    def _unindex(self, pk: str, sk: str) -> None:
        item = self.partitions[pk][sk]
        for name, index in self.indexes.items():
            if index.hash_key in item:
                self.index_partitions[name].get(item[index.hash_key]["S"], {}).pop((pk, sk), None)

    # many items

    def query(
        self,
        *,
        KeyConditionExpression: str,
        ExpressionAttributeValues: Item,
        IndexName: str | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        self.calls += 1
        match = _KEY_CONDITION.match(KeyConditionExpression)
        if not match:
            raise NotImplementedError(KeyConditionExpression)
        value = ExpressionAttributeValues[":pk"]["S"]
        if IndexName:
            return {"Items": list(self.index_partitions[IndexName].get(value, {}).values())}
        partition = self.partitions.get(value, {})
        prefix = ExpressionAttributeValues.get(":prefix", {}).get("S")
        start = ExpressionAttributeValues.get(":from", {}).get("S")
        items = [
            partition[sk]
            for sk in sorted(partition)
            if (prefix is None or sk.startswith(prefix)) and (start is None or sk >= start)
        ]
        return {"Items": items}

    def batch_get_item(self, *, RequestItems: dict[str, Any], **_: Any) -> dict[str, Any]:
        self.calls += 1
        responses = {}
        for table, request in RequestItems.items():
            found = [self.get_item(Key=key).get("Item") for key in request["Keys"]]
            responses[table] = [item for item in found if item is not None]
        return {"Responses": responses, "UnprocessedKeys": {}}

    def batch_write_item(self, *, RequestItems: dict[str, Any], **_: Any) -> dict[str, Any]:
        self.calls += 1
        for requests in RequestItems.values():
            for request in requests:
                if "PutRequest" in request:
                    self.put_item(Item=request["PutRequest"]["Item"])
                else:
                    self.delete_item(Key=request["DeleteRequest"]["Key"])
        return {"UnprocessedItems": {}}

    # for the benchmarks

    def items(self, prefix: str = "") -> Iterator[Item]:
        for pk, partition in self.partitions.items():
            if pk.startswith(prefix):
                yield from partition.values()

    def drop(self, prefix: str) -> None:
        for pk in [pk for pk in self.partitions if pk.startswith(prefix)]:
            for sk in list(self.partitions[pk]):
                self._unindex(pk, sk)
            del self.partitions[pk]

    @staticmethod
    def _check(condition: str | None, exists: bool, operation: str) -> None:
        if condition is None:
            return
        if (condition == "attribute_not_exists(pk)" and exists) or (condition == "attribute_exists(pk)" and not exists):
            error = {"Error": {"Code": "ConditionalCheckFailedException", "Message": "The conditional request failed"}}
            raise ClientError(error, operation)  # type: ignore[arg-type]
        if condition not in ("attribute_not_exists(pk)", "attribute_exists(pk)"):
            raise NotImplementedError(condition)
