"""The deploy rehearsal (rehearsal.py), run once for the tests of this folder: two stacks, the defaults
(CloudFront on, alarms without a topic) and the other branch of every condition (EnableCdn false, an alarm topic,
a shorter log retention, debug logs)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from mostread_dev.template import load_template
from moto import mock_aws

from tests.infrastructure.rehearsal import (
    ARTIFACTS_BUCKET,
    DEFAULT_STACK,
    OTHER_STACK,
    REGION,
    ROOT,
    Rehearsal,
    Stack,
    create_stack,
    finish_translation,
    packaged_template,
    start_translation,
    zipped_code,
)


# module scope: tests/ has no __init__.py, so "package" would last the whole session and keep moto's mock (and its
# stacks) active under every later test
@pytest.fixture(scope="module")
def rehearsal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rehearsal]:
    translation = start_translation(packaged_template(), tmp_path_factory.mktemp("rehearsal"))
    # moto's CloudFormation loads every moto service: seconds, spent while the translator works
    from tests.infrastructure import moto_cloudformation

    moto_cloudformation.install()
    translated = finish_translation(translation)
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=ARTIFACTS_BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        for logical_id, resource in load_template().resources.items():
            if resource["Type"] in ("AWS::Serverless::Function", "AWS::Serverless::LayerVersion"):
                code_uri = resource["Properties"].get("CodeUri")
                source = ROOT / code_uri if isinstance(code_uri, str) else None
                s3.put_object(Bucket=ARTIFACTS_BUCKET, Key=f"{logical_id}.zip", Body=zipped_code(source))
        topic_arn = boto3.client("sns", region_name=REGION).create_topic(Name="mostread-alarms")["TopicArn"]
        cloudformation = boto3.client("cloudformation", region_name=REGION)
        body = json.dumps(translated)
        default = Stack(DEFAULT_STACK, {})
        other = Stack(
            OTHER_STACK,
            {"EnableCdn": "false", "AlarmTopicArn": topic_arn, "LogRetentionDays": "7", "LogLevel": "DEBUG"},
        )
        create_stack(cloudformation, default, body)
        create_stack(cloudformation, other, body)
        yield Rehearsal(translated, default, other, topic_arn)
