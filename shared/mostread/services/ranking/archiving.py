"""Stage, after the live lists are published: the calendar archive, one bounded step per run.

The archive adds up one site-day at a time, from the sealed slots' summaries, once every slot overlapping the day
is settled (sealed, past the ingest grace, with no late views waiting): catalogued articles' counts per 5-minute
bucket (a slot straddling midnight gives each day its own buckets), plus the uncatalogued counts of ids the catalog
has now (registered after the seal). Junk ids never enter: they are neither catalogued nor in the catalog.

Each run does at most one of these, with the time the run has left after publishing:

* add up to ``MAX_SLOTS_PER_RUN`` slots of the day being added up (saved in ``arch#acc``, so a day's reading
  spreads over runs and a run stopped by its deadline loses nothing);
* finalise that day: its totals (listed views, as the live lists count them), its lists, and its share of the
  month's totals; then the weeks, months and years that end with it wait in the state;
* list one waiting week (from its seven day totals), month (from the month's totals) or year (from its twelve
  month totals, so a year never reads 365 items).

A period is computed once: views that reach a slot after the archive added it do not change the period's list
(they are counted in the live windows). Catalog deletions and editors' exclusions apply when a list is read.
After an outage the archive catches up one step per run; days older than the longest window (whose summaries are
gone) are skipped, and their lists stay empty. Every write is a function of stored inputs, so a run that crashes
repeats its step (a month adds each day once: it records the days it holds).
"""

from __future__ import annotations

from datetime import date, timedelta

from mostread import codec, keys, periods
from mostread.archive import add_slot_to_day, add_totals, catalogued, period_lists
from mostread.counting import listed_totals
from mostread.dal import archive, viewlog
from mostread.periods import Period
from mostread.services.ranking.catalog_view import CatalogSnapshot
from mostread.services.ranking.context import RunContext
from mostread.timebuckets import DAY_SECONDS, HOUR_SECONDS, LONGEST_WINDOW, Slot, floor_to

MAX_SLOTS_PER_RUN = 24  # half a day of 30-minute slots: a day is added up within a few runs
# period lists hold this many entries beyond ListDepth, so that excluding a few articles at read time still
# leaves a full list
SPARE_ENTRIES = 20
# a day's totals outlive the week that reads them, a month's the year that reads them, whatever ArchiveDays is
MIN_TOTALS_DAYS = 14


def advance_archive(ctx: RunContext, catalog: CatalogSnapshot) -> str:
    """One step of the archive; returns what it did, for the run's report."""
    zone = ctx.config.zone
    if _out_of_time(ctx):
        return "no time left"  # publishing took the run's time: the next run goes on
    state = archive.get_state(ctx.db)
    if state is None:
        # the archive starts with the day the service first runs: earlier days have no complete record
        archive.put_state(ctx.db, {"next_day": periods.local_date(ctx.now, zone).isoformat(), "pending": []})
        return "started"
    pending: list[str] = list(state.get("pending", []))
    if pending:
        period = periods.parse_period(pending.pop(0))
        if not period.expired(ctx.now, zone, ctx.config.archive_days):
            _list_period(ctx, catalog, period)
        archive.put_state(ctx.db, {**state, "pending": pending})
        return f"listed {period}"
    day = periods.day(date.fromisoformat(state["next_day"]))
    if day.start(zone) < ctx.now - LONGEST_WINDOW.seconds:
        return _skip_to_kept_days(ctx, day)
    return _add_up_day(ctx, catalog, day)


def _skip_to_kept_days(ctx: RunContext, day: Period) -> str:
    """Days whose slot summaries have expired cannot be added up; the periods they end are still listed (from what
    the archive has)."""
    zone = ctx.config.zone
    first_kept = periods.local_date(ctx.now - LONGEST_WINDOW.seconds, zone) + timedelta(days=1)
    pending: list[str] = []
    current = day.first
    while current < first_kept:
        ending = periods.ending_with(current)
        pending += [p.name for p in ending if not p.expired(ctx.now, zone, ctx.config.archive_days)]
        current += timedelta(days=1)
    archive.put_state(ctx.db, {"next_day": first_kept.isoformat(), "pending": pending})
    return f"skipped {(first_kept - day.first).days} days"


