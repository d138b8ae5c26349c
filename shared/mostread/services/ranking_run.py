"""The scheduled ranking run: seal finished slots, roll the windows forward, publish lists and counts.

Every write is a deterministic function of the recorded views and the catalog, so a run that crashes
or runs twice leaves the same published state as one clean run (see docs/architecture.md).
"""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from mostread import codec, keys
from mostread.config import Settings, settings
from mostread.counting import (
    SlotCounts,
    add_slot_in_window,
    article_totals,
    count_slot,
    listed_totals,
    merge_totals,
    roll_totals,
    slot_totals,
)
from mostread.dal import aggregates, catalog, published, viewlog
from mostread.models import KIND_WINDOWS, Kind
from mostread.ranking import (
    CatalogEntry,
    Placement,
    Ranked,
    eligible_entries,
    list_candidates,
    place_pins,
    top_articles,
    top_trending,
    trending_scores,
)
from mostread.services import editorial
from mostread.timebuckets import (
    HOUR_SECONDS,
    LONGEST_WINDOW,
    WINDOW_SPECS,
    WINDOWS,
    WindowName,
    iso,
    slot_start,
)
from mostread.trending import TRENDING_WINDOWS, TrendingParameters

DAY_SECONDS = 86400
BASE_WINDOWS: tuple[WindowName, ...] = ("24h", "7d")


@dataclass
class RunReport:
    generated_at: str
    slots_sealed: int = 0
    slots_resealed: int = 0
    bases_rebuilt: list[WindowName] = field(default_factory=list)
    bases_rolled: list[WindowName] = field(default_factory=list)
    articles_with_views: int = 0
    lists_written: int = 0
    lists_unchanged: int = 0
    count_chunks_written: int = 0
    exclusions_in_force: int = 0
    pins_in_force: int = 0
    # pinned articles that cannot be shown, with why: an editor's pin that does nothing should be visible to ops
    pins_not_shown: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    seconds_since_previous_run: float | None = None


@dataclass
class RunState:
    """Bookkeeping between runs, one item."""

    count_hashes: dict[str, str] = field(default_factory=dict)
    list_keys: list[str] = field(default_factory=list)
    last_run_ms: int | None = None


def run_ranking(now: float) -> RunReport:
    started = time.perf_counter()
    config = settings()
    report = RunReport(generated_at=iso(now))
    state = _load_state()
    summaries: dict[int, SlotCounts] = {}

    sealed_through, with_views, resealed = _seal_slots(now, config, summaries, report)
    totals = _window_totals(now, config, sealed_through, with_views, resealed, summaries, report)

    entries = {entry.article_id: entry for entry in catalog.catalog_entries()}
    list_keys = _publish_lists(now, _rank_lists(now, config, totals, entries, state, report), entries, report)
    count_hashes = _publish_counts(totals, state, report)

    _save_state(RunState(count_hashes, list_keys), now)
    published.put_latest_run(report.generated_at)
    if state.last_run_ms is not None:
        report.seconds_since_previous_run = round(now - state.last_run_ms / 1000, 3)
    report.articles_with_views = len(article_totals(totals["7d"]))
    report.seconds = time.perf_counter() - started
    return report


# -- sealing: finished slots become summaries ------------------------------------------------------


def _seal_slots(
    now: float, config: Settings, summaries: dict[int, SlotCounts], report: RunReport
) -> tuple[int, set[int], set[int]]:
    """Summarise every finished slot that received views since it was last summarised.

    Returns the last sealed slot, the slots with views in the longest window, and the slots that were
    summarised again because late views arrived (bases built over them are stale).
    """
    size = config.slot_seconds
    sealed_through = slot_start(now - config.ingest_grace_seconds, size) - size
    with_views: set[int] = set()
    resealed: set[int] = set()
    for mark in viewlog.slot_index(since=LONGEST_WINDOW.first_bucket(now)):
        with_views.add(mark.slot)
        if mark.slot > sealed_through or (mark.summarised_ms is not None and mark.summarised_ms >= mark.marked_ms):
            continue
        _summarise(mark.slot, now, config, summaries)
        viewlog.set_summarised(mark.slot, mark.marked_ms)
        if mark.summarised_ms is None:
            report.slots_sealed += 1
        else:
            resealed.add(mark.slot)
    report.slots_resealed = len(resealed)
    return sealed_through, with_views, resealed


