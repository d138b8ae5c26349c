"""POST /v1/views through API Gateway events: what is counted, what is refused, what is stored."""

import json

import boto3
import pytest

from tests.harness import CHROME


def body_of(response):
    return json.loads(response["body"])


def test_single_view_is_accepted(service):
    response = service.view("a1", event_id="evt-00000001")
    assert response["statusCode"] == 202
    assert body_of(response) == {"accepted": 1, "duplicate": 0, "ignored": 0}
    assert response["headers"]["cache-control"] == "no-store"
    assert service.item_count("view#") == 1


def test_text_plain_and_base64_bodies_like_send_beacon(service):
    payload = json.dumps({"article_id": "a1", "event_id": "beacon-0001"})
    response = service.post_views(
        payload, raw=True, headers={"content-type": "text/plain;charset=UTF-8"}, base64_body=True
    )
    assert body_of(response) == {"accepted": 1, "duplicate": 0, "ignored": 0}


def test_batch_counts_each_view(service):
    views = [{"article_id": f"a{n}", "event_id": f"batch-evt-{n:03d}"} for n in range(25)]
    views.append({"article_id": "a1", "event_id": "batch-evt-001"})  # same event id inside the batch
    response = service.post_views({"views": [*views[:24], views[-1]]})
    assert body_of(response) == {"accepted": 24, "duplicate": 1, "ignored": 0}


def test_event_id_retry_from_another_address_is_a_duplicate(service):
    assert body_of(service.view("a1", visitor=1, event_id="retry-evt-1"))["accepted"] == 1
    assert body_of(service.view("a1", visitor=2, event_id="retry-evt-1"))["duplicate"] == 1
    service.clock.advance(3 * 3600)  # even hours later, in another slot and another day's salt
    assert body_of(service.view("a1", visitor=3, event_id="retry-evt-1"))["duplicate"] == 1
    assert service.item_count("view#") == 1


def test_same_visitor_without_event_id_is_a_duplicate_within_the_slot(service):
    assert body_of(service.view("a1", visitor=1))["accepted"] == 1
    service.clock.advance(60)
    assert body_of(service.view("a1", visitor=1))["duplicate"] == 1
    assert body_of(service.view("a1", visitor=2))["accepted"] == 1
    assert body_of(service.view("a2", visitor=1))["accepted"] == 1


@pytest.mark.parametrize(
    "headers",
    [
        {"user-agent": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"},
        {"user-agent": "Mozilla/5.0 (compatible; Yeti/1.1; +http://naver.me/spd)"},
        {"user-agent": "curl/8.5.0"},
        {"user-agent": ""},
        {"user-agent": CHROME, "sec-purpose": "prefetch;prerender"},
        {"user-agent": CHROME, "purpose": "prefetch"},
    ],
)
def test_bots_and_prefetch_are_ignored_and_not_stored(service, headers):
    response = service.post_views({"views": [{"article_id": "a1"}, {"article_id": "a2"}]}, headers=headers)
    assert body_of(response) == {"accepted": 0, "duplicate": 0, "ignored": 2}
    assert service.item_count("view#") == 0


BAD_REQUESTS = [
    # (body, content type, status, code, field)
    ("{not json", "application/json", 400, "invalid_json", None),
    ('{"article_id": 12}', "application/json", 400, "invalid_field", "article_id"),
    ('{"article_id": "a1", "event_id": 5}', "application/json", 400, "invalid_field", "event_id"),
    ('{"views": "a1"}', "application/json", 400, "invalid_field", "views"),
    (
        '{"views": [{"article_id": "ok"}, {"article_id": "no/slash"}]}',
        "application/json",
        400,
        "invalid_field",
        "views[1].article_id",
    ),
    ("[1, 2]", "application/json", 400, "invalid_body", None),
    ('"a1"', "application/json", 400, "invalid_body", None),
    ("{}", "application/json", 400, "missing_field", "article_id"),
    ("", "application/json", 400, "missing_body", None),
    (
        '{"article_id": "a1"}',
        "application/x-www-form-urlencoded",
        415,
        "unsupported_media_type",
        "content-type",
    ),
    ('{"article_id": "a1"}', "", 415, "unsupported_media_type", "content-type"),
    ("[" * 5000 + "]" * 5000, "application/json", 400, "invalid_json", None),
    ('{"article_id": "a1", "ref": "' + "r" * 33 + '"}', "text/plain", 400, "invalid_field", "ref"),
]


@pytest.mark.parametrize(("body", "content_type", "status", "code", "field"), BAD_REQUESTS)
def test_bad_requests_get_the_contract_error_and_record_nothing(service, body, content_type, status, code, field):
    response = service.post_views(body, raw=True, headers={"content-type": content_type})
    assert response["statusCode"] == status
    assert body_of(response) == {
        "error": {"code": code, "message": body_of(response)["error"]["message"], "field": field}
    }
    assert service.item_count("view#") == 0


def test_batch_of_26_and_huge_body(service):
    too_many = {"views": [{"article_id": f"a{n}"} for n in range(26)]}
    response = service.post_views(too_many)
    assert response["statusCode"] == 400
    assert body_of(response)["error"]["field"] == "views"
    huge = json.dumps({"article_id": "a1", "pad": "x" * (1024 * 1024)})
    response = service.post_views(huge, raw=True)
    assert response["statusCode"] == 413
    assert body_of(response)["error"]["code"] == "body_too_large"
    assert service.item_count("view#") == 0


@pytest.mark.parametrize(
    "article_id",
    ["a/b", "..", "a b", 'a"b', "a'b", "a\u0000b", "x" * 129, "기사1", "😀", "<script>", "a;DROP TABLE"],
)
def test_hostile_article_ids(service, article_id):
    response = service.post_views({"article_id": article_id})
    assert response["statusCode"] == 400
    assert body_of(response)["error"]["field"] == "article_id"
    assert service.item_count("view#") == 0


def test_no_raw_ip_is_stored_or_logged(service, capsys):
    service.view("a1", visitor=77, event_id="privacy-evt-1")
    service.run_ranking()
    everything = json.dumps(boto3.client("dynamodb").scan(TableName=service.table)["Items"], default=str)
    logs = capsys.readouterr()
    for place in (everything, logs.out, logs.err):
        assert "198.51.100.77" not in place
        assert "203.0.113.10" not in place
