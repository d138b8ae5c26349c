"""Stories and freshness rotation through the deployed functions on moto: the catalog's story_id, lists that show a
story once, an article moving between stories, and FreshnessTopHours across runs with hours passing on the clock."""

from __future__ import annotations

import json

import pytest
from mostread.caches import reset

from tests.harness import article

HOUR = 3600


def catalogue(service, article_id, story_id=None, section="politics", published="2026-11-27T08:00:00+09:00"):
    extra = {} if story_id is None else {"story_id": story_id}
    body = article(title=f"기사 {article_id}", section=section, published=published, **extra)
    response = service.put_article(article_id, body)
    assert response["statusCode"] == 200, response
    return json.loads(response["body"])


def read(service, article_id, count, first_visitor=0):
    for visitor in range(first_visitor, first_visitor + count):
        assert service.view(article_id, visitor=visitor)["statusCode"] == 202


def shown(service, **query):
    return [
        (item["article_id"], item["views"], item["story_id"], item["story_articles"])
        for item in service.rankings(**query)["items"]
    ]


def test_story_id_round_trips_through_the_catalog(service):
    stored = catalogue(service, "fire-1", story_id="2026-11-27-fire")
    assert stored["story_id"] == "2026-11-27-fire"
    response = service.get("/v1/articles/fire-1", article_id="fire-1")
    assert json.loads(response["body"])["story_id"] == "2026-11-27-fire"
    # omitted or null: no story
    assert catalogue(service, "alone")["story_id"] is None
    body = article(story_id=None)
    assert json.loads(service.put_article("alone", body)["body"])["story_id"] is None
    # a second PUT without it leaves the story
    assert catalogue(service, "fire-1")["story_id"] is None


@pytest.mark.parametrize(
    ("story_id", "why"),
    [("", "empty"), ("불꽃", "not the id pattern"), ("a" * 129, "too long"), (7, "not text"), ("a..b", "dot-dot")],
)
def test_a_bad_story_id_is_a_400_naming_it(service, story_id, why):
    response = service.put_article("x", article(story_id=story_id))
    assert response["statusCode"] == 400, why
    assert json.loads(response["body"])["error"]["field"] == "story_id"


def test_a_ranking_run_shows_each_story_once_in_every_list(service):
    catalogue(service, "fire-1", "fire", published="2026-11-27T06:00:00+09:00")
    catalogue(service, "fire-2", "fire", published="2026-11-27T07:00:00+09:00")
    catalogue(service, "fire-3", "fire", section="society", published="2026-11-27T08:00:00+09:00")
    catalogue(service, "budget")
    catalogue(service, "weather", section="society")
    read(service, "fire-1", 5)
    read(service, "fire-2", 8, first_visitor=100)
    read(service, "fire-3", 3, first_visitor=200)
    read(service, "budget", 6, first_visitor=300)
    read(service, "weather", 4, first_visitor=400)
    service.run_ranking()

    # all sections: the story as its most-read article, with its own views and the story's three articles
    assert shown(service, window="1h") == [
        ("fire-2", 8, "fire", 3),
        ("budget", 6, None, 1),
        ("weather", 4, None, 1),
    ]
    # a section list counts only its own candidates
    assert shown(service, window="24h", section="society") == [("weather", 4, None, 1), ("fire-3", 3, "fire", 1)]
    trending = service.rankings(kind="trending", window="1h")["items"]
    assert [item["article_id"] for item in trending].count("fire-2") == 1
    assert sum(item["story_id"] == "fire" for item in trending) == 1
    assert next(item for item in trending if item["story_id"] == "fire")["story_articles"] == 3


def test_a_pinned_article_stands_for_its_story(service):
    for n in (1, 2, 3):
        catalogue(service, f"fire-{n}", "fire")
    catalogue(service, "budget")
    read(service, "fire-1", 9)
    read(service, "fire-2", 2, first_visitor=100)
    read(service, "budget", 5, first_visitor=200)
    pin = {"kind": "most_read", "window": "1h", "section": None, "position": 2, "until": "2026-11-28T08:00:00+09:00"}
    assert service.editorial("PUT", "/v1/editorial/pins/fire-3", pin)["statusCode"] == 200
    service.run_ranking()
    # fire-3 has no views, yet stands for the story there: fire-1 leaves that list; the story counts fire-3 too
    assert shown(service, window="1h") == [("budget", 5, None, 1), ("fire-3", 0, "fire", 3)]
    assert shown(service, window="24h")[0] == ("fire-1", 9, "fire", 2)  # other lists are not pinned


