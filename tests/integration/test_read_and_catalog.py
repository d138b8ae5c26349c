"""The widget's read path and the catalog, through API Gateway events."""

import csv
import io
import json

import pytest

from tests.harness import article

TRICKY_TITLE = '속보: "서울" 시장 <img src=x onerror=alert(1)> & 🎉👨‍👩‍👧 — 끝'
TRICKY_SUMMARY = "요약 <script>alert('x')</script> \\u0041 한글 ＜전각＞ \t줄"


def test_before_the_first_run_lists_are_empty_with_null_generated_at(service):
    page = service.rankings()
    assert page == {"kind": "most_read", "window": "24h", "section": None, "generated_at": None, "items": []}
    views = json.loads(service.get("/v1/articles/nothing/views", article_id="nothing")["body"])
    assert views == {"article_id": "nothing", "views": {"1h": 0, "24h": 0, "7d": 0}, "generated_at": None}


def test_korean_markup_and_emoji_round_trip_byte_for_byte(service):
    body = article(title=TRICKY_TITLE, summary=TRICKY_SUMMARY, thumbnail_url="https://img.example.kr/한글.jpg")
    put = service.put_article("k1", body)
    assert put["statusCode"] == 200
    stored = json.loads(put["body"])
    assert stored == {**body, "story_id": None, "article_id": "k1"}
    got = service.get("/v1/articles/k1", article_id="k1")
    assert json.loads(got["body"]) == stored
    assert json.dumps(TRICKY_TITLE, ensure_ascii=False).encode() in got["body"].encode("utf-8")  # no \u escapes
    service.view("k1", event_id="korean-evt-1")
    service.run_ranking()
    response = service.get("/v1/rankings", query={"window": "1h"})
    assert json.dumps(TRICKY_TITLE, ensure_ascii=False) in response["body"]
    item = json.loads(response["body"])["items"][0]
    assert (item["title"], item["summary"]) == (TRICKY_TITLE, TRICKY_SUMMARY)
    assert {k.lower(): v for k, v in response["headers"].items()}["content-type"] == "application/json; charset=utf-8"


def test_list_shape_order_sections_and_limit(service):
    service.put_article("p1", article(section="politics", published="2026-11-27T07:00:00+09:00"))
    service.put_article("p2", article(section="politics", published="2026-11-27T08:00:00+09:00"))
    service.put_article("s1", article(section="sports", published="2026-11-26T08:00:00+09:00"))
    for visitor in range(3):
        service.view("s1", visitor=visitor)
    for visitor in range(2):
        service.view("p1", visitor=visitor)
        service.view("p2", visitor=visitor)
    service.view("uncatalogued", visitor=9)
    service.run_ranking()
    page = service.rankings(window="24h")
    assert [(i["rank"], i["article_id"], i["views"]) for i in page["items"]] == [
        (1, "s1", 3),
        (2, "p2", 2),
        (3, "p1", 2),
    ]
    assert set(page["items"][0]) == {
        "rank",
        "article_id",
        "title",
        "url",
        "section",
        "published_at",
        "thumbnail_url",
        "summary",
        "views",
        "story_id",
        "story_articles",
        "previous_rank",
    }
    assert all(item["previous_rank"] is None for item in page["items"])  # the first run: every item is new
    assert page["generated_at"].endswith("Z")
    assert [i["article_id"] for i in service.rankings(section="politics")["items"]] == ["p2", "p1"]
    assert [i["article_id"] for i in service.rankings(limit="1")["items"]] == ["s1"]
    assert service.rankings(section="culture")["items"] == []
    # The contract: an uncatalogued id's views are counted once it is registered; until then its counts may be zeros.
    counts = json.loads(service.get("/v1/articles/uncatalogued/views", article_id="uncatalogued")["body"])
    assert counts["views"] == {"1h": 0, "24h": 0, "7d": 0}
    service.put_article("uncatalogued", article(title="늦게 등록된 기사"))
    service.clock.advance(60)
    service.run_ranking()
    counts = json.loads(service.get("/v1/articles/uncatalogued/views", article_id="uncatalogued")["body"])
    assert counts["views"] == {"1h": 1, "24h": 1, "7d": 1}


