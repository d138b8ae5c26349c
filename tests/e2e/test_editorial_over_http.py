"""Editorial controls over real HTTP, against `mostread dev` on DynamoDB Local (which does not check IAM auth)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import requests

from tests.e2e.support import Api, unique

pytestmark = pytest.mark.e2e

KST = timezone(timedelta(hours=9))
REASON = "법원 게재 금지 가처분 — 「서울」 🚫 '; DROP TABLE views; -- <script>alert(1)</script>"


def later(hours: float, zone: timezone = KST) -> str:
    return (datetime.now(zone) + timedelta(hours=hours)).replace(microsecond=0).isoformat()


def pin(position: int = 1, **change: Any) -> dict[str, Any]:
    return {"kind": "most_read", "window": "24h", "section": None, "position": position, "until": later(1), **change}


def listing(api: Api, *article_ids: str) -> dict[str, list[str]]:
    """GET /v1/editorial, narrowed to this test's articles (the server is shared by the session)."""
    response = api.request("GET", "/v1/editorial")
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    document = response.json()
    assert set(document) == {"exclusions", "pins"}
    for entries in document.values():
        every_id = [entry["article_id"] for entry in entries]
        assert every_id == sorted(every_id)
    return {name: [e for e in entries if e["article_id"] in article_ids] for name, entries in document.items()}


def assert_error(response: requests.Response, status: int, code: str, field: str | None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert set(error) == {"code", "message", "field"}
    assert re.fullmatch(r"[a-z_]+", error["code"])
    assert (error["code"], error["field"]) == (code, field), error
    assert error["message"]


def test_exclusion_crud(api: Api) -> None:
    article_id = unique("ex")
    path = f"/v1/editorial/exclusions/{article_id}"
    body = {"until": later(2), "reason": REASON}
    put = api.request("PUT", path, json=body)
    assert put.status_code == 200, put.text
    assert put.headers["cache-control"] == "no-store"
    assert put.json() == {"article_id": article_id, **body}
    assert listing(api, article_id) == {"exclusions": [put.json()], "pins": []}

    forever = api.request("PUT", path, json={"until": None, "reason": None})
    assert forever.json() == {"article_id": article_id, "until": None, "reason": None}
    assert listing(api, article_id)["exclusions"] == [forever.json()]

    deleted = api.request("DELETE", path)
    assert deleted.status_code == 204, deleted.text
    assert deleted.content == b""
    assert listing(api, article_id)["exclusions"] == []
    assert_error(api.request("DELETE", path), 404, "not_found", "article_id")


def test_pin_crud_and_replacement(api: Api) -> None:
    first, second = unique("pa"), unique("pb")
    stored = api.request("PUT", f"/v1/editorial/pins/{first}", json=pin(5, section="sports"))
    assert stored.status_code == 200, stored.text
    assert stored.json() == {"article_id": first, **pin(5, section="sports", until=stored.json()["until"])}
    replacement = pin(2, kind="trending", window="1h", until=later(3, UTC))
    replaced = api.request("PUT", f"/v1/editorial/pins/{first}", json=replacement)
    assert replaced.json() == {"article_id": first, **replacement}
    assert api.request("PUT", f"/v1/editorial/pins/{second}", json=pin(1)).status_code == 200
    assert [p["article_id"] for p in listing(api, first, second)["pins"]] == sorted([first, second])
    assert listing(api, first)["pins"] == [replaced.json()]  # one pin per article

    assert api.request("DELETE", f"/v1/editorial/pins/{first}").status_code == 204
    assert_error(api.request("DELETE", f"/v1/editorial/pins/{first}"), 404, "not_found", "article_id")
    assert [p["article_id"] for p in listing(api, first, second)["pins"]] == [second]
    assert api.request("DELETE", f"/v1/editorial/pins/{second}").status_code == 204


def test_an_until_in_the_past_is_accepted_and_never_listed(api: Api) -> None:
    excluded, pinned = unique("past"), unique("past")
    gone = later(-1)
    put = api.request("PUT", f"/v1/editorial/exclusions/{excluded}", json={"until": gone})
    assert (put.status_code, put.json()["until"]) == (200, gone)
    assert api.request("PUT", f"/v1/editorial/pins/{pinned}", json=pin(until=gone)).status_code == 200
    assert listing(api, excluded, pinned) == {"exclusions": [], "pins": []}


@pytest.mark.parametrize(
    ("kind", "body", "code", "field"),
    [
        ("pins", pin(kind="trending", window="7d"), "invalid_field", "window"),
        ("pins", pin(position=0), "invalid_field", "position"),
        ("pins", pin(position=51), "invalid_field", "position"),
        ("pins", pin(position="1"), "invalid_field", "position"),
        ("pins", pin(until="2026-12-01T00:00:00"), "invalid_field", "until"),
        ("pins", {"kind": "most_read", "window": "24h", "position": 1}, "missing_field", "until"),
        ("exclusions", {"until": "next week"}, "invalid_field", "until"),
        ("exclusions", {"reason": ["a"]}, "invalid_field", "reason"),
        ("exclusions", [], "invalid_body", None),
        ("exclusions", b"{not json", "invalid_json", None),
        ("exclusions", b"", "missing_body", None),
    ],
)
def test_bad_bodies_are_400_naming_the_field(api: Api, kind: str, body: Any, code: str, field: str | None) -> None:
    article_id = unique("bad")
    path = f"/v1/editorial/{kind}/{article_id}"
    if isinstance(body, bytes):
        response = api.request("PUT", path, data=body, headers={"content-type": "application/json"})
    else:
        response = api.request("PUT", path, json=body)
    assert_error(response, 400, code, field)
    assert listing(api, article_id) == {"exclusions": [], "pins": []}


@pytest.mark.parametrize("article_id", ["a..b", "-lead", "%ED%95%9C", "x" * 129])
def test_bad_path_ids_are_400(api: Api, article_id: str) -> None:
    assert_error(
        api.request("PUT", f"/v1/editorial/exclusions/{article_id}", json={}), 400, "invalid_field", "article_id"
    )
    assert_error(api.request("DELETE", f"/v1/editorial/pins/{article_id}"), 400, "invalid_field", "article_id")


def test_unknown_editorial_routes_are_404(api: Api) -> None:
    response = api.request("GET", "/v1/editorial/pins")
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == "not_found"
