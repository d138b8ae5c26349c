"""GET /v1/assets/{name}: the tracker and widget scripts a site embeds. Touches no table."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from mostread import http
from mostread.assets import HASHED_MAX_AGE, find_asset
from mostread.errors import NotFound


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    name = str((event.get("pathParameters") or {}).get("name", ""))
    found = find_asset(name)
    if found is None:
        return http.error_response(NotFound(f"no asset named {name!r}", "name"))
    asset, max_age = found
    etag = f'"{asset.digest}"'
    cache = f"public, max-age={max_age}" + (", immutable" if max_age == HASHED_MAX_AGE else "")
    headers = {
        "content-type": asset.content_type,
        "cache-control": cache,
        "etag": etag,
        "access-control-allow-origin": "*",
        "x-content-type-options": "nosniff",
    }
    if http.matches_etag(http.request_headers(event).get("if-none-match"), etag):
        return {"statusCode": 304, "headers": headers, "body": "", "isBase64Encoded": False}
    return {"statusCode": 200, "headers": headers, "body": asset.body, "isBase64Encoded": False}
