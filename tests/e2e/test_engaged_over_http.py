"""Engaged readers over real HTTP against `mostread dev` on DynamoDB Local: the tracker's answers (the conditional
update with ReturnValuesOnConditionCheckFailure on the real engine), the stream's MODIFY records through the
template's filter, and kind=engaged lists with read_rate."""

from __future__ import annotations

import pytest

from tests.e2e.support import Api, article_body, avoid_dedupe_slot_boundary, hours_ago, unique

pytestmark = pytest.mark.e2e


def answer(response) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == 202, response.text
    return dict(response.json())


def test_engaged_reports_rank_articles_by_readers_who_stayed(api: Api) -> None:
    section = unique("eng").replace("-", "")
    long_read, skimmed = unique("long"), unique("skim")
    for article_id in (long_read, skimmed):
        assert api.put_article(article_id, article_body(f"기사 {article_id}", section, hours_ago(2))).status_code == 200
    avoid_dedupe_slot_boundary()
    page_views = {}
    for n in range(1, 6):
        for article_id in (long_read, skimmed):
            event_id = f"{article_id}-{n:02d}"[-40:].replace(":", "-")
            page_views[(article_id, n)] = event_id
            body = {"article_id": article_id, "event_id": event_id}
            assert answer(api.view(body, visitor=f"198.51.101.{n}"))["accepted"] == 1
    api.rank()
    before = {article_id: api.views_of(article_id) for article_id in (long_read, skimmed)}

    def engaged(article_id: str, n: int, visitor: str) -> dict:
        body = {"article_id": article_id, "event_id": page_views[(article_id, n)], "engaged": True}
        return answer(api.view(body, visitor=visitor))

    for n in range(1, 5):
        assert engaged(long_read, n, f"198.51.101.{n}") == {"accepted": 1, "duplicate": 0, "ignored": 0}
    assert engaged(skimmed, 1, "198.51.101.1")["accepted"] == 1
    assert engaged(long_read, 1, "198.51.101.99") == {"accepted": 0, "duplicate": 1, "ignored": 0}  # a retry
    assert engaged(skimmed, 2, "198.51.101.2") == {"accepted": 1, "duplicate": 0, "ignored": 0}
    # no such page view, or the page view of another article: not counted
    missing = {"article_id": long_read, "event_id": unique("nothing"), "engaged": True}
    assert answer(api.view(missing)) == {"accepted": 0, "duplicate": 0, "ignored": 1}
    other = {"article_id": skimmed, "event_id": page_views[(long_read, 5)], "engaged": True}
    assert answer(api.view(other)) == {"accepted": 0, "duplicate": 0, "ignored": 1}
    no_event = api.view({"article_id": long_read, "engaged": True})
    assert no_event.status_code == 400
    assert no_event.json()["error"]["field"] == "event_id"
    api.rank()

    for window in ("1h", "24h", "7d"):
        page = api.rankings(kind="engaged", window=window, section=section)
        assert page["kind"] == "engaged"
        items = [(item["article_id"], item["views"], item["read_rate"]) for item in page["items"]]
        assert items == [(long_read, 4, 0.8), (skimmed, 2, 0.4)], window
        assert all(item["previous_rank"] in (None, item["rank"]) for item in page["items"])
    most_read = api.rankings(kind="most_read", window="24h", section=section)
    assert all("read_rate" not in item for item in most_read["items"])
    # page-view counts do not change because of engaged reports
    assert {article_id: api.views_of(article_id) for article_id in (long_read, skimmed)} == before
    assert before[long_read]["24h"] == 5


def test_engaged_kind_windows(api: Api) -> None:
    for window in ("1h", "24h", "7d"):
        response = api.request("GET", "/v1/rankings", params={"kind": "engaged", "window": window})
        assert response.status_code == 200, response.text
    response = api.request("GET", "/v1/rankings", params={"kind": "engaged_readers"})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "kind"
