"""HOT ISSUE and editorial controls through the deployed functions: trending lists, rank movement,
self-feeding protection, the age limit, excluded sections, exclusions and pins, the site's day."""

from __future__ import annotations

import json

import boto3
import pytest

from tests.harness import article

HOUR = 3600


def catalogue(service, article_id, section="politics", published="2026-11-27T08:00:00+09:00"):
    response = service.put_article(
        article_id, article(title=f"기사 {article_id}", section=section, published=published)
    )
    assert response["statusCode"] == 200, response


def read(service, article_id, count, first_visitor=0, **view):
    for visitor in range(first_visitor, first_visitor + count):
        assert service.view(article_id, visitor=visitor, **view)["statusCode"] == 202


def listed(service, **query):
    return [(item["article_id"], item["views"]) for item in service.rankings(**query)["items"]]


def article_views(service, article_id):
    response = service.get(f"/v1/articles/{article_id}/views", article_id=article_id)
    return json.loads(response["body"])["views"]


def editorial(service, method, path, body=None, status=200):
    response = service.editorial(method, path, body)
    assert response["statusCode"] == status, response
    return json.loads(response["body"]) if response.get("body") else None


# -- trending ----------------------------------------------------------------------------------------


def test_a_surge_tops_the_trending_list_while_steady_volume_tops_most_read(service):
    catalogue(service, "steady", published="2026-11-27T21:00:00+09:00")
    catalogue(service, "surging", published="2026-11-27T21:00:00+09:00")
    # the steady article is read 12 times an hour all day; the surging one was quiet until the last hour
    for hour in range(6):
        read(service, "steady", 12, first_visitor=hour * 100)
        if hour == 0:
            read(service, "surging", 2, first_visitor=1000)
        service.clock.advance(HOUR)
        service.run_ranking()
    read(service, "surging", 9, first_visitor=2000)
    read(service, "steady", 12, first_visitor=3000)
    service.run_ranking()

    assert listed(service, window="1h") == [("steady", 12), ("surging", 9)]
    trending = service.rankings(kind="trending", window="1h")
    assert (trending["kind"], trending["window"], trending["section"]) == ("trending", "1h", None)
    assert [(i["article_id"], i["views"]) for i in trending["items"]] == [("surging", 9), ("steady", 12)]
    scores = [item["score"] for item in trending["items"]]
    assert all(isinstance(score, float) for score in scores) and scores[0] > scores[1] > 0
    assert "score" not in service.rankings(window="1h")["items"][0]
    day = service.rankings(kind="trending", window="24h")
    assert {item["article_id"] for item in day["items"]} == {"steady", "surging"}


def test_trending_has_no_7d_window(service):
    response = service.get("/v1/rankings", query={"kind": "trending", "window": "7d"})
    assert response["statusCode"] == 400
    assert json.loads(response["body"])["error"]["field"] == "window"
    response = service.get("/v1/rankings", query={"kind": "hot"})
    assert json.loads(response["body"])["error"]["field"] == "kind"


def test_trending_needs_the_minimum_views(service, configure):
    configure(TRENDING_MIN_VIEWS="3")
    catalogue(service, "busy")
    catalogue(service, "quiet")
    read(service, "busy", 3)
    read(service, "quiet", 2, first_visitor=100)
    service.run_ranking()
    assert [i["article_id"] for i in service.rankings(kind="trending", window="1h")["items"]] == ["busy"]
    assert [i["article_id"] for i in service.rankings(window="1h")["items"]] == ["busy", "quiet"]


# -- movement ----------------------------------------------------------------------------------------


