"""Scheduled ranking run (EventBridge, every minute)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from mostread.caches import kept_for_the_container

with kept_for_the_container():
    from mostread.clock import system_clock
    from mostread.config import settings
    from mostread.dal import salts
    from mostread.dal.client import default_db
    from mostread.observability import MetricUnit, logger, metrics
    from mostread.services.ranking import RunOptions, run_ranking


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    options = RunOptions(remaining_seconds=context.get_remaining_time_in_millis() / 1000, owner=context.aws_request_id)
    now = system_clock()
    report = run_ranking(default_db(), settings(), now, options)
    try:
        # a salt 48 h old is deleted even on a day without traffic (tracking requests delete them otherwise)
        salts.forget_old_salts(now, settings().zone)
    except Exception as error:  # the lists are published: a salts-table failure must not fail the run
        logger.warning("old salts not deleted", extra={"error": type(error).__name__})
    if report.skipped:
        # another run holds the lease (a slow run, or a retry): it publishes, this one must not write over it
        metrics.add_metric(name="RankingSkipped", unit=MetricUnit.Count, value=1)
        logger.warning("ranking run skipped: another run holds the lease")
        return asdict(report)
    metrics.add_metric(name="RankingRuns", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="RankingRunSeconds", unit=MetricUnit.Seconds, value=report.seconds)
    metrics.add_metric(name="ListsWritten", unit=MetricUnit.Count, value=report.lists_written)
    metrics.add_metric(name="ArticlesWithViews", unit=MetricUnit.Count, value=report.articles_with_views)
    metrics.add_metric(name="ViewsCapped", unit=MetricUnit.Count, value=report.views_capped)
    metrics.add_metric(name="LogRowsRead", unit=MetricUnit.Count, value=report.log_rows_read)
    if report.seconds_since_previous_run is not None:
        # an alarm on this catches a ranking that stopped: lists age while the widget keeps serving them
        metrics.add_metric(name="RankingAgeSeconds", unit=MetricUnit.Seconds, value=report.seconds_since_previous_run)
    if report.log_behind or report.seals_deferred:
        logger.warning("ranking run behind the log", extra={"seals_deferred": report.seals_deferred})
    if report.catching_up:
        logger.warning("ranking windows catching up: counted from a later start", extra=report.catching_up)
    for article_id, reason in report.pins_not_shown.items():
        logger.warning("pinned article not shown", extra={"article_id": article_id, "reason": reason})
    logger.info("ranking run", extra=asdict(report))
    return asdict(report)