def _summarise(slot: int, now: float, config: Settings, summaries: dict[int, SlotCounts]) -> None:
    counts = count_slot(viewlog.read_slot(slot, consistent=True), slot, config.slot_seconds)
    summaries[slot] = counts
    expires_at = slot + LONGEST_WINDOW.seconds + 2 * HOUR_SECONDS
    aggregates.put_chunked(keys.summary_key(slot), counts, {"slot": slot}, int(now * 1000), expires_at)


def _slot_counts(
    slot: int, sealed_through: int, with_views: set[int], config: Settings, summaries: dict[int, SlotCounts]
) -> SlotCounts:
    if slot not in summaries:
        if slot not in with_views:
            summaries[slot] = {}
        elif slot <= sealed_through:
            summaries[slot] = _stored_summary(slot)
        else:
            # still filling: count it live from the log (eventually consistent is enough, it is re-read next run)
            summaries[slot] = count_slot(viewlog.read_slot(slot, consistent=False), slot, config.slot_seconds)
    return summaries[slot]


# -- windows: base totals over sealed slots plus the recent slots ----------------------------------


def _window_totals(
    now: float,
    config: Settings,
    sealed_through: int,
    with_views: set[int],
    resealed: set[int],
    summaries: dict[int, SlotCounts],
    report: RunReport,
) -> dict[str, dict[str, int]]:
    size = config.slot_seconds
    current = slot_start(now, size)
    end = min(slot_start(now, HOUR_SECONDS), sealed_through + size)
    bases: dict[str, tuple[int, dict[str, int]]] = {}
    stale: list[WindowName] = []
    for name in BASE_WINDOWS:
        first = WINDOW_SPECS[name].first_bucket(now)
        stored = aggregates.get_chunked(keys.base_key(name))
        if stored is None or not _still_valid(stored[1], first, end, resealed):
            stale.append(name)
        elif stored[1]["first"] == first:
            bases[name] = (stored[1]["end"], stored[0])
        else:
            try:
                bases[name] = _roll_base(
                    name, stored[0], stored[1], first, end, now, sealed_through, with_views, config, summaries
                )
                report.bases_rolled.append(name)
            except ValueError:  # a base that disagrees with the summaries is rebuilt from them
                stale.append(name)
    if stale:
        bases.update(_rebuild_bases(stale, now, end, sealed_through, with_views, config, summaries))
        report.bases_rebuilt = stale

    totals: dict[str, dict[str, int]] = {}
    for name in WINDOWS:
        window = WINDOW_SPECS[name]
        if name in bases:
            recent_from, base_totals = bases[name]
            window_totals = dict(base_totals)
        else:
            recent_from, window_totals = slot_start(window.first_bucket(now), size), {}
        for slot in range(recent_from, current + 1, size):
            add_slot_in_window(
                window_totals,
                _slot_counts(slot, sealed_through, with_views, config, summaries),
                slot,
                window,
                now,
            )
        totals[name] = window_totals
    return totals


def _still_valid(meta: dict[str, int], first: int, end: int, resealed: set[int]) -> bool:
    """A stored base can be used, or rolled forward, unless a slot inside it was summarised again."""
    return meta["first"] <= first <= meta["end"] <= end and not any(
        meta["first"] <= slot < meta["end"] for slot in resealed
    )


def _roll_base(
    name: WindowName,
    base: dict[str, int],
    meta: dict[str, int],
    first: int,
    end: int,
    now: float,
    sealed_through: int,
    with_views: set[int],
    config: Settings,
    summaries: dict[int, SlotCounts],
) -> tuple[int, dict[str, int]]:
    """Move a base to a later window start: subtract the slots that left, add the finished ones that entered.

    Exact (integer sums of the same summaries a rebuild would read) and proportional to the articles in the
    base rather than to the 336 summaries of a week.
    """
    size = config.slot_seconds
    leaving = [_stored_summary(slot) for slot in range(meta["first"], first, size)]
    entering = [
        _slot_counts(slot, sealed_through, with_views, config, summaries) for slot in range(meta["end"], end, size)
    ]
    rolled = roll_totals(base, [slot_totals(counts) for counts in leaving], [slot_totals(c) for c in entering])
    aggregates.put_chunked(
        keys.base_key(name), rolled, {"first": first, "end": end}, int(now * 1000), int(now) + 2 * HOUR_SECONDS
    )
    return end, rolled