def test_catalog_changes_take_effect_at_the_next_run(service):
    service.view("late-article", visitor=1)
    service.run_ranking()
    assert service.rankings()["items"] == []
    service.put_article("late-article", article(title="나중에 등록된 기사"))
    assert service.rankings()["items"] == []  # nothing is computed on read
    service.run_ranking()
    assert [i["title"] for i in service.rankings()["items"]] == ["나중에 등록된 기사"]
    service.put_article("late-article", article(title="제목 수정"))
    service.run_ranking()
    assert [i["title"] for i in service.rankings()["items"]] == ["제목 수정"]
    assert service.delete_article("late-article")["statusCode"] == 204
    service.run_ranking()
    assert service.rankings()["items"] == []
    assert service.delete_article("late-article")["statusCode"] == 404
    missing = service.get("/v1/articles/late-article", article_id="late-article")
    assert missing["statusCode"] == 404
    assert json.loads(missing["body"])["error"]["code"] == "not_found"


def test_etag_and_cache_headers(service):
    service.put_article("a1", article())
    service.view("a1")
    service.run_ranking()
    first = service.get("/v1/rankings")
    assert first["headers"]["cache-control"] == "public, max-age=30"
    etag = first["headers"]["etag"]
    again = service.get("/v1/rankings", headers={"if-none-match": etag})
    assert again["statusCode"] == 304
    assert again["body"] == ""
    assert service.get("/v1/rankings", headers={"if-none-match": '"other"'})["statusCode"] == 200
    assert service.get("/v1/rankings", query={"window": "1h"})["headers"]["etag"] != etag
    views = service.get("/v1/articles/a1/views", article_id="a1")
    assert views["headers"]["cache-control"] == "public, max-age=30"
    assert (
        service.get("/v1/articles/a1/views", article_id="a1", headers={"if-none-match": views["headers"]["etag"]})[
            "statusCode"
        ]
        == 304
    )


def test_format_csv_is_the_same_list_for_spreadsheets(service):
    service.put_article("k1", article(title=TRICKY_TITLE, published="2026-11-27T08:00:00+09:00"))
    service.put_article("k2", article(title='=HYPERLINK("http://evil.example","클릭")'))
    for visitor in range(2):
        service.view("k1", visitor=visitor)
    service.view("k2", visitor=5)
    service.run_ranking()
    response = service.get("/v1/rankings", query={"window": "1h", "format": "csv", "limit": "5"})
    assert response["statusCode"] == 200
    assert response["headers"]["content-type"] == "text/csv; charset=utf-8"
    assert response["headers"]["cache-control"] == "public, max-age=30"
    rows = list(csv.reader(io.StringIO(response["body"], newline="")))
    assert rows[0] == ["rank", "article_id", "title", "url", "section", "published_at", "views"]
    page = service.rankings(window="1h", limit="5")
    assert rows[1:] == [
        [
            str(item["rank"]),
            item["article_id"],
            item["title"],
            item["url"],
            item["section"],
            item["published_at"],
            str(item["views"]),
        ]
        if not item["title"].startswith("=")
        else [
            str(item["rank"]),
            item["article_id"],
            "'" + item["title"],
            item["url"],
            item["section"],
            item["published_at"],
            str(item["views"]),
        ]
        for item in page["items"]
    ]
    assert rows[1][2] == TRICKY_TITLE  # Korean, emoji and markup as they are: CSV is not HTML
    assert response["body"].endswith("\r\n")
    again = service.get(
        "/v1/rankings",
        query={"window": "1h", "format": "csv", "limit": "5"},
        headers={"if-none-match": response["headers"]["etag"]},
    )
    assert again["statusCode"] == 304
    json_etag = service.get("/v1/rankings", query={"window": "1h", "limit": "5"})["headers"]["etag"]
    assert json_etag != response["headers"]["etag"]
    trending = service.get("/v1/rankings", query={"kind": "trending", "window": "1h", "format": "csv"})
    assert trending["body"].splitlines()[0] == "rank,article_id,title,url,section,published_at,views,score"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"window": "2h"}, "window"),
        ({"window": "7D"}, "window"),
        ({"limit": "0"}, "limit"),
        ({"limit": "51"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"limit": "1.5"}, "limit"),
        ({"section": "Politics"}, "section"),
        ({"section": "<script>"}, "section"),
        ({"kind": "trending_now"}, "kind"),
        ({"format": "xlsx"}, "format"),
        ({"format": "CSV"}, "format"),
    ],
)
def test_bad_ranking_parameters_name_the_parameter(service, query, field):
    response = service.get("/v1/rankings", query=query)
    assert response["statusCode"] == 400
    assert json.loads(response["body"])["error"]["field"] == field


