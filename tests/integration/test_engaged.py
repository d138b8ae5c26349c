"""Engaged readers on moto, through the functions as AWS wires them: the tracker's conditional update (with
ReturnValuesOnConditionCheckFailure), the stream's MODIFY records through template.yaml's filter, ingest, a
ranking run producing kind=engaged lists with read_rate, and the read path serving them."""

import json

from tests.harness import CHROME, article


def body_of(response):
    return json.loads(response["body"])


def engaged(service, article_id, event_id, visitor=1):
    body = {"article_id": article_id, "event_id": event_id, "engaged": True}
    headers = {"x-forwarded-for": f"198.51.100.{visitor % 250}", "user-agent": f"{CHROME} v{visitor}"}
    return service.post_views(body, headers=headers)


def test_engaged_reports_are_counted_once_and_only_for_their_page_view(service):
    for article_id in ("a1", "a2"):
        assert service.put_article(article_id, article(f"기사 {article_id}"))["statusCode"] == 200
    for visitor in range(1, 5):
        assert body_of(service.view("a1", visitor, event_id=f"page-a1-{visitor}"))["accepted"] == 1
    assert body_of(service.view("a2", 1, event_id="page-a2-1"))["accepted"] == 1
    service.run_ranking()
    before = service.get("/v1/articles/{article_id}/views", article_id="a1")

    answers = [
        body_of(engaged(service, "a1", "page-a1-1", 1)),
        body_of(engaged(service, "a1", "page-a1-2", 2)),
        body_of(engaged(service, "a1", "page-a1-3", 3)),
        body_of(engaged(service, "a1", "page-a1-1", 9)),  # the same page view again, from elsewhere
        body_of(engaged(service, "a1", "page-nothing", 1)),  # no such page view
        body_of(engaged(service, "a2", "page-a1-4", 4)),  # another article's page view
    ]
    assert answers == [
        {"accepted": 1, "duplicate": 0, "ignored": 0},
        {"accepted": 1, "duplicate": 0, "ignored": 0},
        {"accepted": 1, "duplicate": 0, "ignored": 0},
        {"accepted": 0, "duplicate": 1, "ignored": 0},
        {"accepted": 0, "duplicate": 0, "ignored": 1},
        {"accepted": 0, "duplicate": 0, "ignored": 1},
    ]
    assert service.item_count("view#") == 5  # nothing written for the ignored ones
    records = service.stream_records()
    assert [record["eventName"] for record in records] == ["MODIFY"] * 3
    service.deliver(records)
    service.deliver(records)  # a redelivered batch
    service.run_ranking()

    page = service.rankings(kind="engaged", window="24h")
    assert [(item["article_id"], item["views"], item["read_rate"]) for item in page["items"]] == [("a1", 3, 0.75)]
    assert page["items"][0]["title"] == "기사 a1"
    assert all("read_rate" not in item for item in service.rankings(kind="most_read")["items"])
    after = service.get("/v1/articles/{article_id}/views", article_id="a1")
    assert body_of(after)["views"] == body_of(before)["views"] == {"1h": 4, "24h": 4, "7d": 4}


def test_an_engaged_report_without_event_id_is_a_400_naming_it(service):
    response = service.post_views(
        {"views": [{"article_id": "a1", "event_id": "page-0001"}, {"article_id": "a1", "engaged": True}]}
    )
    assert response["statusCode"] == 400
    assert body_of(response)["error"]["field"] == "views[1].event_id"
    assert service.item_count("view#") == 0


def test_engaged_windows(service):
    for window in ("1h", "24h", "7d"):
        assert service.rankings(kind="engaged", window=window)["items"] == []
