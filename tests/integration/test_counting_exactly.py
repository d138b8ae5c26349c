"""No counted view is lost and none is counted twice: retries, replays, bisected batches, crashed runs."""

import json

import boto3
import pytest
from botocore.exceptions import ClientError as BotoClientError
from mostread.dal import aggregates, published
from mostread.dal.client import dynamodb
from mostread.timebuckets import WINDOW_SPECS

from tests.harness import article


def views_of(service, article_id):
    response = service.get(f"/v1/articles/{article_id}/views", article_id=article_id)
    assert response["statusCode"] == 200
    return json.loads(response["body"])["views"]


def catalogue(service, *ids, section="politics"):
    for article_id in ids:
        assert (
            service.put_article(article_id, article(title=f"기사 {article_id}", section=section))["statusCode"] == 200
        )


def test_reloads_by_one_visitor_count_once_even_with_new_event_ids(service):
    catalogue(service, "a1")
    for n in range(5):
        service.view("a1", visitor=1, event_id=f"reload-evt-{n}")
        service.clock.advance(30)
    service.view("a1", visitor=2, event_id="other-visitor-1")
    service.run_ranking()
    assert views_of(service, "a1") == {"1h": 2, "24h": 2, "7d": 2}


def test_redelivered_and_bisected_stream_batches_change_nothing(service):
    catalogue(service, "a1", "a2")
    for n in range(10):
        service.view("a1" if n % 3 else "a2", visitor=n, event_id=f"batch-evt-{n:04d}")
    batch = service.stream_records()
    assert len(batch) == 10
    service.deliver(batch)
    service.deliver(batch)  # Lambda retried the whole batch
    service.deliver(batch[:5])  # ...then bisected it
    service.deliver(batch[5:])
    service.deliver(batch[3:8])
    service.run_ranking()
    assert views_of(service, "a1")["1h"] == 6
    assert views_of(service, "a2")["1h"] == 4


def test_repeated_runs_publish_the_same_state(service):
    catalogue(service, "a1", "a2")
    for n in range(6):
        service.view("a1", visitor=n, event_id=f"run-evt-{n:04d}")
    service.view("a2", visitor=1, event_id="run-evt-a2")
    service.run_ranking()
    # the second run settles the movement: the lists of the first run are now the previous ones
    settling = service.run_ranking()
    assert settling["count_chunks_written"] == 0
    assert [item["previous_rank"] for item in service.rankings(window="24h")["items"]] == [1, 2]
    first = service.rankings(window="24h")
    state_before = dump(service)
    third_report = service.run_ranking()
    assert service.rankings(window="24h") == first
    assert third_report["lists_written"] == 0
    assert third_report["count_chunks_written"] == 0
    assert dump(service, skip_state=True) == dump_without_state(state_before)


