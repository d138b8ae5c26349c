"""Access pattern: record one view, once (conditional put on the view's event key), and mark it engaged, once
(conditional update of the same item)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from botocore.exceptions import ClientError

from mostread import keys
from mostread.dal.client import Db, condition_held, default_db
from mostread.logrow import LoggedView


@dataclass(slots=True)  # not frozen: made for every view the tracker writes, and frozen __init__ costs 3x
class RecordedView:
    view: LoggedView
    expires_at: int


def put_view(recorded: RecordedView, db: Db | None = None) -> bool:
    """Store the view unless its event key was seen before. True when it is new."""
    db = db or default_db()
    view = recorded.view
    item = {
        "pk": {"S": keys.view_key(view.event_key)},
        "sk": {"S": keys.ITEM},
        "a": {"S": view.article_id},
        "t": {"N": str(view.received_ms)},
        "v": {"S": view.visitor},
        "ad": {"S": view.address},
        "w": {"N": str(view.weight)},
        "expires_at": {"N": str(recorded.expires_at)},
    }
    if view.ref:
        item["r"] = {"S": view.ref}
    return condition_held(
        lambda: db.client.put_item(
            TableName=db.table,
            Item=item,
            ConditionExpression="attribute_not_exists(pk)",
            ReturnConsumedCapacity="TOTAL",
        )
    )


EngagedOutcome = Literal["accepted", "duplicate", "ignored"]
ENGAGED_AT = "g"  # receive time (ms) of the page view's engaged report: set once, never changed


def mark_engaged(event_key: str, article_id: str, received_ms: int, db: Db | None = None) -> EngagedOutcome:
    """Mark the page view recorded under ``event_key`` engaged, once. One conditional write, no read: when the
    condition fails, DynamoDB hands back the item as it stands (ReturnValuesOnConditionCheckFailure), which tells a
    repeat (already engaged) from a report that matches no recorded page view of this article."""
    db = db or default_db()
    try:
        db.client.update_item(
            TableName=db.table,
            Key={"pk": {"S": keys.view_key(event_key)}, "sk": {"S": keys.ITEM}},
            UpdateExpression=f"SET {ENGAGED_AT} = :g",
            ConditionExpression=f"attribute_exists(pk) AND a = :a AND attribute_not_exists({ENGAGED_AT})",
            ExpressionAttributeValues={":g": {"N": str(received_ms)}, ":a": {"S": article_id}},
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
            ReturnConsumedCapacity="TOTAL",
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        held: dict[str, Any] = dict(error.response.get("Item") or {})  # type: ignore[call-overload]
        if held.get("a", {}).get("S") == article_id and ENGAGED_AT in held:
            return "duplicate"
        return "ignored"
    return "accepted"


def engaged_ms(image: dict[str, dict[str, str]]) -> int | None:
    """When a stream record's NewImage was marked engaged, or None when it was not."""
    value = image.get(ENGAGED_AT)
    return int(value["N"]) if value else None


def view_from_image(image: dict[str, dict[str, str]]) -> LoggedView:
    """A stream record's NewImage (DynamoDB JSON) back into a LoggedView."""
    return LoggedView(
        article_id=image["a"]["S"],
        visitor=image["v"]["S"],
        received_ms=int(image["t"]["N"]),
        event_key=image["pk"]["S"].removeprefix(keys.VIEW),
        address=image.get("ad", {}).get("S", ""),
        ref=image.get("r", {}).get("S", ""),
        weight=int(image.get("w", {}).get("N", "1")),
    )
