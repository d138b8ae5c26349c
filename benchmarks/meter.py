"""Observing every DynamoDB call the service makes through ``mostread.dal.client.dynamodb()``.

Two botocore hooks on that client:

- ``provide-client-params``: notes the operation, the partition keys and the size of written items, and
  adds ``ReturnConsumedCapacity=TOTAL`` to calls that forgot it (counted, so the report can name them);
- ``after-call``: books the consumed capacity DynamoDB Local reports to the current component (tracker,
  ingest, ranking, ...) and partition key; a write refused by its condition is booked at its item size,
  since DynamoDB charges it but reports nothing.

Per partition key and simulated second it also books write units computed from item sizes (1 KB rounded
up) for the table and for every index an item lands in, and read units, to find hot keys.
"""

from __future__ import annotations

import math
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

READ_OPERATIONS = {"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"}
WRITE_OPERATIONS = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
CAPACITY_OPERATIONS = READ_OPERATIONS | WRITE_OPERATIONS

FAMILIES = (
    "view#",
    "salt#",
    "log#",
    "slots",
    "sum#",
    "base#",
    "list#",
    "counts#",
    "article#",
    "state#",
    "editorial",
)
INDEX_PREFIX = "gsi:"  # keys of index partitions: gsi:<index name>:<partition value>
FAMILY_NAMES = {
    "view#": "view records (view#)",
    "salt#": "daily salt (salt#)",
    "log#": "view log chunks (log#)",
    "slots": "slot index (slots)",
    "sum#": "slot summaries (sum#)",
    "base#": "window bases (base#)",
    "list#": "ranking lists (list#)",
    "counts#": "per-article counts (counts#)",
    "article#": "catalog items (article#)",
    "state#": "run state (state#)",
    "editorial": "editorial controls (editorial)",
    "gsi:catalog": "catalog index (GSI catalog)",
}


def family(pk: str) -> str:
    if pk.startswith(INDEX_PREFIX):
        return INDEX_PREFIX + pk.removeprefix(INDEX_PREFIX).split(":", 1)[0]
    for prefix in FAMILIES:
        if pk.startswith(prefix):
            return prefix
    return pk


def index_key(index: str, value: str) -> str:
    return f"{INDEX_PREFIX}{index}:{value}"


# --- DynamoDB item sizes -----------------------------------------------------------------------------------


def attribute_size(value: dict[str, Any]) -> int:
    """Bytes of one attribute value, as DynamoDB counts them for capacity units."""
    ((kind, raw),) = value.items()
    if kind == "S":
        return len(str(raw).encode())
    if kind == "N":
        digits = str(raw).lstrip("-").replace(".", "").strip("0") or "0"
        return (len(digits) + 1) // 2 + 1
    if kind == "B":
        return len(raw)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "NS", "BS"):
        return sum(attribute_size({kind[0]: element}) for element in raw)
    if kind == "L":
        return 3 + sum(attribute_size(element) + 1 for element in raw)
    if kind == "M":
        return 3 + sum(len(name.encode()) + attribute_size(element) + 1 for name, element in raw.items())
    raise ValueError(f"unknown attribute type {kind}")


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + attribute_size(value) for name, value in item.items())


def write_units(size: int) -> int:
    return max(1, math.ceil(size / 1024))


@dataclass(frozen=True)
class IndexSpec:
    name: str
    hash_key: str
    attributes: tuple[str, ...] | None  # projected non-key attributes; None = ALL

    def entry(self, item: dict[str, Any], table_keys: tuple[str, ...]) -> dict[str, Any] | None:
        if self.hash_key not in item:
            return None
        if self.attributes is None:
            return item
        wanted = {self.hash_key, *table_keys, *self.attributes}
        return {name: value for name, value in item.items() if name in wanted}


def index_specs(create_kwargs: dict[str, Any]) -> list[IndexSpec]:
    specs = []
    for index in create_kwargs.get("GlobalSecondaryIndexes", []):
        (hash_key,) = [key["AttributeName"] for key in index["KeySchema"] if key["KeyType"] == "HASH"]
        range_keys = [key["AttributeName"] for key in index["KeySchema"] if key["KeyType"] == "RANGE"]
        projection = index.get("Projection", {})
        attributes: tuple[str, ...] | None
        if projection.get("ProjectionType") == "ALL":
            attributes = None
        else:
            attributes = (*range_keys, *projection.get("NonKeyAttributes", []))
        specs.append(IndexSpec(index["IndexName"], hash_key, attributes))
    return specs


# --- the meter ---------------------------------------------------------------------------------------------


@dataclass
class _Call:
    operation: str
    component: str
    part: str
    second: int
    keys: list[str]
    writes: list[tuple[str, int]] = field(default_factory=list)  # (partition key, computed write units)
    injected: bool = False


