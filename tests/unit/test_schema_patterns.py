"""The OpenAPI document states the rules the server enforces: for every field whose rule is a validator rather than
a pydantic constraint, a string the document admits is one the server accepts and the other way round.

The document's schema is what decides here, read by jsonschema-rs with formats asserted (the validator Schemathesis
uses, tests/e2e/test_fuzz_openapi.py: it sends what the document admits and expects it accepted, and the rest
refused), and the server's validation is the model's, so a pattern that drifts from its validator fails one way or
the other. Not Python's jsonschema: its ``re.search`` lets ``$`` match before a final newline, where ECMA-262 and
Rust engines (and pydantic's) do not.
"""

from __future__ import annotations

import copy
import json
import unicodedata
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from jsonschema_rs import Draft202012Validator
from mostread.article_models import ArticleIn
from mostread.editorial_models import ExclusionIn, PinIn
from mostread.errors import ClientError
from mostread.models import (
    ARTICLE_ID_SCHEMA_PATTERN,
    HTTP_URL_PATTERN,
    KIND_WINDOWS,
    PLAIN_TEXT_PATTERN,
    TIMESTAMP_PATTERN,
    ViewIn,
    validate,
)
from mostread.openapi import document
from mostread.parsing import views as parse_views

REF = "#/components/schemas/"
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def documented(schema: dict[str, Any]) -> Draft202012Validator:
    """A validator for a schema of the served document, its references resolved, formats asserted."""
    root = {**schema, "components": copy.deepcopy(document()["components"])}
    return Draft202012Validator(root, validate_formats=True)


def field_schema(model: str, field: str) -> Draft202012Validator:
    return documented(document()["components"]["schemas"][model]["properties"][field])


def accepted(model: type, data: dict[str, Any]) -> bool:
    try:
        validate(model, data)
    except ClientError:
        return False
    return True


ARTICLE_ID = field_schema("ViewIn", "article_id")
REF_FIELD = field_schema("ViewIn", "ref")
TITLE = field_schema("ArticleIn", "title")
URL = field_schema("ArticleIn", "url")
PUBLISHED_AT = field_schema("ArticleIn", "published_at")


@FAST
@given(st.text(alphabet="aZ09._:-/ 기", max_size=12) | st.text(max_size=4))
@example("a..b")
@example("a.")
@example("a.b.")
@example("a..")
@example(".a")
@example("a" * 128)
@example("a" * 129)
def test_article_ids(article_id: str) -> None:
    assert ARTICLE_ID.is_valid(article_id) == accepted(ViewIn, {"article_id": article_id})


TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)


@FAST
@given(TEXT)
@example("tab\tand\nnewline")
@example("\x7f")
@example("\x85")
@example("\x9f")
@example("\xa0")
@example("가\u200b😀")
def test_plain_text(text: str) -> None:
    assert REF_FIELD.is_valid(text) == accepted(ViewIn, {"article_id": "a", "ref": text})
    article = {"title": text, "url": "https://a.kr/", "section": "s", "published_at": "2026-11-27T09:00:00+09:00"}
    assert TITLE.is_valid(text) == accepted(ArticleIn, article)


def article_with(**fields: Any) -> dict[str, Any]:
    return {"title": "t", "url": "https://a.kr/", "section": "s", "published_at": "2026-11-27T09:00:00+09:00", **fields}


URL_PARTS = st.sampled_from(
    ["http", "HTTPS", "hTtP", "ftp", "javascript", "", ":", "://", "//", "/", "?", "#", "@", "user:pw@", "a", "b.kr",
     "기사", "[", "]", "[::1]", ":80", ":65535", ":65536", ":0080", ":", ":x", "\uff20", "\uff0f", "\u2100", " ",
     "\t", "\xa0", "\u3000", "\x7f", "*", "%20", "..", "😀", "\ufeff", "\u200b"]
)  # fmt: skip


@FAST
@given(st.lists(URL_PARTS, max_size=8).map("".join))
@example("http://a")
@example("http://a:/")
@example("http://@a")
@example("http://a@")
@example("http://a@b@c/")
@example("http://a:b:c/")
@example("https://뉴스.kr/기사?a=1#x")
@example("http://a\uff20b/")
@example("http://a/\uff20")
@example("http://a:00065535/")
def test_http_urls(url: str) -> None:
    server = accepted(ArticleIn, article_with(url=url))
    if "[" in url.split("://", 1)[-1].split("/", 1)[0]:
        # bracketed (IPv6) hosts: the server reads them, the document leaves them out
        assert not URL.is_valid(url) or server
        return
    assert URL.is_valid(url) == server, url


@FAST
@given(st.from_regex(HTTP_URL_PATTERN, fullmatch=True).filter(lambda url: len(url) <= 2048))
def test_every_documented_url_is_accepted(url: str) -> None:
    assert accepted(ArticleIn, article_with(url=url)), url


