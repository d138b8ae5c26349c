"""The OpenAPI document (GET /v1/openapi.json): valid, generated from the models, and the same routes as
template.yaml, so the document and the infrastructure cannot drift apart."""

from __future__ import annotations

import json
import re
from typing import Any, get_args

import pytest
from mostread.errors import ClientError, NotFound
from mostread.models import Kind
from mostread.openapi import SIGV4, document, document_json
from mostread.responses import ErrorBody
from mostread.schemas import ArticleIn, ExclusionIn, PinIn, RankingQuery, ViewBatchIn, ViewIn
from mostread_dev.template import Template
from pydantic import BaseModel

METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}
REF = "#/components/schemas/"


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return document()


def operations(doc: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): operation
        for path, item in doc["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }


def resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    return doc["components"]["schemas"][ref.removeprefix(REF)] if ref else schema


def without_null_defaults(node: Any) -> Any:
    """Powertools dumps the document without None values, so a model's ``"default": null`` is absent."""
    if isinstance(node, dict):
        return {key: without_null_defaults(value) for key, value in node.items() if value is not None}
    if isinstance(node, list):
        return [without_null_defaults(value) for value in node]
    return node


def assert_schema_is_model(doc: dict[str, Any], schema: dict[str, Any], model: type[BaseModel]) -> None:
    """The document's schema for a body is the model's own JSON schema: same fields, required ones and rules."""
    assert schema == {"$ref": REF + model.__name__} or schema.get("$ref") == REF + model.__name__
    documented = resolve(doc, schema)
    expected = without_null_defaults(model.model_json_schema(ref_template=REF + "{model}"))
    assert set(documented["properties"]) == set(model.model_fields)
    assert set(documented.get("required", [])) == {name for name, f in model.model_fields.items() if f.is_required()}
    assert documented["properties"] == expected["properties"]


def test_the_document_is_valid_openapi_3(doc: dict[str, Any]) -> None:
    assert re.fullmatch(r"3\.\d+\.\d+", doc["openapi"])
    assert doc["info"]["title"] == "mostread" and doc["info"]["version"]
    for (method, path), operation in operations(doc).items():
        assert operation["responses"], f"{method} {path}"
        assert operation["operationId"]
        declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
        assert declared == set(re.findall(r"\{(\w+)\}", path)), f"{method} {path}"
    ids = [operation["operationId"] for operation in operations(doc).values()]
    assert len(ids) == len(set(ids))
    text = json.dumps(doc)
    for ref in set(re.findall(r'"\$ref": "([^"]+)"', text)):
        assert ref.removeprefix(REF) in doc["components"]["schemas"], ref
    try:
        from openapi_spec_validator import validate
    except ImportError:  # pragma: no cover - a dev dependency; the structure is checked above regardless
        return
    validate(doc)


def test_routes_are_exactly_the_templates(doc: dict[str, Any], template: Template) -> None:
    # the fallback route ($default) is not an operation: it answers what no route matches (405 / 404)
    routes = {(route.method, route.path) for route in template.http_routes() if route.path != "$default"}
    assert set(operations(doc)) == routes


def test_sigv4_on_exactly_the_iam_routes(doc: dict[str, Any], template: Template) -> None:
    iam = {(route.method, route.path) for route in template.http_routes() if route.iam_auth}
    assert iam, "the template has IAM routes (catalog and editorial writes)"
    secured = {key for key, operation in operations(doc).items() if operation.get("security")}
    assert secured == iam
    for key in iam:
        assert operations(doc)[key]["security"] == [{SIGV4: []}]
        assert "403" in operations(doc)[key]["responses"]
    assert "security" not in doc  # no document-wide default: every other route is public
    scheme = doc["components"]["securitySchemes"][SIGV4]
    assert scheme["type"] == "apiKey" and scheme["in"] == "header" and scheme["name"] == "Authorization"
    assert scheme["x-amazon-apigateway-authtype"] == "awsSigv4"


@pytest.mark.parametrize(
    ("method", "path", "model"),
    [
        ("PUT", "/v1/articles/{article_id}", ArticleIn),
        ("PUT", "/v1/editorial/exclusions/{article_id}", ExclusionIn),
        ("PUT", "/v1/editorial/pins/{article_id}", PinIn),
    ],
)
def test_request_bodies_are_the_models(doc: dict[str, Any], method: str, path: str, model: type[BaseModel]) -> None:
    body = operations(doc)[(method, path)]["requestBody"]
    assert body["required"] is True
    assert set(body["content"]) == {"application/json"}
    assert_schema_is_model(doc, body["content"]["application/json"]["schema"], model)


def test_views_body_is_one_view_or_a_batch_as_json_or_beacon_text(doc: dict[str, Any]) -> None:
    body = operations(doc)[("POST", "/v1/views")]["requestBody"]
    assert set(body["content"]) == {"application/json", "text/plain"}
    for content in body["content"].values():
        one, batch = content["schema"]["anyOf"]
        assert_schema_is_model(doc, one, ViewIn)
        assert_schema_is_model(doc, batch, ViewBatchIn)
    assert set(operations(doc)[("POST", "/v1/views")]["responses"]) == {"202", "400", "413", "415", "503"}


def test_only_writes_carry_a_body(doc: dict[str, Any]) -> None:
    with_body = {key for key, operation in operations(doc).items() if "requestBody" in operation}
    assert with_body == {
        ("POST", "/v1/views"),
        ("PUT", "/v1/articles/{article_id}"),
        ("PUT", "/v1/editorial/exclusions/{article_id}"),
        ("PUT", "/v1/editorial/pins/{article_id}"),
    }


def test_rankings_query_is_the_ranking_query_model(doc: dict[str, Any]) -> None:
    parameters = {p["name"]: p for p in operations(doc)[("GET", "/v1/rankings")]["parameters"] if p["in"] == "query"}
    assert set(parameters) == set(RankingQuery.model_fields)
    kind = parameters["kind"]["schema"]
    assert kind["enum"] == list(get_args(Kind)) == ["most_read", "trending", "engaged"]
    assert kind["default"] == RankingQuery.model_fields["kind"].default
    assert parameters["window"]["schema"]["enum"] == ["1h", "24h", "7d"]
    assert parameters["window"]["schema"]["default"] == RankingQuery.model_fields["window"].default
    limit = parameters["limit"]["schema"]
    assert (limit["minimum"], limit["maximum"], limit["default"]) == (1, 50, RankingQuery.model_fields["limit"].default)
    model = RankingQuery.model_json_schema()["properties"]
    assert parameters["section"]["schema"]["anyOf"] == model["section"]["anyOf"]
    assert not any(p["required"] for p in parameters.values())


def test_responses_name_their_models(doc: dict[str, Any]) -> None:
    def schema_of(method: str, path: str, status: str) -> str:
        return operations(doc)[(method, path)]["responses"][status]["content"]["application/json"]["schema"]["$ref"]

    assert schema_of("GET", "/v1/rankings", "200") == REF + "RankingPage"
    assert schema_of("GET", "/v1/articles/{article_id}/views", "200") == REF + "ArticleViews"
    assert schema_of("GET", "/v1/articles/{article_id}", "200") == REF + "Article"
    assert schema_of("POST", "/v1/views", "202") == REF + "ViewsAccepted"
    assert schema_of("GET", "/v1/editorial", "200") == REF + "EditorialListing"
    item = doc["components"]["schemas"]["RankingItem"]
    assert "previous_rank" in item["required"] and "score" not in item["required"]
    assert item["properties"]["score"]["type"] == "number"  # absent from most_read items, never null
    for (method, path), operation in operations(doc).items():
        for status, response in operation["responses"].items():
            if status.startswith("4") and status != "403":
                assert response["content"]["application/json"]["schema"] == {"$ref": REF + "ErrorBody"}, (method, path)
            if status in ("204", "304", "403"):
                assert "content" not in response, (method, path, status)
            assert "422" not in operation["responses"], "the API answers 400 with its own error body, never 422"
    assert {"HTTPValidationError", "ValidationError"}.isdisjoint(doc["components"]["schemas"])


def test_the_error_body_model_is_what_the_functions_answer() -> None:
    for error in (ClientError("invalid_field", "views[1].event_id: too short", "views[1].event_id"), NotFound("no")):
        assert ErrorBody.model_validate(error.body()).model_dump() == error.body()


def test_served_as_utf8_json_with_korean_intact(doc: dict[str, Any]) -> None:
    body, etag = document_json()
    assert json.loads(body) == doc
    assert "많이 본 뉴스" in body and "\\u" not in body
    assert body.encode("utf-8").decode("utf-8") == body
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)
    assert document_json() == (body, etag)  # built once per container
