"""The read path: serve what the ranking run published. Nothing is ranked or counted here.

A published list holds ids, numbers and each article's catalog version; the read joins each listed
article's card (title, url, thumbnail, summary) from the catalog with one BatchGetItem. That keeps titles
and summaries out of the ranking run's per-minute writes. A warm container keeps the cards it fetched,
keyed by version: a list names the version its run saw, so an edited article is fetched again exactly
when the run has published the edit, and most reads are a single GetItem.
"""

from __future__ import annotations

from typing import Any

from mostread.dal import catalog, published
from mostread.models import Article, RankingQuery
from mostread.services.catalog import catalog_version
from mostread.timebuckets import WINDOWS

MAX_CACHED_CARDS = 5000

# article id -> (catalog version, article); per container
_cards: dict[str, tuple[str, Article]] = {}


def ranking_page(query: RankingQuery) -> dict[str, Any]:
    document = published.get_list(query.kind, query.window, query.section)
    if document is None:  # a list no run has produced yet (a section without views): empty as of the latest run
        return {**query.model_dump(exclude={"limit"}), "generated_at": published.get_latest_run(), "items": []}
    return {
        "kind": query.kind,
        "window": query.window,
        "section": query.section,
        "generated_at": document["generated_at"],
        "items": _with_cards(document["items"], query.limit),
    }


def _with_cards(entries: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    """The first ``limit`` entries whose article is still catalogued, joined with their cards, ranked 1..n."""
    shown: list[dict[str, Any]] = []
    remaining = entries
    while remaining and len(shown) < limit:
        wanted, remaining = remaining[: limit - len(shown)], remaining[limit - len(shown) :]
        cards = _cards_of(wanted)
        for entry in wanted:
            article = cards.get(entry["article_id"])
            if article is not None:  # deleted since the run: left out, the others move up
                shown.append(_item(len(shown) + 1, entry, article))
    return shown


def _cards_of(entries: list[dict[str, Any]]) -> dict[str, Article]:
    cards = {
        entry["article_id"]: cached[1]
        for entry in entries
        if (cached := _cards.get(entry["article_id"])) is not None and cached[0] == entry["version"]
    }
    missing = {entry["article_id"]: entry["version"] for entry in entries if entry["article_id"] not in cards}
    if missing:
        if len(_cards) + len(missing) > MAX_CACHED_CARDS:
            _cards.clear()
        for article_id, article in catalog.get_articles(missing).items():
            cards[article_id] = article
            version = catalog_version(article.model_dump())
            if version == missing[article_id]:  # an eventually consistent read may still return the old item
                _cards[article_id] = (version, article)
    return cards


def _item(rank: int, entry: dict[str, Any], article: Article) -> dict[str, Any]:
    # the contract's field order: rank, the card, views, score (trending), previous_rank
    item: dict[str, Any] = {
        "rank": rank,
        "article_id": article.article_id,
        **article.model_dump(exclude={"article_id"}),
    }
    item["views"] = entry["views"]
    if "score" in entry:
        item["score"] = entry["score"]
    item["previous_rank"] = entry["previous_rank"]
    return item


def article_views(article_id: str) -> dict[str, Any]:
    """The article's counts as of the latest run (a chunk is rewritten only when its counts change)."""
    chunk, latest_run = published.get_counts_chunk_of(article_id)
    counts = chunk["counts"].get(article_id, [0] * len(WINDOWS)) if chunk else [0] * len(WINDOWS)
    return {
        "article_id": article_id,
        "views": dict(zip(WINDOWS, counts, strict=True)),
        "generated_at": latest_run or (chunk["generated_at"] if chunk else None),
    }
