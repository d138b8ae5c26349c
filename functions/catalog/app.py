"""Catalog writes for the CMS and ops (IAM-authorised in AWS): PUT and DELETE /v1/articles/{article_id}."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from mostread import http
from mostread.errors import ClientError, NotFound
from mostread.observability import logger, metrics
from mostread.services import catalog

app = APIGatewayHttpResolver()


@app.put("/v1/articles/<article_id>")
def put_article(article_id: str) -> Response[str]:
    stored = catalog.put_article(_path_id(article_id), http.request_body(app.current_event.raw_event))
    logger.info("article stored", extra={"article_id": stored.article_id})
    return Response(200, http.JSON_TYPE, http.dumps(stored.model_dump()), {"cache-control": "no-store"})


@app.delete("/v1/articles/<article_id>")
def delete_article(article_id: str) -> Response[str]:
    catalog.delete_article(_path_id(article_id))
    return Response(204, None, "", {"cache-control": "no-store"})


@app.exception_handler(ClientError)
def client_error(error: ClientError) -> Response[str]:
    return Response(error.status, http.JSON_TYPE, http.dumps(error.body()), {"cache-control": "no-store"})


@app.not_found
def not_found(_: Exception) -> Response[str]:
    return client_error(NotFound("no such route", None))


def _path_id(matched: str) -> str:
    raw = (app.current_event.path_parameters or {}).get("article_id", matched)
    return catalog.checked_article_id(str(raw))


@metrics.log_metrics
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
