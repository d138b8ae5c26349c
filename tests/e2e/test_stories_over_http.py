"""Stories over real HTTP, against `mostread dev` on DynamoDB Local: story_id in the catalog (and in its index, whose
projection DynamoDB Local enforces), every list showing a story once, an article moving between stories.

The server is shared with the other e2e tests, so the test works in a section of its own."""

from __future__ import annotations

import pytest

from tests.e2e.support import Api, article_body, avoid_dedupe_slot_boundary, hours_ago, unique

pytestmark = pytest.mark.e2e


def read(api: Api, article_id: str, readers: int, start: int) -> None:
    for reader in range(start, start + readers):
        response = api.view({"article_id": article_id}, visitor=f"203.0.113.{reader}")
        assert response.status_code == 202, response.text
        assert response.json()["accepted"] == 1


def shown(api: Api, **query: str) -> list[tuple[str, int, str | None, int]]:
    return [
        (item["article_id"], item["views"], item["story_id"], item["story_articles"])
        for item in api.rankings(limit="50", **query)["items"]
    ]


def test_a_story_shows_once_as_its_most_read_article_and_articles_can_move_between_stories(api: Api) -> None:
    section = unique("story").replace("-", "")
    story = unique("fire")
    lead, follow_up, analysis, other = (unique(label) for label in ("lead", "follow", "analysis", "other"))
    for article_id, story_id, hours in (
        (lead, story, 5),
        (follow_up, story, 3),
        (analysis, story, 1),
        (other, None, 2),
    ):
        body = article_body(f"화재 속보 {article_id}", section, hours_ago(hours), story_id=story_id)
        response = api.put_article(article_id, body)
        assert response.status_code == 200, response.text
        assert response.json()["story_id"] == story_id
    assert api.request("GET", f"/v1/articles/{lead}").json()["story_id"] == story
    bad = api.put_article(unique("bad"), article_body("잘못된 이야기", section, story_id="화재"))
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "story_id"

    avoid_dedupe_slot_boundary()
    read(api, lead, 3, start=1)
    read(api, follow_up, 5, start=20)
    read(api, analysis, 1, start=40)
    read(api, other, 4, start=60)
    api.rank()
    for window in ("1h", "24h", "7d"):
        assert shown(api, section=section, window=window) == [(follow_up, 5, story, 3), (other, 4, None, 1)]
    trending = api.rankings(kind="trending", window="1h", section=section)["items"]
    assert sorted((item["article_id"], item["story_articles"]) for item in trending) == sorted(
        [(follow_up, 3), (other, 1)]
    )

    # the follow-up leaves the story: the lead now stands for it, the follow-up for itself
    body = article_body(f"화재 속보 {follow_up}", section, hours_ago(3))
    assert api.put_article(follow_up, body).json()["story_id"] is None
    api.rank()
    assert shown(api, section=section, window="1h") == [
        (follow_up, 5, None, 1),
        (other, 4, None, 1),
        (lead, 3, story, 2),
    ]
