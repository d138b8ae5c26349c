"""GET /v1/assets/{name}: the embeddable scripts, cacheable for long, with the version in the URL."""

from mostread.assets import asset_names, find_asset

from tests.harness import FakeContext, http_event, load_function

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
