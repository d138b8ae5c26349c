"""Stages: keep the 24h and 7d bases, and add up every window's totals.

A *base* holds per-id totals over a range of sealed slots ``[first, end)`` and, per slot, the generation of
the summary it added. Which ids it holds, and the invariant every step keeps: an id is in the base when it was
catalogued in one of the slots' summaries or was registered with views in them, and then its total is exactly
the sum of its counts (catalogued and uncatalogued parts) over the base's slots. Uncatalogued ids otherwise
stay out, so a flood of junk ids never reaches a base (nor the run's memory).

Each run, per base:

1. *corrects* slots whose summary was made again (late views) by the stored delta between the generations;
2. *registers* ids first catalogued since the last run: an id not yet in the base gets the sum of its
   uncatalogued counts over the base's slots (one partition lookup per slot that has such ids);
3. *rolls* forward: slots that left the window are subtracted, sealed slots after ``end`` added;
4. *extends* backward while ``first`` is later than the window's start (a new or reset base), as many slots as
   the run's time allows: a base is never rebuilt in one go, so no history size can stall a run.

Everything is integer sums of stored summaries, so a run that crashes before writing the base repeats the
same steps from the same inputs next time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from mostread import keys
from mostread.caches import remembered
from mostread.counting import SlotCounts, add_slot_in_window, article_of_key, is_article_key
from mostread.dal import aggregates, summaries
from mostread.services.ranking.catalog_view import CatalogSnapshot
from mostread.services.ranking.context import RunContext
from mostread.services.ranking.slots import LiveCounts, Sealed, SlotPlan
from mostread.timebuckets import (
    DAY_SECONDS,
    HOUR_SECONDS,
    WINDOW_SPECS,
    WINDOWS,
    Slot,
    WindowName,
    floor_to,
    iso,
)

BASE_WINDOWS: tuple[WindowName, ...] = ("24h", "7d")
BASE_LIFETIME_SECONDS = 2 * DAY_SECONDS
# a registration's lookups between two looks at the clock: a day of 30-minute slots, one batched read each
REGISTRATION_SLOTS_PER_LOOKUP = 48


@dataclass
class Base:
    first: int
    end: int
    slots: dict[str, int]  # slot name -> generation of the summary the totals include
    totals: dict[str, int]
    generation: int = 0

    def meta(self) -> dict[str, object]:
        return {"first": self.first, "end": self.end, "slots": self.slots}


_held: dict[tuple[str, str], Base] = {}
remembered(_held.clear)


@dataclass
class BaseOutcome:
    bases: dict[WindowName, Base] = field(default_factory=dict)
    steps: dict[WindowName, list[str]] = field(default_factory=dict)
    changed: set[WindowName] = field(default_factory=set)

    @property
    def actions(self) -> dict[str, str]:
        return {window: ", ".join(steps) or "kept" for window, steps in self.steps.items()}


def prepare_bases(ctx: RunContext, plan: SlotPlan, catalog: CatalogSnapshot) -> BaseOutcome:
    """Before sealing: load the bases and add in the articles registered since the last run, from the summaries
    the bases were built on (a slot sealed again in this run replaces its summary, and its delta then moves an id
    from the uncatalogued part to the catalogued one)."""
    outcome = BaseOutcome()
    reads = _SlotReads(ctx)
    for window in BASE_WINDOWS:
        base, action = _load(ctx, window, floor_to(ctx.now, HOUR_SECONDS))
        outcome.bases[window], outcome.steps[window] = base, [action] if action else []
        if action:
            outcome.changed.add(window)
        registered = _register(ctx, base, plan, catalog, reads)
        if registered:
            outcome.steps[window].append(registered)
            outcome.changed.add(window)
    return outcome


def update_bases(
    ctx: RunContext, plan: SlotPlan, catalog: CatalogSnapshot, sealed: Sealed, prepared: BaseOutcome
) -> BaseOutcome:
    """After sealing: correct, roll, absorb late slots, extend backward; write the bases that changed."""
    end = _settled_end(ctx, plan, sealed)
    reads = _SlotReads(ctx)
    for window in BASE_WINDOWS:
        base, steps = prepared.bases[window], prepared.steps[window]
        changed = window in prepared.changed
        if _correct(ctx, base, plan, sealed):
            steps.append("corrected")
            changed = True
        first = WINDOW_SPECS[window].first_bucket(ctx.now)
        if _roll(base, first, end, plan, sealed, catalog, reads):
            steps.append("rolled")
            changed = True
        late = _absorb_late_slots(base, plan, sealed, catalog, reads)
        if late:
            steps.append(f"absorbed {late}")
            changed = True
        if base.first > first:
            extended = _extend(ctx, base, first, plan, sealed, catalog, reads)
            if extended:
                steps.append(f"extended {extended}")
                changed = True
        if changed:
            base.generation = aggregates.put_chunked(
                ctx.db,
                keys.base_key(window),
                base.totals,
                base.meta(),
                ctx.now_ms,
                int(ctx.now) + BASE_LIFETIME_SECONDS,
            )
            prepared.changed.add(window)
        _held[(ctx.db.table, window)] = base
    return prepared


def _settled_end(ctx: RunContext, plan: SlotPlan, sealed: Sealed) -> int:
    """Bases end at the hour, or earlier: at the first slot whose summary is not settled (a deferred seal), and
    never inside a slot (slots of another DedupeMinutes may straddle a boundary)."""
    end = floor_to(ctx.now, HOUR_SECONDS)
    moved = True
    while moved:
        moved = False
        for slot in plan.marks:
            if slot.start < end and (not _settled(slot, plan, sealed) or slot.end > end):
                end, moved = slot.start, True
    return end


def _load(ctx: RunContext, window: WindowName, end: int) -> tuple[Base, str]:
    """The stored base (from this container's copy when the stored generation is the same), or a new empty one
    at ``end`` that the run then extends backward."""
    head = aggregates.get_head(ctx.db, keys.base_key(window), ctx.now)
    held = _held.get((ctx.db.table, window))
    if head is not None and held is not None and held.generation == head.generation:
        return held, ""
    stored = aggregates.get_chunked(ctx.db, keys.base_key(window), ctx.now) if head is not None else None
    if stored is not None:
        totals, meta = stored
        return Base(
            int(meta["first"]), int(meta["end"]), dict(meta["slots"]), totals, head.generation if head else 0
        ), ""
    return Base(end, end, {}, {}), "started"


class _SlotReads:
    """Summaries read in this run, shared by both bases."""

    def __init__(self, ctx: RunContext) -> None:
        self._ctx = ctx
        self._heads: dict[Slot, summaries.SummaryHead | None] = {}

    def head(self, slot: Slot) -> summaries.SummaryHead | None:
        if slot not in self._heads:
            self._heads[slot] = summaries.summary_head(self._ctx.db, slot, self._ctx.now)
        return self._heads[slot]

    def totals(self, slot: Slot, generation: int, orphans_of: set[str] | None) -> dict[str, int] | None:
        """The slot's summary totals (catalogued part whole, uncatalogued part for ``orphans_of``), or None when
        it is gone or is not the generation the caller counts on."""
        head = self.head(slot)
        if head is None or head.generation != generation:
            return None
        return summaries.totals(self._ctx.db, head, self._ctx.now, orphans_of)

    def orphan_lookups(self, slots: dict[Slot, int], article_ids: set[str]) -> dict[Slot, SlotCounts] | None:
        """The uncatalogued counts of these ids in these slots (at these generations); None when one is gone."""
        ctx = self._ctx
        missing = [slot for slot in slots if slot not in self._heads]
        self._heads.update({slot: None for slot in missing})
        self._heads.update(summaries.summary_heads(ctx.db, missing, ctx.now))
        heads = [self._heads[slot] for slot in slots]
        if any(head is None or head.generation != slots[head.slot] for head in heads):
            return None
        return summaries.lookup_orphans(ctx.db, [head for head in heads if head], _with_derived(article_ids), ctx.now)


def _with_derived(article_ids: Iterable[str]) -> set[str]:
    from mostread.counting import derived_keys

    return {key for article_id in article_ids for key in derived_keys(article_id)}


def _correct(ctx: RunContext, base: Base, plan: SlotPlan, sealed: Sealed) -> bool:
    """Apply the deltas of slots sealed again since the base added them: the catalogued part's change to every
    id (the base holds catalogued parts whole), the uncatalogued part's only to ids the base holds (it holds their
    uncatalogued counts too, and no one else's). A slot whose chain of deltas is broken cannot be corrected: the
    base starts again (and extends backward over the following runs)."""
    changed = False
    for name, included in list(base.slots.items()):
        slot = keys.slot_of_name(name)
        current = _generation(slot, plan, sealed)
        if current is None or current == included:
            continue
        deltas = summaries.delta_chain(ctx.db, slot, included, current, ctx.now)
        if deltas is None:
            _reset(base)
            return True
        for delta in reversed(deltas):  # oldest first
            holds = _base_ids(base)
            for part_key, change in delta.items():
                part, count_key = part_key.split("|", 1)
                if part == "c" or article_of_key(count_key) in holds:
                    _add(base.totals, count_key, change)
        base.slots[name] = current
        changed = True
    return changed


def _generation(slot: Slot, plan: SlotPlan, sealed: Sealed) -> int | None:
    if slot in sealed.generations:
        return sealed.generations[slot]
    mark = plan.marks.get(slot)
    return mark.summary_generation if mark else None


def _register(ctx: RunContext, base: Base, plan: SlotPlan, catalog: CatalogSnapshot, reads: _SlotReads) -> str:
    """Ids registered since the last run and not in the base yet: their uncatalogued counts over its slots, looked
    up a batch of slots at a time while the run has time. Lookups that cannot finish in time (a burst of
    registrations over a week of heavy junk traffic) start the base again: it then extends backward over the
    following runs, the new ids counted in from the catalog, so no run spends more than its budget on them."""
    newcomers = {article_id for article_id in catalog.registered if article_id not in base.totals}
    if not newcomers or not base.slots:
        return ""
    partitions = {keys.orphan_partition(article_id) for article_id in newcomers}
    slots = {
        slot: generation
        for slot, generation in ((keys.slot_of_name(name), generation) for name, generation in base.slots.items())
        if (mark := plan.marks.get(slot)) is None or any(mark.orphan_partitions & (1 << p) for p in partitions)
    }
    ordered = sorted(slots)
    found: dict[Slot, SlotCounts] = {}
    for start in range(0, len(ordered), REGISTRATION_SLOTS_PER_LOOKUP):
        batch = ordered[start : start + REGISTRATION_SLOTS_PER_LOOKUP]
        if ctx.out_of_time():
            _reset(base)
            return "started again (registrations out of time)"
        looked_up = reads.orphan_lookups({slot: slots[slot] for slot in batch}, newcomers)
        if looked_up is None:
            _reset(base)
            return "started again (a summary is gone)"
        found.update(looked_up)
    changed = False
    for counts in found.values():
        for count_key, row in counts.items():
            if sum(row):
                _add(base.totals, count_key, sum(row))
                changed = True
    return "registered" if changed else ""


def _roll(
    base: Base, first: int, end: int, plan: SlotPlan, sealed: Sealed, catalog: CatalogSnapshot, reads: _SlotReads
) -> bool:
    """Subtract the slots that left the window, add the sealed ones up to ``end``."""
    changed = False
    holds = _base_ids(base)
    for name in [name for name in base.slots if keys.slot_of_name(name).start < first]:
        totals = reads.totals(keys.slot_of_name(name), base.slots[name], holds)
        if totals is None:
            _reset(base)
            return True
        for count_key, views in totals.items():
            _add(base.totals, count_key, -views)
        del base.slots[name]
        changed = True
    if base.first < first:
        base.first = first
        base.end = max(base.end, first)
        changed = True
    if base.end < end:
        for slot in sorted(slot for slot in plan.marks if base.end <= slot.start and slot.end <= end):
            if not _add_slot(base, slot, plan, sealed, catalog, reads):
                _reset(base)
                return True
        base.end = end
        changed = True
    return changed


def _absorb_late_slots(base: Base, plan: SlotPlan, sealed: Sealed, catalog: CatalogSnapshot, reads: _SlotReads) -> int:
    """Sealed slots inside the base's range that it does not hold yet: slots whose first views reached the log
    only after the base had moved past them (a stream backlog). Until sealed they are counted beside the base."""
    absorbed = 0
    for slot in sorted(plan.marks):
        inside = base.first <= slot.start and slot.end <= base.end and keys.slot_name(slot) not in base.slots
        if inside and _settled(slot, plan, sealed) and _add_slot(base, slot, plan, sealed, catalog, reads):
            absorbed += 1
    return absorbed


def _settled(slot: Slot, plan: SlotPlan, sealed: Sealed) -> bool:
    return slot in sealed.summaries or (slot in plan.sealable and not plan.marks[slot].due)


def _extend(
    ctx: RunContext, base: Base, first: int, plan: SlotPlan, sealed: Sealed, catalog: CatalogSnapshot, reads: _SlotReads
) -> int:
    """Add the slots between the window's start and the base's, newest first, while there is time."""
    added = 0
    for slot in sorted((slot for slot in plan.marks if first <= slot.start < base.first), reverse=True):
        if ctx.out_of_time():
            return added
        if not _add_slot(base, slot, plan, sealed, catalog, reads):
            return added
        base.first = slot.start
        added += 1
    base.first = first
    return added


def _add_slot(
    base: Base, slot: Slot, plan: SlotPlan, sealed: Sealed, catalog: CatalogSnapshot, reads: _SlotReads
) -> bool:
    """Add a sealed slot: its catalogued part whole, its uncatalogued part for ids the base holds or the catalog
    has now."""
    mark = plan.marks[slot]
    generation = _generation(slot, plan, sealed)
    if generation is None:
        return False
    orphan_partitions = sealed.orphan_partitions.get(slot, mark.orphan_partitions)
    keep = (_base_ids(base) | set(catalog.entries)) if orphan_partitions else set()
    totals = reads.totals(slot, generation, keep)
    if totals is None:
        return False
    for count_key, views in totals.items():
        _add(base.totals, count_key, views)
    base.slots[keys.slot_name(slot)] = generation
    return True


def _base_ids(base: Base) -> set[str]:
    return {key for key in base.totals if is_article_key(key)}


def _add(totals: dict[str, int], key: str, views: int) -> None:
    value = totals.get(key, 0) + views
    if value > 0:
        totals[key] = value
    else:
        totals.pop(key, None)


def _reset(base: Base) -> None:
    base.first = base.end
    base.slots = {}
    base.totals = {}


# -- window totals ---------------------------------------------------------------------------------------


_post_base: dict[tuple[str, Slot, int], SlotCounts] = {}
remembered(_post_base.clear)
MAX_POST_BASE_SUMMARIES = 16


def window_totals(
    ctx: RunContext,
    plan: SlotPlan,
    bases: dict[WindowName, Base],
    live: LiveCounts,
    sealed: Sealed,
    catalog: CatalogSnapshot,
) -> dict[WindowName, dict[str, int]]:
    """Every window's totals per count key: its base plus, bucket by bucket, every slot of the window it does not
    hold (the slots after it, and any that reached the log late and are not sealed yet).

    A base still extending backward (a new or reset one) leaves the window counted from the base's first slot
    (``catching_up``): reading the rest of the window here, in every run, is the work the extension spreads over
    runs, and at 1,000 views/s a week of summaries took a run past its timeout."""
    totals: dict[WindowName, dict[str, int]] = {}
    for window in WINDOWS:
        spec = WINDOW_SPECS[window]
        base = bases.get(window)
        window_first = spec.first_bucket(ctx.now)
        counted_from = _counted_from(ctx, window, base) if base is not None else None
        held = set(base.slots) if base else set()
        result = dict(base.totals) if base else {}
        for slot in sorted(
            slot
            for slot in plan.marks
            if slot.end > window_first
            and keys.slot_name(slot) not in held
            and (counted_from is None or slot.start >= counted_from)
        ):
            counts = _slot_counts(ctx, slot, plan, live, sealed, catalog)
            if counts:
                add_slot_in_window(result, counts, slot, spec, ctx.now)
        totals[window] = result
    return totals


def catching_up(ctx: RunContext, bases: dict[WindowName, Base]) -> dict[str, str]:
    """Windows whose base has not reached the window's start yet, with the time their totals count from."""
    return {
        window: iso(counted_from)
        for window, base in bases.items()
        if (counted_from := _counted_from(ctx, window, base)) is not None
    }


def _counted_from(ctx: RunContext, window: WindowName, base: Base) -> int | None:
    """The base's first slot while it is still extending backward to the window's start; None once it is there."""
    return base.first if base.first > WINDOW_SPECS[window].first_bucket(ctx.now) else None


def _slot_counts(
    ctx: RunContext, slot: Slot, plan: SlotPlan, live: LiveCounts, sealed: Sealed, catalog: CatalogSnapshot
) -> SlotCounts | None:
    mark = plan.marks[slot]
    if slot in live.counts:
        return live.counts[slot]
    if slot in sealed.summaries:
        counts, generation = sealed.summaries[slot], sealed.generations[slot]
    elif mark.summary_generation is not None:
        generation = mark.summary_generation
        key = (ctx.db.table, slot, generation)
        if key not in _post_base:
            head = summaries.summary_head(ctx.db, slot, ctx.now)
            stored = (
                summaries.read_catalogued(ctx.db, head, ctx.now) if head and head.generation == generation else None
            )
            if stored is None:
                return None
            if len(_post_base) >= MAX_POST_BASE_SUMMARIES:
                _post_base.pop(min(_post_base, key=lambda held: held[1]))
            _post_base[key] = stored
        counts = _post_base[key]
    else:
        return None  # sealing deferred and no warm reader: counted once sealed
    # articles registered after the slot was sealed: their views sit in its uncatalogued part
    orphan_partitions = sealed.orphan_partitions.get(slot, mark.orphan_partitions)
    recent = {
        article_id
        for article_id in catalog.recent_registrations
        if article_id not in counts and orphan_partitions & (1 << keys.orphan_partition(article_id))
    }
    if not recent:
        return counts
    found = _SlotReads(ctx).orphan_lookups({slot: generation}, recent)
    if not found:
        return counts
    return {**counts, **found[slot]}
