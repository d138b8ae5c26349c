"""Ordering of a ranking list. Pure; no AWS."""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """What ranking needs to know of a catalogued article; ``version`` changes with every PUT."""

    article_id: str
    section: str
    published_ts: float
    version: str


def top_articles(
    totals: Mapping[str, int],
    catalog: Mapping[str, CatalogEntry],
    depth: int,
    section: str | None = None,
) -> list[tuple[str, int]]:
    """The ``depth`` best catalogued articles: views desc, then newer first, then article id."""
    candidates = (
        (article_id, views)
        for article_id, views in totals.items()
        if views > 0
        and (entry := catalog.get(article_id)) is not None
        and (section is None or entry.section == section)
    )
    return heapq.nsmallest(depth, candidates, key=lambda pair: (-pair[1], -catalog[pair[0]].published_ts, pair[0]))