def _stored_summary(slot: int) -> SlotCounts:
    stored = aggregates.get_chunked(keys.summary_key(slot))
    return stored[0] if stored else {}


def _rebuild_bases(
    names: list[WindowName],
    now: float,
    end: int,
    sealed_through: int,
    with_views: set[int],
    config: Settings,
    summaries: dict[int, SlotCounts],
) -> dict[str, tuple[int, dict[str, int]]]:
    rebuilt: dict[str, tuple[int, dict[str, int]]] = {}
    per_slot: dict[int, dict[str, int]] = {}
    earliest = min(WINDOW_SPECS[name].first_bucket(now) for name in names)
    for slot in sorted(slot for slot in with_views if earliest <= slot < end):
        per_slot[slot] = slot_totals(_slot_counts(slot, sealed_through, with_views, config, summaries))
    for name in names:
        first = WINDOW_SPECS[name].first_bucket(now)
        base = merge_totals(counts for slot, counts in per_slot.items() if slot >= first)
        expires_at = int(now) + 2 * HOUR_SECONDS
        aggregates.put_chunked(keys.base_key(name), base, {"first": first, "end": end}, int(now * 1000), expires_at)
        rebuilt[name] = (end, base)
    return rebuilt


# -- publishing ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListSpec:
    kind: Kind
    window: WindowName
    section: str | None

    @property
    def key(self) -> str:
        return keys.list_key(self.kind, self.window, self.section)

    @classmethod
    def from_key(cls, key: str) -> ListSpec:
        return cls(*keys.list_of_key(key))  # type: ignore[arg-type]


def _rank_lists(
    now: float,
    config: Settings,
    totals: dict[str, dict[str, int]],
    entries: dict[str, CatalogEntry],
    state: RunState,
    report: RunReport,
) -> dict[str, tuple[ListSpec, list[Ranked]]]:
    """Every list of this run, in order, with the editors' controls applied."""
    controls = editorial.active_controls(now)
    eligible = eligible_entries(entries, controls.exclusions.keys(), now, config.max_article_age_days * DAY_SECONDS)
    listed = {name: listed_totals(totals[name], config.count_widget_clicks_in_lists) for name in WINDOWS}
    scores = {
        window: trending_scores(
            listed[window], listed[trending.baseline_window], eligible, now, trending, _trending_parameters(config)
        )
        for window, trending in TRENDING_WINDOWS.items()
    }
    candidates: dict[tuple[Kind, WindowName], dict[str | None, dict[str, Any]]] = {
        **{("most_read", w): list_candidates(listed[w], eligible, config.excluded_sections) for w in WINDOWS},
        **{("trending", w): list_candidates(scores[w], eligible, config.excluded_sections) for w in TRENDING_WINDOWS},
    }
    sections = sorted({section for lists in candidates.values() for section in lists if section is not None})
    specs = [
        ListSpec(kind, window, section)
        for kind, windows in KIND_WINDOWS.items()
        for window in windows
        for section in [None, *sections]
    ]
    report.exclusions_in_force, report.pins_in_force = len(controls.exclusions), len(controls.pins)
    pins: dict[str, list[Placement]] = {}
    for pin in controls.pins:
        if pin.article_id not in eligible:  # an exclusion (or the catalog, or the age limit) beats a pin
            report.pins_not_shown[pin.article_id] = _why_not_eligible(pin.article_id, entries, controls.exclusions)
            continue
        spec = ListSpec(pin.kind, pin.window, pin.section)
        pins.setdefault(spec.key, []).append(Placement(pin.article_id, pin.position))
        if spec not in specs:
            specs.append(spec)
    # lists that were published before and have no candidates now are published empty
    specs += [ListSpec.from_key(key) for key in sorted(set(state.list_keys) - {spec.key for spec in specs})]

    ranked: dict[str, tuple[ListSpec, list[Ranked]]] = {}
    for spec in specs:
        competing = candidates[(spec.kind, spec.window)].get(spec.section, {})
        if spec.kind == "trending":
            organic = top_trending(competing, listed[spec.window], eligible, config.list_depth)
        else:
            organic = top_articles(competing, eligible, config.list_depth)
        pinned = [
            (placement, _ranked(spec, placement.article_id, listed, scores)) for placement in pins.get(spec.key, [])
        ]
        ranked[spec.key] = (spec, place_pins(organic, pinned, config.list_depth))
    return ranked


