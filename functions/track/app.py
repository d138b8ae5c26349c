"""POST /v1/views: the article page's tracking call. Kept free of the HTTP resolver for cold start."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from mostread import http
from mostread.clock import system_clock
from mostread.config import settings
from mostread.errors import ClientError
from mostread.observability import MetricUnit, logger, metrics
from mostread.services.tracking import Reader, parse_views, record_views
from mostread.visitor import client_ip


@metrics.log_metrics
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    headers = http.request_headers(event)
    try:
        views = parse_views(http.request_body(event), headers.get("content-type"))
    except ClientError as error:
        metrics.add_metric(name="RequestsRejected", unit=MetricUnit.Count, value=1)
        logger.info("request rejected", extra={"code": error.code, "field": error.field})
        return http.error_response(error)
    ip = client_ip(http.source_ip(event), headers, settings().trusted_proxy_hops)
    result = record_views(views, Reader(ip, headers.get("user-agent", ""), headers), system_clock())
    for name, value in result.model_dump().items():
        metrics.add_metric(name=f"Views{name.title()}", unit=MetricUnit.Count, value=value)
    return http.json_response(202, result.model_dump(), {"cache-control": "no-store"})
