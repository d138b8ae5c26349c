"""The local API's dispatch (without sockets): routes, 404/405/500, CORS from template.yaml, local routes, pages,
and the small pure helpers of the local stack."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from mostread_dev.apigw import HttpRequest, HttpResponse
from mostread_dev.catalog_file import CatalogFileError, parse_catalog
from mostread_dev.cors import CorsPolicy, cors_policy
from mostread_dev.demo_site import demo_articles, render_page
from mostread_dev.dynamodb_server import DynamoDBUnavailable, chosen_engine
from mostread_dev.functions import FunctionError, module_file, shared_function_environment
from mostread_dev.server import LocalApi, LocalPages
from mostread_dev.stack import local_parameter_overrides
from mostread_dev.template import Route, Template, load_template, parse_template_text
from mostread_dev.timefmt import KST
from mostread_dev.traffic import demo_catalog

ROUTES = [
    Route("POST", "/v1/views", "TrackFunction", "functions/track/", "app.handler", False),
    Route("GET", "/v1/articles/{article_id}", "ReadFunction", "functions/read/", "app.handler", False),
    Route("PUT", "/v1/articles/{article_id}", "CatalogFunction", "functions/catalog/", "app.handler", True),
]


class Calls:
    def __init__(self, result: Any = None, error: Exception | None = None) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.result = result if result is not None else {"statusCode": 200, "body": "{}"}
        self.error = error

    def __call__(self, function_id: str, event: dict[str, Any]) -> Any:
        self.events.append((function_id, event))
        if self.error:
            raise self.error
        return self.result


def api(calls: Calls | None = None, cors: CorsPolicy | None = None, **kwargs: Any) -> LocalApi:
    return LocalApi(ROUTES, calls or Calls(), cors=cors, **kwargs)


def body(response: HttpResponse) -> Any:
    return json.loads(response.body)


def test_a_route_invokes_its_function_with_decoded_path_parameters() -> None:
    calls = Calls({"statusCode": 200, "headers": {"content-type": "application/json"}, "body": '{"ok":true}'})
    response = api(calls).handle(HttpRequest("GET", "/v1/articles/a%3A1?x=1"))
    assert response.status == 200
    assert body(response) == {"ok": True}
    assert response.header("apigw-requestid")
    function_id, event = calls.events[0]
    assert function_id == "ReadFunction"
    assert event["routeKey"] == "GET /v1/articles/{article_id}"
    assert event["pathParameters"] == {"article_id": "a:1"}


def test_unknown_route_is_a_404_with_the_error_body() -> None:
    response = api().handle(HttpRequest("GET", "/v2/nothing"))
    assert response.status == 404
    assert body(response)["error"]["code"] == "not_found"
    assert body(response)["error"]["field"] is None


def test_known_path_with_another_method_is_a_405() -> None:
    response = api().handle(HttpRequest("DELETE", "/v1/views"))
    assert response.status == 405
    assert response.header("allow") == "POST"
    assert body(response)["error"]["code"] == "method_not_allowed"


def test_a_failing_function_is_a_500_with_the_error_body(caplog: pytest.LogCaptureFixture) -> None:
    response = api(Calls(error=RuntimeError("boom"))).handle(HttpRequest("POST", "/v1/views"))
    assert response.status == 500
    assert body(response)["error"]["code"] == "internal_error"
    assert "boom" in caplog.text  # the traceback is logged


def test_an_invalid_lambda_response_is_a_500() -> None:
    response = api(Calls({"statusCode": "ok"})).handle(HttpRequest("POST", "/v1/views"))
    assert response.status == 500


def test_cors_preflight_and_response_headers_from_the_template() -> None:
    policy = cors_policy(load_template())
    assert policy is not None
    assert policy.allow_origins == ("*",)
    assert "POST" in policy.allow_methods
    local = api(cors=policy)
    preflight = HttpRequest(
        "OPTIONS",
        "/v1/views",
        (
            ("Origin", "https://news.example.kr"),
            ("Access-Control-Request-Method", "POST"),
            ("Access-Control-Request-Headers", "Content-Type"),
        ),
    )
    answer = local.handle(preflight)
    assert answer.status == 204
    assert answer.header("access-control-allow-origin") == "*"
    assert answer.header("access-control-allow-headers") == "content-type"
    assert answer.header("access-control-max-age") == "600"
    response = local.handle(HttpRequest("POST", "/v1/views", (("Origin", "https://news.example.kr"),)))
    assert response.header("access-control-allow-origin") == "*"
    assert response.header("access-control-expose-headers") == "etag,retry-after"
    assert local.handle(HttpRequest("POST", "/v1/views")).header("access-control-allow-origin") is None


def test_a_preflight_for_a_method_cors_does_not_allow_gets_no_cors_headers() -> None:
    policy = CorsPolicy(allow_origins=("https://a.example",), allow_methods=("GET", "POST"))
    preflight = HttpRequest(
        "OPTIONS", "/v1/articles/x", (("Origin", "https://a.example"), ("Access-Control-Request-Method", "PUT"))
    )
    assert api(cors=policy).handle(preflight).headers == []
    assert policy.allowed_origin("https://b.example") is None
    assert policy.response_headers("https://a.example") == [
        ("access-control-allow-origin", "https://a.example"),
        ("vary", "origin"),
    ]


def test_cors_reads_parameter_lists() -> None:
    template = Template(
        parse_template_text(
            """
