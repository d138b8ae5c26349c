"""Test harness: the handlers driven by API Gateway HTTP API (v2) events and DynamoDB stream records, on moto."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import quote

import boto3
import pytest
from mostread_dev.functions import import_file
from mostread_dev.template import load_template

ROOT = Path(__file__).resolve().parents[1]
CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
T0 = 1_795_780_800.0  # 2026-11-27T12:00:00Z, a fixed start for every test clock


@dataclass
class FakeContext:
    function_name: str = "test"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:eu-west-1:123456789012:function:test"
    aws_request_id: str = "req-1"

    def get_remaining_time_in_millis(self) -> int:
        return 55_000


def load_function(name: str) -> ModuleType:
    """Import functions/<name>/app.py afresh, under a module name of its own."""
    return import_file(ROOT / "functions" / name / "app.py", f"mostread_function_{name}")


class Clock:
    def __init__(self, start: float = T0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def http_event(
    method: str,
    path: str,
    *,
    body: str | bytes | None = None,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    path_parameters: dict[str, str] | None = None,
    source_ip: str = "203.0.113.10",
    base64_body: bool = False,
) -> dict[str, Any]:
    all_headers = {"user-agent": CHROME, **(headers or {})}
    encoded: str | None
    if body is None:
        encoded = None
    elif base64_body:
        raw = body.encode() if isinstance(body, str) else body
        encoded = base64.b64encode(raw).decode()
    else:
        encoded = body if isinstance(body, str) else body.decode()
    return {
        "version": "2.0",
        "routeKey": f"{method} {path}",
        "rawPath": quote(path, safe="/:@!$&'()*+,;=-._~"),  # API Gateway hands over the path percent-encoded
        "rawQueryString": "&".join(f"{k}={v}" for k, v in (query or {}).items()),
        "headers": all_headers,
        "queryStringParameters": query,
        "pathParameters": path_parameters,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api",
            "domainName": "api.example",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": all_headers["user-agent"],
            },
            "requestId": "req-1",
            "routeKey": f"{method} {path}",
            "stage": "$default",
            "time": "27/Nov/2026:09:20:00 +0000",
            "timeEpoch": 0,
        },
        "body": encoded,
        "isBase64Encoded": base64_body,
    }


class Service:
    """The deployed functions, wired as in AWS: API events in, stream records to ingest, runs on demand."""

    def __init__(self, table: str, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
        self.table = table
        self.clock = clock
        self.track = load_function("track")
        self.ingest = load_function("ingest")
        self.rank = load_function("rank")
        self.read = load_function("read")
        self.catalog = load_function("catalog")
        for module in (self.track, self.ingest, self.rank, self.read):
            monkeypatch.setattr(module, "system_clock", clock)
        # the stream filter of template.yaml, as the event source mapping applies it in AWS
        self._consumer = load_template().stream_consumers()[0]
        self._streams = boto3.client("dynamodbstreams")
        stream_arn = boto3.client("dynamodb").describe_table(TableName=table)["Table"]["LatestStreamArn"]
        self._iterators = {
            shard["ShardId"]: self._streams.get_shard_iterator(
                StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            for shard in self._streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]
        }

    def post_views(self, body: Any, *, raw: bool = False, **kwargs: Any) -> dict[str, Any]:
        headers = {"content-type": "application/json", **kwargs.pop("headers", {})}
        text = body if raw else json.dumps(body, ensure_ascii=False)
        return self.track.handler(http_event("POST", "/v1/views", body=text, headers=headers, **kwargs), FakeContext())

    def view(
        self,
        article_id: str,
        visitor: int = 1,
        event_id: str | None = None,
        ref: str | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"article_id": article_id}
        if event_id:
            body["event_id"] = event_id
        if ref:
            body["ref"] = ref
        headers = {"x-forwarded-for": f"198.51.100.{visitor % 250}", "user-agent": f"{CHROME} v{visitor}"}
        return self.post_views(body, headers=headers, **kwargs)

    def stream_records(self) -> list[dict[str, Any]]:
        """New stream records since the last call, in the shape Lambda hands them to the function."""
        records: list[dict[str, Any]] = []
        for shard_id, iterator in list(self._iterators.items()):
            response = self._streams.get_records(ShardIterator=iterator)
            records.extend(record for record in response["Records"] if self._consumer.accepts(record))
            self._iterators[shard_id] = response["NextShardIterator"]
        return records

    def deliver(self, records: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
        batch = self.stream_records() if records is None else records
        if batch:
            self.ingest.handler({"Records": batch}, FakeContext())
        return batch

    def run_ranking(self) -> dict[str, Any]:
        self.deliver()
        return self.rank.handler({"source": "aws.events"}, FakeContext())

    def get(
        self,
        path: str,
        query: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        article_id: str | None = None,
    ) -> dict[str, Any]:
        params = {"article_id": article_id} if article_id is not None else None
        event = http_event("GET", path, query=query, headers=headers, path_parameters=params)
        return self.read.handler(event, FakeContext())

    def rankings(self, **query: str) -> dict[str, Any]:
        response = self.get("/v1/rankings", query=query or None)
        assert response["statusCode"] == 200, response
        return json.loads(response["body"])

    def put_article(self, article_id: str, body: Any, raw: bool = False) -> dict[str, Any]:
        text = body if raw else json.dumps(body, ensure_ascii=False)
        event = http_event(
            "PUT",
            f"/v1/articles/{article_id}",
            body=text,
            headers={"content-type": "application/json"},
            path_parameters={"article_id": article_id},
        )
        return self.catalog.handler(event, FakeContext())

    def delete_article(self, article_id: str) -> dict[str, Any]:
        event = http_event("DELETE", f"/v1/articles/{article_id}", path_parameters={"article_id": article_id})
        return self.catalog.handler(event, FakeContext())

    def editorial(self, method: str, path: str, body: Any = None, raw: bool = False) -> dict[str, Any]:
        """The editorial function (IAM-authorised in AWS), on the test's clock. ``body`` is JSON-encoded unless raw."""
        module = self.__dict__.get("_editorial_function")
        if module is None:
            module = self.__dict__["_editorial_function"] = load_function("editorial")
            module.system_clock = self.clock  # a module of this Service alone: no monkeypatch needed
        text = body if raw or body is None else json.dumps(body, ensure_ascii=False)
        prefix, _, article_id = path.rpartition("/")
        params = {"article_id": article_id} if prefix.endswith(("/exclusions", "/pins")) else None
        headers = {"content-type": "application/json"} if text is not None else None
        event = http_event(method, path, body=text, headers=headers, path_parameters=params)
        return module.handler(event, FakeContext())

    def editorial_listing(self) -> dict[str, Any]:
        response = self.editorial("GET", "/v1/editorial")
        assert response["statusCode"] == 200, response
        return json.loads(response["body"])

    def item_count(self, prefix: str = "") -> int:
        items = boto3.client("dynamodb").scan(TableName=self.table)["Items"]
        return sum(1 for item in items if item["pk"]["S"].startswith(prefix))


def article(
    title: str = "오늘의 뉴스",
    section: str = "politics",
    published: str = "2026-11-27T08:00:00+09:00",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "title": title,
        "url": "https://news.example.kr/a",
        "section": section,
        "published_at": published,
        **extra,
    }
