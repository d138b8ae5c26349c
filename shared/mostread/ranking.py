"""What may be listed and in which order: eligibility, most-read and trending order, editors' pins.
Pure; no AWS."""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from mostread.trending import TrendingParameters, TrendingWindow, evaluation_time, trending_score

V = TypeVar("V", int, float)


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """What ranking needs to know of a catalogued article; ``version`` changes with every PUT."""

    article_id: str
    section: str
    published_ts: float
    version: str


@dataclass(frozen=True, slots=True)
class Ranked:
    """One place in a list before it is joined with the catalog; ``score`` only in trending lists, ``read_rate``
    only in engaged lists (where ``views`` are engaged readers)."""

    article_id: str
    views: int
    score: float | None = None
    read_rate: float | None = None


@dataclass(frozen=True, slots=True)
class Placement:
    """An editor's pin in one list: the article stands at ``position`` (1-based)."""

    article_id: str
    position: int


def eligible_entries(
    catalog: Mapping[str, CatalogEntry], excluded: Collection[str], now: float, max_age_seconds: float
) -> dict[str, CatalogEntry]:
    """Articles that may appear in lists: catalogued, not excluded, published no longer ago than the maximum age."""
    oldest = now - max_age_seconds
    return {
        article_id: entry
        for article_id, entry in catalog.items()
        if article_id not in excluded and entry.published_ts >= oldest
    }


def list_candidates(
    values: Mapping[str, V], catalog: Mapping[str, CatalogEntry], excluded_sections: Collection[str] = ()
) -> dict[str | None, dict[str, V]]:
    """Split per-article values (views or scores) by the list they compete in: the all-sections list
    (``None``), which leaves out the excluded sections, and each section's own list. One pass, so a run
    with many sections does not scan every article once per list."""
    lists: dict[str | None, dict[str, V]] = {None: {}}
    for article_id, value in values.items():
        entry = catalog.get(article_id)
        if entry is None:
            continue
        lists.setdefault(entry.section, {})[article_id] = value
        if entry.section not in excluded_sections:
            lists[None][article_id] = value
    return lists


def top_articles(totals: Mapping[str, int], catalog: Mapping[str, CatalogEntry], depth: int) -> list[Ranked]:
    """The ``depth`` most-read catalogued articles: views desc, then newer first, then article id."""
    candidates = (
        Ranked(article_id, views) for article_id, views in totals.items() if views > 0 and article_id in catalog
    )
    return heapq.nsmallest(
        depth, candidates, key=lambda item: (-item.views, -catalog[item.article_id].published_ts, item.article_id)
    )


def trending_scores(
    recent: Mapping[str, int],
    baseline: Mapping[str, int],
    catalog: Mapping[str, CatalogEntry],
    now: float,
    window: TrendingWindow,
    parameters: TrendingParameters,
) -> dict[str, float]:
    """Scores of the catalogued articles with at least the minimum views in the window."""
    at = evaluation_time(now, window)
    return {
        article_id: trending_score(
            views,
            max(baseline.get(article_id, 0) - views, 0),
            (at - entry.published_ts) / 3600,
            window,
            parameters,
        )
        for article_id, views in recent.items()
        if views >= parameters.min_views and (entry := catalog.get(article_id)) is not None
    }


def top_trending(
    scores: Mapping[str, float], recent: Mapping[str, int], catalog: Mapping[str, CatalogEntry], depth: int
) -> list[Ranked]:
    """The ``depth`` best-scoring articles: score desc, then views, then newer first, then article id."""
    candidates = (Ranked(article_id, recent[article_id], score) for article_id, score in scores.items())
    return heapq.nsmallest(
        depth,
        candidates,
        key=lambda item: (-(item.score or 0.0), -item.views, -catalog[item.article_id].published_ts, item.article_id),
    )


def read_rate(engaged: int, views: int) -> float:
    """Engaged readers per counted view, 0 to 1, to three places. A window's edge may cut a slot between a
    visitor's first view (counted in an earlier bucket) and a later page view they were engaged with: the
    ratio is clamped, never above 1."""
    if engaged <= 0:
        return 0.0
    if views <= 0:
        return 1.0
    return min(1.0, round(engaged / views, 3))


def place_pins(ranked: list[Ranked], pins: Iterable[tuple[Placement, Ranked]], depth: int) -> list[Ranked]:
    """Put pinned articles at their positions (or last, if the list is shorter), the others moving down.

    Pins asking for the same position stand in article id order, the later ones just below.
    """
    pending = deque(sorted(pins, key=lambda pin: (pin[0].position, pin[0].article_id)))
    pinned = {placement.article_id for placement, _ in pending}
    organic = deque(item for item in ranked if item.article_id not in pinned)
    placed: list[Ranked] = []
    while (pending or organic) and len(placed) < depth:
        if pending and (pending[0][0].position <= len(placed) + 1 or not organic):
            placed.append(pending.popleft()[1])
        else:
            placed.append(organic.popleft())
    return placed
