"""The ranking run's domain work at 100,000 articles (pure, in memory, no AWS) gives correct lists.

A site with 100,000 articles viewed in a week: counting a busy dedupe slot, merging 336 slot summaries into a
7-day base, scoring every article for trending, and picking the top 50 of every list ((3 most-read + 2 trending
windows) x (all sections + 8 sections)). The test prints how long each step took (``pytest -s``); timings are
not pass/fail here, because they depend on the machine's load. Benchmark 5 in BENCHMARKS.md measures the whole
run on DynamoDB Local.
"""

from __future__ import annotations

import random
import time
from itertools import accumulate

from mostread.catalog_entry import CatalogEntry
from mostread.counting import count_slot, merge_totals, slot_totals
from mostread.logrow import LoggedView
from mostread.ranking import list_candidates, top_articles, top_trending, trending_scores
from mostread.timebuckets import Slot
from mostread.trending import TRENDING_WINDOWS, TrendingParameters

ARTICLES = 100_000
SECTIONS = ("politics", "economy", "society", "world", "culture", "sports", "tech", "opinion")
SLOT = 1_800_000_000  # a slot start
SLOT_SECONDS = 1800
SLOTS_IN_WEEK = 336
SLOT_VIEWS = 300_000  # views logged in one busy slot (about 170 views/s for 30 minutes)
VARIANTS = 8  # distinct summaries, popularity shifted between them; the week cycles through them


_WEIGHTS = list(accumulate(1 / (rank + 1) for rank in range(ARTICLES)))  # Zipf, s = 1


def _zipf(rng: random.Random, count: int, shift: int = 0) -> list[int]:
    return [(draw + shift) % ARTICLES for draw in rng.choices(range(ARTICLES), cum_weights=_WEIGHTS, k=count)]


def _article(index: int) -> str:
    return f"a{index:06d}"


def test_the_ranking_runs_domain_work_for_100k_articles() -> None:
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
        LoggedView(
            _article(a), f"{v:016x}", SLOT * 1000 + n * SLOT_SECONDS * 1000 // SLOT_VIEWS, f"e:{n:024x}"
        ).to_row()
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
    counts = count_slot(entries, Slot(SLOT, SLOT_SECONDS), cap=20)
    counted_slot = time.perf_counter()
    base = merge_totals(slot_totals(summary) for summary in week)
    merged = time.perf_counter()
    by_section = list_candidates(base, catalog)
    lists = {
        (window, section): top_articles(by_section[section], catalog, 50)
        for window in ("1h", "24h", "7d")
        for section in (None, *SECTIONS)
    }
    hour = slot_totals(counts)
    for window in TRENDING_WINDOWS.values():
        scores = list_candidates(
            trending_scores(hour, base, catalog, SLOT + SLOT_SECONDS, window, TrendingParameters()), catalog
        )
        for section in (None, *SECTIONS):
            lists[("trending " + window.name, section)] = top_trending(scores[section], hour, catalog, 50)
    ranked = time.perf_counter()

    assert sum(sum(row) for row in counts.values()) == len({(a, v) for a, v in zip(articles, visitors, strict=True)})
    assert sum(slot_totals(counts).values()) == sum(sum(row) for row in counts.values())
    assert len(base) == ARTICLES
    assert sum(base.values()) == sum(sum(map(sum, summary.values())) for summary in week)
    assert len(lists) == 45
    for (window, section), top in lists.items():
        assert len(top) == 50
        assert all(section is None or catalog[item.article_id].section == section for item in top)
        order = [item.score if window.startswith("trending") else item.views for item in top]
        assert order == sorted(order, reverse=True)
    print(
        f"count_slot {counted_slot - started:.1f} s, slot_totals + merge_totals {merged - counted_slot:.1f} s, "
        f"top_articles x27 and trending x18 {ranked - merged:.1f} s"
    )
