"""The ranking run's CPU-heavy domain work stays fast at 100,000 articles (pure, in memory, no AWS).

A site with 100,000 articles viewed in a week: counting a busy dedupe slot, merging 336 slot summaries into a
7-day base, and picking the top 50 of every list (3 windows x (all sections + 8 sections)). The ranking run
does all of this within a one-minute schedule, so the bound is generous but far below a minute; benchmark 5 in
BENCHMARKS.md measures the whole run on DynamoDB Local.
"""

from __future__ import annotations

import random
import time
from itertools import accumulate

from mostread.counting import LoggedView, count_slot, merge_totals, slot_totals
from mostread.ranking import CatalogEntry, top_articles

ARTICLES = 100_000
SECTIONS = ("politics", "economy", "society", "world", "culture", "sports", "tech", "opinion")
SLOT = 1_800_000_000  # a slot start
SLOT_SECONDS = 1800
SLOTS_IN_WEEK = 336
SLOT_VIEWS = 300_000  # views logged in one busy slot (about 170 views/s for 30 minutes)
VARIANTS = 8  # distinct summaries, popularity shifted between them; the week cycles through them
BOUND_SECONDS = 20.0


_WEIGHTS = list(accumulate(1 / (rank + 1) for rank in range(ARTICLES)))  # Zipf, s = 1


def _zipf(rng: random.Random, count: int, shift: int = 0) -> list[int]:
    return [(draw + shift) % ARTICLES for draw in rng.choices(range(ARTICLES), cum_weights=_WEIGHTS, k=count)]


def _article(index: int) -> str:
    return f"a{index:06d}"


def test_the_ranking_runs_domain_work_for_100k_articles_fits_well_inside_a_minute() -> None:
    rng = random.Random(20261127)
    catalog = {
        _article(n): CatalogEntry(_article(n), SECTIONS[n % len(SECTIONS)], 1_800_000_000.0 - n, f"v{n}")
        for n in range(ARTICLES)
    }
    # a busy slot: one view in seven is a reload by the same visitor, which counts once
    articles = _zipf(rng, SLOT_VIEWS)
    visitors = [rng.randrange(SLOT_VIEWS) for _ in range(SLOT_VIEWS)]
    for n in range(7, SLOT_VIEWS, 7):
        visitors[n] = visitors[n - 1]
        articles[n] = articles[n - 1]
    entries = [
        LoggedView(_article(a), f"{v:016x}", SLOT * 1000 + n * SLOT_SECONDS * 1000 // SLOT_VIEWS, f"e:{n:024x}")
        for n, (a, v) in enumerate(zip(articles, visitors, strict=True))
    ]
    # a week of slot summaries (views per article and 5-minute bucket), 100k distinct articles between them
    summaries = []
    for variant in range(VARIANTS):
        summary: dict[str, list[int]] = {}
        for n, index in enumerate(_zipf(rng, 150_000, shift=variant * ARTICLES // VARIANTS)):
            summary.setdefault(_article(index), [0] * 6)[n % 6] += 1
        for index in range(variant, ARTICLES, VARIANTS):  # the long tail: every article is read some time
            summary.setdefault(_article(index), [0] * 6)[index % 6] += 1
        summaries.append(summary)
    week = [summaries[slot % VARIANTS] for slot in range(SLOTS_IN_WEEK)]

    started = time.perf_counter()
    counts = count_slot(entries, SLOT, SLOT_SECONDS)
    counted_slot = time.perf_counter()
    base = merge_totals(slot_totals(summary) for summary in week)
    merged = time.perf_counter()
    lists = {
        (window, section): top_articles(base, catalog, 50, section)
        for window in ("1h", "24h", "7d")
        for section in (None, *SECTIONS)
    }
    ranked = time.perf_counter()

    assert sum(sum(row) for row in counts.values()) == len({(a, v) for a, v in zip(articles, visitors, strict=True)})
    assert sum(slot_totals(counts).values()) == sum(sum(row) for row in counts.values())
    assert len(base) == ARTICLES
    assert sum(base.values()) == sum(sum(map(sum, summary.values())) for summary in week)
    assert len(lists) == 27
    for (_, section), top in lists.items():
        assert len(top) == 50
        assert all(section is None or catalog[article].section == section for article, _ in top)
        assert [views for _, views in top] == sorted((views for _, views in top), reverse=True)
    elapsed = ranked - started
    assert elapsed < BOUND_SECONDS, (
        f"count_slot {counted_slot - started:.1f} s, slot_totals + merge_totals {merged - counted_slot:.1f} s, "
        f"top_articles x27 {ranked - merged:.1f} s"
    )
