"""Through the tracking handler: which address a view is hashed with (only a valid one, from the trusted proxy
only), and the ignored views counted by reason."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from mostread.config import settings
from mostread.timebuckets import day_of
from mostread.visitor import PROXY_SECRET_HEADER, address_hash, visitor_hash

from tests.conftest import TEST_TABLE_NAME, clear_mostread_caches
from tests.emf import emitted_metrics
from tests.harness import CHROME, Service

SOURCE_IP = "203.0.113.10"  # the harness's API Gateway source IP


def recorded_addresses(service: Service) -> list[tuple[str, str]]:
    """(visitor, address) hashes of the recorded views."""
    items = boto3.client("dynamodb").scan(TableName=TEST_TABLE_NAME)["Items"]
    return [(item["v"]["S"], item["ad"]["S"]) for item in items if item["pk"]["S"].startswith("view#")]


def hashes_of(service: Service, ip: str) -> tuple[str, str]:
    day = day_of(service.clock(), settings().zone)
    key = {"pk": {"S": f"salt#{day}"}, "sk": {"S": "-"}}
    salt = boto3.client("dynamodb").get_item(TableName=f"{TEST_TABLE_NAME}-salts", Key=key)["Item"]["salt"]["B"]
    return visitor_hash(salt, ip, CHROME), address_hash(salt, ip)


def post(service: Service, forwarded: str, **headers: str) -> dict[str, Any]:
    response = service.post_views({"article_id": "a1"}, headers={"x-forwarded-for": forwarded, **headers})
    assert response["statusCode"] == 202
    body: dict[str, Any] = json.loads(response["body"])
    return body


@pytest.mark.parametrize(
    "forwarded", ["junk", "198.51.100.7:443", "[2001:db8::7]", "<script>", "198.51.100.7, ", "x" * 5000]
)
def test_a_hostile_hop_is_counted_as_the_source_ip(service: Service, forwarded: str) -> None:
    assert post(service, forwarded)["accepted"] == 1
    assert recorded_addresses(service) == [hashes_of(service, SOURCE_IP)]


def test_one_address_in_any_spelling_is_one_visitor(service: Service) -> None:
    assert post(service, "198.51.100.7")["accepted"] == 1
    for spelling in ("::ffff:198.51.100.7", "0:0:0:0:0:FFFF:C633:6407", " 198.51.100.7"):
        assert post(service, f"10.0.0.1, {spelling}")["duplicate"] == 1, spelling  # the same reader again
    assert post(service, "2001:db8::7")["accepted"] == 1
    assert post(service, "2001:DB8:0:0:0:0:0:7")["duplicate"] == 1
    assert sorted(recorded_addresses(service)) == sorted(
        [hashes_of(service, "198.51.100.7"), hashes_of(service, "2001:db8::7")]
    )


def test_with_a_proxy_secret_only_requests_through_the_proxy_choose_their_address(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRUSTED_PROXY_SECRET", "from-cloudfront-only")
    clear_mostread_caches()
    assert post(service, "198.51.100.8")["accepted"] == 1  # sent to the API directly: the source IP
    assert post(service, "198.51.100.9", **{PROXY_SECRET_HEADER: "guessed"})["duplicate"] == 1  # still the source IP
    assert post(service, "198.51.100.8", **{PROXY_SECRET_HEADER: "from-cloudfront-only"})["accepted"] == 1
    assert sorted(recorded_addresses(service)) == sorted(
        [hashes_of(service, SOURCE_IP), hashes_of(service, "198.51.100.8")]
    )


@pytest.mark.parametrize(
    ("headers", "metric"),
    [
        ({"user-agent": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"}, "IgnoredCrawler"),
        ({"user-agent": CHROME, "sec-purpose": "prefetch;prerender"}, "IgnoredPrefetch"),
        ({"user-agent": ""}, "IgnoredNoUserAgent"),
    ],
)
def test_ignored_views_are_counted_by_reason(
    service: Service, capsys: pytest.CaptureFixture[str], headers: dict[str, str], metric: str
) -> None:
    capsys.readouterr()
    response = service.post_views({"views": [{"article_id": "a1"}, {"article_id": "a2"}]}, headers=headers)
    assert json.loads(response["body"]) == {"accepted": 0, "duplicate": 0, "ignored": 2}
    emitted = emitted_metrics(capsys.readouterr().out)
    assert emitted["ViewsIgnored"] == 2
    assert emitted[metric] == 2
    others = {"IgnoredCrawler", "IgnoredPrefetch", "IgnoredNoUserAgent"} - {metric}
    assert not others & set(emitted)


def test_counted_views_publish_no_ignored_reason(service: Service, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    service.view("a1", event_id="reason-evt-1")
    emitted = emitted_metrics(capsys.readouterr().out)
    assert (emitted["ViewsAccepted"], emitted["ViewsIgnored"]) == (1, 0)
    assert not {name for name in emitted if name.startswith("Ignored")}
