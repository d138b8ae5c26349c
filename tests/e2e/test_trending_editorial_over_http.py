"""HOT ISSUE and the editorial controls over real HTTP, against `mostread dev` on DynamoDB Local.

The server is shared with the other e2e tests, so each test works in a section of its own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e.support import Api, article_body, avoid_dedupe_slot_boundary, hours_ago, unique

pytestmark = pytest.mark.e2e


def new_section(api: Api, *articles: tuple[str, float]) -> tuple[str, list[str]]:
    """A fresh section with articles published the given hours ago; returns the section and the ids."""
    section = unique("e2e").replace("-", "")
    ids = []
    for label, hours in articles:
        article_id = unique(label)
        body = article_body(f"{label} 기사 — {article_id}", section, hours_ago(hours))
        assert api.put_article(article_id, body).status_code == 200
        ids.append(article_id)
    return section, ids


def read(api: Api, article_id: str, readers: int, start: int, **view: str) -> None:
    for reader in range(start, start + readers):
        response = api.view({"article_id": article_id, **view}, visitor=f"203.0.113.{reader}")
        assert response.status_code == 202, response.text
        assert response.json()["accepted"] == 1


def listing(api: Api, **query: str) -> list[tuple[str, int, int | None]]:
    return [(i["article_id"], i["views"], i["previous_rank"]) for i in api.rankings(limit="50", **query)["items"]]


def later(hours: float) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat(timespec="seconds")


def test_trending_movement_and_widget_clicks(api: Api) -> None:
    section, (steady, fresh) = new_section(api, ("steady", 30), ("fresh", 0.5))
    avoid_dedupe_slot_boundary()
    read(api, steady, 4, start=1)
    read(api, fresh, 3, start=20)
    read(api, fresh, 5, start=40, ref="mostread")  # clicks on the widget itself
    api.rank()

    assert listing(api, section=section, window="1h") == [(steady, 4, None), (fresh, 3, None)]
    assert api.views_of(fresh)["1h"] == 8  # the article's own count keeps the widget clicks
    trending = api.rankings(kind="trending", window="1h", section=section)
    assert trending["kind"] == "trending"
    # fewer views, but fresh and all of them recent: it leads the HOT ISSUE list
    assert [item["article_id"] for item in trending["items"]] == [fresh, steady]
    assert all(isinstance(item["score"], float) and item["previous_rank"] is None for item in trending["items"])

    read(api, fresh, 3, start=60)
    api.rank()
    assert listing(api, section=section, window="1h") == [(fresh, 6, 2), (steady, 4, 1)]
    api.rank()
    assert listing(api, section=section, window="1h") == [(fresh, 6, 1), (steady, 4, 2)]

    response = api.request("GET", "/v1/rankings", params={"kind": "trending", "window": "7d"})
    assert response.status_code == 400 and response.json()["error"]["field"] == "window"


def test_an_article_past_the_age_limit_leaves_the_lists(api: Api) -> None:
    section, (old, recent) = new_section(api, ("old", 8 * 24), ("recent", 2))
    read(api, old, 3, start=1)
    read(api, recent, 1, start=10)
    api.rank()
    assert [article for article, _, _ in listing(api, section=section, window="7d")] == [recent]
    assert api.views_of(old)["1h"] == 3


def test_exclusions_and_pins_take_effect_at_the_next_run_and_end(api: Api) -> None:
    section, (top, second, pinned) = new_section(api, ("top", 3), ("second", 2), ("pinned", 1))
    read(api, top, 3, start=1)
    read(api, second, 2, start=10)
    api.rank()

    exclusion = api.request("PUT", f"/v1/editorial/exclusions/{top}", json={"until": later(1), "reason": "오보 정정"})
    assert exclusion.status_code == 200
    pin = {"kind": "most_read", "window": "1h", "section": section, "position": 1, "until": later(1)}
    assert api.request("PUT", f"/v1/editorial/pins/{pinned}", json=pin).status_code == 200
    assert [i["article_id"] for i in api.rankings(section=section, window="1h")["items"]] == [top, second]  # not yet

    api.rank()
    assert listing(api, section=section, window="1h") == [(pinned, 0, None), (second, 2, 2)]
    assert [i["article_id"] for i in api.rankings(section=section, window="24h")["items"]] == [second]
    assert [i["article_id"] for i in api.rankings(kind="trending", section=section, window="1h")["items"]] == [second]

    assert api.request("DELETE", f"/v1/editorial/exclusions/{top}").status_code == 204
    assert api.request("DELETE", f"/v1/editorial/pins/{pinned}").status_code == 204
    api.rank()
    assert [i["article_id"] for i in api.rankings(section=section, window="1h")["items"]] == [top, second]


def test_controls_whose_time_has_passed_change_nothing(api: Api) -> None:
    section, (first, second) = new_section(api, ("first", 3), ("second", 2))
    read(api, first, 2, start=1)
    read(api, second, 1, start=10)
    gone = (datetime.now(UTC) - timedelta(minutes=1)).isoformat(timespec="seconds")
    api.request("PUT", f"/v1/editorial/exclusions/{first}", json={"until": gone, "reason": None})
    pin = {"kind": "most_read", "window": "1h", "section": section, "position": 1, "until": gone}
    api.request("PUT", f"/v1/editorial/pins/{second}", json=pin)
    api.rank()
    assert [i["article_id"] for i in api.rankings(section=section, window="1h")["items"]] == [first, second]
    editorial = api.request("GET", "/v1/editorial").json()
    assert first not in {entry["article_id"] for entry in editorial["exclusions"]}
    assert second not in {entry["article_id"] for entry in editorial["pins"]}
