"""Powertools Logger and Metrics, created once per container.

No raw IP reaches a log line: handlers log codes, counts and fields, never the event.
Tracing (X-Ray) is left out: Powertools Tracer adds ~310 ms to a cold start (BENCHMARKS.md).
"""

from __future__ import annotations

import os
import warnings

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "mostread"))
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "mostread"))

# Many requests rightly publish no metric (a read, a 304, an editorial listing), and Powertools would log a warning for
# each. Filtered the way Powertools documents
# (https://docs.powertools.aws.dev/lambda/python/latest/core/metrics/#suppressing-warning-messages-on-empty-metrics).
warnings.filterwarnings("ignore", "No application metrics to publish*")

__all__ = ["MetricUnit", "logger", "metrics"]
