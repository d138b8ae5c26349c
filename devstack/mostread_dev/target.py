"""Where the ops commands act: ``mostread dev`` or a deployed stack, resolved into one shape.

* ``--stack NAME`` (with ``--profile`` / ``--region`` or the usual AWS environment): the stack's outputs come from
  CloudFormation ``DescribeStacks``; the commands then call DynamoDB, DynamoDB Streams, SQS, Lambda, CloudWatch and
  CloudWatch Logs directly with the user's credentials. The functions' settings (``MaxViewsPerAddress``,
  ``DedupeMinutes``, ...) are the rank function's environment (``GetFunctionConfiguration``), or, without
  permission for that, the stack's parameters over the template's defaults.
* ``--url URL`` (default ``http://127.0.0.1:3000``): ``mostread dev`` tells where its DynamoDB, stream and failure
  queue are (``GET /_local/environment``), and the same boto3 calls go there with ``endpoint_url`` and the local
  stack's fake credentials. CloudWatch and Lambda are not emulated: the commands say what they skip.

Every command resolves its target here, once, and takes everything from the ``Target``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from mostread import caches
from mostread.config import Settings, settings
from mostread.dal.client import Db

from mostread_dev.api_client import DEFAULT_URL, ApiClient, ApiUnavailable
from mostread_dev.template import MAIN_TABLE, load_template

LOCAL_ENVIRONMENT_PATH = "/_local/environment"
# a synchronous Invoke of the rank function may take its whole 55 s timeout
CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 6}, connect_timeout=5, read_timeout=90)
# Logical ids of the functions the commands name, and the Outputs a stack may publish their names under.
FUNCTION_OUTPUTS = {"RankFunction": "RankFunctionName", "IngestFunction": "IngestFunctionName"}


class TargetError(RuntimeError):
    """The target cannot be resolved: no such stack, no credentials, no `mostread dev` at the URL."""


@dataclass
class Target:
    description: str
    local: bool
    stack_name: str
    region: str
    outputs: dict[str, str]
    session: Any  # boto3.Session
    endpoints: dict[str, str] = field(default_factory=dict)
    functions: dict[str, str] = field(default_factory=dict)
    local_url: str | None = None
    environment_loader: Callable[[Target], dict[str, str]] | None = None
    _environment: dict[str, str] | None = None
    _clients: dict[str, Any] = field(default_factory=dict)

    # -- what the stack is ------------------------------------------------------------------------------

    @property
    def table(self) -> str:
        name = self.outputs.get("TableName")
        if not name:
            raise TargetError(f"{self.description} has no TableName output")
        return name

    @property
    def salts_table(self) -> str | None:
        return self.outputs.get("SaltsTableName")

    @property
    def failure_queue_url(self) -> str | None:
        return self.outputs.get("IngestFailureQueueUrl")

    @property
    def api_url(self) -> str:
        """The API's own URL (execute-api, not the CDN: no cached answers), without the trailing slash."""
        url = self.outputs.get("ApiUrl") or self.outputs.get("PublicApiUrl") or self.local_url
        if not url:
            raise TargetError(f"{self.description} has no ApiUrl output")
        return url.rstrip("/")

    @property
    def alarm_prefix(self) -> str:
        return f"{self.stack_name}-"

    @property
    def environment(self) -> dict[str, str]:
        """The functions' environment: what ``mostread.config.settings`` reads in Lambda."""
        if self._environment is None:
            self._environment = self.environment_loader(self) if self.environment_loader else {}
        return self._environment

    def settings(self) -> Settings:
        with self.function_environment() as config:
            return config

    @contextmanager
    def function_environment(self) -> Iterator[Settings]:
        """This process runs with the deployment's function environment (so service code that reads
        ``settings()``, like the stream consumer's, behaves as it does there); restored afterwards."""
        saved = {name: os.environ.get(name) for name in self.environment}
        os.environ.update(self.environment)
        caches.reset()
        try:
            yield settings()
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
            caches.reset()

    # -- clients ----------------------------------------------------------------------------------------

    def client(self, service: str) -> Any:
        """A boto3 client for ``service`` in the target (local: at the stack's endpoint, with its fake keys)."""
        if service not in self._clients:
            if self.local and service not in self.endpoints:
                raise TargetError(f"`mostread dev` does not emulate {service}")
            endpoint = self.endpoints.get(service) if self.local else None
            self._clients[service] = self.session.client(service, endpoint_url=endpoint, config=CLIENT_CONFIG)
        return self._clients[service]

    def db(self) -> Db:
        return Db(self.client("dynamodb"), self.table)

    def function_name(self, logical_id: str) -> str:
        """The deployed name of one of the stack's functions (its output, else DescribeStackResource)."""
        if logical_id not in self.functions:
            if self.local:
                raise TargetError(f"`mostread dev` has no function {logical_id}")
            output = FUNCTION_OUTPUTS.get(logical_id)
            if output and self.outputs.get(output):
                self.functions[logical_id] = self.outputs[output]
            else:
                described = self.client("cloudformation").describe_stack_resource(
                    StackName=self.stack_name, LogicalResourceId=logical_id
                )
                self.functions[logical_id] = described["StackResourceDetail"]["PhysicalResourceId"]
        return self.functions[logical_id]


