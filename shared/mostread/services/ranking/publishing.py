"""Stages: rank every list (pure), publish the lists and the per-article counts that changed, keep the run's state.

Item sizes: a list holds at most ListDepth (≤ 100) entries of ids and numbers: a few KB whatever the ids. The
counts are hashed into as many chunks as keep each below ``COUNTS_CHUNK_BYTES`` (a power of two, doubled
until every chunk fits), and only catalogued articles have counts, so no number of junk ids can grow them.
The run's own state is a chunk set (any number of sections and chunks fits).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field, replace
from typing import Any

from mostread import codec, keys
from mostread.catalog_entry import CatalogEntry
from mostread.config import Settings
from mostread.counting import article_totals, capped_totals, engaged_totals, listed_totals
from mostread.dal import aggregates, published
from mostread.models import KIND_WINDOWS, Kind
from mostread.ranking import (
    Placement,
    Ranked,
    eligible_entries,
    held_story_articles,
    list_candidates,
    place_pins,
    read_rate,
    rotate_fresh,
    top_articles,
    top_trending,
    trending_scores,
)
from mostread.services.editorial import ActiveControls
from mostread.services.ranking.context import RunContext
from mostread.timebuckets import DAY_SECONDS, WINDOWS, WindowName, iso
from mostread.trending import TRENDING_WINDOWS, TrendingParameters

STATE_LIFETIME_SECONDS = 30 * DAY_SECONDS
ARTICLES_PER_COUNT_CHUNK = 256
# between a list key and a story key in the state's freshness entries: neither ids, sections nor kinds hold it
TOP_SINCE_SEPARATOR = "~"


@dataclass
class RunState:
    """Bookkeeping between runs."""

    last_run_ms: int | None = None
    catalog_log_after: str | None = None
    count_chunks: int = published.MIN_COUNT_CHUNKS
    count_hashes: dict[str, str] = field(default_factory=dict)
    list_keys: list[str] = field(default_factory=list)
    # freshness rotation: list key -> story key -> when (epoch seconds) its stretch in the list's top 3 began
    top_since: dict[str, dict[str, float]] = field(default_factory=dict)


def load_state(ctx: RunContext) -> RunState:
    stored = aggregates.get_chunked(ctx.db, keys.RUN_STATE, ctx.now)
    if stored is None:
        return RunState()
    mapping, meta = stored
    return RunState(
        last_run_ms=meta.get("last_run_ms"),
        catalog_log_after=meta.get("catalog_log_after"),
        count_chunks=int(meta.get("count_chunks", published.MIN_COUNT_CHUNKS)),
        count_hashes={key[2:]: value for key, value in mapping.items() if key.startswith("h:")},
        list_keys=sorted(key[2:] for key in mapping if key.startswith("l:")),
        top_since=_top_since(mapping),
    )


def _top_since(mapping: dict[str, Any]) -> dict[str, dict[str, float]]:
    since: dict[str, dict[str, float]] = {}
    for key, value in mapping.items():
        if key.startswith("f:"):
            list_key, _, story = key[2:].partition(TOP_SINCE_SEPARATOR)
            since.setdefault(list_key, {})[story] = int(value) / 1000
    return since


def save_state(ctx: RunContext, state: RunState) -> None:
    mapping: dict[str, Any] = {f"h:{chunk}": digest for chunk, digest in state.count_hashes.items()}
    mapping.update({f"l:{key}": 1 for key in state.list_keys})
    mapping.update(
        {
            f"f:{list_key}{TOP_SINCE_SEPARATOR}{story}": round(started * 1000)
            for list_key, stories in state.top_since.items()
            for story, started in stories.items()
        }
    )
    meta = {
        "last_run_ms": state.last_run_ms,
        "last_run_at": iso(state.last_run_ms / 1000) if state.last_run_ms else None,
        "catalog_log_after": state.catalog_log_after,
        "count_chunks": state.count_chunks,
    }
    aggregates.put_chunked(ctx.db, keys.RUN_STATE, mapping, meta, ctx.now_ms, int(ctx.now) + STATE_LIFETIME_SECONDS)


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


@dataclass
class RankedLists:
    lists: dict[str, tuple[ListSpec, list[Ranked]]]
    exclusions_in_force: int
    pins_in_force: int
    pins_not_shown: dict[str, str]
    # freshness rotation's clocks, to be saved for the next run (empty when rotation is off)
    top_since: dict[str, dict[str, float]] = field(default_factory=dict)


def rank_lists(
    now: float,
    config: Settings,
    totals: dict[WindowName, dict[str, int]],
    entries: dict[str, CatalogEntry],
    controls: ActiveControls,
    previous_list_keys: Collection[str],
    top_since: dict[str, dict[str, float]] | None = None,
) -> RankedLists:
    """Every list of this run, in order, with the editors' controls applied. Pure."""
    eligible = eligible_entries(entries, controls.exclusions.keys(), now, config.max_article_age_days * DAY_SECONDS)
    listed = {name: listed_totals(totals[name], config.count_widget_clicks_in_lists) for name in WINDOWS}
    engaged = {name: engaged_totals(totals[name]) for name in WINDOWS}
    # read_rate's denominator: every counted view, widget clicks included, since an engaged reader who came from
    # the widget cannot be told apart (engaged rows carry no ref); CountWidgetClicksInLists does not change it
    viewed = {name: article_totals(totals[name]) for name in WINDOWS}
    parameters = TrendingParameters(
        config.trending_half_life_hours, config.trending_prior_views, config.trending_min_views
    )
    scores = {
        window: trending_scores(listed[window], listed[trending.baseline_window], eligible, now, trending, parameters)
        for window, trending in TRENDING_WINDOWS.items()
    }
    candidates: dict[tuple[Kind, WindowName], dict[str | None, dict[str, Any]]] = {
        **{("most_read", w): list_candidates(listed[w], eligible, config.excluded_sections) for w in WINDOWS},
        **{("trending", w): list_candidates(scores[w], eligible, config.excluded_sections) for w in TRENDING_WINDOWS},
        **{("engaged", w): list_candidates(engaged[w], eligible, config.excluded_sections) for w in WINDOWS},
    }
    sections = sorted({section for lists in candidates.values() for section in lists if section is not None})
    specs = [
        ListSpec(kind, window, section)
        for kind, windows in KIND_WINDOWS.items()
        for window in windows
        for section in [None, *sections]
    ]
    pins: dict[str, list[Placement]] = {}
    not_shown: dict[str, str] = {}
    for pin in controls.pins:
        if pin.article_id not in eligible:  # an exclusion (or the catalog, or the age limit) beats a pin
            not_shown[pin.article_id] = _why_not_eligible(pin.article_id, entries, controls.exclusions)
            continue
        spec = ListSpec(pin.kind, pin.window, pin.section)
        pins.setdefault(spec.key, []).append(Placement(pin.article_id, pin.position))
        if spec not in specs:
            specs.append(spec)
    # lists that were published before and have no candidates now are published empty
    specs += [ListSpec.from_key(key) for key in sorted(set(previous_list_keys) - {spec.key for spec in specs})]

    ranked: dict[str, tuple[ListSpec, list[Ranked]]] = {}
    clocks: dict[str, dict[str, float]] = {}
    hold_seconds = config.freshness_top_hours * 3600
    for spec in specs:
        competing = candidates[(spec.kind, spec.window)].get(spec.section, {})
        placements = pins.get(spec.key, [])
        pinned_ids = [placement.article_id for placement in placements]
        held = {eligible[article_id].story for article_id in pinned_ids}  # a pin represents its story
        if spec.kind == "trending":
            organic = top_trending(competing, listed[spec.window], eligible, config.list_depth, held)
        else:
            organic = top_articles(competing, eligible, config.list_depth, held)
            if hold_seconds > 0 and spec.kind == "most_read":  # trending decays; engaged rewards reading
                organic, clocks[spec.key] = rotate_fresh(
                    organic,
                    lambda item: eligible[item.article_id].story,
                    (top_since or {}).get(spec.key, {}),
                    now,
                    hold_seconds,
                )
        story_articles = (
            held_story_articles((id_ for id_, value in competing.items() if value > 0), eligible, pinned_ids)
            if placements
            else {}
        )
        pinned = [
            (
                placement,
                _pinned(
                    spec,
                    placement.article_id,
                    engaged if spec.kind == "engaged" else listed,
                    scores,
                    eligible,
                    story_articles,
                ),
            )
            for placement in placements
        ]
        placed = place_pins(organic, pinned, config.list_depth)
        if spec.kind == "engaged":
            window_views = viewed[spec.window]
            placed = [
                replace(item, read_rate=read_rate(item.views, window_views.get(item.article_id, 0))) for item in placed
            ]
        ranked[spec.key] = (spec, placed)
    return RankedLists(
        ranked, len(controls.exclusions), len(controls.pins), not_shown, {k: v for k, v in clocks.items() if v}
    )