def test_an_article_moving_between_stories_reaches_a_warm_run_through_the_catalog_log(service):
    catalogue(service, "a", "one")
    catalogue(service, "b", "one")
    catalogue(service, "c", "two")
    read(service, "a", 6)
    read(service, "b", 5, first_visitor=100)
    read(service, "c", 4, first_visitor=200)
    service.run_ranking()  # cold: the catalog from its index, story_id projected
    assert shown(service, window="1h") == [("a", 6, "one", 2), ("c", 4, "two", 1)]

    catalogue(service, "b", "two")  # b joins story two
    service.clock.advance(60)
    service.run_ranking()  # warm: only the change log
    assert shown(service, window="1h") == [("a", 6, "one", 1), ("b", 5, "two", 2)]

    catalogue(service, "b")  # and leaves every story
    service.clock.advance(60)
    service.run_ranking()
    assert shown(service, window="1h") == [("a", 6, "one", 1), ("b", 5, None, 1), ("c", 4, "two", 1)]

    reset()  # a cold container reads the same from the index
    service.clock.advance(60)
    service.run_ranking()
    assert shown(service, window="1h") == [("a", 6, "one", 1), ("b", 5, None, 1), ("c", 4, "two", 1)]


def test_freshness_rotation_across_runs(service, configure):
    configure(FRESHNESS_TOP_HOURS="2")
    for id_ in ("evergreen", "second", "third", "fourth", "fifth"):
        catalogue(service, id_)
    read(service, "evergreen", 20)
    read(service, "second", 10, first_visitor=100)
    read(service, "third", 8, first_visitor=200)
    read(service, "fourth", 6, first_visitor=300)
    read(service, "fifth", 2, first_visitor=400)

    def order(window="7d"):
        return [item["article_id"] for item in service.rankings(window=window)["items"]]

    service.run_ranking()
    assert order() == ["evergreen", "second", "third", "fourth", "fifth"]
    # fourth overtakes second and third: third falls out of the top three by views, and its clock stops
    read(service, "fourth", 5, first_visitor=500)
    service.clock.advance(HOUR)
    service.run_ranking()
    assert order() == ["evergreen", "fourth", "second", "third", "fifth"]
    # two hours after the first run: not more than two hours yet
    service.clock.advance(HOUR)
    service.run_ranking()
    assert order() == ["evergreen", "fourth", "second", "third", "fifth"]
    # past two hours: evergreen and second (timed since the first run) move to place 4, keeping their views
    service.clock.advance(60)
    service.run_ranking()
    items = service.rankings(window="7d")["items"]
    assert [(i["article_id"], i["views"]) for i in items] == [
        ("fourth", 11),
        ("third", 8),
        ("fifth", 2),
        ("evergreen", 20),
        ("second", 10),
    ]
    assert items[0]["previous_rank"] == 2 and items[3]["previous_rank"] == 1
    # they stay below while their views would keep them on top; fourth's clock started an hour later
    service.clock.advance(HOUR - 120)
    service.run_ranking()
    assert order()[:3] == ["fourth", "third", "fifth"]
    # an editor's pin wins: pinned at 1, evergreen stands there
    pin = {"kind": "most_read", "window": "7d", "section": None, "position": 1, "until": "2026-11-28T08:00:00+09:00"}
    assert service.editorial("PUT", "/v1/editorial/pins/evergreen", pin)["statusCode"] == 200
    service.clock.advance(60)
    service.run_ranking()
    assert order()[0] == "evergreen"
    # trending lists are not rotated
    assert service.rankings(kind="trending", window="24h")["items"][0]["article_id"] == "evergreen"


def test_freshness_rotation_is_off_by_default(service):
    catalogue(service, "evergreen")
    catalogue(service, "other")
    read(service, "evergreen", 5)
    read(service, "other", 1, first_visitor=100)
    for _ in range(10):
        service.run_ranking()
        service.clock.advance(24 * HOUR // 10)
    assert service.rankings(window="7d")["items"][0]["article_id"] == "evergreen"