def test_previous_rank_is_the_rank_in_the_previous_run_of_the_same_list(service):
    for article_id in ("a", "b", "c"):
        catalogue(service, article_id)
    read(service, "a", 3)
    read(service, "b", 2, first_visitor=10)
    service.run_ranking()
    first = service.rankings(window="1h")["items"]
    assert [(i["article_id"], i["rank"], i["previous_rank"]) for i in first] == [("a", 1, None), ("b", 2, None)]

    read(service, "b", 2, first_visitor=20)  # b overtakes a
    read(service, "c", 1, first_visitor=30)  # c is new
    service.clock.advance(60)
    service.run_ranking()
    moved = service.rankings(window="1h")["items"]
    assert [(i["article_id"], i["rank"], i["previous_rank"]) for i in moved] == [
        ("b", 1, 2),
        ("a", 2, 1),
        ("c", 3, None),
    ]
    trending = service.rankings(kind="trending", window="1h")["items"]
    assert all("previous_rank" in item for item in trending)

    service.clock.advance(60)
    service.run_ranking()  # nothing changed: every article stands where it stood
    settled = service.rankings(window="1h")["items"]
    assert [(i["rank"], i["previous_rank"]) for i in settled] == [(1, 1), (2, 2), (3, 3)]


# -- self-feeding protection -------------------------------------------------------------------------


def test_widget_clicks_count_for_the_article_but_not_for_the_lists(service):
    catalogue(service, "clicked")
    catalogue(service, "organic")
    answer = json.loads(service.view("clicked", visitor=1, ref="mostread")["body"])
    assert answer == {"accepted": 1, "duplicate": 0, "ignored": 0}
    read(service, "clicked", 4, first_visitor=2, ref="mostread")
    read(service, "organic", 2, first_visitor=50, ref="newsletter")
    read(service, "clicked", 1, first_visitor=90)
    service.run_ranking()
    assert article_views(service, "clicked") == {"1h": 6, "24h": 6, "7d": 6}
    assert listed(service, window="1h") == [("organic", 2), ("clicked", 1)]
    assert [i["views"] for i in service.rankings(kind="trending", window="1h")["items"]] == [2, 1]


def test_a_site_can_count_widget_clicks_in_the_lists(service, configure):
    configure(COUNT_WIDGET_CLICKS_IN_LISTS="true")
    catalogue(service, "clicked")
    read(service, "clicked", 3, ref="mostread")
    service.run_ranking()
    assert listed(service, window="1h") == [("clicked", 3)]


# -- eligibility: age limit and excluded sections ----------------------------------------------------


def test_articles_older_than_the_maximum_age_leave_the_lists_but_keep_their_counts(service, configure):
    catalogue(service, "old", published="2026-11-20T11:59:00Z")  # 7 days and a minute before the clock
    catalogue(service, "recent", published="2026-11-25T12:00:00Z")
    read(service, "old", 5)
    read(service, "recent", 1, first_visitor=100)
    pin = {"kind": "most_read", "window": "7d", "section": None, "position": 1, "until": "2026-11-28T00:00:00Z"}
    editorial(service, "PUT", "/v1/editorial/pins/old", pin)  # the age limit beats a pin too
    report = service.run_ranking()
    assert report["pins_not_shown"] == {"old": "older than MaxArticleAgeDays"}
    assert listed(service, window="7d") == [("recent", 1)]
    assert listed(service, kind="trending", window="24h") == [("recent", 1)]
    assert article_views(service, "old")["7d"] == 5

    configure(MAX_ARTICLE_AGE_DAYS="30")
    editorial(service, "DELETE", "/v1/editorial/pins/old", status=204)
    service.clock.advance(60)
    service.run_ranking()
    assert listed(service, window="7d") == [("old", 5), ("recent", 1)]


def test_excluded_sections_stay_out_of_the_all_sections_lists_only(service, configure):
    configure(EXCLUDED_SECTIONS="ads,notice")
    catalogue(service, "advert", section="ads")
    catalogue(service, "story", section="politics")
    read(service, "advert", 5)
    read(service, "story", 1, first_visitor=100)
    service.run_ranking()
    for kind in ("most_read", "trending"):
        assert listed(service, kind=kind, window="1h") == [("story", 1)]
        assert listed(service, kind=kind, window="1h", section="ads") == [("advert", 5)]


# -- exclusions and pins -----------------------------------------------------------------------------


