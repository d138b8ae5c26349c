"""The deploy rehearsal (rehearsal.py): what CloudFormation creates from template.yaml, in two stacks covering
both branches of every condition. Where moto cannot create a resource, its resolved properties are checked
(moto_cloudformation.RECORDED); where SAM alone decides (managed policies, the API's OpenAPI body), the
translated template is."""

from __future__ import annotations

import ast
import fnmatch
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from mostread_dev.template import Template, load_template

from tests.infrastructure.rehearsal import REGION, Rehearsal, Stack

CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
BASIC_EXECUTION_ROLE = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
# SAM attaches it to a function with a DynamoDB event: stream reads on every stream of the account ("*")
DYNAMODB_EXECUTION_ROLE = "arn:aws:iam::aws:policy/service-role/AWSLambdaDynamoDBExecutionRole"
# the query parameters GET /v1/rankings reads, and those a later issue adds
RANKINGS_QUERY = {"window", "section", "limit", "kind", "period", "format"}
TRACKER_HEADERS = {
    "content-type",
    "user-agent",
    "purpose",
    "sec-purpose",
    "x-purpose",
    "x-moz",
    "cloudfront-viewer-address",  # the reader's address as CloudFront saw it (mostread.visitor.client_ip)
}
DASHBOARD_METRICS = {
    "ViewsAccepted",
    "ViewsDuplicate",
    "ViewsIgnored",
    "IgnoredCrawler",
    "IgnoredPrefetch",
    "IgnoredNoUserAgent",
    "ViewsCapped",
    "RankingRunSeconds",
    "RankingAgeSeconds",
    "ServiceUnavailable",
}
PRICES = ("0.625", "0.125", "1.00", "0.20", "0.0000133334")
PRICE_SOURCES = (
    "https://aws.amazon.com/dynamodb/pricing/on-demand/",
    "https://aws.amazon.com/api-gateway/pricing/",
    "https://aws.amazon.com/lambda/pricing/",
)


@pytest.fixture(scope="module")
def template() -> Template:
    return load_template()


def both(rehearsal: Rehearsal) -> Iterator[Stack]:
    yield rehearsal.default
    yield rehearsal.other


def functions(stack: Stack) -> dict[str, str]:
    return stack.of_type("AWS::Lambda::Function")


def configuration(rehearsal: Rehearsal, stack: Stack, function_id: str) -> dict[str, Any]:
    found: dict[str, Any] = rehearsal.client("lambda").get_function_configuration(
        FunctionName=stack.physical(function_id)
    )
    return found


def table_arn(stack: Stack, table_id: str) -> str:
    return f"arn:aws:dynamodb:{REGION}:123456789012:table/{stack.physical(table_id)}"


# --- tables ------------------------------------------------------------------------------------------


def test_views_table(rehearsal: Rehearsal) -> None:
    dynamodb = rehearsal.client("dynamodb")
    for stack in both(rehearsal):
        name = stack.physical("ViewsTable")
        table = dynamodb.describe_table(TableName=name)["Table"]
        assert [(k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]] == [("pk", "HASH"), ("sk", "RANGE")]
        assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
        assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
        assert table["DeletionProtectionEnabled"] is True
        assert [index["IndexName"] for index in table["GlobalSecondaryIndexes"]] == ["catalog"]
        ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "expires_at")
        backups = dynamodb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
        assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"


def test_salts_table_has_no_backups_and_no_stream(rehearsal: Rehearsal) -> None:
    dynamodb = rehearsal.client("dynamodb")
    for stack in both(rehearsal):
        name = stack.physical("SaltsTable")
        table = dynamodb.describe_table(TableName=name)["Table"]
        assert [(k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]] == [("pk", "HASH"), ("sk", "RANGE")]
        assert not table.get("StreamSpecification", {}).get("StreamEnabled", False)
        assert "LatestStreamArn" not in table
        # deleted with the stack, unlike the views (Retain and deletion protection)
        assert table.get("DeletionProtectionEnabled", False) is False
        ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "expires_at")
        backups = dynamodb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
        assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "DISABLED"
    resources = rehearsal.translated["Resources"]
    assert resources["ViewsTable"]["DeletionPolicy"] == "Retain"
    assert resources["SaltsTable"]["DeletionPolicy"] == "Delete"


