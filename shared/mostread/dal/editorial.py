"""Access pattern: editorial controls (exclusions and pins). Every entry lives in the one partition
``pk = "editorial"`` (sort keys ``exclusion#{id}`` and ``pin#{id}``), so one Query reads them all.

Plain attributes, absent when null; ``expires_at`` (the table's TTL) is one day after ``until``, so
DynamoDB removes stale entries by itself. Whether an entry is in force is decided by the caller.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mostread import keys
from mostread.dal.client import Db, condition_held, query_all
from mostread.editorial_models import Exclusion, Pin

TTL_GRACE_SECONDS = 24 * 3600
_EXCLUSION = keys.exclusion_sort_key("")
_PIN = keys.pin_sort_key("")


def put_exclusion(db: Db, exclusion: Exclusion) -> None:
    item = _item(keys.exclusion_sort_key(exclusion.article_id), exclusion.article_id, exclusion.until_ts)
    _put_text(item, "until", exclusion.until)
    _put_text(item, "reason", exclusion.reason)
    _put(db, item)


def put_pin(db: Db, pin: Pin) -> None:
    """Stores the article's one pin, replacing any previous one."""
    item = _item(keys.pin_sort_key(pin.article_id), pin.article_id, pin.until_ts)
    item.update(kind={"S": pin.kind}, window={"S": pin.window}, position={"N": str(pin.position)})
    _put_text(item, "section", pin.section)
    _put_text(item, "until", pin.until)
    _put(db, item)


def delete_exclusion(db: Db, article_id: str) -> bool:
    """True when there was an exclusion to delete."""
    return _delete(db, keys.exclusion_sort_key(article_id))


def delete_pin(db: Db, article_id: str) -> bool:
    """True when there was a pin to delete."""
    return _delete(db, keys.pin_sort_key(article_id))


def all_controls(db: Db) -> tuple[list[Exclusion], list[Pin]]:
    """Every stored exclusion and pin, expired or not, with one (strongly consistent) Query."""
    exclusions: list[Exclusion] = []
    pins: list[Pin] = []
    for item in query_all(db, keys.EDITORIAL, consistent=True):
        sort_key = item["sk"]["S"]
        if sort_key.startswith(_EXCLUSION):
            exclusions.append(
                Exclusion(article_id=item["article_id"]["S"], until=_text(item, "until"), reason=_text(item, "reason"))
            )
        elif sort_key.startswith(_PIN):
            pins.append(
                Pin(
                    article_id=item["article_id"]["S"],
                    kind=item["kind"]["S"],
                    window=item["window"]["S"],
                    section=_text(item, "section"),
                    position=int(item["position"]["N"]),
                    until=item["until"]["S"],
                )
            )
    return exclusions, pins


def excluded_ids(db: Db, now: float) -> set[str]:
    """The articles excluded at ``now`` (for the archive's lists, which apply exclusions when read): one Query of
    the exclusions' sort keys."""
    excluded: set[str] = set()
    for item in query_all(db, keys.EDITORIAL, consistent=True, sk_prefix=_EXCLUSION):
        until = _text(item, "until")
        if until is None or datetime.fromisoformat(until).timestamp() > now:
            excluded.add(item["article_id"]["S"])
    return excluded


def _item(sort_key: str, article_id: str, until_ts: float | None) -> dict[str, Any]:
    item: dict[str, Any] = {"pk": {"S": keys.EDITORIAL}, "sk": {"S": sort_key}, "article_id": {"S": article_id}}
    if until_ts is not None:
        item["expires_at"] = {"N": str(int(until_ts) + TTL_GRACE_SECONDS)}
    return item


def _put_text(item: dict[str, Any], name: str, value: str | None) -> None:
    if value is not None:
        item[name] = {"S": value}


def _text(item: dict[str, Any], name: str) -> str | None:
    value = item.get(name, {}).get("S")
    return None if value is None else str(value)


def _put(db: Db, item: dict[str, Any]) -> None:
    db.client.put_item(TableName=db.table, Item=item, ReturnConsumedCapacity="TOTAL")


def _delete(db: Db, sort_key: str) -> bool:
    return condition_held(
        lambda: db.client.delete_item(
            TableName=db.table,
            Key={"pk": {"S": keys.EDITORIAL}, "sk": {"S": sort_key}},
            ConditionExpression="attribute_exists(pk)",
            ReturnConsumedCapacity="TOTAL",
        )
    )
