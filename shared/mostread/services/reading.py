"""The read path: serve what the ranking run published. One GetItem; nothing is computed here."""

from __future__ import annotations

from typing import Any

from mostread.dal import published
from mostread.models import RankingQuery
from mostread.timebuckets import WINDOWS


def ranking_page(query: RankingQuery) -> dict[str, Any]:
    document = published.get_list(query.kind, query.window, query.section)
    return {
        "kind": query.kind,
        "window": query.window,
        "section": query.section,
        "generated_at": document["generated_at"] if document else None,
        "items": document["items"][: query.limit] if document else [],
    }


def article_views(article_id: str) -> dict[str, Any]:
    chunk = published.get_counts_chunk_of(article_id)
    counts = chunk["counts"].get(article_id, [0] * len(WINDOWS)) if chunk else [0] * len(WINDOWS)
    return {
        "article_id": article_id,
        "views": dict(zip(WINDOWS, counts, strict=True)),
        "generated_at": chunk["generated_at"] if chunk else None,
    }