# --- functions ---------------------------------------------------------------------------------------


def test_functions_run_python_312_on_arm64_with_the_template_settings(rehearsal: Rehearsal, template: Template) -> None:
    [layer_arn] = rehearsal.default.of_type("AWS::Lambda::LayerVersion").values()
    assert set(functions(rehearsal.default)) == set(template.functions())
    for function_id in template.functions():
        found = configuration(rehearsal, rehearsal.default, function_id)
        assert found["Runtime"] == "python3.12", function_id
        assert found["Architectures"] == ["arm64"], function_id
        assert found["Handler"] == "app.handler", function_id
        assert found["MemorySize"] == template.function_property(function_id, "MemorySize"), function_id
        assert found["Timeout"] == template.function_property(function_id, "Timeout"), function_id
        assert [layer["Arn"] for layer in found["Layers"]] == [layer_arn], function_id
        assert "ReservedConcurrentExecutions" not in rehearsal.translated["Resources"][function_id]["Properties"]


def test_function_environment(rehearsal: Rehearsal, template: Template) -> None:
    expected_names = set(template.function_environment(None, template.table_names("t")))
    for stack, log_level in ((rehearsal.default, "INFO"), (rehearsal.other, "DEBUG")):
        for function_id in functions(stack):
            variables = {
                k: str(v) for k, v in configuration(rehearsal, stack, function_id)["Environment"]["Variables"].items()
            }
            assert set(variables) == expected_names, function_id
            assert variables["TABLE_NAME"] == stack.physical("ViewsTable")
            assert variables["SALTS_TABLE_NAME"] == stack.physical("SaltsTable")
            assert variables["POWERTOOLS_LOG_LEVEL"] == log_level
            assert (variables["POWERTOOLS_SERVICE_NAME"], variables["POWERTOOLS_METRICS_NAMESPACE"]) == (
                "mostread",
                "mostread",
            )
            # the events hold the reader's source IP: they are never logged
            assert "POWERTOOLS_LOGGER_LOG_EVENT" not in variables


def test_client_address_is_trusted_from_cloudfront_only(rehearsal: Rehearsal) -> None:
    stack = rehearsal.default
    stack_uuid = stack.stack_id.split("/")[2]
    assert re.fullmatch(r"[0-9a-f-]{36}", stack_uuid)
    [origin] = stack.recorded("CdnDistribution")["DistributionConfig"]["Origins"]
    assert origin["OriginCustomHeaders"] == [{"HeaderName": "x-mostread-proxy-secret", "HeaderValue": stack_uuid}]
    for function_id in functions(stack):
        variables = configuration(rehearsal, stack, function_id)["Environment"]["Variables"]
        assert (str(variables["TRUSTED_PROXY_HOPS"]), variables["TRUSTED_PROXY_SECRET"]) == ("1", stack_uuid)
    # without the CDN: the API's source address, and no secret to expect
    for function_id in functions(rehearsal.other):
        variables = configuration(rehearsal, rehearsal.other, function_id)["Environment"]["Variables"]
        assert (str(variables["TRUSTED_PROXY_HOPS"]), variables["TRUSTED_PROXY_SECRET"]) == ("0", "")


def test_ranking_runs_every_minute_without_retries(rehearsal: Rehearsal) -> None:
    events = rehearsal.client("events")
    for stack in both(rehearsal):
        [rule_name] = stack.of_type("AWS::Events::Rule").values()
        rule = events.describe_rule(Name=rule_name)
        assert (rule["ScheduleExpression"], rule["State"]) == ("rate(1 minute)", "ENABLED")
        [target] = events.list_targets_by_rule(Rule=rule_name)["Targets"]
        assert target["Arn"] == configuration(rehearsal, stack, "RankFunction")["FunctionArn"]
        invoke = stack.recorded("RankFunctionEventInvokeConfig")
        assert (invoke["MaximumRetryAttempts"], invoke["MaximumEventAgeInSeconds"]) == (0, 60)


