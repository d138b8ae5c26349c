"""The events and context Lambda hands the functions: API Gateway HTTP API (payload v2) and DynamoDB streams."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from mostread_dev.functions import import_file

from benchmarks.common import ROOT


@dataclass
class LambdaContext:
    function_name: str = "mostread-bench"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:eu-west-1:123456789012:function:mostread-bench"
    aws_request_id: str = "00000000-0000-0000-0000-000000000000"


def load_function(name: str) -> ModuleType:
    """functions/<name>/app.py under its own module name, imported once."""
    module_name = f"mostread_bench_function_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    return import_file(ROOT / "functions" / name / "app.py", module_name)


def post_views_event(body: dict[str, Any], source_ip: str, user_agent: str, request_id: str) -> dict[str, Any]:
    """POST /v1/views as navigator.sendBeacon sends it (text/plain), through API Gateway HTTP API."""
    headers = {
        "accept": "*/*",
        "accept-encoding": "gzip, deflate, br, zstd",
        "accept-language": "ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7",
        "content-length": "0",
        "content-type": "text/plain;charset=UTF-8",
        "host": "abcdef1234.execute-api.eu-west-1.amazonaws.com",
        "origin": "https://news.example.com",
        "referer": "https://news.example.com/politics/a00000123",
        "sec-fetch-dest": "empty",
        "sec-fetch-mode": "no-cors",
        "sec-fetch-site": "cross-site",
        "user-agent": user_agent,
        "x-amzn-trace-id": f"Root=1-67473f00-{request_id[:24]}",
        "x-forwarded-for": source_ip,
        "x-forwarded-port": "443",
        "x-forwarded-proto": "https",
    }
    text = json.dumps(body, separators=(",", ":"))
    headers["content-length"] = str(len(text.encode()))
    return {
        "version": "2.0",
        "routeKey": "POST /v1/views",
        "rawPath": "/v1/views",
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abcdef1234",
            "domainName": "abcdef1234.execute-api.eu-west-1.amazonaws.com",
            "domainPrefix": "abcdef1234",
            "http": {
                "method": "POST",
                "path": "/v1/views",
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": user_agent,
            },
            "requestId": request_id,
            "routeKey": "POST /v1/views",
            "stage": "$default",
            "time": "27/Nov/2026:09:20:00 +0000",
            "timeEpoch": 1795771200000,
        },
        "body": text,
        "isBase64Encoded": False,
    }


def stream_event(records: list[dict[str, Any]], table: str = "mostread") -> dict[str, Any]:
    """A DynamoDB stream batch as Lambda delivers it, with the fields AWS adds to every record."""
    arn = f"arn:aws:dynamodb:eu-west-1:123456789012:table/{table}/stream/2026-11-27T00:00:00.000"
    full = []
    for number, record in enumerate(records):
        body = record["dynamodb"]
        full.append(
            {
                "eventID": record["eventID"],
                "eventName": record["eventName"],
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": "eu-west-1",
                "dynamodb": {
                    "ApproximateCreationDateTime": int(body["NewImage"]["t"]["N"]) // 1000,
                    "Keys": body["Keys"],
                    "NewImage": body["NewImage"],
                    "SequenceNumber": f"{100000000000000000000 + number}",
                    "SizeBytes": 180,
                    "StreamViewType": "NEW_IMAGE",
                },
                "eventSourceARN": arn,
            }
        )
    return {"Records": full}
