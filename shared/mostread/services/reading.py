"""The read path: serve what the ranking run published. Nothing is ranked or counted here.

A published list holds ids and numbers; the read joins each listed article's card (title, url, thumbnail,
summary) from the catalog. That keeps titles and summaries out of the ranking run's per-minute writes. A
warm container keeps the cards it fetched for a list as long as the list's catalog digest (a hash of its
articles' catalog versions) is unchanged, so most reads are a single GetItem, and an edited title shows
from the run after the edit, as it did when the run copied cards into the lists.
"""

from __future__ import annotations

from typing import Any

from mostread import keys
from mostread.article_models import Article, RankingQuery
from mostread.caches import remembered
from mostread.config import settings
from mostread.dal import catalog, published
from mostread.dal.client import default_db
from mostread.errors import ClientError
from mostread.timebuckets import WINDOWS

MAX_CACHED_LISTS = 1000

# list key -> (catalog digest, the cards fetched for that list); per container
_cards: dict[str, tuple[str, dict[str, Article]]] = {}
remembered(_cards.clear)


def ranking_page(query: RankingQuery, now: float) -> dict[str, Any]:
    if query.period is not None:
        return period_page(query, now)
    document = published.get_list(default_db(), query.kind, query.window, query.section)
    if document is None:  # a list no run has produced yet (a section without views): empty as of the latest run
        return {
            **query.model_dump(exclude={"limit", "period", "format"}),
            "generated_at": published.get_latest_run(default_db()),
            "items": [],
        }
    list_key = keys.list_key(query.kind, query.window, query.section)
    return {
        "kind": query.kind,
        "window": query.window,
        "section": query.section,
        "generated_at": document["generated_at"],
        "items": _with_cards(list_key, document.get("catalog_digest", ""), document["items"], query.limit),
    }


def period_page(query: RankingQuery, now: float) -> dict[str, Any]:
    """An ended calendar period's list, as the archive computed it, without the articles deleted from the catalog
    or excluded by editors since (the others move up). Before the archive has computed it: no items, no time."""
    # with the ranking's counting rules and the editors' exclusions: loaded by period requests only
    from mostread.dal import archive, editorial
    from mostread.periods import parse_period

    assert query.period is not None
    period, config = parse_period(query.period), settings()
    if not period.ended_by(now, config.zone):
        raise ClientError("invalid_field", f"period: {period} has not ended yet", "period")
    if period.expired(now, config.zone, config.archive_days):
        raise ClientError(
            "invalid_field", f"period: {period} ended more than {config.archive_days} days ago (ArchiveDays)", "period"
        )
    page: dict[str, Any] = {"kind": query.kind, "period": period.name, "section": query.section}
    document = archive.get_list(default_db(), period.name, query.section, now)
    if document is None:
        return {**page, "generated_at": None, "items": []}
    excluded = editorial.excluded_ids(default_db(), now)
    entries = [{**entry, "previous_rank": None} for entry in document["items"] if entry["article_id"] not in excluded]
    shown: list[dict[str, Any]] = []
    # titles may have been edited since the period was listed: cards are read fresh (archive reads are rare)
    for start in range(0, len(entries), query.limit):
        if len(shown) >= query.limit:
            break
        wanted = entries[start : start + query.limit]
        cards = catalog.get_articles(default_db(), [entry["article_id"] for entry in wanted], consistent=True)
        for entry in wanted:
            article = cards.get(entry["article_id"])
            if article is not None and len(shown) < query.limit:
                shown.append(_item(len(shown) + 1, entry, article))
    return {**page, "generated_at": document["generated_at"], "items": shown}


def _with_cards(list_key: str, digest: str, entries: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    """The first ``limit`` entries whose article is still catalogued, joined with their cards, ranked 1..n."""
    shown: list[dict[str, Any]] = []
    remaining = entries
    while remaining and len(shown) < limit:
        wanted, remaining = remaining[: limit - len(shown)], remaining[limit - len(shown) :]
        cards = _cards_of(list_key, digest, [entry["article_id"] for entry in wanted])
        for entry in wanted:
            article = cards.get(entry["article_id"])
            if article is not None:  # deleted since the run: left out, the others move up
                shown.append(_item(len(shown) + 1, entry, article))
    return shown


def _cards_of(list_key: str, digest: str, article_ids: list[str]) -> dict[str, Article]:
    held = _cards.get(list_key)
    if held is None or held[0] != digest:
        if len(_cards) >= MAX_CACHED_LISTS:
            _cards.clear()
        held = _cards[list_key] = (digest, {})
    cards = held[1]
    missing = [article_id for article_id in article_ids if article_id not in cards]
    if missing:
        # strongly consistent: the run has seen the new version, so a stale replica must not be kept
        cards.update(catalog.get_articles(default_db(), missing, consistent=True))
    return {article_id: cards[article_id] for article_id in article_ids if article_id in cards}


def _item(rank: int, entry: dict[str, Any], article: Article) -> dict[str, Any]:
    # the contract's field order: rank, the card, views, score (trending), story, previous_rank
    item: dict[str, Any] = {
        "rank": rank,
        "article_id": article.article_id,
        **article.model_dump(exclude={"article_id", "story_id"}),
    }
    item["views"] = entry["views"]
    if "score" in entry:
        item["score"] = entry["score"]
    if "read_rate" in entry:
        item["read_rate"] = entry["read_rate"]
    # the story the run collapsed the list by; a list published before stories existed has only the card's
    item["story_id"] = entry.get("story_id", article.story_id)
    item["story_articles"] = entry.get("story_articles", 1)
    item["previous_rank"] = entry["previous_rank"]
    return item


def article_views(article_id: str) -> dict[str, Any]:
    """The article's counts as of the latest run: zeros for an article with none (or not in the catalog)."""
    counts, latest_run = published.get_counts_of(default_db(), article_id)
    return {
        "article_id": article_id,
        "views": dict(zip(WINDOWS, counts or [0] * len(WINDOWS), strict=True)),
        "generated_at": latest_run,
    }
