"""The scheduled ranking run: a sequence of stages over one ``RunContext``, each a function of what the
stages before it returned, with the table (a ``Db``) passed in.

1. take the lease (one run at a time; a second run at once returns ``skipped``);
2. read the run's state and the catalog (with the articles registered since the previous run);
3. plan the slots from the slot index; load the 24h and 7d bases and add in newly registered articles;
4. read the open slots' logs since the last read; seal ended slots;
5. bring the bases up to date (corrections, the hour's roll, late slots, backward extension); add up every window;
6. rank every list; publish the lists and the per-article counts that changed; save the state;
7. with the time left, one bounded step of the calendar archive (``archiving``).

Every write is a deterministic function of the recorded views, the catalog and the editorial controls, so a
run that crashes anywhere, or runs twice, leaves what one clean run would have (docs/reliability.md).
Reading and sealing stop before a deadline, so a run always gets to publish.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from mostread.config import Settings
from mostread.counting import article_totals
from mostread.dal import published
from mostread.dal.client import Db
from mostread.observability import logger
from mostread.services import editorial
from mostread.services.ranking.catalog_view import CatalogSnapshot, read_catalog
from mostread.services.ranking.context import DEFAULT_RUN_SECONDS, RunContext, RunReport, StageClock
from mostread.services.ranking.publishing import (
    RunState,
    load_state,
    publish_counts,
    publish_lists,
    rank_lists,
    save_state,
)
from mostread.services.ranking.slots import plan_slots, read_open_slots, seal_due_slots
from mostread.services.ranking.windows import catching_up, prepare_bases, update_bases, window_totals

__all__ = ["RunContext", "RunOptions", "RunReport", "run_ranking"]


@dataclass(frozen=True)
class RunOptions:
    # seconds the function has (Lambda's remaining time); reading and sealing stop well before
    remaining_seconds: float = DEFAULT_RUN_SECONDS
    # who holds the lease; a crashed run's lease expires a second after the function's timeout, before the
    # next scheduled run
    owner: str = ""
    # the run's stopwatch, for its deadlines and its stage times (a test charges each DynamoDB call to it)
    monotonic: Callable[[], float] = time.monotonic


def run_ranking(db: Db, config: Settings, now: float, options: RunOptions | None = None) -> RunReport:
    options = options or RunOptions()
    started = options.monotonic()
    ctx = RunContext.starting(db, config, now, options.remaining_seconds, options.monotonic)
    owner = options.owner or uuid.uuid4().hex
    if not published.acquire_lease(db, owner, ctx.now_ms, int((options.remaining_seconds + 1) * 1000)):
        return RunReport(generated_at=ctx.generated_at, skipped=True)
    try:
        report = _run(ctx)
    finally:
        published.release_lease(db, owner)
    report.seconds = options.monotonic() - started
    return report


def _run(ctx: RunContext) -> RunReport:
    report = RunReport(generated_at=ctx.generated_at)
    stage = StageClock(report.stage_seconds, ctx.monotonic)
    with stage("state"):
        state = load_state(ctx)
        catalog = read_catalog(ctx, state.catalog_log_after)
        plan = plan_slots(ctx)
    with stage("register"):
        bases = prepare_bases(ctx, plan, catalog)
    with stage("read"):
        live = read_open_slots(ctx, plan, catalog)
    with stage("seal"):
        sealed = seal_due_slots(ctx, plan, catalog)
    with stage("bases"):
        bases = update_bases(ctx, plan, catalog, sealed, bases)
    with stage("totals"):
        totals = window_totals(ctx, plan, bases.bases, live, sealed, catalog)
        report.catching_up = catching_up(ctx, bases.bases)

    with stage("rank"):
        controls = editorial.active_controls(ctx.db, ctx.now)
        ranked = rank_lists(ctx.now, ctx.config, totals, catalog.entries, controls, state.list_keys, state.top_since)
    with stage("publish"):
        lists = publish_lists(ctx, ranked, catalog.entries, report.catching_up)
        counts = publish_counts(ctx, totals, catalog.entries, state)
        published.put_latest_run(ctx.db, ctx.generated_at, counts.chunks)
        for stale in range(counts.chunks, state.count_chunks):
            published.delete_counts_chunk(ctx.db, stale)
        save_state(
            ctx,
            RunState(
                last_run_ms=ctx.now_ms,
                catalog_log_after=catalog.log_after,
                count_chunks=counts.chunks,
                count_hashes=counts.hashes,
                list_keys=lists.non_empty,
                top_since=ranked.top_since,
            ),
        )

    with stage("archive"):
        report.archive = _archive_step(ctx, catalog)
    report.slots_sealed, report.slots_resealed, report.seals_deferred = sealed.sealed, sealed.resealed, sealed.deferred
    report.log_rows_read = live.rows_read + sealed.rows_read
    report.log_behind = live.behind
    report.registrations = len(catalog.registered)
    report.bases = dict(bases.actions)
    report.articles_with_views = len(article_totals(totals["7d"]))
    report.views_capped = counts.capped
    report.lists_written, report.lists_unchanged, report.lists_held = lists.written, lists.unchanged, lists.held
    report.count_chunks, report.count_chunks_written = counts.chunks, counts.written
    report.exclusions_in_force, report.pins_in_force = ranked.exclusions_in_force, ranked.pins_in_force
    report.pins_not_shown = ranked.pins_not_shown
    if state.last_run_ms is not None:
        report.seconds_since_previous_run = round(ctx.now - state.last_run_ms / 1000, 3)
    return report


def _archive_step(ctx: RunContext, catalog: CatalogSnapshot) -> str:
    """The archive's step, after the lists are published: its failure (a throttled read, say) is the archive's,
    retried by the next run, never the run's."""
    # imported here, not with the module: a cold container publishes its lists before it loads the archive's code
    from mostread.services.ranking.archiving import advance_archive

    try:
        return advance_archive(ctx, catalog)
    except Exception as error:  # whatever it is, the published lists stand
        logger.warning("calendar archive step failed", extra={"error": type(error).__name__})
        return f"failed: {type(error).__name__}"
