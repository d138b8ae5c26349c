"""Public reads: GET /v1/rankings, GET /v1/articles/{article_id}/views, GET /v1/articles/{article_id}.

The widget's read: what it imports is held to a list (tests/unit/test_cold_start_imports.py)."""

from __future__ import annotations

from typing import Any

from mostread.caches import kept_for_the_container

with kept_for_the_container():
    from mostread import http, parsing
    from mostread.clock import system_clock
    from mostread.config import settings
    from mostread.observability import API_GATEWAY_HTTP, logger, metrics
    from mostread.resolver import Request, Response, Router
    from mostread.services import catalog, reading

router = Router()


@router.get("/v1/rankings")
def rankings(request: Request) -> Response:
    query = parsing.ranking_query(request.query)
    page = reading.ranking_page(query, system_clock())
    if query.format == "csv":
        from mostread import spreadsheet  # editors' exports are rare: the widget's cold start never loads csv

        return _cacheable(request, spreadsheet.list_csv(page), spreadsheet.CSV_TYPE)
    return _cacheable(request, http.dumps(page))


@router.get("/v1/articles/{article_id}/views")
def article_views(request: Request) -> Response:
    return _cacheable(request, http.dumps(reading.article_views(request.article_id())))


@router.get("/v1/articles/{article_id}")
def article(request: Request) -> Response:
    found = catalog.get_article(request.article_id())
    return http.json_response(200, found.model_dump(), {"cache-control": "no-cache"})


def _cacheable(request: Request, body: str, content_type: str = http.JSON_TYPE) -> Response:
    etag = http.etag_of(body)
    headers = {"cache-control": f"public, max-age={settings().cache_max_age}", "etag": etag}
    if http.matches_etag(request.headers.get("if-none-match"), etag):
        return {"statusCode": 304, "headers": headers, "body": "", "isBase64Encoded": False}
    headers["content-type"] = content_type
    return {"statusCode": 200, "headers": headers, "body": body, "isBase64Encoded": False}


@metrics.log_metrics
@logger.inject_lambda_context(correlation_id_path=API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return router.resolve(event)
