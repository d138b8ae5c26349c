"""Structured JSON logs with a correlation id, and CloudWatch EMF metrics: created once per container.

The same output as Powertools Logger and Metrics (the same keys, the same environment variables:
``POWERTOOLS_SERVICE_NAME``, ``POWERTOOLS_METRICS_NAMESPACE``, ``POWERTOOLS_LOG_LEVEL``), so the alarms and the
dashboard in template.yaml read the same metrics, in a few lines of the standard library: importing Powertools
costs every cold start about a tenth of boto3's own (BENCHMARKS.md, section 1).

No raw IP reaches a log line: handlers log codes, counts and fields, never the event.
Tracing (X-Ray) is left out: Powertools Tracer adds ~310 ms to a cold start (BENCHMARKS.md).
"""

from __future__ import annotations

import functools
import json
import logging
import os
import sys
import time
from collections.abc import Callable
from typing import Any, TypeVar

from mostread.caches import remembered

Handler = TypeVar("Handler", bound=Callable[..., Any])

SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME") or "mostread"
NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "mostread"
# where a correlation id is in an event (as Powertools' correlation_paths names them)
API_GATEWAY_HTTP = "requestContext.requestId"
MAX_METRICS_PER_LINE = 100  # CloudWatch's limit per EMF document


class MetricUnit:
    """The CloudWatch units the functions publish."""

    Count = "Count"
    Seconds = "Seconds"
    Milliseconds = "Milliseconds"
    Bytes = "Bytes"


# every attribute a LogRecord has of its own: what is left of a record's __dict__ are the caller's ``extra`` fields
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class _JsonFormatter(logging.Formatter):
    """One JSON object per record: level, location, message, timestamp, service, the invocation's keys, extras."""

    def __init__(self, keys: Callable[[], dict[str, Any]]) -> None:
        super().__init__()
        self.keys = keys

    def format(self, record: logging.LogRecord) -> str:
        created = time.gmtime(record.created)
        document: dict[str, Any] = {
            "level": record.levelname,
            "location": f"{record.funcName}:{record.lineno}",
            "message": record.getMessage(),
            "timestamp": time.strftime("%Y-%m-%d %H:%M:%S,", created) + f"{int(record.msecs):03d}+0000",
            "service": SERVICE,
            **self.keys(),
        }
        for name, value in vars(record).items():
            if name not in _RECORD_ATTRIBUTES:
                document[name] = value
        if record.exc_info and record.exc_info[0] is not None:
            document["exception"] = self.formatException(record.exc_info)
            document["exception_name"] = record.exc_info[0].__name__
        trace = os.environ.get("_X_AMZN_TRACE_ID")
        if trace:
            document["xray_trace_id"] = trace.split(";")[0].removeprefix("Root=")
        return json.dumps(document, ensure_ascii=False, default=str, separators=(",", ":"))


class _NotTwice(logging.Filter):
    """On the root logger's handlers (the Lambda runtime's): drop records a service logger already wrote."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.name != SERVICE and not record.name.startswith(SERVICE + ".")


class Logger:
    """A standard library logger named after the service, writing JSON lines to stdout.

    Records still propagate to the root logger (so test fixtures capture them), whose handlers present now are
    told to skip them, as Powertools does: in Lambda, the runtime's handler would print each line again.
    """

    def __init__(self) -> None:
        self.keys: dict[str, Any] = {}
        self.cold_start = True
        self._invocation: tuple[Any, Any, list[str] | None, bool] | None = None
        self._logger = logging.getLogger(SERVICE)
        level = os.environ.get("POWERTOOLS_LOG_LEVEL") or os.environ.get("LOG_LEVEL") or "INFO"
        self._logger.setLevel(level.upper())
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(_JsonFormatter(self._current_keys))
        self._logger.handlers = [handler]
        for root_handler in logging.getLogger().handlers:
            if type(root_handler).__module__ != "_pytest.logging":
                root_handler.addFilter(_NotTwice())
        self.debug = self._logger.debug
        self.info = self._logger.info
        self.warning = self._logger.warning
        self.error = self._logger.error
        self.exception = self._logger.exception

    @property
    def handlers(self) -> list[logging.Handler]:
        return self._logger.handlers

    def inject_lambda_context(self, handler: Handler | None = None, *, correlation_id_path: str | None = None) -> Any:
        """Decorator: every line the invocation logs carries the Lambda context and, when ``correlation_id_path``
        names one in the event, its correlation id. ``@logger.inject_lambda_context`` or with the keyword."""
        if handler is None:
            return functools.partial(self.inject_lambda_context, correlation_id_path=correlation_id_path)
        path = correlation_id_path.split(".") if correlation_id_path else None

        @functools.wraps(handler)
        def invoke(event: Any, context: Any, *args: Any, **kwargs: Any) -> Any:
            # the keys are worked out when the invocation first logs: most tracking calls log nothing
            self._invocation = (event, context, path, self.cold_start)
            self.cold_start = False
            return handler(event, context, *args, **kwargs)

        return invoke

    def _current_keys(self) -> dict[str, Any]:
        """The invocation's keys, worked out from its event and context on its first log line."""
        invocation, self._invocation = self._invocation, None
        if invocation is not None:
            event, context, path, cold_start = invocation
            self.keys.clear()
            self.keys.update(
                cold_start=cold_start,
                function_name=getattr(context, "function_name", None),
                function_memory_size=getattr(context, "memory_limit_in_mb", None),
                function_arn=getattr(context, "invoked_function_arn", None),
                function_request_id=getattr(context, "aws_request_id", None),
            )
            if path:
                self.keys["correlation_id"] = _find(event, path)
        return self.keys


