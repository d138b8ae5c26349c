"""Failing DynamoDB on purpose: a call of a chosen operation (and table) raises before anything is sent.

The hook sits on the one client every access pattern uses (``mostread.dal.client.dynamodb()``), at botocore's
``before-parameter-build`` event, so the failure happens inside the real call path, and botocore's retries (which
would sleep) never see it. Deterministic: the n-th matching call fails, counted under a lock across the tracker's
put threads.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError as BotoClientError
from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError
from mostread.dal.client import dynamodb

ENDPOINT = "https://dynamodb.eu-west-1.amazonaws.com"
_ids = itertools.count()


def aws_error(code: str, status: int, operation: str = "PutItem") -> BotoClientError:
    return BotoClientError(
        {"Error": {"Code": code, "Message": f"{code} (injected)"}, "ResponseMetadata": {"HTTPStatusCode": status}},
        operation,
    )


# What the service may meet after botocore's retries: throttling, DynamoDB's own failures, no answer at all.
DEPENDENCY_FAILURES: dict[str, Callable[[], Exception]] = {
    "ProvisionedThroughputExceededException": lambda: aws_error("ProvisionedThroughputExceededException", 400),
    "ThrottlingException": lambda: aws_error("ThrottlingException", 400),
    "RequestLimitExceeded": lambda: aws_error("RequestLimitExceeded", 400),
    "InternalServerError": lambda: aws_error("InternalServerError", 500),
    "ServiceUnavailable": lambda: aws_error("ServiceUnavailable", 503),
    "EndpointConnectionError": lambda: EndpointConnectionError(endpoint_url=ENDPOINT),
    "ConnectTimeoutError": lambda: ConnectTimeoutError(endpoint_url=ENDPOINT),
    "ReadTimeoutError": lambda: ReadTimeoutError(endpoint_url=ENDPOINT),
}


def tables_of(params: dict[str, Any]) -> set[str]:
    if "RequestItems" in params:
        return set(params["RequestItems"])
    return {str(params.get("TableName", ""))}


@dataclass
class Fault:
    operation: str
    error: Callable[[], Exception]
    table: str | None = None
    after: int = 0
    """This many matching calls succeed before the failures start."""
    calls: int = 0
    failed: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, params: dict[str, Any], **_: Any) -> None:
        if self.table is not None and self.table not in tables_of(params):
            return
        with self._lock:
            self.calls += 1
            if self.calls <= self.after:
                return
            self.failed += 1
        raise self.error()


@contextmanager
def failing(
    operation: str, error: Callable[[], Exception], *, table: str | None = None, after: int = 0
) -> Iterator[Fault]:
    """Within the block, calls of ``operation`` ("*": every operation) on ``table`` (if given) raise ``error()``,
    from call ``after + 1`` on."""
    fault = Fault(operation, error, table, after)
    event = "before-parameter-build.dynamodb" + ("" if operation == "*" else f".{operation}")
    unique_id = f"mostread-fault-{next(_ids)}"
    events = dynamodb().meta.events
    events.register(event, fault, unique_id=unique_id)
    try:
        yield fault
    finally:
        events.unregister(event, unique_id=unique_id)


@contextmanager
def recording() -> Iterator[list[tuple[str, frozenset[str]]]]:
    """The (operation, tables) of every DynamoDB call made within the block."""
    calls: list[tuple[str, frozenset[str]]] = []

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        calls.append((model.name, frozenset(tables_of(params))))

    unique_id = f"mostread-recorder-{next(_ids)}"
    events = dynamodb().meta.events
    events.register("before-parameter-build.dynamodb", record, unique_id=unique_id)
    try:
        yield calls
    finally:
        events.unregister("before-parameter-build.dynamodb", unique_id=unique_id)
