"""The read path: serve what the ranking run published. Nothing is ranked or counted here.

A published list holds ids and numbers only; the read joins each listed article's card (title, url,
thumbnail, summary) from the catalog with one BatchGetItem. That keeps titles and summaries out of the
ranking run's per-minute writes. A warm container keeps the cards it fetched for ``CARD_SECONDS``, so
most reads are one GetItem, and a corrected title or a deleted article shows within a minute, as it did
when the run copied cards into the lists.
"""

from __future__ import annotations

from typing import Any

from mostread.dal import catalog, published
from mostread.models import Article, RankingQuery
from mostread.timebuckets import WINDOWS

# what a list item shows of its article, in the order the contract lists the fields
CARD_FIELDS = ("article_id", "title", "url", "section", "published_at", "thumbnail_url", "summary")
CARD_SECONDS = 60  # the ranking interval: cards are never staler than lists used to be
MAX_CACHED_CARDS = 5000

# article id -> (fetched at, the article or None if it is not catalogued); per container
_cards: dict[str, tuple[float, Article | None]] = {}


def ranking_page(query: RankingQuery, now: float) -> dict[str, Any]:
    document = published.get_list(query.kind, query.window, query.section)
    return {
        "kind": query.kind,
        "window": query.window,
        "section": query.section,
        "generated_at": document["generated_at"] if document else None,
        "items": _with_cards(document["items"], query.limit, now) if document else [],
    }


def _with_cards(entries: list[dict[str, Any]], limit: int, now: float) -> list[dict[str, Any]]:
    """The first ``limit`` entries whose article is still catalogued, joined with their cards, ranked 1..n."""
    shown: list[dict[str, Any]] = []
    remaining = entries
    while remaining and len(shown) < limit:
        wanted, remaining = remaining[: limit - len(shown)], remaining[limit - len(shown) :]
        cards = _cards_of([entry["article_id"] for entry in wanted], now)
        for entry in wanted:
            article = cards.get(entry["article_id"])
            if article is not None:  # deleted since the run: left out, the others move up
                shown.append(_item(len(shown) + 1, entry, article))
    return shown


def _cards_of(article_ids: list[str], now: float) -> dict[str, Article | None]:
    stale = [a for a in article_ids if a not in _cards or now - _cards[a][0] >= CARD_SECONDS]
    if stale:
        if len(_cards) + len(stale) > MAX_CACHED_CARDS:
            _cards.clear()
        fetched = catalog.get_articles(stale)
        _cards.update({article_id: (now, fetched.get(article_id)) for article_id in stale})
    return {article_id: _cards[article_id][1] for article_id in article_ids}


def _item(rank: int, entry: dict[str, Any], article: Article) -> dict[str, Any]:
    item: dict[str, Any] = {"rank": rank, **{name: getattr(article, name) for name in CARD_FIELDS}}
    item["views"] = entry["views"]
    if "score" in entry:
        item["score"] = entry["score"]
    item["previous_rank"] = entry["previous_rank"]
    return item


def article_views(article_id: str) -> dict[str, Any]:
    chunk = published.get_counts_chunk_of(article_id)
    counts = chunk["counts"].get(article_id, [0] * len(WINDOWS)) if chunk else [0] * len(WINDOWS)
    return {
        "article_id": article_id,
        "views": dict(zip(WINDOWS, counts, strict=True)),
        "generated_at": chunk["generated_at"] if chunk else None,
    }
