"""Failures the service causes, not the client: answered 503 with Retry-After, counted, and logged by class.

A throttled or unreachable DynamoDB is worth retrying a moment later, so callers are told so; every write the
API makes is idempotent (conditional puts keyed by the event, upserts, deletes), so a retry never counts twice.
Only the error's class and AWS error code are logged: never its message or the event, which may hold the IP.
"""

from __future__ import annotations

import traceback
from typing import Any

from botocore.exceptions import BotoCoreError
from botocore.exceptions import ClientError as BotoClientError

from mostread.observability import MetricUnit, logger, metrics

CODE = "service_unavailable"
MESSAGE = "the service is temporarily unavailable; retry after the number of seconds in Retry-After"
RETRY_AFTER_SECONDS = 2
HEADERS = {"cache-control": "no-store", "retry-after": str(RETRY_AFTER_SECONDS)}
METRIC = "ServiceUnavailable"

# The error codes botocore's standard retry mode treats as throttling or transient (botocore/retries/standard.py),
# and DynamoDB's own server-side ones: what is left of them after botocore's retries is an overloaded dependency.
TRANSIENT_ERROR_CODES = frozenset(
    {
        "BandwidthLimitExceeded",
        "EC2ThrottledException",
        "InternalFailure",
        "InternalServerError",
        "LimitExceededException",
        "PriorRequestNotComplete",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "RequestTimeout",
        "RequestTimeoutException",
        "ServiceUnavailable",
        "SlowDown",
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "TransactionInProgressException",
    }
)


def aws_error_code(error: BaseException) -> str | None:
    if isinstance(error, BotoClientError):
        return str(error.response.get("Error", {}).get("Code", "")) or None
    return None


def is_dependency_failure(error: BaseException) -> bool:
    """A throttled, failing or unreachable AWS dependency (after botocore's own retries), as opposed to a bug."""
    if isinstance(error, BotoCoreError):  # no answer at all: connection refused, timeouts, closed connections
        return True
    if isinstance(error, BotoClientError):
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        return aws_error_code(error) in TRANSIENT_ERROR_CODES or status >= 500
    return False


def body() -> dict[str, Any]:
    """The contract's error body."""
    return {"error": {"code": CODE, "message": MESSAGE, "field": None}}


def report(error: BaseException) -> None:
    """Count a 503 and log what caused it: the class, the AWS error code, and for a bug the line that raised."""
    metrics.add_metric(name=METRIC, unit=MetricUnit.Count, value=1)
    fields: dict[str, Any] = {"error": type(error).__name__, "aws_code": aws_error_code(error)}
    if is_dependency_failure(error):
        logger.warning("dependency failed: answered 503", extra=fields)
        return
    frames = traceback.extract_tb(error.__traceback__)
    if frames:
        fields["where"] = f"{frames[-1].filename}:{frames[-1].lineno}"
    logger.error("unexpected failure: answered 503", extra=fields)
