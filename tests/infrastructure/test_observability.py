"""The metrics the alarms and the dashboard read are the ones the code publishes: same namespace and dimension,
and no warning line in the log for a request that publishes none."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from mostread_dev.template import Template, load_template

ROOT = Path(__file__).resolve().parents[2]

# A handler as the functions write them: one that publishes RankingRuns, one that publishes nothing.
HANDLERS = """
import json, warnings
warnings.simplefilter("default")  # what a Lambda runtime shows: every warning once
from mostread.observability import MetricUnit, metrics

class Context:
    function_name = "f"; memory_limit_in_mb = 128; invoked_function_arn = "arn"; aws_request_id = "r"

@metrics.log_metrics
def publishes(event, context):
    metrics.add_metric(name="RankingRuns", unit=MetricUnit.Count, value=1)

@metrics.log_metrics
def publishes_nothing(event, context):
    return None

publishes({}, Context())
publishes_nothing({}, Context())
"""


def run_handlers(template: Template) -> subprocess.CompletedProcess[str]:
    environment = {name: value for name, value in os.environ.items() if not name.startswith("POWERTOOLS_")}
    environment.update(template.function_environment(None, template.table_names("t")))
    environment["PYTHONPATH"] = str(ROOT / "shared")
    return subprocess.run(
        [sys.executable, "-c", HANDLERS], env=environment, capture_output=True, text=True, timeout=120, check=True
    )


def test_emf_metrics_match_the_alarms_and_nothing_printed_for_no_metrics() -> None:
    template = load_template()
    result = run_handlers(template)
    [blob] = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{") and "_aws" in line]
    [directive] = blob["_aws"]["CloudWatchMetrics"]
    alarm = template.resources["RankingStaleAlarm"]["Properties"]
    assert directive["Namespace"] == alarm["Namespace"] == "mostread"
    assert [metric["Name"] for metric in directive["Metrics"]] == [alarm["MetricName"]]
    [dimension] = alarm["Dimensions"]
    assert directive["Dimensions"] == [[dimension["Name"]]]
    assert blob[dimension["Name"]] == dimension["Value"]
    assert blob["RankingRuns"] in (1, [1])
    assert result.stderr == ""  # a request that publishes nothing prints neither an empty document nor a warning
