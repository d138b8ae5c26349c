"""Catalog writes for the CMS and ops (IAM-authorised in AWS): PUT and DELETE /v1/articles/{article_id}."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from mostread import http
from mostread.observability import logger, metrics
from mostread.resolver import NO_STORE, contract_resolver, path_article_id
from mostread.services import catalog

app = contract_resolver()


@app.put("/v1/articles/<article_id>")
def put_article(article_id: str) -> Response[str]:
    stored = catalog.put_article(path_article_id(app, article_id), http.request_body(app.current_event.raw_event))
    logger.info("article stored", extra={"article_id": stored.article_id})
    return Response(200, http.JSON_TYPE, http.dumps(stored.model_dump()), NO_STORE)


@app.delete("/v1/articles/<article_id>")
def delete_article(article_id: str) -> Response[str]:
    catalog.delete_article(path_article_id(app, article_id))
    return Response(204, None, "", NO_STORE)


@metrics.log_metrics
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
