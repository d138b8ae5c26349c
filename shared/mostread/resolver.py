"""The router of the functions that serve several routes (read, catalog, editorial), with the contract's error
bodies wired in once: a client error answers its 4xx, a throttled or unreachable dependency 503 with Retry-After,
what no route matches 404. Anything else is a bug, and raised.

A few lines instead of the Powertools HTTP resolver, whose import would add about a sixth of boto3's to every cold
start (BENCHMARKS.md, section 1): API Gateway has already matched the route, so matching here is only choosing the
function.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError
from botocore.exceptions import ClientError as BotoClientError

from mostread import failures, http, parsing
from mostread.errors import ClientError, NotFound

NO_STORE = {"cache-control": "no-store"}
Response = dict[str, Any]


@dataclass
class Request:
    """An API Gateway HTTP API (payload v2) event, as the route functions read it."""

    event: dict[str, Any]
    matched: dict[str, str] = field(default_factory=dict)  # the path's parameters as the route matched them

    @property
    def headers(self) -> dict[str, str]:
        return http.request_headers(self.event)

    @property
    def query(self) -> dict[str, str]:
        return dict(self.event.get("queryStringParameters") or {})

    @property
    def body(self) -> bytes | None:
        return http.request_body(self.event)

    def article_id(self) -> str:
        """The checked article id of the path. API Gateway hands over the decoded path parameter; the route
        matched the raw path."""
        given = self.event.get("pathParameters") or {}
        return parsing.article_id(str(given.get("article_id", self.matched.get("article_id"))))


RouteFunction = Callable[[Request], Response]


class Router:
    def __init__(self) -> None:
        self._routes: list[tuple[str, list[str], RouteFunction]] = []

    def route(self, method: str, path: str) -> Callable[[RouteFunction], RouteFunction]:
        """Decorator: ``function`` answers ``method path``; ``{name}`` in ``path`` matches one path segment."""

        def register(function: RouteFunction) -> RouteFunction:
            self._routes.append((method, path.split("/"), function))
            return function

        return register

    def get(self, path: str) -> Callable[[RouteFunction], RouteFunction]:
        return self.route("GET", path)

    def put(self, path: str) -> Callable[[RouteFunction], RouteFunction]:
        return self.route("PUT", path)

    def delete(self, path: str) -> Callable[[RouteFunction], RouteFunction]:
        return self.route("DELETE", path)

    def resolve(self, event: dict[str, Any]) -> Response:
        try:
            return self._dispatch(event)
        except ClientError as error:
            return http.error_response(error)
        except (BotoClientError, BotoCoreError) as error:
            if not failures.is_dependency_failure(error):
                raise  # anything else from boto is a bug
            failures.report(error)
            return http.json_response(503, failures.body(), failures.HEADERS)

    def _dispatch(self, event: dict[str, Any]) -> Response:
        context = event.get("requestContext", {}).get("http", {})
        method = str(context.get("method", ""))
        segments = str(event.get("rawPath") or context.get("path", "")).split("/")
        for route_method, template, function in self._routes:
            if route_method == method and len(template) == len(segments):
                matched = _match(template, segments)
                if matched is not None:
                    return function(Request(event, matched))
        raise NotFound("no such route", None)


def _match(template: list[str], segments: list[str]) -> dict[str, str] | None:
    matched: dict[str, str] = {}
    for expected, given in zip(template, segments, strict=True):
        if expected.startswith("{"):
            if not given:
                return None
            matched[expected.strip("{}")] = given
        elif expected != given:
            return None
    return matched


def no_content() -> Response:
    return {"statusCode": 204, "headers": dict(NO_STORE), "body": "", "isBase64Encoded": False}