def test_a_run_that_crashes_midway_is_repaired_by_the_next(service, monkeypatch):
    catalogue(service, "a1", "a2", "a3")
    for n in range(9):
        service.view(f"a{n % 3 + 1}", visitor=n, event_id=f"crash-evt-{n:04d}")
    service.clock.advance(3600)  # the slot is sealed and bases are rebuilt in this run
    for n in range(4):
        service.view("a3", visitor=100 + n, event_id=f"crash-late-{n:04d}")

    real_put_list = published.put_list
    calls = {"n": 0}

    def crash_on_third_list(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("Lambda timed out")
        return real_put_list(*args, **kwargs)

    monkeypatch.setattr(published, "put_list", crash_on_third_list)
    with pytest.raises(RuntimeError):
        service.run_ranking()
    monkeypatch.setattr(published, "put_list", real_put_list)
    service.run_ranking()
    assert views_of(service, "a1") == {"1h": 0, "24h": 3, "7d": 3}
    assert views_of(service, "a3") == {"1h": 4, "24h": 7, "7d": 7}
    top = service.rankings(window="24h")["items"]
    assert [(item["article_id"], item["views"]) for item in top] == [("a3", 7), ("a1", 3), ("a2", 3)] or [
        (item["article_id"], item["views"]) for item in top
    ] == [("a3", 7), ("a2", 3), ("a1", 3)]


def test_a_crash_while_writing_a_summary_leaves_the_old_one_readable(service, monkeypatch):
    catalogue(service, "a1")
    for n in range(3):
        service.view("a1", visitor=n, event_id=f"sum-evt-{n:04d}")
    service.clock.advance(2400)
    real_put_item = dynamodb().put_item

    def fail_on_summary_head(**kwargs):
        if kwargs["Item"]["pk"]["S"].startswith("sum#") and kwargs["Item"]["sk"]["S"] == aggregates.HEAD:
            raise BotoClientError({"Error": {"Code": "InternalServerError", "Message": "boom"}}, "PutItem")
        return real_put_item(**kwargs)

    monkeypatch.setattr(dynamodb(), "put_item", fail_on_summary_head)
    with pytest.raises(BotoClientError):
        service.run_ranking()
    monkeypatch.setattr(dynamodb(), "put_item", real_put_item)
    service.run_ranking()
    assert views_of(service, "a1")["24h"] == 3


def test_a_lost_response_and_a_retry_count_once(service, monkeypatch):
    catalogue(service, "a1")
    real_put_item = dynamodb().put_item
    state = {"failed": False}

    def write_then_lose_the_response(**kwargs):
        result = real_put_item(**kwargs)
        if kwargs["Item"]["pk"]["S"].startswith("view#") and not state["failed"]:
            state["failed"] = True
            raise BotoClientError(
                {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow"}}, "PutItem"
            )
        return result

    monkeypatch.setattr(dynamodb(), "put_item", write_then_lose_the_response)
    lost = service.view("a1", visitor=1, event_id="lost-response-1")
    assert lost["statusCode"] == 503  # the page may retry (docs/reliability.md)
    monkeypatch.setattr(dynamodb(), "put_item", real_put_item)
    retry = json.loads(service.view("a1", visitor=1, event_id="lost-response-1")["body"])
    assert retry == {"accepted": 0, "duplicate": 1, "ignored": 0}
    service.run_ranking()
    assert views_of(service, "a1")["1h"] == 1


def test_views_delivered_after_their_slot_was_sealed_are_still_counted(service):
    catalogue(service, "a1")
    service.view("a1", visitor=1, event_id="early-evt-1")
    service.deliver()
    service.view("a1", visitor=2, event_id="late-evt-01")
    held_back = service.stream_records()  # the stream consumer is stuck for a while
    service.clock.advance(3 * 3600)
    service.run_ranking()
    assert views_of(service, "a1")["24h"] == 1
    service.deliver(held_back)
    service.run_ranking()
    assert views_of(service, "a1") == {"1h": 0, "24h": 2, "7d": 2}


def test_views_leave_each_window_on_time(service):
    catalogue(service, "a1")
    service.view("a1", visitor=1, event_id="window-evt-1")
    service.run_ranking()
    assert views_of(service, "a1") == {"1h": 1, "24h": 1, "7d": 1}
    service.clock.advance(3600 + 300)
    service.run_ranking()
    assert views_of(service, "a1") == {"1h": 0, "24h": 1, "7d": 1}
    service.clock.advance(24 * 3600)
    service.run_ranking()
    assert views_of(service, "a1") == {"1h": 0, "24h": 0, "7d": 1}
    service.clock.advance(6 * 86400)
    service.run_ranking()
    assert views_of(service, "a1") == {"1h": 0, "24h": 0, "7d": 0}
    assert service.rankings(window="7d")["items"] == []


def test_hourly_runs_over_two_days_keep_exact_totals(service):
    catalogue(service, "a1", "a2")
    expected = {"a1": 0, "a2": 0}
    viewed_at: list[tuple[str, float]] = []
    reports = []
    for hour in range(50):
        for n in range(hour % 4):
            target = "a1" if n % 2 else "a2"
            service.view(target, visitor=hour * 10 + n, event_id=f"h{hour:03d}-{n:03d}-evt")
            expected[target] += 1
            viewed_at.append((target, service.clock.now))
        service.clock.advance(1800)
        reports.append(service.run_ranking())
        service.clock.advance(1800)
        reports.append(service.run_ranking())
    assert sum(report["bases"].get("24h") == "rolled" for report in reports) > 40  # rolled forward hourly, not rebuilt
    first_hour = WINDOW_SPECS["24h"].first_bucket(service.clock.now)
    expected_24h = {a: sum(1 for t, at in viewed_at if t == a and at >= first_hour) for a in expected}
    assert {a: views_of(service, a)["24h"] for a in expected} == expected_24h
    totals_7d = {a: views_of(service, a)["7d"] for a in expected}
    assert totals_7d == expected


def dump(service, skip_state=False):
    items = boto3.client("dynamodb").scan(TableName=service.table)["Items"]
    return sorted(
        (item["pk"]["S"], item["sk"]["S"], repr(sorted(item.items())))
        for item in items
        if not (skip_state and item["pk"]["S"].startswith("state#"))
    )


def dump_without_state(rows):
    return [row for row in rows if not row[0].startswith("state#")]
