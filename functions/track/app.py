"""POST /v1/views: the article page's tracking call, the most frequent cold start of all: what it imports is held to
a list (tests/unit/test_cold_start_imports.py)."""

from __future__ import annotations

from typing import Any

from mostread.caches import kept_for_the_container

with kept_for_the_container():
    from mostread import failures, http, parsing
    from mostread.clock import system_clock
    from mostread.config import settings
    from mostread.errors import ClientError
    from mostread.observability import API_GATEWAY_HTTP, MetricUnit, logger, metrics
    from mostread.services.tracking import Reader, track_views
    from mostread.visitor import client_ip


@metrics.log_metrics
@logger.inject_lambda_context(correlation_id_path=API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        return _track(event)
    except Exception as error:
        # Whatever failed, the page may send the same views again: each is a conditional put keyed by its event,
        # so a retry after a partial failure counts nothing twice.
        failures.report(error)
        return http.json_response(503, failures.body(), failures.HEADERS)


def _track(event: dict[str, Any]) -> dict[str, Any]:
    headers = http.request_headers(event)
    try:
        views = parsing.views(http.request_body(event), headers.get("content-type"))
    except ClientError as error:
        metrics.add_metric(name="RequestsRejected", unit=MetricUnit.Count, value=1)
        logger.info("request rejected", extra={"code": error.code, "field": error.field})
        return http.error_response(error)
    config = settings()
    ip = client_ip(http.source_ip(event), headers, config.trusted_proxy_hops, config.trusted_proxy_secret)
    tracked = track_views(views, Reader(ip, headers.get("user-agent", ""), headers), system_clock())
    metrics.add_counts(tracked.metrics())
    return http.json_text_response(202, tracked.answer_json(), {"cache-control": "no-store"})
