"""The public contract over real HTTP, against `mostread dev` on DynamoDB Local."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from tests.e2e.support import CHROME, Api, DevServer, article_body, avoid_dedupe_slot_boundary, hours_ago, unique

pytestmark = pytest.mark.e2e

GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
YETI = "Mozilla/5.0 (compatible; Yeti/1.1; +https://naver.me/spd)"


def ids_of(page: dict) -> list[str]:
    return [item["article_id"] for item in page["items"]]


def assert_error(response, status: int, field: str | None) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"code", "message", "field"}
    assert re.fullmatch(r"[a-z_]+", error["code"])
    assert error["message"]
    assert error["field"] == field
    return error


def test_startup_time(dev_server: DevServer) -> None:
    print(f"\nmostread dev started in {dev_server.startup_seconds:.2f} s")
    assert dev_server.startup_seconds < 30
    assert dev_server.status()["dynamodb"]["engine"] == "dynamodb-local"
    assert dev_server.stdout_path.read_text().splitlines() == [f"mostread dev: {dev_server.base_url}"]


def test_views_single_batch_and_beacon_are_ranked(api: Api) -> None:
    section = unique("e2e").replace("-", "")
    older, middle, newer = unique("a"), unique("b"), unique("c")
    for article_id, hours in ((older, 3), (middle, 2), (newer, 1)):
        body = article_body(f"기사 {article_id}", section, hours_ago(hours))
        assert api.put_article(article_id, body).status_code == 200

    for visitor in ("198.51.100.1", "198.51.100.2", "198.51.100.3"):
        response = api.view({"article_id": older}, visitor=visitor)
        assert response.status_code == 202
        assert response.json() == {"accepted": 1, "duplicate": 0, "ignored": 0}
    for visitor in ("198.51.100.4", "198.51.100.5"):
        response = api.view({"views": [{"article_id": middle}, {"article_id": newer}]}, visitor=visitor)
        assert response.json() == {"accepted": 2, "duplicate": 0, "ignored": 0}
    beacon = api.view(
        json.dumps({"article_id": newer}), visitor="198.51.100.6", content_type="text/plain;charset=UTF-8"
    )
    assert beacon.json() == {"accepted": 1, "duplicate": 0, "ignored": 0}

    report = api.rank()
    assert report["drained_records"] >= 8
    assert report["runs"][0]["function"] == "RankFunction"

    for window in ("1h", "24h", "7d"):
        page = api.rankings(window=window, section=section)
        assert page["window"] == window
        assert page["section"] == section
        assert page["generated_at"]
        # 3 views each: the newer article first; then 2 views
        assert [(item["article_id"], item["views"], item["rank"]) for item in page["items"]] == [
            (newer, 3, 1),
            (older, 3, 2),
            (middle, 2, 3),
        ]
    first = api.rankings(window="1h", section=section)["items"][0]
    assert set(first) >= {"rank", "article_id", "title", "url", "section", "published_at", "thumbnail_url", "summary"}
    assert first["title"] == f"기사 {newer}"
    assert ids_of(api.rankings(window="1h", section=section, limit="2")) == [newer, older]
    assert {newer, older, middle} <= set(ids_of(api.rankings(window="1h", limit="50")))

    assert api.views_of(older) == {"1h": 3, "24h": 3, "7d": 3}
    never = api.request("GET", f"/v1/articles/{unique('never')}/views").json()
    assert never["views"] == {"1h": 0, "24h": 0, "7d": 0}
    assert never["generated_at"]


def test_catalog_crud(api: Api) -> None:
    article_id = unique("crud")
    stored = api.put_article(article_id, article_body("첫 제목", "politics", summary="요약"))
    assert stored.status_code == 200
    assert stored.json()["article_id"] == article_id
    assert stored.json()["thumbnail_url"] is None
    assert api.request("GET", f"/v1/articles/{article_id}").json()["title"] == "첫 제목"

    replaced = api.put_article(article_id, article_body("고친 제목", "economy"))
    assert replaced.status_code == 200
    fetched = api.request("GET", f"/v1/articles/{article_id}").json()
    assert (fetched["title"], fetched["section"], fetched["summary"]) == ("고친 제목", "economy", None)

    deleted = api.request("DELETE", f"/v1/articles/{article_id}")
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert_error(api.request("GET", f"/v1/articles/{article_id}"), 404, "article_id")
    assert_error(api.request("DELETE", f"/v1/articles/{article_id}"), 404, "article_id")


def test_event_id_replayed_from_another_address_is_a_duplicate(api: Api) -> None:
    article_id = unique("replay")
    api.put_article(article_id, article_body("재전송", "society"))
    view = {"article_id": article_id, "event_id": unique("evt0000")}
    assert api.view(view, visitor="203.0.113.1").json() == {"accepted": 1, "duplicate": 0, "ignored": 0}
    assert api.view(view, visitor="203.0.113.2").json() == {"accepted": 0, "duplicate": 1, "ignored": 0}
    api.rank()
    assert api.views_of(article_id)["1h"] == 1


def test_a_reloading_visitor_counts_once(api: Api) -> None:
    article_id = unique("reload")
    api.put_article(article_id, article_body("새로고침", "society"))
    avoid_dedupe_slot_boundary()
    visitor = {"visitor": "203.0.113.50", "user_agent": CHROME + " reload-test"}
    for number in range(3):  # a page view each: new event ids
        response = api.view({"article_id": article_id, "event_id": f"reload-{number}-{article_id}"[:64]}, **visitor)
        assert response.status_code == 202
        assert response.json()["ignored"] == 0
    # without an event id the repeat is recognised on arrival
    assert api.view({"article_id": article_id}, **visitor).json() == {"accepted": 1, "duplicate": 0, "ignored": 0}
    assert api.view({"article_id": article_id}, **visitor).json() == {"accepted": 0, "duplicate": 1, "ignored": 0}
    api.rank()
    assert api.views_of(article_id)["1h"] == 1


def test_bots_and_prefetches_are_ignored(api: Api) -> None:
    section = unique("bots").replace("-", "")
    article_id = unique("bots")
    api.put_article(article_id, article_body("크롤러", section))
    for number, user_agent in enumerate((GOOGLEBOT, YETI)):
        response = api.view({"article_id": article_id}, visitor=f"192.0.2.{number + 1}", user_agent=user_agent)
        assert response.json() == {"accepted": 0, "duplicate": 0, "ignored": 1}
    prefetch = api.view({"article_id": article_id}, visitor="192.0.2.9", headers={"sec-purpose": "prefetch"})
    assert prefetch.json() == {"accepted": 0, "duplicate": 0, "ignored": 1}
    api.rank()
    assert api.views_of(article_id)["1h"] == 0
    assert api.rankings(window="1h", section=section)["items"] == []


def test_a_deleted_article_leaves_the_list_at_the_next_run(api: Api) -> None:
    section = unique("del").replace("-", "")
    kept, deleted = unique("kept"), unique("gone")
    for article_id in (kept, deleted):
        api.put_article(article_id, article_body("삭제 테스트", section))
        api.view({"article_id": article_id}, visitor="198.51.100.77")
    api.rank()
    assert sorted(ids_of(api.rankings(window="1h", section=section))) == sorted([kept, deleted])
    assert api.request("DELETE", f"/v1/articles/{deleted}").status_code == 204
    api.rank()
    assert ids_of(api.rankings(window="1h", section=section)) == [kept]
    assert deleted not in ids_of(api.rankings(window="1h", limit="50"))


def test_korean_emoji_and_markup_round_trip_byte_for_byte(api: Api) -> None:
    article_id = unique("utf8")
    section = unique("utf").replace("-", "")
    title = '속보: 한국 뉴스 🇰🇷🔥 <img src=x onerror=alert(1)> "따옴표" & 끝'
    summary = "요약 ✨ <script>alert('x')</script>"
    put = api.put_article(article_id, article_body(title, section, summary=summary))
    assert put.status_code == 200
    encoded_title = json.dumps(title, ensure_ascii=False).encode("utf-8")
    encoded_summary = json.dumps(summary, ensure_ascii=False).encode("utf-8")

    fetched = api.request("GET", f"/v1/articles/{article_id}")
    assert fetched.headers["content-type"].lower() == "application/json; charset=utf-8"
    assert encoded_title in fetched.content
    assert encoded_summary in fetched.content
    assert b"\\u" not in fetched.content

    api.view({"article_id": article_id}, visitor="198.51.100.90")
    api.rank()
    listed = api.request("GET", "/v1/rankings", params={"window": "1h", "section": section})
    assert encoded_title in listed.content
    assert b"\\u" not in listed.content
    assert listed.json()["items"][0]["title"] == title


def test_rankings_are_cacheable_with_etag_and_304(api: Api) -> None:
    first = api.request("GET", "/v1/rankings", params={"window": "24h"})
    assert first.status_code == 200
    max_age = re.fullmatch(r"public, max-age=(\d+)", first.headers["cache-control"])
    assert max_age
    assert int(max_age.group(1)) <= 3600  # never more than the ranking interval (--rank-every 3600)
    etag = first.headers["etag"]
    again = api.request("GET", "/v1/rankings", params={"window": "24h"}, headers={"if-none-match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    other = api.request("GET", "/v1/rankings", params={"window": "24h"}, headers={"if-none-match": '"other"'})
    assert other.status_code == 200
    views = api.request("GET", f"/v1/articles/{unique('etag')}/views")
    assert "max-age" in views.headers["cache-control"]
    assert views.headers["etag"]


def test_format_csv_gives_editors_the_same_list(api: Api) -> None:
    section = unique("csv").replace("-", "")
    article_id = unique("csv")
    title = '=속보, "따옴표" 🇰🇷'
    assert api.put_article(article_id, article_body(title, section)).status_code == 200
    api.view({"article_id": article_id}, visitor="198.51.100.91")
    api.rank()
    params = {"window": "1h", "section": section}
    listed = api.request("GET", "/v1/rankings", params={**params, "format": "csv"})
    assert listed.status_code == 200
    assert listed.headers["content-type"].lower() == "text/csv; charset=utf-8"
    assert listed.headers["etag"]
    rows = list(csv.reader(io.StringIO(listed.content.decode("utf-8"), newline="")))
    assert rows[0] == ["rank", "article_id", "title", "url", "section", "published_at", "views"]
    [item] = api.rankings(**params)["items"]
    assert rows[1:] == [["1", article_id, "'" + title, item["url"], section, item["published_at"], str(item["views"])]]


# --- every error of the contract, over HTTP ------------------------------------------------------------------


def test_unsupported_media_type_is_415(api: Api) -> None:
    response = api.view('{"article_id": "a1"}', content_type="application/xml")
    assert response.status_code == 415
    assert response.json()["error"]["code"]


def test_body_over_16_kib_is_413(api: Api) -> None:
    body = json.dumps({"article_id": "a1", "padding": "x" * (1024 * 1024)})
    response = api.view(body)
    assert_error(response, 413, None)


def test_malformed_json_is_400_naming_no_field(api: Api) -> None:
    assert_error(api.view('{"article_id": '), 400, None)
    assert_error(api.view("[1, 2]"), 400, None)
    assert_error(api.view(b"\xff\xfe{}"), 400, None)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"article_id": 5}, "article_id"),
        ({"article_id": "-starts-with-dash"}, "article_id"),
        ({"article_id": "a" * 129}, "article_id"),
        ({"article_id": "a1", "event_id": "short"}, "event_id"),
        ({"article_id": "a1", "ref": "r" * 33}, "ref"),
        ({"views": [{"article_id": "a1"}] * 26}, "views"),
        ({"views": []}, "views"),
        ({"views": [{"article_id": "ok"}, {"article_id": "bad id"}]}, "views[1].article_id"),
        ({}, "article_id"),
    ],
)
def test_invalid_views_are_400_naming_the_field(api: Api, body: dict, field: str) -> None:
    assert_error(api.view(body), 400, field)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"window": "2h"}, "window"),
        ({"limit": "0"}, "limit"),
        ({"limit": "51"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"section": "Not A Section!"}, "section"),
        ({"format": "xml"}, "format"),
    ],
)
def test_invalid_ranking_parameters_are_400_naming_them(api: Api, query: dict, field: str) -> None:
    assert_error(api.request("GET", "/v1/rankings", params=query), 400, field)


def test_invalid_catalog_bodies_and_ids_are_400(api: Api) -> None:
    assert_error(api.put_article("ok-id", article_body("t", "politics", url="ftp://x")), 400, "url")
    assert_error(api.put_article("ok-id", article_body("t", "Politics")), 400, "section")
    assert_error(
        api.put_article("ok-id", article_body("t", "politics", published_at="2026-11-27")), 400, "published_at"
    )
    assert_error(api.put_article("bad..id", article_body("t", "politics")), 400, "article_id")
    assert_error(api.request("GET", "/v1/articles/bad..id"), 400, "article_id")


def test_unknown_route_is_404_and_wrong_method_405(api: Api) -> None:
    assert_error(api.request("GET", "/v1/nothing-here"), 404, None)
    assert_error(api.request("GET", "/v1/articles/a/b/c"), 404, None)
    assert_error(api.request("POST", "/v1/rankings"), 405, None)


def test_cors_preflight_and_headers(api: Api) -> None:
    origin = {"origin": "https://news.example.kr"}
    preflight = api.request(
        "OPTIONS",
        "/v1/views",
        headers={**origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type"},
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    listed = api.request("GET", "/v1/rankings", headers=origin)
    assert listed.headers["access-control-allow-origin"] == "*"
    assert "etag" in listed.headers["access-control-expose-headers"]


def test_demo_page_and_embedded_assets(api: Api) -> None:
    page = api.request("GET", "/")
    assert page.status_code == 200
    assert "<title>mostread demo</title>" in page.text
    article = api.request("GET", "/articles/news-1001")
    assert article.status_code == 200
    assert "/v1/assets/tracker.v1.js" in article.text
    script = api.request("GET", "/v1/assets/widget.v1.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert api.request("GET", "/static/demo.css").status_code == 200
