"""Scheduled ranking run (EventBridge, every minute)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from mostread.clock import system_clock
from mostread.observability import MetricUnit, logger, metrics
from mostread.services.ranking_run import run_ranking


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    report = run_ranking(system_clock())
    metrics.add_metric(name="RankingRunSeconds", unit=MetricUnit.Seconds, value=report.seconds)
    metrics.add_metric(name="ListsWritten", unit=MetricUnit.Count, value=report.lists_written)
    metrics.add_metric(name="ArticlesWithViews", unit=MetricUnit.Count, value=report.articles_with_views)
    if report.seconds_since_previous_run is not None:
        # an alarm on this catches a ranking that stopped: lists age while the widget keeps serving them
        metrics.add_metric(name="RankingAgeSeconds", unit=MetricUnit.Seconds, value=report.seconds_since_previous_run)
    for article_id, reason in report.pins_not_shown.items():
        logger.warning("pinned article not shown", extra={"article_id": article_id, "reason": reason})
    logger.info("ranking run", extra=asdict(report))
    return asdict(report)