# --- resolving ---------------------------------------------------------------------------------------------


def resolve_target(
    url: str = DEFAULT_URL,
    stack: str | None = None,
    profile: str | None = None,
    region: str | None = None,
) -> Target:
    """``--stack`` names a deployed stack; without it the target is the `mostread dev` at ``--url``."""
    if stack:
        return stack_target(stack, profile, region)
    if profile:
        raise TargetError("--profile goes with --stack NAME (a deployed stack); `mostread dev` needs no credentials")
    return local_target(url)


def local_target(url: str, client: ApiClient | None = None) -> Target:
    try:
        api = client or ApiClient(url, timeout=40)
    except ValueError as error:
        raise TargetError(str(error)) from None
    try:
        response = api.get(LOCAL_ENVIRONMENT_PATH)
    except ApiUnavailable as error:
        raise TargetError(
            f"no `mostread dev` at {url} ({error}); start it, or name a deployed stack with --stack"
        ) from None
    if response.status != 200:
        raise TargetError(
            f"{url} is not `mostread dev` (GET {LOCAL_ENVIRONMENT_PATH}: HTTP {response.status});"
            " for a deployed stack use --stack NAME"
        )
    return target_of_environment(response.json(), url)


def target_of_environment(document: Mapping[str, Any], url: str) -> Target:
    """The Target for `mostread dev`'s ``GET /_local/environment``."""
    credentials = document.get("credentials") or {}
    region = str(document.get("region") or "eu-west-1")
    session = boto3.Session(
        aws_access_key_id=credentials.get("aws_access_key_id"),
        aws_secret_access_key=credentials.get("aws_secret_access_key"),
        region_name=region,
    )
    endpoints = {service: str(endpoint) for service, endpoint in (document.get("endpoints") or {}).items() if endpoint}
    environment = {str(name): str(value) for name, value in (document.get("environment") or {}).items()}
    return Target(
        description=f"mostread dev at {url}",
        local=True,
        stack_name=str(document.get("stack_name") or "mostread-local"),
        region=region,
        outputs={str(name): str(value) for name, value in (document.get("outputs") or {}).items() if value},
        session=session,
        endpoints=endpoints,
        functions=dict(document.get("functions") or {}),
        local_url=url.rstrip("/"),
        _environment=environment,
    )


def stack_target(
    stack: str, profile: str | None = None, region: str | None = None, session: Any | None = None
) -> Target:
    try:
        session = session or boto3.Session(profile_name=profile, region_name=region)
    except BotoCoreError as error:  # ProfileNotFound
        raise TargetError(str(error)) from None
    if not session.region_name:
        raise TargetError("no AWS region: give --region, or set AWS_REGION or your profile's region")
    try:
        cloudformation = session.client("cloudformation", config=CLIENT_CONFIG)
        described = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    except ClientError as error:
        message = error.response.get("Error", {}).get("Message", str(error))
        raise TargetError(f"stack {stack} in {session.region_name}: {message}") from None
    except BotoCoreError as error:  # no credentials, no network
        raise TargetError(f"stack {stack} in {session.region_name}: {error}") from None
    outputs = {output["OutputKey"]: output["OutputValue"] for output in described.get("Outputs", [])}
    parameters = {entry["ParameterKey"]: entry.get("ParameterValue", "") for entry in described.get("Parameters", [])}
    target = Target(
        description=f"stack {stack} ({session.region_name})",
        local=False,
        stack_name=stack,
        region=str(session.region_name),
        outputs=outputs,
        session=session,
        environment_loader=lambda resolved: deployed_environment(resolved, parameters),
    )
    target._clients["cloudformation"] = cloudformation
    return target


def deployed_environment(target: Target, parameters: Mapping[str, str]) -> dict[str, str]:
    """The rank function's environment as deployed; without permission to read it, the template's Globals
    environment with the stack's parameter values (the same variables, unless the template changed since)."""
    try:
        function = target.client("lambda").get_function_configuration(FunctionName=target.function_name("RankFunction"))
        variables = dict((function.get("Environment") or {}).get("Variables") or {})
        if variables.get("TABLE_NAME"):
            return {str(name): str(value) for name, value in variables.items()}
    except (ClientError, BotoCoreError):
        pass
    template = load_template()
    table_names = template.table_names(target.table)
    if target.salts_table:
        table_names["SaltsTable"] = target.salts_table
    table_names[MAIN_TABLE] = target.table
    overrides = {name: value for name, value in parameters.items() if name in template.parameters}
    return template.function_environment(None, table_names, overrides)
