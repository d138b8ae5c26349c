"""GET /v1/assets/{name}: the embeddable scripts, cacheable for long, with the version in the URL."""

import json
import os
import re
import subprocess
import sys

from mostread.assets import asset_names, find_asset

from tests.harness import ROOT, FakeContext, http_event, load_function

assets = load_function("assets")


def get(name: str, headers: dict[str, str] | None = None) -> dict:
    event = http_event("GET", f"/v1/assets/{name}", headers=headers, path_parameters={"name": name})
    return assets.handler(event, FakeContext())


def test_stable_names_are_cached_for_a_day_and_hashed_names_forever():
    stable = get("tracker.v1.js")
    assert stable["statusCode"] == 200
    assert stable["headers"]["cache-control"] == "public, max-age=86400"
    assert stable["headers"]["content-type"] == "application/javascript; charset=utf-8"
    asset, _ = find_asset("tracker.v1.js")
    hashed = get(asset.hashed_name)
    assert hashed["headers"]["cache-control"] == "public, max-age=31536000, immutable"
    assert hashed["body"] == stable["body"] == asset.body
    assert "sendBeacon" in stable["body"]


def test_etag_and_unknown_names():
    first = get("widget.v1.js")
    assert get("widget.v1.js", {"if-none-match": first["headers"]["etag"]})["statusCode"] == 304
    for name in ("../app.py", "tracker.v2.js", "", "widget.v1.js.map"):
        response = get(name)
        assert response["statusCode"] == 404
        assert '"code":"not_found"' in response["body"]
    assert {"tracker.v1.js", "widget.v1.js", "widget.v1.css"} <= set(asset_names())


def get_openapi(headers: dict[str, str] | None = None) -> dict:
    return assets.handler(http_event("GET", "/v1/openapi.json", headers=headers), FakeContext())


def test_openapi_document_is_served_as_cacheable_utf8_json():
    response = get_openapi()
    assert response["statusCode"] == 200
    headers = response["headers"]
    assert headers["content-type"] == "application/json; charset=utf-8"
    assert headers["cache-control"] == "public, max-age=300"
    assert re.fullmatch(r'"[0-9a-f]{32}"', headers["etag"])
    document = json.loads(response["body"])
    assert document["openapi"].startswith("3.") and document["info"]["title"] == "mostread"
    assert {"/v1/views", "/v1/rankings", "/v1/openapi.json"} <= set(document["paths"])
    assert "많이 본 뉴스" in response["body"]
    assert get_openapi()["body"] == response["body"]


def test_openapi_document_etag_answers_304():
    etag = get_openapi()["headers"]["etag"]
    for if_none_match in (etag, f"W/{etag}", f'"other", {etag}'):
        response = get_openapi({"if-none-match": if_none_match})
        assert response["statusCode"] == 304
        assert response["body"] == ""
        assert response["headers"]["etag"] == etag
    assert get_openapi({"if-none-match": '"stale"'})["statusCode"] == 200


def test_the_asset_route_does_not_load_the_document_machinery():
    # cold start: the document (and Powertools' event handler) are imported on the first request for it only
    probe = (
        "import sys, app; "
        "print([m for m in sys.modules if m in ('mostread.openapi', 'aws_lambda_powertools.event_handler')])"
    )
    environment = {**os.environ, "PYTHONPATH": str(ROOT / "shared")}
    found = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT / "functions" / "assets",
        env=environment,
        capture_output=True,
        text=True,
    )
    assert found.returncode == 0, found.stderr
    assert found.stdout.strip() == "[]"


def test_a_request_no_route_matches_gets_the_contracts_error_body(template) -> None:
    """API Gateway's $default route (template.yaml) sends what no route matches to the assets function, so a
    wrong method on a known path is 405 with Allow, and an unknown path 404, both with the contract's body."""
    [fallback] = [route for route in template.http_routes() if route.path == "$default"]
    assert (fallback.function_id, fallback.method, fallback.iam_auth) == ("AssetsFunction", "ANY", False)
    assets = load_function("assets")
    wrong_method = http_event("PATCH", "/v1/articles/a-1")
    wrong_method["routeKey"] = "$default"
    response = assets.handler(wrong_method, FakeContext())
    assert response["statusCode"] == 405
    assert response["headers"]["allow"] == "DELETE, GET, PUT"
    assert json.loads(response["body"])["error"]["code"] == "method_not_allowed"
    unknown = http_event("GET", "/v2/nothing")
    unknown["routeKey"] = "$default"
    response = assets.handler(unknown, FakeContext())
    assert response["statusCode"] == 404
    assert json.loads(response["body"]) == {
        "error": {"code": "not_found", "message": "no route for GET /v2/nothing", "field": None}
    }