def _add_up_day(ctx: RunContext, catalog: CatalogSnapshot, day: Period) -> str:
    config, zone = ctx.config, ctx.config.zone
    start, end = day.start(zone), day.end(zone)
    grace = config.ingest_grace_seconds
    if ctx.now < Slot.of(end - 1, config.slot_seconds).end + grace:
        return "waiting"
    held = archive.get_day_in_progress(ctx.db, ctx.now)
    totals: dict[str, int] = {}
    slots: dict[str, int] = {}
    if held is not None and held[1].get("day") == day.name:
        totals, slots = held[0], dict(held[1]["slots"])
    marks = [
        mark
        for mark in viewlog.slot_index(ctx.db, floor_to(start, HOUR_SECONDS) - HOUR_SECONDS, ctx.now)
        if mark.slot.start < end and mark.slot.end > start
    ]
    added = 0
    for mark in marks:
        name = keys.slot_name(mark.slot)
        if name in slots:
            continue
        if mark.due or mark.summary_generation is None or ctx.now < mark.slot.end + grace or added >= MAX_SLOTS_PER_RUN:
            break
        if _out_of_time(ctx):
            break
        found = archive.slot_counts(ctx.db, mark.slot, ctx.now, catalog.entries.keys())
        if found is None:
            slots[name] = -1  # its summary is gone: the day is what the other slots hold
        else:
            slots[name], counts = found
            add_slot_to_day(totals, counts, mark.slot, start, end)
        added += 1
    if any(keys.slot_name(mark.slot) not in slots for mark in marks):
        if added:
            archive.put_day_in_progress(
                ctx.db, day.name, slots, totals, ctx.now_ms, int(ctx.now) + LONGEST_WINDOW.seconds
            )
        return f"adding up {day} ({len(slots)} of {len(marks)} slots)"
    listed = catalogued(listed_totals(totals, config.count_widget_clicks_in_lists), catalog.entries)
    expires_at = _totals_expiry(ctx, day)
    archive.put_totals(ctx.db, keys.archive_day_key(day.name), listed, {"day": day.name}, ctx.now_ms, expires_at)
    _write_lists(ctx, catalog, day, listed)
    _add_to_month(ctx, day, listed)
    following = day.first + timedelta(days=1)
    archive.put_state(
        ctx.db, {"next_day": following.isoformat(), "pending": [p.name for p in periods.ending_with(day.first)]}
    )
    return f"listed {day}"


def _add_to_month(ctx: RunContext, day: Period, listed: dict[str, int]) -> None:
    month = periods.month_of(day.first)
    held = archive.get_totals(ctx.db, keys.archive_month_key(month.name), ctx.now)
    totals, days = (held[0], list(held[1].get("days", []))) if held else ({}, [])
    if day.name in days:
        return  # added by a run that crashed before saving its state
    archive.put_totals(
        ctx.db,
        keys.archive_month_key(month.name),
        add_totals(totals, [listed]),
        {"days": [*days, day.name]},
        ctx.now_ms,
        max(_totals_expiry(ctx, month), _totals_expiry(ctx, periods.year_of(day.first), MIN_TOTALS_DAYS)),
    )


def _list_period(ctx: RunContext, catalog: CatalogSnapshot, period: Period) -> None:
    """A week from its days' totals, a month from its own, a year from its months'."""
    if period.kind == "week":
        parts = [archive.get_totals(ctx.db, keys.archive_day_key(d.isoformat()), ctx.now) for d in period.dates()]
    elif period.kind == "month":
        parts = [archive.get_totals(ctx.db, keys.archive_month_key(period.name), ctx.now)]
    else:
        months = [periods.month_of(date(period.first.year, m, 1)) for m in range(1, 13)]
        parts = [archive.get_totals(ctx.db, keys.archive_month_key(month.name), ctx.now) for month in months]
    totals = add_totals({}, [part[0] for part in parts if part is not None])
    _write_lists(ctx, catalog, period, catalogued(totals, catalog.entries))


def _write_lists(ctx: RunContext, catalog: CatalogSnapshot, period: Period, totals: dict[str, int]) -> None:
    config = ctx.config
    expires_at = _list_expiry(ctx, period)
    lists = period_lists(totals, catalog.entries, config.list_depth + SPARE_ENTRIES, config.excluded_sections)
    for section, ranked in lists.items():
        versions = [[item.article_id, catalog.entries[item.article_id].version] for item in ranked]
        document = {
            "period": period.name,
            "section": section,
            "generated_at": ctx.generated_at,
            "catalog_digest": codec.digest(versions),
            "items": [
                {
                    "article_id": item.article_id,
                    "views": item.views,
                    "story_id": item.story_id,
                    "story_articles": item.story_articles,
                }
                for item in ranked
            ],
        }
        archive.put_list(ctx.db, period.name, section, document, expires_at)


def _list_expiry(ctx: RunContext, period: Period) -> int:
    return int(period.end(ctx.config.zone)) + ctx.config.archive_days * DAY_SECONDS + DAY_SECONDS


def _totals_expiry(ctx: RunContext, period: Period, days: int | None = None) -> int:
    kept = max(ctx.config.archive_days, MIN_TOTALS_DAYS) if days is None else days
    return int(period.end(ctx.config.zone)) + kept * DAY_SECONDS


def _out_of_time(ctx: RunContext) -> bool:
    return ctx.monotonic() >= ctx.finish_by
