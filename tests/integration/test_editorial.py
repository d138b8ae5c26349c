"""Editorial controls through the real handler on moto: CRUD, replacement, 404s, expiry on the test's clock,
the ranking run's interface (active_controls) and what is stored (one partition, TTL)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import boto3
import pytest
from mostread import keys
from mostread.dal.client import default_db, dynamodb
from mostread.services.editorial import ActiveControls, active_controls

from tests.harness import T0, article

KST = timezone(timedelta(hours=9))
KOREAN_REASON = "법원 게재 금지 가처분 — 「서울」 기사 🚫 ＜전각＞\t탭"
INJECTION = '\'; DROP TABLE views; -- <script>alert(1)</script> ${jndi:ldap://x} {"$ne": null}'


def at(seconds_from_t0: float, zone: timezone = UTC) -> str:
    return datetime.fromtimestamp(T0 + seconds_from_t0, zone).isoformat()


def pin_body(position: int = 1, until: str | None = None, **change: Any) -> dict[str, Any]:
    until = until or at(3600)
    return {"kind": "most_read", "window": "24h", "section": None, "position": position, "until": until, **change}


def header(response: dict[str, Any], name: str) -> str | None:
    return {key.lower(): value for key, value in (response.get("headers") or {}).items()}.get(name)


def ok(response: dict[str, Any], status: int = 200) -> Any:
    assert response["statusCode"] == status, response
    assert header(response, "cache-control") == "no-store"
    if status == 204:
        assert not response.get("body")
        return None
    assert header(response, "content-type") == "application/json; charset=utf-8"
    return json.loads(response["body"])


def error_of(response: dict[str, Any], status: int, code: str, field: str | None) -> dict[str, Any]:
    assert response["statusCode"] == status, response
    assert header(response, "cache-control") == "no-store"
    error = json.loads(response["body"])["error"]
    assert set(error) == {"code", "message", "field"}
    assert (error["code"], error["field"]) == (code, field), error
    assert error["message"]
    return error


def editorial_items(table: str) -> dict[str, dict[str, Any]]:
    items = boto3.client("dynamodb").scan(TableName=table)["Items"]
    return {item["sk"]["S"]: item for item in items if item["pk"]["S"] == keys.EDITORIAL}


# --- exclusions --------------------------------------------------------------------------------------


def test_exclusion_put_list_delete(service):
    body = {"until": at(3600, KST), "reason": KOREAN_REASON}
    stored = ok(service.editorial("PUT", "/v1/editorial/exclusions/a1", body))
    assert stored == {"article_id": "a1", **body}
    assert service.editorial_listing() == {"exclusions": [stored], "pins": []}
    assert ok(service.editorial("DELETE", "/v1/editorial/exclusions/a1"), 204) is None
    assert service.editorial_listing() == {"exclusions": [], "pins": []}
    error_of(service.editorial("DELETE", "/v1/editorial/exclusions/a1"), 404, "not_found", "article_id")


def test_exclusion_fields_default_to_null_and_a_second_put_replaces(service):
    assert ok(service.editorial("PUT", "/v1/editorial/exclusions/a1", {})) == {
        "article_id": "a1",
        "until": None,
        "reason": None,
    }
    second = ok(service.editorial("PUT", "/v1/editorial/exclusions/a1", {"reason": "두 번째"}))
    assert service.editorial_listing()["exclusions"] == [second]
    assert list(editorial_items(service.table)) == [keys.exclusion_sort_key("a1")]


def test_korean_and_injection_text_is_stored_as_text(service):
    for article_id, reason in (("k1", KOREAN_REASON), ("k2", INJECTION)):
        put = service.editorial("PUT", f"/v1/editorial/exclusions/{article_id}", {"reason": reason})
        assert ok(put)["reason"] == reason
        assert json.dumps(reason, ensure_ascii=False) in put["body"]  # UTF-8 text, not \u escapes
    assert [entry["reason"] for entry in service.editorial_listing()["exclusions"]] == [KOREAN_REASON, INJECTION]
    items = editorial_items(service.table)
    assert items[keys.exclusion_sort_key("k1")]["reason"] == {"S": KOREAN_REASON}
    assert items[keys.exclusion_sort_key("k2")]["reason"] == {"S": INJECTION}


def test_articles_outside_the_catalog_may_be_excluded_and_pinned(service):
    assert service.get("/v1/articles/ghost", article_id="ghost")["statusCode"] == 404
    ok(service.editorial("PUT", "/v1/editorial/exclusions/ghost", {"until": None}))
    ok(service.editorial("PUT", "/v1/editorial/pins/ghost", pin_body()))
    service.put_article("real", article())
    ok(service.editorial("PUT", "/v1/editorial/exclusions/real", {}))
    listing = service.editorial_listing()
    assert [e["article_id"] for e in listing["exclusions"]] == ["ghost", "real"]
    assert [p["article_id"] for p in listing["pins"]] == ["ghost"]


# --- pins --------------------------------------------------------------------------------------------


def test_pin_put_list_replace_delete(service):
    first = pin_body(3, at(600, KST), section="sports")
    stored = ok(service.editorial("PUT", "/v1/editorial/pins/p1", first))
    assert stored == {"article_id": "p1", **first}
    assert service.editorial_listing() == {"exclusions": [], "pins": [stored]}

    second = pin_body(1, at(7200), kind="trending", window="1h")
    replaced = ok(service.editorial("PUT", "/v1/editorial/pins/p1", second))
    assert replaced == {"article_id": "p1", **second}
    assert service.editorial_listing()["pins"] == [replaced]  # one pin per article
    assert list(editorial_items(service.table)) == [keys.pin_sort_key("p1")]

    assert ok(service.editorial("DELETE", "/v1/editorial/pins/p1"), 204) is None
    assert service.editorial_listing()["pins"] == []
    error_of(service.editorial("DELETE", "/v1/editorial/pins/p1"), 404, "not_found", "article_id")


def test_a_pin_and_an_exclusion_of_one_article_are_separate(service):
    ok(service.editorial("PUT", "/v1/editorial/pins/a1", pin_body()))
    ok(service.editorial("PUT", "/v1/editorial/exclusions/a1", {}))
    ok(service.editorial("DELETE", "/v1/editorial/exclusions/a1"), 204)
    listing = service.editorial_listing()
    assert (listing["exclusions"], [p["article_id"] for p in listing["pins"]]) == ([], ["a1"])
    error_of(service.editorial("DELETE", "/v1/editorial/exclusions/a1"), 404, "not_found", "article_id")


def test_deleting_what_was_never_there_is_404(service):
    error_of(service.editorial("DELETE", "/v1/editorial/pins/never"), 404, "not_found", "article_id")
    error_of(service.editorial("DELETE", "/v1/editorial/exclusions/never"), 404, "not_found", "article_id")


# --- listing: order and expiry on the injected clock -------------------------------------------------


def test_listing_is_sorted_by_article_id(service):
    for article_id, position in (("c", 1), ("a", 3), ("b", 2)):
        ok(service.editorial("PUT", f"/v1/editorial/exclusions/{article_id}", {}))
        ok(service.editorial("PUT", f"/v1/editorial/pins/{article_id}", pin_body(position)))
    listing = service.editorial_listing()
    assert [e["article_id"] for e in listing["exclusions"]] == ["a", "b", "c"]
    assert [p["article_id"] for p in listing["pins"]] == ["a", "b", "c"]


def test_expired_entries_are_omitted(service, clock):
    ok(service.editorial("PUT", "/v1/editorial/exclusions/forever", {"until": None}))
    ok(service.editorial("PUT", "/v1/editorial/exclusions/minute", {"until": at(60, KST)}))
    ok(service.editorial("PUT", "/v1/editorial/pins/minute", pin_body(until=at(60))))
    # an until in the past is accepted and simply never shows
    past = ok(service.editorial("PUT", "/v1/editorial/exclusions/past", {"until": at(-1)}))
    assert past["until"] == at(-1)
    ok(service.editorial("PUT", "/v1/editorial/pins/past", pin_body(until=at(-3600, KST))))
    ok(service.editorial("PUT", "/v1/editorial/pins/now", pin_body(until=at(0))))  # until == now: expired

    listing = service.editorial_listing()
    assert [e["article_id"] for e in listing["exclusions"]] == ["forever", "minute"]
    assert [p["article_id"] for p in listing["pins"]] == ["minute"]

    clock.advance(59.5)
    assert [p["article_id"] for p in service.editorial_listing()["pins"]] == ["minute"]
    clock.advance(0.5)  # now == until
    assert service.editorial_listing() == {
        "exclusions": [{"article_id": "forever", "until": None, "reason": None}],
        "pins": [],
    }
    clock.advance(10 * 365 * 86400)
    assert [e["article_id"] for e in service.editorial_listing()["exclusions"]] == ["forever"]
    # expired entries can still be deleted (until DynamoDB's TTL removes them)
    ok(service.editorial("DELETE", "/v1/editorial/pins/past"), 204)


# --- bad requests ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "code", "field"),
    [
        ("/v1/editorial/pins/a1", {**pin_body(), "kind": "trending", "window": "7d"}, "invalid_field", "window"),
        ("/v1/editorial/pins/a1", {**pin_body(), "position": 0}, "invalid_field", "position"),
        ("/v1/editorial/pins/a1", {**pin_body(), "position": 51}, "invalid_field", "position"),
        ("/v1/editorial/pins/a1", {**pin_body(), "position": "1"}, "invalid_field", "position"),
        ("/v1/editorial/pins/a1", {**pin_body(), "position": 1.5}, "invalid_field", "position"),
        ("/v1/editorial/pins/a1", {**pin_body(), "until": "2026-12-01T00:00:00"}, "invalid_field", "until"),
        ("/v1/editorial/pins/a1", {**pin_body(), "until": None}, "invalid_field", "until"),
        ("/v1/editorial/pins/a1", {**pin_body(), "section": "Sports"}, "invalid_field", "section"),
        ("/v1/editorial/pins/a1", {"window": "24h", "position": 1, "until": at(60)}, "missing_field", "kind"),
        ("/v1/editorial/exclusions/a1", {"until": "2026-12-01"}, "invalid_field", "until"),
        ("/v1/editorial/exclusions/a1", {"reason": 7}, "invalid_field", "reason"),
        ("/v1/editorial/exclusions/a1", {"reason": "x" * 501}, "invalid_field", "reason"),
        ("/v1/editorial/exclusions/a1", ["until"], "invalid_body", None),
        ("/v1/editorial/pins/a1", "null", "invalid_body", None),
        ("/v1/editorial/pins/a1", "{not json", "invalid_json", None),
        ("/v1/editorial/exclusions/a1", "", "missing_body", None),
        ("/v1/editorial/exclusions/a1", None, "missing_body", None),
    ],
)
def test_bad_bodies_are_400_naming_the_field(service, path, body, code, field):
    raw = body is None or isinstance(body, str)
    error_of(service.editorial("PUT", path, body, raw=raw), 400, code, field)
    assert editorial_items(service.table) == {}


def test_an_oversized_body_is_413(service):
    body = json.dumps({"reason": "r", "padding": "x" * 20_000})
    error_of(service.editorial("PUT", "/v1/editorial/exclusions/a1", body, raw=True), 413, "body_too_large", None)


@pytest.mark.parametrize("article_id", ["a..b", "-lead", "기사", "a b", "x" * 129])
def test_path_ids_are_checked_like_the_catalogs(service, article_id):
    for method, kind, body in (("PUT", "exclusions", {}), ("DELETE", "exclusions", None), ("PUT", "pins", pin_body())):
        response = service.editorial(method, f"/v1/editorial/{kind}/{article_id}", body)
        error_of(response, 400, "invalid_field", "article_id")
    assert editorial_items(service.table) == {}


def test_path_ids_with_dots_and_colons_are_fine(service):
    stored = ok(service.editorial("PUT", "/v1/editorial/pins/2026-11-27:0001.x_y", pin_body()))
    assert stored["article_id"] == "2026-11-27:0001.x_y"


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/v1/editorial/pins"), ("POST", "/v1/editorial/pins/a1"), ("GET", "/v1/editorial/exclusions/a1")],
)
def test_unknown_routes_are_the_contracts_404(service, method, path):
    error_of(service.editorial(method, path, {}), 404, "not_found", None)


# --- storage -----------------------------------------------------------------------------------------


def test_one_partition_and_the_ttl_attribute(service):
    ok(service.editorial("PUT", "/v1/editorial/exclusions/e1", {"until": at(3600, KST), "reason": "r"}))
    ok(service.editorial("PUT", "/v1/editorial/exclusions/e2", {"until": None}))
    ok(service.editorial("PUT", "/v1/editorial/pins/p1", pin_body(until=at(7200.5))))
    items = editorial_items(service.table)
    assert set(items) == {keys.exclusion_sort_key("e1"), keys.exclusion_sort_key("e2"), keys.pin_sort_key("p1")}
    day = 86400
    assert items[keys.exclusion_sort_key("e1")]["expires_at"] == {"N": str(int(T0) + 3600 + day)}
    assert "expires_at" not in items[keys.exclusion_sort_key("e2")]  # until null: never expires
    assert items[keys.pin_sort_key("p1")]["expires_at"] == {"N": str(int(T0) + 7200 + day)}
    assert service.item_count(keys.EDITORIAL) == 3


# --- the ranking run's interface ---------------------------------------------------------------------


@pytest.fixture
def dynamodb_calls():
    calls: list[str] = []

    def record(model: Any, **_: Any) -> None:
        calls.append(model.name)

    client = dynamodb()
    client.meta.events.register("before-call.dynamodb", record)
    yield calls
    client.meta.events.unregister("before-call.dynamodb", record)


def test_active_controls(service, dynamodb_calls):
    ok(service.editorial("PUT", "/v1/editorial/exclusions/x-forever", {"reason": "영구"}))
    ok(service.editorial("PUT", "/v1/editorial/exclusions/x-hour", {"until": at(3600)}))
    ok(service.editorial("PUT", "/v1/editorial/exclusions/x-gone", {"until": at(-1)}))
    ok(service.editorial("PUT", "/v1/editorial/pins/p-b", pin_body(2)))
    ok(service.editorial("PUT", "/v1/editorial/pins/p-a", pin_body(2, kind="trending", window="1h")))
    ok(service.editorial("PUT", "/v1/editorial/pins/p-c", pin_body(1, until=at(60))))
    ok(service.editorial("PUT", "/v1/editorial/pins/p-gone", pin_body(1, until=at(-60))))
    ok(service.editorial("PUT", "/v1/editorial/pins/x-hour", pin_body(50, section="sports")))

    dynamodb_calls.clear()
    controls = active_controls(default_db(), T0)
    assert dynamodb_calls == ["Query"]  # one Query of the editorial partition
    assert isinstance(controls, ActiveControls)
    assert sorted(controls.exclusions) == ["x-forever", "x-hour"]
    assert controls.exclusions["x-forever"].reason == "영구"
    assert controls.exclusions["x-forever"].until_ts is None
    assert controls.exclusions["x-hour"].until_ts == T0 + 3600
    assert [(p.position, p.article_id) for p in controls.pins] == [(1, "p-c"), (2, "p-a"), (2, "p-b"), (50, "x-hour")]
    pin_a = controls.pins[1]
    assert (pin_a.kind, pin_a.window, pin_a.section, pin_a.until_ts) == ("trending", "1h", None, T0 + 3600)
    assert controls.pins[3].section == "sports"

    later = active_controls(default_db(), T0 + 60)
    assert [p.article_id for p in later.pins] == ["p-a", "p-b", "x-hour"]
    assert [p.article_id for p in active_controls(default_db(), T0 + 3600).pins] == []
    assert list(active_controls(default_db(), T0 + 3600).exclusions) == ["x-forever"]
    with pytest.raises(AttributeError):
        controls.pins = []  # type: ignore[misc]


def test_active_controls_when_there_are_none(service):
    assert active_controls(default_db(), T0) == ActiveControls(exclusions={}, pins=[])


def test_changes_are_logged_with_the_article_id_and_never_the_ip(service, caplog):
    caplog.set_level("INFO", logger="mostread")
    ok(service.editorial("PUT", "/v1/editorial/exclusions/logged-1", {"reason": "기록"}))
    ok(service.editorial("PUT", "/v1/editorial/pins/logged-1", pin_body()))
    ok(service.editorial("DELETE", "/v1/editorial/pins/logged-1"), 204)
    ok(service.editorial("DELETE", "/v1/editorial/exclusions/logged-1"), 204)
    records = [record for record in caplog.records if record.name == "mostread"]
    assert [(record.getMessage(), getattr(record, "article_id", None)) for record in records] == [
        ("exclusion stored", "logged-1"),
        ("pin stored", "logged-1"),
        ("pin deleted", "logged-1"),
        ("exclusion deleted", "logged-1"),
    ]
    assert "203.0.113.10" not in repr([record.__dict__ for record in records])
