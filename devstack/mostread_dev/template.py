"""Reads ``template.yaml`` so that the local stack and the tests never restate the infrastructure.

The SAM template is the one description of tables, routes, schedules, stream consumers and function
environments. This module parses it (CloudFormation short tags included) and answers the questions the
local stack asks: which tables to create, which handler serves which route, what runs on a schedule,
who consumes which stream with which filter, and what environment each function sees.

Only functions, tables and queues (the stream consumer's failure queue) are run locally; every other resource
(log groups, alarms, the dashboard, the CDN) is left alone. Values are resolved as CloudFormation would: a
parameter is an explicit override, else the template's local value (``Metadata: mostread:LocalStack:
ParameterValues``), else its Default; ``Fn::If`` follows the template's Conditions.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

DEFAULT_TEMPLATE_PATH = Path(__file__).resolve().parent.parent.parent / "template.yaml"

SERVERLESS_FUNCTION = "AWS::Serverless::Function"
DYNAMODB_TABLE = "AWS::DynamoDB::Table"
SQS_QUEUE = "AWS::SQS::Queue"


MAIN_TABLE = "ViewsTable"  # the table with the views, the stream and the catalog

LOCAL_METADATA_KEY = "mostread:LocalStack"

# Pseudo parameters of the stack the local stack stands for: it has no stack id, account or partition of its own.
LOCAL_PSEUDO_PARAMETERS = {
    "AWS::StackName": "mostread-local",
    "AWS::StackId": (
        "arn:aws:cloudformation:local:000000000000:stack/mostread-local/00000000-0000-0000-0000-000000000000"
    ),
    "AWS::AccountId": "000000000000",
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
}


class _NoValue:
    """``Ref AWS::NoValue``: the property or list item it stands for is left out."""


NO_VALUE = _NoValue()


class TemplateError(ValueError):
    """The template says something this loader cannot turn into a local equivalent."""


# --- YAML with CloudFormation short tags -------------------------------------------------------------

# The short tags template.yaml uses -> their long form (anything else is refused when the template is read).
_SHORT_TAGS = {
    "Ref": "Ref",
    "GetAtt": "Fn::GetAtt",
    "Sub": "Fn::Sub",
    "Select": "Fn::Select",
    "Split": "Fn::Split",
    "Join": "Fn::Join",
    "If": "Fn::If",
    "Equals": "Fn::Equals",
    "Not": "Fn::Not",
}


class CloudFormationLoader(yaml.SafeLoader):
    """A SafeLoader that turns ``!Ref X`` into ``{"Ref": "X"}``, ``!GetAtt A.B`` into
    ``{"Fn::GetAtt": ["A", "B"]}`` and every other short tag into its long form."""


def _construct_short_tag(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = _SHORT_TAGS.get(tag_suffix)
    if name is None:
        raise yaml.constructor.ConstructorError(
            None, None, f"unknown CloudFormation tag !{tag_suffix}", node.start_mark
        )
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if name == "Fn::GetAtt":
            resource, _, attribute = str(value).partition(".")
            value = [resource, attribute]
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    elif isinstance(node, yaml.MappingNode):
        value = loader.construct_mapping(node, deep=True)
    else:  # pragma: no cover - yaml has no other node kinds
        raise yaml.constructor.ConstructorError(None, None, f"bad node for !{tag_suffix}", node.start_mark)
    return {name: value}


CloudFormationLoader.add_multi_constructor("!", _construct_short_tag)


def parse_template_text(text: str) -> dict[str, Any]:
    document = yaml.load(text, Loader=CloudFormationLoader)  # noqa: S506 - a SafeLoader subclass
    if not isinstance(document, dict):
        raise TemplateError("the template is not a mapping")
    return document


# --- What the loader returns -------------------------------------------------------------------------


@dataclass(frozen=True)
class TableSpec:
    logical_id: str
    create_kwargs: dict[str, Any]
    """Ready for boto3 ``client("dynamodb").create_table(**create_kwargs)``."""
    ttl_attribute: str | None = None
    """For ``update_time_to_live``; None when the table has no enabled TTL."""

    @property
    def table_name(self) -> str:
        return str(self.create_kwargs["TableName"])


@dataclass(frozen=True)
class Route:
    method: str
    """Upper case, as in the template (``GET``, ``POST``, ... or ``ANY``)."""
    path: str
    """The template's path, with ``{name}`` and ``{name+}`` parameters."""
    function_id: str
    code_uri: str
    handler: str
    iam_auth: bool

    @property
    def route_key(self) -> str:
        """The API Gateway route key, for example ``POST /v1/views`` (the fallback route's is ``$default``)."""
        return self.path if self.path == "$default" else f"{self.method} {self.path}"

    def match(self, method: str, path: str) -> dict[str, str] | None:
        """The path parameters when this route serves ``method path``, else None."""
        if self.method not in ("ANY", method.upper()):
            return None
        found = _path_regex(self.path).fullmatch(path)
        return None if found is None else found.groupdict()


