"""API Gateway HTTP API, payload format 2.0: an HTTP request becomes the event a handler receives, and the
handler's result becomes the HTTP response. Pure functions, no sockets, so they are unit tested as is.

What API Gateway does and this module copies: header names lower-cased and repeated headers joined with
commas, cookies moved to their own list, query parameters decoded with repeats joined by commas, path
parameters decoded, bodies base64-encoded unless they are text, and the two response formats (a
structured ``{"statusCode", ...}`` object, or any other JSON value sent as a 200 body).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

JSON_CONTENT_TYPE = "application/json; charset=utf-8"
LOCAL_ACCOUNT_ID = "123456789012"
LOCAL_API_ID = "local"
STAGE = "$default"

# strftime's %b follows the locale; API Gateway always writes English month names.
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class HttpRequest:
    """A request as it arrived on the socket."""

    method: str
    target: str
    """The request target: raw path plus ``?query`` when there is one."""
    headers: tuple[tuple[str, str], ...] = ()
    """Every header line in arrival order, names as sent."""
    body: bytes = b""
    source_ip: str = "127.0.0.1"
    protocol: str = "HTTP/1.1"

    @property
    def raw_path(self) -> str:
        return urlsplit(self.target).path or "/"

    @property
    def raw_query(self) -> str:
        return urlsplit(self.target).query

    def header(self, name: str) -> str | None:
        """One header, repeats comma-joined, or None."""
        return joined_headers(self.headers).get(name.lower())


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key.lower() == name.lower()), None)


class InvalidLambdaResponse(ValueError):
    """The handler returned something API Gateway would answer with a 500."""


# --- request -> event --------------------------------------------------------------------------------


def joined_headers(headers: tuple[tuple[str, str], ...] | list[tuple[str, str]]) -> dict[str, str]:
    """Lower-case names, repeated headers joined with commas, as API Gateway hands them over."""
    joined: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        joined[key] = f"{joined[key]},{value}" if key in joined else value
    return joined


def query_parameters(raw_query: str) -> dict[str, str]:
    """Decoded query parameters; a repeated parameter's values joined with commas."""
    parameters: dict[str, str] = {}
    for name, value in parse_qsl(raw_query, keep_blank_values=True):
        parameters[name] = f"{parameters[name]},{value}" if name in parameters else value
    return parameters


def cookies_of(headers: tuple[tuple[str, str], ...] | list[tuple[str, str]]) -> list[str]:
    """Every cookie of every Cookie header line, in order (a line separates its cookies with "; ")."""
    lines = [value for name, value in headers if name.lower() == "cookie"]
    return [cookie.strip() for line in lines for cookie in line.split(";") if cookie.strip()]


def is_textual(content_type: str | None) -> bool:
    """Bodies API Gateway passes as text; everything else arrives base64-encoded."""
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    return media_type.startswith("text/") or media_type == "application/json" or media_type.endswith("+json")


def encode_body(body: bytes, content_type: str | None) -> tuple[str | None, bool]:
    """The event's ``body`` and ``isBase64Encoded``. Text that is not valid UTF-8 goes as base64, so the
    handler sees the bytes that were sent and can reject them itself."""
    if not body:
        return None, False
    if is_textual(content_type):
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(body).decode("ascii"), True


def request_time(epoch_seconds: float) -> str:
    """``27/Nov/2026:09:20:00 +0000``, API Gateway's requestContext.time."""
    moment = datetime.fromtimestamp(epoch_seconds, tz=UTC)
    return f"{moment.day:02d}/{_MONTHS[moment.month - 1]}/{moment.year}:{moment:%H:%M:%S} +0000"