class Meter:
    """Capacity units by component, part and partition key; write and read units per key per second."""

    def __init__(self, indexes: Iterable[IndexSpec] = (), table_keys: tuple[str, ...] = ("pk", "sk")) -> None:
        self.indexes = list(indexes)
        self.table_keys = table_keys
        self._lock = threading.Lock()
        self._local = threading.local()
        self.component = "other"
        self.part = ""
        self.second = 0
        self._attached: set[int] = set()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            # (component, part, partition key) -> units
            self.read: defaultdict[tuple[str, str, str], float] = defaultdict(float)
            self.write: defaultdict[tuple[str, str, str], float] = defaultdict(float)
            self.calls: Counter[tuple[str, str, str]] = Counter()  # (component, operation, family)
            self.unmetered: Counter[tuple[str, str]] = Counter()  # (operation, family) without ReturnConsumedCapacity
            self.refused: Counter[tuple[str, str]] = Counter()  # (component, family) conditional writes refused
            self.key_writes: defaultdict[tuple[int, str], float] = defaultdict(float)  # (second, key) computed WCU
            self.key_reads: defaultdict[tuple[int, str], float] = defaultdict(float)  # (second, key) reported RCU
            self.reported_vs_computed = [0.0, 0.0]  # put/batch-put write units: reported, computed

    # context the simulation sets

    @contextmanager
    def scope(self, component: str, part: str = "") -> Iterator[None]:
        saved = (self.component, self.part)
        self.component, self.part = component, part
        try:
            yield
        finally:
            self.component, self.part = saved

    def set_second(self, second: float, *, this_thread: bool = False) -> None:
        if this_thread:
            self._local.second = int(second)
        else:
            self.second = int(second)

    # wiring

    def attach(self, client: Any) -> None:
        if id(client) in self._attached:
            return
        self._attached.add(id(client))
        client.meta.events.register("provide-client-params.dynamodb", self._before)
        client.meta.events.register("after-call.dynamodb", self._after)

    def _before(self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        operation = model.name
        call = _Call(
            operation,
            self.component,
            self.part,
            getattr(self._local, "second", self.second),
            _partition_keys(params),
        )
        if operation in CAPACITY_OPERATIONS and "ReturnConsumedCapacity" not in params:
            params["ReturnConsumedCapacity"] = "TOTAL"
            call.injected = True
        if operation == "PutItem":
            call.writes = self._item_writes(params["Item"])
        elif operation == "BatchWriteItem":
            for requests in params["RequestItems"].values():
                for request in requests:
                    if "PutRequest" in request:
                        call.writes.extend(self._item_writes(request["PutRequest"]["Item"]))
                    else:
                        call.writes.append((request["DeleteRequest"]["Key"]["pk"]["S"], 1))
        context["benchmark_call"] = call

    def _item_writes(self, item: dict[str, Any]) -> list[tuple[str, int]]:
        writes = [(item["pk"]["S"], write_units(item_size(item)))]
        for index in self.indexes:
            entry = index.entry(item, self.table_keys)
            if entry is not None:
                writes.append((index_key(index.name, entry[index.hash_key]["S"]), write_units(item_size(entry))))
        return writes

    def _after(self, http_response: Any, parsed: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        call: _Call | None = context.get("benchmark_call")
        if call is None:
            return
        consumed = parsed.get("ConsumedCapacity")
        entries = consumed if isinstance(consumed, list) else [consumed] if consumed else []
        units = sum(float(entry.get("CapacityUnits", 0) or 0) for entry in entries)
        error = parsed.get("Error", {}).get("Code")
        refused = error == "ConditionalCheckFailedException"
        if refused:
            units = float(call.writes[0][1]) if call.writes else 1.0  # charged at the item's size, not reported
        fam = family(call.keys[0]) if call.keys else "-"
        with self._lock:
            self.calls[(call.component, call.operation, fam)] += 1
            if call.injected:
                self.unmetered[(call.operation, fam)] += 1
            if refused:
                self.refused[(call.component, fam)] += 1
            if error and not refused:
                return
            book = self.read if call.operation in READ_OPERATIONS else self.write
            share = units / max(1, len(call.keys))
            for key in call.keys or ["-"]:
                book[(call.component, call.part, key)] += share
                if call.operation in READ_OPERATIONS:
                    self.key_reads[(call.second, key)] += share
            if call.operation in ("PutItem", "BatchWriteItem"):
                for key, computed in call.writes:
                    self.key_writes[(call.second, key)] += computed
                if not refused:
                    self.reported_vs_computed[0] += units
                    self.reported_vs_computed[1] += sum(computed for _, computed in call.writes)
            elif call.operation in ("UpdateItem", "DeleteItem"):
                for key in call.keys:
                    self.key_writes[(call.second, key)] += units

    # summaries

    def units(
        self,
        *,
        read: bool,
        component: str | None = None,
        part: str | None = None,
        key_family: str | None = None,
    ) -> float:
        book = self.read if read else self.write
        return sum(
            units
            for (comp, prt, key), units in book.items()
            if (component is None or comp == component)
            and (part is None or prt == part)
            and (key_family is None or family(key) == key_family)
        )

    def by_family(self, *, read: bool, component: str | None = None, part: str | None = None) -> dict[str, float]:
        totals: defaultdict[str, float] = defaultdict(float)
        book = self.read if read else self.write
        for (comp, prt, key), units in book.items():
            if (component is None or comp == component) and (part is None or prt == part):
                totals[family(key)] += units
        return dict(totals)

    def snapshot(self) -> tuple[dict[tuple[str, str, str], float], dict[tuple[str, str, str], float]]:
        with self._lock:
            return dict(self.read), dict(self.write)


def _partition_keys(params: dict[str, Any]) -> list[str]:
    if "Item" in params:
        return [params["Item"]["pk"]["S"]]
    if "Key" in params:
        return [params["Key"]["pk"]["S"]]
    if "KeyConditionExpression" in params:
        value = params["ExpressionAttributeValues"][":pk"]["S"]
        return [index_key(params["IndexName"], value) if "IndexName" in params else value]
    if "RequestItems" in params:
        keys: list[str] = []
        for request in params["RequestItems"].values():
            if isinstance(request, dict):
                keys.extend(key["pk"]["S"] for key in request["Keys"])
            else:
                for entry in request:
                    body = entry.get("PutRequest", {}).get("Item") or entry.get("DeleteRequest", {}).get("Key")
                    keys.append(body["pk"]["S"])
        return keys
    return []