OFFSETS = st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(lambda minutes: timezone(timedelta(minutes=minutes)))


@FAST
@given(st.datetimes(timezones=OFFSETS), st.sampled_from(["seconds", "milliseconds", "microseconds"]))
def test_every_rfc3339_time_is_accepted(moment: datetime, timespec: str) -> None:
    text = moment.isoformat(timespec=timespec).replace("+00:00", "Z")
    assert PUBLISHED_AT.is_valid(text), text
    assert accepted(ArticleIn, article_with(published_at=text))


TIMESTAMP_PARTS = st.sampled_from(
    ["2026", "0000", "0001", "9999", "-", "11", "13", "02", "27", "30", "31", "T", "t", " ", "09", "24", ":", "00",
     "59", "60", ".", "5", "123456789", "Z", "z", "+", "-", "+09:00", "-23:59", "+24:00", "+0900"]
)  # fmt: skip


@FAST
@given(st.lists(TIMESTAMP_PARTS, max_size=14).map("".join))
@example("2026-11-27T09:00:00+09:00")
@example("2026-02-29T09:00:00Z")
@example("2028-02-29T09:00:00Z")
@example("2026-11-27T23:59:60Z")
@example("0000-01-01T00:00:00Z")
@example("2026-11-27t09:00:00z")
@example("2026-11-27T09:00:00.1234567Z")
def test_documented_times_are_accepted(text: str) -> None:
    # the server also reads other ISO-8601 forms with an offset ("2026-11-27 09:00+09:00"): one way only
    if PUBLISHED_AT.is_valid(text):
        assert accepted(ArticleIn, article_with(published_at=text)), text
        assert accepted(ExclusionIn, {"until": text}), text


PIN = documented({"$ref": REF + "PinIn"})


@pytest.mark.parametrize("kind", ["most_read", "trending", "hot"])
@pytest.mark.parametrize("window", ["1h", "24h", "7d", "30d"])
def test_pins_windows_fit_their_kind(kind: str, window: str) -> None:
    pin = {"kind": kind, "window": window, "position": 1, "until": "2026-11-27T09:00:00Z"}
    schema = PIN
    assert schema.is_valid(pin) == accepted(PinIn, pin)
    assert schema.is_valid(pin) == (window in KIND_WINDOWS.get(kind, ()))


VIEW = st.fixed_dictionaries(
    {"article_id": st.sampled_from(["a", "a..b", "b-2"])},
    optional={"event_id": st.sampled_from(["12345678", "short", None]), "ref": st.sampled_from(["x", "\x00", None])},
)
BODIES = st.one_of(
    VIEW,
    st.fixed_dictionaries(
        {"views": st.lists(VIEW, max_size=26) | st.integers() | st.none()}, optional={"article_id": st.just("a")}
    ),
    st.builds(lambda view, extra: {**view, "views": extra}, VIEW, st.integers() | st.lists(VIEW, max_size=2)),
    st.lists(VIEW, max_size=2),
)  # fmt: skip


VIEWS_BODY = {
    content_type: documented(content["schema"])
    for content_type, content in document()["paths"]["/v1/views"]["post"]["requestBody"]["content"].items()
}


@FAST
@given(BODIES, st.sampled_from(sorted(VIEWS_BODY)))
def test_views_bodies_one_view_or_a_batch(body: Any, content_type: str) -> None:
    try:
        parse_views(json.dumps(body).encode(), content_type)
    except ClientError:
        server = False
    else:
        server = True
    assert VIEWS_BODY[content_type].is_valid(body) == server, body


def test_patterns_are_portable_regular_expressions() -> None:
    """No look-around or inline flags (ECMA-262, Python and Rust engines read them alike); the characters they
    exclude are the ones the validators refuse."""
    for pattern in (HTTP_URL_PATTERN, PLAIN_TEXT_PATTERN, TIMESTAMP_PATTERN, ARTICLE_ID_SCHEMA_PATTERN):
        assert "(?=" not in pattern and "(?!" not in pattern and "(?<" not in pattern and "(?i" not in pattern
        Draft202012Validator({"type": "string", "pattern": pattern})  # compiles for the Rust engine


def test_the_excluded_characters_are_computed_not_guessed() -> None:
    space_or_control = [c for c in map(chr, range(0x110000)) if c.isspace() or unicodedata.category(c) == "Cc"]
    for char in space_or_control:
        assert not URL.is_valid(f"https://a.kr/{char}"), hex(ord(char))
    nfkc_separators = [
        c
        for c in map(chr, range(0x80, 0x110000))
        if unicodedata.category(c) != "Cs" and any(s in unicodedata.normalize("NFKC", c) for s in "/?#@:")
    ]
    for char in nfkc_separators:
        assert not URL.is_valid(f"https://a{char}b.kr/"), hex(ord(char))
        assert not accepted(ArticleIn, article_with(url=f"https://a{char}b.kr/")), hex(ord(char))
