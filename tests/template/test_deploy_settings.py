"""Deploying and observing: the template's parameters, conditions, CDN wiring, log groups and alarms as written,
the loader's view of them (the local stack's), samconfig.toml's environments and the Makefile's deploy targets.
What CloudFormation makes of them is tests/infrastructure/test_deploy_rehearsal.py."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from mostread_dev.template import LOCAL_PSEUDO_PARAMETERS, Template, TemplateError, parse_template_text

ROOT = Path(__file__).resolve().parents[2]
SECRET = {"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "AWS::StackId"}]}]}


def properties(template: Template, logical_id: str) -> dict[str, Any]:
    return dict(template.resources[logical_id]["Properties"])


def allowed(spec: dict[str, Any], value: str) -> bool:
    """Whether CloudFormation accepts ``value`` for a parameter (the constraints this template uses)."""
    if "AllowedValues" in spec and value not in [str(v) for v in spec["AllowedValues"]]:
        return False
    if "AllowedPattern" in spec and not re.fullmatch(spec["AllowedPattern"], value):
        return False
    if spec["Type"] == "Number":
        number = float(value)
        return float(spec.get("MinValue", number)) <= number <= float(spec.get("MaxValue", number))
    return True


# --- parameters --------------------------------------------------------------------------------------


def test_every_parameter_has_a_default_it_accepts(template: Template) -> None:
    # a deploy with no override at all is a working stack
    for name, spec in template.parameters.items():
        assert "Default" in spec, name
        default = template.parameter_defaults()[name]
        for value in default.split(",") if spec["Type"] == "CommaDelimitedList" else [default]:
            assert allowed(spec, value), (name, value)


def test_alarm_topic_is_an_sns_arn_or_nothing(template: Template) -> None:
    spec = template.parameters["AlarmTopicArn"]
    assert allowed(spec, "")
    assert allowed(spec, "arn:aws:sns:ap-northeast-2:123456789012:mostread-alarms")
    assert not allowed(spec, "REPLACE-with-the-on-call-SNS-topic-ARN")
    assert not allowed(spec, "arn:aws:sqs:ap-northeast-2:123456789012:mostread-alarms")


def test_conditions(template: Template) -> None:
    assert template.condition("CdnEnabled", {"EnableCdn": "true"})
    assert not template.condition("CdnEnabled", {"EnableCdn": "false"})
    assert template.parameter_defaults()["EnableCdn"] == "true"  # on unless left out
    assert not template.condition("HasAlarmTopic")
    assert template.condition("HasAlarmTopic", {"AlarmTopicArn": "arn:aws:sns:eu-west-1:123456789012:t"})


# --- the table, logs and alarms as written -----------------------------------------------------------


def test_views_table_is_protected_from_deletion(template: Template) -> None:
    assert properties(template, "ViewsTable")["DeletionProtectionEnabled"] is True
    # the salts go with the stack: nothing must keep a salt alive
    assert "DeletionProtectionEnabled" not in properties(template, "SaltsTable")


def test_every_function_has_a_log_group_with_the_retention_parameter(template: Template) -> None:
    groups = {
        str(resource["Properties"]["LogGroupName"]["Fn::Sub"]): resource["Properties"]
        for resource in template.resources_of_type("AWS::Logs::LogGroup").values()
    }
    assert set(groups) == {f"/aws/lambda/${{{function_id}}}" for function_id in template.functions()}
    for group in groups.values():
        assert group["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_every_alarm_notifies_the_topic_when_there_is_one(template: Template) -> None:
    notify = {"Fn::If": ["HasAlarmTopic", [{"Ref": "AlarmTopicArn"}], []]}
    found = template.resources_of_type("AWS::CloudWatch::Alarm")
    assert len(found) == 1 + 2 * len(template.functions()) + 2 + 3
    for logical_id, alarm in found.items():
        assert alarm["Properties"]["AlarmActions"] == notify, logical_id
        assert alarm["Properties"]["OKActions"] == notify, logical_id
        assert alarm["Properties"]["AlarmName"]["Fn::Sub"].startswith("${AWS::StackName}-"), logical_id


def test_operations_guide_explains_every_alarm(template: Template) -> None:
    guide = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    for logical_id, alarm in template.resources_of_type("AWS::CloudWatch::Alarm").items():
        suffix = alarm["Properties"]["AlarmName"]["Fn::Sub"].removeprefix("${AWS::StackName}-")
        function = re.fullmatch(r"([A-Za-z]+)Function-(errors|throttles)", suffix)
        name = f"<Function>-{function.group(2)}" if function else suffix
        assert f"`{name}`" in guide, (logical_id, name)


# --- CDN and the client address ----------------------------------------------------------------------


def test_proxy_secret_is_the_same_in_the_origin_header_and_the_functions(template: Template) -> None:
    environment = template.function_globals["Environment"]["Variables"]
    assert environment["TRUSTED_PROXY_SECRET"] == {"Fn::If": ["CdnEnabled", SECRET, ""]}
    assert environment["TRUSTED_PROXY_HOPS"] == {"Fn::If": ["CdnEnabled", 1, {"Ref": "TrustedProxyHops"}]}
    [origin] = properties(template, "CdnDistribution")["DistributionConfig"]["Origins"]
    assert origin["OriginCustomHeaders"] == [{"HeaderName": "x-mostread-proxy-secret", "HeaderValue": SECRET}]


def test_cdn_resources_exist_only_with_the_cdn(template: Template) -> None:
    cdn = {rid for rid, r in template.resources.items() if r["Type"].startswith("AWS::CloudFront::")}
    assert cdn == {
        "RankingsCachePolicy",
        "OriginCacheControlPolicy",
        "TrackingOriginRequestPolicy",
        "CorsResponseHeadersPolicy",
        "CdnDistribution",
    }
    for logical_id in cdn:
        assert template.resources[logical_id]["Condition"] == "CdnEnabled", logical_id


def test_api_publishes_route_metrics(template: Template) -> None:
    api = properties(template, "HttpApi")
    assert api["DefaultRouteSettings"]["DetailedMetricsEnabled"] is True
    # a route's own settings replace the defaults
    assert all(settings["DetailedMetricsEnabled"] is True for settings in api["RouteSettings"].values())


# --- the loader: what the local stack and the tests see ----------------------------------------------


def test_local_stack_runs_without_the_cdn(template: Template) -> None:
    names = template.table_names("t")
    assert template.local_parameter_values() == {"EnableCdn": "false"}
    local = template.function_environment(None, names)
    assert (local["TRUSTED_PROXY_HOPS"], local["TRUSTED_PROXY_SECRET"]) == ("0", "")
    # the local stack and the tests simulate readers with X-Forwarded-For, without any secret
    simulated = template.function_environment(None, names, {"TrustedProxyHops": "1"})
    assert (simulated["TRUSTED_PROXY_HOPS"], simulated["TRUSTED_PROXY_SECRET"]) == ("1", "")
    deployed = template.function_environment(None, names, {"EnableCdn": "true"})
    stack_uuid = LOCAL_PSEUDO_PARAMETERS["AWS::StackId"].split("/")[2]
    assert (deployed["TRUSTED_PROXY_HOPS"], deployed["TRUSTED_PROXY_SECRET"]) == ("1", stack_uuid)


LOADER_TEMPLATE = """
Metadata:
  mostread:LocalStack:
    ParameterValues:
      Flavour: local
