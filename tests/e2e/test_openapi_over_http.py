"""GET /v1/openapi.json over real HTTP against `mostread dev`, and the document held to what the server answers:
every response below is validated against the schema the document gives for it, with no field left undocumented."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from jsonschema import Draft202012Validator
from mostread_dev.template import load_template

from tests.e2e.support import Api, article_body, unique

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def document(api: Api) -> dict[str, Any]:
    response = api.request("GET", "/v1/openapi.json")
    assert response.status_code == 200, response.text
    return response.json()


def strict(node: Any) -> Any:
    """The schemas with ``additionalProperties: false`` on every object: a field the server sends but the
    document does not name fails validation."""
    if isinstance(node, dict):
        strict_node = {key: strict(value) for key, value in node.items()}
        if "properties" in strict_node:
            strict_node.setdefault("additionalProperties", False)
        return strict_node
    if isinstance(node, list):
        return [strict(value) for value in node]
    return node


def assert_documented(document: dict[str, Any], method: str, path: str, response: requests.Response) -> Any:
    """``response`` is one the document declares for ``method path``, and its JSON body fits the schema."""
    declared = document["paths"][path][method.lower()]["responses"]
    assert str(response.status_code) in declared, f"{method} {path} answered undocumented {response.status_code}"
    content = declared[str(response.status_code)].get("content")
    if content is None:
        assert response.content == b""
        return None
    assert response.headers["content-type"].split(";")[0] in content
    schema = content[response.headers["content-type"].split(";")[0]]["schema"]
    root = {**schema, "components": strict(copy.deepcopy(document["components"]))}
    body = response.json()
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in Draft202012Validator(root).iter_errors(body)]
    assert not errors, f"{method} {path} {response.status_code}: {errors}"
    return body


def test_served_with_content_type_caching_and_etag(api: Api) -> None:
    response = api.request("GET", "/v1/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.headers["cache-control"] == "public, max-age=300"
    assert "많이 본 뉴스" in response.content.decode("utf-8")
    assert b"\\u" not in response.content
    etag = response.headers["etag"]
    again = api.request("GET", "/v1/openapi.json", headers={"if-none-match": etag})
    assert again.status_code == 304
    assert again.content == b""


def test_documents_every_route_the_server_serves(document: dict[str, Any]) -> None:
    # $default is the catch-all that answers 404/405 for what no route matches: not an operation of the API
    served = {(route.method.lower(), route.path) for route in load_template().http_routes() if route.path != "$default"}
    assert {(method, path) for path, item in document["paths"].items() for method in item} == served


def test_what_the_server_answers_is_what_the_document_says(api: Api, document: dict[str, Any]) -> None:
    section = unique("oas").replace("-", "")
    first, second = unique("oas-a"), unique("oas-b")
    published = (datetime.now(UTC) - timedelta(hours=1)).isoformat(timespec="seconds")
    for article_id in (first, second):
        body = article_body(f"문서 검증 {article_id}", section, published, summary="요약 ✓")
        assert_documented(document, "PUT", "/v1/articles/{article_id}", api.put_article(article_id, body))
    assert_documented(document, "GET", "/v1/articles/{article_id}", api.request("GET", f"/v1/articles/{first}"))
    bad = api.put_article(unique("oas-bad"), {"title": ""})
    assert assert_documented(document, "PUT", "/v1/articles/{article_id}", bad)["error"]["field"]

    views = api.view({"views": [{"article_id": first}, {"article_id": second}]}, visitor="198.51.100.77")
    assert_documented(document, "POST", "/v1/views", views)
    assert_documented(document, "POST", "/v1/views", api.view({"article_id": "no/slash"}))
    assert_documented(document, "POST", "/v1/views", api.view({"article_id": "a"}, content_type="text/html"))
    assert_documented(document, "POST", "/v1/views", api.view(b" " * (17 * 1024)))
    api.rank()

    path = "/v1/editorial/pins/{article_id}"
    until = (datetime.now(UTC) + timedelta(hours=1)).isoformat(timespec="seconds")
    pin = {"kind": "trending", "window": "1h", "section": section, "position": 1, "until": until}
    assert_documented(document, "PUT", path, api.request("PUT", f"/v1/editorial/pins/{second}", json=pin))
    exclusion = api.request("PUT", f"/v1/editorial/exclusions/{first}", json={"until": until, "reason": "오보 정정"})
    assert_documented(document, "PUT", "/v1/editorial/exclusions/{article_id}", exclusion)
    try:
        listing = assert_documented(document, "GET", "/v1/editorial", api.request("GET", "/v1/editorial"))
        assert second in {entry["article_id"] for entry in listing["pins"]}
        api.rank()
        for kind, window in (("most_read", "24h"), ("trending", "1h")):
            query = {"kind": kind, "window": window, "section": section}
            page = assert_documented(document, "GET", "/v1/rankings", api.request("GET", "/v1/rankings", params=query))
            assert [item["article_id"] for item in page["items"]] == [second]  # first is excluded
            assert ("score" in page["items"][0]) == (kind == "trending")
    finally:
        for control, article_id in (("pins", second), ("exclusions", first)):
            deleted = api.request("DELETE", f"/v1/editorial/{control}/{article_id}")
            assert_documented(document, "DELETE", f"/v1/editorial/{control}/{{article_id}}", deleted)
    seven_day_trending = api.request("GET", "/v1/rankings", params={"kind": "trending", "window": "7d"})
    assert assert_documented(document, "GET", "/v1/rankings", seven_day_trending)["error"]["field"] == "window"

    counts = api.request("GET", f"/v1/articles/{first}/views")
    assert assert_documented(document, "GET", "/v1/articles/{article_id}/views", counts)["views"]["1h"] == 1
    cached = api.request("GET", f"/v1/articles/{first}/views", headers={"if-none-match": counts.headers["etag"]})
    assert_documented(document, "GET", "/v1/articles/{article_id}/views", cached)
    assert_documented(document, "DELETE", "/v1/articles/{article_id}", api.request("DELETE", f"/v1/articles/{first}"))
    missing = api.request("DELETE", f"/v1/articles/{first}")
    assert_documented(document, "DELETE", "/v1/articles/{article_id}", missing)
    asset = api.request("GET", "/v1/assets/nothing.js")
    assert_documented(document, "GET", "/v1/assets/{name}", asset)