@dataclass
class ListsPublished:
    written: int = 0
    unchanged: int = 0
    held: int = 0
    non_empty: list[str] = field(default_factory=list)


def publish_lists(
    ctx: RunContext, ranked: RankedLists, entries: dict[str, CatalogEntry], catching_up: Collection[str] = ()
) -> ListsPublished:
    """Write the lists that changed, each item with its rank in the previous run. A list of a window still
    catching up (its base extending backward) is held as last published, if it was: readers keep a whole
    window's list until this one counts the whole window again."""
    result = ListsPublished()
    previous = published.get_documents(ctx.db, list(ranked.lists))
    for list_key, (spec, top) in ranked.lists.items():
        old = previous.get(list_key)
        if old and spec.window in catching_up:
            result.held += 1
            continue
        previous_ranks = {item["article_id"]: item["rank"] for item in old["items"]} if old else {}
        items = [_list_item(rank, item, previous_ranks.get(item.article_id)) for rank, item in enumerate(top, start=1)]
        digest = codec.digest([[item.article_id, entries[item.article_id].version] for item in top])
        if old and old["items"] == items and old.get("catalog_digest") == digest:
            result.unchanged += 1
            continue
        document = {
            "kind": spec.kind,
            "window": spec.window,
            "section": spec.section,
            "generated_at": ctx.generated_at,
            "catalog_digest": digest,
            "items": items,
        }
        published.put_list(ctx.db, spec.kind, spec.window, spec.section, document)
        result.written += 1
    result.non_empty = sorted(
        key for key, (spec, top) in ranked.lists.items() if top or (spec.window in catching_up and previous.get(key))
    )
    return result


