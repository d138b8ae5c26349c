"""The local stack's own routes (``/_local/*``, answered to this machine only): run the schedule now, drain the
stream, describe the stack for the ops commands, arm faults for tests."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from mostread_dev.apigw import HttpRequest, HttpResponse, error_response, json_response
from mostread_dev.dynamodb_server import LOCAL_ACCESS_KEY, LOCAL_REGION, LOCAL_SECRET_KEY
from mostread_dev.functions import LOCAL_ACCOUNT_ID
from mostread_dev.streams import StreamDeliveryError
from mostread_dev.template import LOCAL_PSEUDO_PARAMETERS

if TYPE_CHECKING:
    from mostread_dev.stack import LocalStack

log = logging.getLogger("mostread_dev.stack")
NO_STORE = [("cache-control", "no-store")]
LocalHandler = Callable[[HttpRequest], HttpResponse]


def local_routes(stack: LocalStack) -> dict[tuple[str, str], LocalHandler]:
    return {
        ("POST", "/_local/rank"): lambda _: _rank_now(stack),
        ("POST", "/_local/drain"): lambda _: _drain_now(stack),
        ("GET", "/_local/status"): lambda _: json_response(200, status(stack)),
        ("GET", "/_local/environment"): lambda _: json_response(200, environment(stack)),
        ("POST", "/_local/faults"): lambda request: _set_fault(stack, request),
    }


def _rank_now(stack: LocalStack) -> HttpResponse:
    try:
        return json_response(200, stack.runs.run(), NO_STORE)
    except Exception as error:
        log.exception("ranking run failed")
        return error_response(500, "internal_error", f"the ranking run failed: {error}", None)


def _drain_now(stack: LocalStack) -> HttpResponse:
    """Deliver what the stream holds; a batch the consumer gives up (after the template's retries) goes to its
    failure queue, and the answer says how many records that was."""
    if stack.pump is None:
        return json_response(200, {"delivered": 0, "given_up": 0, "failure_records": 0})
    try:
        drained = stack.pump.drain_report()
    except StreamDeliveryError as error:
        return error_response(500, "internal_error", str(error), None)
    return json_response(200, asdict(drained), NO_STORE)


def _set_fault(stack: LocalStack, request: HttpRequest) -> HttpResponse:
    """``{"function": "IngestFunction", "failures": N}``: its next N invocations fail (0 ends it)."""
    try:
        body = json.loads(request.body or b"{}")
        function_id, failures = body["function"], body["failures"]
    except (ValueError, KeyError, TypeError):
        return error_response(400, "invalid_request", 'expected {"function": ID, "failures": N}', None)
    if function_id not in stack.functions.function_ids:
        return error_response(400, "invalid_request", f"no function {function_id!r}", "function")
    if not isinstance(failures, int) or isinstance(failures, bool) or failures < 0:
        return error_response(400, "invalid_request", "failures must be a whole number >= 0", "failures")
    return json_response(200, {"faults": stack.functions.arm_fault(function_id, failures)}, NO_STORE)


def environment(stack: LocalStack) -> dict[str, Any]:
    """Where the local stack's AWS resources are, for the ops commands (``mostread status``, ``recompute``, ...): the
    same boto3 calls as against a deployed stack, with these endpoints and fake credentials. ``outputs`` mirrors the
    template's Outputs of a deployed stack."""
    server = stack.dynamodb
    queues: dict[str, Any] = {"queues": {}, "endpoint": None, "error": "no queues"}
    if stack.queues is not None:
        stack.queues.wait()  # started in the background after the ready line
        queues = stack.queues.describe()
    failure_queue = next(
        (
            queues["queues"].get(consumer.on_failure.logical_id, {}).get("url")
            for consumer in stack.consumers
            if consumer.on_failure is not None
        ),
        None,
    )
    outputs = {
        "ApiUrl": stack.local_url + "/",
        "PublicApiUrl": stack.local_url + "/",
        "TableName": stack.table_names.get("ViewsTable"),
        "SaltsTableName": stack.table_names.get("SaltsTable"),
        "IngestFailureQueueUrl": failure_queue,
    }
    return {
        "stack_name": LOCAL_PSEUDO_PARAMETERS["AWS::StackName"],
        "account": LOCAL_ACCOUNT_ID,
        "region": LOCAL_REGION,
        "credentials": {"aws_access_key_id": LOCAL_ACCESS_KEY, "aws_secret_access_key": LOCAL_SECRET_KEY},
        "endpoints": {
            "dynamodb": server.endpoint if server else None,
            "dynamodbstreams": server.endpoint if server else None,
            "sqs": queues.get("endpoint"),
        },
        "outputs": {name: value for name, value in outputs.items() if value},
        "tables": dict(stack.table_names),
        "streams": dict(stack.stream_arns),
        "queues": queues,
        "functions": {function_id: function_id for function_id in stack.functions.function_ids},
        "environment": dict(stack.function_environment),
    }


def status(stack: LocalStack) -> dict[str, Any]:
    server = stack.dynamodb
    engine = None
    if server is not None:
        engine = {"engine": server.engine, "endpoint": server.endpoint, "pid": server.pid}
        engine["description"] = server.description
    return {
        "url": stack.url,
        "dynamodb": engine,
        "tables": list(stack.table_names.values()),
        "routes": [route.route_key for route in stack.routes],
        "functions": stack.functions.function_ids,
        "rank_every_seconds": stack.options.rank_every,
        "stream": None if stack.pump is None else {**asdict(stack.pump.stats), "pending": stack.pump.pending},
        "queues": None if stack.queues is None else stack.queues.describe(),
        "last_run": stack.runs.last_run,
        "demo": None if stack.demo is None else stack.demo.tally.as_dict(),
        "startup_seconds": stack.startup_seconds,
    }
