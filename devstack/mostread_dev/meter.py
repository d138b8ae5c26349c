"""Capacity units of every call a boto3 DynamoDB client makes, by component, item kind and partition key.

Hooked on the client's events from outside (``Meter.attach(client)``), so no service code exists for it:

- ``provide-client-params``: notes the operation, its partition keys and the size of the items it writes, and adds
  ``ReturnConsumedCapacity=TOTAL`` to a call that did not ask for it (counted, so a report can name such calls);
- ``after-call``: books the capacity the server reports (DynamoDB and DynamoDB Local do; moto does not) to the
  component the caller named with ``scope`` and to the partition keys of the call; a write refused by its condition
  is booked at its item size, because DynamoDB charges it without reporting it.

For hot keys it also books, per partition key and second (``set_second``: a simulated clock), the write units of each
item as DynamoDB computes them (1 KB rounded up) on the table and on every index the item lands in
(``gsi:<index>:<key>``), and the read units reported.
"""

from __future__ import annotations

import math
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from mostread_dev.fake_dynamodb import FakeIndex, item_size

READS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan"})
WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"})
INDEX_PREFIX = "gsi:"

# Item kinds, by the prefix of their partition key (mostread.keys), with the names reports use.
KINDS = {
    "view#": "view records (view#)",
    "salt#": "daily salts (salt#)",
    "log#": "view log chunks (log#)",
    "orow#": "uncatalogued rows (orow#)",
    "slots": "slot index (slots)",
    "sum#": "slot summaries (sum#)",
    "osum#": "uncatalogued summaries (osum#)",
    "base#": "window bases (base#)",
    "list#": "ranking lists (list#)",
    "counts#": "per-article counts (counts#)",
    "article#": "catalog items (article#)",
    "catalog-log": "catalog change log (catalog-log)",
    "state#": "run state and lease (state#)",
    "editorial": "editorial controls (editorial)",
    "gsi:catalog": "catalog index (GSI catalog)",
}


def kind_of(pk: str) -> str:
    """The item kind of a partition key: its prefix in ``KINDS`` (``gsi:<index>`` for an index's keys)."""
    if pk.startswith(INDEX_PREFIX):
        return INDEX_PREFIX + pk.removeprefix(INDEX_PREFIX).split(":", 1)[0]
    return next((prefix for prefix in KINDS if pk.startswith(prefix)), pk)


def write_units(size: int) -> int:
    """DynamoDB's write units for an item of ``size`` bytes: one per KB, rounded up."""
    return max(1, math.ceil(size / 1024))


@dataclass
class _Call:
    operation: str
    component: str
    second: int
    keys: list[str]
    writes: list[tuple[str, int]] = field(default_factory=list)  # (partition key, computed write units)
    added_capacity: bool = False