@dataclass
class CountsPublished:
    chunks: int
    hashes: dict[str, str]
    written: int
    capped: int


def publish_counts(
    ctx: RunContext, totals: dict[WindowName, dict[str, int]], entries: dict[str, CatalogEntry], state: RunState
) -> CountsPublished:
    """Per-article window counts of the catalogued articles, in as many chunks as keep each one small."""
    counted = {name: article_totals(totals[name]) for name in WINDOWS}
    capped = {name: capped_totals(totals[name]) for name in WINDOWS}
    articles = sorted(
        article_id
        for article_id in counted["7d"].keys() | counted["24h"].keys() | counted["1h"].keys()
        if article_id in entries
    )
    rows = {article_id: [counted[name].get(article_id, 0) for name in WINDOWS] for article_id in articles}
    capped_rows = {
        article_id: [capped[name].get(article_id, 0) for name in WINDOWS]
        for article_id in articles
        if any(capped[name].get(article_id) for name in WINDOWS)
    }
    chunks = published.MIN_COUNT_CHUNKS
    while len(articles) > chunks * ARTICLES_PER_COUNT_CHUNK:
        chunks *= 2
    if chunks < state.count_chunks < chunks * 4:
        chunks = state.count_chunks  # shrink only well below: every change of the number rewrites every chunk
    while True:
        documents = _count_documents(rows, capped_rows, chunks, ctx.generated_at)
        if all(len(codec.pack(document)) <= published.COUNTS_CHUNK_BYTES for document in documents.values()):
            break
        chunks *= 2
    hashes: dict[str, str] = {}
    written = 0
    for chunk, document in documents.items():
        digest = codec.digest([document["counts"], document.get("capped")])
        hashes[str(chunk)] = digest
        if chunks != state.count_chunks or state.count_hashes.get(str(chunk)) != digest:
            published.put_counts_chunk(ctx.db, chunk, document)
            written += 1
    return CountsPublished(chunks, hashes, written, sum(capped["24h"].values()))


def _count_documents(
    rows: dict[str, list[int]], capped_rows: dict[str, list[int]], chunks: int, generated_at: str
) -> dict[int, dict[str, Any]]:
    documents: dict[int, dict[str, Any]] = {
        chunk: {"counts": {}, "generated_at": generated_at} for chunk in range(chunks)
    }
    for article_id, row in rows.items():
        documents[keys.counts_chunk_of(article_id, chunks)]["counts"][article_id] = row
    for article_id, row in capped_rows.items():
        documents[keys.counts_chunk_of(article_id, chunks)].setdefault("capped", {})[article_id] = row
    return documents


def _why_not_eligible(article_id: str, entries: dict[str, CatalogEntry], exclusions: Collection[str]) -> str:
    if article_id in exclusions:
        return "excluded"
    if article_id not in entries:
        return "not in the catalog"
    return "older than MaxArticleAgeDays"


def _pinned(
    spec: ListSpec,
    article_id: str,
    listed: dict[WindowName, dict[str, int]],
    scores: dict[WindowName, dict[str, float]],
    eligible: dict[str, CatalogEntry],
    story_articles: dict[str, int],
) -> Ranked:
    """A pinned article's entry: its real views (and score), whatever they are, standing for its story."""
    views = listed[spec.window].get(article_id, 0)
    score = scores[spec.window].get(article_id, 0.0) if spec.kind == "trending" else None
    return Ranked(article_id, views, score, eligible[article_id].story_id, story_articles.get(article_id, 1))


def _list_item(rank: int, item: Ranked, previous_rank: int | None) -> dict[str, Any]:
    """A list entry as published: ids and numbers. The read path joins the catalog's card, so the run's
    per-minute writes never carry titles and summaries (see docs/architecture.md, "Publishing and reading")."""
    entry: dict[str, Any] = {"rank": rank, "article_id": item.article_id, "views": item.views}
    if item.score is not None:
        entry["score"] = item.score
    if item.read_rate is not None:
        entry["read_rate"] = item.read_rate
    entry["story_id"] = item.story_id
    entry["story_articles"] = item.story_articles
    entry["previous_rank"] = previous_rank
    return entry
