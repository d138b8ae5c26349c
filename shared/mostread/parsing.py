"""Requests in, at the handler edge: bodies and parameters parsed and validated into models, or the contract's
4xx (``mostread.errors.ClientError``). Handlers call these; services take the models and never see bytes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from mostread.errors import ClientError
from mostread.http import json_document, json_object
from mostread.models import MAX_BODY_BYTES, ViewBatchIn, ViewIn, validate

if TYPE_CHECKING:  # imported where used: the tracker, which only parses views, never builds them
    from mostread.article_models import ArticleIn, RankingQuery
    from mostread.editorial_models import ExclusionIn, PinIn

VIEWS_CONTENT_TYPES = ("application/json", "text/plain")  # text/plain: what navigator.sendBeacon sends
MAX_ARTICLE_BODY_BYTES = 64 * 1024
MAX_EDITORIAL_BODY_BYTES = 16 * 1024
RANKING_PARAMETERS = frozenset({"kind", "window", "section", "limit", "period", "format"})


def views(body: bytes | None, content_type: str | None) -> list[ViewIn]:
    """The views of a tracking request: one view, or ``{"views": [...]}``."""
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type not in VIEWS_CONTENT_TYPES:
        raise ClientError(
            "unsupported_media_type",
            "Content-Type must be application/json or text/plain",
            "content-type",
            status=415,
        )
    document = json_document(body, MAX_BODY_BYTES)
    if not isinstance(document, dict):
        raise ClientError("invalid_body", 'body must be a JSON object: one view or {"views": [...]}', None)
    if "views" in document:
        return validate(ViewBatchIn, document).views
    return [validate(ViewIn, document)]


def article(body: bytes | None) -> ArticleIn:
    from mostread.article_models import ArticleIn

    return validate(ArticleIn, json_object(body, MAX_ARTICLE_BODY_BYTES))


def exclusion(body: bytes | None) -> ExclusionIn:
    from mostread.editorial_models import ExclusionIn

    return validate(ExclusionIn, json_object(body, MAX_EDITORIAL_BODY_BYTES))


def pin(body: bytes | None) -> PinIn:
    from mostread.editorial_models import PinIn

    return validate(PinIn, json_object(body, MAX_EDITORIAL_BODY_BYTES))


def ranking_query(parameters: Mapping[str, str] | None) -> RankingQuery:
    """Unknown parameters (cache busters, tracking tags) are ignored; known ones are validated."""
    from mostread.article_models import RankingQuery

    known = {name: value for name, value in (parameters or {}).items() if name in RANKING_PARAMETERS}
    if "period" in known and "window" in known:
        raise ClientError("invalid_field", "period: a calendar period replaces the window; give one of them", "period")
    query = validate(RankingQuery, known)
    if query.period is not None and query.kind != "most_read":
        raise ClientError("invalid_field", "kind: calendar periods have most_read lists only", "kind")
    return query


def article_id(raw: str | None) -> str:
    """A path's article id, checked."""
    from mostread.article_models import ArticlePath

    return validate(ArticlePath, {"article_id": raw}).article_id
