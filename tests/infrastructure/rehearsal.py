"""The deploy rehearsal's parts: template.yaml packaged the way `sam deploy` packages it, translated by the SAM
translator SAM CLI uses, then created as stacks in moto's CloudFormation (in-process, no AWS call). The fixture
that runs it is in conftest.py."""

from __future__ import annotations

import io
import json
import os
import subprocess
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from mostread_dev.template import load_template

ROOT = Path(__file__).resolve().parents[2]
SAM_PYTHON = ROOT / ".venv-sam" / "bin" / "python"
REGION = "eu-west-1"
ARTIFACTS_BUCKET = "mostread-rehearsal-artifacts"
DEFAULT_STACK = "mostread-rehearsal"
OTHER_STACK = "mostread-rehearsal-nocdn"


def packaged_template() -> dict[str, Any]:
    """template.yaml as `sam package` hands it on: local code paths replaced by S3 locations."""
    document: dict[str, Any] = json.loads(json.dumps(load_template().document))
    for logical_id, resource in document["Resources"].items():
        key = {"AWS::Serverless::Function": "CodeUri", "AWS::Serverless::LayerVersion": "ContentUri"}.get(
            resource["Type"]
        )
        if key:
            resource["Properties"][key] = f"s3://{ARTIFACTS_BUCKET}/{logical_id}.zip"
    return document


def start_translation(document: dict[str, Any], directory: Path) -> subprocess.Popen[str]:
    """The SAM translator SAM CLI uses, in SAM CLI's environment; runs while moto loads."""
    if not SAM_PYTHON.is_file():
        message = f"SAM CLI's environment is missing: {SAM_PYTHON} (`make test` installs it)"
        if os.environ.get("MOSTREAD_REQUIRE_SAM"):
            pytest.fail(message)
        pytest.skip(message)
    # no credentials, profile or endpoint of the caller's: the translator must not reach AWS
    environment = {name: value for name, value in os.environ.items() if not name.startswith(("AWS_", "SAM_"))}
    environment.update(
        AWS_DEFAULT_REGION=REGION, AWS_EC2_METADATA_DISABLED="true", AWS_CONFIG_FILE=os.devnull, SAM_CLI_TELEMETRY="0"
    )
    packaged = directory / "packaged.json"
    packaged.write_text(json.dumps(document))
    return subprocess.Popen(
        [str(SAM_PYTHON), str(Path(__file__).with_name("sam_translate.py")), str(packaged)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
    )


def finish_translation(process: subprocess.Popen[str]) -> dict[str, Any]:
    output, errors = process.communicate(timeout=300)
    assert process.returncode == 0, errors
    translated: dict[str, Any] = json.loads(output)
    return translated


@dataclass
class Stack:
    name: str
    parameters: dict[str, str]
    stack_id: str = ""
    resources: dict[str, tuple[str, str]] = field(default_factory=dict)
    """logical id -> (type, physical id)"""
    outputs: dict[str, str] = field(default_factory=dict)

    def physical(self, logical_id: str) -> str:
        return self.resources[logical_id][1]

    def of_type(self, resource_type: str) -> dict[str, str]:
        return {lid: pid for lid, (rtype, pid) in self.resources.items() if rtype == resource_type}

    def recorded(self, logical_id: str) -> dict[str, Any]:
        """Resolved properties of a resource moto cannot create (moto_cloudformation.RECORDED)."""
        from tests.infrastructure.moto_cloudformation import RECORDED

        return RECORDED[(self.stack_id, logical_id)][1]

    def recorded_types(self) -> set[str]:
        from tests.infrastructure.moto_cloudformation import RECORDED

        return {rtype for (stack_id, _), (rtype, _) in RECORDED.items() if stack_id == self.stack_id}


@dataclass
class Rehearsal:
    translated: dict[str, Any]
    default: Stack
    other: Stack
    topic_arn: str

    def client(self, service: str) -> Any:
        return boto3.client(service, region_name=REGION)


def zipped_code(directory: Path | None) -> bytes:
    """A function's code as it ships (its CodeUri), or, for the layer, a placeholder: CloudFormation never looks
    inside a layer, and the real one is .aws-sam/build's (build_artefacts.py)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        if directory is None:
            archive.writestr("python/.keep", "")
        else:
            for path in sorted(directory.rglob("*.py")):
                archive.write(path, path.relative_to(directory).as_posix())
    return buffer.getvalue()


def create_stack(cloudformation: Any, stack: Stack, body: str) -> None:
    response = cloudformation.create_stack(
        StackName=stack.name,
        TemplateBody=body,
        Parameters=[{"ParameterKey": key, "ParameterValue": value} for key, value in stack.parameters.items()],
        Capabilities=["CAPABILITY_IAM"],
    )
    stack.stack_id = response["StackId"]
    [described] = cloudformation.describe_stacks(StackName=stack.name)["Stacks"]
    assert described["StackStatus"] == "CREATE_COMPLETE", described.get("StackStatusReason")
    stack.outputs = {output["OutputKey"]: output["OutputValue"] for output in described.get("Outputs", [])}
    for summary in cloudformation.list_stack_resources(StackName=stack.name)["StackResourceSummaries"]:
        stack.resources[summary["LogicalResourceId"]] = (summary["ResourceType"], summary["PhysicalResourceId"])
