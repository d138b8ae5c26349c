import json

from tests.harness import article


def test_view_to_ranking(service):
    assert service.put_article("a1", article(title="첫 기사"))["statusCode"] == 200
    response = service.view("a1", visitor=1, event_id="evt-00000001")
    assert response["statusCode"] == 202, response
    assert json.loads(response["body"]) == {"accepted": 1, "duplicate": 0, "ignored": 0}
    service.clock.advance(5)
    report = service.run_ranking()
    assert report["lists_written"] > 0
    page = service.rankings(window="1h")
    assert [item["article_id"] for item in page["items"]] == ["a1"]
    assert page["items"][0]["title"] == "첫 기사"