class Meter:
    """Units by (component, partition key); write and read units per (second, partition key)."""

    def __init__(self, indexes: Iterable[FakeIndex] = ()) -> None:
        self.indexes = list(indexes)
        self._lock = threading.Lock()
        self._second = threading.local()
        self.component = "other"
        self.second = 0
        self._attached: set[int] = set()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.read: defaultdict[tuple[str, str], float] = defaultdict(float)  # (component, pk) -> reported RCU
            self.write: defaultdict[tuple[str, str], float] = defaultdict(float)  # (component, pk) -> reported WCU
            self.calls: Counter[tuple[str, str, str]] = Counter()  # (component, operation, kind)
            self.unreported: Counter[tuple[str, str]] = Counter()  # (operation, kind) without ReturnConsumedCapacity
            self.refused: Counter[tuple[str, str]] = Counter()  # (component, kind): conditional writes refused
            self.key_writes: defaultdict[tuple[int, str], float] = defaultdict(float)  # (second, key) computed WCU
            self.key_reads: defaultdict[tuple[int, str], float] = defaultdict(float)  # (second, key) reported RCU

    @contextmanager
    def scope(self, component: str) -> Iterator[None]:
        """Book the calls made inside to ``component`` (a module-wide setting: one component at a time)."""
        saved, self.component = self.component, component
        try:
            yield
        finally:
            self.component = saved

    def set_second(self, second: float, *, this_thread: bool = False) -> None:
        """The (simulated) second calls are booked to; ``this_thread`` for calls made from a pool."""
        if this_thread:
            self._second.value = int(second)
        else:
            self.second = int(second)

    def attach(self, client: Any) -> None:
        if id(client) not in self._attached:
            self._attached.add(id(client))
            client.meta.events.register("provide-client-params.dynamodb", self._before)
            client.meta.events.register("after-call.dynamodb", self._after)

    # -- the hooks ------------------------------------------------------------------------------------------

    def _before(self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        second = getattr(self._second, "value", self.second)
        call = _Call(model.name, self.component, second, partition_keys(params))
        if call.operation in READS | WRITES and "ReturnConsumedCapacity" not in params:
            params["ReturnConsumedCapacity"] = "TOTAL"
            call.added_capacity = True
        if call.operation == "PutItem":
            call.writes = self._item_writes(params["Item"])
        elif call.operation == "BatchWriteItem":
            for requests in params["RequestItems"].values():
                for request in requests:
                    if "PutRequest" in request:
                        call.writes.extend(self._item_writes(request["PutRequest"]["Item"]))
                    else:
                        call.writes.append((request["DeleteRequest"]["Key"]["pk"]["S"], 1))
        context["mostread_meter_call"] = call

    def _item_writes(self, item: dict[str, Any]) -> list[tuple[str, int]]:
        writes = [(item["pk"]["S"], write_units(item_size(item)))]
        for index in self.indexes:
            entry = index.entry(item)
            if entry is not None:
                key = f"{INDEX_PREFIX}{index.name}:{entry[index.hash_key]['S']}"
                writes.append((key, write_units(item_size(entry))))
        return writes

    def _after(self, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        call: _Call | None = context.get("mostread_meter_call")
        if call is None:
            return
        consumed = parsed.get("ConsumedCapacity")
        entries = consumed if isinstance(consumed, list) else [consumed] if consumed else []
        units = sum(float(entry.get("CapacityUnits", 0) or 0) for entry in entries)
        error = parsed.get("Error", {}).get("Code")
        refused = error == "ConditionalCheckFailedException"
        if refused:
            units = float(call.writes[0][1]) if call.writes else 1.0
        kind = kind_of(call.keys[0]) if call.keys else "-"
        with self._lock:
            self.calls[(call.component, call.operation, kind)] += 1
            if call.added_capacity:
                self.unreported[(call.operation, kind)] += 1
            if refused:
                self.refused[(call.component, kind)] += 1
            if error and not refused:
                return
            read = call.operation in READS
            book = self.read if read else self.write
            share = units / max(1, len(call.keys))
            for key in call.keys or ["-"]:
                book[(call.component, key)] += share
                if read:
                    self.key_reads[(call.second, key)] += share
            if call.writes:
                for key, computed in call.writes:
                    self.key_writes[(call.second, key)] += computed
            elif not read:  # updates and deletes: their size is the stored item's, as reported
                for key in call.keys:
                    self.key_writes[(call.second, key)] += share

    # -- summaries ----------------------------------------------------------------------------------------

    def units(self, *, read: bool, component: str | None = None) -> float:
        book = self.read if read else self.write
        return sum(units for (comp, _), units in book.items() if component is None or comp == component)

    def by_kind(self, *, read: bool, component: str | None = None) -> dict[str, float]:
        totals: defaultdict[str, float] = defaultdict(float)
        for (comp, key), units in (self.read if read else self.write).items():
            if component is None or comp == component:
                totals[kind_of(key)] += units
        return dict(totals)


def partition_keys(params: dict[str, Any], *, tag_index: bool = True) -> list[str]:
    """The partition keys a DynamoDB call's parameters name; an index's as ``gsi:<index>:<key>`` unless told not."""
    if "Item" in params:
        return [params["Item"]["pk"]["S"]]
    if "Key" in params:
        return [params["Key"]["pk"]["S"]]
    if "KeyConditionExpression" in params:
        value = params["ExpressionAttributeValues"][":pk"]["S"]
        index = params.get("IndexName")
        return [f"{INDEX_PREFIX}{index}:{value}" if index and tag_index else value]
    return [key for request in (params.get("RequestItems") or {}).values() for key in batch_keys(request)]


def batch_keys(request: Any) -> list[str]:
    """The partition keys of one table's part of a BatchGetItem (a dict) or a BatchWriteItem (a list)."""
    if isinstance(request, dict):
        return [key["pk"]["S"] for key in request["Keys"]]
    return [(entry.get("PutRequest", {}).get("Item") or entry["DeleteRequest"]["Key"])["pk"]["S"] for entry in request]
