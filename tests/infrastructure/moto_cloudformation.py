"""What moto's CloudFormation leaves out, filled in the way CloudFormation does it, so that the deploy rehearsal
looks at created resources rather than at the template's text.

* ``AWS::DynamoDB::Table``: moto creates the table but drops TimeToLiveSpecification and
  PointInTimeRecoverySpecification;
* ``AWS::Lambda::Function``: moto drops Architectures and Layers;
* ``AWS::Lambda::LayerVersion``: Ref is the layer version's ARN;
* ``AWS::CloudWatch::Alarm``: moto has no CloudFormation support; created in moto's CloudWatch here;
* CloudFront, API Gateway v2 and Lambda's EventInvokeConfig: no moto support at all; recorded here with their
  properties resolved by moto's CloudFormation (conditions, Ref, GetAtt, Sub, Select, Split), and with the Ref and
  GetAtt values the template reads from them.

Installed once, by ``install()``, for the rest of the process; moto's model registry is rebuilt so that it sees
the additions.
"""

from __future__ import annotations

import itertools
from typing import Any, ClassVar

from moto.awslambda.models import LambdaFunction, LayerVersion
from moto.cloudformation import parsing
from moto.cloudwatch.models import Dimension, MetricDataQuery, MetricStat, cloudwatch_backends
from moto.cloudwatch.models import Metric as CloudWatchMetric
from moto.core.common_models import CloudFormationModel
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.table import Table

# (stack id, logical id) -> the resource's type and resolved Properties
RECORDED: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}

_ids = itertools.count(1)


class _Recorded(CloudFormationModel):
    """A resource moto cannot create: its resolved properties are kept in RECORDED."""

    resource_type: ClassVar[str] = ""

    def __init__(self, logical_id: str, properties: dict[str, Any]) -> None:
        self.logical_id = logical_id
        self.properties = properties
        self.physical_resource_id = f"{logical_id.lower()}{next(_ids):04d}"

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return True

    def get_cfn_attribute(self, attribute_name: str) -> str:
        if attribute_name == "DomainName":
            return f"{self.physical_resource_id}.cloudfront.net"
        if attribute_name == "Arn":
            return f"arn:aws:recorded:::{self.physical_resource_id}"
        return self.physical_resource_id

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> _Recorded:
        properties = cloudformation_json.get("Properties") or {}
        RECORDED[(kwargs["StackId"], kwargs["LogicalId"])] = (kwargs["ResourceType"], properties)
        return cls(kwargs["LogicalId"], properties)

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        return None


RECORDED_TYPES = (
    "AWS::ApiGatewayV2::Api",
    "AWS::ApiGatewayV2::Stage",
    "AWS::CloudFront::CachePolicy",
    "AWS::CloudFront::Distribution",
    "AWS::CloudFront::OriginRequestPolicy",
    "AWS::CloudFront::ResponseHeadersPolicy",
    "AWS::Lambda::EventInvokeConfig",
)


def _recorder(resource_type: str) -> type[_Recorded]:
    # moto finds models by their direct subclassing of CloudFormationModel and their static cloudformation_type
    name = "Recorded" + resource_type.replace("::", "")
    return type(
        name,
        (_Recorded, CloudFormationModel),
        {"resource_type": resource_type, "cloudformation_type": staticmethod(lambda: resource_type)},
    )


class _Alarm(CloudFormationModel):
    """AWS::CloudWatch::Alarm, put into moto's CloudWatch as CloudFormation would."""

    def __init__(self, name: str, arn: str) -> None:
        self.physical_resource_id = name
        self.arn = arn

    @staticmethod
    def cloudformation_name_type() -> str:
        return "AlarmName"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CloudWatch::Alarm"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Arn"

    def get_cfn_attribute(self, attribute_name: str) -> str:
        return self.arn

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> _Alarm:
        p = cloudformation_json["Properties"]
        queries = [
            MetricDataQuery(
                query_id=query["Id"],
                label=query.get("Label", ""),
                period=query.get("Period"),
                return_data=query.get("ReturnData", True),
                expression=query.get("Expression"),
                metric_stat=None
                if "MetricStat" not in query
                else MetricStat(
                    metric=CloudWatchMetric(
                        metric_name=query["MetricStat"]["Metric"]["MetricName"],
                        namespace=query["MetricStat"]["Metric"]["Namespace"],
                        dimensions=[
                            Dimension(d["Name"], d["Value"])
                            for d in query["MetricStat"]["Metric"].get("Dimensions", [])
                        ],
                    ),
                    period=str(query["MetricStat"]["Period"]),
                    stat=query["MetricStat"]["Stat"],
                    unit=query["MetricStat"].get("Unit", ""),
                ),
            )
            for query in p.get("Metrics") or []
        ]
        alarm = cloudwatch_backends[account_id][region_name].put_metric_alarm(
            name=resource_name,
            namespace=p.get("Namespace"),
            metric_name=p.get("MetricName"),
            metric_data_queries=queries or None,
            comparison_operator=p["ComparisonOperator"],
            evaluation_periods=int(p["EvaluationPeriods"]),
            datapoints_to_alarm=int(p["DatapointsToAlarm"]) if "DatapointsToAlarm" in p else None,
            period=int(p["Period"]) if "Period" in p else None,
            threshold=float(p["Threshold"]),
            statistic=p.get("Statistic"),
            description=p.get("AlarmDescription"),
            dimensions=p.get("Dimensions") or [],
            alarm_actions=p.get("AlarmActions") or [],
            ok_actions=p.get("OKActions") or [],
            insufficient_data_actions=p.get("InsufficientDataActions") or [],
            treat_missing_data=p.get("TreatMissingData"),
            actions_enabled=p.get("ActionsEnabled", True),
        )
        return cls(resource_name, alarm.alarm_arn)

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        cloudwatch_backends[account_id][region_name].delete_alarms([resource_name])


def _table_with_ttl_and_backups() -> None:
    create = Table.create_from_cloudformation_json.__func__

    def create_table(
        cls: type[Table],
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kw: Any,
    ) -> Table:
        table = create(cls, resource_name, cloudformation_json, account_id, region_name, **kw)
        properties = cloudformation_json["Properties"]
        backend = dynamodb_backends[account_id][region_name]
        if "TimeToLiveSpecification" in properties:
            backend.update_time_to_live(table.name, properties["TimeToLiveSpecification"])
        if "PointInTimeRecoverySpecification" in properties:
            backend.update_continuous_backups(table.name, properties["PointInTimeRecoverySpecification"])
        return table

    Table.create_from_cloudformation_json = classmethod(create_table)


def _function_with_architecture_and_layers() -> None:
    create = LambdaFunction.create_from_cloudformation_json.__func__

    def create_function(
        cls: type[LambdaFunction],
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kw: Any,
    ) -> LambdaFunction:
        function = create(cls, resource_name, cloudformation_json, account_id, region_name, **kw)
        properties = cloudformation_json["Properties"]
        function.architectures = list(properties.get("Architectures", ["x86_64"]))
        function.layers = function._get_layers_data(list(properties.get("Layers", [])))
        return function

    LambdaFunction.create_from_cloudformation_json = classmethod(create_function)


_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    for resource_type in RECORDED_TYPES:
        _recorder(resource_type)
    _table_with_ttl_and_backups()
    _function_with_architecture_and_layers()
    LayerVersion.physical_resource_id = property(lambda layer: layer.arn)
    for cached in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        cached.cache_clear()