Parameters:
  Origins: {Type: CommaDelimitedList, Default: "https://a.example,https://b.example"}
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      CorsConfiguration: {AllowOrigins: !Ref Origins, AllowMethods: [get], MaxAge: 5}
"""
        )
    )
    assert cors_policy(template) == CorsPolicy(
        allow_origins=("https://a.example", "https://b.example"), allow_methods=("GET",), max_age=5
    )


def test_local_routes_answer_only_loopback_clients() -> None:
    local = api(local_routes={("POST", "/_local/rank"): lambda request: HttpResponse(200, [], b"ran")})
    assert local.handle(HttpRequest("POST", "/_local/rank", source_ip="127.0.0.1")).body == b"ran"
    assert local.handle(HttpRequest("POST", "/_local/rank", source_ip="::1")).status == 200
    assert local.handle(HttpRequest("POST", "/_local/rank", source_ip="192.168.1.9")).status == 403
    assert local.handle(HttpRequest("GET", "/_local/rank")).status == 405
    assert local.handle(HttpRequest("GET", "/_local/nothing")).status == 404


def test_pages_and_static_files(tmp_path: Path) -> None:
    (tmp_path / "site.css").write_text("body{}")
    local = api(pages=LocalPages(lambda article_id: f"<p>{article_id}</p>", [tmp_path]))
    front = local.handle(HttpRequest("GET", "/"))
    assert front.status == 200
    assert front.header("content-type") == "text/html; charset=utf-8"
    assert local.handle(HttpRequest("GET", "/articles/news-1001")).body == b"<p>news-1001</p>"
    assert local.handle(HttpRequest("GET", "/articles/..")).status == 404
    css = local.handle(HttpRequest("GET", "/static/site.css"))
    assert (css.status, css.body, css.header("content-type")) == (200, b"body{}", "text/css; charset=utf-8")
    assert local.handle(HttpRequest("GET", "/static/..%2Fsecret")).status == 404
    assert local.handle(HttpRequest("GET", "/static/missing.css")).status == 404
    assert local.handle(HttpRequest("POST", "/")).status == 405


# --- the demo site and catalog -------------------------------------------------------------------------------


def test_demo_pages_escape_what_they_show() -> None:
    page = render_page("<script>")
    assert "<script>alert" not in page
    assert "&lt;script&gt;" in page
    assert "<title>mostread demo</title>" in render_page(None)
    first_id, first = next(iter(demo_articles().items()))
    assert first["title"] in render_page(first_id)
    assert '"articleId": "news-' in render_page(first_id)


def test_demo_catalog_is_fresh_and_local() -> None:
    from datetime import datetime

    entries = demo_catalog("http://127.0.0.1:3000", datetime(2030, 1, 1, 12, 0, tzinfo=KST))
    assert len(entries) >= 30
    assert len({entry.body["section"] for entry in entries}) >= 6
    published = sorted(entry.body["published_at"] for entry in entries)
    assert published[-1] == "2030-01-01T11:53:00+09:00"
    assert published[0] < "2029-12-30"  # spread over days
    assert all(entry.body["url"] == f"http://127.0.0.1:3000/articles/{entry.article_id}" for entry in entries)


def test_catalog_files_in_both_shapes() -> None:
    as_list = parse_catalog([{"article_id": "a", "title": "t"}])
    as_mapping = parse_catalog({"a": {"title": "t"}})
    assert as_list == as_mapping
    assert as_list[0].body == {"title": "t"}
    for bad in ([{"title": "no id"}], ["x"], {"a": 1}, 5):
        with pytest.raises(CatalogFileError):
            parse_catalog(bad)


# --- environment and engine choice ---------------------------------------------------------------------------


def test_every_function_gets_the_same_local_environment() -> None:
    template = load_template()
    overrides = local_parameter_overrides(template, rank_every=60)
    assert overrides == {"TrustedProxyHops": "1", "CacheMaxAge": "5"}
    names = template.table_names("t-local")
    environment = shared_function_environment(template, template.functions(), names, overrides)
    assert environment["TABLE_NAME"] == "t-local"
    assert environment["TRUSTED_PROXY_HOPS"] == "1"
    assert local_parameter_overrides(template, rank_every=2)["CacheMaxAge"] == "2"


def test_functions_with_different_environments_are_refused() -> None:
    template = Template(
        parse_template_text(
            """
Resources:
  A: {Type: AWS::Serverless::Function, Properties: {Environment: {Variables: {X: "1"}}}}
  B: {Type: AWS::Serverless::Function, Properties: {Environment: {Variables: {X: "2"}}}}
"""
        )
    )
    with pytest.raises(FunctionError, match="X"):
        shared_function_environment(template, ["A", "B"], {}, {})


def test_handler_file_of_a_function() -> None:
    assert module_file("functions/track/", "app.handler", Path("/r")) == (Path("/r/functions/track/app.py"), "handler")
    assert module_file("src", "pkg.mod.main", Path("/r")) == (Path("/r/src/pkg/mod.py"), "main")


def test_engine_choice() -> None:
    jar = Path("DynamoDBLocal.jar")
    assert chosen_engine(None, "/usr/bin/java", jar) == "dynamodb-local"
    assert chosen_engine("", None, jar) == "moto"
    assert chosen_engine("moto", "/usr/bin/java", jar) == "moto"
    with pytest.raises(DynamoDBUnavailable):
        chosen_engine("dynamodb-local", None, jar)
    with pytest.raises(DynamoDBUnavailable):
        chosen_engine("postgres", "/usr/bin/java", jar)
