"""Access pattern: record one view, once (conditional put on the view's event key)."""

from __future__ import annotations

from dataclasses import dataclass

from mostread import keys
from mostread.dal.client import Db, condition_held, default_db
from mostread.logrow import LoggedView


@dataclass(frozen=True, slots=True)
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