def test_an_exclusion_takes_an_article_out_of_every_list_until_it_ends(service):
    for article_id, section in (("retracted", "politics"), ("other", "politics")):
        catalogue(service, article_id, section)
    read(service, "retracted", 5)
    read(service, "other", 1, first_visitor=100)
    stored = editorial(
        service,
        "PUT",
        "/v1/editorial/exclusions/retracted",
        {"until": "2026-11-27T22:00:00+09:00", "reason": "정정 보도"},
    )
    assert stored == {"article_id": "retracted", "until": "2026-11-27T22:00:00+09:00", "reason": "정정 보도"}
    service.run_ranking()
    for query in (
        {"window": "1h"},
        {"window": "7d"},
        {"window": "1h", "section": "politics"},
        {"kind": "trending", "window": "1h"},
    ):
        assert [article_id for article_id, _ in listed(service, **query)] == ["other"], query
    assert article_views(service, "retracted")["1h"] == 5

    service.clock.advance(HOUR)  # 22:00 KST: the exclusion has ended
    service.run_ranking()
    assert [article_id for article_id, _ in listed(service, window="24h")] == ["retracted", "other"]
    assert editorial(service, "GET", "/v1/editorial") == {"exclusions": [], "pins": []}


def test_deleting_an_exclusion_restores_the_article_at_the_next_run(service):
    catalogue(service, "story")
    read(service, "story", 2)
    editorial(service, "PUT", "/v1/editorial/exclusions/story", {"until": None, "reason": None})
    service.run_ranking()
    assert listed(service, window="1h") == []
    editorial(service, "DELETE", "/v1/editorial/exclusions/story", status=204)
    service.run_ranking()
    assert listed(service, window="1h") == [("story", 2)]


def test_a_pin_holds_its_position_in_one_list_until_it_ends(service):
    for article_id in ("a", "b", "c", "pinned"):
        catalogue(service, article_id)
    read(service, "a", 3)
    read(service, "b", 2, first_visitor=10)
    read(service, "c", 1, first_visitor=20)
    pin = {"kind": "most_read", "window": "1h", "section": None, "position": 2, "until": "2026-11-27T12:30:00Z"}
    assert editorial(service, "PUT", "/v1/editorial/pins/pinned", pin) == {"article_id": "pinned", **pin}
    service.run_ranking()
    assert listed(service, window="1h") == [("a", 3), ("pinned", 0), ("b", 2), ("c", 1)]
    assert [i["rank"] for i in service.rankings(window="1h")["items"]] == [1, 2, 3, 4]
    # that one list only
    assert listed(service, window="24h") == [("a", 3), ("b", 2), ("c", 1)]
    assert listed(service, window="1h", section="politics") == [("a", 3), ("b", 2), ("c", 1)]

    service.clock.advance(31 * 60)
    service.run_ranking()
    assert listed(service, window="1h") == [("a", 3), ("b", 2), ("c", 1)]


def test_a_pin_beyond_the_lists_end_stands_last_and_a_second_put_replaces_it(service):
    catalogue(service, "a")
    catalogue(service, "pinned", section="culture")
    read(service, "a", 3)
    read(service, "pinned", 1, first_visitor=50)
    pin = {"kind": "trending", "window": "1h", "section": "politics", "position": 50, "until": "2026-11-28T00:00:00Z"}
    editorial(service, "PUT", "/v1/editorial/pins/pinned", pin)
    service.run_ranking()
    assert [i["article_id"] for i in service.rankings(kind="trending", window="1h", section="politics")["items"]] == [
        "a",
        "pinned",
    ]
    pinned_item = service.rankings(kind="trending", window="1h", section="politics")["items"][1]
    assert pinned_item["views"] == 1 and pinned_item["score"] > 0

    editorial(service, "PUT", "/v1/editorial/pins/pinned", {**pin, "section": None, "position": 1})
    service.run_ranking()
    assert [i["article_id"] for i in service.rankings(kind="trending", window="1h", section="politics")["items"]] == [
        "a"
    ]
    assert [i["article_id"] for i in service.rankings(kind="trending", window="1h")["items"]] == ["pinned", "a"]


