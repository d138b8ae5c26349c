"""Editorial controls (IAM-authorised in AWS): exclusions and pins under /v1/editorial, and their listing."""

from __future__ import annotations

from typing import Any

from mostread.caches import kept_for_the_container

with kept_for_the_container():
    from mostread import http, parsing
    from mostread.clock import system_clock
    from mostread.observability import API_GATEWAY_HTTP, logger, metrics
    from mostread.resolver import NO_STORE, Request, Response, Router, no_content
    from mostread.services import editorial

router = Router()


@router.get("/v1/editorial")
def listing(request: Request) -> Response:
    return http.json_response(200, editorial.listing(system_clock()), NO_STORE)


@router.put("/v1/editorial/exclusions/{article_id}")
def put_exclusion(request: Request) -> Response:
    stored = editorial.put_exclusion(request.article_id(), parsing.exclusion(request.body))
    logger.info("exclusion stored", extra={"article_id": stored.article_id, "until": stored.until})
    return http.json_response(200, editorial.entry_document(stored), NO_STORE)


@router.delete("/v1/editorial/exclusions/{article_id}")
def delete_exclusion(request: Request) -> Response:
    checked = request.article_id()
    editorial.delete_exclusion(checked)
    logger.info("exclusion deleted", extra={"article_id": checked})
    return no_content()


@router.put("/v1/editorial/pins/{article_id}")
def put_pin(request: Request) -> Response:
    stored = editorial.put_pin(request.article_id(), parsing.pin(request.body))
    logger.info("pin stored", extra={"article_id": stored.article_id, "position": stored.position})
    return http.json_response(200, editorial.entry_document(stored), NO_STORE)


@router.delete("/v1/editorial/pins/{article_id}")
def delete_pin(request: Request) -> Response:
    checked = request.article_id()
    editorial.delete_pin(checked)
    logger.info("pin deleted", extra={"article_id": checked})
    return no_content()


@metrics.log_metrics
@logger.inject_lambda_context(correlation_id_path=API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return router.resolve(event)