@dataclass(frozen=True)
class Schedule:
    function_id: str
    code_uri: str
    handler: str
    rate_seconds: int


@dataclass(frozen=True)
class StreamConsumer:
    function_id: str
    code_uri: str
    handler: str
    table_logical_id: str
    batch_size: int
    batching_window_seconds: int
    filter_patterns: list[dict[str, Any]] = field(default_factory=list)
    """Parsed JSON patterns; a record is delivered when it matches any (all records when empty)."""
    maximum_retry_attempts: int = -1
    """Retries of a failing batch before it is given up (Lambda's default -1: until the record expires)."""
    maximum_record_age_seconds: int = -1
    """A batch whose oldest record is older than this is given up unread (-1: until the record expires)."""
    bisect_on_error: bool = False
    """BisectBatchOnFunctionError: a failing batch is split in two, each half tried on its own."""
    report_batch_item_failures: bool = False
    """FunctionResponseTypes [ReportBatchItemFailures]: the function names the records to retry from."""
    on_failure: FailureDestination | None = None
    """DestinationConfig.OnFailure: where a given-up batch's position is sent; None: it is only dropped."""

    def accepts(self, record: Mapping[str, Any]) -> bool:
        return matches_stream_filter(self.filter_patterns, record)


@dataclass(frozen=True)
class FailureDestination:
    """An event source mapping's on-failure destination: a resource of this template."""

    type: str
    """``SQS`` or ``SNS``, as in the template."""
    logical_id: str
    """The queue's (or topic's) logical id."""


@dataclass(frozen=True)
class QueueSpec:
    logical_id: str
    attributes: dict[str, str]
    """Ready for SQS ``create_queue(Attributes=...)``: what the template sets that a local queue can honour."""


# --- The template ------------------------------------------------------------------------------------


