"""Editorial controls (IAM-authorised in AWS): exclusions and pins under /v1/editorial, and their listing."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from mostread import http
from mostread.clock import system_clock
from mostread.observability import logger, metrics
from mostread.resolver import NO_STORE, contract_resolver, path_article_id
from mostread.services import editorial

app = contract_resolver()


@app.get("/v1/editorial")
def listing() -> Response[str]:
    return Response(200, http.JSON_TYPE, http.dumps(editorial.listing(system_clock())), NO_STORE)


@app.put("/v1/editorial/exclusions/<article_id>")
def put_exclusion(article_id: str) -> Response[str]:
    stored = editorial.put_exclusion(path_article_id(app, article_id), http.request_body(app.current_event.raw_event))
    logger.info("exclusion stored", extra={"article_id": stored.article_id, "until": stored.until})
    return Response(200, http.JSON_TYPE, http.dumps(editorial.entry_document(stored)), NO_STORE)


@app.delete("/v1/editorial/exclusions/<article_id>")
def delete_exclusion(article_id: str) -> Response[str]:
    checked = path_article_id(app, article_id)
    editorial.delete_exclusion(checked)
    logger.info("exclusion deleted", extra={"article_id": checked})
    return Response(204, None, "", NO_STORE)


@app.put("/v1/editorial/pins/<article_id>")
def put_pin(article_id: str) -> Response[str]:
    stored = editorial.put_pin(path_article_id(app, article_id), http.request_body(app.current_event.raw_event))
    logger.info("pin stored", extra={"article_id": stored.article_id, "position": stored.position})
    return Response(200, http.JSON_TYPE, http.dumps(editorial.entry_document(stored)), NO_STORE)


@app.delete("/v1/editorial/pins/<article_id>")
def delete_pin(article_id: str) -> Response[str]:
    checked = path_article_id(app, article_id)
    editorial.delete_pin(checked)
    logger.info("pin deleted", extra={"article_id": checked})
    return Response(204, None, "", NO_STORE)


@metrics.log_metrics
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