def _publish_lists(
    now: float, ranked: dict[str, tuple[ListSpec, list[Ranked]]], entries: dict[str, CatalogEntry], report: RunReport
) -> list[str]:
    """Write the lists that changed, each item with its rank in the previous run; returns the non-empty lists."""
    previous = published.get_documents(list(ranked))
    for list_key, (spec, top) in ranked.items():
        old = previous.get(list_key)
        previous_ranks = {item["article_id"]: item["rank"] for item in old["items"]} if old else {}
        items = [_list_item(rank, item, previous_ranks.get(item.article_id)) for rank, item in enumerate(top, start=1)]
        digest = _catalog_digest(top, entries)
        if old and old["items"] == items and old.get("catalog_digest") == digest:
            report.lists_unchanged += 1
            continue
        document = {
            "kind": spec.kind,
            "window": spec.window,
            "section": spec.section,
            "generated_at": iso(now),
            "catalog_digest": digest,
            "items": items,
        }
        published.put_list(spec.kind, spec.window, spec.section, document)
        report.lists_written += 1
    return sorted(key for key, (_, top) in ranked.items() if top)


def _why_not_eligible(article_id: str, entries: dict[str, CatalogEntry], exclusions: Collection[str]) -> str:
    if article_id in exclusions:
        return "excluded"
    if article_id not in entries:
        return "not in the catalog"
    return "older than MaxArticleAgeDays"


def _catalog_digest(top: list[Ranked], entries: dict[str, CatalogEntry]) -> str:
    """Changes when a listed article is edited: read containers then fetch that list's cards again."""
    return codec.digest([[item.article_id, entries[item.article_id].version] for item in top])


def _trending_parameters(config: Settings) -> TrendingParameters:
    return TrendingParameters(config.trending_half_life_hours, config.trending_prior_views, config.trending_min_views)


def _ranked(
    spec: ListSpec,
    article_id: str,
    listed: dict[WindowName, dict[str, int]],
    scores: dict[WindowName, dict[str, float]],
) -> Ranked:
    """A pinned article's entry: its real views (and score), whatever they are."""
    views = listed[spec.window].get(article_id, 0)
    if spec.kind == "trending":
        return Ranked(article_id, views, scores[spec.window].get(article_id, 0.0))
    return Ranked(article_id, views)


def _list_item(rank: int, item: Ranked, previous_rank: int | None) -> dict[str, Any]:
    """A list entry as published: ids and numbers. The read path joins the catalog's card, so the run's
    per-minute writes never carry titles and summaries (see docs/architecture.md, "Publishing and reading")."""
    entry: dict[str, Any] = {"rank": rank, "article_id": item.article_id, "views": item.views}
    if item.score is not None:
        entry["score"] = item.score
    entry["previous_rank"] = previous_rank
    return entry


def _publish_counts(totals: dict[str, dict[str, int]], state: RunState, report: RunReport) -> dict[str, str]:
    chunks: dict[int, dict[str, list[int]]] = {chunk: {} for chunk in range(keys.COUNT_CHUNKS)}
    counted = {name: article_totals(totals[name]) for name in WINDOWS}
    for article_id in counted["7d"].keys() | counted["24h"].keys() | counted["1h"].keys():
        chunks[keys.stable_bucket(article_id, keys.COUNT_CHUNKS)][article_id] = [
            counted[name].get(article_id, 0) for name in WINDOWS
        ]
    hashes: dict[str, str] = {}
    for chunk, counts in chunks.items():
        digest = codec.digest(counts)
        hashes[str(chunk)] = digest
        if state.count_hashes.get(str(chunk)) != digest:
            published.put_counts_chunk(chunk, {"counts": counts, "generated_at": report.generated_at})
            report.count_chunks_written += 1
    return hashes


def _load_state() -> RunState:
    stored = published.get_document(keys.RUN_STATE)
    if not stored:
        return RunState()
    return RunState(stored.get("count_hashes", {}), stored.get("list_keys", []), stored.get("last_run_ms"))


def _save_state(state: RunState, now: float) -> None:
    published.put_document(
        keys.RUN_STATE,
        {
            "count_hashes": state.count_hashes,
            "list_keys": state.list_keys,
            "last_run_at": iso(now),
            "last_run_ms": int(now * 1000),
        },
    )
