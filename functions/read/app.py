"""Public reads: GET /v1/rankings, GET /v1/articles/{article_id}/views, GET /v1/articles/{article_id}."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from mostread import http
from mostread.config import settings
from mostread.models import RankingQuery, validate
from mostread.observability import logger, metrics
from mostread.resolver import contract_resolver, path_article_id
from mostread.services import catalog, reading

app = contract_resolver()


@app.get("/v1/rankings")
def rankings() -> Response[str]:
    query: RankingQuery = validate(RankingQuery, _known_parameters())
    return _cacheable(reading.ranking_page(query))


@app.get("/v1/articles/<article_id>/views")
def article_views(article_id: str) -> Response[str]:
    return _cacheable(reading.article_views(path_article_id(app, article_id)))


@app.get("/v1/articles/<article_id>")
def article(article_id: str) -> Response[str]:
    found = catalog.get_article(path_article_id(app, article_id))
    return Response(200, http.JSON_TYPE, http.dumps(found.model_dump()), {"cache-control": "no-cache"})


def _known_parameters() -> dict[str, str]:
    # unknown parameters (cache busters, tracking tags) are ignored; known ones are validated
    given = app.current_event.query_string_parameters or {}
    return {name: value for name, value in given.items() if name in RankingQuery.model_fields}


def _cacheable(document: dict[str, Any]) -> Response[str]:
    body = http.dumps(document)
    etag = http.etag_of(body)
    headers = {"cache-control": f"public, max-age={settings().cache_max_age}", "etag": etag}
    if http.matches_etag(app.current_event.headers.get("if-none-match"), etag):
        return Response(304, None, "", headers)
    return Response(200, http.JSON_TYPE, body, headers)


@metrics.log_metrics
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
