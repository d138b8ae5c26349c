"""The daily salts: in their own table only, deleted (not merely expired) 48 h after they were made, and an expired
salt that TTL has not removed yet is never used. The clock is injected; moto never runs TTL, so an expired item
stays until something deletes it, as DynamoDB's lazy TTL may leave it for days."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import boto3
import pytest
from mostread.config import ConfigurationError, settings
from mostread.dal import salts
from mostread.timebuckets import day_of
from mostread.visitor import visitor_hash

from tests.conftest import TEST_TABLE_NAME, clear_mostread_caches
from tests.faults import aws_error, failing
from tests.harness import CHROME, Clock, FakeContext, http_event, load_function

SALTS_TABLE = f"{TEST_TABLE_NAME}-salts"
HOUR = 3600
DAY = 24 * HOUR
SEOUL = ZoneInfo("Asia/Seoul")


class Tracker:
    """The tracking function alone, on its own clock: one warm container."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, clock: Clock) -> None:
        self.module = load_function("track")
        self.clock = clock
        monkeypatch.setattr(self.module, "system_clock", clock)

    def view(self, article_id: str = "a1", visitor: int = 1) -> dict[str, Any]:
        event = http_event(
            "POST",
            "/v1/views",
            body=json.dumps({"article_id": article_id}),
            headers={"content-type": "application/json", "x-forwarded-for": f"198.51.100.{visitor}"},
        )
        response: dict[str, Any] = self.module.handler(event, FakeContext())
        return response


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def tracker(ddb_table: str, monkeypatch: pytest.MonkeyPatch, clock: Clock) -> Tracker:
    return Tracker(monkeypatch, clock)


def stored_salt(day: str) -> dict[str, Any] | None:
    """The raw item, expired or not: what a backup, a stream or TTL lag could still hand out."""
    key = {"pk": {"S": f"salt#{day}"}, "sk": {"S": "-"}}
    item: dict[str, Any] | None = boto3.client("dynamodb").get_item(TableName=SALTS_TABLE, Key=key).get("Item")
    return item


def salt_days() -> set[str]:
    items = boto3.client("dynamodb").scan(TableName=SALTS_TABLE)["Items"]
    return {item["pk"]["S"].removeprefix("salt#") for item in items}


def put_salt(day: str, salt: bytes, expires_at: float) -> None:
    key = {"pk": {"S": f"salt#{day}"}, "sk": {"S": "-"}}
    item = {**key, "salt": {"B": salt}, "expires_at": {"N": str(int(expires_at))}}
    boto3.client("dynamodb").put_item(TableName=SALTS_TABLE, Item=item)


def kst(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=SEOUL).timestamp()


def test_salts_never_reach_the_views_table(tracker: Tracker, clock: Clock) -> None:
    days = []
    for _ in range(4):
        assert tracker.view()["statusCode"] == 202
        days.append(day_of(clock(), SEOUL))
        clock.advance(DAY)
    views_table = boto3.client("dynamodb").scan(TableName=TEST_TABLE_NAME)["Items"]
    assert [item["pk"]["S"] for item in views_table if not item["pk"]["S"].startswith("view#")] == []
    assert all("salt" not in item for item in views_table)
    # each day's first request deleted the salts of two and three days before: only the last two days are left
    assert salt_days() == set(days[-2:])


@pytest.mark.parametrize("made_at", ["2026-11-27T00:00:00", "2026-11-27T12:34:56", "2026-11-27T23:59:59"])
@pytest.mark.parametrize("deleted_by", ["the next day's tracking request", "the ranking run"])
def test_a_days_salt_is_deleted_48_hours_after_it_was_made(
    tracker: Tracker, clock: Clock, made_at: str, deleted_by: str
) -> None:
    clock.now = kst(made_at)
    assert tracker.view()["statusCode"] == 202
    assert stored_salt("2026-11-27") is not None
    clock.advance(DAY)  # a day later it is still needed by nobody, but it is within its 48 h: kept
    salts.forget_old_salts(clock(), SEOUL)
    assert stored_salt("2026-11-27") is not None
    clock.advance(DAY)
    if deleted_by == "the ranking run":
        salts.forget_old_salts(clock(), SEOUL)
    else:
        assert tracker.view(visitor=2)["statusCode"] == 202
    assert stored_salt("2026-11-27") is None  # gone from the table, not merely past its expires_at


