import pytest
from mostread.article_models import ArticleIn
from mostread.errors import ClientError
from mostread.models import ViewBatchIn, ViewIn, validate

GOOD_ARTICLE = {
    "title": "한국어 제목 🎉 <b>굵게</b>",
    "url": "https://news.example.kr/articles/1",
    "section": "politics",
    "published_at": "2026-11-27T09:00:00+09:00",
}


@pytest.mark.parametrize(
    "article_id",
    ["a/b", "..", "a..b", "a b", 'a"b', "a'b", "a\x00b", "x" * 129, "기사", "emoji😀", "", "-lead", ".lead"],
)
def test_bad_article_ids_name_the_field(article_id):
    with pytest.raises(ClientError) as caught:
        validate(ViewIn, {"article_id": article_id})
    assert caught.value.status == 400
    assert caught.value.field == "article_id"


@pytest.mark.parametrize("article_id", ["a", "A1", "2026-11-27:0001", "news.politics_12", "x" * 128])
def test_good_article_ids(article_id):
    assert validate(ViewIn, {"article_id": article_id}).article_id == article_id


def test_wrong_types_are_not_coerced():
    with pytest.raises(ClientError) as caught:
        validate(ViewIn, {"article_id": 123})
    assert caught.value.field == "article_id"


def test_batch_field_paths():
    with pytest.raises(ClientError) as caught:
        validate(ViewBatchIn, {"views": [{"article_id": "ok"}, {"article_id": "ok", "event_id": "short"}]})
    assert caught.value.field == "views[1].event_id"
    with pytest.raises(ClientError) as caught:
        validate(ViewBatchIn, {"views": [{"article_id": "a"}] * 26})
    assert caught.value.field == "views"
    with pytest.raises(ClientError) as caught:
        validate(ViewBatchIn, {"views": []})
    assert caught.value.field == "views"


def test_unknown_fields_are_ignored_and_ref_is_limited():
    view = validate(ViewIn, {"article_id": "a", "ref": "mostread", "extra": {"x": 1}})
    assert view.ref == "mostread"
    with pytest.raises(ClientError) as caught:
        validate(ViewIn, {"article_id": "a", "ref": "x" * 33})
    assert caught.value.field == "ref"


def test_article_keeps_korean_text_as_given():
    article = validate(ArticleIn, GOOD_ARTICLE)
    assert article.title == GOOD_ARTICLE["title"]
    assert article.summary is None and article.thumbnail_url is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", ""),
        ("title", "가" * 301),
        ("title", "bad\x00nul"),
        ("title", "lone \ud800 surrogate"),
        ("url", "javascript:alert(1)"),
        ("url", "/relative"),
        ("url", "https://exa mple.kr/"),
        ("url", "http://news.example.kr:99999/a"),
        ("section", "Politics"),
        ("section", "s" * 65),
        ("published_at", "2026-11-27T09:00:00"),
        ("published_at", "yesterday"),
        ("thumbnail_url", "data:image/png;base64,AAAA"),
        ("summary", "요" * 501),
    ],
)
def test_bad_article_fields(field, value):
    with pytest.raises(ClientError) as caught:
        validate(ArticleIn, {**GOOD_ARTICLE, field: value})
    assert caught.value.field == field
    assert caught.value.body()["error"]["field"] == field


def test_missing_field():
    body = dict(GOOD_ARTICLE)
    del body["url"]
    with pytest.raises(ClientError) as caught:
        validate(ArticleIn, body)
    assert caught.value.field == "url"
    assert caught.value.code == "missing_field"
