"""`--stack NAME`: the ops commands find a deployed stack's resources with CloudFormation and talk to DynamoDB, SQS
and CloudWatch with the user's credentials. Against moto: a stack with the template's tables and failure queue and
the Outputs the commands read."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from mostread import caches
from mostread.config import settings
from mostread.dal.client import Db
from mostread.services.ranking import run_ranking
from mostread_dev import cli, ops_cli
from mostread_dev.target import TargetError, stack_target
from mostread_dev.template import Template
from moto import mock_aws
from rich.console import Console
from typer.testing import CliRunner

from tests.conftest import TEST_REGION

STACK = "mostread-test"


def stack_template(template: Template) -> dict[str, Any]:
    tables = {
        spec.logical_id: {
            "Type": "AWS::DynamoDB::Table",
            "Properties": {key: value for key, value in spec.create_kwargs.items() if key != "TableName"},
        }
        for spec in template.tables()
    }
    return {
        "Parameters": {"MaxViewsPerAddress": {"Type": "Number", "Default": 20}},
        "Resources": {**tables, "IngestFailureQueue": {"Type": "AWS::SQS::Queue"}},
        "Outputs": {
            "TableName": {"Value": {"Ref": "ViewsTable"}},
            "SaltsTableName": {"Value": {"Ref": "SaltsTable"}},
            "IngestFailureQueueUrl": {"Value": {"Ref": "IngestFailureQueue"}},
            "ApiUrl": {"Value": "https://abc123.execute-api.eu-west-1.amazonaws.com/"},
        },
    }


@pytest.fixture
def stack(aws_env: dict[str, str], template: Template, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    monkeypatch.setattr(ops_cli, "console", Console(width=250))
    monkeypatch.setattr(ops_cli, "errors", Console(stderr=True, width=250))
    with mock_aws():
        cloudformation = boto3.client("cloudformation", region_name=TEST_REGION)
        cloudformation.create_stack(
            StackName=STACK,
            TemplateBody=json.dumps(stack_template(template)),
            Parameters=[{"ParameterKey": "MaxViewsPerAddress", "ParameterValue": "5"}],
        )
        described = cloudformation.describe_stacks(StackName=STACK)["Stacks"][0]
        yield {output["OutputKey"]: output["OutputValue"] for output in described["Outputs"]}


def mostread(*arguments: str) -> Any:
    return CliRunner().invoke(cli.app, list(arguments))


def test_the_target_is_found_by_its_outputs_with_the_stacks_settings(stack: dict[str, str]) -> None:
    target = stack_target(STACK, region=TEST_REGION)
    assert (target.table, target.failure_queue_url) == (stack["TableName"], stack["IngestFailureQueueUrl"])
    assert target.api_url == "https://abc123.execute-api.eu-west-1.amazonaws.com"
    # no permission to read the rank function here (not in this stack): the parameters over the template's defaults
    config = target.settings()
    assert (config.table_name, config.max_views_per_address, config.dedupe_minutes) == (stack["TableName"], 5, 30)
    assert target.alarm_prefix == f"{STACK}-"


def test_status_of_a_deployed_stack_reads_its_run_state_queue_and_alarms(stack: dict[str, str]) -> None:
    fresh = mostread("status", "--stack", STACK, "--region", TEST_REGION, "--json")
    assert fresh.exit_code == 1
    document = json.loads(fresh.stdout)
    assert document["problems"] == ["no ranking run has completed yet"]
    assert document["failure_queue"]["visible"] == 0
    assert document["alarms"] == []
    assert set(document["tables"]) == {stack["TableName"], stack["SaltsTableName"]}

    target = stack_target(STACK, region=TEST_REGION)
    with target.function_environment() as config:
        run_ranking(Db(boto3.client("dynamodb", region_name=TEST_REGION), config.table_name), settings(), time.time())
    healthy = mostread("status", "--stack", STACK, "--region", TEST_REGION)
    assert healthy.exit_code == 0, healthy.output
    assert "unknown (no report found)" in healthy.stdout  # the rank function's log is not readable here

    cloudwatch = boto3.client("cloudwatch", region_name=TEST_REGION)
    cloudwatch.put_metric_alarm(
        AlarmName=f"{STACK}-ranking-stale",
        MetricName="RankingRuns",
        Namespace="mostread",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=5,
        Threshold=1,
        ComparisonOperator="LessThanThreshold",
    )
    cloudwatch.set_alarm_state(AlarmName=f"{STACK}-ranking-stale", StateValue="ALARM", StateReason="no runs")
    cloudwatch.put_metric_alarm(
        AlarmName="another-stack-alarm",
        MetricName="X",
        Namespace="other",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="LessThanThreshold",
    )
    cloudwatch.set_alarm_state(AlarmName="another-stack-alarm", StateValue="ALARM", StateReason="not ours")
    alarmed = mostread("status", "--stack", STACK, "--region", TEST_REGION)
    assert alarmed.exit_code == 1
    assert f"alarm {STACK}-ranking-stale is in ALARM" in alarmed.stderr
    assert "another-stack-alarm" not in alarmed.output
    caches.reset()


def test_a_stack_that_does_not_exist_is_exit_2(stack: dict[str, str]) -> None:
    result = mostread("status", "--stack", "nope", "--region", TEST_REGION)
    assert result.exit_code == 2
    assert result.stderr.startswith("stack nope in eu-west-1:")
    assert "Traceback" not in result.output
    with pytest.raises(TargetError, match="--profile goes with --stack"):
        ops_cli.resolve_target("http://127.0.0.1:3000", None, "someone", None)
