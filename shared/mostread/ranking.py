"""What may be listed and in which order: eligibility, most-read and trending order, stories, editors' pins,
freshness rotation. Pure; no AWS."""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Generic, TypeVar

from mostread.catalog_entry import CatalogEntry
from mostread.trending import TrendingParameters, TrendingWindow, evaluation_time, trending_score

V = TypeVar("V", int, float)
T = TypeVar("T")
# how many places at the head of a most-read list freshness rotation watches
FRESH_TOP = 3


@dataclass(frozen=True, slots=True)
class Ranked:
    """One place in a list before it is joined with the catalog; ``score`` only in trending lists, ``read_rate``
    only in engaged lists (where ``views`` are engaged readers)."""

    article_id: str
    views: int
    score: float | None = None
    story_id: str | None = None
    # how many of the list's candidates belong to this item's story (1 for an article without story_id)
    story_articles: int = 1
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


@dataclass(frozen=True, slots=True)
class Story(Generic[T]):
    """A story's place in a list: the candidate standing for it and how many of the candidates are its articles."""

    representative: T
    articles: int


@dataclass(frozen=True, slots=True)
class Collapsed(Generic[T]):
    stories: list[Story[T]]
    # the stories listed in ``held`` (represented elsewhere, e.g. by a pin): how many candidates each has
    held_articles: dict[str, int]


def collapse_stories(
    candidates: Iterable[T],
    story_of: Callable[[T], str],
    order: Callable[[T], Any],
    depth: int,
    *,
    prefer: Callable[[T], Any] | None = None,
    held: Collection[str] = (),
) -> Collapsed[T]:
    """The first ``depth`` stories of a list, each once, in list order.

    ``order`` is the list's sort key (ascending), ``prefer`` the key choosing a story's representative (default
    ``order``; a trending list prefers the most-viewed article and places it by its own score). The stories in
    ``held`` are counted but not listed. One pass keeps each story's best candidate and count (O(candidates)),
    then a heap picks the first ``depth`` stories (O(stories log depth)): no story is ever grouped twice.
    """
    choose = prefer or order
    best: dict[str, T] = {}
    counts: dict[str, int] = dict.fromkeys(held, 0)
    for candidate in candidates:
        story = story_of(candidate)
        kept = best.get(story)
        if kept is None:
            counts[story] = counts.get(story, 0) + 1
            if story not in held:
                best[story] = candidate
        else:
            # keys only where a story has a second article: most stories have one, and the heap keys those
            counts[story] += 1
            if choose(candidate) < choose(kept):
                best[story] = candidate
    first = heapq.nsmallest(depth, best.items(), key=lambda story: order(story[1]))
    return Collapsed([Story(item, counts[story]) for story, item in first], {story: counts[story] for story in held})


def _with_story(item: Ranked, entry: CatalogEntry, articles: int) -> Ranked:
    return replace(item, story_id=entry.story_id, story_articles=articles)


def top_articles(
    totals: Mapping[str, int], catalog: Mapping[str, CatalogEntry], depth: int, held: Collection[str] = ()
) -> list[Ranked]:
    """The ``depth`` most-read stories of catalogued articles, each as its most-read article: views desc, then
    newer first, then article id. Stories in ``held`` (their story keys) are left out."""
    # (id, views) pairs, not Ranked: the one pass sees every candidate, and only the listed become items
    candidates = ((article_id, views) for article_id, views in totals.items() if views > 0 and article_id in catalog)
    collapsed = collapse_stories(
        candidates,
        lambda pair: catalog[pair[0]].story,
        lambda pair: (-pair[1], -catalog[pair[0]].published_ts, pair[0]),
        depth,
        held=held,
    )
    return [
        Ranked(article_id, views, None, catalog[article_id].story_id, story.articles)
        for story in collapsed.stories
        for article_id, views in (story.representative,)
    ]


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
    scores: Mapping[str, float],
    recent: Mapping[str, int],
    catalog: Mapping[str, CatalogEntry],
    depth: int,
    held: Collection[str] = (),
) -> list[Ranked]:
    """The ``depth`` best-scoring stories: each as its most-viewed article (ties as the list's order), placed by
    that article's own score desc, then views, then newer first, then article id."""
    candidates = (Ranked(article_id, recent[article_id], score) for article_id, score in scores.items())

    def order(item: Ranked) -> tuple[float, int, float, str]:
        return (-(item.score or 0.0), -item.views, -catalog[item.article_id].published_ts, item.article_id)

    collapsed = collapse_stories(
        candidates,
        lambda item: catalog[item.article_id].story,
        order,
        depth,
        prefer=lambda item: (-item.views, *order(item)),
        held=held,
    )
    return [_with_story(s.representative, catalog[s.representative.article_id], s.articles) for s in collapsed.stories]


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


def held_story_articles(
    values: Iterable[str], catalog: Mapping[str, CatalogEntry], pinned: Collection[str]
) -> dict[str, int]:
    """How many of a list's candidates (ids in ``values``) belong to each pinned article's story, the pinned
    article counted even without views: what a pinned item shows as ``story_articles``. One pass."""
    stories = {catalog[article_id].story: article_id for article_id in pinned if article_id in catalog}
    counts = dict.fromkeys(stories.values(), 0)
    for article_id in values:
        entry = catalog.get(article_id)
        if entry is not None and (pin := stories.get(entry.story)) is not None and article_id != pin:
            counts[pin] += 1
    return {article_id: count + 1 for article_id, count in counts.items()}


def rotate_fresh(
    ranked: list[Ranked],
    story_of: Callable[[Ranked], str],
    since: Mapping[str, float],
    now: float,
    hold_seconds: float,
    top: int = FRESH_TOP,
) -> tuple[list[Ranked], dict[str, float]]:
    """Freshness rotation of one most-read list (stories collapsed, before pins): a story whose views have kept it
    in the first ``top`` places at every run for more than ``hold_seconds`` moves to just below them (place
    ``top`` + 1, keeping its views; several keep their order; in a shorter list, last). ``since`` holds, per story
    key, when its current stretch in the first ``top`` by views began; the new mapping is returned, at most
    ``top`` entries whatever the input. A moved story keeps its clock while its views would put it in the first
    ``top``, so it stays moved; once they do not at some run, its clock is dropped, and it may stand at the top
    again for another ``hold_seconds``. Only the views decide who is timed: the stories that move up in place of
    a moved one are not, since the moved one's views, not theirs, hold those places.
    """
    if hold_seconds <= 0:
        return ranked, {}
    head = ranked[:top]
    started = {story_of(item): since.get(story_of(item), now) for item in head}
    stale = [item for item in head if now - started[story_of(item)] > hold_seconds]
    if not stale:
        return ranked, started
    moved = {item.article_id for item in stale}
    rest = [item for item in ranked if item.article_id not in moved]
    return [*rest[:top], *stale, *rest[top:]], started
