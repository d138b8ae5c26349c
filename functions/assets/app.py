"""GET /v1/assets/{name}: the tracker and widget scripts a site embeds; GET /v1/openapi.json: the API's
OpenAPI document. Touches no table."""

from __future__ import annotations

from typing import Any

from mostread import http
from mostread.assets import HASHED_MAX_AGE, find_asset
from mostread.errors import ClientError, NotFound

OPENAPI_ROUTE = "GET /v1/openapi.json"
FALLBACK_ROUTE = "$default"  # API Gateway's route for every request no other route matches
OPENAPI_MAX_AGE = 300


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if event.get("routeKey") == FALLBACK_ROUTE:
        return _no_route(event)
    if event.get("routeKey") == OPENAPI_ROUTE:
        # imported on the first request for it: the scripts' cold start does not pay for building the document
        from mostread.openapi import document_json

        body, etag = document_json()
        return _cacheable(event, http.JSON_TYPE, body, etag, f"public, max-age={OPENAPI_MAX_AGE}")
    name = str((event.get("pathParameters") or {}).get("name", ""))
    found = find_asset(name)
    if found is None:
        return http.error_response(NotFound(f"no asset named {name!r}", "name"))
    asset, max_age = found
    cache = f"public, max-age={max_age}" + (", immutable" if max_age == HASHED_MAX_AGE else "")
    return _cacheable(event, asset.content_type, asset.body, f'"{asset.digest}"', cache)


def _cacheable(event: dict[str, Any], content_type: str, body: str, etag: str, cache: str) -> dict[str, Any]:
    headers = {
        "content-type": content_type,
        "cache-control": cache,
        "etag": etag,
        "access-control-allow-origin": "*",
        "x-content-type-options": "nosniff",
    }
    if http.matches_etag(http.request_headers(event).get("if-none-match"), etag):
        return {"statusCode": 304, "headers": headers, "body": "", "isBase64Encoded": False}
    return {"statusCode": 200, "headers": headers, "body": body, "isBase64Encoded": False}


def _no_route(event: dict[str, Any]) -> dict[str, Any]:
    """The contract's error body where API Gateway would answer 404 {"message": "Not Found"}: 405 with Allow for
    a path the API has (another method), 404 otherwise."""
    from mostread.openapi import allowed_methods

    context = event.get("requestContext", {}).get("http", {})
    method, path = str(context.get("method", "")), str(context.get("path", ""))
    allowed = allowed_methods(path)
    if not allowed:
        return http.error_response(NotFound(f"no route for {method} {path}", None))
    response = http.error_response(
        ClientError("method_not_allowed", f"method not allowed; use {', '.join(allowed)}", None, status=405)
    )
    response["headers"]["allow"] = ", ".join(allowed)
    return response