def build_event(
    request: HttpRequest,
    route_key: str,
    raw_path_parameters: Mapping[str, str],
    *,
    request_id: str,
    now: float,
    domain_name: str = "localhost",
) -> dict[str, Any]:
    """The payload-2.0 event for ``request``, matched to the route ``route_key`` (``GET /v1/x/{id}``)."""
    all_headers = joined_headers(request.headers)
    cookies = cookies_of(request.headers)
    headers = {name: value for name, value in all_headers.items() if name != "cookie"}
    body, is_base64 = encode_body(request.body, headers.get("content-type"))
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": request.raw_path,
        "rawQueryString": request.raw_query,
        "headers": headers,
        "requestContext": {
            "accountId": LOCAL_ACCOUNT_ID,
            "apiId": LOCAL_API_ID,
            "domainName": domain_name,
            "domainPrefix": domain_name.split(".", 1)[0],
            "http": {
                "method": request.method.upper(),
                "path": request.raw_path,
                "protocol": request.protocol,
                "sourceIp": request.source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": request_id,
            "routeKey": route_key,
            "stage": STAGE,
            "time": request_time(now),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": is_base64,
    }
    # API Gateway leaves these keys out, rather than sending empty values, when there is nothing to send.
    if cookies:
        event["cookies"] = cookies
    query = query_parameters(request.raw_query)
    if query:
        event["queryStringParameters"] = query
    if raw_path_parameters:
        event["pathParameters"] = {name: unquote(value) for name, value in raw_path_parameters.items()}
    if body is not None:
        event["body"] = body
    return event


# --- handler result -> response ----------------------------------------------------------------------


def response_from_result(result: Any) -> HttpResponse:
    """The HTTP response API Gateway makes of a handler's return value (payload format 2.0)."""
    if not (isinstance(result, Mapping) and "statusCode" in result):
        # Format inference: any other JSON value is the body of a 200.
        try:
            text = json.dumps(result, ensure_ascii=False)
        except (TypeError, ValueError) as error:
            raise InvalidLambdaResponse(f"the handler returned a value that is not JSON: {error}") from error
        return HttpResponse(200, [("content-type", "application/json")], text.encode("utf-8"))
    status = result["statusCode"]
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise InvalidLambdaResponse(f"statusCode must be an HTTP status, got {status!r}")
    return HttpResponse(status, _response_headers(result), _response_body(result))


def _response_headers(result: Mapping[str, Any]) -> list[tuple[str, str]]:
    headers = [(str(name), _header_text(value)) for name, value in (result.get("headers") or {}).items()]
    for name, values in (result.get("multiValueHeaders") or {}).items():
        already = {key.lower() for key, _ in headers}
        if str(name).lower() in already:
            continue  # API Gateway lets the single-value header win
        headers.extend((str(name), _header_text(value)) for value in values)
    headers.extend(("set-cookie", str(cookie)) for cookie in result.get("cookies") or [])
    return headers


def _header_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _response_body(result: Mapping[str, Any]) -> bytes:
    body = result.get("body")
    if body is None:
        return b""
    if not isinstance(body, str):
        raise InvalidLambdaResponse(f"body must be a string, got {type(body).__name__}")
    if result.get("isBase64Encoded"):
        try:
            return base64.b64decode(body, validate=True)
        except binascii.Error as error:
            raise InvalidLambdaResponse(f"isBase64Encoded is true but the body is not base64: {error}") from error
    return body.encode("utf-8")


# --- the contract's error responses ------------------------------------------------------------------


def error_response(
    status: int, code: str, message: str, field: str | None = None, headers: list[tuple[str, str]] | None = None
) -> HttpResponse:
    """``{"error": {"code", "message", "field"}}`` — the body every error of the contract has."""
    document = {"error": {"code": code, "message": message, "field": field}}
    return HttpResponse(
        status,
        [("content-type", JSON_CONTENT_TYPE), ("cache-control", "no-store"), *(headers or [])],
        json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8"),
    )


def json_response(status: int, document: Any, headers: list[tuple[str, str]] | None = None) -> HttpResponse:
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return HttpResponse(status, [("content-type", JSON_CONTENT_TYPE), *(headers or [])], body)
