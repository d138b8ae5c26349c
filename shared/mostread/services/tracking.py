"""Recording views: drop what is not a reader, write each view once, mark a page view engaged once. The handler
parses the body (mostread.parsing)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar

from mostread import bots, http
from mostread.caches import remembered
from mostread.config import settings
from mostread.dal import salts
from mostread.dal.views import EngagedOutcome, RecordedView, mark_engaged, put_view
from mostread.logrow import LoggedView
from mostread.models import ViewIn, ViewsAccepted
from mostread.timebuckets import day_of, slot_start
from mostread.visitor import address_hash, event_key, visitor_hash

T = TypeVar("T")
R = TypeVar("R")


# Reader and Tracked are made on every request and never changed: plain slotted classes, as a frozen dataclass's
# __init__ (object.__setattr__ per field) costs about four times as much.
@dataclass(slots=True)
class Reader:
    """Who sent the request, as far as counting needs to know. The IP never leaves this object."""

    client_ip: str
    user_agent: str
    headers: Mapping[str, str]


@dataclass(slots=True)
class Tracked:
    """The answer to a tracking request, and why its views were ignored (``mostread.bots.ignore_reason``)."""

    answer: ViewsAccepted
    ignored_reason: str | None = None

    def metrics(self) -> dict[str, int]:
        """Metric name -> count: the three totals, and the ignored views again under their reason
        (``IgnoredCrawler``, ``IgnoredPrefetch``, ``IgnoredNoUserAgent``), so ViewsIgnored is their sum."""
        answer = self.answer
        counts = {"ViewsAccepted": answer.accepted, "ViewsDuplicate": answer.duplicate, "ViewsIgnored": answer.ignored}
        if self.ignored_reason:
            counts["Ignored" + self.ignored_reason.title().replace("_", "")] = answer.ignored
        return counts

    def answer_json(self) -> str:
        """The answer as the response body, ``http.dumps(answer.model_dump())``."""
        answer = self.answer
        return _answer_json(answer.accepted, answer.duplicate, answer.ignored)


# The tracker gives the same few answers again and again, mostly (1, 0, 0): each is serialised once per container, not
# once per request. A request counts at most a batch (25 views), so there are few answers to hold.
@lru_cache(maxsize=512)
def _answer_json(accepted: int, duplicate: int, ignored: int) -> str:
    return http.dumps(ViewsAccepted(accepted=accepted, duplicate=duplicate, ignored=ignored).model_dump())


remembered(_answer_json.cache_clear)


def track_views(
    views: list[ViewIn],
    reader: Reader,
    now: float,
    salt_for_day: Callable[[str, float], bytes] = salts.daily_salt,
    store: Callable[[RecordedView], bool] = put_view,
    engage: Callable[[str, str, int], EngagedOutcome] = mark_engaged,
) -> Tracked:
    reason = bots.ignore_reason(reader.user_agent, reader.headers)
    if reason:
        return Tracked(ViewsAccepted(ignored=len(views)), reason)
    page_views = [view for view in views if not view.engaged]
    result = _store_views(page_views, reader, now, salt_for_day, store) if page_views else ViewsAccepted()
    if len(page_views) < len(views):
        _mark_engaged(views, now, engage, result)
    return Tracked(result)


def _mark_engaged(
    views: list[ViewIn], now: float, engage: Callable[[str, str, int], EngagedOutcome], result: ViewsAccepted
) -> None:
    """The engaged reports among ``views``, counted into ``result``. Called after the page views are stored: a
    batch holding a page view and its engaged report finds the view recorded."""
    received_ms = int(now * 1000)
    reports = [
        (event_key(view.event_id, "", view.article_id, 0), view.article_id, received_ms)
        for view in views
        if view.engaged and view.event_id
    ]
    for outcome in _side_by_side(lambda report: engage(*report), reports):
        setattr(result, outcome, getattr(result, outcome) + 1)


def record_views(
    views: list[ViewIn],
    reader: Reader,
    now: float,
    salt_for_day: Callable[[str, float], bytes] = salts.daily_salt,
    store: Callable[[RecordedView], bool] = put_view,
    engage: Callable[[str, str, int], EngagedOutcome] = mark_engaged,
) -> ViewsAccepted:
    """The answer alone, for callers that need no metrics."""
    return track_views(views, reader, now, salt_for_day, store, engage).answer


def _store_views(
    views: list[ViewIn],
    reader: Reader,
    now: float,
    salt_for_day: Callable[[str, float], bytes],
    store: Callable[[RecordedView], bool],
) -> ViewsAccepted:
    result = ViewsAccepted()
    config = settings()
    slot = slot_start(now, config.slot_seconds)
    # the salt's day is the slot's day in the site's zone, so a visitor's hash never changes inside a slot
    salt = salt_for_day(day_of(slot, config.zone), now)
    visitor = visitor_hash(salt, reader.client_ip, reader.user_agent)
    address = address_hash(salt, reader.client_ip)
    received_ms = int(now * 1000)
    expires_at = int(now) + config.retention_days * 86400
    recorded = [
        RecordedView(
            LoggedView(
                article_id=view.article_id,
                visitor=visitor,
                received_ms=received_ms,
                event_key=event_key(view.event_id, visitor, view.article_id, slot),
                address=address,
                ref=view.ref or "",
            ),
            expires_at,
        )
        for view in views
    ]
    outcomes = _side_by_side(store, recorded)
    result.accepted = sum(outcomes)
    result.duplicate = len(outcomes) - result.accepted
    return result


def _side_by_side(write: Callable[[T], R], items: list[T]) -> list[R]:
    """``write`` of each item (at most a batch: 25), in order; a batch's writes run side by side. Every write
    finishes before the answer, failed or not, so a retry finds the batch's writes complete; the first failure is
    raised."""
    if len(items) <= 1:
        return [write(item) for item in items]
    # One task per worker, each writing its share in turn: 25 writes take as many rounds on 8 workers as 25 tasks
    # would, with 7 hand-overs between threads instead of 25, whose CPU is most of what a batch costs beyond its
    # writes.
    share = -(-len(items) // WRITERS)
    shares = [_pool().submit(_each, write, items[start : start + share]) for start in range(0, len(items), share)]
    wait(shares)
    results: list[R] = []
    for done in shares:
        written, failure = done.result()
        if failure is not None:
            raise failure
        results.extend(written)
    return results


def _each(write: Callable[[T], R], items: list[T]) -> tuple[list[R], BaseException | None]:
    """``write`` of each item in turn, every one tried whatever the ones before did: the results, and the first
    failure (kept as a Future keeps what its task raised, to be raised where it is awaited)."""
    results: list[R] = []
    failure: BaseException | None = None
    for item in items:
        try:
            results.append(write(item))
        except BaseException as error:
            if failure is None:
                failure = error
    return results, failure


WRITERS = 8  # a batch's writes in flight at once


@lru_cache(maxsize=1)
def _pool() -> ThreadPoolExecutor:
    # A batch's conditional puts cannot be batched in DynamoDB; run them side by side instead.
    return ThreadPoolExecutor(max_workers=WRITERS, thread_name_prefix="put-view")
