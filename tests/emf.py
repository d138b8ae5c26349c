"""The metrics a handler published: Powertools prints them to stdout as CloudWatch embedded metric format."""

from __future__ import annotations

import json
from collections import Counter


def emitted_metrics(out: str) -> Counter[str]:
    """Metric name -> the sum of its values in the EMF documents among ``out``'s lines."""
    totals: Counter[str] = Counter()
    for line in out.splitlines():
        if not line.startswith("{") or '"_aws"' not in line:
            continue
        document = json.loads(line)
        for directive in document["_aws"]["CloudWatchMetrics"]:
            for metric in directive["Metrics"]:
                value = document[metric["Name"]]
                totals[metric["Name"]] += sum(value) if isinstance(value, list) else value
    return totals
