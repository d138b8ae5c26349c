"""DynamoDB stream consumer: newly recorded views into the per-slot view log."""

from __future__ import annotations

from typing import Any

from mostread.caches import kept_for_the_container

with kept_for_the_container():
    from mostread.clock import system_clock
    from mostread.dal.client import default_db
    from mostread.observability import MetricUnit, logger, metrics
    from mostread.services.ingest import ingest_records


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    result = ingest_records(default_db(), event.get("Records", []), system_clock)
    metrics.add_metric(name="ViewsLogged", unit=MetricUnit.Count, value=result.logged)
    if result.rejected:
        # a record that is not a view the tracker could have written is never going to log: count it, go on
        metrics.add_metric(name="RecordsRejected", unit=MetricUnit.Count, value=result.rejected)
        logger.error("stream records rejected", extra={"rejected": result.rejected})
    if result.failed_sequence_numbers:
        logger.error("log write failed; Lambda retries from the reported records", exc_info=False)
    # ReportBatchItemFailures: Lambda retries from the earliest failed record (then bisects, then gives up to the
    # failure queue after MaximumRetryAttempts / MaximumRecordAgeInSeconds)
    return {"batchItemFailures": [{"itemIdentifier": number} for number in result.failed_sequence_numbers]}
