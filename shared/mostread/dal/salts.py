"""Access pattern: the daily visitor-hash salt, random, created by whoever needs it first, kept 48 h."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from mostread import keys
from mostread.dal.client import condition_held, dynamodb, table_name

SALT_LIFETIME_SECONDS = 2 * 86400


_cache: dict[tuple[str, str], bytes] = {}


def daily_salt(day: str, now: float, random_bytes: Callable[[int], bytes] = secrets.token_bytes) -> bytes:
    """The salt of ``day``, read once per container and day (a salt never changes once created)."""
    cache_key = (table_name(), day)
    if cache_key not in _cache:
        _cache.clear()  # yesterday's salt is no longer needed here
        _cache[cache_key] = _load_or_create(day, now, random_bytes)
    return _cache[cache_key]


def _load_or_create(day: str, now: float, random_bytes: Callable[[int], bytes]) -> bytes:
    key = {"pk": {"S": keys.salt_key(day)}, "sk": {"S": keys.ITEM}}
    table = table_name()
    found = dynamodb().get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")
    if found:
        return found["salt"]["B"]
    salt = random_bytes(32)
    created = condition_held(
        lambda: dynamodb().put_item(
            TableName=table,
            Item={**key, "salt": {"B": salt}, "expires_at": {"N": str(int(now) + SALT_LIFETIME_SECONDS)}},
            ConditionExpression="attribute_not_exists(pk)",
        )
    )
    if created:
        return salt
    # another container won the race: use its salt
    return dynamodb().get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]["salt"]["B"]