class Template:
    def __init__(self, document: Mapping[str, Any], path: Path | None = None) -> None:
        self.document = document
        self.path = path

    # sections

    @property
    def parameters(self) -> dict[str, dict[str, Any]]:
        return dict(self.document.get("Parameters") or {})

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return dict(self.document.get("Resources") or {})

    @property
    def conditions(self) -> dict[str, Any]:
        return dict(self.document.get("Conditions") or {})

    @property
    def function_globals(self) -> dict[str, Any]:
        return dict((self.document.get("Globals") or {}).get("Function") or {})

    def resources_of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {rid: r for rid, r in self.resources.items() if r.get("Type") == resource_type}

    def functions(self) -> dict[str, dict[str, Any]]:
        """Every AWS::Serverless::Function, logical id -> its Properties (without Globals)."""
        functions = self.resources_of_type(SERVERLESS_FUNCTION)
        return {rid: dict(r.get("Properties") or {}) for rid, r in functions.items()}

    def function_property(self, function_id: str, name: str) -> Any:
        """A function's property, falling back to Globals.Function (plain override, no merge)."""
        properties = self._function(function_id)
        if name in properties:
            return properties[name]
        return self.function_globals.get(name)

    # questions the local stack asks

    def parameter_defaults(self) -> dict[str, str]:
        """Every parameter that has a Default, as the string CloudFormation would pass."""
        return {
            name: _scalar_text(spec["Default"], f"default of parameter {name}")
            for name, spec in self.parameters.items()
            if "Default" in spec
        }

    def local_parameter_values(self) -> dict[str, str]:
        """The template's values for the local stack (``Metadata: mostread:LocalStack: ParameterValues``), which
        stand in for the parameters' defaults here."""
        metadata = (self.document.get("Metadata") or {}).get(LOCAL_METADATA_KEY) or {}
        values = metadata.get("ParameterValues") or {}
        unknown = sorted(set(values) - set(self.parameters))
        if unknown:
            raise TemplateError(f"Metadata {LOCAL_METADATA_KEY} sets values of no parameter: {', '.join(unknown)}")
        return {name: _scalar_text(value, f"local value of parameter {name}") for name, value in values.items()}

    def condition(self, name: str, parameter_overrides: Mapping[str, str] | None = None) -> bool:
        """Whether the template's condition ``name`` holds with these parameters (overrides, local values, defaults)."""
        return self._condition(name, parameter_overrides, f"condition {name}")

    def tables(self, names: Mapping[str, str] | None = None) -> list[TableSpec]:
        """One TableSpec per AWS::DynamoDB::Table; TableName is ``names[logical_id]`` or the logical id."""
        names = names or {}
        specs = []
        for logical_id, resource in self.resources_of_type(DYNAMODB_TABLE).items():
            properties = {
                key: self._resolve(value, {}, None, f"table {logical_id}: {key}")
                for key, value in (resource.get("Properties") or {}).items()
                if key in _TABLE_PROPERTIES
            }
            specs.append(_table_spec(logical_id, names.get(logical_id, logical_id), properties))
        return specs

    def table_names(self, views_table: str) -> dict[str, str]:
        """Names for every table of the template, derived from the views table's: ``ViewsTable`` is
        ``views_table`` and, for example, ``SaltsTable`` is ``<views_table>-salts``."""
        return {
            spec.logical_id: views_table
            if spec.logical_id == MAIN_TABLE
            else f"{views_table}-{spec.logical_id.removesuffix('Table').lower()}"
            for spec in self.tables()
        }

    def http_routes(self) -> list[Route]:
        routes = []
        for function_id, event in self._events("HttpApi"):
            properties = event.get("Properties") or {}
            method = str(properties.get("Method", "ANY")).upper()
            if method == "X-AMAZON-APIGATEWAY-ANY-METHOD":
                method = "ANY"
            path = properties.get("Path")
            if not isinstance(path, str):
                raise TemplateError(f"{function_id}: an HttpApi event needs a literal Path (got {path!r})")
            routes.append(
                Route(
                    method=method,
                    path=path,
                    function_id=function_id,
                    code_uri=self._code_uri(function_id),
                    handler=self._handler(function_id),
                    iam_auth=self._authorizer(properties) == "AWS_IAM",
                )
            )
        return routes

    def schedules(self) -> list[Schedule]:
        """Enabled Schedule/ScheduleV2 events; only ``rate(...)`` expressions are understood."""
        schedules = []
        for function_id, event in self._events("Schedule", "ScheduleV2"):
            properties = event.get("Properties") or {}
            if properties.get("Enabled") is False or properties.get("State") == "DISABLED":
                continue
            expression = properties.get("Schedule", properties.get("ScheduleExpression"))
            schedules.append(
                Schedule(
                    function_id=function_id,
                    code_uri=self._code_uri(function_id),
                    handler=self._handler(function_id),
                    rate_seconds=parse_rate(expression),
                )
            )
        return schedules

    def stream_consumers(self) -> list[StreamConsumer]:
        consumers = []
        for function_id, event in self._events("DynamoDB"):
            properties = event.get("Properties") or {}
            stream = properties.get("Stream")
            table_id = _stream_table(stream)
            if table_id is None or table_id not in self.resources_of_type(DYNAMODB_TABLE):
                raise TemplateError(
                    f"{function_id}: Stream must be !GetAtt <table>.StreamArn of a table in this template"
                    f" (got {stream!r})"
                )
            patterns = []
            for entry in (properties.get("FilterCriteria") or {}).get("Filters") or []:
                try:
                    pattern = json.loads(entry["Pattern"])
                except (KeyError, TypeError, json.JSONDecodeError) as error:
                    message = f"{function_id}: bad FilterCriteria pattern {entry!r}: {error}"
                    raise TemplateError(message) from error
                if not isinstance(pattern, dict):
                    raise TemplateError(f"{function_id}: a filter pattern must be a JSON object: {entry!r}")
                patterns.append(pattern)
            consumers.append(
                StreamConsumer(
                    function_id=function_id,
                    code_uri=self._code_uri(function_id),
                    handler=self._handler(function_id),
                    table_logical_id=table_id,
                    batch_size=int(properties.get("BatchSize", 100)),
                    batching_window_seconds=int(properties.get("MaximumBatchingWindowInSeconds", 0)),
                    filter_patterns=patterns,
                    maximum_retry_attempts=int(properties.get("MaximumRetryAttempts", -1)),
                    maximum_record_age_seconds=int(properties.get("MaximumRecordAgeInSeconds", -1)),
                    bisect_on_error=properties.get("BisectBatchOnFunctionError") in (True, "true"),
                    report_batch_item_failures="ReportBatchItemFailures"
                    in (properties.get("FunctionResponseTypes") or []),
                    on_failure=self._failure_destination(function_id, properties.get("DestinationConfig")),
                )
            )
        return consumers

    def queues(self) -> list[QueueSpec]:
        """Every AWS::SQS::Queue, with the attributes a local queue honours (retention, visibility timeout)."""
        specs = []
        for logical_id, resource in self.resources_of_type(SQS_QUEUE).items():
            properties = resource.get("Properties") or {}
            attributes = {
                name: _scalar_text(properties[name], f"queue {logical_id}: {name}")
                for name in _QUEUE_ATTRIBUTES
                if name in properties and not isinstance(properties[name], dict)
            }
            specs.append(QueueSpec(logical_id, attributes))
        return specs

    def outputs(self) -> dict[str, dict[str, Any]]:
        """The template's Outputs, logical name -> definition (unresolved)."""
        return dict(self.document.get("Outputs") or {})

    def function_environment(
        self,
        function_id: str | None,
        table_names: Mapping[str, str],
        parameter_overrides: Mapping[str, str] | None = None,
    ) -> dict[str, str]:
        """Globals.Function.Environment merged with the function's own (``None``: Globals only), every
        ``Ref`` resolved: a parameter to its override or default, a table to ``table_names[id]``."""
        variables: dict[str, Any] = dict(((self.function_globals.get("Environment") or {}).get("Variables")) or {})
        if function_id is not None:
            variables.update(((self._function(function_id).get("Environment") or {}).get("Variables")) or {})
        where = f"environment of {function_id or 'Globals.Function'}"
        environment = {}
        for name, value in variables.items():
            resolved = self._resolve(value, table_names, parameter_overrides, f"{where}: {name}")
            if resolved is not NO_VALUE:
                environment[name] = _scalar_text(resolved, f"{where}: {name}")
        return environment

    # internals

    def _function(self, function_id: str) -> dict[str, Any]:
        functions = self.functions()
        if function_id not in functions:
            raise TemplateError(f"no {SERVERLESS_FUNCTION} named {function_id!r} (have: {sorted(functions)})")
        return functions[function_id]

    def _events(self, *types: str) -> Iterator[tuple[str, dict[str, Any]]]:
        for function_id, properties in self.functions().items():
            for event in (properties.get("Events") or {}).values():
                if event.get("Type") in types:
                    yield function_id, event

    def _code_uri(self, function_id: str) -> str:
        code_uri = self.function_property(function_id, "CodeUri")
        if not isinstance(code_uri, str):
            raise TemplateError(f"{function_id}: CodeUri must be a local path (got {code_uri!r})")
        return code_uri

    def _handler(self, function_id: str) -> str:
        handler = self.function_property(function_id, "Handler")
        if not isinstance(handler, str):
            raise TemplateError(f"{function_id}: Handler must be a string (got {handler!r})")
        return handler

    def _failure_destination(self, function_id: str, config: Any) -> FailureDestination | None:
        """``DestinationConfig: OnFailure: {Type, Destination: !GetAtt <queue or topic>.Arn}``, or None."""
        on_failure = (config or {}).get("OnFailure") if isinstance(config, dict) else None
        if not on_failure:
            return None
        target = on_failure.get("Destination")
        found = target.get("Fn::GetAtt") if isinstance(target, dict) else None
        if not (isinstance(found, list) and len(found) == 2 and found[1] == "Arn" and found[0] in self.resources):
            raise TemplateError(
                f"{function_id}: OnFailure Destination must be !GetAtt <resource>.Arn of this template (got {target!r})"
            )
        destination_type = str(on_failure.get("Type") or self.resources[found[0]].get("Type", "")).upper()
        if destination_type.endswith("SQS::QUEUE"):
            destination_type = "SQS"
        return FailureDestination(destination_type, str(found[0]))

    def _authorizer(self, event_properties: Mapping[str, Any]) -> str | None:
        authorizer = (event_properties.get("Auth") or {}).get("Authorizer")
        if authorizer is None:
            # No Auth on the route: the API's DefaultAuthorizer, if any, applies.
            api = _ref_target(event_properties.get("ApiId"))
            api_properties = (self.resources.get(api or "") or {}).get("Properties") or {}
            authorizer = (api_properties.get("Auth") or {}).get("DefaultAuthorizer")
        return None if authorizer in (None, "NONE") else str(authorizer)

    def _resolve(
        self,
        value: Any,
        table_names: Mapping[str, str],
        parameter_overrides: Mapping[str, str] | None,
        where: str,
    ) -> Any:
        if isinstance(value, list):
            items = [self._resolve(item, table_names, parameter_overrides, where) for item in value]
            return [item for item in items if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if set(value) == {"Ref"}:
            target = value["Ref"]
            if target == "AWS::NoValue":
                return NO_VALUE
            if target in self.parameters:
                return self._parameter(target, parameter_overrides, where)
            if target in LOCAL_PSEUDO_PARAMETERS:
                return LOCAL_PSEUDO_PARAMETERS[target]
            if target in self.resources:
                if target in table_names:
                    return table_names[target]
                raise TemplateError(f"{where}: no local name given for resource {target} (table_names)")
            raise TemplateError(f"{where}: cannot resolve Ref {target!r}")
        if len(value) == 1 and next(iter(value)).startswith("Fn::"):
            [(function, argument)] = value.items()
            return self._function_value(function, argument, table_names, parameter_overrides, where)
        resolved = {key: self._resolve(v, table_names, parameter_overrides, where) for key, v in value.items()}
        return {key: v for key, v in resolved.items() if v is not NO_VALUE}

    def _function_value(
        self,
        function: str,
        argument: Any,
        table_names: Mapping[str, str],
        parameter_overrides: Mapping[str, str] | None,
        where: str,
    ) -> Any:
        """``Fn::If`` (on the template's Conditions), ``Fn::Select`` and ``Fn::Split``: what the template's function
        environments use. Anything else cannot be known without a deployed stack."""

        def resolve(item: Any) -> Any:
            return self._resolve(item, table_names, parameter_overrides, where)

        if function == "Fn::If" and isinstance(argument, list) and len(argument) == 3:
            condition, when_true, when_false = argument
            holds = self._condition(str(condition), parameter_overrides, where)
            return resolve(when_true if holds else when_false)
        if function == "Fn::Select" and isinstance(argument, list) and len(argument) == 2:
            index, items = resolve(argument[0]), resolve(argument[1])
            if not isinstance(items, list) or not str(index).isdigit() or int(index) >= len(items):
                raise TemplateError(f"{where}: Fn::Select index {index!r} out of {items!r}")
            return items[int(index)]
        if function == "Fn::Split" and isinstance(argument, list) and len(argument) == 2:
            delimiter, text = resolve(argument[0]), resolve(argument[1])
            if not isinstance(delimiter, str) or not isinstance(text, str):
                raise TemplateError(f"{where}: Fn::Split needs a delimiter and a string, got {argument!r}")
            return text.split(delimiter)
        raise TemplateError(f"{where}: cannot resolve {{{function!r}: {argument!r}}} locally")

    def _parameter(self, name: str, parameter_overrides: Mapping[str, str] | None, where: str) -> str:
        if parameter_overrides and name in parameter_overrides:
            return str(parameter_overrides[name])
        local = self.local_parameter_values()
        if name in local:
            return local[name]
        if "Default" in self.parameters[name]:
            return _scalar_text(self.parameters[name]["Default"], f"default of {name}")
        raise TemplateError(f"{where}: parameter {name} has no Default and no override was given")

    def _condition(self, name: str, parameter_overrides: Mapping[str, str] | None, where: str) -> bool:
        if name not in self.conditions:
            raise TemplateError(f"{where}: no condition named {name!r} (have: {sorted(self.conditions)})")
        return self._truth(self.conditions[name], parameter_overrides, f"condition {name}")

    def _truth(self, expression: Any, parameter_overrides: Mapping[str, str] | None, where: str) -> bool:
        """``Fn::Equals`` and ``Fn::Not``: what the template's Conditions use."""
        if isinstance(expression, dict) and len(expression) == 1:
            [(function, argument)] = expression.items()
            if function == "Fn::Equals" and isinstance(argument, list) and len(argument) == 2:
                left, right = (
                    _scalar_text(self._resolve(side, {}, parameter_overrides, where), where) for side in argument
                )
                return left == right
            if function == "Fn::Not" and isinstance(argument, list) and len(argument) == 1:
                return not self._truth(argument[0], parameter_overrides, where)
        raise TemplateError(f"{where}: cannot evaluate {expression!r}")


def load_template(path: Path | None = None) -> Template:
    """Parse ``template.yaml`` (default: the repository's, next to ``devstack/``)."""
    path = path or DEFAULT_TEMPLATE_PATH
    return Template(parse_template_text(path.read_text(encoding="utf-8")), path)


# --- Helpers -----------------------------------------------------------------------------------------

_RATE = re.compile(r"rate\(\s*(\d+)\s+(second|seconds|minute|minutes|hour|hours|day|days)\s*\)")
_UNIT_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


def parse_rate(expression: Any) -> int:
    """Seconds between runs for ``rate(1 minute)``, ``rate(N minutes)``, ``rate(N seconds)``
    (hours and days too)."""
    found = _RATE.fullmatch(expression.strip()) if isinstance(expression, str) else None
    if found is None:
        raise TemplateError(f"only rate(N unit) schedules are supported locally, got {expression!r}")
    amount = int(found.group(1))
    if amount < 1:
        raise TemplateError(f"a rate must be at least 1: {expression!r}")
    return amount * _UNIT_SECONDS[found.group(2).rstrip("s")]


def _path_regex(path: str) -> re.Pattern[str]:
    parts = []
    for piece in re.split(r"(\{[^}]+\})", path):
        if piece.startswith("{") and piece.endswith("}"):
            name = piece[1:-1]
            parts.append(f"(?P<{name[:-1]}>.+)" if name.endswith("+") else f"(?P<{name}>[^/]+)")
        else:
            parts.append(re.escape(piece))
    return re.compile("".join(parts))


def _scalar_text(value: Any, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise TemplateError(f"{where}: expected a plain value, got {value!r}")


def _ref_target(value: Any) -> str | None:
    if isinstance(value, dict) and set(value) == {"Ref"} and isinstance(value["Ref"], str):
        return value["Ref"]
    return None


def _stream_table(stream: Any) -> str | None:
    if isinstance(stream, dict) and set(stream) == {"Fn::GetAtt"}:
        target = stream["Fn::GetAtt"]
        if isinstance(target, list) and len(target) == 2 and target[1] == "StreamArn":
            return str(target[0])
    return None


_QUEUE_ATTRIBUTES = ("MessageRetentionPeriod", "VisibilityTimeout", "DelaySeconds", "MaximumMessageSize")

_TABLE_PROPERTIES = (
    "BillingMode",
    "KeySchema",
    "AttributeDefinitions",
    "GlobalSecondaryIndexes",
    "StreamSpecification",
    "TimeToLiveSpecification",
)


def _table_spec(logical_id: str, table_name: str, properties: Mapping[str, Any]) -> TableSpec:
    """The CreateTable request of an on-demand table (what template.yaml declares): keys, global secondary indexes
    (keys and projection), the stream, TTL."""
    if properties.get("BillingMode") != "PAY_PER_REQUEST":
        raise TemplateError(f"table {logical_id}: only BillingMode PAY_PER_REQUEST runs locally")
    kwargs: dict[str, Any] = {
        "TableName": table_name,
        "KeySchema": [dict(key) for key in properties["KeySchema"]],
        "AttributeDefinitions": [dict(a) for a in properties["AttributeDefinitions"]],
        "BillingMode": "PAY_PER_REQUEST",
    }
    indexes = [
        {key: index[key] for key in ("IndexName", "KeySchema", "Projection")}
        for index in properties.get("GlobalSecondaryIndexes") or []
    ]
    if indexes:
        kwargs["GlobalSecondaryIndexes"] = indexes
    stream = properties.get("StreamSpecification")
    if stream:
        kwargs["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}
    ttl = properties.get("TimeToLiveSpecification") or {}
    ttl_attribute = ttl.get("AttributeName") if ttl.get("Enabled") in (True, "true") else None
    return TableSpec(logical_id=logical_id, create_kwargs=kwargs, ttl_attribute=ttl_attribute)


# --- Lambda event filtering (what the template's FilterCriteria use) ------------------------------------------


def matches_stream_filter(patterns: Sequence[Mapping[str, Any]], record: Mapping[str, Any]) -> bool:
    """True when ``record`` passes Lambda's FilterCriteria: it matches any pattern (every record passes when there
    are none). Supported, as template.yaml uses them: nested objects, lists of exact values (strings, numbers,
    booleans, null), ``{"prefix": ...}`` and ``{"exists": true|false}``. Any other operator raises ValueError
    rather than guessing."""
    if not patterns:
        return True
    return any(_match_object(pattern, record) for pattern in patterns)


def _match_object(pattern: Mapping[str, Any], value: Any) -> bool:
    if not isinstance(value, Mapping):
        return False
    for key, rule in pattern.items():
        if isinstance(rule, Mapping):
            if key not in value or not _match_object(rule, value[key]):
                return False
        elif isinstance(rule, list):
            exists = [item["exists"] for item in rule if isinstance(item, Mapping) and set(item) == {"exists"}]
            if exists:
                # Lambda's exists matches a leaf (a JSON primitive) that is present, or a key that is absent
                present = key in value and not isinstance(value[key], Mapping | list)
                if len(rule) != 1 or present is not bool(exists[0]):
                    return False
            elif key not in value or not _match_leaf(rule, value[key]):
                return False
        else:
            raise ValueError(f"filter pattern values must be objects or lists, got {key}: {rule!r}")
    return True


def _match_leaf(rules: list[Any], value: Any) -> bool:
    candidates = value if isinstance(value, list) else [value]
    for rule in rules:
        if isinstance(rule, Mapping):
            if set(rule) != {"prefix"}:
                raise ValueError(f"unsupported filter operator {rule!r} (only prefix is)")
            if any(
                isinstance(candidate, str) and candidate.startswith(str(rule["prefix"])) for candidate in candidates
            ):
                return True
        elif any(_equal(rule, candidate) for candidate in candidates):
            return True
    return False


def _equal(rule: Any, candidate: Any) -> bool:
    if rule is None or candidate is None or isinstance(rule, bool) or isinstance(candidate, bool):
        return rule is candidate
    if isinstance(rule, int | float) and isinstance(candidate, int | float):
        return float(rule) == float(candidate)
    return type(rule) is type(candidate) and bool(rule == candidate)
