"""Powertools Logger and Metrics, created once per container.

No raw IP reaches a log line: handlers log codes, counts and fields, never the event.
Tracing (X-Ray) is left out: Powertools Tracer adds ~310 ms to a cold start (BENCHMARKS.md).
"""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "mostread"))
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "mostread"))

__all__ = ["MetricUnit", "logger", "metrics"]
