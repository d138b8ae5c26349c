"""The local stack's API Gateway emulation: HTTP request -> payload-2.0 event -> HTTP response."""

from __future__ import annotations

import base64
import json

import pytest
from mostread_dev.apigw import (
    HttpRequest,
    InvalidLambdaResponse,
    build_event,
    encode_body,
    error_response,
    is_textual,
    query_parameters,
    request_time,
    response_from_result,
)

NOW = 1_795_771_200.25  # 2026-11-27T09:20:00.250Z


def event_for(request: HttpRequest, route_key: str = "GET /v1/rankings", parameters: dict[str, str] | None = None):
    return build_event(request, route_key, parameters or {}, request_id="req-1", now=NOW, domain_name="127.0.0.1:3000")


def test_event_has_the_payload_v2_shape() -> None:
    request = HttpRequest(
        "GET", "/v1/rankings?window=1h&limit=5", (("User-Agent", "Chrome"), ("Accept", "*/*")), source_ip="192.0.2.7"
    )
    event = event_for(request)
    assert event["version"] == "2.0"
    assert event["routeKey"] == "GET /v1/rankings"
    assert event["rawPath"] == "/v1/rankings"
    assert event["rawQueryString"] == "window=1h&limit=5"
    assert event["queryStringParameters"] == {"window": "1h", "limit": "5"}
    assert event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["http"] == {
        "method": "GET",
        "path": "/v1/rankings",
        "protocol": "HTTP/1.1",
        "sourceIp": "192.0.2.7",
        "userAgent": "Chrome",
    }
    assert context["requestId"] == "req-1"
    assert context["routeKey"] == "GET /v1/rankings"
    assert context["stage"] == "$default"
    assert context["domainName"] == "127.0.0.1:3000"
    assert context["timeEpoch"] == 1_795_771_200_250
    assert context["time"] == "27/Nov/2026:09:20:00 +0000"


def test_absent_parts_are_left_out_as_api_gateway_does() -> None:
    event = event_for(HttpRequest("GET", "/v1/rankings"))
    for key in ("body", "cookies", "queryStringParameters", "pathParameters"):
        assert key not in event
    assert event["rawQueryString"] == ""


def test_headers_are_lower_cased_and_repeats_comma_joined() -> None:
    request = HttpRequest(
        "GET",
        "/",
        (("X-Forwarded-For", "198.51.100.1"), ("x-forwarded-for", "203.0.113.9"), ("Content-Type", "text/plain")),
    )
    headers = event_for(request)["headers"]
    assert headers["x-forwarded-for"] == "198.51.100.1,203.0.113.9"
    assert headers["content-type"] == "text/plain"


def test_cookies_move_to_their_own_list() -> None:
    request = HttpRequest("GET", "/", (("Cookie", "a=1; b=2"), ("Cookie", "c=3")))
    event = event_for(request)
    assert event["cookies"] == ["a=1", "b=2", "c=3"]
    assert "cookie" not in event["headers"]


def test_query_parameters_are_decoded_and_repeats_comma_joined() -> None:
    assert query_parameters("section=%EC%A0%95%EC%B9%98&x=1&x=2&empty=") == {"section": "정치", "x": "1,2", "empty": ""}
    event = event_for(HttpRequest("GET", "/v1/rankings?x=1&x=2"))
    assert event["rawQueryString"] == "x=1&x=2"
    assert event["queryStringParameters"] == {"x": "1,2"}


def test_path_parameters_are_decoded_and_raw_path_is_not() -> None:
    request = HttpRequest("GET", "/v1/articles/a%3Ab/views")
    event = event_for(request, "GET /v1/articles/{article_id}/views", {"article_id": "a%3Ab"})
    assert event["pathParameters"] == {"article_id": "a:b"}
    assert event["rawPath"] == "/v1/articles/a%3Ab/views"


@pytest.mark.parametrize(
    ("content_type", "textual"),
    [
        ("application/json", True),
        ("application/json; charset=utf-8", True),
        ("text/plain;charset=UTF-8", True),
        ("application/problem+json", True),
        ("application/octet-stream", False),
        ("image/png", False),
        (None, False),
    ],
)
def test_which_bodies_are_text(content_type: str | None, textual: bool) -> None:
    assert is_textual(content_type) is textual


def test_text_body_passes_as_utf8_text() -> None:
    body = json.dumps({"article_id": "a1", "title": "한국 🇰🇷"}, ensure_ascii=False).encode()
    event = event_for(HttpRequest("POST", "/v1/views", (("Content-Type", "application/json"),), body), "POST /v1/views")
    assert event["isBase64Encoded"] is False
    assert event["body"].encode() == body


def test_binary_and_undecodable_bodies_go_as_base64() -> None:
    assert encode_body(b"\x00\xff", "application/octet-stream") == (base64.b64encode(b"\x00\xff").decode(), True)
    # Text that is not UTF-8: the handler gets the bytes as sent and refuses them itself.
    assert encode_body(b"\xff\xfe", "text/plain") == (base64.b64encode(b"\xff\xfe").decode(), True)
    assert encode_body(b"", "application/json") == (None, False)


def test_request_time_uses_english_months() -> None:
    assert request_time(0) == "01/Jan/1970:00:00:00 +0000"


# --- responses -------------------------------------------------------------------------------------------


def test_structured_response() -> None:
    response = response_from_result(
        {
            "statusCode": 202,
            "headers": {"content-type": "application/json", "x-count": 3},
            "multiValueHeaders": {"x-many": ["a", "b"], "content-type": ["ignored"]},
            "cookies": ["a=1; Path=/", "b=2"],
            "body": '{"accepted":1}',
            "isBase64Encoded": False,
        }
    )
    assert response.status == 202
    assert response.body == b'{"accepted":1}'
    assert ("x-count", "3") in response.headers
    assert [v for k, v in response.headers if k == "x-many"] == ["a", "b"]
    assert [v for k, v in response.headers if k == "content-type"] == ["application/json"]
    assert [v for k, v in response.headers if k == "set-cookie"] == ["a=1; Path=/", "b=2"]


def test_base64_response_body_is_decoded() -> None:
    response = response_from_result(
        {"statusCode": 200, "body": base64.b64encode(b"\x89PNG").decode(), "isBase64Encoded": True}
    )
    assert response.body == b"\x89PNG"


def test_empty_response_body() -> None:
    assert response_from_result({"statusCode": 204}).body == b""


def test_any_other_value_is_a_200_json_body() -> None:
    response = response_from_result({"hello": "세계"})
    assert response.status == 200
    assert response.header("content-type") == "application/json"
    assert json.loads(response.body) == {"hello": "세계"}


@pytest.mark.parametrize(
    "result",
    [
        {"statusCode": "200"},
        {"statusCode": 99},
        {"statusCode": True},
        {"statusCode": 200, "body": 5},
        {"statusCode": 200, "body": "not base64!", "isBase64Encoded": True},
    ],
)
def test_responses_api_gateway_refuses(result: dict[str, object]) -> None:
    with pytest.raises(InvalidLambdaResponse):
        response_from_result(result)


def test_error_response_has_the_contract_body() -> None:
    response = error_response(404, "not_found", "no route for GET /x")
    assert response.status == 404
    assert json.loads(response.body) == {
        "error": {"code": "not_found", "message": "no route for GET /x", "field": None}
    }
    assert response.header("content-type") == "application/json; charset=utf-8"
