"""DynamoDB stream consumer: newly recorded views into the per-slot view log."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from mostread.clock import system_clock
from mostread.observability import MetricUnit, logger, metrics
from mostread.services.ingest import ingest_records


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # Any failure raises: Lambda retries (and bisects) the batch; logging is idempotent per view.
    logged = ingest_records(event.get("Records", []), system_clock)
    metrics.add_metric(name="ViewsLogged", unit=MetricUnit.Count, value=logged)
    return {"logged": logged}
