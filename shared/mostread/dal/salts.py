"""Access pattern: the daily visitor-hash salt, random, created by whoever needs it first, kept 48 h."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from botocore.exceptions import ClientError as BotoClientError

from mostread import keys
from mostread.dal.client import dynamodb, table_name

SALT_LIFETIME_SECONDS = 2 * 86400


def daily_salt(day: str, now: float, random_bytes: Callable[[int], bytes] = secrets.token_bytes) -> bytes:
    key = {"pk": {"S": keys.salt_key(day)}, "sk": {"S": keys.ITEM}}
    table = table_name()
    found = dynamodb().get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")
    if found:
        return found["salt"]["B"]
    salt = random_bytes(32)
    try:
        dynamodb().put_item(
            TableName=table,
            Item={**key, "salt": {"B": salt}, "expires_at": {"N": str(int(now) + SALT_LIFETIME_SECONDS)}},
            ConditionExpression="attribute_not_exists(pk)",
        )
    except BotoClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        # another container won the race: use its salt
        return dynamodb().get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]["salt"]["B"]
    return salt
