"""The OpenAPI document describes the failures every route can answer: the 503 the service answers when a
dependency is down or throttled (with Retry-After and the contract's error body), and the tracker's 413 and 415."""

from __future__ import annotations

from typing import Any

import pytest
from mostread.openapi import document

ERROR_BODY = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation) for path, item in document()["paths"].items() for method, operation in item.items()
    ]


@pytest.mark.parametrize(("method", "path", "operation"), operations(), ids=lambda value: str(value)[:40])
def test_every_route_documents_503_with_retry_after(method: str, path: str, operation: dict[str, Any]) -> None:
    unavailable = operation["responses"]["503"]
    assert unavailable["content"] == ERROR_BODY
    retry_after = unavailable["headers"]["Retry-After"]
    assert retry_after["required"] is True
    assert retry_after["schema"] == {"type": "integer", "minimum": 0}


def test_the_tracker_documents_413_and_415() -> None:
    responses = document()["paths"]["/v1/views"]["post"]["responses"]
    for status in ("413", "415"):
        assert responses[status]["content"] == ERROR_BODY
    assert "16384 bytes" in responses["413"]["description"]


def test_the_document_has_no_unicode_escapes() -> None:
    """The patterns use \\xNN escapes and literal characters, so the served body keeps its promise of no \\u."""
    from mostread.openapi import document_json

    body, _ = document_json()
    assert "\\u" not in body