@pytest.mark.parametrize("article_id", ["..", "a b", "기사", "x" * 129, "a\x00"])
def test_bad_article_ids_in_paths(service, article_id):
    for response in (
        service.get(f"/v1/articles/{article_id}/views", article_id=article_id),
        service.get(f"/v1/articles/{article_id}", article_id=article_id),
        service.put_article(article_id, article()),
        service.delete_article(article_id),
    ):
        assert response["statusCode"] == 400
        assert json.loads(response["body"])["error"]["field"] == "article_id"


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ("{bad", 400, None),
        ("[]", 400, None),
        ("", 400, None),
        (json.dumps({**article(), "title": 5}), 400, "title"),
        (json.dumps({**article(), "url": "ftp://x"}), 400, "url"),
        (json.dumps({**article(), "published_at": "2026-11-27"}), 400, "published_at"),
        (json.dumps({**article(), "summary": "x" * 70000}), 413, None),
    ],
)
def test_bad_catalog_bodies(service, body, status, field):
    response = service.put_article("a1", body, raw=True)
    assert response["statusCode"] == status
    assert json.loads(response["body"])["error"]["field"] == field
    assert service.item_count("article#") == 0


def test_unknown_route_has_the_error_body(service):
    response = service.get("/v1/nothing")
    assert response["statusCode"] == 404
    assert json.loads(response["body"])["error"]["code"] == "not_found"


def test_lists_show_the_catalogs_current_cards_and_the_run_never_reads_them(service, monkeypatch):
    from mostread.dal import catalog as catalog_table
    from mostread.services import reading

    for article_id, title in (("a1", "처음 제목"), ("a2", "둘째 기사"), ("a3", "셋째 기사")):
        service.put_article(article_id, article(title=title))
    for visitor, article_id in enumerate(("a1", "a1", "a1", "a2", "a2", "a3")):
        service.view(article_id, visitor=visitor)
    fetched: list[list[str]] = []
    real_get_articles = catalog_table.get_articles

    def counting_get_articles(db, ids, consistent=False):
        fetched.append(list(ids))
        return real_get_articles(db, fetched[-1], consistent)

    monkeypatch.setattr(catalog_table, "get_articles", counting_get_articles)
    service.run_ranking()
    assert fetched == []  # the run's writes carry ids and numbers, never titles or summaries

    assert [i["title"] for i in service.rankings(limit="2")["items"]] == ["처음 제목", "둘째 기사"]
    assert fetched == [["a1", "a2"]]  # one BatchGetItem, for the items asked for
    assert [i["article_id"] for i in service.rankings(limit="3")["items"]] == ["a1", "a2", "a3"]
    assert fetched[1:] == [["a3"]]  # a warm container keeps the cards it has for the list
    service.clock.advance(60)
    service.run_ranking()  # nothing changed
    assert [i["title"] for i in service.rankings(limit="3")["items"]] == ["처음 제목", "둘째 기사", "셋째 기사"]
    assert fetched[1:] == [["a3"]]

    service.put_article("a1", article(title="바뀐 제목"))
    assert service.rankings()["items"][0]["title"] == "처음 제목"  # the list still names the version it ranked
    service.run_ranking()  # the edit is published with the next run: the list's catalog digest changes
    assert service.rankings()["items"][0]["title"] == "바뀐 제목"
    assert fetched[-1] == ["a1", "a2", "a3"]
    service.delete_article("a2")
    service.run_ranking()  # a deleted article leaves the lists at the next run
    page = service.rankings(limit="2")["items"]
    assert [(i["rank"], i["article_id"]) for i in page] == [(1, "a1"), (2, "a3")]
    reading._cards.clear()  # a new container: the card of an article deleted after the run is not shown
    service.delete_article("a3")
    assert [i["article_id"] for i in service.rankings(limit="2")["items"]] == ["a1"]
