"""Pins template.yaml to the public contract and to least privilege, and tests the loader that the
local stack uses to read it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import boto3
import pytest
from mostread_dev.template import (
    DEFAULT_TEMPLATE_PATH,
    Route,
    Template,
    TemplateError,
    load_template,
    matches_stream_filter,
    parse_rate,
    parse_template_text,
)

ROOT = Path(__file__).resolve().parents[2]
TABLE_ARN = {"Fn::GetAtt": ["ViewsTable", "Arn"]}
SALTS_ARN = {"Fn::GetAtt": ["SaltsTable", "Arn"]}

# (method, path) -> function serving it; the contract's v1 routes.
CONTRACT_ROUTES = {
    ("POST", "/v1/views"): "TrackFunction",
    ("GET", "/v1/rankings"): "ReadFunction",
    ("GET", "/v1/articles/{article_id}/views"): "ReadFunction",
    ("GET", "/v1/articles/{article_id}"): "ReadFunction",
    ("PUT", "/v1/articles/{article_id}"): "CatalogFunction",
    ("DELETE", "/v1/articles/{article_id}"): "CatalogFunction",
    ("PUT", "/v1/editorial/exclusions/{article_id}"): "EditorialFunction",
    ("DELETE", "/v1/editorial/exclusions/{article_id}"): "EditorialFunction",
    ("PUT", "/v1/editorial/pins/{article_id}"): "EditorialFunction",
    ("DELETE", "/v1/editorial/pins/{article_id}"): "EditorialFunction",
    ("GET", "/v1/editorial"): "EditorialFunction",
}
EDITORIAL_ACTIONS = {"dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:Query"}
WRITE_ACTIONS = ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems")


def statements(template: Template, function_id: str) -> list[dict[str, Any]]:
    found = []
    for policy in template.functions()[function_id].get("Policies") or []:
        for statement in policy.get("Statement", []) if isinstance(policy, dict) else []:
            found.append(statement)
    return found


def actions(statement: dict[str, Any]) -> list[str]:
    value = statement["Action"]
    return [value] if isinstance(value, str) else list(value)


def leading_keys(statement: dict[str, Any]) -> list[str] | None:
    condition = statement.get("Condition", {}).get("ForAllValues:StringLike", {})
    keys = condition.get("dynamodb:LeadingKeys")
    return None if keys is None else list(keys)


def table_properties(template: Template) -> dict[str, Any]:
    return dict(template.resources["ViewsTable"]["Properties"])


# --- routes ------------------------------------------------------------------------------------------


def test_every_contract_route_is_served_by_its_function(template: Template) -> None:
    served = {(r.method, r.path): r.function_id for r in template.http_routes()}
    for route, function_id in CONTRACT_ROUTES.items():
        assert served.get(route) == function_id, route
    assert len(template.http_routes()) == len(served), "a route is declared twice"


def test_only_catalog_writes_and_editorial_routes_need_iam(template: Template) -> None:
    routes = {(r.method, r.path): r for r in template.http_routes()}
    assert routes[("PUT", "/v1/articles/{article_id}")].iam_auth
    assert routes[("DELETE", "/v1/articles/{article_id}")].iam_auth
    editorial = [route for route in routes.values() if route.function_id == "EditorialFunction"]
    assert len(editorial) == 5
    for route in routes.values():
        # Public: the tracking call and every read but the editorial listing. Writes (catalog, editorial) and
        # every editorial route, GET /v1/editorial included, are IAM-authorised.
        editorial_route = route.path == "/v1/editorial" or route.path.startswith("/v1/editorial/")
        assert route.iam_auth == (route.method in ("PUT", "DELETE", "PATCH") or editorial_route), route.route_key
        assert editorial_route == (route.function_id == "EditorialFunction"), route.route_key


def test_routes_point_at_existing_handlers(template: Template) -> None:
    for route in template.http_routes():
        module, _, function = route.handler.rpartition(".")
        assert function == "handler"
        assert (ROOT / route.code_uri / f"{module}.py").is_file(), route


def test_route_matching() -> None:
    route = Route("GET", "/v1/articles/{article_id}/views", "ReadFunction", "functions/read/", "app.handler", False)
    assert route.match("GET", "/v1/articles/a-1.x:y/views") == {"article_id": "a-1.x:y"}
    assert route.match("GET", "/v1/articles/a/b/views") is None
    assert route.match("POST", "/v1/articles/a/views") is None
    assert route.route_key == "GET /v1/articles/{article_id}/views"


def test_cors_and_throttling(template: Template) -> None:
    api = template.resources["HttpApi"]["Properties"]
    cors = api["CorsConfiguration"]
    assert cors["AllowOrigins"] == {"Ref": "AllowedOrigins"}
    assert set(cors["AllowMethods"]) == {"GET", "POST", "OPTIONS"}
    assert {h.lower() for h in cors["AllowHeaders"]} >= {"content-type", "if-none-match"}
    # the widget reads ETag; the tracker snippet reads Retry-After before its one retry
    assert [h.lower() for h in cors["ExposeHeaders"]] == ["etag", "retry-after"]
    assert api["DefaultRouteSettings"]["ThrottlingRateLimit"] == {"Ref": "ApiRateLimit"}
    route_keys = {r.route_key for r in template.http_routes()}
    assert set(api["RouteSettings"]) <= route_keys
    assert api["RouteSettings"]["POST /v1/views"]["ThrottlingBurstLimit"] == {"Ref": "TrackBurstLimit"}


def test_no_access_log_records_the_source_ip(template: Template) -> None:
    for resource in template.resources.values():
        log_format = str((resource.get("Properties") or {}).get("AccessLogSettings", {}).get("Format", ""))
        assert "sourceIp" not in log_format


# --- functions ---------------------------------------------------------------------------------------


def test_every_function_is_arm64_python_312_or_newer_without_tracing(template: Template) -> None:
    for function_id in template.functions():
        runtime = template.function_property(function_id, "Runtime")
        found = re.fullmatch(r"python3\.(\d+)", runtime)
        assert found, (function_id, runtime)
        assert int(found.group(1)) >= 12, (function_id, runtime)
        assert template.function_property(function_id, "Architectures") == ["arm64"], function_id
        assert template.function_property(function_id, "Tracing") in (None, "PassThrough"), function_id
        assert template.function_property(function_id, "Layers") == [{"Ref": "SharedLayer"}]


def test_ranking_runs_every_minute_one_at_a_time(template: Template) -> None:
    [schedule] = template.schedules()
    assert schedule.function_id == "RankFunction"
    assert schedule.rate_seconds == 60
    # one run at a time is the lease's job: reserved concurrency does not deploy on accounts limited to 10
    assert template.function_property("RankFunction", "ReservedConcurrentExecutions") is None
    assert template.function_property("RankFunction", "Timeout") < 60


def test_stream_consumer_gives_up_on_a_poison_record_into_the_failure_queue(template: Template) -> None:
    [event] = template.functions()["IngestFunction"]["Events"].values()
    properties = event["Properties"]
    assert 0 < properties["MaximumRetryAttempts"] <= 100
    # the stream keeps records 24 h: a failed batch must reach the queue while replay-failed can still read it
    assert 60 <= properties["MaximumRecordAgeInSeconds"] <= 12 * 3600
    assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert properties["DestinationConfig"] == {
        "OnFailure": {"Type": "SQS", "Destination": {"Fn::GetAtt": ["IngestFailureQueue", "Arn"]}}
    }
    queue = template.resources["IngestFailureQueue"]
    assert queue["Type"] == "AWS::SQS::Queue"
    assert queue["Properties"]["MessageRetentionPeriod"] == 14 * 86400


def test_stream_consumer_bisects_and_keeps_only_new_views(template: Template) -> None:
    [consumer] = template.stream_consumers()
    assert consumer.function_id == "IngestFunction"
    assert consumer.table_logical_id == "ViewsTable"
    assert consumer.batch_size == 1000
    assert 0 < consumer.batching_window_seconds <= 5  # the contract allows a few seconds of ingestion delay
    [event] = template.functions()["IngestFunction"]["Events"].values()
    assert event["Properties"]["BisectBatchOnFunctionError"] is True
    assert event["Properties"]["StartingPosition"] == "TRIM_HORIZON"
    assert consumer.filter_patterns == [
        {"eventName": ["INSERT"], "dynamodb": {"Keys": {"pk": {"S": [{"prefix": "view#"}]}}}},
        {
            "eventName": ["MODIFY"],
            "dynamodb": {"Keys": {"pk": {"S": [{"prefix": "view#"}]}}, "NewImage": {"g": {"N": [{"exists": True}]}}},
        },
    ]

    def record(event_name: str, pk: str, image: dict[str, Any] | None = None) -> dict[str, Any]:
        change: dict[str, Any] = {"Keys": {"pk": {"S": pk}, "sk": {"S": "x"}}}
        if image is not None:
            change["NewImage"] = image
        return {"eventName": event_name, "dynamodb": change}

    assert consumer.accepts(record("INSERT", "view#2024-01-01T10:00#a"))
    # a page view marked engaged: the only change of a view item that is counted
    assert consumer.accepts(record("MODIFY", "view#e:abcdefgh", {"a": {"S": "a"}, "g": {"N": "1795780800000"}}))
    assert not consumer.accepts(record("MODIFY", "view#e:abcdefgh", {"a": {"S": "a"}}))
    assert not consumer.accepts(record("MODIFY", "log#x", {"g": {"N": "1"}}))
    assert not consumer.accepts(record("MODIFY", "view#2024-01-01T10:00#a"))
    assert not consumer.accepts(record("REMOVE", "view#2024-01-01T10:00#a"))  # TTL deletes
    assert not consumer.accepts(record("INSERT", "log#2024-01-01T10:00"))
    assert not consumer.accepts(record("INSERT", "salt#2024-01-01"))


def test_function_environment_resolves_refs(template: Template) -> None:
    environment = template.function_environment("TrackFunction", template.table_names("views-local"))
    assert environment["TABLE_NAME"] == "views-local"
    assert environment["DEDUPE_MINUTES"] == "30"
    assert environment["TRUSTED_PROXY_HOPS"] == "0"
    assert environment["POWERTOOLS_SERVICE_NAME"] == "mostread"
    overridden = template.function_environment(
        "RankFunction", template.table_names("t"), {"TrustedProxyHops": "1", "ListDepth": "20"}
    )
    assert (overridden["TRUSTED_PROXY_HOPS"], overridden["LIST_DEPTH"]) == ("1", "20")
    with pytest.raises(TemplateError, match="ViewsTable"):
        template.function_environment("TrackFunction", {})
    with pytest.raises(TemplateError, match="NoSuchFunction"):
        template.function_environment("NoSuchFunction", template.table_names("t"))


def test_parameter_defaults_agree_with_the_settings_model(template: Template) -> None:
    from dataclasses import fields

    from mostread.config import Settings

    defaults = Settings(table_name="mostread-test", salts_table_name="mostread-test-salts")
    environment = template.function_environment(None, template.table_names("mostread-test"))
    names = [field.name for field in fields(Settings)]
    from_template = Settings(**{name: environment[name.upper()] for name in names if name.upper() in environment})
    for name in names:
        assert getattr(from_template, name) == getattr(defaults, name), name


def test_every_parameter_is_described(template: Template) -> None:
    assert template.parameters
    for name, spec in template.parameters.items():
        assert str(spec.get("Description", "")).strip(), name
    assert template.parameter_defaults()["AllowedOrigins"] == "*"


def test_outputs(template: Template) -> None:
    assert {"ApiUrl", "TrackUrl", "TableName"} <= set(template.document["Outputs"])


def test_the_functions_the_ops_commands_invoke_are_outputs(template: Template) -> None:
    from mostread_dev.target import FUNCTION_OUTPUTS

    outputs = template.document["Outputs"]
    for function_id, output in FUNCTION_OUTPUTS.items():
        assert function_id in template.functions()
        assert outputs[output]["Value"] == {"Ref": function_id}


# --- policies ----------------------------------------------------------------------------------------


def test_policies_are_inline_and_never_wildcards(template: Template) -> None:
    for function_id, properties in template.functions().items():
        for policy in properties.get("Policies") or []:
            # Inline statements, plus the stream-read policy template for the consumer; no managed policies.
            assert isinstance(policy, dict), (function_id, policy)
            assert set(policy) <= {"Statement", "DynamoDBStreamReadPolicy"}, (function_id, policy)
            if "DynamoDBStreamReadPolicy" in policy:
                assert function_id == "IngestFunction"
        for statement in statements(template, function_id):
            assert statement["Effect"] == "Allow"
            assert statement["Resource"] != "*", function_id
            assert "*" not in statement["Resource"], function_id
            for action in actions(statement):
                assert action.startswith("dynamodb:"), (function_id, action)
                assert "*" not in action, (function_id, action)


def test_table_statements_are_limited_to_leading_keys(template: Template) -> None:
    for function_id in template.functions():
        for statement in statements(template, function_id):
            if statement["Resource"] in (TABLE_ARN, SALTS_ARN):
                assert leading_keys(statement), (function_id, statement.get("Sid"))
            else:
                # The only other resource: the catalog index, queried by the ranking run.
                assert function_id == "RankFunction"
                assert statement["Resource"] == {"Fn::Sub": "${ViewsTable.Arn}/index/catalog"}
                assert actions(statement) == ["dynamodb:Query"]


def test_read_function_cannot_write(template: Template) -> None:
    for statement in statements(template, "ReadFunction"):
        for action in actions(statement):
            assert not action.endswith(WRITE_ACTIONS), action
        # and editorial: the reader applies today's exclusions to a calendar period's list (one Query)
        assert set(leading_keys(statement) or []) <= {"list#*", "counts#*", "article#*", "archlist#*", "editorial"}


def test_track_function_touches_only_views_and_salts(template: Template) -> None:
    granted: dict[str, set[str]] = {}
    for statement in statements(template, "TrackFunction"):
        table = statement["Resource"]["Fn::GetAtt"][0]
        granted.setdefault(table, set()).update(actions(statement))
        assert leading_keys(statement) == {"ViewsTable": ["view#*"], "SaltsTable": ["salt#*"]}[table]
    # views are only ever added (a conditional put) and marked engaged once (a conditional update); salts are read,
    # created, and deleted after 48 h
    assert granted == {
        "ViewsTable": {"dynamodb:PutItem", "dynamodb:UpdateItem"},
        "SaltsTable": {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"},
    }
    # besides, only the ranking run touches the salts, and only to delete old ones: it can never read one
    for function_id in set(template.functions()) - {"TrackFunction"}:
        on_salts = [statement for statement in statements(template, function_id) if statement["Resource"] == SALTS_ARN]
        if function_id != "RankFunction":
            assert on_salts == [], function_id
            continue
        assert [actions(statement) for statement in on_salts] == [["dynamodb:DeleteItem"]]
        assert [leading_keys(statement) for statement in on_salts] == [["salt#*"]]


def test_writers_write_only_their_own_keys(template: Template) -> None:
    def written(function_id: str) -> set[str]:
        """Keys written in the views table (the salts table: test_track_function_touches_only_views_and_salts)."""
        keys: set[str] = set()
        for statement in statements(template, function_id):
            if statement["Resource"] == SALTS_ARN:
                continue
            if any(action.endswith(WRITE_ACTIONS) for action in actions(statement)):
                keys.update(leading_keys(statement) or ["<unrestricted>"])
        return keys

    assert written("IngestFunction") == {"log#*", "slots"}
    assert written("CatalogFunction") == {"article#*", "catalog-log"}
    assert written("RankFunction") == {
        "orow#*",
        "sum#*",
        "osum#*",
        "base#*",
        "list#*",
        "counts#*",
        "state#*",
        "slots",
        "arch#*",
        "archlist#*",
    }
    assert written("EditorialFunction") == {"editorial"}


def test_editorial_function_manages_only_the_editorial_partition(template: Template) -> None:
    from mostread import keys

    granted: set[str] = set()
    for statement in statements(template, "EditorialFunction"):
        granted.update(actions(statement))
        assert statement["Resource"] == TABLE_ARN
        assert leading_keys(statement) == [keys.EDITORIAL]  # the exact partition, no wildcard
    # No GetItem or UpdateItem: a PUT replaces the item, a DELETE's condition detects the 404, one Query lists.
    assert granted == EDITORIAL_ACTIONS
    for function_id in template.functions():
        for statement in statements(template, function_id):
            if function_id != "EditorialFunction" and "editorial" in (leading_keys(statement) or []):
                # the ranking run reads the controls, the reader queries them for a calendar period's list; neither
                # writes them
                assert function_id in ("RankFunction", "ReadFunction")
                assert "dynamodb:Query" in actions(statement)
                assert not any(action.endswith(WRITE_ACTIONS) for action in actions(statement))


# --- table -------------------------------------------------------------------------------------------


def test_table_settings(template: Template) -> None:
    resource = template.resources["ViewsTable"]
    properties = table_properties(template)
    assert resource["DeletionPolicy"] == "Retain"
    assert resource["UpdateReplacePolicy"] == "Retain"
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert properties["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert properties["StreamSpecification"]["StreamViewType"] == "NEW_IMAGE"
    assert properties["SSESpecification"]["SSEEnabled"] is True


def test_salts_table_keeps_no_copy_of_a_salt(template: Template) -> None:
    # A salt deleted after 48 h must not come back: no point-in-time recovery (35 days of restorable history), no
    # stream (24 h of records, REMOVE records included), and nothing retained when the stack goes.
    resource = template.resources["SaltsTable"]
    properties = resource["Properties"]
    assert resource["DeletionPolicy"] == "Delete"
    assert resource["UpdateReplacePolicy"] == "Delete"
    assert properties.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled", False) is False
    assert "StreamSpecification" not in properties
    assert "KinesisStreamSpecification" not in properties
    assert properties["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert properties["SSESpecification"]["SSEEnabled"] is True
    assert all(consumer.table_logical_id != "SaltsTable" for consumer in template.stream_consumers())
    # no backup plan or other resource refers to the salts table but the functions' policies and environment, and
    # the alarms and dashboard, which read its CloudWatch metrics (throttles, consumed units), never its items
    readers = ("AWS::Serverless::Function", "AWS::CloudWatch::Alarm", "AWS::CloudWatch::Dashboard")
    for logical_id, other in template.resources.items():
        if logical_id != "SaltsTable" and other["Type"] not in readers:
            assert "SaltsTable" not in str(other), logical_id
    salts = next(spec for spec in template.tables(template.table_names("t")) if spec.logical_id == "SaltsTable")
    assert "StreamSpecification" not in salts.create_kwargs


def test_loader_table_spec(template: Template) -> None:
    spec, salts = template.tables(template.table_names("local-views"))
    assert (spec.logical_id, salts.logical_id, salts.table_name) == ("ViewsTable", "SaltsTable", "local-views-salts")
    assert spec.table_name == "local-views"
    assert spec.ttl_attribute == "expires_at"
    kwargs = spec.create_kwargs
    assert kwargs["BillingMode"] == "PAY_PER_REQUEST"
    assert kwargs["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    assert [k["AttributeName"] for k in kwargs["KeySchema"]] == ["pk", "sk"]
    assert template.tables()[0].table_name == "ViewsTable"


def test_loader_tables_are_created_in_moto(ddb_table: str) -> None:
    client = boto3.client("dynamodb")
    table = client.describe_table(TableName=ddb_table)["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    assert table["LatestStreamArn"]
    [index] = table["GlobalSecondaryIndexes"]
    assert index["IndexName"] == "catalog"
    assert [k["AttributeName"] for k in index["KeySchema"]] == ["catalog_shard", "article_id"]
    assert index["Projection"]["ProjectionType"] == "INCLUDE"
    assert set(index["Projection"]["NonKeyAttributes"]) == {"section", "published_at", "version", "story_id"}
    ttl = client.describe_time_to_live(TableName=ddb_table)["TimeToLiveDescription"]
    assert ttl["TimeToLiveStatus"] == "ENABLED"
    assert ttl["AttributeName"] == "expires_at"
    assert os.environ["TABLE_NAME"] == ddb_table


# --- the loader's parsing ----------------------------------------------------------------------------


def test_short_tags_become_long_form() -> None:
    document = parse_template_text(
        """
        A: !Ref Thing
        B: !GetAtt Table.StreamArn
        C: !Sub "https://${Api}.example/"
        D: !Select [3, !Split ["/", !GetAtt Table.StreamArn]]
        E: !If [IsProd, !Join [",", [a, b]], !Ref AWS::NoValue]
        F: !GetAtt [Table, Arn]
        G: !Sub ["${x}", {x: !Ref Y}]
        """
    )
    assert document["A"] == {"Ref": "Thing"}
    assert document["B"] == {"Fn::GetAtt": ["Table", "StreamArn"]}
    assert document["C"] == {"Fn::Sub": "https://${Api}.example/"}
    assert document["D"] == {"Fn::Select": [3, {"Fn::Split": ["/", {"Fn::GetAtt": ["Table", "StreamArn"]}]}]}
    assert document["E"] == {"Fn::If": ["IsProd", {"Fn::Join": [",", ["a", "b"]]}, {"Ref": "AWS::NoValue"}]}
    assert document["F"] == {"Fn::GetAtt": ["Table", "Arn"]}
    assert document["G"] == {"Fn::Sub": ["${x}", {"x": {"Ref": "Y"}}]}


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [("rate(1 minute)", 60), ("rate(5 minutes)", 300), ("rate(10 seconds)", 10), ("rate(2 hours)", 7200)],
)
def test_parse_rate(expression: str, seconds: int) -> None:
    assert parse_rate(expression) == seconds


@pytest.mark.parametrize("expression", ["cron(0 * * * ? *)", "rate(0 minutes)", "rate(minute)", None])
def test_parse_rate_rejects_what_it_cannot_run(expression: str | None) -> None:
    with pytest.raises(TemplateError):
        parse_rate(expression)


def test_stream_filter_syntax() -> None:
    patterns = [{"eventName": ["INSERT", "MODIFY"], "dynamodb": {"NewImage": {"n": {"N": [{"prefix": "1"}]}}}}]
    assert matches_stream_filter(patterns, {"eventName": "MODIFY", "dynamodb": {"NewImage": {"n": {"N": "12"}}}})
    assert not matches_stream_filter(patterns, {"eventName": "MODIFY", "dynamodb": {"NewImage": {}}})
    assert not matches_stream_filter(patterns, {"eventName": "MODIFY"})
    assert matches_stream_filter([], {"anything": 1})
    # Any pattern may match.
    assert matches_stream_filter([{"a": ["x"]}, {"a": ["y"]}], {"a": "y"})
    # Exact values are typed: the string "1" is not the number 1, and True is not 1.
    assert not matches_stream_filter([{"a": ["1"]}], {"a": 1})
    assert not matches_stream_filter([{"a": [1]}], {"a": True})
    assert matches_stream_filter([{"a": [None]}], {"a": None})
    # A list in the record matches when any element does.
    assert matches_stream_filter([{"a": ["x"]}], {"a": ["w", "x"]})
    # exists, as Lambda reads it: a present leaf (a JSON primitive), or an absent key
    exists = [{"d": {"g": {"N": [{"exists": True}]}}}]
    assert matches_stream_filter(exists, {"d": {"g": {"N": "1"}}})
    assert not matches_stream_filter(exists, {"d": {"h": {"N": "1"}}})
    assert not matches_stream_filter(exists, {"d": {"g": {"N": {"nested": 1}}}})
    assert matches_stream_filter([{"d": {"g": [{"exists": False}]}}], {"d": {"h": 1}})
    assert not matches_stream_filter([{"d": {"g": [{"exists": False}]}}], {"d": {"g": 1}})
    # Only what template.yaml uses is understood: an operator it does not use is refused, never guessed.
    for operator in ({"wildcard": "x*"}, {"anything-but": ["x"]}, {"numeric": [">", 0]}):
        with pytest.raises(ValueError, match="unsupported filter operator"):
            matches_stream_filter([{"a": [operator]}], {"a": "xy"})


def test_default_template_path_is_the_repository_template() -> None:
    assert DEFAULT_TEMPLATE_PATH == ROOT / "template.yaml"
    assert load_template().path == ROOT / "template.yaml"


# --- packaging and validation ------------------------------------------------------------------------


def test_layer_requirements_match_the_project_dependencies(template: Template) -> None:
    layer = template.resources["SharedLayer"]
    assert layer["Properties"]["ContentUri"] == "shared/"
    # built by shared/Makefile, which compiles the layer's bytecode (tests/infrastructure/test_layer_build.py)
    assert layer["Metadata"] == {"BuildMethod": "makefile", "BuildArchitecture": "arm64"}
    assert "build-SharedLayer:" in (ROOT / "shared" / "Makefile").read_text()
    requirements_file = ROOT / "shared" / "requirements.txt"
    assert requirements_file.is_file()
    requirements = [
        line.strip()
        for line in requirements_file.read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert requirements
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    for requirement in requirements:
        assert requirement in dependencies, f"{requirement} is in shared/requirements.txt, not in pyproject"


def _sam_executable() -> str | None:
    for candidate in (ROOT / ".venv-sam" / "bin" / "sam", Path("/tmp/samvenv/bin/sam")):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which("sam")


def test_sam_validate_lint(tmp_path: Path) -> None:
    sam = _sam_executable()
    if sam is None:
        pytest.skip("SAM CLI not found in .venv-sam/bin, /tmp/samvenv/bin or on PATH (`make` installs it)")
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith("AWS_") and not name.startswith("SAM_")
    }
    environment.update(
        AWS_DEFAULT_REGION="eu-west-1",
        AWS_CONFIG_FILE=str(tmp_path / "aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "aws-credentials"),
        SAM_CLI_TELEMETRY="0",
        HOME=str(tmp_path),
    )
    result = subprocess.run(
        [sam, "validate", "--lint", "--template-file", str(DEFAULT_TEMPLATE_PATH)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_log_re_read_margin_outlasts_the_stream_consumers_timeout(template: Template) -> None:
    """A log chunk is stamped before it is written and becomes visible at most the ingest function's timeout later;
    the ranking run re-reads that far back, or it would skip a chunk that appeared behind its read position."""
    from mostread.services.ranking.context import LOG_MARGIN_MS

    assert int(template.function_property("IngestFunction", "Timeout")) + 10 < LOG_MARGIN_MS / 1000


def test_a_dynamodb_call_gives_up_within_every_functions_timeout(
    template: Template, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every attempt connecting and reading for as long as allowed, plus standard mode's longest backoffs (up to
    20 s each, https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html, capped well below by
    its base of 1 s × 2^attempt): still under the shortest function timeout, so a 503 comes back, not a timeout."""
    from mostread.dal import client as dal_client

    monkeypatch.delenv("AWS_ENDPOINT_URL_DYNAMODB", raising=False)  # a deployed function's configuration
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    dal_client.dynamodb.cache_clear()
    try:
        config = dal_client.dynamodb().meta.config
    finally:
        dal_client.dynamodb.cache_clear()
    attempts = config.retries["total_max_attempts"]
    backoff = sum(2**attempt for attempt in range(attempts - 1))  # 1 s + 2 s between three attempts at most
    worst = attempts * (config.connect_timeout + config.read_timeout) + backoff
    timeouts = [int(template.function_property(function_id, "Timeout")) for function_id in template.functions()]
    assert worst < min(timeouts)
