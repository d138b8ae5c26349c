"""Access pattern: the daily visitor-hash salt, random, created by whoever needs it first, gone after 48 h.

With a day's salt every IPv4 visitor hash of that day can be reversed by trying all 2^32 addresses, so the salt
must be unrecoverable once it is no longer needed. Salts live in a table of their own, with no point-in-time
recovery and no stream (template.yaml, SaltsTable), and are deleted actively: TTL alone deletes lazily, days
late. An item whose ``expires_at`` has passed is treated as absent, deleted or not. docs/reliability.md, "Privacy".
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import date, timedelta, tzinfo
from typing import Any

from botocore.exceptions import BotoCoreError
from botocore.exceptions import ClientError as BotoClientError

from mostread import keys
from mostread.caches import remembered
from mostread.config import ConfigurationError, settings
from mostread.dal.client import Db, condition_held, dynamodb
from mostread.observability import logger
from mostread.timebuckets import day_of

SALT_LIFETIME_SECONDS = 2 * 86400
# A salt is used only on its own day (a dedupe slot that crosses midnight keeps the day it started in), so the
# salts of the day before yesterday and of the day before that are never needed again; deleting them deletes every
# salt made 48 h or more ago. Two days, not one, in case no container loaded a salt on some day.
FORGOTTEN_DAYS = (2, 3)

# (table, day) -> (salt, expires_at): a salt never changes once created, so one read per container and day
_cache: dict[tuple[str, str], tuple[bytes, int]] = {}
remembered(_cache.clear)


def salts_db() -> Db:
    table = settings().salts_table_name
    if not table:
        # never fall back to the views table: it has backups and a stream, from which a salt could come back
        raise ConfigurationError("SALTS_TABLE_NAME is not set: the daily salts need their own table")
    return Db(dynamodb(), table)


def daily_salt(
    day: str,
    now: float,
    random_bytes: Callable[[int], bytes] = secrets.token_bytes,
    db: Db | None = None,
) -> bytes:
    """The salt of ``day``, created if there is none (or only an expired one). Loading it deletes old salts."""
    # the table's name alone finds a cached salt: the Db is built only when DynamoDB is asked (once a day)
    cache_key = (db.table if db else settings().salts_table_name, day)
    cached = _cache.get(cache_key)
    if cached is not None and cached[1] > now:
        return cached[0]
    db = db or salts_db()
    _cache.clear()  # another day's salt is no longer needed here
    salt, expires_at = _load_or_create(db, day, now, random_bytes)
    _cache[cache_key] = (salt, expires_at)
    try:
        _delete_days_before(db, day, FORGOTTEN_DAYS)
    except (BotoClientError, BotoCoreError) as error:
        # the views still count; the ranking run's forget_old_salts deletes them within a minute
        logger.warning("old salts not deleted", extra={"error": type(error).__name__})
    return salt


def forget_old_salts(now: float, zone: tzinfo) -> None:
    """Delete every salt made 48 h or more ago, for days on which no tracking request loaded a salt. Called once
    per ranking run. Raises what DynamoDB raises.

    Also deletes yesterday's salt once it has expired: in a zone with daylight saving time a 25-hour day can keep
    a salt for 49 h before the day after tomorrow starts.
    """
    db = salts_db()
    today = day_of(now, zone)
    _delete_days_before(db, today, FORGOTTEN_DAYS)
    yesterday = _day_before(today, 1)
    condition_held(
        lambda: db.client.delete_item(
            TableName=db.table,
            Key=_key(yesterday),
            ConditionExpression="expires_at <= :now",
            ExpressionAttributeValues={":now": {"N": str(int(now))}},
        )
    )


def _load_or_create(db: Db, day: str, now: float, random_bytes: Callable[[int], bytes]) -> tuple[bytes, int]:
    found = _live_salt(db, day, now)
    if found is not None:
        return found
    salt = random_bytes(32)
    expires_at = int(now) + SALT_LIFETIME_SECONDS
    created = condition_held(
        lambda: db.client.put_item(
            TableName=db.table,
            Item={**_key(day), "salt": {"B": salt}, "expires_at": {"N": str(expires_at)}},
            # an expired salt that TTL has not deleted yet is replaced, never used
            ConditionExpression="attribute_not_exists(pk) OR attribute_not_exists(expires_at) OR expires_at <= :now",
            ExpressionAttributeValues={":now": {"N": str(int(now))}},
        )
    )
    if created:
        return salt, expires_at
    # another container won the race: use its salt
    winner = _live_salt(db, day, now)
    if winner is None:
        raise RuntimeError(f"the salt of {day} was neither created nor found")
    return winner


def _live_salt(db: Db, day: str, now: float) -> tuple[bytes, int] | None:
    item = db.client.get_item(TableName=db.table, Key=_key(day), ConsistentRead=True).get("Item")
    # TTL deletes expired items lazily, days late (docs/reliability.md): an expired salt is as good as absent
    expires_at = int(item.get("expires_at", {}).get("N", "0")) if item else 0
    if item is None or expires_at <= now:
        return None
    return bytes(item["salt"]["B"]), expires_at


def _delete_days_before(db: Db, day: str, days_back: tuple[int, ...]) -> None:
    for back in days_back:
        db.client.delete_item(TableName=db.table, Key=_key(_day_before(day, back)))


def _day_before(day: str, back: int) -> str:
    return (date.fromisoformat(day) - timedelta(days=back)).isoformat()


def _key(day: str) -> dict[str, Any]:
    return {"pk": {"S": keys.salt_key(day)}, "sk": {"S": keys.ITEM}}
