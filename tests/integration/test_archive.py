"""The calendar archive through the deployed functions on moto: runs crossing a Seoul midnight that ends a day, an
ISO week, a month and a year (Sunday 2028-12-31); corrections at read time; late views; junk; catch-up."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from mostread import keys
from mostread.dal import archive
from mostread.dal.client import default_db
from mostread.services.ranking import archiving

from tests.harness import Clock, Service, article

NEW_YEAR = datetime.fromisoformat("2029-01-01T00:00:00+09:00").timestamp()  # a Sunday's midnight in Seoul
SETTLED = 120 + 5  # the template's IngestGraceSeconds, and a little
PERIODS = ("2028-12-31", "2028-W52", "2028-12", "2028")


@pytest.fixture
def clock() -> Clock:
    return Clock(NEW_YEAR - 20 * 60)  # 23:40 on New Year's Eve


def catalogue(service: Service, article_id: str, section: str = "politics") -> None:
    # published long before: period lists have no age limit
    body = article(title=f"기사 {article_id}", section=section, published="2028-01-02T08:00:00+09:00")
    assert service.put_article(article_id, body)["statusCode"] == 200


def read(service: Service, article_id: str, count: int, first_visitor: int = 0) -> None:
    for visitor in range(first_visitor, first_visitor + count):
        assert service.view(article_id, visitor=visitor)["statusCode"] == 202


def period(service: Service, name: str, **query: str) -> dict:
    return service.rankings(period=name, **query)


def listed(service: Service, name: str, **query: str) -> list[tuple[str, int]]:
    return [(item["article_id"], item["views"]) for item in period(service, name, **query)["items"]]


def run_until_archived(service: Service, runs: int = 10) -> list[str]:
    steps = []
    for _ in range(runs):
        steps.append(service.run_ranking()["archive"])
        if steps[-1] == "waiting" and len(steps) > 1:
            break
    return steps


def test_a_run_crossing_midnight_lists_the_day_week_month_and_year(service: Service, clock: Clock) -> None:
    for article_id, section in (("a", "politics"), ("b", "sports"), ("c", "sports")):
        catalogue(service, article_id, section)
    assert service.run_ranking()["archive"] == "started"
    read(service, "a", 3)
    read(service, "b", 2)
    read(service, "c", 2)
    clock.advance(21 * 60)  # 00:01 on New Year's Day: those views were on the 31st
    read(service, "c", 9, first_visitor=100)  # the new year's: not in the old year's lists
    assert service.run_ranking()["archive"] == "waiting"
    # ended, not computed yet (the last slot is still in its grace period)
    assert period(service, "2028-12-31") == {
        "kind": "most_read",
        "period": "2028-12-31",
        "section": None,
        "generated_at": None,
        "items": [],
    }
    clock.advance(SETTLED)
    steps = run_until_archived(service)
    assert steps[:4] == ["listed 2028-12-31", "listed 2028-W52", "listed 2028-12", "listed 2028"]
    for name in PERIODS:
        page = period(service, name)
        assert page["generated_at"] is not None and "window" not in page
        assert [(i["article_id"], i["views"]) for i in page["items"]] == [("a", 3), ("b", 2), ("c", 2)]
        assert page["items"][0]["title"] == "기사 a" and page["items"][0]["previous_rank"] is None
        assert listed(service, name, section="sports", limit="1") == [("b", 2)]  # tie: newer, then id


def test_deletions_and_exclusions_apply_after_the_list_was_made(service: Service, clock: Clock) -> None:
    for article_id in "abc":
        catalogue(service, article_id)
    service.run_ranking()
    read(service, "a", 3)
    read(service, "b", 2)
    read(service, "c", 1)
    clock.advance(20 * 60 + SETTLED)
    run_until_archived(service)
    assert listed(service, "2028-12-31") == [("a", 3), ("b", 2), ("c", 1)]
    assert service.delete_article("a")["statusCode"] == 204
    assert listed(service, "2028-12-31") == [("b", 2), ("c", 1)]
    assert (
        service.editorial("PUT", "/v1/editorial/exclusions/b", {"until": None, "reason": "법원 게재 금지"})[
            "statusCode"
        ]
        == 200
    )
    assert listed(service, "2028-W52", limit="1") == [("c", 1)]
    assert service.editorial("DELETE", "/v1/editorial/exclusions/b")["statusCode"] == 204
    assert listed(service, "2028") == [("b", 2), ("c", 1)]


def test_late_views_after_the_day_was_listed_never_change_it(service: Service, clock: Clock) -> None:
    catalogue(service, "a")
    catalogue(service, "b")
    service.run_ranking()
    read(service, "a", 2)
    service.deliver()
    clock.advance(15 * 60)  # 23:55
    read(service, "b", 5)  # a stream backlog: these reach the log only after the day is listed
    backlog = service.stream_records()
    clock.advance(5 * 60 + SETTLED)
    for _ in range(5):
        _run_without_delivery(service)
    assert listed(service, "2028-12-31") == [("a", 2)]
    service.deliver(backlog)
    for _ in range(3):
        service.run_ranking()
    assert listed(service, "2028-12-31") == [("a", 2)]
    # the live counts have them
    counts = service.get("/v1/articles/b/views", article_id="b")
    assert json.loads(counts["body"])["views"]["24h"] == 5


def test_a_flood_of_junk_ids_leaves_the_day_totals_bounded(service: Service, clock: Clock) -> None:
    catalogue(service, "a")
    service.run_ranking()
    read(service, "a", 2)
    for batch in range(20):
        body = {"views": [{"article_id": f"junk-{batch}-{n}"} for n in range(25)]}
        assert service.post_views(body, headers={"x-forwarded-for": f"203.0.113.{batch}"})["statusCode"] == 202
    clock.advance(20 * 60 + SETTLED)
    run_until_archived(service)
    totals, meta = archive.get_totals(default_db(), keys.archive_day_key("2028-12-31"), clock())
    assert totals == {"a": 2} and meta == {"day": "2028-12-31"}
    assert listed(service, "2028-12-31") == [("a", 2)]


def test_catch_up_after_an_outage_is_bounded_per_run(service: Service, clock: Clock, monkeypatch) -> None:
    monkeypatch.setattr(archiving, "MAX_SLOTS_PER_RUN", 1)
    catalogue(service, "a")
    service.run_ranking()
    read(service, "a", 1)
    for _ in range(3):  # views in three slots of New Year's Day
        clock.advance(30 * 60)
        read(service, "a", 1, first_visitor=int(clock.now) % 1000)
    service.deliver()
    clock.advance(3 * 86400)  # the ranking stopped for three days
    steps = [service.run_ranking()["archive"] for _ in range(12)]
    # one step per run: New Year's Eve (1 slot), its week, month and year, then New Year's Day slot by slot
    assert steps[:4] == ["listed 2028-12-31", "listed 2028-W52", "listed 2028-12", "listed 2028"]
    assert steps[4:] == [
        "adding up 2029-01-01 (1 of 3 slots)",
        "adding up 2029-01-01 (2 of 3 slots)",
        "listed 2029-01-01",
        "listed 2029-01-02",  # days without views: listed empty, one a run
        "listed 2029-01-03",
        "waiting",  # today has not ended
        "waiting",
        "waiting",
    ]
    assert listed(service, "2029-01-01") == [("a", 3)]


def test_the_400s_name_the_parameter(service: Service, clock: Clock) -> None:
    service.run_ranking()
    cases = {
        (("period", "2028-12-31"), ("window", "24h")): "period",
        (("period", "2028-12-31"), ("kind", "trending")): "kind",
        (("period", "2029-01-01"),): "period",  # not ended
        (("period", "2029"),): "period",
        (("period", "2027-11-20"),): "period",  # ended more than ArchiveDays (400) ago
        (("period", "2026-13"),): "period",
        (("period", "2026-W54"),): "period",
        (("period", "2028-02-30"),): "period",
    }
    for query, field in cases.items():
        response = service.get("/v1/rankings", query=dict(query))
        assert response["statusCode"] == 400, (query, response)
        assert json.loads(response["body"])["error"]["field"] == field, query
    assert period(service, "2027-12-31")["generated_at"] is None  # kept, but before the archive started


def _run_without_delivery(service: Service) -> None:
    service.rank.handler({"source": "aws.events"}, _Context())


class _Context:
    aws_request_id = "req-archive"

    def get_remaining_time_in_millis(self) -> int:
        return 55_000


def test_a_run_without_time_left_publishes_and_leaves_the_archive_for_the_next(service: Service, clock: Clock) -> None:
    from mostread.config import settings
    from mostread.dal import published
    from mostread.services.ranking import RunOptions, run_ranking

    catalogue(service, "a")
    service.run_ranking()
    read(service, "a", 2)
    service.deliver()
    clock.advance(20 * 60 + SETTLED)
    # a run with less than the archive's reserve left: the live lists are published, the archive waits
    report = run_ranking(default_db(), settings(), clock(), RunOptions(remaining_seconds=9))
    assert report.archive == "no time left"
    assert published.get_latest_run(default_db()) == report.generated_at
    assert period(service, "2028-12-31")["generated_at"] is None
    assert service.run_ranking()["archive"] == "listed 2028-12-31"


def test_period_lists_show_a_story_once_and_answer_csv_too(service: Service, clock: Clock) -> None:
    for article_id in ("lead", "follow-up", "other"):
        body = article(title=f"기사 {article_id}", section="politics", published="2028-01-02T08:00:00+09:00")
        if article_id != "other":
            body["story_id"] = "flood-2028"
        assert service.put_article(article_id, body)["statusCode"] == 200
    service.run_ranking()
    read(service, "lead", 2)
    read(service, "follow-up", 4, first_visitor=10)
    read(service, "other", 3, first_visitor=20)
    clock.advance(20 * 60 + SETTLED)
    run_until_archived(service)
    for name in PERIODS:
        items = period(service, name)["items"]
        assert [(i["article_id"], i["views"], i["story_id"], i["story_articles"]) for i in items] == [
            ("follow-up", 4, "flood-2028", 2),
            ("other", 3, None, 1),
        ]
    response = service.get("/v1/rankings", query={"period": "2028-12", "format": "csv"})
    assert response["headers"]["content-type"] == "text/csv; charset=utf-8"
    assert response["body"].splitlines() == [
        "rank,article_id,title,url,section,published_at,views",
        f"1,follow-up,기사 follow-up,{items[0]['url']},politics,{items[0]['published_at']},4",
        f"2,other,기사 other,{items[1]['url']},politics,{items[1]['published_at']},3",
    ]