def test_stream_consumer(rehearsal: Rehearsal) -> None:
    client = rehearsal.client("lambda")
    stack = rehearsal.default
    [mapping] = client.list_event_source_mappings(FunctionName=stack.physical("IngestFunction"))["EventSourceMappings"]
    table = rehearsal.client("dynamodb").describe_table(TableName=stack.physical("ViewsTable"))["Table"]
    queue_url = stack.physical("IngestFailureQueue")
    queue_arn = rehearsal.client("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    assert mapping["EventSourceArn"] == table["LatestStreamArn"]
    assert (mapping["BatchSize"], mapping["MaximumBatchingWindowInSeconds"]) == (1000, 5)
    assert mapping["StartingPosition"] == "TRIM_HORIZON"
    assert mapping["BisectBatchOnFunctionError"] is True
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert (mapping["MaximumRetryAttempts"], mapping["MaximumRecordAgeInSeconds"]) == (10, 21600)
    assert mapping["DestinationConfig"]["OnFailure"]["Destination"] == queue_arn["Attributes"]["QueueArn"]
    patterns = [json.loads(f["Pattern"]) for f in mapping["FilterCriteria"]["Filters"]]
    assert patterns == [
        {"eventName": ["INSERT"], "dynamodb": {"Keys": {"pk": {"S": [{"prefix": "view#"}]}}}},
        {
            "eventName": ["MODIFY"],
            "dynamodb": {"Keys": {"pk": {"S": [{"prefix": "view#"}]}}, "NewImage": {"g": {"N": [{"exists": True}]}}},
        },
    ]
    assert len(stack.of_type("AWS::Lambda::EventSourceMapping")) == 1


def test_failure_queue(rehearsal: Rehearsal) -> None:
    attributes = rehearsal.client("sqs").get_queue_attributes(
        QueueUrl=rehearsal.default.physical("IngestFailureQueue"), AttributeNames=["All"]
    )["Attributes"]
    assert attributes["MessageRetentionPeriod"] == "1209600"
    assert attributes["SqsManagedSseEnabled"] == "true"


# --- least privilege ---------------------------------------------------------------------------------


def role_statements(rehearsal: Rehearsal, stack: Stack, role_id: str) -> list[dict[str, Any]]:
    iam = rehearsal.client("iam")
    role = stack.physical(role_id)
    found: list[dict[str, Any]] = []
    for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
        document = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
        if isinstance(document, str):
            # moto keeps a policy that CloudFormation gave it as a dict in Python's notation, not JSON
            document = ast.literal_eval(document)
        found.extend(document["Statement"])
    return found


def test_roles_grant_only_this_stack_and_only_by_key(rehearsal: Rehearsal) -> None:
    stack = rehearsal.default
    views, salts = table_arn(stack, "ViewsTable"), table_arn(stack, "SaltsTable")
    queue_arn = rehearsal.client("sqs").get_queue_attributes(
        QueueUrl=stack.physical("IngestFailureQueue"), AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    stream_arn = rehearsal.client("dynamodb").describe_table(TableName=stack.physical("ViewsTable"))["Table"][
        "LatestStreamArn"
    ]
    roles = stack.of_type("AWS::IAM::Role")
    assert set(roles) == {f"{function_id}Role" for function_id in functions(stack)}
    for role_id in roles:
        # SAM's role: assumed by Lambda only, with the basic execution policy (its own log group) and nothing else
        # (but the stream consumer's: test_stream_consumer_reads_only_its_own_stream)
        properties = rehearsal.translated["Resources"][role_id]["Properties"]
        managed = [
            arn
            for arn in properties["ManagedPolicyArns"]
            if role_id != "IngestFunctionRole" or arn != DYNAMODB_EXECUTION_ROLE
        ]
        assert managed == [BASIC_EXECUTION_ROLE], role_id
        [trust] = properties["AssumeRolePolicyDocument"]["Statement"]
        assert trust["Principal"] == {"Service": ["lambda.amazonaws.com"]}
        for statement in role_statements(rehearsal, stack, role_id):
            assert statement["Effect"] == "Allow"
            statement_actions = [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
            resources = [statement["Resource"]] if isinstance(statement["Resource"], str) else statement["Resource"]
            assert all("*" not in action for action in statement_actions), (role_id, statement)
            for resource in resources:
                if resource in (views, salts):
                    # item access: limited to the partition keys the function owns
                    assert statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"], role_id
                elif resource == f"{views}/index/catalog":
                    assert (role_id, statement_actions) == ("RankFunctionRole", ["dynamodb:Query"])
                elif resource in (stream_arn, f"{views}/stream/*"):
                    assert role_id == "IngestFunctionRole"
                    assert set(statement_actions) <= {
                        "dynamodb:DescribeStream",
                        "dynamodb:GetRecords",
                        "dynamodb:GetShardIterator",
                        "dynamodb:ListStreams",
                    }
                else:
                    assert (role_id, resource, statement_actions) == (
                        "IngestFunctionRole",
                        queue_arn,
                        ["sqs:SendMessage"],
                    )
    assert role_statements(rehearsal, stack, "AssetsFunctionRole") == []


def test_stream_consumer_reads_only_its_own_stream(rehearsal: Rehearsal) -> None:
    """SAM attaches AWSLambdaDynamoDBExecutionRole (every stream in the account) to the consumer's role; the
    permissions boundary limits the role to its own stream, table, queue and logs."""
    properties = rehearsal.translated["Resources"]["IngestFunctionRole"]["Properties"]
    assert properties["PermissionsBoundary"] == {"Ref": "IngestPermissionsBoundary"}
    boundary = rehearsal.translated["Resources"]["IngestPermissionsBoundary"]["Properties"]["PolicyDocument"]
    resources = {statement["Sid"]: statement["Resource"] for statement in boundary["Statement"]}
    assert resources["ReadOwnStream"] == {"Fn::GetAtt": ["ViewsTable", "StreamArn"]}
    assert resources["WriteViewLog"] == {"Fn::GetAtt": ["ViewsTable", "Arn"]}
    assert resources["SendFailedBatches"] == {"Fn::GetAtt": ["IngestFailureQueue", "Arn"]}
    assert all("*" not in str(statement["Action"]) for statement in boundary["Statement"])


# --- logs and alarms ---------------------------------------------------------------------------------


def test_every_function_has_a_log_group_with_retention(rehearsal: Rehearsal) -> None:
    logs = rehearsal.client("logs")
    for stack, days in ((rehearsal.default, 30), (rehearsal.other, 7)):
        expected = {f"/aws/lambda/{name}" for name in functions(stack).values()}
        assert set(stack.of_type("AWS::Logs::LogGroup").values()) == expected
        for name in expected:
            [group] = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
            assert group["retentionInDays"] == days


def alarms(rehearsal: Rehearsal, stack: Stack) -> dict[str, dict[str, Any]]:
    names = list(stack.of_type("AWS::CloudWatch::Alarm").values())
    described = rehearsal.client("cloudwatch").describe_alarms(AlarmNames=names)["MetricAlarms"]
    by_name = {alarm["AlarmName"]: alarm for alarm in described}
    assert set(by_name) == set(names)
    return {logical_id: by_name[name] for logical_id, name in stack.of_type("AWS::CloudWatch::Alarm").items()}


def metric(alarm: dict[str, Any], query_id: str) -> dict[str, Any]:
    [found] = [query for query in alarm["Metrics"] if query["Id"] == query_id]
    return found


def test_alarms_notify_the_topic_only_when_one_is_given(rehearsal: Rehearsal) -> None:
    for alarm in alarms(rehearsal, rehearsal.default).values():
        assert (alarm["AlarmActions"], alarm["OKActions"]) == ([], []), alarm["AlarmName"]
    for alarm in alarms(rehearsal, rehearsal.other).values():
        assert alarm["AlarmActions"] == alarm["OKActions"] == [rehearsal.topic_arn], alarm["AlarmName"]
        assert alarm["AlarmName"].startswith(rehearsal.other.name + "-")


def test_every_function_alarms_on_errors_and_throttles(rehearsal: Rehearsal) -> None:
    stack = rehearsal.default
    watched: dict[str, set[str]] = {"Errors": set(), "Throttles": set()}
    for alarm in alarms(rehearsal, stack).values():
        if alarm.get("Namespace") == "AWS/Lambda" and alarm.get("MetricName") in watched:
            [dimension] = alarm["Dimensions"]
            assert dimension["Name"] == "FunctionName"
            watched[alarm["MetricName"]].add(dimension["Value"])
            assert (alarm["Statistic"], alarm["Period"], alarm["Threshold"]) == ("Sum", 60, 1.0)
            assert alarm["TreatMissingData"] == "notBreaching"
    assert watched == {"Errors": set(functions(stack).values()), "Throttles": set(functions(stack).values())}


def test_table_throttle_alarms_cover_both_tables(rehearsal: Rehearsal) -> None:
    stack = rehearsal.default
    found = alarms(rehearsal, stack)
    for table_id in ("ViewsTable", "SaltsTable"):
        query = metric(found[f"{table_id}ThrottleAlarm"], "throttled")
        assert query["Expression"].startswith('SELECT SUM(ThrottledRequests) FROM SCHEMA("AWS/DynamoDB"')
        assert query["Expression"].endswith(f"WHERE TableName = '{stack.physical(table_id)}'")
        assert query["Period"] == 60


def test_ranking_staleness_alarm_counts_a_silent_minute_as_a_missed_run(rehearsal: Rehearsal) -> None:
    alarm = alarms(rehearsal, rehearsal.default)["RankingStaleAlarm"]
    # the names Powertools Metrics publishes under (the functions' environment)
    assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == ("mostread", "RankingRuns", "Sum")
    assert alarm["Dimensions"] == [{"Name": "service", "Value": "mostread"}]
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("LessThanThreshold", 1.0)
    assert (alarm["Period"], alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"]) == (60, 5, 5)
    assert alarm["TreatMissingData"] == "breaching"


def test_stream_alarms(rehearsal: Rehearsal, template: Template) -> None:
    stack = rehearsal.default
    found = alarms(rehearsal, stack)
    queue = found["IngestFailureQueueAlarm"]
    queue_name = stack.physical("IngestFailureQueue").rsplit("/", 1)[1]
    assert (queue["Namespace"], queue["MetricName"]) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
    assert queue["Dimensions"] == [{"Name": "QueueName", "Value": queue_name}]
    assert (queue["ComparisonOperator"], queue["Threshold"]) == ("GreaterThanOrEqualToThreshold", 1.0)
    behind = found["IngestIteratorAgeAlarm"]
    age = metric(behind, "age")["MetricStat"]
    assert (age["Metric"]["MetricName"], age["Stat"]) == ("IteratorAge", "Maximum")
    assert age["Metric"]["Dimensions"] == [{"Name": "FunctionName", "Value": stack.physical("IngestFunction")}]
    assert metric(behind, "behind")["Expression"] == "age / 1000"  # milliseconds to the grace's seconds
    assert behind["Threshold"] == float(template.parameter_defaults()["IngestGraceSeconds"])


def test_api_error_rate_alarm(rehearsal: Rehearsal) -> None:
    alarm = alarms(rehearsal, rehearsal.default)["ApiServerErrorRateAlarm"]
    api_id = rehearsal.default.physical("HttpApi")
    for query_id, name in (("errors", "5xx"), ("requests", "Count")):
        stat = metric(alarm, query_id)["MetricStat"]
        assert (stat["Metric"]["Namespace"], stat["Metric"]["MetricName"]) == ("AWS/ApiGateway", name)
        assert stat["Metric"]["Dimensions"] == [{"Name": "ApiId", "Value": api_id}]
    assert "100 * FILL(errors, 0) / requests" in metric(alarm, "rate")["Expression"]
    assert (alarm["Threshold"], alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"]) == (1.0, 5, 3)


# --- dashboard ---------------------------------------------------------------------------------------


def dashboard(rehearsal: Rehearsal, stack: Stack) -> dict[str, Any]:
    body = rehearsal.client("cloudwatch").get_dashboard(DashboardName=stack.physical("Dashboard"))["DashboardBody"]
    found: dict[str, Any] = json.loads(body)
    return found


def metric_lines(body: dict[str, Any]) -> Iterator[list[Any]]:
    for widget in body["widgets"]:
        yield from widget.get("properties", {}).get("metrics", [])


def test_dashboard_shows_the_service_metrics(rehearsal: Rehearsal) -> None:
    body = dashboard(rehearsal, rehearsal.default)
    ours = [line for line in metric_lines(body) if line[0] == "mostread"]
    assert {line[1] for line in ours} >= DASHBOARD_METRICS
    for line in ours:
        assert line[2:4] == ["service", "mostread"], line
    text = json.dumps(body)
    api_id = rehearsal.default.physical("HttpApi")
    for stat in ("p50", "p99"):
        assert f"ApiId=\\\"{api_id}\\\"', '{stat}', 60)" in text
    for table_id in ("ViewsTable", "SaltsTable"):
        for units in ("ConsumedReadCapacityUnits", "ConsumedWriteCapacityUnits"):
            assert ["AWS/DynamoDB", units, "TableName", rehearsal.default.physical(table_id)] in [
                line[:4] for line in metric_lines(body)
            ]
    [alarm_widget] = [widget for widget in body["widgets"] if widget["type"] == "alarm"]
    expected = {alarm["AlarmArn"] for alarm in alarms(rehearsal, rehearsal.default).values()}
    assert set(alarm_widget["properties"]["alarms"]) == expected


def test_dashboard_cost_line_uses_stated_prices_and_every_function(rehearsal: Rehearsal) -> None:
    stack = rehearsal.default
    body = dashboard(rehearsal, stack)
    [cost] = [w for w in body["widgets"] if "Cost per million" in w.get("properties", {}).get("title", "")]
    lines = cost["properties"]["metrics"]
    expressions = {line[0]["id"]: line[0]["expression"] for line in lines if isinstance(line[0], dict)}
    ids = {line[-1]["id"]: line[:4] for line in lines if isinstance(line[0], str)}
    for price in PRICES:
        assert price in expressions["cost"]
    [text] = [w["properties"]["markdown"] for w in body["widgets"] if w["type"] == "text"]
    for price in PRICES:
        assert "$" + price in text
    for url in PRICE_SOURCES:
        assert url in text
    # GB-seconds: each function's duration at its configured memory
    for function_id, name in functions(stack).items():
        short = function_id.removesuffix("Function")
        assert ids[f"inv{short}"] == ["AWS/Lambda", "Invocations", "FunctionName", name]
        assert ids[f"dur{short}"] == ["AWS/Lambda", "Duration", "FunctionName", name]
        memory = configuration(rehearsal, stack, function_id)["MemorySize"]
        assert re.search(rf"FILL\(dur{short}, 0\) \* {memory}\b", expressions["gbs"]), function_id
    assert ids["views"] == ["mostread", "ViewsAccepted", "service", "mostread"]
    assert ids["api"] == ["AWS/ApiGateway", "Count", "ApiId", stack.physical("HttpApi")]
    assert expressions["perMillion"] == "1000000 * cost / views"


def test_dashboard_shows_cloudfront_only_with_the_cdn(rehearsal: Rehearsal) -> None:
    def cloudfront(stack: Stack) -> list[list[Any]]:
        return [line for line in metric_lines(dashboard(rehearsal, stack)) if line[0] == "AWS/CloudFront"]

    distribution = rehearsal.default.physical("CdnDistribution")
    assert cloudfront(rehearsal.default)
    assert all(
        line[2:6] == ["DistributionId", distribution, "Region", "Global"] for line in cloudfront(rehearsal.default)
    )
    assert cloudfront(rehearsal.other) == []


# --- HTTP API ----------------------------------------------------------------------------------------


def test_http_api_routes_auth_and_route_metrics(rehearsal: Rehearsal, template: Template) -> None:
    api = rehearsal.default.recorded("HttpApi")
    paths = api["Body"]["paths"]
    any_method = "x-amazon-apigateway-any-method"  # how SAM writes Method: ANY (the $default route)
    for route in template.http_routes():
        operation = paths[route.path][any_method if route.method == "ANY" else route.method.lower()]
        iam = operation.get("security") == [{"AWS_IAM": []}]
        assert iam == route.iam_auth, route.route_key
    served = {
        ("ANY" if method == any_method else method.upper(), path)
        for path, operations in paths.items()
        for method in operations
    }
    assert served == {(route.method, route.path) for route in template.http_routes()}
    stage = rehearsal.default.recorded("HttpApiApiGatewayDefaultStage")
    assert stage["StageName"] == "$default"
    assert stage["DefaultRouteSettings"]["DetailedMetricsEnabled"] is True
    assert all(settings["DetailedMetricsEnabled"] is True for settings in stage["RouteSettings"].values())
    assert "AccessLogSettings" not in stage  # an access log would record every reader's address


# --- CDN ---------------------------------------------------------------------------------------------


def distribution(stack: Stack) -> dict[str, Any]:
    config: dict[str, Any] = stack.recorded("CdnDistribution")["DistributionConfig"]
    return config


def behaviours(stack: Stack) -> dict[str, dict[str, Any]]:
    config = distribution(stack)
    return {"default": config["DefaultCacheBehavior"], **{b["PathPattern"]: b for b in config["CacheBehaviors"]}}


def test_rankings_cache_key_is_exactly_the_api_query_parameters(rehearsal: Rehearsal, template: Template) -> None:
    stack = rehearsal.default
    config = stack.recorded("RankingsCachePolicy")["CachePolicyConfig"]
    key = config["ParametersInCacheKeyAndForwardedToOrigin"]
    assert key["QueryStringsConfig"]["QueryStringBehavior"] == "whitelist"
    assert set(key["QueryStringsConfig"]["QueryStrings"]) == RANKINGS_QUERY
    assert len(key["QueryStringsConfig"]["QueryStrings"]) == len(RANKINGS_QUERY)
    assert key["HeadersConfig"] == {"HeaderBehavior": "none"}
    assert key["CookiesConfig"] == {"CookieBehavior": "none"}
    assert (key["EnableAcceptEncodingGzip"], key["EnableAcceptEncodingBrotli"]) == (True, True)
    # the origin's max-age decides, never beyond the ranking interval; without one, nothing is cached
    assert (config["MinTTL"], config["DefaultTTL"]) == (0, 0)
    assert int(template.parameters["CacheMaxAge"]["MaxValue"]) <= config["MaxTTL"] <= 60
    assert behaviours(stack)["/v1/rankings"]["CachePolicyId"] == stack.physical("RankingsCachePolicy")


def test_counts_and_other_reads_follow_the_origin(rehearsal: Rehearsal) -> None:
    stack = rehearsal.default
    config = stack.recorded("OriginCacheControlPolicy")["CachePolicyConfig"]
    key = config["ParametersInCacheKeyAndForwardedToOrigin"]
    assert key["QueryStringsConfig"] == {"QueryStringBehavior": "none"}
    assert key["HeadersConfig"] == {"HeaderBehavior": "none"}
    assert key["CookiesConfig"] == {"CookieBehavior": "none"}
    assert (config["MinTTL"], config["DefaultTTL"], config["MaxTTL"]) == (0, 0, 60)
    found = behaviours(stack)
    for pattern in ("/v1/articles/*/views", "default"):
        assert found[pattern]["CachePolicyId"] == stack.physical("OriginCacheControlPolicy")
    assert found["/v1/assets/*"]["CachePolicyId"] == CACHING_OPTIMIZED
    for pattern in ("/v1/rankings", "/v1/articles/*/views", "/v1/assets/*", "default"):
        assert found[pattern]["Compress"] is True, pattern
        assert found[pattern]["ViewerProtocolPolicy"] == "redirect-to-https", pattern


def test_tracking_passes_through_uncached(rehearsal: Rehearsal) -> None:
    stack = rehearsal.default
    tracking = behaviours(stack)["/v1/views"]
    assert tracking["CachePolicyId"] == CACHING_DISABLED
    assert "POST" in tracking["AllowedMethods"]
    assert tracking["ViewerProtocolPolicy"] == "https-only"
    assert tracking["OriginRequestPolicyId"] == stack.physical("TrackingOriginRequestPolicy")
    policy = stack.recorded("TrackingOriginRequestPolicy")["OriginRequestPolicyConfig"]
    assert policy["HeadersConfig"]["HeaderBehavior"] == "whitelist"
    assert set(policy["HeadersConfig"]["Headers"]) == TRACKER_HEADERS
    assert policy["CookiesConfig"] == {"CookieBehavior": "none"}
    assert policy["QueryStringsConfig"] == {"QueryStringBehavior": "none"}


def test_only_tracking_writes_through_the_cdn(rehearsal: Rehearsal, template: Template) -> None:
    # IAM-authorised routes stay on the execute-api URL: a SigV4 signature does not survive CloudFront
    found = behaviours(rehearsal.default)
    for pattern, behaviour in found.items():
        if pattern != "/v1/views":
            assert set(behaviour["AllowedMethods"]) <= {"GET", "HEAD", "OPTIONS"}, pattern
    # an IAM route falls to the default behaviour only, where CloudFront refuses writes and a read goes unsigned
    for route in template.http_routes():
        if route.iam_auth:
            path = re.sub(r"\{[^}]+\}", "x", route.path)
            assert not [p for p in found if p != "default" and fnmatch.fnmatchcase(path, p)], route.route_key
    outputs = rehearsal.translated["Outputs"]
    assert "SigV4" in outputs["ApiUrl"]["Description"]
    assert "IAM-authorised calls go to ApiUrl" in outputs["CdnUrl"]["Description"]


def test_cdn_origin_cors_and_no_logs(rehearsal: Rehearsal, template: Template) -> None:
    stack = rehearsal.default
    config = distribution(stack)
    [origin] = config["Origins"]
    assert origin["DomainName"] == f"{stack.physical('HttpApi')}.execute-api.{REGION}.amazonaws.com"
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert "Logging" not in config  # CloudFront's access logs would record every reader's address
    assert config["PriceClass"] == template.parameter_defaults()["CdnPriceClass"]
    # CORS answered at the edge as the API would answer it
    cors = stack.recorded("CorsResponseHeadersPolicy")["ResponseHeadersPolicyConfig"]["CorsConfig"]
    api_cors = template.resources["HttpApi"]["Properties"]["CorsConfiguration"]
    origins = cors["AccessControlAllowOrigins"]["Items"]
    # moto resolves a CommaDelimitedList parameter to its text; CloudFormation, to the list
    origins = origins.split(",") if isinstance(origins, str) else origins
    assert origins == template.parameter_defaults()["AllowedOrigins"].split(",")
    assert template.resources["CorsResponseHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]["CorsConfig"][
        "AccessControlAllowOrigins"
    ] == {"Items": api_cors["AllowOrigins"]}
    assert cors["AccessControlAllowMethods"]["Items"] == api_cors["AllowMethods"]
    assert cors["AccessControlAllowHeaders"]["Items"] == api_cors["AllowHeaders"]
    assert cors["AccessControlExposeHeaders"]["Items"] == api_cors["ExposeHeaders"]
    assert cors["AccessControlMaxAgeSec"] == api_cors["MaxAge"]
    assert cors["AccessControlAllowCredentials"] is False
    for pattern in ("/v1/views", "/v1/rankings", "/v1/articles/*/views", "default"):
        assert behaviours(stack)[pattern]["ResponseHeadersPolicyId"] == stack.physical("CorsResponseHeadersPolicy")


def test_site_urls_follow_the_cdn(rehearsal: Rehearsal) -> None:
    cdn, other = rehearsal.default.outputs, rehearsal.other.outputs
    domain = f"{rehearsal.default.physical('CdnDistribution')}.cloudfront.net"
    assert cdn["CdnUrl"] == cdn["PublicApiUrl"] == f"https://{domain}/"
    assert cdn["TrackUrl"] == f"https://{domain}/v1/views"
    assert cdn["WidgetScriptUrl"] == f"https://{domain}/v1/assets/widget.v1.js"
    assert cdn["ApiUrl"].endswith(".execute-api.eu-west-1.amazonaws.com/")
    # EnableCdn false: no CloudFront at all, and the site embeds the API's own URL
    assert not rehearsal.other.recorded_types() & {
        "AWS::CloudFront::Distribution",
        "AWS::CloudFront::CachePolicy",
        "AWS::CloudFront::OriginRequestPolicy",
        "AWS::CloudFront::ResponseHeadersPolicy",
    }
    assert "CdnUrl" not in other
    assert "CdnDistributionId" not in other
    assert other["PublicApiUrl"] == other["ApiUrl"]
    assert other["TrackUrl"] == other["ApiUrl"] + "v1/views"
