"""Stage: the catalog as the run needs it, and the articles registered since.

A cold container reads the whole catalog index once; a warm one keeps it and applies the catalog's change
log (strongly consistent reads of the changed ids), so a minute's run reads the few changes, not 100,000
entries. The same log says which ids were registered for the first time: their views from before they were
catalogued are then added in (see ``bases`` and ``slots``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mostread import keys
from mostread.caches import remembered
from mostread.catalog_entry import CatalogEntry
from mostread.dal import catalog
from mostread.services.ranking.context import CATALOG_LOG_MARGIN_MS, RunContext

# how far back a run looks for registrations whose earlier views may sit in sealed slots after the bases
RECENT_REGISTRATION_SECONDS = 3 * 3600


@dataclass
class CatalogSnapshot:
    entries: dict[str, CatalogEntry]
    # first registrations logged since the previous run's read (an article's earlier views must be added in)
    registered: set[str] = field(default_factory=set)
    # first registrations of the last few hours, id -> the change log's sort key: their views in slots read or
    # sealed before they registered
    recent_registrations: dict[str, str] = field(default_factory=dict)
    log_after: str | None = None

    def __contains__(self, article_id: str) -> bool:
        return article_id in self.entries

    def registered_after(self, sort_key: str | None) -> set[str]:
        return {
            id_ for id_, registered in self.recent_registrations.items() if sort_key is None or registered > sort_key
        }


_held: dict[str, dict[str, CatalogEntry]] = {}
remembered(_held.clear)


def read_catalog(ctx: RunContext, log_after: str | None) -> CatalogSnapshot:
    """The catalog now, and the registrations logged after ``log_after`` (the previous run's read)."""
    held = _held.get(ctx.db.table)
    cold = held is None
    if held is None:
        held = _held[ctx.db.table] = {entry.article_id: entry for entry in catalog.catalog_entries(ctx.db)}
    recent_from = keys.catalog_log_sort_key(int((ctx.now - RECENT_REGISTRATION_SECONDS) * 1000), "")
    since = min(log_after or recent_from, recent_from)
    changed: set[str] = set()
    registered: set[str] = set()
    recent_registrations: dict[str, str] = {}
    for change in catalog.changes_after(ctx.db, since, ctx.now):
        if change.new:
            recent_registrations[change.article_id] = change.sort_key
        if log_after is None or change.sort_key > log_after:
            changed.add(change.article_id)
            if change.new:
                registered.add(change.article_id)
        elif cold:
            changed.add(change.article_id)
    # the index is eventually consistent and a warm copy is old: changed ids are read again, strongly consistent
    current = catalog.entries_of(ctx.db, changed) if changed else {}
    for article_id in changed:
        if article_id in current:
            held[article_id] = current[article_id]
        else:
            held.pop(article_id, None)
    read_through = keys.catalog_log_sort_key(max(ctx.now_ms - CATALOG_LOG_MARGIN_MS, 0), "")
    return CatalogSnapshot(
        entries=dict(held),
        registered={article_id for article_id in registered if article_id in held},
        recent_registrations={id_: key for id_, key in recent_registrations.items() if id_ in held},
        log_after=read_through,
    )