def test_a_salt_outliving_a_25_hour_day_is_deleted_by_the_ranking_run(
    ddb_table: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SITE_TIME_ZONE", "Europe/Berlin")
    clear_mostread_caches()
    berlin = ZoneInfo("Europe/Berlin")
    made = datetime(2026, 10, 25, 0, 0, 30, tzinfo=berlin).timestamp()  # summer time ends this day: 25 hours
    salts.daily_salt("2026-10-25", made)
    salts.forget_old_salts(made + 2 * DAY - 60, berlin)
    assert stored_salt("2026-10-25") is not None  # not 48 h old yet
    later = made + 2 * DAY
    assert day_of(later, berlin) == "2026-10-26"  # 48 h later it is still only the day after
    salts.forget_old_salts(later, berlin)
    assert stored_salt("2026-10-25") is None


def test_yesterdays_salt_is_kept_while_it_is_live(ddb_table: str) -> None:
    made = kst("2026-11-27T23:59:00")
    salt = salts.daily_salt("2026-11-27", made)
    salts.forget_old_salts(made + 60, SEOUL)  # just after midnight: a slot may still be using it
    assert stored_salt("2026-11-27") is not None
    salts._cache.clear()  # another container
    assert salts.daily_salt("2026-11-27", made + 60) == salt


def test_an_expired_salt_that_ttl_has_not_deleted_is_never_used(tracker: Tracker, clock: Clock) -> None:
    day = day_of(clock(), SEOUL)
    stale = b"\x01" * 32
    put_salt(day, stale, clock() - 1)
    assert tracker.view(visitor=7)["statusCode"] == 202
    item = stored_salt(day)
    assert item is not None
    assert item["salt"]["B"] != stale  # replaced by a fresh one
    assert int(item["expires_at"]["N"]) == int(clock()) + salts.SALT_LIFETIME_SECONDS
    [view] = boto3.client("dynamodb").scan(TableName=TEST_TABLE_NAME)["Items"]
    assert view["v"]["S"] == visitor_hash(item["salt"]["B"], "198.51.100.7", CHROME)
    assert view["v"]["S"] != visitor_hash(stale, "198.51.100.7", CHROME)


def test_a_cached_salt_is_not_used_past_its_expiry(ddb_table: str) -> None:
    now = kst("2026-11-27T10:00:00")
    first = salts.daily_salt("2026-11-27", now)
    assert salts.daily_salt("2026-11-27", now + DAY) == first  # cached, and live
    # the same day asked for once the salt has expired (a container whose clock ran away): a fresh salt
    assert salts.daily_salt("2026-11-27", now + salts.SALT_LIFETIME_SECONDS) != first


def test_a_salt_made_by_another_container_in_the_meantime_is_used(ddb_table: str) -> None:
    now = kst("2026-11-27T10:00:00")
    theirs = b"\x02" * 32

    def racing_random_bytes(count: int) -> bytes:
        # between our read (nothing there) and our conditional put, another container stores its salt
        put_salt("2026-11-27", theirs, now + salts.SALT_LIFETIME_SECONDS)
        return b"\x03" * count

    assert salts.daily_salt("2026-11-27", now, racing_random_bytes) == theirs


def test_a_failed_clean_up_does_not_lose_the_view(tracker: Tracker, clock: Clock) -> None:
    with failing("DeleteItem", lambda: aws_error("ThrottlingException", 400), table=SALTS_TABLE) as fault:
        response = tracker.view()
    assert fault.failed == 1  # the first delete failed; the view went on
    assert response["statusCode"] == 202
    assert json.loads(response["body"])["accepted"] == 1


def test_without_a_salts_table_no_salt_is_made_anywhere(tracker: Tracker, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SALTS_TABLE_NAME")
    clear_mostread_caches()
    assert settings().salts_table_name == ""
    with pytest.raises(ConfigurationError, match="SALTS_TABLE_NAME"):
        salts.daily_salt("2026-11-27", kst("2026-11-27T10:00:00"))
    response = tracker.view()
    assert response["statusCode"] == 503
    everything = boto3.client("dynamodb").scan(TableName=TEST_TABLE_NAME)["Items"]
    assert everything == []


def test_the_rank_function_deletes_old_salts_on_every_run(tracker: Tracker, clock: Clock) -> None:
    """A day without traffic loads no salt, so the ranking function (every minute, whatever the traffic) deletes
    the salts of two days ago; a failure there is logged, never fails the run."""
    rank = load_function("rank")
    clock.now = kst("2026-11-27T00:10:00")
    assert tracker.view()["statusCode"] == 202
    rank.system_clock = lambda: clock.now + 2 * DAY
    assert not rank.handler({}, FakeContext())["skipped"]
    assert stored_salt("2026-11-27") is None
    with failing("DeleteItem", lambda: aws_error("ProvisionedThroughputExceededException", 400), table=SALTS_TABLE):
        assert not rank.handler({}, FakeContext())["skipped"]