Parameters:
  Flavour: {Type: String, Default: deployed}
  Size: {Type: Number, Default: 2}
Conditions:
  IsLocal: !Equals [!Ref Flavour, local]
  IsBig: !Not [!Equals [!Ref Size, 2]]
Globals:
  Function:
    Environment:
      Variables:
        WHERE: !If [IsLocal, here, there]
        ONLY_BIG: !If [IsBig, big, !Ref AWS::NoValue]
        STACK: !Select [1, !Split ["/", !Ref AWS::StackId]]
Resources: {}
"""


def test_loader_resolves_conditions_and_functions_of_parameters() -> None:
    # what template.yaml uses: Equals, Not, If, Select, Split; anything else is refused, never guessed
    template = Template(parse_template_text(LOADER_TEMPLATE))
    local = template.function_environment(None, {})
    assert local == {"WHERE": "here", "STACK": "mostread-local"}
    big = template.function_environment(None, {}, {"Size": "3", "Flavour": "deployed"})
    assert (big["WHERE"], big["ONLY_BIG"]) == ("there", "big")
    with pytest.raises(TemplateError, match="no condition named"):
        template.condition("Missing")
    with pytest.raises(yaml.constructor.ConstructorError, match="unknown CloudFormation tag !Or"):
        parse_template_text("Conditions:\n  Either: !Or [!Equals [a, b], !Equals [a, c]]\n")


def test_loader_refuses_local_values_of_unknown_parameters() -> None:
    text = LOADER_TEMPLATE.replace("Flavour: local\n", "Flavour: local\n      Colour: red\n", 1)
    with pytest.raises(TemplateError, match="Colour"):
        Template(parse_template_text(text)).local_parameter_values()


def test_loader_ignores_what_it_does_not_run(template: Template) -> None:
    # functions and tables only; every alarm, log group, queue, dashboard and CDN resource is left alone
    assert {spec.logical_id for spec in template.tables()} == {"ViewsTable", "SaltsTable"}
    run = {"AWS::Serverless::Function", "AWS::DynamoDB::Table"}
    left_alone = {r["Type"] for r in template.resources.values()} - run
    assert {"AWS::CloudWatch::Alarm", "AWS::CloudFront::Distribution", "AWS::Logs::LogGroup"} <= left_alone


# --- samconfig.toml and the Makefile -----------------------------------------------------------------


def deploy_settings(environment: str) -> dict[str, Any]:
    config = tomllib.loads((ROOT / "samconfig.toml").read_text(encoding="utf-8"))
    settings: dict[str, Any] = config[environment]["deploy"]["parameters"]
    return settings


def overrides(environment: str) -> dict[str, str]:
    # SAM CLI's form: Name="value" pairs separated by spaces
    pairs = shlex.split(deploy_settings(environment)["parameter_overrides"])
    return dict(pair.split("=", 1) for pair in pairs)


@pytest.mark.parametrize(("environment", "stack"), [("dev", "mostread-dev"), ("prod", "mostread-prod")])
def test_samconfig_environments(template: Template, environment: str, stack: str) -> None:
    settings = deploy_settings(environment)
    assert settings["stack_name"] == stack
    assert settings["capabilities"] == "CAPABILITY_IAM"
    assert settings["resolve_s3"] is True
    for name, value in overrides(environment).items():
        assert name in template.parameters, name
        if (environment, name) != ("prod", "AlarmTopicArn"):
            assert allowed(template.parameters[name], value), (environment, name, value)


def test_dev_and_prod_differ_where_they_should() -> None:
    dev, prod = overrides("dev"), overrides("prod")
    assert (dev["LogLevel"], prod["LogLevel"]) == ("DEBUG", "INFO")
    assert int(dev["LogRetentionDays"]) < int(prod["LogRetentionDays"])
    assert dev["AlarmTopicArn"] == ""
    # prod does not deploy until someone names the topic that wakes them (the pattern refuses the placeholder)
    assert prod["AlarmTopicArn"].startswith("REPLACE-")
    assert (deploy_settings("dev")["confirm_changeset"], deploy_settings("prod")["confirm_changeset"]) == (False, True)
    config = tomllib.loads((ROOT / "samconfig.toml").read_text(encoding="utf-8"))
    assert "deploy" not in config.get("default", {}), "a bare `sam deploy` must not pick a stack"


def make(*arguments: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    # -n: print the commands, run none (an outdated environment's install is printed, not run)
    return subprocess.run(
        ["make", "-n", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_make_deploy_builds_then_deploys_the_named_environment() -> None:
    result = make("deploy", "ENV=dev")
    assert result.returncode == 0, result.stderr
    commands = result.stdout
    assert commands.index("sam build") < commands.index("sam deploy --config-env dev")
    assert "build_artefacts.py .aws-sam/build" in commands
    missing = make("deploy")
    assert missing.returncode != 0
    assert "make deploy needs ENV" in missing.stderr


def test_make_check_is_lint_types_and_unit_tests() -> None:
    result = make("check")
    assert result.returncode == 0, result.stderr
    assert "ruff check" in result.stdout
    assert "mypy" in result.stdout
    assert "pytest -q tests/unit" in result.stdout
