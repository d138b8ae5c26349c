"""Catalog writes for the CMS and ops (IAM-authorised in AWS): PUT and DELETE /v1/articles/{article_id}."""

from __future__ import annotations

from typing import Any

from mostread.caches import kept_for_the_container

with kept_for_the_container():
    from mostread import http, parsing
    from mostread.observability import API_GATEWAY_HTTP, logger, metrics
    from mostread.resolver import NO_STORE, Request, Response, Router, no_content
    from mostread.services import catalog

router = Router()


@router.put("/v1/articles/{article_id}")
def put_article(request: Request) -> Response:
    stored = catalog.put_article(request.article_id(), parsing.article(request.body))
    logger.info("article stored", extra={"article_id": stored.article_id})
    return http.json_response(200, stored.model_dump(), NO_STORE)


@router.delete("/v1/articles/{article_id}")
def delete_article(request: Request) -> Response:
    catalog.delete_article(request.article_id())
    return no_content()


@metrics.log_metrics
@logger.inject_lambda_context(correlation_id_path=API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return router.resolve(event)
