"""Stages: read the open slots' logs incrementally, and seal the slots that have ended.

**Open slots.** A warm container keeps a ``SlotReader`` per open slot: its ``SlotCounter`` (the slot's counts
so far) and the sort key up to which it has read the log. Each run reads only the chunks written since,
minus a margin for chunks written late (re-reading a row changes nothing: counting works on sets). Rows of
catalogued articles are counted; rows of other ids are re-filed by article partition (``orow#``) instead of
being held, so no number of uncatalogued ids grows the run's memory. A cold container reads the slot from
its start, at most ``ROWS_PER_RUN`` rows a run, so a huge slot delays counts but never stops a run.

**Sealing.** When a slot has ended (plus the stream's grace period) its counts become a summary: the counter's
counts for the catalogued articles (``sum#``) and, counted one article partition at a time from the re-filed
rows, the other ids' (``osum#``, by partition, so registering an article later reads one partition). Late
views (a chunk logged after the seal) make the slot due again: it is sealed afresh from its whole log and a
*delta* from the previous summary is stored beside it, so window bases built over the old summary are
corrected exactly (``bases``) even if the run crashes in between.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from mostread import keys
from mostread.caches import remembered
from mostread.counting import SlotCounter, SlotCounts, article_of_key, engaged_key, slot_totals
from mostread.dal import summaries, viewlog
from mostread.dal.viewlog import SlotMark
from mostread.logrow import Row
from mostread.services.ranking.catalog_view import CatalogSnapshot
from mostread.services.ranking.context import LOG_MARGIN_MS, RunContext
from mostread.timebuckets import DAY_SECONDS, LONGEST_WINDOW, Slot

ROWS_PER_RUN = 1_500_000  # an open slot's rows read in one run: bounds a cold start's time and memory spike
MAX_READERS = 4  # open slots a container remembers (the current one and the one in its grace period)


def summary_expiry(slot: Slot) -> int:
    """Summaries outlive the longest window they are in by a day, so a base can always subtract them."""
    return slot.end + LONGEST_WINDOW.seconds + DAY_SECONDS


@dataclass
class SlotPlan:
    marks: dict[Slot, SlotMark]
    sealable: set[Slot]

    @property
    def open_slots(self) -> list[Slot]:
        return sorted(slot for slot in self.marks if slot not in self.sealable)

    @property
    def due(self) -> list[Slot]:
        return sorted(slot for slot in self.sealable if self.marks[slot].due)


def plan_slots(ctx: RunContext) -> SlotPlan:
    marks = {mark.slot: mark for mark in viewlog.slot_index(ctx.db, LONGEST_WINDOW.first_bucket(ctx.now), ctx.now)}
    grace = ctx.config.ingest_grace_seconds
    return SlotPlan(marks, {slot for slot in marks if ctx.now >= slot.end + grace})


class SlotReader:
    """The counts of one slot as far as its log has been read, and where to read on."""

    def __init__(self, slot: Slot, cap: int) -> None:
        self.slot = slot
        self.counter = SlotCounter(slot, cap)
        self.after: str | None = None  # log sort key read through (minus the margin)
        self.orphan_partitions = 0
        self.registrations_after: str | None = None

    def read(self, ctx: RunContext, catalog: CatalogSnapshot, row_budget: int | None) -> tuple[int, bool]:
        """Read the chunks written since the last read; returns (rows read, whether the log's end was reached)."""
        # chunks stamped before this are all visible now: a later read need not look at them again
        settled = keys.log_chunk_sort_key(max(ctx.now_ms - LOG_MARGIN_MS, 0), "")
        rows_read = 0
        last_read: str | None = None
        orphans: defaultdict[int, list[Row]] = defaultdict(list)
        finished = True
        counter = self.counter
        for chunk in viewlog.read_log(ctx.db, self.slot, self.after):
            counted: list[Row] = []
            for row in chunk.rows:
                article_id = article_of_key(str(row[0]))  # an engaged row files with its article
                if article_id in catalog or _counts(counter, row):
                    counted.append(row)
                else:
                    partition = keys.orphan_partition(article_id)
                    orphans[partition].append(row)
                    if len(orphans[partition]) >= viewlog.MAX_ROWS_PER_CHUNK:
                        # file as they fill: a log of nothing but junk ids holds at most a chunk per partition here
                        self._file(ctx, partition, orphans.pop(partition), f"{chunk.sort_key}~{ctx.now_ms}")
            counter.add_rows(counted)
            rows_read += len(chunk.rows)
            last_read = chunk.sort_key
            if (row_budget is not None and rows_read >= row_budget) or ctx.out_of_time():
                finished = False
                break
        for partition, rows in sorted(orphans.items()):
            self._file(ctx, partition, rows, f"{last_read or ''}~{ctx.now_ms}~end")
        if finished:
            self.after = settled
        elif last_read is not None:
            # stopped short (a backlog): go on after the last chunk read, or from the settled point if that is later
            self.after = last_read if last_read < settled else settled
        return rows_read, finished

    def backfill(self, ctx: RunContext, article_ids: Iterable[str]) -> None:
        """Count the rows this reader filed away for ids that have since been registered."""
        wanted = set(article_ids)
        for partition in sorted({keys.orphan_partition(article_id) for article_id in wanted}):
            if self.orphan_partitions & (1 << partition):
                self.counter.add_rows(
                    row
                    for row in viewlog.read_orphan_rows(ctx.db, self.slot, partition)
                    if article_of_key(str(row[0])) in wanted
                )

    def _file(self, ctx: RunContext, partition: int, rows: list[Row], source: str) -> None:
        """Re-file rows of uncatalogued ids under their article partition. Reading the same chunks again (a new
        container, a re-seal) files them again under other keys: the seal counts sets, so that changes nothing."""
        viewlog.put_orphan_rows(ctx.db, self.slot, partition, source, rows, self.slot.end + DAY_SECONDS)
        self.orphan_partitions |= 1 << partition


def _counts(counter: SlotCounter, row: Row) -> bool:
    """Whether the counter already counts the row's article: its page views or its engaged readers."""
    key = str(row[0])
    return key in counter or article_of_key(key) in counter or engaged_key(key) in counter


_readers: dict[tuple[str, Slot], SlotReader] = {}
remembered(_readers.clear)


@dataclass
class LiveCounts:
    counts: dict[Slot, SlotCounts] = field(default_factory=dict)
    rows_read: int = 0
    behind: bool = False


def read_open_slots(ctx: RunContext, plan: SlotPlan, catalog: CatalogSnapshot) -> LiveCounts:
    """Counts of every slot that has not been sealed yet, from what its log holds now (as far as the budget
    allows), with the articles registered since their rows were read counted in."""
    live = LiveCounts()
    wanted = set(plan.open_slots) | set(plan.due)
    for held in [slot for table, slot in _readers if table == ctx.db.table and slot not in wanted]:
        del _readers[(ctx.db.table, held)]
    for slot in plan.open_slots:
        reader = _reader(ctx, slot, catalog)
        registered = catalog.registered_after(reader.registrations_after)
        if registered:
            reader.backfill(ctx, registered)
        reader.registrations_after = catalog.log_after
        rows, finished = reader.read(ctx, catalog, ROWS_PER_RUN)
        live.rows_read += rows
        live.behind = live.behind or not finished
        live.counts[slot] = reader.counter.counts()
    return live


def _reader(ctx: RunContext, slot: Slot, catalog: CatalogSnapshot) -> SlotReader:
    key = (ctx.db.table, slot)
    if key not in _readers:
        if len(_readers) >= MAX_READERS:
            _readers.pop(min(_readers, key=lambda held: held[1]))
        reader = _readers[key] = SlotReader(slot, ctx.config.max_views_per_address)
        # a new reader reads the log from its start with today's catalog: no registration is behind it
        reader.registrations_after = catalog.log_after
    return _readers[key]


@dataclass
class Sealed:
    """The slots this run sealed: their catalogued counts (for windows after the bases) and how many there were."""

    summaries: dict[Slot, SlotCounts] = field(default_factory=dict)
    generations: dict[Slot, int] = field(default_factory=dict)
    orphan_partitions: dict[Slot, int] = field(default_factory=dict)
    sealed: int = 0
    resealed: int = 0
    deferred: int = 0
    rows_read: int = 0


def seal_due_slots(ctx: RunContext, plan: SlotPlan, catalog: CatalogSnapshot) -> Sealed:
    result = Sealed()
    for slot in plan.due:
        if ctx.out_of_time():
            result.deferred += 1
            continue
        mark = plan.marks[slot]
        counts = _seal(ctx, mark, catalog, result)
        if counts is None:
            result.deferred += 1
            continue
        result.summaries[slot] = counts
        if mark.summarised_ms is None:
            result.sealed += 1
        else:
            result.resealed += 1
    return result


def _seal(ctx: RunContext, mark: SlotMark, catalog: CatalogSnapshot, result: Sealed) -> SlotCounts | None:
    slot = mark.slot
    key = (ctx.db.table, slot)
    # a slot sealed before (late views) is counted afresh from its whole log; otherwise the warm reader goes on
    reader = _readers.pop(key, None) if mark.summarised_ms is None else None
    if reader is not None:
        registered = catalog.registered_after(reader.registrations_after)
        if registered:
            reader.backfill(ctx, registered)
    reader = reader or SlotReader(slot, ctx.config.max_views_per_address)
    reader.registrations_after = catalog.log_after
    rows, finished = reader.read(ctx, catalog, None)
    result.rows_read += rows
    if not finished:
        _readers[key] = reader
        return None
    expires_at = summary_expiry(slot)
    # the summary being replaced (late views), for the delta that corrects the bases built on it
    previous = summaries.summary_head(ctx.db, slot, ctx.now)
    # a generation names one content: above the one it replaces, whatever the clock says
    generation = max(ctx.now_ms, previous.generation + 1) if previous else ctx.now_ms
    if mark.summary_generation is None:
        previous = None  # a summary no base can hold (a seal that crashed before the slot index knew it)
    previous_catalogued = summaries.read_catalogued(ctx.db, previous, ctx.now) if previous else None
    relevant = set(catalog.entries) | set(reader.counter.article_ids)
    if previous_catalogued is not None:
        relevant |= {article_of_key(key) for key in previous_catalogued}
    writer = summaries.orphan_writer(ctx.db, slot, generation, expires_at)
    orphan_partitions = 0
    new_orphans: dict[str, int] = {}
    for partition in range(keys.ORPHAN_PARTITIONS):
        if not reader.orphan_partitions & (1 << partition):
            continue
        if ctx.out_of_time():
            _readers[key] = reader
            return None
        others = SlotCounter(slot, ctx.config.max_views_per_address)
        for row in viewlog.read_orphan_rows(ctx.db, slot, partition):
            # an id counted by the reader (catalogued when its rows were read, or since): all its rows count there
            (reader.counter if _counts(reader.counter, row) else others).add(row)
        counts = others.counts()
        if counts:
            writer.add(partition, counts)
            orphan_partitions |= 1 << partition
            new_orphans.update({k: v for k, v in slot_totals(counts).items() if article_of_key(k) in relevant})
    orphans = writer.finish()
    counts = reader.counter.counts()
    if previous is not None and previous_catalogued is not None:
        _write_delta(ctx, previous, previous_catalogued, counts, new_orphans, relevant, generation, expires_at)
    summaries.put_summary(ctx.db, slot, counts, orphans, generation, expires_at)
    viewlog.set_summarised(ctx.db, mark, generation, orphan_partitions)
    result.orphan_partitions[slot] = orphan_partitions
    result.generations[slot] = generation
    return counts


def _write_delta(
    ctx: RunContext,
    previous: summaries.SummaryHead,
    previous_catalogued: SlotCounts,
    counts: SlotCounts,
    new_orphans: dict[str, int],
    relevant: set[str],
    generation: int,
    expires_at: int,
) -> None:
    """How the slot's totals change from the summary being replaced, part by part: ``c|key`` for the catalogued
    part (every id), ``o|key`` for the uncatalogued part (the ids a base can hold). The delta names the generation
    it starts from, the summary actually read (a crashed re-seal may have replaced the one the slot index names;
    the deltas then chain)."""
    old_orphans = summaries.totals(ctx.db, previous, ctx.now, relevant, catalogued=False)
    if old_orphans is None:
        return  # the old summary is gone: a base over it cannot be corrected and will be started again
    delta: dict[str, int] = {}
    for part, old, new in (
        ("c", slot_totals(previous_catalogued), slot_totals(counts)),
        ("o", old_orphans, new_orphans),
    ):
        for count_key in old.keys() | new.keys():
            change = new.get(count_key, 0) - old.get(count_key, 0)
            if change:
                delta[f"{part}|{count_key}"] = change
    summaries.put_delta(ctx.db, previous.slot, delta, previous.generation, generation, expires_at)
