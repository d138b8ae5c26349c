"""HTTP in and out for API Gateway HTTP API (payload v2) events: bodies, headers, JSON responses, ETags."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from mostread.errors import ClientError

JSON_TYPE = "application/json; charset=utf-8"
# one encoder for the container: json.dumps with options builds a new one on every call
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def request_body(event: dict[str, Any]) -> bytes | None:
    body = event.get("body")
    if body is None:
        return None
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(body, validate=True)
        except ValueError:
            raise ClientError("invalid_body", "body is not valid base64", None) from None
    return str(body).encode("utf-8", "surrogatepass")


def request_headers(event: dict[str, Any]) -> dict[str, str]:
    """The request's headers, names lower-cased and values as text."""
    headers = event.get("headers") or {}
    try:
        # API Gateway (payload v2) sends the names lower-cased already and every value as text: then a copy is the
        # answer, checked by two calls in C instead of a Python step per header. join raises TypeError for a name
        # or value that is not text; a name that lower() would change makes the joined names differ from their
        # lower-case form (per character, as no character that lower() leaves alone changes with its neighbours).
        names = "".join(headers)
        "".join(headers.values())
        if names.lower() == names:
            return dict(headers)
    except TypeError:  # a name or value that is not text (a hand-made event)
        pass
    return {str(name).lower(): str(value) for name, value in headers.items()}


def source_ip(event: dict[str, Any]) -> str:
    return str(event.get("requestContext", {}).get("http", {}).get("sourceIp", ""))


def dumps(document: Any) -> str:
    """JSON as UTF-8 text: Korean stays Korean, not \\uXXXX."""
    return _ENCODER.encode(document)


def json_response(status: int, document: Any, headers: dict[str, str] | None = None) -> dict[str, Any]:
    return json_text_response(status, dumps(document), headers)


def json_text_response(status: int, body: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """A response whose body is JSON text already (``dumps`` of the document)."""
    return {
        "statusCode": status,
        "headers": {"content-type": JSON_TYPE, **(headers or {})},
        "body": body,
        "isBase64Encoded": False,
    }


def error_response(error: ClientError) -> dict[str, Any]:
    return json_response(error.status, error.body(), {"cache-control": "no-store"})


def etag_of(body: str) -> str:
    return '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'


def matches_etag(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    candidates = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in candidates or etag in candidates


def json_document(body: bytes | None, max_bytes: int) -> Any:
    """Decode a request body as JSON, or raise the contract's 4xx: 413, missing, not UTF-8, not JSON."""
    if body is not None and len(body) > max_bytes:
        raise ClientError("body_too_large", f"body exceeds {max_bytes} bytes", None, status=413)
    if not body or not body.strip():
        raise ClientError("missing_body", "a JSON body is required", None)
    try:
        return json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise ClientError("invalid_encoding", "body must be UTF-8", None) from None
    except (ValueError, RecursionError):
        raise ClientError("invalid_json", "body is not valid JSON", None) from None


def json_object(body: bytes | None, max_bytes: int) -> dict[str, Any]:
    """A request body that must be a JSON object (a catalog entry, an editorial control)."""
    document = json_document(body, max_bytes)
    if not isinstance(document, dict):
        raise ClientError("invalid_body", "body must be a JSON object", None)
    return document