def _find(document: Any, path: list[str]) -> Any:
    for name in path:
        if not isinstance(document, dict):
            return None
        document = document.get(name)
    return document


class Metrics:
    """CloudWatch embedded metric format: the metrics an invocation adds, printed as one JSON line when it ends
    (``@metrics.log_metrics``), under the namespace and the ``service`` dimension."""

    def __init__(self) -> None:
        # name -> (unit, values): each value as the JSON number it is printed as, written when it is added
        self._metrics: dict[str, tuple[str, list[str]]] = {}

    def add_metric(self, name: str, unit: str, value: float) -> None:
        self._add(name, unit, _number(float(value)))

    def add_counts(self, counts: dict[str, int]) -> None:
        """``add_metric(name, Count, value)`` for each; the tracker's three counts on every request."""
        for name, value in counts.items():
            self._add(name, MetricUnit.Count, _COUNTS[value] if 0 <= value < len(_COUNTS) else _number(float(value)))

    def _add(self, name: str, unit: str, number: str) -> None:
        added = self._metrics.get(name)
        if added is None:
            added = self._metrics[name] = (unit, [])
        added[1].append(number)

    def flush_metrics(self) -> None:
        """Print what was added since the last flush, if anything (a request may rightly publish nothing). Nothing is
        printed where ``POWERTOOLS_METRICS_DISABLED`` is true, as Powertools does (the local stack sets it)."""
        added = self._metrics
        if not added:
            return
        if not _disabled():
            timestamp = int(time.time() * 1000)
            metrics = tuple([(name, unit, tuple(values)) for name, (unit, values) in added.items()])
            for start in range(0, len(metrics), MAX_METRICS_PER_LINE):
                head, body = _emf_line(metrics[start : start + MAX_METRICS_PER_LINE])
                print(f"{head}{timestamp}{body}")
        added.clear()

    def log_metrics(self, handler: Handler) -> Handler:
        """Decorator: the invocation's metrics are printed when it returns or raises."""

        @functools.wraps(handler)
        def invoke(*args: Any, **kwargs: Any) -> Any:
            try:
                return handler(*args, **kwargs)
            finally:
                self.flush_metrics()

        return invoke  # type: ignore[return-value]


@functools.lru_cache(maxsize=32)
def _emf_template(metrics: tuple[tuple[str, str], ...]) -> tuple[str, tuple[str, ...]]:
    """The constant parts of the EMF document for these (name, unit) pairs, serialised once per container: the
    document up to its timestamp, then each metric's key. Only the timestamp and the values change per flush, so
    a flush writes them between these. The same JSON, key for key, as serialising the whole document."""
    descriptor = json.dumps(
        [
            {
                "Namespace": NAMESPACE,
                "Dimensions": [["service"]],
                "Metrics": [{"Name": n, "Unit": u} for n, u in metrics],
            }
        ],
        separators=(",", ":"),
    )
    head = '{"_aws":{"Timestamp":'
    service = ',"CloudWatchMetrics":' + descriptor + '},"service":' + json.dumps(SERVICE)
    keys = [f",{json.dumps(name)}:" for name, _ in metrics]
    if keys:
        keys[0] = service + keys[0]
    return head, tuple(keys)


@functools.lru_cache(maxsize=256)
def _emf_line(metrics: tuple[tuple[str, str, tuple[str, ...]], ...]) -> tuple[str, str]:
    """One EMF line but its timestamp, for these (name, unit, values): most invocations of a function add the
    same few metrics with the same values (a tracking call: one view accepted), so its text is built once per
    container and set of values, not once per invocation."""
    head, keys = _emf_template(tuple([(name, unit) for name, unit, _ in metrics]))
    body = "".join([f"{key}[{','.join(values)}]" for key, (_, _, values) in zip(keys, metrics, strict=True)])
    return head, body + "}"


def _number(value: float) -> str:
    """``value`` as json.dumps writes a float."""
    text = float.__repr__(value)
    if "n" in text:  # nan or inf, which JSON spells NaN and Infinity; no finite float's repr has an n
        return json.dumps(value)
    return text


# a request's counts are small numbers: their texts, as _number writes them, made once
_COUNTS = tuple(_number(float(count)) for count in range(64))


@functools.cache
def _disabled() -> bool:
    # read once per container, like the rest of the configuration: a function's environment never changes under it
    return os.environ.get("POWERTOOLS_METRICS_DISABLED", "").strip().lower() in ("true", "1", "yes", "on")


remembered(_disabled.cache_clear)
remembered(_emf_line.cache_clear)


logger = Logger()
metrics = Metrics()

__all__ = ["API_GATEWAY_HTTP", "MetricUnit", "logger", "metrics"]