def test_an_exclusion_beats_a_pin_and_uncatalogued_pins_are_not_shown(service):
    catalogue(service, "a")
    catalogue(service, "both")
    read(service, "a", 1)
    pin = {"kind": "most_read", "window": "24h", "section": None, "position": 1, "until": "2026-11-28T00:00:00Z"}
    editorial(service, "PUT", "/v1/editorial/pins/both", pin)
    editorial(service, "PUT", "/v1/editorial/exclusions/both", {"until": None, "reason": "부고"})
    editorial(service, "PUT", "/v1/editorial/pins/ghost", pin)
    report = service.run_ranking()
    assert listed(service, window="24h") == [("a", 1)]
    assert (report["exclusions_in_force"], report["pins_in_force"]) == (1, 2)
    assert report["pins_not_shown"] == {"both": "excluded", "ghost": "not in the catalog"}


def test_a_pin_publishes_a_list_that_has_no_views(service):
    catalogue(service, "pinned", section="culture")
    pin = {"kind": "most_read", "window": "7d", "section": "culture", "position": 3, "until": "2026-11-28T00:00:00Z"}
    editorial(service, "PUT", "/v1/editorial/pins/pinned", pin)
    service.run_ranking()
    assert listed(service, window="7d", section="culture") == [("pinned", 0)]
    editorial(service, "DELETE", "/v1/editorial/pins/pinned", status=204)
    service.run_ranking()
    assert listed(service, window="7d", section="culture") == []


# -- the site's day ----------------------------------------------------------------------------------


def salt_days(table):
    """The days whose salts are stored, in the salts table (the views table never holds one)."""
    items = boto3.client("dynamodb").scan(TableName=f"{table}-salts")["Items"]
    return sorted(item["pk"]["S"].removeprefix("salt#") for item in items if item["pk"]["S"].startswith("salt#"))


def test_the_visitor_salt_turns_over_at_midnight_in_the_sites_zone(service):
    service.clock.advance(3 * HOUR - 60)  # 23:59 in Seoul, 14:59 UTC
    read(service, "a", 1)
    service.clock.advance(60)  # 00:00 in Seoul, still the 27th in UTC
    read(service, "a", 1)
    assert salt_days(service.table) == ["2026-11-27", "2026-11-28"]


def test_a_site_in_utc_keeps_one_salt_through_seoul_midnight(service, configure):
    configure(SITE_TIME_ZONE="UTC")
    service.clock.advance(3 * HOUR - 60)
    read(service, "a", 1)
    service.clock.advance(60)
    read(service, "a", 1)
    assert salt_days(service.table) == ["2026-11-27"]


# -- "as of the latest ranking run" ------------------------------------------------------------------


def test_counts_and_empty_lists_are_as_of_the_latest_run(service):
    catalogue(service, "a")
    read(service, "a", 1)
    first = service.run_ranking()["generated_at"]
    service.clock.advance(60)
    latest = service.run_ranking()["generated_at"]  # nothing changed: no counts chunk is rewritten
    assert latest != first
    for article_id in ("a", "never-viewed"):
        response = service.get(f"/v1/articles/{article_id}/views", article_id=article_id)
        assert json.loads(response["body"])["generated_at"] == latest
    empty = service.rankings(section="no-such-section")
    assert (empty["generated_at"], empty["items"]) == (latest, [])


def test_before_the_first_run_everything_is_null(service):
    assert service.rankings(kind="trending", window="1h")["generated_at"] is None
    response = service.get("/v1/articles/a/views", article_id="a")
    assert json.loads(response["body"]) == {
        "article_id": "a",
        "views": {"1h": 0, "24h": 0, "7d": 0},
        "generated_at": None,
    }


@pytest.mark.parametrize("limit", ["1_0", " 10", "+5", "10.0", "010", "0", "51", "1e1", "１０"])
def test_limit_is_a_plain_whole_number(service, limit):
    response = service.get("/v1/rankings", query={"limit": limit})
    assert response["statusCode"] == 400
    assert json.loads(response["body"])["error"]["field"] == "limit"
