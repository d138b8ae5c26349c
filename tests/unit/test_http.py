"""HTTP in and out at the handler edge: header names as API Gateway sends them or as a hand-made event has them."""

from __future__ import annotations

from typing import Any

import pytest
from mostread import http


def lowered(headers: dict[Any, Any]) -> dict[str, str]:
    """What request_headers answers, written the plain way."""
    return {str(name).lower(): str(value) for name, value in headers.items()}


@pytest.mark.parametrize(
    "headers",
    [
        {"content-type": "text/plain", "user-agent": "Mozilla/5.0", "x-forwarded-for": "198.51.100.7"},
        {"Content-Type": "text/plain", "User-Agent": "Mozilla/5.0"},
        {"content-type": "text/plain", "Content-Type": "application/json"},  # the later one wins, as in a dict
        {"x-count": 3, "content-length": 0},  # values that are not text
        {1: "one", "user-agent": "Mozilla/5.0"},  # a name that is not text
        {"x-σ": "1", "X-Σ": "2", "x-ΣΑ": "3"},  # final sigma: lower() looks at a character's neighbours
        {"x-İ": "1"},  # lower() writes two characters for one
        {"x-123": "1", "456": "2"},  # names without a letter
        {},
    ],
)
def test_header_names_are_lower_cased_and_values_text(headers: dict[Any, Any]) -> None:
    answer = http.request_headers({"headers": headers})
    assert answer == lowered(headers)
    assert list(answer) == list(lowered(headers))
    assert all(type(value) is str for value in answer.values())


def test_the_headers_are_a_copy_and_missing_headers_are_none() -> None:
    sent = {"user-agent": "Mozilla/5.0"}
    answer = http.request_headers({"headers": sent})
    answer["x-added"] = "1"
    assert sent == {"user-agent": "Mozilla/5.0"}
    assert http.request_headers({}) == http.request_headers({"headers": None}) == {}


def test_a_json_text_response_is_the_json_response_of_its_document() -> None:
    document = {"accepted": 1, "title": "속보"}
    assert http.json_text_response(202, http.dumps(document), {"cache-control": "no-store"}) == http.json_response(
        202, document, {"cache-control": "no-store"}
    )
